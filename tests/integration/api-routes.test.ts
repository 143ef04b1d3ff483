/**
 * The API for apps through createApp, on an embedded database, with a stand-in EHR that checks
 * tokens: the SMART token is required and checked, scopes are enforced per route, every refusal is
 * an OperationOutcome, every call is audited (the FHIR server and the token's subject as the
 * caller, never the token) and each answer fits the schema the OpenAPI document gives it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { saveFeedback } from '../../src/feedback/store.js';
import { feedbackAnalyticsSchema } from '../../src/http/api/analytics.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertIssuedCard } from '../support/issued-cards.js';
import { memoryRecords } from '../support/memory-records.js';
import { startStandInEhr, type StandInEhr } from '../support/smart-ehr.js';

const CLINICIAN = 'clinician-token-0d4e8a';
const PATIENT_APP = 'patient-app-token-61f2c3';
const logLines: string[] = [];

let t: TestDatabase;
let ehr: StandInEhr;
let server: Server;
let base: string;
const records = memoryRecords();

beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  ehr = await startStandInEhr();
  const app = createApp({
    config: { publicUrl: 'http://localhost', corsOrigins: [], hookDeadlineMs: 1000, fhirTimeoutMs: 500, fhirConcurrency: 2, fhirMaxPages: 2, requireAuth: false, maxRequestBytes: 100_000, smart: { fhirServers: [ehr.fhirBase], timeoutMs: 2000 } },
    services: [],
    db: t.db,
    records,
    metrics: createMetrics(),
    log: createLogger('info', { write: (line: string) => void logLines.push(line) }),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ehr.close();
  await t.dispose();
});
beforeEach(() => {
  ehr.tokens.set(CLINICIAN, { active: true, scope: 'openid fhirUser launch user/*.rs', sub: 'dr-ada', fhirUser: 'Practitioner/ada', client_id: 'cairn-app' });
  ehr.tokens.set(PATIENT_APP, { active: true, scope: 'launch/patient patient/*.rs', patient: 'p-1', sub: 'patient-login-1', client_id: 'some-app' });
});

const get = (path: string, token?: string) => fetch(`${base}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
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
