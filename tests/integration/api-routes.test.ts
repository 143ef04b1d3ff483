/**
 * The API for apps through createApp, on an embedded database, with a stand-in EHR that checks
 * tokens: the SMART token is required and checked, scopes are enforced per route, every refusal is
 * an OperationOutcome, every call is audited (the FHIR server and the token's subject as the
 * caller, never the token) and each answer fits the schema the OpenAPI document gives it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { saveFeedback } from '../../src/feedback/store.js';
import { createFhirGateway } from '../../src/fhir/gateway.js';
import { trialDetailSchema, trialListSchema } from '../../src/http/api/trials.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { TRIALS } from './trials-fixtures.js';
import { feedbackAnalyticsSchema } from '../../src/http/api/analytics.js';
import { createLogger } from '../../src/log.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertIssuedCard } from '../support/issued-cards.js';
import { listenApiApp, type ListeningApiApp } from '../support/api-app.js';
import { memoryRecords } from '../support/memory-records.js';
import { schemaProblems } from '../support/schema-check.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { startStandInEhr, type StandInEhr } from '../support/smart-ehr.js';

const CLINICIAN = 'clinician-token-0d4e8a';
const COLLEAGUE = 'colleague-token-9a7b11';
const PATIENT_APP = 'patient-app-token-61f2c3';
const NO_USER = 'no-user-token-33de02';
const logLines: string[] = [];

let t: TestDatabase;
let ehr: StandInEhr;
let api: ListeningApiApp;
let base: string;
const records = memoryRecords();

beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  await importTrials(t.db, TRIALS, new HashingEmbeddings());
  ehr = await startStandInEhr();
  const screening = { fhirServer: ehr.fhirBase, gateway: createFhirGateway({ baseUrl: ehr.fhirBase, timeoutMs: 1000, concurrency: 2, maxPages: 2 }), wake: () => undefined };
  api = await listenApiApp({ db: t.db, records, screening, fhirServers: [ehr.fhirBase, `${ehr.origin}/r4`], log: createLogger('info', { write: (line: string) => void logLines.push(line) }) });
  base = api.base;
});
afterAll(async () => {
  await api.close();
  await ehr.close();
  await t.dispose();
});
beforeEach(() => {
  ehr.tokens.set(CLINICIAN, { active: true, scope: 'openid fhirUser launch user/*.rs', sub: 'dr-ada', fhirUser: 'Practitioner/ada', client_id: 'cairn-app' });
  ehr.tokens.set(COLLEAGUE, { active: true, scope: 'openid fhirUser user/Patient.rs user/Condition.rs user/Observation.rs', fhirUser: 'Practitioner/grace' });
  ehr.tokens.set(PATIENT_APP, { active: true, scope: 'launch/patient patient/*.rs', patient: 'p-1', sub: 'patient-login-1', client_id: 'some-app' });
  ehr.tokens.set(NO_USER, { active: true, scope: 'user/*.rs' });
});

/** Two FHIR servers are allowed, so every call names its own (the stand-in EHR's /fhir unless said otherwise). */
const get = (path: string, token?: string) => fetch(`${base}${path}`, { headers: { 'X-FHIR-Server': ehr.fhirBase, ...(token && { Authorization: `Bearer ${token}` }) } });
const send = (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'X-FHIR-Server': ehr.fhirBase, 'Content-Type': 'application/json', ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function expectOutcome(res: Response, status: number, code?: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/fhir\+json/);
  const body = (await res.json()) as { resourceType: string; issue: Array<{ code: string }> };
  expect(body.resourceType).toBe('OperationOutcome');
  if (code) expect(body.issue[0]?.code).toBe(code);
}

