/**
 * GET /api/screenings/{id}/export through createApp, on an embedded database, with a stand-in EHR
 * that checks tokens: the CSV walks every result in request order across pages, the Group and the
 * ResearchSubject Bundle hold the eligible patients only, and only the screening's owner may export.
 * The worker does not run here: results are stored through the queue's own claim and completion.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Bundle, Group, ResearchStudy, ResearchSubject } from 'fhir/r4.js';
import { startDevFhirServer } from '../../dev/fhir-server/index.js';
import { createFhirGateway } from '../../src/fhir/gateway.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { NCT_SYSTEM } from '../../src/services/trials/matching/trial-record.js';
import { CSV_COLUMNS } from '../../src/services/trials/screening/export.js';
import { CSV_PAGE } from '../../src/services/trials/screening/export-reader.js';
import type { PatientScreeningResult, ScreeningCategory } from '../../src/services/trials/screening/result.js';
import { claimItems, completeItems, failItem } from '../../src/services/trials/screening/store.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { listenApiApp, type ListeningApiApp } from '../support/api-app.js';
import { memoryRecords } from '../support/memory-records.js';
import { startStandInEhr, type StandInEhr } from '../support/smart-ehr.js';
import { TRIALS } from './trials-fixtures.js';

const COORDINATOR = 'coordinator-token-5e21aa';
const COLLEAGUE = 'colleague-token-77b0c4';
const PATIENT_APP = 'patient-app-token-0c9d13';

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
  api = await listenApiApp({ db: t.db, records, screening, fhirServers: [ehr.fhirBase], maxRequestBytes: 1_000_000 });
  base = api.base;
});
afterAll(async () => {
  await api.close();
  await ehr.close();
  await t.dispose();
});
beforeAll(() => {
  ehr.tokens.set(COORDINATOR, { active: true, scope: 'openid fhirUser user/Patient.rs user/Condition.rs user/Observation.rs', sub: 'coord-1', fhirUser: 'Practitioner/c1' });
  ehr.tokens.set(COLLEAGUE, { active: true, scope: 'openid fhirUser user/*.rs', sub: 'coord-2' });
  ehr.tokens.set(PATIENT_APP, { active: true, scope: 'launch/patient patient/*.rs', patient: 'p-1', sub: 'patient-1' });
});

const call = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'X-FHIR-Server': ehr.fhirBase, 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });

/** Which category each patient gets: every third eligible, then excluded, then unknown. */
const categoryOf = (ordinal: number): ScreeningCategory => (['eligible', 'excluded', 'unknown'] as const)[ordinal % 3] as ScreeningCategory;

function resultFor(category: ScreeningCategory): PatientScreeningResult {
  const exclusion = category === 'excluded' ? 'met' : 'not-met';
  return {
    category,
    summary: `${category}: test`,
    criteria: [
      { number: 1, kind: 'inclusion', text: 'Essential hypertension', status: category === 'unknown' ? 'unknown' : 'met', basis: category === 'unknown' ? 'none' : 'record', category: 'condition', evidence: [], reason: 'Hypertension present' },
      { number: 2, kind: 'exclusion', text: 'Type 1 diabetes, "insulin-dependent"', status: exclusion, basis: 'record', category: 'condition', evidence: [], reason: exclusion === 'met' ? 'Type 1 diabetes present' : 'Type 1 diabetes documented absent' },
    ],
  };
}

/**
 * A screening of `count` patients (ids p-0000 …) with every patient but the last done and the
 * last failed, stored as the worker would store them.
 */
async function screenedScreening(count: number): Promise<{ id: string; patientIds: string[] }> {
  const patientIds = Array.from({ length: count }, (_, i) => `p-${String(i).padStart(4, '0')}`);
  const res = await call('POST', '/api/trials/NCT00000001/screenings', COORDINATOR, { patients: patientIds.map((id) => `Patient/${id}`) });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const claimed = (await claimItems(t.db, { workerId: 'test', limit: 500, leaseMs: 60_000 })).filter((c) => c.screeningId === id);
    if (claimed.length === 0) break;
    const last = claimed.find((c) => c.ordinal === count - 1);
    if (last) await failItem(t.db, last, 'FHIR server answered 500', {});
    await completeItems(
      t.db,
      claimed.filter((c) => c !== last).map((item) => ({ item, result: resultFor(categoryOf(item.ordinal)) })),
    );
  }
  return { id, patientIds };
}

/** Splits CRLF lines of a CSV whose fields hold no line breaks (true of these results). */
const csvLines = (text: string) => text.split('\r\n').slice(0, -1);

