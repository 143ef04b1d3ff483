import { describe, expect, it } from '@jest/globals';
import { observationPage } from '../support/fhir-builders.js';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { FhirFetchError, type FhirGateway } from '../../src/fhir/gateway.js';
import { requireFound, resolvePrefetch } from '../../src/hooks/prefetch/resolve.js';
import { MAX_FETCHED_ATTACHMENTS } from '../../src/hooks/prefetch/attachments.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';

const templates = {
  patient: 'Patient/{{context.patientId}}',
  vitals: 'Observation?patient={{context.patientId}}&category=vital-signs',
  encounter: 'Encounter/{{context.encounterId}}',
};
const context = { patientId: 'p1', userId: 'Practitioner/u1' };
const patient: FhirResource = { resourceType: 'Patient', id: 'p1' };

/** A fake FHIR server recording the URLs asked for. */
function fakeGateway(answers: Record<string, FhirResource | null | Error>): FhirGateway & { calls: string[] } {
  const calls: string[] = [];
  const get = async (url: string) => {
    calls.push(url);
    const answer = answers[url];
    if (answer instanceof Error) throw answer;
    if (answer === undefined) throw new FhirFetchError(`${url}: HTTP 500`, 'http', 500);
    return answer;
  };
  return {
    calls,
    get,
    async collectPages(first) {
      let page = first;
      const entries = [...(first.entry ?? [])];
      for (let next = page.link?.find((l) => l.relation === 'next')?.url; next; next = page.link?.find((l) => l.relation === 'next')?.url) {
        page = (await get(next)) as Bundle;
        entries.push(...(page.entry ?? []));
      }
      return { ...first, link: undefined, entry: entries };
    },
  };
}

