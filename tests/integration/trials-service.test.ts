/**
 * The `trial-match` CDS service as an EHR calls it: the shipped definition (cds-hooks/trial-match.json)
 * bound to its logic, behind the HTTP app, over a PGlite trial store holding the small fixture
 * trials. A patient who fits the recruiting hypertension trial gets a card; one whose note rules
 * it out gets none; a required key that cannot be had is a 412; note sentences not embedded by the
 * deadline give no card that call and are reused by the next.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import type { Card } from '../../src/hooks/schema.js';
import { bindServices, loadServiceDefinitions } from '../../src/hooks/service-definitions.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { TRIAL_MATCH_EXTENSION } from '../../src/services/trials/card.js';
import { TrialMatcher } from '../../src/services/trials/match.js';
import { openTrials } from '../../src/services/trials/store/open.js';
import { trialFiles } from '../../src/services/trials/store/trial-files.js';
import { TRIAL_MATCH_SERVICE_ID, trialMatchLogic } from '../../src/services/trials/service.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { TRIALS } from './trials-fixtures.js';
import { repoPath } from '../support/repo-root.js';

const REF = new Date('2025-05-20T12:00:00Z');

/** Each embedding call takes `delayMs`: USE-lite's cost, made visible to a deadline. */
class SlowEmbeddings extends HashingEmbeddings {
  delayMs = 0;
  override async embedDocuments(texts: string[]): Promise<number[][]> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    return super.embedDocuments(texts);
  }
}

const bundle = (resources: unknown[]) => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });

/** A 62-year-old woman with coded hypertension, a recorded eGFR and a note: every prefetch key filled. */
function prefetch(patientId: string, note: string) {
  return {
    patient: { resourceType: 'Patient', id: patientId, gender: 'female', birthDate: '1963-02-01' },
    observations: bundle([
      {
        resourceType: 'Observation',
        id: `${patientId}-egfr`,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '33914-3' }] },
        subject: { reference: `Patient/${patientId}` },
        effectiveDateTime: '2025-05-01T09:00:00Z',
        valueQuantity: { value: 72, unit: 'mL/min/{1.73_m2}', system: 'http://unitsofmeasure.org', code: 'mL/min/{1.73_m2}' },
      },
    ]),
    conditions: bundle([
      {
        resourceType: 'Condition',
        id: `${patientId}-htn`,
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '59621000', display: 'Essential hypertension' }] },
        subject: { reference: `Patient/${patientId}` },
      },
    ]),
    medicationRequests: bundle([]),
    medicationStatements: bundle([]),
    notes: bundle([
      {
        resourceType: 'DocumentReference',
        id: `${patientId}-note`,
        status: 'current',
        subject: { reference: `Patient/${patientId}` },
        date: '2025-05-20T09:00:00Z',
        content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(note).toString('base64') } }],
      },
    ]),
    reports: bundle([]),
  };
}

/** Long enough that a loaded machine answers the ordinary calls in time. */
const DEADLINE_MS = 2000;
const FITS = 'Seen for hypertension. Blood pressure 162/94 despite amlodipine. No history of sepsis.';
const RULED_OUT = `${FITS} She has type 1 diabetes since childhood, on insulin.`;

