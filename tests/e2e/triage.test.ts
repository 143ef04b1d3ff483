/**
 * The triage service as an EHR sees it: the shipped server in its own process with the real
 * guideline corpus, the demo ED patient on the dev FHIR server (shifted so its vitals are current),
 * hooks fired without prefetch. The card must be critical and everything it quotes must be found
 * verbatim in the corpus.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSAGES_EXTENSION, unquote } from '../../src/cards/passages.js';
import { startDevFhirServer, type DevFhirServer } from '../../dev/fhir-server/index.js';
import { shiftToNow } from '../../dev/fhir-server/time-shift.js';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import type { Card } from '../../src/hooks/schema.js';
import { TRIAGE_EXTENSION } from '../../src/services/triage/card.js';
import { freePort, spawnServer, type SpawnedServer } from './support/processes.js';
import { parseCorpus } from '../../src/knowledge/corpus/index.js';
import { provenanceProblems } from '../support/provenance.js';
import { repoPath } from '../support/repo-root.js';

let fhir: DevFhirServer;
let cairn: SpawnedServer;
let dir: string;
let corpus: string[];
let patientId: string;
let encounterId: string;
let port: number;
const SMART_APP_URL = 'https://cairn.example.org/app/launch.html';

beforeAll(async () => {
  const bundle = shiftToNow(JSON.parse(await readFile(repoPath('fhir-profiles/examples/edge-cases/ed-deteriorating-vitals.json'), 'utf8')) as {
    entry: Array<{ resource: { resourceType: string; id: string } }>;
  });
  patientId = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource.id;
  encounterId = bundle.entry.find((e) => e.resource.resourceType === 'Encounter')!.resource.id;
  fhir = await startDevFhirServer({});
  await fhir.loadBundle(bundle);
  corpus = await Promise.all((await readdir(repoPath('guidelines'))).filter((f) => f.endsWith('.md')).map((f) => readFile(repoPath('guidelines', f), 'utf8')));

  dir = await mkdtemp(join(tmpdir(), 'cairn-triage-e2e-'));
  port = await freePort();
  cairn = await spawnServer(
    'tests/e2e/support/serve-real.ts',
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      CAIRN_REQUIRE_AUTH: 'false',
      CAIRN_DATA_DIR: join(dir, 'db'),
      // Three small trials instead of the 300 demo trials, whose first import takes minutes.
      CAIRN_TRIALS: 'tests/fixtures/trials',
      LOG_LEVEL: 'warn',
      CAIRN_HOOK_DEADLINE_MS: '5000',
      CAIRN_SMART_APP_URL: SMART_APP_URL,
    },
    120_000,
  );
}, 150_000);

afterAll(async () => {
  await cairn?.stop();
  await fhir?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fire(service: string, hook: string, context: Record<string, string>): Promise<Card[]> {
  const res = await fetch(`${cairn.url}/cds-services/${service}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ hook, hookInstance: randomUUID(), fhirServer: fhir.baseUrl, context: { userId: 'Practitioner/e2e', ...context } }),
  });
  const body = (await res.json()) as { cards: Card[] };
  expect(res.status).toBe(200);
  expect(checkCdsResponse(body)).toEqual([]);
  return body.cards;
}

describe('triage service end to end', () => {
  it('discovery lists the triage services (and the trial-match service, its store opened)', async () => {
    const body = (await (await fetch(`${cairn.url}/cds-services`)).json()) as { services: Array<{ id: string }> };
    expect(body.services.map((s) => s.id)).toEqual(expect.arrayContaining(['triage', 'triage-encounter', 'trial-match']));
  });

  it.each([
    ['triage', 'patient-view'],
    ['triage-encounter', 'encounter-start'],
  ])('%s returns a critical card for the deteriorating ED patient, quoting the corpus verbatim', async (service, hook) => {
    const cards = await fire(service, hook, { patientId, ...(hook === 'encounter-start' && { encounterId }) });
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(card.indicator).toBe('critical');
    expect(card.extension?.[TRIAGE_EXTENSION]).toMatchObject({ esiLevel: 1 });
    const passages = card.extension?.[PASSAGES_EXTENSION] as Array<{ text: string; documentId: string }>;
    expect(passages.length).toBeGreaterThanOrEqual(2);
    for (const p of passages) expect(corpus.some((doc) => doc.includes(p.text))).toBe(true);
    expect(passages.map((p) => p.documentId)).toContain('ahrq-esi-v4-ch3-algorithm');
    // A short card: one quotation, a verbatim part of one of its passages (all of them in the extension).
    expect(card.detail!.length).toBeLessThanOrEqual(1000);
    const quotes = card.detail!.split('\n\n').filter((b) => b.startsWith('>')).map(unquote);
    expect(quotes).toHaveLength(1);
    expect(passages.some((p) => p.text.includes(quotes[0]!))).toBe(true);
    // CAIRN_SMART_APP_URL reaches the card: one link to the Cairn app, naming the service and the finding.
    expect(card.links?.filter((l) => l.type === 'smart')).toEqual([
      { label: 'Open evidence in Cairn', url: SMART_APP_URL, type: 'smart', appContext: '{"service":"triage","rule":"triage/news2-qsofa-esi","esiLevel":1,"decisionPoint":"A"}' },
    ]);
  });

  it('names its provenance: the release, the triage rule, and the ingested corpus documents it quotes by content hash', async () => {
    const [card] = await fire('triage', 'patient-view', { patientId });
    const { documents } = await parseCorpus([repoPath('guidelines')]);
    const byId = new Map(documents.map((d) => [d.id, d]));
    expect(provenanceProblems(card!, { ruleId: 'triage/news2-qsofa-esi', hashOf: (id) => byId.get(id)?.contentHash, versionOf: (id) => byId.get(id)?.meta.version })).toEqual([]);
  });

  it('sends override reasons whose system is its own CodeSystem under the default canonical base, and serves it there', async () => {
    const [card] = await fire('triage', 'patient-view', { patientId });
    const systems = new Set(card!.overrideReasons!.map((r) => r.system));
    // CAIRN_PUBLIC_URL unset: http://localhost:$PORT, + /fhir.
    expect(systems).toEqual(new Set([`http://localhost:${port}/fhir/CodeSystem/cds-override-reason`]));
    const system = [...systems][0]!;
    // Fetched at the address the test reaches the server by (it listens on 127.0.0.1 only).
    const res = await fetch(system.replace(`http://localhost:${port}`, cairn.url));
    expect(res.status).toBe(200);
    const cs = (await res.json()) as { url: string; concept: Array<{ code: string }> };
    expect(cs.url).toBe(system);
    for (const r of card!.overrideReasons!) expect(cs.concept.map((c) => c.code)).toContain(r.code);
  });

  it('returns no card for a patient with no recent vitals', async () => {
    // On the FHIR server, with a heart rate from three days ago only (a patient it does not have gets a 412).
    const id = 'no-recent-vitals';
    const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
    const heartRate = {
      resourceType: 'Observation',
      id: `${id}-hr`,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
      subject: { reference: `Patient/${id}` },
      effectiveDateTime: threeDaysAgo,
      valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    };
    await fhir.loadBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resourceType: 'Patient', id, birthDate: '1970-05-01' }, heartRate].map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })),
    });
    expect(await fire('triage', 'patient-view', { patientId: id })).toEqual([]);
  });

  it('trial-match reads a note the EHR keeps as a Binary resource (the DocumentReference holds only its url)', async () => {
    const id = 'binary-note';
    const note = 'Clinic note. 58-year-old woman with essential hypertension, blood pressure 152/94 today despite amlodipine.';
    const resources = [
      { resourceType: 'Patient', id, gender: 'female', birthDate: '1968-02-01' },
      { resourceType: 'Binary', id: `${id}-text`, contentType: 'text/plain', data: Buffer.from(note, 'utf8').toString('base64') },
      {
        resourceType: 'DocumentReference',
        id: `${id}-doc`,
        status: 'current',
        subject: { reference: `Patient/${id}` },
        date: new Date().toISOString(),
        content: [{ attachment: { contentType: 'text/plain', url: `Binary/${id}-text` } }],
      },
    ];
    await fhir.loadBundle({ resourceType: 'Bundle', type: 'transaction', entry: resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })) });
    const [card] = await fire('trial-match', 'patient-view', { patientId: id });
    expect(card?.summary).toMatch(/recruiting trials? may fit/);
    // The hypertension trial, on the note's own sentence (read from the Binary: nothing else in the record says it).
    expect(card?.detail).toContain('NCT00000001');
    expect(card?.detail).toContain('58-year-old woman with essential hypertension');
  });
});