describe('resolvePrefetch', () => {
  it('uses values the EHR sent and fetches nothing', async () => {
    const gateway = fakeGateway({});
    const out = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: { patient }, gateway });
    expect(out).toEqual([{ key: 'patient', source: 'client', value: patient }]);
    expect(gateway.calls).toEqual([]);
  });

  it('treats null as no data, without fetching', async () => {
    const gateway = fakeGateway({});
    const out = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: { patient: null }, gateway });
    expect(out).toEqual([{ key: 'patient', source: 'client-null', value: null }]);
    expect(gateway.calls).toEqual([]);
  });

  it('fails a required key whose read found nothing (404), and keeps null for the others and for what the EHR sent', async () => {
    const gateway = fakeGateway({ 'Patient/p1': null, 'Observation?patient=p1&category=vital-signs': null });
    const out = await resolvePrefetch({ templates: { patient: templates.patient, vitals: templates.vitals }, context, provided: undefined, gateway });
    expect(out.map((o) => [o.key, o.source, o.value])).toEqual([
      ['patient', 'fetched', null],
      ['vitals', 'fetched', null],
    ]);
    const checked = requireFound(out, ['patient']);
    expect(checked[0]).toMatchObject({ key: 'patient', source: 'failed', cause: 'not-found', reason: expect.stringMatching(/no such resource/) });
    expect(checked[1]).toEqual({ key: 'vitals', source: 'fetched', value: null });
    const sentNull = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: { patient: null }, gateway });
    expect(requireFound(sentNull, ['patient'])).toEqual([{ key: 'patient', source: 'client-null', value: null }]);
  });

  it('fetches an absent key and a key holding an OperationOutcome', async () => {
    const gateway = fakeGateway({
      'Patient/p1': patient,
      'Observation?patient=p1&category=vital-signs': observationPage(['o1']),
    });
    const out = await resolvePrefetch({
      templates: { patient: templates.patient, vitals: templates.vitals },
      context,
      provided: { vitals: { resourceType: 'OperationOutcome', issue: [] } },
      gateway,
    });
    expect(out.map((o) => [o.key, o.source])).toEqual([
      ['patient', 'fetched'],
      ['vitals', 'fetched'],
    ]);
    expect(gateway.calls.sort()).toEqual(['Observation?patient=p1&category=vital-signs', 'Patient/p1']);
  });

  it('completes a paged search from next links', async () => {
    const gateway = fakeGateway({
      'Observation?patient=p1&category=vital-signs': observationPage(['o1'], 'page2'),
      page2: observationPage(['o2'], 'page3'),
      page3: observationPage(['o3']),
    });
    const [out] = await resolvePrefetch({ templates: { vitals: templates.vitals }, context, provided: undefined, gateway });
    expect(out?.source).toBe('fetched');
    expect((out?.value as Bundle).entry?.map((e) => e.resource?.id)).toEqual(['o1', 'o2', 'o3']);
  });

  it('completes a paged Bundle the EHR prefetched', async () => {
    const gateway = fakeGateway({ page2: observationPage(['o2']) });
    const [out] = await resolvePrefetch({ templates: { vitals: templates.vitals }, context, provided: { vitals: observationPage(['o1'], 'page2') }, gateway });
    expect(out?.source).toBe('client');
    expect((out?.value as Bundle).entry).toHaveLength(2);
  });

  it.each([
    ['no fhirServer', false, 'no-server', /paged and its next page could not be fetched: the request names no fhirServer/],
    ['a refused fhirServer', true, 'refused', /paged and its next page could not be fetched: the request's fhirServer is not one this client may use/],
  ] as const)('does not take a first page for the whole search when it cannot fetch the rest (%s)', async (_, refused, cause, reason) => {
    const [out] = await resolvePrefetch({
      templates: { vitals: templates.vitals },
      context,
      provided: { vitals: observationPage(['o1'], 'page2') },
      gateway: undefined,
      fhirServerRefused: refused,
    });
    expect(out).toMatchObject({ key: 'vitals', source: 'failed', cause, reason: expect.stringMatching(reason) });
  });

  it('reads that find nothing are null, not failures', async () => {
    const gateway = fakeGateway({ 'Patient/p1': null });
    const [out] = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: {}, gateway });
    expect(out).toEqual({ key: 'patient', source: 'fetched', value: null });
  });

  it('marks a key whose token has no value as not applicable', async () => {
    const [out] = await resolvePrefetch({ templates: { encounter: templates.encounter }, context, provided: {}, gateway: fakeGateway({}) });
    expect(out?.source).toBe('not-applicable');
  });

  it.each([
    ['no fhirServer', undefined, /names no fhirServer/, undefined],
    ['a time-out', fakeGateway({ 'Patient/p1': new FhirFetchError('Patient/[id]: no answer within 1000 ms', 'timeout') }), /could not be fetched/, /no answer within/],
    ['an HTTP error', fakeGateway({}), /could not be fetched/, /HTTP 500/],
    ['an OperationOutcome answer', fakeGateway({ 'Patient/p1': { resourceType: 'OperationOutcome', issue: [] } }), /could not be fetched/, /OperationOutcome/],
  ])('fails a key it cannot fetch, with a generic reason and the detail apart: %s', async (_name, gateway, reason, detail) => {
    const [out] = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: {}, gateway });
    if (out?.source !== 'failed') throw new Error(`expected a failure, got ${out?.source}`);
    expect(out.reason).toMatch(reason);
    // The reason may reach the caller: no network detail in it.
    expect(out.reason).not.toMatch(/HTTP|ms|answer within/);
    if (detail) expect(out.detail).toMatch(detail);
  });

  it('resolves a key that reads another key after it (%key)', async () => {
    const gateway = fakeGateway({ 'Patient/p1': { ...patient, generalPractitioner: [{ reference: 'gp9' }] } as FhirResource, 'Practitioner/gp9': { resourceType: 'Practitioner', id: 'gp9' } });
    const out = await resolvePrefetch({
      templates: { gp: 'Practitioner/{{%patient.generalPractitioner.reference}}', patient: templates.patient },
      context,
      provided: {},
      gateway,
    });
    expect(out.find((o) => o.key === 'gp')).toMatchObject({ source: 'fetched', value: { id: 'gp9' } });
  });

  it('says the fhirServer was refused, and fetches nothing', async () => {
    const [out] = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: {}, gateway: undefined, fhirServerRefused: true });
    expect(out).toMatchObject({ source: 'failed', cause: 'refused', reason: expect.stringMatching(/fhirServer is not one this client may use/) });
  });

  it('fetches a value that is neither a resource nor null, as if it were absent', async () => {
    const gateway = fakeGateway({ 'Patient/p1': patient });
    const [out] = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: { patient: 'Patient/p1' }, gateway });
    expect(out).toMatchObject({ source: 'fetched', value: patient, replaced: expect.any(String) });
  });
});

