/**
 * Checks of card provenance (src/cards/provenance.ts) shared by the card tests: the
 * `cairn-provenance` extension, and the `meta.source` and Provenance a suggestion carries.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkFhirResource, loadFhirDefinitions } from '../../dev/hooks-contract.js';
import { PASSAGES_EXTENSION } from '../../src/cards/passages.js';
import { readProvenance, sourceUri, guidelineDocumentSystem } from '../../src/cards/provenance.js';
import type { Card } from '../../src/hooks/schema.js';
import { repoPath } from './repo-root.js';

/** The release as package.json states it, read here apart from the code under test. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;

/** A fixture document's content hash: the SHA-256 of its id, so each fixture document has its own. */
export function documentHash(documentId: string): string {
  return createHash('sha256').update(`fixture document ${documentId}`).digest('hex');
}

export interface ExpectedProvenance {
  ruleId: string;
  /** The content hash each quoted document must carry; default: any SHA-256 hex. */
  hashOf?: (documentId: string) => string | undefined;
  /** The version each quoted document must carry, when the fixture states one. */
  versionOf?: (documentId: string) => string | undefined;
}

/**
 * What is wrong with a card's `cairn-provenance`; [] when nothing: the release is package.json's,
 * the rule is the expected one with a version, and the guidelines are exactly the documents of the
 * card's quoted passages (cairn-passages), each once, with its content hash.
 */
export function provenanceProblems(card: Card, expected: ExpectedProvenance): string[] {
  const p = readProvenance(card);
  if (!p) return ['no cairn-provenance extension'];
  const problems: string[] = [];
  if (p.cairnVersion !== PACKAGE_VERSION) problems.push(`cairnVersion ${p.cairnVersion}, package.json says ${PACKAGE_VERSION}`);
  if (p.rule.id !== expected.ruleId) problems.push(`rule ${p.rule.id}, expected ${expected.ruleId}`);
  if (!/^\S+$/.test(p.rule.version ?? '')) problems.push(`rule ${p.rule.id} has no version`);
  const quoted = [...new Set(((card.extension?.[PASSAGES_EXTENSION] ?? []) as Array<{ documentId: string }>).map((q) => q.documentId))];
  const cited = p.guidelines.map((g) => g.documentId);
  if (JSON.stringify([...cited].sort()) !== JSON.stringify([...quoted].sort())) problems.push(`guidelines ${cited.join(', ')}; quoted documents ${quoted.join(', ')}`);
  for (const g of p.guidelines) {
    if (!/^[0-9a-f]{64}$/.test(g.contentHash)) problems.push(`${g.documentId}: contentHash ${g.contentHash} is not a SHA-256`);
    const hash = expected.hashOf?.(g.documentId);
    if (expected.hashOf && g.contentHash !== hash) problems.push(`${g.documentId}: contentHash ${g.contentHash}, expected ${hash}`);
    const version = expected.versionOf?.(g.documentId);
    if (expected.versionOf && g.version !== version) problems.push(`${g.documentId}: version ${g.version}, expected ${version}`);
  }
  return problems;
}

type Resource = Record<string, unknown> & { resourceType: string; id?: string; meta?: { source?: string } };

/**
 * What is wrong with the provenance of a card's suggestions; [] when nothing. In each suggestion
 * every created resource has an id and the card's `meta.source`, and exactly one more create
 * action holds a valid R4 Provenance: its targets are `urn:uuid:<id>` of exactly those resources,
 * recorded at `recorded`, Cairn (with the card's release) as the agent Device, the card's rule as
 * policy and each quoted guideline document as a source entity.
 */
export function suggestionProvenanceProblems(card: Card, recorded: string): string[] {
  const p = readProvenance(card);
  if (!p) return ['no cairn-provenance extension'];
  loadFhirDefinitions();
  const problems: string[] = [];
  for (const [i, s] of (card.suggestions ?? []).entries()) {
    const resources = (s.actions ?? []).filter((a) => a.type === 'create').map((a) => a.resource as Resource);
    const provenances = resources.filter((r) => r.resourceType === 'Provenance');
    const created = resources.filter((r) => r.resourceType !== 'Provenance');
    const at = `suggestions[${i}]`;
    if (created.length === 0) continue;
    if (provenances.length !== 1) {
      problems.push(`${at}: ${provenances.length} Provenance resources`);
      continue;
    }
    for (const r of created) {
      if (!r.id) problems.push(`${at}: a created ${r.resourceType} has no id`);
      if (r.meta?.source !== sourceUri(p)) problems.push(`${at}: ${r.resourceType}.meta.source ${r.meta?.source}, expected ${sourceUri(p)}`);
    }
    const prov = provenances[0] as Resource & {
      target: Array<{ reference: string }>;
      recorded: string;
      policy?: string[];
      agent: Array<{ who: { reference: string } }>;
      contained?: Array<{ resourceType: string; id: string; version?: Array<{ value: string }> }>;
      entity?: Array<{ role: string; what: { identifier?: { system: string; value: string } } }>;
    };
    problems.push(...checkFhirResource(prov).map((m) => `${at}: Provenance: ${m}`));
    const targets = prov.target.map((t) => t.reference).sort();
    const expected = created.map((r) => `urn:uuid:${r.id}`).sort();
    if (JSON.stringify(targets) !== JSON.stringify(expected)) problems.push(`${at}: Provenance targets ${targets.join(', ')}, created ${expected.join(', ')}`);
    if (prov.recorded !== recorded) problems.push(`${at}: Provenance recorded ${prov.recorded}, expected ${recorded}`);
    const agent = prov.agent[0]?.who.reference;
    const device = prov.contained?.find((c) => `#${c.id}` === agent);
    if (device?.resourceType !== 'Device' || device.version?.[0]?.value !== p.cairnVersion) problems.push(`${at}: the agent is not Cairn ${p.cairnVersion} as a Device`);
    if (!prov.policy?.some((u) => u.endsWith(`#${p.rule.id}@${p.rule.version}`))) problems.push(`${at}: no policy names rule ${p.rule.id}@${p.rule.version}`);
    const entities = (prov.entity ?? []).map((e) => (e.what.identifier?.system === guidelineDocumentSystem() ? e.what.identifier.value : '?')).sort();
    const documents = p.guidelines.map((g) => g.documentId).sort();
    if (JSON.stringify(entities) !== JSON.stringify(documents)) problems.push(`${at}: Provenance entities ${entities.join(', ')}, guidelines ${documents.join(', ')}`);
  }
  return problems;
}
