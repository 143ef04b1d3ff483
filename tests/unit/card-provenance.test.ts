/** The provenance pieces every card uses (src/cards/provenance.ts), on their own. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { configureCanonicalBase } from '../../src/canonical.js';
import type { QuotedPassage } from '../../src/cards/passages.js';
import {
  cairnVersion,
  cardProvenance,
  nameBasedUuid,
  PROVENANCE_EXTENSION_KEY,
  provenanceActions,
  provenanceExtension,
  readProvenance,
  sourceUri,
} from '../../src/cards/provenance.js';
import { documentHash, PACKAGE_VERSION } from '../support/provenance.js';

const passage = (documentId: string, n: number, over: Partial<QuotedPassage> = {}): QuotedPassage => ({
  chunkId: `${documentId}#${n}`,
  documentId,
  title: 'T',
  headingPath: [],
  text: `passage ${n}`,
  citation: 'C',
  kind: 'verbatim',
  documentHash: documentHash(documentId),
  ...over,
});
const RULE = { id: 'diagnosis/hypertension', version: '3' };

afterEach(() => configureCanonicalBase(undefined));

describe('card provenance', () => {
  it('names the release of package.json', () => {
    expect(cairnVersion()).toBe(PACKAGE_VERSION);
  });

  it('lists each quoted document once per edition, in the order first quoted, with its version when known', () => {
    const p = cardProvenance(RULE, [passage('b', 1, { documentVersion: '2021-04-27' }), passage('a', 1), passage('b', 2, { documentVersion: '2021-04-27' })]);
    expect(p).toEqual({
      cairnVersion: PACKAGE_VERSION,
      rule: RULE,
      guidelines: [
        { documentId: 'b', version: '2021-04-27', contentHash: documentHash('b') },
        { documentId: 'a', contentHash: documentHash('a') },
      ],
    });
    // Two editions of one document (a corpus changed between two searches) are both named.
    expect(cardProvenance(RULE, [passage('a', 1), passage('a', 2, { documentHash: documentHash('a2') })]).guidelines).toHaveLength(2);
  });

  it('reads back what a card carries, and nothing from a malformed extension', () => {
    const p = cardProvenance(RULE, [passage('a', 1)], [{ nctId: 'NCT00000001', contentHash: 'h' }]);
    expect(readProvenance({ extension: provenanceExtension(p) })).toEqual(p);
    const none = cardProvenance(RULE, []);
    expect(provenanceExtension(none)[PROVENANCE_EXTENSION_KEY]).not.toHaveProperty('guidelines');
    expect(readProvenance({ extension: provenanceExtension(none) })).toEqual(none);
    expect(cardProvenance(RULE, [], []).trials).toBeUndefined();
    for (const bad of [undefined, 'x', { rule: RULE, guidelines: [] }, { cairnVersion: '1', guidelines: [] }, { cairnVersion: '1', rule: RULE, guidelines: 'a' }]) {
      expect(readProvenance({ extension: { [PROVENANCE_EXTENSION_KEY]: bad } })).toBeUndefined();
    }
    expect(readProvenance({})).toBeUndefined();
  });

  it('names Cairn, its release and the rule in meta.source, under the configured base', () => {
    const p = cardProvenance(RULE, []);
    configureCanonicalBase('https://cds.hospital.example/fhir');
    expect(sourceUri(p)).toBe(`https://cds.hospital.example/fhir#cairn@${PACKAGE_VERSION};diagnosis/hypertension@3`);
    expect(URL.canParse(sourceUri(p))).toBe(true);
  });
});

describe('suggestion provenance', () => {
  const p = cardProvenance(RULE, [passage('a', 1)]);
  const condition = { resourceType: 'Condition', subject: { reference: 'Patient/1' }, meta: { tag: [{ code: 'x' }] } };

  it('gives each created resource a name-based id and meta.source (keeping its other meta), and adds one Provenance', () => {
    const actions = provenanceActions([{ type: 'create', description: 'd', resource: condition }], p, '2026-11-24T09:00:00.000Z');
    expect(actions).toHaveLength(2);
    const created = actions[0]!.resource as unknown as { id: string; meta: Record<string, unknown> };
    expect(created.meta).toEqual({ tag: [{ code: 'x' }], source: sourceUri(p) });
    expect(created.id).toBe(nameBasedUuid(JSON.stringify([RULE, condition])));
    expect(actions[1]).toMatchObject({ type: 'create', resource: { resourceType: 'Provenance', target: [{ reference: `urn:uuid:${created.id}` }], recorded: '2026-11-24T09:00:00.000Z' } });
    // The input is not changed.
    expect(condition).not.toHaveProperty('id');
  });

  it('names a resource without when it was written, as it always has (ids of cards already issued keep)', () => {
    const at = (when: string) => ({ ...condition, recordedDate: when, code: { text: 'x' } });
    const [a, b] = ['2026-11-24T09:00:00.000Z', '2026-12-06T21:00:00.000Z'].map((when) => (provenanceActions([{ type: 'create', description: 'd', resource: at(when) }], p, when)[0]!.resource as unknown as { id: string }).id);
    expect(a).toBe(b);
    // The definition before 2026-12-06: a replacer dropping the written-at members at any depth.
    const before = nameBasedUuid(JSON.stringify([RULE, at('2026-11-24T09:00:00.000Z')], (key, value: unknown) => (['authoredOn', 'recordedDate', 'recorded'].includes(key) ? undefined : value)));
    expect(a).toBe(before);
  });

  it('refuses anything but create actions', () => {
    expect(() => provenanceActions([{ type: 'update', description: 'd', resource: condition }], p, '2026-11-24T09:00:00.000Z')).toThrow(/create actions only/);
  });

  it('makes RFC 9562 version 8 UUIDs, a different one for a different name', () => {
    const a = nameBasedUuid('a');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nameBasedUuid('a')).toBe(a);
    expect(nameBasedUuid('b')).not.toBe(a);
  });
});