describe('resolvePrefetch: a prefetch value is checked against its template', () => {
  const observation = (id: string, subject?: string) =>
    ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' }, ...(subject && { subject: { reference: subject } }) }) as FhirResource;
  const searchset = (...resources: FhirResource[]): Bundle => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });
  const answers = {
    'Patient/p1': patient,
    'Observation?patient=p1&category=vital-signs': searchset(observation('fetched-1', 'Patient/p1')),
  };

  it.each<[string, string, unknown]>([
    ['patient holding an Observation', 'patient', observation('o1')],
    ['patient holding a Patient of another id', 'patient', { resourceType: 'Patient', id: 'someone-else' }],
    ['patient holding a Bundle', 'patient', searchset(patient)],
    ['vitals holding a Patient', 'vitals', patient],
    ['vitals holding a Bundle of Conditions', 'vitals', searchset({ resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' } } as FhirResource)],
    ['vitals holding a Bundle that is not a searchset', 'vitals', { ...searchset(observation('o1')), type: 'collection' }],
    ["vitals holding another patient's Observation", 'vitals', searchset(observation('o1', 'Patient/p1'), observation('o2', 'https://ehr.example.org/fhir/Patient/p2'))],
  ])('treats %s as absent, and fetches it', async (_name, key, value) => {
    const gateway = fakeGateway(answers);
    const out = await resolvePrefetch({ templates: { patient: templates.patient, vitals: templates.vitals }, context, provided: { patient, vitals: searchset(), [key]: value }, gateway });
    const outcome = out.find((o) => o.key === key);
    expect(outcome).toMatchObject({ source: 'fetched', replaced: expect.any(String) });
    expect(outcome?.value).toEqual(answers[key === 'patient' ? 'Patient/p1' : 'Observation?patient=p1&category=vital-signs']);
    // The problem is logged: it names types, never ids.
    expect(outcome?.source === 'fetched' && outcome.replaced).not.toMatch(/p1|p2|someone-else/);
    // The other key was used as sent.
    expect(out.find((o) => o.key !== key)?.source).toBe('client');
  });

  it('accepts what the template asks for: OperationOutcome entries of mode outcome, urn:uuid subjects, the id of context.patientId', async () => {
    const bundleWithOutcome: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: observation('o1', 'Patient/p1'), search: { mode: 'match' } },
        { resource: observation('o2', 'urn:uuid:0f6d0a55-7c2d-4a2b-9c0e-6a8f7c1d2e3f') },
        { resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] }, search: { mode: 'outcome' } },
      ],
    };
    const gateway = fakeGateway({});
    const out = await resolvePrefetch({ templates: { patient: templates.patient, vitals: templates.vitals }, context, provided: { patient, vitals: bundleWithOutcome }, gateway });
    expect(out.map((o) => o.source)).toEqual(['client', 'client']);
    expect(gateway.calls).toEqual([]);
  });

  it('passes malformed entries (null, numbers, no resource, an entry that is not an array) on for the PatientContext builder to report', async () => {
    const junk = (entry: unknown) => ({ resourceType: 'Bundle', type: 'searchset', entry }) as unknown as Bundle;
    for (const bundle of [junk([null, 5, 'x', [], {}, { resource: null }, { resource: 'Observation' }, { resource: observation('o1', 'Patient/p1'), search: 'match' }]), junk(5), junk('entries')]) {
      const gateway = fakeGateway({});
      const [out] = await resolvePrefetch({ templates: { vitals: templates.vitals }, context, provided: { vitals: bundle }, gateway });
      expect(out).toMatchObject({ source: 'client', value: bundle });
      expect(gateway.calls).toEqual([]);
    }
    // A wrong resource among the junk is still found.
    const [out] = await resolvePrefetch({ templates: { vitals: templates.vitals }, context, provided: { vitals: junk([null, { resource: patient }]) }, gateway: fakeGateway(answers) });
    expect(out).toMatchObject({ source: 'fetched', replaced: expect.any(String) });
  });

  it('an OperationOutcome entry not marked as an outcome is a wrong type', async () => {
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'OperationOutcome', issue: [] } }] };
    const [out] = await resolvePrefetch({ templates: { vitals: templates.vitals }, context, provided: { vitals: bundle }, gateway: fakeGateway(answers) });
    expect(out).toMatchObject({ source: 'fetched', replaced: expect.any(String) });
  });

  it('fails a wrong value it cannot replace, saying why', async () => {
    const [out] = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: { patient: observation('o1') }, gateway: undefined });
    expect(out).toMatchObject({ source: 'failed', cause: 'no-server', reason: expect.stringMatching(/not what the prefetch template asks for.*names no fhirServer/) });
  });

  it("fails a key when the FHIR server's own answer is of the wrong type", async () => {
    const gateway = fakeGateway({ 'Patient/p1': { resourceType: 'Patient', id: 'p9' } });
    const [out] = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: {}, gateway });
    expect(out).toMatchObject({ source: 'failed', cause: 'fetch', reason: expect.stringMatching(/answer is not what the prefetch template asks for/) });
  });
});

