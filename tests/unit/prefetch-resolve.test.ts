import { describe, expect, it } from '@jest/globals';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { FhirFetchError, type FhirGateway } from '../../src/fhir/gateway.js';
import { resolvePrefetch } from '../../src/hooks/prefetch/resolve.js';

const templates = {
  patient: 'Patient/{{context.patientId}}',
  vitals: 'Observation?patient={{context.patientId}}&category=vital-signs',
  encounter: 'Encounter/{{context.encounterId}}',
};
const context = { patientId: 'p1', userId: 'Practitioner/u1' };
const patient: FhirResource = { resourceType: 'Patient', id: 'p1' };
const bundle = (ids: string[], next?: string): Bundle => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: ids.map((id) => ({ resource: { resourceType: 'Observation', id, status: 'final', code: { text: 'x' } } })),
  ...(next && { link: [{ relation: 'next', url: next }] }),
});

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

  it('fetches an absent key and a key holding an OperationOutcome', async () => {
    const gateway = fakeGateway({
      'Patient/p1': patient,
      'Observation?patient=p1&category=vital-signs': bundle(['o1']),
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
      'Observation?patient=p1&category=vital-signs': bundle(['o1'], 'page2'),
      page2: bundle(['o2'], 'page3'),
      page3: bundle(['o3']),
    });
    const [out] = await resolvePrefetch({ templates: { vitals: templates.vitals }, context, provided: undefined, gateway });
    expect(out?.source).toBe('fetched');
    expect((out?.value as Bundle).entry?.map((e) => e.resource?.id)).toEqual(['o1', 'o2', 'o3']);
  });

  it('completes a paged Bundle the EHR prefetched', async () => {
    const gateway = fakeGateway({ page2: bundle(['o2']) });
    const [out] = await resolvePrefetch({ templates: { vitals: templates.vitals }, context, provided: { vitals: bundle(['o1'], 'page2') }, gateway });
    expect(out?.source).toBe('client');
    expect((out?.value as Bundle).entry).toHaveLength(2);
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
    ['no fhirServer', undefined, /names no fhirServer/],
    ['a time-out', fakeGateway({ 'Patient/p1': new FhirFetchError('Patient/p1: no answer within 1000 ms', 'timeout') }), /no answer within/],
    ['an HTTP error', fakeGateway({}), /HTTP 500/],
    ['an OperationOutcome answer', fakeGateway({ 'Patient/p1': { resourceType: 'OperationOutcome', issue: [] } }), /OperationOutcome/],
  ])('fails a key it cannot fetch: %s', async (_name, gateway, reason) => {
    const [out] = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: {}, gateway });
    expect(out?.source).toBe('failed');
    expect(out?.source === 'failed' && out.reason).toMatch(reason);
  });

  it('fails a value that is neither a resource nor null', async () => {
    const [out] = await resolvePrefetch({ templates: { patient: templates.patient }, context, provided: { patient: 'Patient/p1' }, gateway: fakeGateway({}) });
    expect(out?.source).toBe('failed');
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
});
