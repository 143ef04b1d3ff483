import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Bundle, CapabilityStatement, Observation, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import { startDevFhirServer } from '../../dev/fhir-server/index.js';
import type { DevFhirServer } from '../../dev/fhir-server/index.js';
import { readJsonLines, syntheaDataset, withDataset } from '../support/datasets.js';
import { observation as observationResource } from '../support/fhir-builders.js';

const SYNTHEA_DATA = syntheaDataset();
const SYNTHEA = SYNTHEA_DATA.path ?? '';
const withSynthea = withDataset(SYNTHEA_DATA);
const FHIR_JSON = 'application/fhir+json';

interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T = Bundle>(url: string, init: RequestInit = {}): Promise<Reply<T>> {
  const headers = new Headers(init.headers);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', FHIR_JSON);
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

const post = <T = Bundle>(url: string, body: unknown, init: RequestInit = {}): Promise<Reply<T>> =>
  call<T>(url, { ...init, method: 'POST', body: JSON.stringify(body) });

function resources<T extends Resource>(bundle: Bundle): T[] {
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource as T] : []));
}

function nextLink(bundle: Bundle): string | undefined {
  return bundle.link?.find((l) => l.relation === 'next')?.url;
}

function observation(id: string, patient: string, code: string, date: string): Observation {
  // The builder's plain JSON, typed for the searches below: it is a valid Observation.
  return observationResource({ id, code, patient, date, value: 120, unit: 'mm[Hg]' }) as unknown as Observation;
}

/** 5 Synthea patients listed in the data set's index, with their bundle files. */
const syntheaRows = readJsonLines<{ file: string; patient_id: string }>(SYNTHEA_DATA, 'index.jsonl')
  .filter((row) => existsSync(join(SYNTHEA, row.file)))
  .slice(0, 5);

withSynthea.describe('dev FHIR server: Synthea subset', () => {
  let server: DevFhirServer;
  let loadMs = 0;

  beforeAll(async () => {
    const started = performance.now();
    server = await startDevFhirServer({ port: 0, bundles: syntheaRows.map((row) => join(SYNTHEA, row.file)) });
    loadMs = performance.now() - started;
  });
  afterAll(() => server.close());

  it('listens on a random port under /fhir and loads the bundles with their ids', async () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/);
    expect(loadMs).toBeLessThan(15_000);
    const { status, body } = await call(`${server.baseUrl}/Patient?_count=100`);
    expect(status).toBe(200);
    expect(body.total).toBe(5);
    expect(resources<Patient>(body).map((p) => p.id).sort()).toEqual(syntheaRows.map((r) => r.patient_id).sort());
  });

  it('serves a CapabilityStatement for FHIR 4.0.1 with CORS headers', async () => {
    const { status, headers, body } = await call<CapabilityStatement>(`${server.baseUrl}/metadata`, {
      headers: { origin: 'http://app.example' },
    });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toContain(FHIR_JSON);
    expect(headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(body.resourceType).toBe('CapabilityStatement');
    expect(body.fhirVersion).toBe('4.0.1');
    const obs = body.rest?.[0]?.resource?.find((r) => r.type === 'Observation');
    expect(obs?.searchParam?.map((p) => p.name)).toEqual(expect.arrayContaining(['code', 'date', 'patient', 'subject']));
    // Quantity parameters are rejected by the server, so they are not advertised.
    expect(obs?.searchParam?.map((p) => p.name)).not.toContain('value-quantity');
  });

  it('reads a resource, with ETag, and answers 404 with an OperationOutcome for a missing one', async () => {
    const id = syntheaRows[0]?.patient_id ?? '';
    const read = await call<Patient>(`${server.baseUrl}/Patient/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(id);
    expect(read.headers.get('etag')).toMatch(/^W\/".+"$/);
    const missing = await call<OperationOutcome>(`${server.baseUrl}/Patient/no-such-patient`);
    expect(missing.status).toBe(404);
    expect(missing.body.resourceType).toBe('OperationOutcome');
  });

  it('matches reference parameters given as Patient/X or bare X, after urn:uuid rewriting', async () => {
    const id = syntheaRows[0]?.patient_id ?? '';
    const forms = [`patient=${id}`, `patient=Patient/${id}`, `subject=Patient/${id}`, `subject=${id}`, `subject:Patient=${id}`];
    const totals = await Promise.all(forms.map(async (q) => (await call(`${server.baseUrl}/Observation?${q}&_count=0`)).body.total));
    expect(totals[0]).toBeGreaterThan(0);
    expect(new Set(totals).size).toBe(1);
    const page = await call(`${server.baseUrl}/Observation?patient=${id}&_count=10`);
    for (const obs of resources<Observation>(page.body)) expect(obs.subject?.reference).toBe(`Patient/${id}`);
  });

  it('searches blood pressure by token system|code (panel code and component code)', async () => {
    const id = syntheaRows[0]?.patient_id ?? '';
    const panel = await call(`${server.baseUrl}/Observation?patient=${id}&code=http://loinc.org|55284-4`);
    expect(panel.status).toBe(200);
    expect(panel.body.total).toBeGreaterThan(0);
    // Synthea records systolic 8480-6 only as a component of the 55284-4 panel.
    const systolic = await call(`${server.baseUrl}/Observation?patient=${id}&component-code=http://loinc.org|8480-6`);
    expect(systolic.body.total).toBe(panel.body.total);
    const asTopLevel = await call(`${server.baseUrl}/Observation?patient=${id}&code=http://loinc.org|8480-6`);
    expect(asTopLevel.body.total).toBe(0);
  });

  it('resolves _include and _revinclude', async () => {
    const id = syntheaRows[0]?.patient_id ?? '';
    const { body } = await call(
      `${server.baseUrl}/Encounter?patient=${id}&_count=3&_include=Encounter:patient&_revinclude=Condition:encounter`,
    );
    const modes = (body.entry ?? []).map((e) => `${e.search?.mode}:${e.resource?.resourceType}`);
    expect(modes.filter((m) => m === 'match:Encounter')).toHaveLength(3);
    expect(modes).toContain('include:Patient');
    const all = await call(`${server.baseUrl}/Encounter?patient=${id}&_count=1000&_revinclude=Condition:encounter`);
    expect(resources(all.body).some((r) => r.resourceType === 'Condition')).toBe(true);
  });
});