describe('resolvePrefetch at the hook deadline', () => {
  /** A FHIR server that never answers; a call ends only when its signal aborts, as the real gateway's does. */
  function hangingGateway(): FhirGateway & { calls: string[] } {
    const calls: string[] = [];
    const wait = (url: string, signal?: AbortSignal) =>
      new Promise<never>((_resolve, reject) => {
        calls.push(url);
        signal?.addEventListener('abort', () => reject(new FhirFetchError(`${url}: aborted`, 'network')), { once: true });
      });
    return { calls, get: (url, signal) => wait(url, signal), collectPages: (_first, signal) => wait('next', signal) };
  }

  it('fails every key still missing when the deadline passes, and settles at once', async () => {
    const controller = new AbortController();
    const promise = resolvePrefetch({
      templates: { patient: templates.patient, vitals: templates.vitals },
      context,
      provided: { patient },
      gateway: hangingGateway(),
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('hook deadline'));
    const out = await promise;
    expect(out[0]).toMatchObject({ key: 'patient', source: 'client' });
    expect(out[1]).toMatchObject({ key: 'vitals', source: 'failed', cause: 'deadline', reason: expect.stringMatching(/before the deadline/) });
  });

  it('also fails a key that waits for a slot, or that never got an abortable call', async () => {
    const controller = new AbortController();
    // A gateway that ignores the signal entirely: the deadline still settles the key.
    const deaf: FhirGateway = { get: () => new Promise(() => undefined), collectPages: () => new Promise(() => undefined) };
    const promise = resolvePrefetch({ templates: { patient: templates.patient }, context, provided: {}, gateway: deaf, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    expect(await promise).toEqual([expect.objectContaining({ key: 'patient', source: 'failed', cause: 'deadline' })]);
  });

  it('starts the keys named first before the others, so the required ones get the first slots', async () => {
    const gateway = hangingGateway();
    const controller = new AbortController();
    const promise = resolvePrefetch({
      templates: { vitals: templates.vitals, patient: templates.patient },
      context,
      provided: {},
      gateway,
      signal: controller.signal,
      first: ['patient'],
    });
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await promise;
    expect(gateway.calls).toEqual(['Patient/p1', 'Observation?patient=p1&category=vital-signs']);
  });
});

describe('resolvePrefetch: notes kept as Binary resources', () => {
  const notesTemplate = { notes: 'DocumentReference?patient={{context.patientId}}' };
  const html = '<p>Seen in clinic. She has <b>HIV infection</b>, on bictegravir.</p>';
  const base64 = (t: string) => Buffer.from(t, 'utf8').toString('base64');
  const doc = (id: string, url: string, contentType: string | undefined, date: string): FhirResource =>
    ({ resourceType: 'DocumentReference', id, status: 'current', subject: { reference: 'Patient/p1' }, date, content: [{ attachment: { url, ...(contentType && { contentType }) } }] }) as FhirResource;
  const bundle = (...docs: FhirResource[]): Bundle => ({ resourceType: 'Bundle', type: 'searchset', entry: docs.map((resource) => ({ resource })) });
  const binary = (contentType: string, text: string): FhirResource => ({ resourceType: 'Binary', contentType, data: base64(text) }) as FhirResource;

  it('reads a url-only text attachment from its Binary, in a copy, so the record builder reads the note', async () => {
    const sent = bundle(doc('d1', 'Binary/b1', 'text/html', '2026-11-20T10:00:00Z'), doc('d2', 'https://ehr.example/fhir/Binary/b2', undefined, '2026-11-21T10:00:00Z'));
    const before = structuredClone(sent);
    const gateway = fakeGateway({ 'Binary/b1': binary('text/html', html), 'https://ehr.example/fhir/Binary/b2': binary('text/plain', 'Plain note.') });
    const [out] = await resolvePrefetch({ templates: notesTemplate, context, provided: { notes: sent }, gateway });
    expect(sent).toEqual(before); // the request's own value is never changed
    expect(out?.source).toBe('client');
    expect(out?.value).not.toBe(sent);
    const docs = (out?.value as Bundle).entry!.map((e) => (e.resource as unknown as { content: Array<{ attachment: Record<string, unknown> }> }).content[0]!.attachment);
    expect(docs[0]).toEqual({ url: 'Binary/b1', contentType: 'text/html', data: base64(html) });
    // No type on the attachment: the Binary's is taken. An absolute URL is asked as it is (the gateway checks it is under the base).
    expect(docs[1]).toEqual({ url: 'https://ehr.example/fhir/Binary/b2', contentType: 'text/plain', data: base64('Plain note.') });
    const ctx = buildPatientContext({ resources: [out!.value], patientId: 'p1', referenceTime: new Date('2026-11-22T00:00:00Z') });
    expect(ctx.notes.map((n) => n.text)).toEqual(expect.arrayContaining(['Plain note.', expect.stringContaining('She has HIV infection, on bictegravir.')]));
  });

  it('leaves alone what it cannot or need not read: another type, a Binary that fails, no gateway', async () => {
    const sent = bundle(doc('d1', 'Binary/rtf', 'text/rtf', '2026-11-20T10:00:00Z'), doc('d2', 'Binary/gone', 'text/plain', '2026-11-20T10:00:00Z'));
    const gateway = fakeGateway({});
    const [out] = await resolvePrefetch({ templates: notesTemplate, context, provided: { notes: sent }, gateway });
    expect(gateway.calls).toEqual(['Binary/gone']); // RTF is not read by the builder: not fetched
    expect(out?.value).toBe(sent);
    const [offline] = await resolvePrefetch({ templates: notesTemplate, context, provided: { notes: sent }, gateway: undefined });
    expect(offline?.value).toBe(sent);
  });

  it(`reads at most ${MAX_FETCHED_ATTACHMENTS} a call, the newest documents first`, async () => {
    const docs = Array.from({ length: MAX_FETCHED_ATTACHMENTS + 5 }, (_, i) => doc(`d${i}`, `Binary/b${i}`, 'text/plain', new Date(Date.UTC(2026, 0, 1 + i)).toISOString()));
    const gateway = fakeGateway(Object.fromEntries(docs.map((_, i) => [`Binary/b${i}`, binary('text/plain', `note ${i}`)])));
    await resolvePrefetch({ templates: notesTemplate, context, provided: { notes: bundle(...docs) }, gateway });
    expect(gateway.calls.sort()).toEqual(docs.slice(5).map((_, i) => `Binary/b${i + 5}`).sort());
  });
});
