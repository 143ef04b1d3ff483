/**
 * GET /api/patients/{id}/evidence through createApp: the record is read from a stand-in EHR with
 * the app's own token (only what its scopes allow), and the answer is what the services compute
 * (the same figures as a card), with the readings behind them, the series for plots and the
 * guideline passages verbatim with their document's edition. A patient-context token reads only
 * its own patient; a failed essential read is a 502, never evidence computed on missing data.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { openApiDocument } from '../../src/http/openapi.js';
import type { GuidelineSearch } from '../../src/knowledge/guideline-search.js';
import { createLogger } from '../../src/log.js';
import { evidenceEngine, type PatientEvidence } from '../../src/services/evidence.js';
import { assessTriage } from '../../src/services/triage/assess.js';
import { knowledgeBaseHighRiskMatcher } from '../../src/services/triage/high-risk-matcher.js';
import { TrialMatcher } from '../../src/services/trials/match.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { corpusSearch, demoPatient } from '../support/card-markdown.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { listenApiApp, type ListeningApiApp } from '../support/api-app.js';
import { memoryRecords } from '../support/memory-records.js';
import { startStandInEhr, type StandInEhr } from '../support/smart-ehr.js';
import { schemaProblems } from '../support/schema-check.js';
import { TRIALS } from './trials-fixtures.js';

const NOW = new Date();
const CLINICIAN = 'clinician-token-7b1f00';
const lines: string[] = [];

let t: TestDatabase;
let ehr: StandInEhr;
let api: ListeningApiApp;
let base: string;
let search: GuidelineSearch;
let patientId: string;
let resources: Array<{ resourceType: string; id: string; subject?: { reference?: string } }>;
const records = memoryRecords();
/** Resource types whose searches the stand-in EHR fails with a 500. */
const failing = new Set<string>();

type Evidence = PatientEvidence & { fhirServer: string; read: Array<{ key: string; resourceType: string; status: string; resources?: number; reason?: string }> };

beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  const embeddings = new HashingEmbeddings();
  await importTrials(t.db, TRIALS, embeddings);
  search = await corpusSearch();
  const demo = demoPatient('ed-deteriorating-vitals.json', NOW);
  patientId = demo.patientId;
  resources = (demo.bundle as { entry: Array<{ resource: (typeof resources)[number] }> }).entry.map((e) => e.resource);

  ehr = await startStandInEhr();
  ehr.fhir = (pathAndQuery, token) => {
    if (token === undefined) return { httpStatus: 401 };
    const [path, query = ''] = pathAndQuery.split('?');
    const read = /^Patient\/([^/]+)$/.exec(path!);
    if (read) return resources.find((r) => r.resourceType === 'Patient' && r.id === read[1]);
    const type = path!;
    if (failing.has(type)) return { httpStatus: 500 };
    const patient = new URLSearchParams(query).get('patient');
    const matches = resources.filter((r) => r.resourceType === type && patient === patientId && r.subject?.reference === `Patient/${patientId}`);
    return { resourceType: 'Bundle', type: 'searchset', total: matches.length, entry: matches.map((resource) => ({ resource })) };
  };
  const engine = evidenceEngine({ search, config: {}, trials: new TrialMatcher({ db: t.db, embeddings }) });
  api = await listenApiApp({ db: t.db, records, evidence: engine, fhirServers: [ehr.fhirBase], smartTimeoutMs: 3000, log: createLogger('info', { write: (line: string) => void lines.push(line) }) });
  base = api.base;
});
afterAll(async () => {
  await api.close();
  await ehr.close();
  await t.dispose();
});
beforeEach(() => {
  failing.clear();
  ehr.calls.fhir.length = 0;
  ehr.tokens.set(CLINICIAN, { active: true, scope: 'openid fhirUser user/*.rs', sub: 'dr-ada' });
});

const evidenceOf = (id: string, token: string) => fetch(`${base}/api/patients/${id}/evidence`, { headers: { Authorization: `Bearer ${token}` } });