describe('trial-match service over HTTP (PGlite, fixture trials)', () => {
  let t: TestDatabase;
  let server: Server;
  let base: string;
  const embeddings = new SlowEmbeddings();

  beforeAll(async () => {
    t = await openTestDatabase('pglite', { migrate: true });
    await importTrials(t.db, TRIALS, embeddings, { log: createLogger('silent') });
    const matcher = new TrialMatcher({ db: t.db, embeddings });
    const declared = (await loadServiceDefinitions(repoPath('cds-hooks'))).filter((d) => d.definition.id === TRIAL_MATCH_SERVICE_ID);
    expect(declared).toHaveLength(1);
    const services = bindServices(declared, { [TRIAL_MATCH_SERVICE_ID]: trialMatchLogic({ matcher, smartAppUrl: 'https://cairn.example.org/app/launch.html', now: () => REF }) });
    const app = createApp({
      config: { publicUrl: 'http://localhost', corsOrigins: [], hookDeadlineMs: DEADLINE_MS, fhirTimeoutMs: 500, fhirConcurrency: 2, fhirMaxPages: 2, requireAuth: false, maxRequestBytes: 1 << 20 },
      services,
      db: t.db,
      metrics: createMetrics(),
      log: createLogger('silent'),
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await t?.dispose();
  });

  const call = async (patientId: string, body: Record<string, unknown>) => {
    const res = await fetch(`${base}/cds-services/${TRIAL_MATCH_SERVICE_ID}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId }, ...body }),
    });
    return { status: res.status, json: (await res.json()) as { cards?: Card[] } };
  };

  it('answers a patient who fits the recruiting hypertension trial with one conformant card', async () => {
    const res = await call('p1', { prefetch: prefetch('p1', FITS) });
    expect(res.status).toBe(200);
    expect(checkCdsResponse(res.json)).toEqual([]);
    expect(res.json.cards).toHaveLength(1);
    const card = res.json.cards![0]!;
    expect(card.summary).toBe('1 recruiting trial may fit');
    expect(card.detail).toContain('**NCT00000001**: Intensive Blood Pressure Lowering in Hypertension');
    const [trial] = (card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ criteria: Array<{ criterion: string }> }> }).trials;
    expect(trial!.criteria.find((c) => c.criterion === 'eGFR < 30 mL/min/1.73m2')).toMatchObject({
      kind: 'exclusion',
      status: 'not-met',
      basis: 'record',
      evidence: { value: 72, unit: 'mL/min/{1.73_m2}', time: '2025-05-01T09:00:00.000Z' },
    });
    expect(card.links?.map((l) => [l.type, l.url])).toEqual([
      ['smart', 'https://cairn.example.org/app/launch.html'],
      ['absolute', 'https://clinicaltrials.gov/study/NCT00000001'],
    ]);
    // The completed sepsis trial is never a candidate; the diabetes trial has nothing documented for it.
    expect((card.extension?.[TRIAL_MATCH_EXTENSION] as { fitting: number; retrieved: number }).fitting).toBe(1);
  });

  it('answers a patient whose note rules the trials out with no card', async () => {
    const res = await call('p2', { prefetch: prefetch('p2', RULED_OUT) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ cards: [] });
  });

  it('answers 412 when a required key (the notes) was not prefetched and there is no FHIR server', async () => {
    const { notes: _notes, ...rest } = prefetch('p1', FITS);
    const res = await call('p1', { prefetch: rest });
    expect(res.status).toBe(412);
  });

  it('gives no card while the note sentences are still being embedded at the deadline, then reuses them', async () => {
    // 80 new sentences = 5 batches of 16; at 600 ms a batch, 4 start before the 2,000 ms deadline.
    const note = `${FITS} ${Array.from({ length: 80 }, (_, i) => `Follow-up visit number ${i + 1} was uneventful.`).join(' ')}`;
    embeddings.delayMs = 600;
    embeddings.resetCounts();
    try {
      const first = await call('p3', { prefetch: prefetch('p3', note) });
      expect(first.json).toEqual({ cards: [] });
      await new Promise((r) => setTimeout(r, 1000)); // the batch in flight at the deadline finishes
      const embeddedFirst = embeddings.documentsEmbedded;
      // The first three sentences are cached since the first test: 80 are new.
      expect(embeddedFirst).toBeGreaterThan(0);
      expect(embeddedFirst).toBeLessThan(80); // stopped: not every sentence
      const second = await call('p3', { prefetch: prefetch('p3', note) });
      // The second call embeds only what is left, and answers.
      expect(embeddings.documentsEmbedded).toBe(80);
      expect(second.json.cards?.[0]?.summary).toBe('1 recruiting trial may fit');
      expect(second.json.cards?.[0]?.detail).toContain('**NCT00000001**');
    } finally {
      embeddings.delayMs = 0;
    }
  }, 20_000);

  it('stops reading and judging a huge record at the deadline, with no card, and keeps answering other calls meanwhile', async () => {
    // Three notes of 200,000 characters (the most read of one note) in sentences of two words: 120,000 sentences.
    const body = prefetch('p4', FITS);
    const note = body.notes.entry[0]!.resource as Record<string, unknown>;
    body.notes = bundle([0, 1, 2].map((i) => ({ ...note, id: `p4-note-${i}`, content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Hypertension noted. '.repeat(10_000)).toString('base64') } }] })));
    const started = performance.now();
    const hook = call('p4', { prefetch: body });
    // Discovery, asked while the hook runs, waits for a slice of the work, not for all of it.
    await new Promise((r) => setTimeout(r, 300));
    const askedAt = performance.now();
    expect((await fetch(`${base}/cds-services`)).status).toBe(200);
    const discoveryMs = performance.now() - askedAt;
    const res = await hook;
    const hookMs = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ cards: [] });
    expect(hookMs).toBeLessThan(DEADLINE_MS + 1_000);
    expect(discoveryMs).toBeLessThan(500);
  }, 20_000);
});

describe('openTrials (start-up import)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('pglite', { migrate: true });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('imports the recruiting trials of a directory, then finds them unchanged on the next start', async () => {
    expect(await trialFiles([repoPath('tests/fixtures/trials')])).toEqual([repoPath('tests/fixtures/trials/fixture-trials.jsonl')]);
    const embeddings = new HashingEmbeddings();
    const log = createLogger('silent');
    const first = await openTrials(t.db, embeddings, { paths: [repoPath('tests/fixtures/trials')], log });
    // NCT00000003 is Completed: no card could show it, so start-up does not embed it.
    expect(first.report).toMatchObject({ trials: 2, added: 2 });
    expect(first.skipped).toBe(1);
    expect(await first.matcher.loadTrials(['NCT00000003'])).toEqual([]);
    embeddings.resetCounts();
    const second = await openTrials(t.db, embeddings, { paths: [repoPath('tests/fixtures/trials')], log });
    expect(second.report).toMatchObject({ trials: 2, added: 0, unchanged: 2, criteriaEmbedded: 0 });
    expect(embeddings.documentsEmbedded).toBe(0);
    expect((await second.matcher.loadTrials(['NCT00000001']))[0]?.title).toBe('Intensive Blood Pressure Lowering in Hypertension');
  });

  it('imports every status when asked to', async () => {
    const opened = await openTrials(t.db, new HashingEmbeddings(), { paths: [repoPath('tests/fixtures/trials')], log: createLogger('silent'), statuses: 'all' });
    expect(opened.skipped).toBe(0);
    expect((await opened.matcher.loadTrials(['NCT00000003']))[0]?.nctId).toBe('NCT00000003');
  });

  it('stops start-up on a path that does not exist, naming it', async () => {
    await expect(openTrials(t.db, new HashingEmbeddings(), { paths: ['tests/fixtures/no-such-trials'], log: createLogger('silent') })).rejects.toThrow(
      'CAIRN_TRIALS: tests/fixtures/no-such-trials does not exist',
    );
  });
});
