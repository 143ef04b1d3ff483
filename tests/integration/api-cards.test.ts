/**
 * The cards Cairn issued about a patient, and feedback on them from an app, through createApp on
 * an embedded database with a stand-in EHR that checks tokens: GET /api/patients/{id}/cards lists
 * the patient's ledger entries (the patient matched by the same pseudonymous key the hooks
 * record), and POST /api/cards/{uuid}/feedback stores feedback as the CDS Hooks endpoint does,
 * so that analytics counts it. A token with a launch patient gives feedback only on that
 * patient's cards.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { listFeedback } from '../../src/feedback/store.js';
import { feedbackAnalyticsSchema } from '../../src/http/api/analytics.js';
import { appFeedbackResultSchema, patientCardsSchema } from '../../src/http/api/cards.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertIssuedCard } from '../support/issued-cards.js';
import { listenApiApp, type ListeningApiApp } from '../support/api-app.js';
import { memoryRecords } from '../support/memory-records.js';
import { schemaProblems } from '../support/schema-check.js';
import { startStandInEhr, type StandInEhr } from '../support/smart-ehr.js';

/** A clinician's EHR launch for p-1 (user scopes, patient context) and a patient-scoped app for p-1. */
const LAUNCH_P1 = 'launch-p1-token-4c2d1a';
const PATIENT_APP_P1 = 'patient-app-p1-token-0b9e55';
const LAUNCH_P2 = 'launch-p2-token-7f3a09';
const NO_PATIENT = 'no-patient-token-5e8d21';
const NO_READS = 'no-reads-token-19ac3f';

let t: TestDatabase;
let ehr: StandInEhr;
let api: ListeningApiApp;
let base: string;
const records = memoryRecords();
const today = new Date().toISOString().slice(0, 10);
const suggestion = randomUUID();
const cards: Record<'triage' | 'diagnosis' | 'older' | 'otherPatient' | 'trial', string> = { triage: '', diagnosis: '', older: '', otherPatient: '', trial: '' };

beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  ehr = await startStandInEhr();
  api = await listenApiApp({ db: t.db, records, fhirServers: [ehr.fhirBase] });
  base = api.base;

  // As the hooks record them: the patient keyed by the FHIR server the EHR named and the id.
  const p1 = await records.patientKey({ fhirServer: ehr.fhirBase, patientId: 'p-1' });
  const p2 = await records.patientKey({ fhirServer: ehr.fhirBase, patientId: 'p-2' });
  cards.older = await insertIssuedCard(t.db, { serviceId: 'diagnosis', ruleId: 'diagnosis/hypertension', issuedAt: `${today}T00:00:01Z`, patientKey: p1, summary: 'older card' });
  cards.triage = await insertIssuedCard(t.db, { serviceId: 'triage', ruleId: 'triage/news2-qsofa-esi', issuedAt: `${today}T00:00:03Z`, patientKey: p1, indicator: 'critical', summary: 'NEWS2 7' });
  cards.diagnosis = await insertIssuedCard(t.db, {
    serviceId: 'diagnosis',
    ruleId: 'diagnosis/hypertension',
    issuedAt: `${today}T00:00:02Z`,
    patientKey: p1,
    indicator: 'warning',
    summary: 'Hypertension stage 2',
    suggestionUuids: [suggestion],
  });
  cards.trial = await insertIssuedCard(t.db, { serviceId: 'trial-match', ruleId: 'trials/match', issuedAt: `${today}T00:00:00Z`, patientKey: p1 });
  cards.otherPatient = await insertIssuedCard(t.db, { serviceId: 'diagnosis', ruleId: 'diagnosis/hypertension', issuedAt: `${today}T00:00:04Z`, patientKey: p2, suggestionUuids: [randomUUID()] });
  // Another FHIR server's patient p-1 is another patient.
  await insertIssuedCard(t.db, { serviceId: 'triage', ruleId: 'triage/news2-qsofa-esi', issuedAt: `${today}T00:00:05Z`, patientKey: await records.patientKey({ fhirServer: 'http://elsewhere.example/fhir', patientId: 'p-1' }) });
});
afterAll(async () => {
  await api.close();
  await ehr.close();
  await t.dispose();
});
beforeEach(() => {
  ehr.tokens.set(LAUNCH_P1, { active: true, scope: 'openid fhirUser launch user/*.rs', patient: 'p-1', sub: 'dr-ada', fhirUser: 'Practitioner/ada' });
  ehr.tokens.set(PATIENT_APP_P1, { active: true, scope: 'launch patient/*.rs', patient: 'p-1' });
  ehr.tokens.set(LAUNCH_P2, { active: true, scope: 'launch patient/*.rs', patient: 'p-2' });
  ehr.tokens.set(NO_PATIENT, { active: true, scope: 'openid fhirUser user/*.rs', sub: 'dr-grace' });
  ehr.tokens.set(NO_READS, { active: true, scope: 'launch patient/Patient.rs', patient: 'p-1' });
});