describe('dev FHIR server: search, paging, validation and transactions', () => {
  let server: DevFhirServer;
  let base = '';

  beforeAll(async () => {
    server = await startDevFhirServer();
    base = server.baseUrl;
    const observations = Array.from({ length: 120 }, (_, i) =>
      observation(`pg-${i}`, 'pg', i % 2 ? '8480-6' : '8462-4', new Date(Date.UTC(2019, 0, 1) + i * 86_400_000 * 7).toISOString()),
    );
    await server.loadBundle({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Patient', id: 'pg' } }, ...observations.map((resource) => ({ resource }))],
    });
  });
  afterAll(() => server.close());

  it('pages with _count (default 50) and absolute next links a client can follow', async () => {
    const first = await call(`${base}/Observation?patient=pg`);
    expect(first.body.total).toBe(120);
    expect(first.body.entry).toHaveLength(50);
    expect(first.body.link?.find((l) => l.relation === 'self')?.url).toMatch(new RegExp(`^${base}/Observation\\?`));

    const seen = new Set<string>();
    let url: string | undefined = `${base}/Observation?patient=pg&_count=40`;
    let pages = 0;
    while (url) {
      expect(url.startsWith(`${base}/`)).toBe(true);
      const page: Reply<Bundle> = await call(url);
      for (const r of resources(page.body)) seen.add(r.id ?? '');
      url = nextLink(page.body);
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.size).toBe(120);

    const capped = await call(`${base}/Observation?_count=5000`);
    expect(capped.body.link?.find((l) => l.relation === 'self')?.url).toContain('_count=1000');
  });

  it('matches token parameters with and without a system', async () => {
    const count = async (q: string): Promise<number | undefined> => (await call(`${base}/Observation?${q}`)).body.total;
    expect(await count('code=http://loinc.org|8480-6')).toBe(60);
    expect(await count('code=8480-6')).toBe(60);
    expect(await count('code=http://snomed.info/sct|8480-6')).toBe(0);
    expect(await count('code=http://loinc.org|8480-6,http://loinc.org|8462-4')).toBe(120);
  });

  it('filters and sorts by date', async () => {
    const since2020 = await call(`${base}/Observation?patient=pg&date=ge2020-01-01&_count=1000`);
    const dates = resources<Observation>(since2020.body).map((o) => o.effectiveDateTime ?? '');
    expect(dates.length).toBeGreaterThan(0);
    expect(dates.every((d) => d >= '2020-01-01')).toBe(true);
    const before = await call(`${base}/Observation?patient=pg&date=lt2020-01-01&_count=0`);
    expect((before.body.total ?? 0) + dates.length).toBe(120);

    const latest = await call(`${base}/Observation?patient=pg&_sort=-date&_count=3`);
    const sorted = resources<Observation>(latest.body).map((o) => o.effectiveDateTime ?? '');
    expect(sorted).toEqual([...dates].sort().reverse().slice(0, 3));

    const bad = await call<OperationOutcome>(`${base}/Observation?date=ge2020-13-45`);
    expect(bad.status).toBe(400);
  });

  it('rejects unknown or unsupported search parameters with 400 unless Prefer: handling=lenient', async () => {
    for (const q of ['colour=red', 'value-quantity=gt100', 'subject.name=x', '_has:Condition:subject:code=x', 'code:text=bp']) {
      const res = await call<OperationOutcome>(`${base}/Observation?${q}`);
      expect([q, res.status, res.body.resourceType]).toEqual([q, 400, 'OperationOutcome']);
    }
    const lenient = await call(`${base}/Observation?colour=red&patient=pg&_count=0`, {
      headers: { prefer: 'handling=lenient' },
    });
    expect(lenient.status).toBe(200);
    expect(lenient.body.total).toBe(120);
    expect((await call(`${base}/NoSuchType?x=1`)).status).toBe(404);
  });

  it('supports POST Type/_search with a form body', async () => {
    const res = await call(`${base}/Observation/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'patient=pg&code=http://loinc.org|8480-6&_count=5',
    });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(60);
    expect(res.body.entry).toHaveLength(5);
  });

  it('validates creates and updates (400 with an OperationOutcome)', async () => {
    const noCode = await post<OperationOutcome>(`${base}/Observation`, { resourceType: 'Observation', status: 'final' });
    expect(noCode.status).toBe(400);
    expect(noCode.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(noCode.body.issue)).toContain('code');

    const badDate = await call<OperationOutcome>(`${base}/Patient/pg`, {
      method: 'PUT',
      body: JSON.stringify({ resourceType: 'Patient', id: 'pg', birthDate: 'last tuesday' }),
    });
    expect(badDate.status).toBe(400);
    expect((await call<Patient>(`${base}/Patient/pg`)).body.birthDate).toBeUndefined();

    const created = await post<Patient>(`${base}/Patient`, { resourceType: 'Patient', birthDate: '1970-01-01' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(new RegExp(`^${base}/Patient/${created.body.id}/_history/`));
  });

  it('runs transactions atomically and rewrites urn:uuid references', async () => {
    const patientUrn = 'urn:uuid:7c1f3a52-9d4e-4b8a-a1c2-3e5f6a7b8c9d';
    const ok = await post(base, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: patientUrn, resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'tx-ok' }] }, request: { method: 'POST', url: 'Patient' } },
        {
          resource: { ...observation('ignored', 'x', '8480-6', '2024-05-01'), id: undefined, subject: { reference: patientUrn } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.type).toBe('transaction-response');
    const patientId = ok.body.entry?.[0]?.resource?.id;
    const obs = ok.body.entry?.[1]?.resource as Observation;
    expect(obs.subject?.reference).toBe(`Patient/${patientId}`);
    expect((await call(`${base}/Observation?patient=${patientId}`)).body.total).toBe(1);

    const before = server.resourceCount();
    const existing = (await call<Observation>(`${base}/Observation/pg-0`)).body;
    const failed = await post<OperationOutcome>(base, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'tx-fail' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { ...existing, status: 'amended' }, request: { method: 'PUT', url: 'Observation/pg-0' } },
        // Invalid (no code), and processed after the update above, which must be undone.
        { resource: { resourceType: 'Observation', id: 'tx-bad', status: 'final' }, request: { method: 'PUT', url: 'Observation/tx-bad' } },
      ],
    });
    expect(failed.status).toBe(400);
    expect(failed.body.resourceType).toBe('OperationOutcome');
    expect(failed.body.issue?.[0]?.diagnostics).toContain('Bundle.entry[2]');
    expect(server.resourceCount()).toBe(before);
    expect((await call(`${base}/Patient?identifier=urn:test|tx-fail`)).body.total).toBe(0);
    const after = await call<Observation>(`${base}/Observation/pg-0`);
    expect(after.body).toEqual(existing);
    const history = await call(`${base}/Observation/pg-0/_history`);
    expect(history.body.entry).toHaveLength(1);
  });

  it('runs batch Bundles entry by entry', async () => {
    const res = await post(base, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', id: 'batch-ok' }, request: { method: 'PUT', url: 'Patient/batch-ok' } },
        { resource: { resourceType: 'Observation', status: 'final' }, request: { method: 'POST', url: 'Observation' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry?.map((e) => e.response?.status)).toEqual(['200', '400']);
    expect((await call(`${base}/Patient/batch-ok`)).status).toBe(200);
  });

  it('loadBundle is atomic too and rejects what is not a loadable Bundle', async () => {
    const before = server.resourceCount();
    await expect(
      server.loadBundle({
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ resource: { resourceType: 'Patient', id: 'load-a' } }, { resource: { resourceType: 'Observation', id: 'load-b' } }],
      }),
    ).rejects.toThrow();
    expect(server.resourceCount()).toBe(before);
    await expect(server.loadBundle({ resourceType: 'Patient' })).rejects.toThrow(/Bundle/);
  });
});

describe('dev FHIR server: reference searches follow every write', () => {
  // The server narrows `patient=` searches with references computed once per stored version:
  // an update, a delete or a rolled-back transaction must never leave a stale answer.
  let server: DevFhirServer;
  let base = '';
  const total = async (q: string): Promise<number | undefined> => (await call(`${base}/Observation?${q}&_count=0`)).body.total;

  beforeAll(async () => {
    server = await startDevFhirServer();
    base = server.baseUrl;
    await server.loadBundle({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', id: 'ref-a' } },
        { resource: { resourceType: 'Patient', id: 'ref-b' } },
        { resource: observation('ref-1', 'ref-a', '8480-6', '2024-01-01') },
        { resource: observation('ref-2', 'ref-a', '8462-4', '2024-01-02') },
        { resource: observation('ref-3', 'ref-b', '8480-6', '2024-01-03') },
      ],
    });
  });
  afterAll(() => server.close());

  it('matches bare ids, typed references, several values and the subject parameter', async () => {
    expect(await total('patient=ref-a')).toBe(2);
    expect(await total('patient=Patient/ref-b')).toBe(1);
    expect(await total('patient=ref-a,ref-b')).toBe(3);
    expect(await total('subject=Patient/ref-a')).toBe(2);
    expect(await total('patient=ref-a&code=http://loinc.org|8480-6')).toBe(1);
    expect(await total('patient=nobody')).toBe(0);
    // Without _sort, in the order the resources were first stored, as Medplum's own scan gives them.
    const ids = async (q: string) => resources((await call(`${base}/Observation?${q}`)).body).map((r) => r.id);
    expect(await ids('patient=ref-a,ref-b')).toEqual(['ref-1', 'ref-2', 'ref-3']);
    await server.loadBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: observation('ref-0', 'ref-a', '8480-6', '2024-01-04') }] });
    expect(await ids('patient=ref-a')).toEqual(['ref-1', 'ref-2', 'ref-0']);
    expect((await call(`${base}/Observation/ref-0`, { method: 'DELETE' })).status).toBe(200);
    expect(await ids('patient=ref-a')).toEqual(['ref-1', 'ref-2']);
  });

  it('sees an update that moves a resource to another patient, and a delete', async () => {
    expect(await total('patient=ref-a')).toBe(2);
    const moved = await call(`${base}/Observation/ref-1`, { method: 'PUT', body: JSON.stringify(observation('ref-1', 'ref-b', '8480-6', '2024-01-01')) });
    expect(moved.status).toBe(200);
    expect(await total('patient=ref-a')).toBe(1);
    expect(await total('patient=ref-b')).toBe(2);
    expect((await call(`${base}/Observation/ref-2`, { method: 'DELETE' })).status).toBe(200);
    expect(await total('patient=ref-a')).toBe(0);
  });

  it('sees the restored version after a failed transaction', async () => {
    expect(await total('patient=ref-b')).toBe(2);
    const failed = await post(base, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: observation('ref-3', 'ref-a', '8480-6', '2024-01-03'), request: { method: 'PUT', url: 'Observation/ref-3' } },
        { resource: observation('ref-new', 'ref-a', '8480-6', '2024-01-05'), request: { method: 'PUT', url: 'Observation/ref-new' } },
        { resource: { resourceType: 'Observation', id: 'ref-bad', status: 'final' }, request: { method: 'PUT', url: 'Observation/ref-bad' } },
      ],
    });
    expect(failed.status).toBe(400);
    expect(await total('patient=ref-a')).toBe(0);
    expect(await total('patient=ref-b')).toBe(2);
  });
});

describe('dev FHIR server: bearer token', () => {
  let server: DevFhirServer;
  beforeAll(async () => {
    server = await startDevFhirServer({ requireBearerToken: 's3cret' });
  });
  afterAll(() => server.close());

  it('answers 401 with an OperationOutcome without the token and records every request', async () => {
    const none = await call<OperationOutcome>(`${server.baseUrl}/Patient`);
    expect(none.status).toBe(401);
    expect(none.body.resourceType).toBe('OperationOutcome');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call(`${server.baseUrl}/Patient`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);

    const ok = await call(`${server.baseUrl}/Patient?_count=1`, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    const preflight = await call(`${server.baseUrl}/Patient`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);

    expect(server.requests).toEqual([
      { method: 'GET', url: '/fhir/Patient' },
      { method: 'GET', url: '/fhir/Patient', authorization: 'Bearer wrong' },
      { method: 'GET', url: '/fhir/Patient?_count=1', authorization: 'Bearer s3cret' },
      { method: 'OPTIONS', url: '/fhir/Patient' },
    ]);
  });
});

withSynthea.describe('dev FHIR server: scale', () => {
  it('loads all 53 Synthea bundles and searches 5,000 Observations quickly', async () => {
    const timings: Record<string, number> = {};
    const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const result = await fn();
      timings[name] = Math.round(performance.now() - started);
      return result;
    };
    const server = await time('load 53 bundles', () => startDevFhirServer({ bundles: [join(SYNTHEA, 'bundles')] }));
    try {
      const patients = await call(`${server.baseUrl}/Patient?_count=100`);
      expect(patients.body.total).toBe(53);
      const id = syntheaRows[0]?.patient_id ?? '';
      const bp = await call(`${server.baseUrl}/Observation?patient=${id}&code=http://loinc.org|55284-4`);
      expect(bp.body.total).toBeGreaterThan(0);

      const codes = ['8480-6', '8462-4', '4548-4', '33914-3', '2339-0'];
      const many = Array.from({ length: 5000 }, (_, i) =>
        observation(`big-${i}`, 'big', codes[i % codes.length] ?? '', new Date(Date.UTC(2010, 0, 1) + i * 3_600_000 * 20).toISOString()),
      );
      await time('load 5,000 Observations', () =>
        server.loadBundle({
          resourceType: 'Bundle',
          type: 'collection',
          entry: [{ resource: { resourceType: 'Patient', id: 'big' } }, ...many.map((resource) => ({ resource }))],
        }),
      );
      const byCode = await time('patient+code search', () =>
        call(`${server.baseUrl}/Observation?patient=big&code=http://loinc.org|4548-4`),
      );
      expect(byCode.body.total).toBe(1000);
      const newest = await time('_sort=-date search', () => call(`${server.baseUrl}/Observation?patient=big&_sort=-date&_count=1`));
      expect((newest.body.entry?.[0]?.resource as Observation).id).toBe('big-4999');
      console.log('dev FHIR server timings (ms):', timings);
      // Unnarrowed search parameters take about 4 s and 22 s for these two searches.
      expect(timings['patient+code search']).toBeLessThan(2000);
      expect(timings['_sort=-date search']).toBeLessThan(2000);
    } finally {
      await server.close();
    }
  }, 60_000);
});