describe('GET /api/patients/{id}/evidence', () => {
  let evidence: Evidence;
  beforeAll(async () => {
    ehr.tokens.set(CLINICIAN, { active: true, scope: 'openid fhirUser user/*.rs', sub: 'dr-ada' });
    const res = await evidenceOf(patientId, CLINICIAN);
    expect(res.status).toBe(200);
    evidence = (await res.json()) as Evidence;
  });

  it('answers in the shape the OpenAPI document gives', () => {
    const doc = openApiDocument('http://localhost') as unknown as Parameters<typeof schemaProblems>[0];
    expect(schemaProblems(doc, { $ref: '#/components/schemas/PatientEvidence' }, evidence)).toEqual([]);
    // And the check can fail: an answer without its triage scores does not fit.
    const broken = { ...evidence, triage: { ...evidence.triage, news2: undefined } };
    expect(schemaProblems(doc, { $ref: '#/components/schemas/PatientEvidence' }, JSON.parse(JSON.stringify(broken)))).not.toEqual([]);
  });

  it('reads the record with the app\'s token, every search the services make, and says so', () => {
    expect(evidence.fhirServer).toBe(ehr.fhirBase);
    expect(evidence.read.every((r) => r.status === 'read')).toBe(true);
    expect(evidence.read.find((r) => r.key === 'patient')).toMatchObject({ resourceType: 'Patient', resources: 1 });
    expect(evidence.read.filter((r) => r.resourceType === 'Observation').reduce((n, r) => n + (r.resources ?? 0), 0)).toBe(19);
    // Triage, diagnosis and trial matching each read something of their own: encounters, medications, notes.
    for (const type of ['Encounter', 'Condition', 'MedicationRequest', 'DocumentReference']) expect(evidence.read.map((r) => r.resourceType)).toContain(type);
  });

  it('says when the reason for visit was too long to read as a chief complaint, in the shape the OpenAPI document gives', async () => {
    const encounter = resources.find((r) => r.resourceType === 'Encounter') as { reasonCode?: Array<{ text?: string }> };
    const kept = encounter.reasonCode;
    encounter.reasonCode = [{ text: 'Short of breath. '.repeat(300) }];
    try {
      const res = await evidenceOf(patientId, CLINICIAN);
      expect(res.status).toBe(200);
      const long = (await res.json()) as Evidence;
      expect(long.triage?.chiefComplaint).toBeNull();
      expect(long.triage?.chiefComplaintNotRead).toEqual({
        source: expect.stringMatching(/^Encounter\//),
        characters: 'Short of breath. '.repeat(300).trim().length,
        detail: '5,099 characters of reason for visit, more than the 1,000 read as a chief complaint; it was not checked for high-risk situations or expected resources.',
      });
      const doc = openApiDocument('http://localhost') as unknown as Parameters<typeof schemaProblems>[0];
      expect(schemaProblems(doc, { $ref: '#/components/schemas/PatientEvidence' }, long)).toEqual([]);
    } finally {
      encounter.reasonCode = kept;
    }
    // A complaint that is read leaves the member out.
    expect(evidence.triage).not.toHaveProperty('chiefComplaintNotRead');
  });

  it('gives the triage figures the card is built from, each with the readings (value, unit, time, source) behind it', async () => {
    const ctx = buildPatientContext({ resources, referenceTime: new Date(evidence.referenceTime), patientId });
    const direct = await assessTriage({ context: ctx, resources, matcher: knowledgeBaseHighRiskMatcher(search) });
    const triage = evidence.triage!;
    expect(triage).toMatchObject({ indicator: 'critical', card: true, rule: { id: 'triage/news2-qsofa-esi' } });
    expect(triage.news2.total).toBe(direct.news2.total);
    expect(triage.qsofa.total).toBe(direct.qsofa.total);
    expect(triage.esi.level).toBe(direct.acuity.level);
    expect(triage.esi.setBy).toBe(direct.acuity.setBy);
    const rr = triage.news2.parameters.find((p) => p.parameter === 'respirationRate')!;
    expect(rr.points).toBeGreaterThan(0);
    expect(rr.evidence[0]).toMatchObject({ kind: 'quantity', unit: '/min', source: expect.stringMatching(/^Observation\//) });
    expect(Date.parse(rr.evidence[0]!.effective)).toBeLessThanOrEqual(NOW.getTime());
    expect(triage.esi.findings.length).toBeGreaterThan(0);
  });

  it('gives every diagnosis finding with its status, the values that decided it and the problem-list check', () => {
    expect(evidence.diagnosis.map((f) => f.condition)).toEqual(['hypertension', 'diabetes', 'prediabetes', 'ckd', 'aki', 'obesity', 'sepsis']);
    for (const f of evidence.diagnosis) {
      expect(['met', 'not-met', 'not-enough-data']).toContain(f.status);
      expect(f.problemList.status).toMatch(/^(unknown-to-record|recorded-same-stage|recorded-different-stage)$/);
      expect(f.rule.id).toMatch(/^diagnosis\//);
      if (f.status !== 'met') expect(f.passages).toEqual({});
    }
  });

  it('gives the trial matches with their criterion tables', () => {
    expect(evidence.trials.status).toBe('matched');
    if (evidence.trials.status !== 'matched') return;
    // Only recruiting trials are candidates, as for the card.
    expect(evidence.trials.matches.map((m) => m.nctId)).not.toContain('NCT00000003');
    for (const m of evidence.trials.matches) {
      expect(m.criteria.length).toBe(m.inclusion.total + m.exclusion.total);
      for (const c of m.criteria) expect(['met', 'not-met', 'unknown']).toContain(c.status);
    }
    expect(evidence.provenance.trials.map((x) => x.nctId)).toEqual(evidence.trials.matches.map((m) => m.nctId));
  });

  it('gives the series behind the figures, for plots: every reading with time, value and unit', () => {
    const hr = evidence.series.vitals.find((s) => s.key === 'heartRate')!;
    expect(hr).toMatchObject({ label: 'Heart rate', unit: '/min' });
    const inContext = buildPatientContext({ resources, referenceTime: new Date(evidence.referenceTime), patientId }).vitals.heartRate;
    expect(hr.points.map((p) => [p.time, p.value, p.source])).toEqual(inContext.map((r) => [r.effective, r.value, r.source]));
    expect(evidence.series.vitals.every((s) => s.points.length > 0)).toBe(true);
  });

  it('quotes every passage it names in full, verbatim, with its document id, edition hash and citation', async () => {
    const byId = new Map(evidence.passages.map((p) => [p.chunkId, p]));
    const named = [
      ...(evidence.triage?.passages ?? []),
      ...evidence.diagnosis.flatMap((f) => [f.passages.criterion, f.passages.nextStep].filter((x): x is string => x !== undefined)),
    ];
    expect(named.length).toBeGreaterThan(0);
    for (const id of named) expect(byId.has(id)).toBe(true);
    const corpus = await search.search('NEWS2 aggregate score 7 or more high clinical risk', { k: 50, filters: { documentIds: ['summary-rcp-news2-2017'] } });
    for (const p of evidence.passages) {
      expect(p).toMatchObject({ documentId: expect.any(String), contentHash: expect.stringMatching(/^[0-9a-f]{64}$/), citation: expect.any(String), text: expect.any(String) });
      const original = corpus.find((c) => c.chunkId === p.chunkId);
      if (original) expect(p.text).toBe(original.text);
    }
    expect(evidence.provenance.guidelines.map((g) => g.documentId).sort()).toEqual([...new Set(evidence.passages.map((p) => p.documentId))].sort());
  });

  it('marks where each quoted passage answers what the finding asked: whole sentences of its text, for the app to highlight', () => {
    const byId = new Map(evidence.passages.map((p) => [p.chunkId, p]));
    const triage = evidence.triage!;
    // The NEWS2 passage (the card's urgent finding) has its part on the high band.
    expect(triage.matches.map((m) => m.chunkId)).toEqual(expect.arrayContaining(triage.passages.filter((id) => id.startsWith('summary-rcp-news2-2017'))));
    const matches = [...triage.matches, ...evidence.diagnosis.flatMap((f) => f.matches)];
    expect(matches.length).toBeGreaterThan(0);
    for (const m of matches) {
      const text = byId.get(m.chunkId)!.text;
      expect(0 <= m.start && m.start < m.end && m.end <= text.length).toBe(true);
      // Whole sentences: it starts at the text's start or after white space, and ends at the end or before it.
      expect(m.start === 0 || /\s/.test(text[m.start - 1]!)).toBe(true);
      expect(m.end === text.length || /\s/.test(text[m.end]!)).toBe(true);
    }
    for (const f of evidence.diagnosis) {
      const named = [f.passages.criterion, f.passages.nextStep].filter(Boolean);
      for (const m of f.matches) expect(named).toContain(m.chunkId);
    }
  });

  it('audits the read with the pseudonymous patient key, never the patient id or the token', async () => {
    records.audit.records.length = 0;
    expect((await evidenceOf(patientId, CLINICIAN)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [record] = records.audit.records;
    expect(record).toMatchObject({ action: 'api', route: '/api/patients/:id/evidence', status: 200, subject: 'dr-ada', patientKey: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(JSON.stringify(records.audit.records) + lines.join('\n')).not.toContain(CLINICIAN);
    expect(JSON.stringify(records.audit.records)).not.toContain(patientId);
  });
});

describe('who may read which patient, and what', () => {
  it('lets a patient-context token read its own patient only', async () => {
    ehr.tokens.set('own', { active: true, scope: 'launch/patient patient/*.rs', patient: patientId });
    expect((await evidenceOf(patientId, 'own')).status).toBe(200);
    ehr.tokens.set('other', { active: true, scope: 'launch/patient patient/*.rs', patient: 'someone-else' });
    const res = await evidenceOf(patientId, 'other');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
  });

  it('refuses a token that cannot read observations (403 insufficient_scope) and makes no FHIR call', async () => {
    ehr.tokens.set('no-obs', { active: true, scope: 'user/Patient.rs user/Condition.rs' });
    const res = await evidenceOf(patientId, 'no-obs');
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="user/Observation.s"');
    expect(ehr.calls.fhir).toEqual([]);
  });

  it('reads only what the scopes allow and lists the rest as not permitted', async () => {
    ehr.tokens.set('narrow', { active: true, scope: 'patient/Patient.r patient/Observation.rs patient/Condition.rs', patient: patientId });
    const res = await evidenceOf(patientId, 'narrow');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Evidence;
    const notPermitted = body.read.filter((r) => r.status === 'not-permitted').map((r) => r.resourceType);
    expect(notPermitted).toEqual(expect.arrayContaining(['Encounter', 'MedicationRequest', 'DocumentReference']));
    expect(ehr.calls.fhir.some((c) => /^(Encounter|MedicationRequest|DocumentReference)\?/.test(c))).toBe(false);
  });

  it('answers 404 for a patient the FHIR server does not have, 400 for a malformed id, 502 when observations cannot be read', async () => {
    const missing = await evidenceOf('no-such-patient', CLINICIAN);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    expect((await evidenceOf('bad%20id', CLINICIAN)).status).toBe(400);
    failing.add('Observation');
    const failed = await evidenceOf(patientId, CLINICIAN);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] });
    // A failed optional read is reported, and the evidence still computed.
    failing.clear();
    failing.add('DocumentReference');
    const partial = await evidenceOf(patientId, CLINICIAN);
    expect(partial.status).toBe(200);
    expect(((await partial.json()) as Evidence).read.find((r) => r.resourceType === 'DocumentReference')).toMatchObject({ status: 'failed' });
  });
});
