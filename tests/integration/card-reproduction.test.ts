/**
 * A card is reproducible from its ledger entry: the shipped triage and diagnosis logic over the
 * shipped guideline corpus answers a demo patient's hook through the HTTP adapter; the entry read
 * back from the database, the same request sent again and the corpus's current document hashes
 * regenerate the same card. Other patient data, a changed guideline or another rule version are
 * each reported as what they are. A request that carried all its data is digested as sent (the
 * reviewer replays it byte for byte); one whose data Cairn fetched is digested as the data read.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDevFhirServer, type DevFhirServer } from '../../dev/fhir-server/index.js';
import { bindServices, loadServiceDefinitions } from '../../src/hooks/service-definitions.js';
import type { Card } from '../../src/hooks/schema.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { parseCorpus } from '../../src/knowledge/corpus/index.js';
import { CardLedger, requestBodyDigest, type StoredIssuedCard } from '../../src/ledger/issued-cards.js';
import { compareWithEntry, type Regenerated } from '../../src/ledger/reproduce.js';
import { createLogger } from '../../src/log.js';
import { createServiceLogic } from '../../src/services/index.js';
import { demoPrefetch, loadDemoPatient } from '../../bench/support/demo-prefetch.js';
import { corpusSearch } from '../support/card-markdown.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { repoPath } from '../support/repo-root.js';

let t: TestDatabase;
let fhir: DevFhirServer;
let server: Server;
let base: string;
let services: CdsService[];
let documentHashes: Map<string, string>;

beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  fhir = await startDevFhirServer({ port: 0 });
  const search = await corpusSearch();
  const logic = createServiceLogic({ search, config: {} });
  // No trial store here: trial-match cards quote no guideline and are not bound.
  const definitions = (await loadServiceDefinitions(repoPath('cds-hooks'))).filter((d) => d.definition.id !== 'trial-match');
  services = bindServices(definitions, logic);
  const { documents } = await parseCorpus([repoPath('guidelines')]);
  documentHashes = new Map(documents.map((d) => [d.id, d.contentHash]));
  const app = createApp({
    config: { publicUrl: 'http://localhost', corsOrigins: [], hookDeadlineMs: 10_000, fhirTimeoutMs: 2000, fhirConcurrency: 4, fhirMaxPages: 5, requireAuth: false, maxRequestBytes: 10 * 1024 * 1024 },
    services,
    db: t.db,
    metrics: createMetrics(),
    log: createLogger('silent'),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await fhir?.close();
  await t?.dispose();
});

async function issue(serviceId: string, file: string) {
  const patientId = await loadDemoPatient(fhir, file);
  const prefetch = await demoPrefetch(fhir, serviceId, patientId);
  const request = { hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId }, prefetch };
  // Spaced as some EHRs send it: the digest is of these bytes, not of a re-serialisation.
  const body = JSON.stringify(request, null, 1);
  const res = await fetch(`${base}/cds-services/${serviceId}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  expect(res.status).toBe(200);
  const { cards } = (await res.json()) as { cards: Card[] };
  return { request, body, cards };
}

/** Runs the service again on the request, as a reviewer would, without the HTTP layer. */
async function regenerate(serviceId: string, request: { hook: string; context: Record<string, unknown>; prefetch: Record<string, unknown> }, body?: string): Promise<Regenerated> {
  const service = services.find((s) => s.definition.id === serviceId)!;
  const cards: Card[] = [];
  await service.run(
    { request: request as never, context: request.context as never, prefetch: request.prefetch as never, log: createLogger('silent'), signal: new AbortController().signal },
    (ready) => cards.push(...ready),
  );
  return { request, prefetch: request.prefetch, cards, ...(body !== undefined && { body }) };
}

const SCENARIOS = [
  ['triage', 'fhir-profiles/examples/edge-cases/ed-deteriorating-vitals.json'],
  ['diagnosis', 'fhir-profiles/examples/edge-cases/mixed-units.json'],
] as const;