describe('the API for apps', () => {
  it('requires a SMART token on every route, and audits the refusal', async () => {
    records.audit.records.length = 0;
    const res = await get('/api/analytics/feedback');
    await expectOutcome(res, 401, 'login');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await settle();
    expect(records.audit.records).toEqual([expect.objectContaining({ action: 'api', method: 'GET', status: 401, outcome: 'refused' })]);
  });

  it('answers another method on a known path with 405 and the methods it has', async () => {
    const res = await send('POST', '/api/trials', CLINICIAN, {});
    expect(res.headers.get('allow')).toBe('GET');
    await expectOutcome(res, 405, 'not-supported');
    expect((await send('PUT', '/api/screenings/5b0e3f3e-8f0a-4d43-9a55-2a8f1f7e7a10', CLINICIAN)).headers.get('allow')).toBe('GET, DELETE');
    await expectOutcome(await get('/api/nothing-here', CLINICIAN), 404, 'not-found');
  });

  it('names the FHIR server and the token\'s subject as the caller in the audit trail, never the token', async () => {
    records.audit.records.length = 0;
    expect((await get('/api/analytics/feedback', CLINICIAN)).status).toBe(200);
    await settle();
    expect(records.audit.records).toEqual([
      expect.objectContaining({ action: 'api', route: '/api/analytics/feedback', status: 200, issuer: ehr.fhirBase, subject: 'dr-ada' }),
    ]);
    expect(JSON.stringify(records.audit.records) + logLines.join('\n')).not.toContain(CLINICIAN);
  });
});

describe('GET /api/analytics/feedback', () => {
  beforeAll(async () => {
    const today = new Date().toISOString().slice(0, 10);
    const card = await insertIssuedCard(t.db, { serviceId: 'triage', ruleId: 'triage/news2-qsofa-esi', issuedAt: `${today}T00:00:01Z` });
    await insertIssuedCard(t.db, { serviceId: 'triage', ruleId: 'triage/news2-qsofa-esi', issuedAt: `${today}T00:00:02Z` });
    await saveFeedback(t.db, 'triage', [{ card, outcome: 'overridden', outcomeTimestamp: `${today}T00:01:00Z`, overrideReason: { reason: { system: 'urn:x', code: 'not-applicable', display: 'Not applicable' } } }]);
  });

  it('answers the last 30 days by default, in the documented shape', async () => {
    const res = await get('/api/analytics/feedback', CLINICIAN);
    expect(res.status).toBe(200);
    const body = feedbackAnalyticsSchema.parse(await res.json());
    expect(body.kinds).toHaveLength(1);
    expect(body.kinds[0]).toMatchObject({ serviceId: 'triage', issued: 2, overridden: 1, noFeedback: 1, overrideReasons: [{ code: 'not-applicable', count: 1 }] });
    expect(body.kinds[0]!.series).toHaveLength(30);
    expect(body.to).toBe(new Date().toISOString().slice(0, 10));
  });

  it('is for users of the EHR: a patient\'s app gets 403 insufficient_scope', async () => {
    const res = await get('/api/analytics/feedback', PATIENT_APP);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    await expectOutcome(res, 403, 'forbidden');
  });

  it('refuses malformed ranges with 400', async () => {
    for (const query of ['from=2026-03-05&to=2026-03-01', 'from=2026-02-30', 'to=yesterday', 'from=2024-01-01&to=2026-01-01', 'bucket=week', 'service=a%20b', 'patient=1']) {
      await expectOutcome(await get(`/api/analytics/feedback?${query}`, CLINICIAN), 400, 'invalid');
    }
    expect((await get('/api/analytics/feedback?from=2026-03-01&to=2026-03-01&service=triage', CLINICIAN)).status).toBe(200);
  });
});

