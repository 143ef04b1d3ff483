/**
 * The coordinator screening API end to end, on PGlite and PostgreSQL: patients on the dev FHIR
 * server (over HTTP), a fixture trial, the HTTP routes, the queue and the worker; a restart midway
 * (worker stopped, database closed and reopened, a crashed worker's claims left behind) resumes
 * and ends with exactly one result per patient.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { startDevFhirServer, type DevFhirServer } from '../../dev/fhir-server/index.js';
import { createFhirGateway, FhirFetchError, type FhirGateway } from '../../src/fhir/gateway.js';
import { AuthError, type JwtVerifier } from '../../src/http/auth/verify-jwt.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { claimItems, completeItem, completeItems, createScreening } from '../../src/services/trials/screening/store.js';
import { screenPatient } from '../../src/services/trials/screening/screen-patient.js';
import { startScreeningWorker, type ScreeningWorker } from '../../src/services/trials/screening/worker.js';
import type { ChatLlm } from '../../src/llm/index.js';
import { refineUnknownCriteria } from '../../src/services/trials/matching/llm-refine.js';
import { loadTrials } from '../../src/services/trials/store/trial-store.js';
import { TrialMatcher } from '../../src/services/trials/match.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { createPostgresTestDatabase, databaseKinds, type DatabaseKind } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { collection, syntheticCohort, syntheticPatient } from '../support/synthetic-patients.js';
import { TRIALS } from './trials-fixtures.js';

const HTN_TRIAL = 'NCT00000001';
const log = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Issuer by token: 'token-a' → client A, 'token-b' → client B; anything else is rejected. Records the path it was asked to check. */
const audiences: string[] = [];
const verifier: JwtVerifier = async (token, publicUrls, routePath) => {
  for (const base of publicUrls) audiences.push(`${base}${routePath}`);
  if (token === 'token-a') return { iss: 'https://ehr-a.example.org', jti: String(Math.random()), fhirServers: [] };
  if (token === 'token-b') return { iss: 'https://ehr-b.example.org', jti: String(Math.random()), fhirServers: [] };
  throw new AuthError('unknown token');
};

/** One database that can be closed and opened again (a PGlite data directory, or a PostgreSQL database). */
interface Reopenable {
  open(): Promise<Database>;
  dispose(): Promise<void>;
}

async function reopenable(kind: DatabaseKind): Promise<Reopenable> {
  if (kind === 'pglite') {
    const dir = await mkdtemp(path.join(tmpdir(), 'cairn-screening-'));
    return { open: () => openDatabase({ dataDir: dir }), dispose: () => rm(dir, { recursive: true, force: true }) };
  }
  const fresh = await createPostgresTestDatabase();
  return { open: () => openDatabase({ url: fresh.url }), dispose: () => fresh.drop() };
}

interface Running {
  db: Database;
  worker: ScreeningWorker;
  server: Server;
  base: string;
  stop(): Promise<void>;
}