describe('GET /api/screenings/{id}/export', () => {
  const count = CSV_PAGE * 2 + 50;
  let screening: { id: string; patientIds: string[] };
  beforeAll(async () => {
    screening = await screenedScreening(count);
  });
  const eligible = () => screening.patientIds.filter((_, i) => i < count - 1 && categoryOf(i) === 'eligible');

  it('is documented in the OpenAPI document', () => {
    const doc = openApiDocument('http://localhost') as unknown as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/screenings/{id}/export'] ?? {})).toEqual(['get']);
  });

  it('writes every patient as one CSV line, in request order, across pages, as an attachment', async () => {
    const res = await call('GET', `/api/screenings/${screening.id}/export?format=csv`, COORDINATOR);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="NCT00000001-screening-${screening.id.slice(0, 8)}.csv"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csvLines(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1));
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(count + 1);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(screening.patientIds.map((id) => `Patient/${id}`));
    expect(lines[1]).toBe('Patient/p-0000,done,eligible,1,0,0,0,1,0,#1 inclusion met: Hypertension present,,eligible: test,');
    expect(lines[2]).toBe('Patient/p-0001,done,excluded,1,0,0,1,0,0,#2 exclusion met: Type 1 diabetes present,,excluded: test,');
    expect(lines.at(-1)).toBe(`Patient/p-${String(count - 1).padStart(4, '0')},failed,,,,,,,,,,,FHIR server answered 500`);
  });

  it('answers CSV when no format is named', async () => {
    const res = await call('GET', `/api/screenings/${screening.id}/export`, COORDINATOR);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csvLines(await res.text())).toHaveLength(count + 1);
  });

  it('exports the eligible patients as an actual FHIR Group', async () => {
    const res = await call('GET', `/api/screenings/${screening.id}/export?format=group`, COORDINATOR);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(res.headers.get('content-disposition')).toContain('-candidates-group.json"');
    const group = (await res.json()) as Group;
    expect(group).toMatchObject({ resourceType: 'Group', type: 'person', actual: true, quantity: eligible().length, name: `Candidates for NCT00000001: ${TRIALS[0]?.title}` });
    expect(group.member?.map((m) => m.entity.reference)).toEqual(eligible().map((id) => `Patient/${id}`));
  });

  it('exports a transaction Bundle: the trial\'s ResearchStudy by NCT id and a candidate ResearchSubject per eligible patient', async () => {
    const res = await call('GET', `/api/screenings/${screening.id}/export?format=research-subjects`, COORDINATOR);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('-research-subjects-bundle.json"');
    const bundle = (await res.json()) as Bundle;
    expect(bundle.type).toBe('transaction');
    const [studyEntry, ...subjects] = bundle.entry ?? [];
    expect(studyEntry?.request?.ifNoneExist).toBe(`identifier=${encodeURIComponent(`${NCT_SYSTEM}|NCT00000001`)}`);
    expect((studyEntry?.resource as ResearchStudy).title).toBe(TRIALS[0]?.title);
    expect(subjects.map((e) => (e.resource as ResearchSubject).individual.reference)).toEqual(eligible().map((id) => `Patient/${id}`));
    for (const e of subjects) {
      expect(e.resource).toMatchObject({ resourceType: 'ResearchSubject', status: 'candidate', study: { reference: studyEntry?.fullUrl, identifier: { system: NCT_SYSTEM, value: 'NCT00000001' } } });
    }
    const urls = (bundle.entry ?? []).map((e) => e.fullUrl);
    expect(new Set(urls).size).toBe(urls.length);
    for (const url of urls) expect(url).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('imports into a FHIR server as it is (the Bundle and the Group), and a second import of the Bundle creates nothing new', async () => {
    const bundle = (await (await call('GET', `/api/screenings/${screening.id}/export?format=research-subjects`, COORDINATOR)).json()) as Bundle;
    const fhir = await startDevFhirServer({ port: 0 });
    try {
      const post = async () => {
        const res = await fetch(fhir.baseUrl, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
        expect(res.status).toBe(200);
        return ((await res.json()) as Bundle).entry?.map((e) => e.response?.status);
      };
      expect(await post()).toEqual(['201', ...eligible().map(() => '201')]);
      expect(await post()).toEqual(['200', ...eligible().map(() => '200')]);
      const subjects = (await (await fetch(`${fhir.baseUrl}/ResearchSubject?_count=500&_summary=count`)).json()) as Bundle;
      expect(subjects.total).toBe(eligible().length);
      // The Group, too, is a resource the server takes as it is.
      const group = await (await call('GET', `/api/screenings/${screening.id}/export?format=group`, COORDINATOR)).text();
      expect((await fetch(`${fhir.baseUrl}/Group`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: group })).status).toBe(201);
    } finally {
      await fhir.close();
    }
  });

  it('exports a screening still under way as far as it got', async () => {
    const res = await call('POST', '/api/trials/NCT00000001/screenings', COORDINATOR, { patients: ['Patient/q-1', 'Patient/q-2'] });
    const { id } = (await res.json()) as { id: string };
    const lines = csvLines(await (await call('GET', `/api/screenings/${id}/export`, COORDINATOR)).text());
    expect(lines.slice(1)).toEqual(['Patient/q-1,pending,,,,,,,,,,,', 'Patient/q-2,pending,,,,,,,,,,,']);
    const group = (await (await call('GET', `/api/screenings/${id}/export?format=group`, COORDINATOR)).json()) as Group;
    expect(group.quantity).toBe(0);
    expect(group.text?.div).toContain('so far only');
  });

  it('is for the screening\'s owner only: another user gets 404, a patient\'s app 403; malformed requests 400', async () => {
    const other = await call('GET', `/api/screenings/${screening.id}/export`, COLLEAGUE);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    expect((await call('GET', `/api/screenings/${screening.id}/export`, PATIENT_APP)).status).toBe(403);
    expect((await call('GET', '/api/screenings/not-a-uuid/export', COORDINATOR)).status).toBe(404);
    const bad = await call('GET', `/api/screenings/${screening.id}/export?format=xlsx`, COORDINATOR);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issue: Array<{ diagnostics: string }> }).issue[0]?.diagnostics).toMatch(/format/);
    const post = await call('POST', `/api/screenings/${screening.id}/export`, COORDINATOR, {});
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});