describe('GET /api/trials', () => {
  it('lists every trial in NCT id order, with paging links, for any accepted token', async () => {
    const res = await get('/api/trials?limit=2', PATIENT_APP);
    expect(res.status).toBe(200);
    const page = trialListSchema.parse(await res.json());
    expect(page.total).toBe(3);
    expect(page.trials.map((tr) => tr.nctId)).toEqual(['NCT00000001', 'NCT00000002']);
    expect(page.trials[0]).toMatchObject({ status: 'RECRUITING', sex: 'all', minAgeYears: 18, maxAgeYears: null, links: { self: 'http://localhost/api/trials/NCT00000001' } });
    expect(page.trials[0]!.criteria).toBeGreaterThan(0);
    expect(page.next).toBe('http://localhost/api/trials?offset=2&limit=2');
    const last = trialListSchema.parse(await (await get('/api/trials?offset=2&limit=2', PATIENT_APP)).json());
    expect(last.trials.map((tr) => tr.nctId)).toEqual(['NCT00000003']);
    expect(last.next).toBeUndefined();
    const past = trialListSchema.parse(await (await get('/api/trials?offset=10', PATIENT_APP)).json());
    expect(past).toMatchObject({ total: 3, trials: [] });
  });

  it('searches by words (best match first), by NCT id, and filters by status', async () => {
    const sepsis = trialListSchema.parse(await (await get('/api/trials?q=septic%20shock', CLINICIAN)).json());
    expect(sepsis.trials.map((tr) => tr.nctId)).toEqual(['NCT00000003']);
    const diabetes = trialListSchema.parse(await (await get('/api/trials?q=diabetes', CLINICIAN)).json());
    // The diabetes trial is about diabetes (title, conditions); the hypertension trial only excludes it (exclusion text is not searched).
    expect(diabetes.trials.map((tr) => tr.nctId)).toEqual(['NCT00000002']);
    const byId = trialListSchema.parse(await (await get('/api/trials?q=nct00000002', CLINICIAN)).json());
    expect(byId.trials.map((tr) => tr.nctId)).toEqual(['NCT00000002']);
    const recruiting = trialListSchema.parse(await (await get('/api/trials?status=RECRUITING,NOT_YET_RECRUITING', CLINICIAN)).json());
    expect(recruiting.trials.map((tr) => tr.nctId)).toEqual(['NCT00000001', 'NCT00000002']);
    for (const bad of ['status=recruiting', 'limit=0', 'limit=101', 'offset=-1', 'sort=title']) {
      await expectOutcome(await get(`/api/trials?${bad}`, CLINICIAN), 400, 'invalid');
    }
  });

  it('reads one trial with its criteria in order, and 404 for an unknown one', async () => {
    const res = await get('/api/trials/NCT00000001', CLINICIAN);
    expect(res.status).toBe(200);
    const trial = trialDetailSchema.parse(await res.json());
    expect(trial.criteria.map((c) => [c.number, c.kind])).toEqual(trial.criteria.map((c, i) => [i + 1, c.kind]));
    expect(trial.criteria.some((c) => c.kind === 'exclusion' && c.text.includes('eGFR'))).toBe(true);
    expect(trial.links.registry).toBe('https://clinicaltrials.gov/study/NCT00000001');
    await expectOutcome(await get('/api/trials/NCT99999999', CLINICIAN), 404, 'not-found');
    await expectOutcome(await get('/api/trials/not-an-id', CLINICIAN), 404, 'not-found');
  });
});