describe.each(databaseKinds)('coordinator screenings on %s', (kind) => {
  let fhir: DevFhirServer;
  let store: Reopenable;
  let gateway: FhirGateway;
  let cairn: Running;
  const embeddings = new HashingEmbeddings();

  /** Cairn's screening half: app (auth on) + worker, on the given database. */
  async function start(db: Database, opts: { concurrency?: number; leaseMs?: number; gateway?: FhirGateway } = {}): Promise<Running> {
    const matcher = new TrialMatcher({ db, embeddings });
    const worker = startScreeningWorker({
      db,
      matcher,
      gatewayFor: (url) => (url === fhir.baseUrl ? (opts.gateway ?? gateway) : undefined),
      config: { concurrency: opts.concurrency ?? 2, leaseMs: opts.leaseMs ?? 30_000, maxAttempts: 2, pollMs: 50 },
      log,
    });
    const app = createApp({
      config: {
        publicUrl: 'http://cairn.test',
        corsOrigins: [],
        hookDeadlineMs: 1000,
        fhirTimeoutMs: 1000,
        fhirConcurrency: 2,
        fhirMaxPages: 5,
        requireAuth: true,
        maxRequestBytes: 1024 * 1024,
      },
      services: [],
      db,
      verifier,
      metrics: createMetrics(),
      log,
      screening: { fhirServer: fhir.baseUrl, gateway, wake: () => worker.wake() },
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      db,
      worker,
      server,
      base,
      async stop() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await worker.stop();
        await db.close();
      },
    };
  }

  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${cairn.base}${url}`, {
      method,
      headers: { authorization: 'Bearer token-a', ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  async function waitForCompletion(id: string, timeoutMs = 30_000): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const started = Date.now();
    for (;;) {
      const res = await call('GET', `/screenings/${id}?limit=500`);
      expect(res.status).toBe(200);
      if (res.body.status === 'completed') return res.body;
      if (Date.now() - started > timeoutMs) throw new Error(`screening ${id} not completed: ${JSON.stringify(res.body.progress)}`);
      await sleep(50);
    }
  }

  /** Waits until the live worker has nothing pending. */
  async function idle(): Promise<void> {
    for (let i = 0; i < 600; i++) {
      // A cancelled screening's patients not started stay pending for good.
      const res = await cairn.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM screening_patients sp JOIN screenings s ON s.id = sp.screening_id WHERE sp.status = 'pending' AND s.status <> 'cancelled'",
      );
      if (Number(res.rows[0]?.n) === 0) return;
      await sleep(50);
    }
    throw new Error('the worker did not finish the queued screenings');
  }

  beforeAll(async () => {
    fhir = await startDevFhirServer();
    const fixed = [
      // Hypertensive, systolic 162: meets the trial's inclusion, no exclusion documented.
      syntheticPatient({ id: 'eligible-1', sex: 'female', birthDate: '1961-03-02', conditions: ['hypertension'], systolic: 162, egfr: 75, note: 'Seen for blood pressure review.' }),
      // Also has type 1 diabetes: an exclusion criterion met on the record.
      syntheticPatient({ id: 'excluded-1', sex: 'male', birthDate: '1958-07-19', conditions: ['hypertension', 'type-1-diabetes'], systolic: 158 }),
      // Asthma only, no blood pressure on record: nothing documented matches what the trial studies
      // (a recorded systolic of 118 would exclude: an inclusion criterion not met on the record).
      syntheticPatient({ id: 'irrelevant-1', sex: 'female', birthDate: '1980-01-01', conditions: ['asthma'], note: 'Asthma review, inhaler technique checked.' }),
      // A bare Patient: nothing to judge on.
      syntheticPatient({ id: 'empty-1', sex: 'male', birthDate: '1970-05-05' }),
      // Would be eligible, but the record says she died.
      syntheticPatient({ id: 'deceased-1', sex: 'female', birthDate: '1955-02-02', conditions: ['hypertension'], systolic: 165 }).map((r) =>
        r.resourceType === 'Patient' ? { ...r, deceasedDateTime: '2026-02-01T10:00:00Z' } : r,
      ),
    ].flat();
    await fhir.loadBundle(collection([...fixed, ...syntheticCohort(12, 7, 'cohort').flatMap(syntheticPatient)]));
    await fhir.loadBundle(
      collection([
        {
          resourceType: 'Group',
          id: 'clinic-a',
          type: 'person',
          actual: true,
          member: [
            { entity: { reference: 'Patient/eligible-1' } },
            { entity: { reference: 'Patient/excluded-1' }, inactive: true },
            { entity: { reference: 'Practitioner/x' } },
            { entity: { reference: 'Patient/empty-1' } },
          ],
        },
      ]),
    );
    gateway = createFhirGateway({ baseUrl: fhir.baseUrl, timeoutMs: 5000, concurrency: 8, maxPages: 5 });
    store = await reopenable(kind);
    const db = await store.open();
    await migrate(db);
    await importTrials(db, TRIALS, embeddings);
    cairn = await start(db);
  }, 60_000);

  afterAll(async () => {
    await cairn?.stop().catch(() => undefined);
    await store?.dispose();
    await fhir?.close();
  });

  it('screens a list of patients against the trial with the right categories and criterion tables', async () => {
    const res = await call('POST', `/trials/${HTN_TRIAL}/screenings`, {
      patients: ['Patient/eligible-1', 'Patient/excluded-1', 'Patient/irrelevant-1', 'Patient/empty-1', 'Patient/not-on-server', 'Patient/eligible-1'],
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`http://cairn.test/screenings/${res.body.id}`);
    expect(res.body).toMatchObject({ nctId: HTN_TRIAL, source: { kind: 'patients' }, progress: { total: 5 } });
    // The aud checked is the exact URL called.
    expect(audiences).toContain(`http://cairn.test/trials/${HTN_TRIAL}/screenings`);

    const done = await waitForCompletion(res.body.id);
    expect(done.progress).toEqual({ total: 5, done: 4, failed: 1, pending: 0 });
    expect(done.categories).toEqual({ eligible: 1, excluded: 1, irrelevant: 1, unknown: 1 });
    const byPatient = new Map((done.results as Array<Record<string, any>>).map((r) => [r.patient, r])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect([...byPatient.keys()]).toEqual(['Patient/eligible-1', 'Patient/excluded-1', 'Patient/irrelevant-1', 'Patient/empty-1', 'Patient/not-on-server']);
    expect(byPatient.get('Patient/eligible-1')?.category).toBe('eligible');
    expect(byPatient.get('Patient/excluded-1')?.category).toBe('excluded');
    expect(byPatient.get('Patient/irrelevant-1')?.category).toBe('irrelevant');
    expect(byPatient.get('Patient/empty-1')?.category).toBe('unknown');
    expect(byPatient.get('Patient/not-on-server')).toMatchObject({ status: 'failed', error: 'Patient/not-on-server was not found on the FHIR server', attempts: 1 });

    // The criterion table: every criterion in trial order, verbatim, with status, evidence and reason.
    const table = byPatient.get('Patient/excluded-1')?.criteria as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const t1 = table.find((c) => c.text === 'Type 1 diabetes');
    expect(t1).toMatchObject({ kind: 'exclusion', status: 'met', basis: 'record', evidence: [{ kind: 'record', source: 'Condition/excluded-1-type-1-diabetes' }] });
    expect(t1?.reason).toEqual(expect.any(String));
    const eligibleTable = byPatient.get('Patient/eligible-1')?.criteria as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(eligibleTable.find((c) => c.text === 'Systolic blood pressure >= 140 mmHg')).toMatchObject({
      kind: 'inclusion',
      status: 'met',
      evidence: [{ source: 'Observation/eligible-1-sbp' }],
    });
    expect(eligibleTable.map((c) => c.number)).toEqual(eligibleTable.map((_c, i) => i + 1));

    // Each call is in the audit trail, with its caller and the screening, and no patient id.
    let audited: Array<{ method: string; route: string; status: number; issuer: string; entity: string }> = [];
    // The trail writes in gathered batches: up to 10 s, for a machine busy with Jest's other worker.
    for (let i = 0; i < 200 && audited.length < 2; i++) {
      audited = (await cairn.db.query<(typeof audited)[number]>(`SELECT method, route, status, issuer, entity FROM audit_events WHERE action = 'screening' AND entity LIKE $1 ORDER BY id`, [`%${res.body.id}`])).rows;
      if (audited.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(audited[0]).toEqual({ method: 'POST', route: '/trials/:nctId/screenings', status: 202, issuer: 'https://ehr-a.example.org', entity: `${HTN_TRIAL} screening ${res.body.id}` });
    expect(audited.slice(1).every((a) => a.method === 'GET' && a.route === '/screenings/:id' && a.status === 200)).toBe(true);
    expect(JSON.stringify(audited)).not.toContain('eligible-1');
  });

  it('does not screen a patient recorded as deceased, and says why', async () => {
    const [trial] = await loadTrials(cairn.db, [HTN_TRIAL]);
    const matcher = new TrialMatcher({ db: cairn.db, embeddings });
    const outcome = await screenPatient({ patientId: 'deceased-1', trial: trial!, gateway, matcher });
    expect(outcome).toEqual({ ok: false, kind: 'permanent', error: 'Patient/deceased-1 is recorded as deceased (2026-02-01T10:00:00Z): not screened' });
  });

  it('puts the criteria left unknown to the language model when one is configured, keeping only verdicts it can find in the record', async () => {
    const [trial] = await loadTrials(cairn.db, [HTN_TRIAL]);
    const matcher = new TrialMatcher({ db: cairn.db, embeddings });
    /** A fake model: says "not-met" for the first criterion it is asked about, citing `quote`. */
    const model = (quote: string): ChatLlm => ({
      id: 'fake:model',
      complete: (messages) => {
        const first = /^\[(\d+)\] \((?:inclusion|exclusion)\)/m.exec(messages[1]?.content ?? '');
        return Promise.resolve(JSON.stringify({ verdicts: first ? [{ criterion: Number(first[1]), status: 'not-met', quote }] : [] }));
      },
    });
    const screen = (llm: ChatLlm) =>
      screenPatient({
        patientId: 'irrelevant-1',
        trial: trial!,
        gateway,
        matcher,
        refine: async (profile, judgement) => (await refineUnknownCriteria(profile, judgement, llm, { timeoutMs: 5000, log })).judgement,
      });
    const plain = await screenPatient({ patientId: 'irrelevant-1', trial: trial!, gateway, matcher });
    if (!plain.ok) throw new Error(plain.error);
    expect(plain.result.criteria.some((c) => c.status === 'unknown')).toBe(true);

    const cited = await screen(model('Asthma review, inhaler technique checked.'));
    if (!cited.ok) throw new Error(cited.error);
    const byModel = cited.result.criteria.filter((c) => c.basis === 'llm');
    expect(byModel).toHaveLength(1);
    expect(byModel[0]).toMatchObject({ status: 'not-met', evidence: [{ kind: 'note', text: 'Asthma review, inhaler technique checked.' }] });
    expect(plain.result.criteria.find((c) => c.number === byModel[0]!.number)?.status).toBe('unknown');

    const invented = await screen(model('The patient is keen to join a trial.'));
    if (!invented.ok) throw new Error(invented.error);
    expect(invented.result.criteria).toEqual(plain.result.criteria);
  });

  it('resolves a FHIR Group to its active Patient members', async () => {
    const res = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { group: 'Group/clinic-a' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ source: { kind: 'group', group: 'Group/clinic-a' }, progress: { total: 2 } });
    const done = await waitForCompletion(res.body.id);
    expect(done.results.map((r: { patient: string }) => r.patient)).toEqual(['Patient/eligible-1', 'Patient/empty-1']);
  });

  it('pages results and filters by category', async () => {
    const created = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/eligible-1', 'Patient/irrelevant-1', 'Patient/empty-1'] });
    await waitForCompletion(created.body.id);
    const first = await call('GET', `/screenings/${created.body.id}?limit=2`);
    expect(first.body.results).toHaveLength(2);
    expect(first.body.page).toEqual({ offset: 0, limit: 2, matching: 3, next: `http://cairn.test/screenings/${created.body.id}?offset=2&limit=2` });
    const second = await call('GET', `/screenings/${created.body.id}?offset=2&limit=2`);
    expect(second.body.results.map((r: { patient: string }) => r.patient)).toEqual(['Patient/empty-1']);
    expect(second.body.page.next).toBeUndefined();
    const unknown = await call('GET', `/screenings/${created.body.id}?category=unknown`);
    expect(unknown.body.results.map((r: { patient: string }) => r.patient)).toEqual(['Patient/empty-1']);
  });

  it('answers bad input with OperationOutcomes: 404 unknown trial or screening, 400 malformed body or query', async () => {
    const unknownTrial = await call('POST', '/trials/NCT99999999/screenings', { patients: ['Patient/eligible-1'] });
    expect(unknownTrial.status).toBe(404);
    expect(unknownTrial.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    expect((await call('POST', '/trials/not-an-nct/screenings', { patients: ['Patient/1'] })).status).toBe(404);

    for (const body of [{}, { patients: [] }, { patients: ['1'] }, { patients: ['Patient/1'], group: 'Group/clinic-a' }, { group: 'clinic-a' }, { patients: ['Patient/1'], extra: true }]) {
      const res = await call('POST', `/trials/${HTN_TRIAL}/screenings`, body);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    const notJson = await call('POST', `/trials/${HTN_TRIAL}/screenings`, '{"patients": [', {});
    expect(notJson.status).toBe(400);
    const missingGroup = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { group: 'Group/nope' });
    expect(missingGroup.status).toBe(400);
    expect(missingGroup.body.issue[0].diagnostics).toBe('Group/nope was not found on the FHIR server');

    expect((await call('GET', '/screenings/8b0c5a52-4a4e-4a8e-9f59-3c0e2c1d9a10')).status).toBe(404);
    expect((await call('GET', '/screenings/not-a-uuid')).status).toBe(404);
    const created = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/empty-1'] });
    expect((await call('GET', `/screenings/${created.body.id}?limit=100000`)).status).toBe(400);
    const put = await call('PUT', `/screenings/${created.body.id}`);
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, DELETE');
  });

  it('needs authentication (401) and shows a screening only to the client that created it', async () => {
    const noToken = await fetch(`${cairn.base}/trials/${HTN_TRIAL}/screenings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"patients":["Patient/empty-1"]}' });
    expect(noToken.status).toBe(401);
    const created = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/empty-1'] });
    expect((await call('GET', `/screenings/${created.body.id}`, undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call('GET', `/screenings/${created.body.id}`, undefined, { authorization: 'Bearer token-b' })).status).toBe(404);
    expect((await call('GET', `/screenings/${created.body.id}`)).status).toBe(200);
  });

  it('a cancelled screening starts none of the patients a worker had claimed ahead', async () => {
    await idle();
    await cairn.stop();
    const cohort = syntheticCohort(12, 7, 'cohort').slice(0, 6).map((p) => p.id);
    const [first, second, third, fourth] = cohort as [string, string, string, string];
    // The second and third patients' reads wait until the test lets them go; which patients were read is recorded.
    const held = new Map<string, () => void>();
    const gates = new Map<string, Promise<void>>(
      [second, third].map((id) => [id, new Promise<void>((resolve) => held.set(id, resolve))] as const),
    );
    const read = new Set<string>();
    const patientOf = (url: string) => cohort.find((id) => url.includes(`Patient/${id}`) || url.includes(`patient=${id}`));
    const gated: FhirGateway = {
      async get(url, signal) {
        const patient = patientOf(url);
        if (patient) {
          read.add(patient);
          await gates.get(patient);
        }
        return gateway.get(url, signal);
      },
      collectPages: (page, signal) => gateway.collectPages(page, signal),
    };
    // Two at once, and claims take two: when the first patient is done, its slot claims the third
    // and the fourth; the third starts, the fourth waits claimed for a slot.
    cairn = await start(await store.open(), { gateway: gated, concurrency: 2 });
    const created = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: cohort.map((id) => `Patient/${id}`) });
    const id = created.body.id as string;
    for (let i = 0; i < 400 && !read.has(third); i++) await sleep(10);
    expect([...read].sort()).toEqual([first, second, third].sort());
    const cancelled = await call('DELETE', `/screenings/${id}`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', progress: { done: 1 } });

    // The two in flight finish; the fourth, claimed before the cancellation, never starts.
    for (const release of held.values()) release();
    for (let i = 0; i < 400; i++) {
      if ((await call('GET', `/screenings/${id}`)).body.progress.done >= 3) break;
      await sleep(10);
    }
    await sleep(300);
    expect(read.has(fourth)).toBe(false);
    const later = await call('GET', `/screenings/${id}`);
    expect(later.body).toMatchObject({ status: 'cancelled', progress: { done: 3, pending: 3 } });
    // Given back: no claim left on it, and the attempt it never had not counted.
    const rows = await cairn.db.query<{ claimed_by: string | null; attempts: number }>(
      "SELECT claimed_by, attempts FROM screening_patients WHERE screening_id = $1 AND status = 'pending' ORDER BY ordinal",
      [id],
    );
    expect(rows.rows.map((r) => [r.claimed_by, Number(r.attempts)])).toEqual([
      [null, 0],
      [null, 0],
      [null, 0],
    ]);
  }, 30_000);

  it('cancels a screening (DELETE): no more patients start, finished results stay readable, idempotent, owner only', async () => {
    await idle();
    await cairn.stop();
    // Slow reads and one patient at a time, so that the screening is caught midway.
    const slow: FhirGateway = {
      async get(url, signal) {
        await sleep(150);
        return gateway.get(url, signal);
      },
      collectPages: (first, signal) => gateway.collectPages(first, signal),
    };
    cairn = await start(await store.open(), { gateway: slow, concurrency: 1 });
    const cohort = syntheticCohort(12, 7, 'cohort').map((p) => `Patient/${p.id}`);
    const created = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: cohort });
    const id = created.body.id as string;
    for (let i = 0; i < 200; i++) {
      if ((await call('GET', `/screenings/${id}`)).body.progress.done >= 2) break;
      await sleep(25);
    }

    // Another client cannot cancel it, nor learn it exists; unknown ids are 404 too.
    expect((await call('DELETE', `/screenings/${id}`, undefined, { authorization: 'Bearer token-b' })).status).toBe(404);
    expect((await call('DELETE', '/screenings/8b0c5a52-4a4e-4a8e-9f59-3c0e2c1d9a10')).status).toBe(404);
    expect((await call('DELETE', '/screenings/not-a-uuid')).body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });

    const cancelled = await call('DELETE', `/screenings/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled' });
    expect(typeof cancelled.body.cancelledAt).toBe('string');
    const doneAtCancel = cancelled.body.progress.done as number;
    expect(doneAtCancel).toBeGreaterThanOrEqual(2);

    // The one patient in flight (concurrency 1) may finish, and one finished just before the
    // cancellation may still be waiting (at most 100 ms) in the worker's result batch to be stored
    // (worker.ts); nothing after them starts (each patient takes over a second of slow reads here).
    await sleep(1000);
    const later = await call('GET', `/screenings/${id}?limit=500`);
    expect(later.body.status).toBe('cancelled');
    expect(later.body.progress.done + later.body.progress.failed).toBeLessThanOrEqual(doneAtCancel + 2);
    expect(later.body.progress.pending).toBeGreaterThan(0);
    const inFlight = await cairn.db.query("SELECT 1 FROM screening_patients WHERE screening_id = $1 AND claimed_by IS NOT NULL AND status = 'pending'", [id]);
    expect(inFlight.rowCount).toBe(0);
    // Finished results are still there, with their categories and criterion tables.
    const finished = (later.body.results as Record<string, unknown>[]).filter((r) => r.status === 'done');
    expect(finished.length).toBe(later.body.progress.done);
    for (const r of finished) expect(r).toMatchObject({ category: expect.any(String), criteria: expect.any(Array) });

    // Idempotent: the same answer, the first cancellation's time.
    const again = await call('DELETE', `/screenings/${id}`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'cancelled', cancelledAt: cancelled.body.cancelledAt });

    // A completed screening has nothing left to cancel: it stays completed.
    await cairn.stop();
    cairn = await start(await store.open());
    const small = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/empty-1'] });
    await waitForCompletion(small.body.id);
    const late = await call('DELETE', `/screenings/${small.body.id}`);
    expect(late.status).toBe(200);
    expect(late.body.status).toBe('completed');
    expect(late.body.cancelledAt).toBeUndefined();
  }, 30_000);

  it('is idempotent with an Idempotency-Key: the same request returns the same screening, another one is a conflict', async () => {
    const key = { 'idempotency-key': `key-${kind}` };
    const first = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/eligible-1'] }, key);
    const again = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/eligible-1'] }, key);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/empty-1'] }, key);
    expect(other.status).toBe(409);
    // Another client may use the same key for its own screening.
    const otherClient = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/eligible-1'] }, { ...key, authorization: 'Bearer token-b' });
    expect(otherClient.status).toBe(202);
    expect(otherClient.body.id).not.toBe(first.body.id);
  });

  it('retries a patient after a transient FHIR failure, and fails it with the reason once the attempts are used up', async () => {
    await idle();
    await cairn.stop();
    let eligibleFailures = 0;
    // eligible-1's first read times out; empty-1's server error never clears (2 attempts in these tests).
    const flaky: FhirGateway = {
      async get(url, signal) {
        if (url === 'Patient/eligible-1' && eligibleFailures++ === 0) throw new FhirFetchError('Patient/eligible-1: no answer within 5000 ms', 'timeout');
        if (url === 'Patient/empty-1') throw new FhirFetchError('Patient/empty-1: HTTP 503', 'http', 503);
        return gateway.get(url, signal);
      },
      collectPages: (first, signal) => gateway.collectPages(first, signal),
    };
    cairn = await start(await store.open(), { gateway: flaky });
    const created = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: ['Patient/eligible-1', 'Patient/empty-1'] });
    const done = await waitForCompletion(created.body.id);
    expect(done.progress).toEqual({ total: 2, done: 1, failed: 1, pending: 0 });
    expect(done.results[0]).toMatchObject({ patient: 'Patient/eligible-1', status: 'done', category: 'eligible', attempts: 2 });
    expect(done.results[1]).toMatchObject({ patient: 'Patient/empty-1', status: 'failed', attempts: 2 });
    expect(done.results[1].error).toContain('HTTP 503');
    await cairn.stop();
    cairn = await start(await store.open());
  }, 30_000);

  it('a claim lost to an expired lease writes nothing: the result is stored once', async () => {
    await idle();
    // No live worker during the check: stop, and restart on the same database after it.
    await cairn.stop();
    const db = await store.open();
    try {
      const created = await createScreening(db, {
        nctId: HTN_TRIAL,
        fhirServer: fhir.baseUrl,
        source: { kind: 'patients' },
        patientIds: ['empty-1'],
        clientIss: 'https://ehr-a.example.org',
        requestHash: 'test',
      });
      const id = created.screening.id;
      const [a] = await claimItems(db, { workerId: 'worker-a', limit: 1, leaseMs: 1 });
      expect(a?.screeningId).toBe(id);
      await sleep(20);
      const [b] = await claimItems(db, { workerId: 'worker-b', limit: 1, leaseMs: 60_000 });
      expect(b).toMatchObject({ screeningId: id, attempt: 2 });
      const result = { category: 'unknown' as const, summary: 'test', criteria: [] };
      expect(await completeItem(db, a as NonNullable<typeof a>, result)).toBe(false);
      expect(await completeItem(db, b as NonNullable<typeof b>, result)).toBe(true);
      expect(await completeItem(db, b as NonNullable<typeof b>, result)).toBe(false);
      const s = await db.query<{ done: number; status: string }>('SELECT done, status FROM screenings WHERE id = $1', [id]);
      expect(s.rows[0]).toEqual({ done: 1, status: 'completed' });
    } finally {
      await db.close();
      cairn = await start(await store.open());
    }
  });

  it('stores a batch of results at once: a lost claim is skipped, the count rises by the results stored', async () => {
    await idle();
    await cairn.stop();
    const db = await store.open();
    try {
      const created = await createScreening(db, {
        nctId: HTN_TRIAL,
        fhirServer: fhir.baseUrl,
        source: { kind: 'patients' },
        patientIds: ['batch-1', 'batch-2', 'batch-3', 'batch-4'],
        clientIss: 'https://ehr-a.example.org',
        requestHash: 'batch',
      });
      const id = created.screening.id;
      const claimed = await claimItems(db, { workerId: 'worker-a', limit: 3, leaseMs: 60_000 });
      expect(claimed.map((c) => c.ordinal)).toEqual([0, 1, 2]);
      // The second one's claim is lost: its lease ran out and worker B took it.
      await db.query("UPDATE screening_patients SET lease_expires_at = now() - interval '1 second' WHERE screening_id = $1 AND ordinal = 1", [id]);
      const [taken] = await claimItems(db, { workerId: 'worker-b', limit: 1, leaseMs: 60_000 });
      expect(taken).toMatchObject({ ordinal: 1, attempt: 2 });
      const result = (category: 'eligible' | 'excluded') => ({ category, summary: category, criteria: [] });
      const stored = await completeItems(db, claimed.map((item, i) => ({ item, result: result(i === 2 ? 'excluded' : 'eligible') })));
      expect(stored).toEqual([true, false, true]);
      const rows = await db.query<{ ordinal: number; status: string; category: string | null; claimed_by: string | null }>(
        'SELECT ordinal, status, category, claimed_by FROM screening_patients WHERE screening_id = $1 ORDER BY ordinal',
        [id],
      );
      expect(rows.rows).toEqual([
        { ordinal: 0, status: 'done', category: 'eligible', claimed_by: null },
        { ordinal: 1, status: 'pending', category: null, claimed_by: 'worker-b' },
        { ordinal: 2, status: 'done', category: 'excluded', claimed_by: null },
        { ordinal: 3, status: 'pending', category: null, claimed_by: null },
      ]);
      const s = await db.query<{ done: number; status: string }>('SELECT done, status FROM screenings WHERE id = $1', [id]);
      expect(s.rows[0]).toEqual({ done: 2, status: 'running' });
      // Storing the same batch again writes nothing and counts nothing.
      expect(await completeItems(db, claimed.map((item) => ({ item, result: result('eligible') })))).toEqual([false, false, false]);
      expect((await db.query<{ done: number }>('SELECT done FROM screenings WHERE id = $1', [id])).rows[0]?.done).toBe(2);
      // The last two complete the screening.
      const [last] = await claimItems(db, { workerId: 'worker-a', limit: 1, leaseMs: 60_000 });
      expect(await completeItems(db, [taken, last].map((item) => ({ item: item as NonNullable<typeof item>, result: result('eligible') })))).toEqual([true, true]);
      const done = await db.query<{ done: number; status: string }>('SELECT done, status FROM screenings WHERE id = $1', [id]);
      expect(done.rows[0]).toEqual({ done: 4, status: 'completed' });
    } finally {
      await db.close();
      cairn = await start(await store.open());
    }
  });

  it('survives a restart midway: resumes pending and crashed-worker items and ends with exactly one result per patient', async () => {
    const cohort = syntheticCohort(12, 7, 'cohort').map((p) => `Patient/${p.id}`);
    await idle();
    await cairn.stop();
    cairn = await start(await store.open(), { concurrency: 1 });
    const created = await call('POST', `/trials/${HTN_TRIAL}/screenings`, { patients: cohort });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    // Let some patients finish, then stop the server midway.
    for (let i = 0; i < 400; i++) {
      const res = await call('GET', `/screenings/${id}`);
      if (res.body.progress.done >= 3) break;
      await sleep(10);
    }
    await cairn.stop();

    // Between the two runs a worker "crashes" holding two claims: they come back when the lease expires.
    let db = await store.open();
    const before = await db.query<{ done: number }>('SELECT done FROM screenings WHERE id = $1', [id]);
    const doneBefore = Number(before.rows[0]?.done);
    expect(doneBefore).toBeGreaterThanOrEqual(3);
    expect(doneBefore).toBeLessThan(cohort.length);
    const crashed = await claimItems(db, { workerId: 'crashed-worker', limit: 2, leaseMs: 500 });
    expect(crashed.length).toBeGreaterThan(0);
    await db.close();

    db = await store.open();
    cairn = await start(db, { concurrency: 2 });
    const done = await waitForCompletion(id);
    expect(done.progress).toEqual({ total: cohort.length, done: cohort.length, failed: 0, pending: 0 });
    expect(done.results.map((r: { patient: string }) => r.patient)).toEqual(cohort);
    expect(done.results.every((r: { status: string; category?: string }) => r.status === 'done' && r.category !== undefined)).toBe(true);
    const rows = await db.query<{ patient_id: string; n: string }>(
      "SELECT patient_id, count(*) AS n FROM screening_patients WHERE screening_id = $1 AND status = 'done' GROUP BY patient_id",
      [id],
    );
    expect(rows.rows).toHaveLength(cohort.length);
    expect(rows.rows.every((r) => Number(r.n) === 1)).toBe(true);
    // The crashed worker's items were taken again (a second attempt).
    const retried = await db.query<{ attempts: number }>('SELECT attempts FROM screening_patients WHERE screening_id = $1 AND ordinal = ANY($2::int[])', [
      id,
      crashed.map((c) => c.ordinal),
    ]);
    expect(retried.rows.every((r) => Number(r.attempts) === 2)).toBe(true);
  }, 60_000);
});
