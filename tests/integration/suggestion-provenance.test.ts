/**
 * A card's suggestion executed as an EHR would, in one FHIR transaction on the dev FHIR server: the
 * created resources with `fullUrl` `urn:uuid:<id>`, their Provenance beside them. The server
 * stores the Provenance pointing at the resources it created, and each keeps Cairn's meta.source.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { startDevFhirServer, type DevFhirServer } from '../../dev/fhir-server/index.js';
import { readProvenance, sourceUri } from '../../src/cards/provenance.js';
import type { Card } from '../../src/hooks/schema.js';
import type { HookInput } from '../../src/hooks/service.js';
import { diagnosisLogic } from '../../src/services/diagnosis/service.js';
import { triageLogic } from '../../src/services/triage/service.js';
import { corpusSearch, demoPatient } from '../support/card-markdown.js';
import { repoPath } from '../support/repo-root.js';

const REF = new Date('2026-11-24T09:00:00Z');
const log = pino({ level: 'silent' });

type Resource = { resourceType: string; id: string; meta?: { source?: string }; target?: Array<{ reference: string }> };

let fhir: DevFhirServer;
const cards: Card[] = [];
beforeAll(async () => {
  fhir = await startDevFhirServer({ bundles: [repoPath('fhir-profiles/examples/edge-cases')] });
  const search = await corpusSearch();
  for (const [logic, file] of [
    [diagnosisLogic({ search, indicator: 'warning', now: () => REF }), 'mixed-units.json'],
    [triageLogic({ search, showInfoCards: false, now: () => REF }), 'ed-deteriorating-vitals.json'],
  ] as const) {
    const { bundle, patientId } = demoPatient(file, REF);
    await logic({ context: { patientId }, prefetch: { bundle }, log, signal: new AbortController().signal } as unknown as HookInput, (c) => cards.push(...c));
  }
}, 60_000);
afterAll(() => fhir?.close());

/** What an EHR sends to carry out one suggestion: its create actions as a transaction. */
function transaction(card: Card) {
  const resources = card.suggestions![0]!.actions!.filter((a) => a.type === 'create').map((a) => a.resource as unknown as Resource);
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      // A created resource by its urn:uuid; the Provenance needs no fullUrl of its own.
      ...(resource.resourceType !== 'Provenance' && { fullUrl: `urn:uuid:${resource.id}` }),
      resource,
      request: { method: 'POST', url: resource.resourceType },
    })),
  };
}

describe('a suggestion carried out in one transaction', () => {
  it.each([
    ['the diagnosis card\'s Condition', 'Possible hypertension', ['Condition']],
    ['the triage card\'s two orders', 'ESI level', ['ServiceRequest', 'ServiceRequest']],
  ])('%s: stored with meta.source, the Provenance pointing at the stored resources', async (_name, summary, types) => {
    const card = cards.find((c) => c.summary.startsWith(summary))!;
    expect(card).toBeDefined();
    const res = await fetch(fhir.baseUrl, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(transaction(card)) });
    expect(res.status).toBe(200);
    const stored = ((await res.json()) as { entry: Array<{ resource: Resource }> }).entry.map((e) => e.resource);
    const provenance = stored.find((r) => r.resourceType === 'Provenance')!;
    const created = stored.filter((r) => r.resourceType !== 'Provenance');
    expect(created.map((r) => r.resourceType)).toEqual(types);
    expect(provenance.target?.map((t) => t.reference).sort()).toEqual(created.map((r) => `${r.resourceType}/${r.id}`).sort());
    const source = sourceUri(readProvenance(card)!);
    for (const r of created) {
      const read = (await (await fetch(`${fhir.baseUrl}/${r.resourceType}/${r.id}`)).json()) as Resource;
      expect(read.meta?.source).toBe(source);
    }
  });
});