const get = (path: string, token: string) => fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
const post = (path: string, token: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const doc = () => openApiDocument('http://localhost') as unknown as Parameters<typeof schemaProblems>[0];

async function expectOutcome(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/fhir\+json/);
  const body = (await res.json()) as { resourceType: string; issue: Array<{ code: string; diagnostics?: string }> };
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue[0]?.code).toBe(code);
  return body.issue.map((i) => i.diagnostics ?? '').join('; ');
}

describe('GET /api/patients/{id}/cards', () => {
  it("lists the patient's cards newest first, in the documented shape, with the override reasons to offer", async () => {
    const res = await get('/api/patients/p-1/cards', PATIENT_APP_P1);
    expect(res.status).toBe(200);
    const json: unknown = await res.json();
    expect(schemaProblems(doc(), { $ref: '#/components/schemas/PatientCards' }, json)).toEqual([]);
    const body = patientCardsSchema.parse(json);
    // Not p-2's card, nor the card of another server's p-1.
    expect(body.cards.map((c) => c.uuid)).toEqual([cards.triage, cards.diagnosis, cards.older, cards.trial]);
    expect(body.cards[1]).toEqual({
      uuid: cards.diagnosis,
      service: 'diagnosis',
      hook: 'patient-view',
      issuedAt: `${today}T00:00:02.000Z`,
      summary: 'Hypertension stage 2',
      indicator: 'warning',
      rule: { id: 'diagnosis/hypertension', version: '1' },
      suggestionUuids: [suggestion],
      feedback: null,
    });
    expect(body.overrideReasons.map((r) => r.code)).toEqual(['already-assessed', 'measurement-error', 'managed-elsewhere', 'patient-declined', 'not-relevant']);
    expect(body.overrideReasons[0]).toMatchObject({ system: 'http://localhost:3000/fhir/CodeSystem/cds-override-reason', display: 'Already assessed or managed' });
  });

  it('filters by service and bounds the list', async () => {
    const byService = patientCardsSchema.parse(await (await get('/api/patients/p-1/cards?service=diagnosis', LAUNCH_P1)).json());
    expect(byService.cards.map((c) => c.uuid)).toEqual([cards.diagnosis, cards.older]);
    const one = patientCardsSchema.parse(await (await get('/api/patients/p-1/cards?limit=1', LAUNCH_P1)).json());
    expect(one.cards.map((c) => c.uuid)).toEqual([cards.triage]);
    for (const query of ['limit=0', 'limit=101', 'service=a%20b', 'patient=p-2']) await expectOutcome(await get(`/api/patients/p-1/cards?${query}`, LAUNCH_P1), 400, 'invalid');
  });

  it('has the scope checks of the evidence: a patient-context token for its own patient only, and the record reads', async () => {
    await expectOutcome(await get('/api/patients/p-2/cards', PATIENT_APP_P1), 403, 'forbidden');
    const noReads = await get('/api/patients/p-1/cards', NO_READS);
    expect(noReads.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    await expectOutcome(noReads, 403, 'forbidden');
    // A user-context token reads any patient's record, and so its cards.
    expect(patientCardsSchema.parse(await (await get('/api/patients/p-2/cards', NO_PATIENT)).json()).cards.map((c) => c.uuid)).toEqual([cards.otherPatient]);
    expect((await get('/api/patients/p-1/cards', 'not-a-token')).status).toBe(401);
  });
});

describe('POST /api/cards/{uuid}/feedback', () => {
  it('stores an acceptance like CDS Hooks feedback: listed with the card and counted by analytics', async () => {
    const res = await post(`/api/cards/${cards.diagnosis}/feedback`, LAUNCH_P1, { outcome: 'accepted', acceptedSuggestions: [{ id: suggestion }] });
    expect(res.status).toBe(200);
    const json: unknown = await res.json();
    expect(schemaProblems(doc(), { $ref: '#/components/schemas/CardFeedbackResult' }, json)).toEqual([]);
    expect(appFeedbackResultSchema.parse(json)).toMatchObject({ card: cards.diagnosis, service: 'diagnosis', stored: true, feedback: { outcome: 'accepted', acceptedSuggestions: [{ id: suggestion }] } });

    const stored = await listFeedback(t.db, { cardUuid: cards.diagnosis });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ serviceId: 'diagnosis', outcome: 'accepted', acceptedSuggestions: [{ id: suggestion }] });
    // Tied to the hook call that issued the card, as the CDS Hooks endpoint ties it.
    expect(stored[0]!.hookInstance).toMatch(/^[0-9a-f-]{36}$/);

    const listed = patientCardsSchema.parse(await (await get('/api/patients/p-1/cards?service=diagnosis', LAUNCH_P1)).json());
    expect(listed.cards[0]!.feedback).toMatchObject({ outcome: 'accepted', acceptedSuggestions: [{ id: suggestion }] });

    const analytics = feedbackAnalyticsSchema.parse(await (await get('/api/analytics/feedback?service=diagnosis', NO_PATIENT)).json());
    expect(analytics.kinds).toEqual([expect.objectContaining({ serviceId: 'diagnosis', ruleId: 'diagnosis/hypertension', accepted: 1, overridden: 0 })]);
  });

  it('stores an override with its reason, the comment kept in the store but not repeated in the list', async () => {
    const reason = { system: 'http://localhost:3000/fhir/CodeSystem/cds-override-reason', code: 'already-assessed', display: 'Already assessed or managed' };
    const res = await post(`/api/cards/${cards.triage}/feedback`, PATIENT_APP_P1, { outcome: 'overridden', overrideReason: { reason, userComment: 'seen by the outreach team' } });
    expect(res.status).toBe(200);
    expect(appFeedbackResultSchema.parse(await res.json()).feedback).toEqual({ outcome: 'overridden', outcomeTimestamp: expect.any(String), overrideReason: { reason } });
    expect((await listFeedback(t.db, { cardUuid: cards.triage }))[0]?.overrideReason).toEqual({ reason, userComment: 'seen by the outreach team' });

    const listed = patientCardsSchema.parse(await (await get('/api/patients/p-1/cards?service=triage', LAUNCH_P1)).json());
    expect(listed.cards[0]!.feedback).toEqual({ outcome: 'overridden', outcomeTimestamp: expect.any(String), overrideReason: { reason } });
    const analytics = feedbackAnalyticsSchema.parse(await (await get('/api/analytics/feedback?service=triage', NO_PATIENT)).json());
    expect(analytics.kinds[0]).toMatchObject({ serviceId: 'triage', overridden: 1, overrideReasons: [{ code: 'already-assessed', count: 1 }] });
  });

  it('answers 404 with an OperationOutcome for a card Cairn did not issue, and stores nothing', async () => {
    const unknown = randomUUID();
    const message = await expectOutcome(await post(`/api/cards/${unknown}/feedback`, LAUNCH_P1, { outcome: 'overridden', overrideReason: { reason: { system: 'urn:x', code: 'y' } } }), 404, 'not-found');
    expect(message).toContain(unknown);
    expect(await listFeedback(t.db, { cardUuid: unknown })).toEqual([]);
  });

  it("answers 403 for another patient's card, and for a token without a launch patient", async () => {
    const body = { outcome: 'overridden', overrideReason: { reason: { system: 'urn:x', code: 'y' } } };
    await expectOutcome(await post(`/api/cards/${cards.otherPatient}/feedback`, LAUNCH_P1, body), 403, 'forbidden');
    await expectOutcome(await post(`/api/cards/${cards.older}/feedback`, LAUNCH_P2, body), 403, 'forbidden');
    await expectOutcome(await post(`/api/cards/${cards.older}/feedback`, NO_PATIENT, body), 403, 'forbidden');
    expect(await listFeedback(t.db, { cardUuid: cards.otherPatient })).toEqual([]);
    expect(await listFeedback(t.db, { cardUuid: cards.older })).toEqual([]);
  });

  it('checks feedback as CDS Hooks does: an acceptance names the card\'s suggestions, a reason is for overrides', async () => {
    const reason = { system: 'urn:x', code: 'y' };
    for (const body of [
      { outcome: 'accepted' },
      { outcome: 'accepted', acceptedSuggestions: [{ id: suggestion }], overrideReason: { reason } },
      { outcome: 'overridden', overrideReason: { userComment: 'no reason' } },
      { outcome: 'dismissed' },
      { outcome: 'accepted', acceptedSuggestions: [{ id: 'not-a-uuid' }] },
      'accepted',
    ]) {
      await expectOutcome(await post(`/api/cards/${cards.older}/feedback`, LAUNCH_P1, body), 400, 'invalid');
    }
    // A suggestion the card did not carry (this card carried none).
    const message = await expectOutcome(await post(`/api/cards/${cards.trial}/feedback`, LAUNCH_P1, { outcome: 'accepted', acceptedSuggestions: [{ id: suggestion }] }), 400, 'invalid');
    expect(message).toContain('carried no suggestion');
    await expectOutcome(await post('/api/cards/not-a-uuid/feedback', LAUNCH_P1, { outcome: 'overridden', overrideReason: { reason } }), 400, 'invalid');
    expect(await listFeedback(t.db, { cardUuid: cards.older })).toEqual([]);
  });
});