describe('cards regenerated from their ledger entries', () => {
  it.each(SCENARIOS)('%s: the same request and corpus give the same card, with its provenance recorded', async (serviceId, file) => {
    const { request, body, cards } = await issue(serviceId, file);
    expect(cards.length).toBeGreaterThan(0);
    const ledger = new CardLedger(t.db);
    for (const card of cards) {
      const entry = (await ledger.get(card.uuid!)) as StoredIssuedCard;
      expect(entry).toMatchObject({ serviceId, hook: 'patient-view', hookInstance: request.hookInstance, summary: card.summary });
      // The ledger holds no FHIR id of the patient and none of the card's text (digests only).
      expect(JSON.stringify(entry)).not.toContain(request.context.patientId);
      expect(entry.cardDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(entry.ruleId).toMatch(new RegExp(`^${serviceId}/`));
      expect(entry.ruleVersion).toBeTruthy();
      expect(entry.cairnVersion).toMatch(/^\d+\.\d+\.\d+/);
      for (const g of entry.guidelines) expect(g.contentHash).toBe(documentHashes.get(g.documentId));
      expect(entry.inputDigest).toBe(requestBodyDigest(body));
      const result = compareWithEntry(entry, await regenerate(serviceId, request, body), documentHashes);
      expect(result.differences).toEqual([]);
      expect(result.reproduced).toBe(true);
    }
  });

  it('tells other patient data, a changed guideline and another rule version apart', async () => {
    const { request, body, cards } = await issue('diagnosis', 'fhir-profiles/examples/edge-cases/mixed-units.json');
    const entry = (await new CardLedger(t.db).get(cards.find((c) => (c.extension as Record<string, { guidelines?: unknown[] }> | undefined)?.['cairn-provenance']?.guidelines?.length)!.uuid!))!;
    const again = await regenerate('diagnosis', request, body);

    // Another patient's data (a blood pressure one point higher) is not the data the card came from.
    const other = body.replace(/"value": (\d+)(?=[,\n])/, (_m, v: string) => `"value": ${Number(v) + 1}`);
    expect(other).not.toBe(body);
    expect(compareWithEntry(entry, { ...again, body: other }, documentHashes)).toMatchObject({ reproduced: false, sameInput: false });
    // The same request serialised again (other spacing) is not the request as sent, and without
    // the body the reviewer is told to give it.
    expect(compareWithEntry(entry, { ...again, body: JSON.stringify(request) }, documentHashes)).toMatchObject({ reproduced: false, sameInput: false });
    const { body: _body, ...withoutBody } = again;
    expect(compareWithEntry(entry, withoutBody, documentHashes).differences).toEqual([expect.stringMatching(/give that request body as sent/)]);

    // A quoted guideline document edited since.
    const changed = new Map(documentHashes);
    changed.set(entry.guidelines[0]!.documentId, '0'.repeat(64));
    expect(compareWithEntry(entry, again, changed)).toMatchObject({ reproduced: false, changedGuidelines: [entry.guidelines[0]!.documentId] });

    // The rule changed version since the card was issued.
    expect(compareWithEntry({ ...entry, ruleVersion: `${entry.ruleVersion}-old` }, again, documentHashes).differences).toEqual([expect.stringMatching(/is now version/)]);

    // A card whose content differs from the one issued is not reproduced.
    const edited = again.cards.map((c) => (c.summary === entry.summary ? { ...c, detail: `${c.detail ?? ''} (edited)` } : c));
    expect(compareWithEntry(entry, { ...again, cards: edited }, documentHashes).differences).toEqual(['the card’s content differs']);
  });

  it('digests the data read, not the request, when Cairn fetched them', async () => {
    const patientId = await loadDemoPatient(fhir, 'fhir-profiles/examples/edge-cases/mixed-units.json');
    const request = { hook: 'patient-view', hookInstance: randomUUID(), fhirServer: fhir.baseUrl, context: { userId: 'Practitioner/1', patientId } };
    const res = await fetch(`${base}/cds-services/diagnosis`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: Card[] };
    expect(cards.length).toBeGreaterThan(0);
    const entry = (await new CardLedger(t.db).get(cards[0]!.uuid!))!;
    expect(entry.inputDigest).toMatch(/^[0-9a-f]{64}$/);
    // The same records fetched by another client (this test's helper) are not, as JSON, the answers
    // Cairn read (the reviewer needs those), so the data differ; the card is the same.
    const prefetch = await demoPrefetch(fhir, 'diagnosis', patientId);
    const result = compareWithEntry(entry, await regenerate('diagnosis', { ...request, prefetch }), documentHashes);
    expect(result.differences).toEqual(['the patient data given are not the data the card was issued from (input digest differs)']);
  });
});