describe('screenings of an app user', () => {
  it('starts a screening owned by the token\'s user, lists it with its progress, reads and cancels it', async () => {
    const started = await send('POST', '/api/trials/NCT00000001/screenings', CLINICIAN, { patients: ['Patient/a', 'Patient/b'] });
    expect(started.status).toBe(202);
    const screening = (await started.json()) as { id: string; status: string; progress: unknown; links: { self: string } };
    expect(screening).toMatchObject({ status: 'queued', progress: { total: 2, done: 0, failed: 0, pending: 2 } });
    expect(screening.links.self).toBe(`http://localhost/api/screenings/${screening.id}`);
    const doc = openApiDocument('http://localhost') as unknown as Parameters<typeof schemaProblems>[0];
    expect(schemaProblems(doc, { $ref: '#/components/schemas/Screening' }, screening)).toEqual([]);
    expect(started.headers.get('location')).toBe(screening.links.self);

    const list = (await (await get('/api/screenings', CLINICIAN)).json()) as { total: number; screenings: Array<{ id: string }> };
    expect(list.total).toBe(1);
    expect(list.screenings.map((x) => x.id)).toEqual([screening.id]);

    const read = await get(`/api/screenings/${screening.id}?limit=1`, CLINICIAN);
    expect(read.status).toBe(200);
    const page = (await read.json()) as unknown;
    expect(schemaProblems(doc, { $ref: '#/components/schemas/ScreeningPage' }, page)).toEqual([]);
    expect(page).toMatchObject({ id: screening.id, results: [{ patient: 'Patient/a', status: 'pending' }], page: { matching: 2, next: `http://localhost/api/screenings/${screening.id}?offset=1&limit=1` } });

    const cancelled = await send('DELETE', `/api/screenings/${screening.id}`, CLINICIAN);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ id: screening.id, status: 'cancelled' });
    const onlyCancelled = (await (await get('/api/screenings?status=cancelled', CLINICIAN)).json()) as { total: number };
    expect(onlyCancelled.total).toBe(1);
  });

  it('shows a user only their own screenings: another user, a CDS client or the coordinator API gets nothing', async () => {
    const started = (await (await send('POST', '/api/trials/NCT00000002/screenings', CLINICIAN, { patients: ['Patient/c'] })).json()) as { id: string };
    const theirs = (await (await get('/api/screenings', COLLEAGUE)).json()) as { total: number };
    expect(theirs.total).toBe(0);
    await expectOutcome(await get(`/api/screenings/${started.id}`, COLLEAGUE), 404, 'not-found');
    await expectOutcome(await send('DELETE', `/api/screenings/${started.id}`, COLLEAGUE), 404, 'not-found');
    // The coordinator API (authentication off here: the client is '') does not see it either.
    expect((await fetch(`${base}/screenings/${started.id}`)).status).toBe(404);
    // The colleague (named by fhirUser, without sub) owns their own.
    expect((await send('POST', '/api/trials/NCT00000002/screenings', COLLEAGUE, { patients: ['Patient/d'] })).status).toBe(202);
    expect(((await (await get('/api/screenings', COLLEAGUE)).json()) as { total: number }).total).toBe(1);
  });

  it('needs user-context read scopes and a named user; refuses malformed requests', async () => {
    const patientApp = await get('/api/screenings', PATIENT_APP);
    expect(patientApp.headers.get('www-authenticate')).toContain('scope="user/Patient.s"');
    await expectOutcome(patientApp, 403, 'forbidden');
    await expectOutcome(await get('/api/screenings', NO_USER), 403, 'forbidden');
    await expectOutcome(await send('POST', '/api/trials/NCT00000001/screenings', CLINICIAN, { patients: [] }), 400, 'invalid');
    await expectOutcome(await send('POST', '/api/trials/NCT09999999/screenings', CLINICIAN, { patients: ['Patient/a'] }), 404, 'not-found');
    await expectOutcome(await get('/api/screenings?limit=1000', CLINICIAN), 400, 'invalid');
  });

  it('refuses to start a screening with a token of another FHIR server than the screening one, whose patient ids are not its', async () => {
    const res = await send('POST', '/api/trials/NCT00000001/screenings', CLINICIAN, { patients: ['Patient/a'] }, { 'X-FHIR-Server': `${ehr.origin}/r4` });
    await expectOutcome(res, 403, 'forbidden');
    // The same user at another server is another owner: they see none of the screenings made at /fhir.
    const other = await fetch(`${base}/api/screenings`, { headers: { Authorization: `Bearer ${CLINICIAN}`, 'X-FHIR-Server': `${ehr.origin}/r4` } });
    expect(((await other.json()) as { total: number }).total).toBe(0);
  });
});
