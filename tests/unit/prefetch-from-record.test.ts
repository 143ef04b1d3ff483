import { describe, expect, it } from '@jest/globals';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { prefetchFromRecord } from '../../src/hooks/prefetch/from-record.js';

describe('prefetchFromRecord', () => {
  const record = [
    { resourceType: 'Patient', id: 'p' },
    { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } },
    { resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'y' } },
    { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p' } },
  ] as FhirResource[];

  it('gives the resource for a read and a searchset of that type for a search', () => {
    const out = prefetchFromRecord(record, {
      patient: 'Patient/{{context.patientId}}',
      observations: 'Observation?patient={{context.patientId}}&code=http://loinc.org|8867-4',
      encounters: 'Encounter?patient={{context.patientId}}',
    });
    expect(out.patient).toEqual(record[0]);
    expect((out.observations as Bundle).entry?.map((e) => e.resource?.id)).toEqual(['o1', 'o2']);
    expect((out.encounters as Bundle).entry).toEqual([]);
  });

  it('leaves out a read whose resource the record lacks', () => {
    expect(prefetchFromRecord(record, { encounter: 'Encounter/{{context.encounterId}}' })).toEqual({});
  });
});
