/**
 * Whether the data a service read all came in the request as sent (invokeService's `dataAsSent`):
 * the card ledger then digests the request body itself instead of re-serialising the data. Data
 * Cairn fetched, or a paged Bundle it completed, are not in the body, so the ledger must digest
 * the data read instead.
 */
import { describe, expect, it } from '@jest/globals';
import { observationPage } from '../support/fhir-builders.js';
import type { FhirResource } from 'fhir/r4.js';
import type { FhirGateway } from '../../src/fhir/gateway.js';
import { invokeService } from '../../src/hooks/invoke.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createLogger } from '../../src/log.js';

const patient: FhirResource = { resourceType: 'Patient', id: 'p1' };

const service: CdsService = {
  definition: {
    id: 'probe',
    hook: 'patient-view',
    title: 'probe',
    description: 'probe',
    prefetch: { patient: 'Patient/{{context.patientId}}', vitals: 'Observation?patient={{context.patientId}}' },
  } as CdsService['definition'],
  requiredPrefetch: ['patient'],
  run: async () => undefined,
};

const gateway: FhirGateway = {
  get: async (url) => (url.startsWith('Patient/') ? patient : url.includes('_offset') ? observationPage(['o2']) : observationPage(['o3'])),
  collectPages: async (first) => ({ ...first, link: [], entry: [...(first.entry ?? []), ...(observationPage(['o2']).entry ?? [])] }),
};

async function dataAsSent(prefetch: Record<string, unknown>): Promise<boolean> {
  const body = { hook: 'patient-view', hookInstance: 'b5d5c7e2-7d4b-4b5e-9a57-1f0f8f2b6c11', fhirServer: 'http://127.0.0.1:1/fhir', context: { userId: 'Practitioner/u', patientId: 'p1' }, prefetch };
  const result = await invokeService(service, body, { deadlineMs: 1000, log: createLogger('silent'), gatewayFor: () => gateway });
  if (result.status !== 200) throw new Error(`expected 200, got ${result.status}`);
  return result.dataAsSent;
}

describe('invokeService: did the data read all come in the request?', () => {
  it.each([
    ['every key sent', { patient, vitals: observationPage(['o1']) }, true],
    ['a key sent as null (no such data)', { patient, vitals: null }, true],
    ['a key absent, so fetched', { patient }, false],
    ['a key whose Bundle has later pages, completed by fetching them', { patient, vitals: observationPage(['o1'], 'http://127.0.0.1:1/fhir/Observation?patient=p1&_offset=1') }, false],
    ['a value of another type than its template asks for, so fetched instead', { patient, vitals: patient }, false],
  ])('%s', async (_what, prefetch, expected) => {
    expect(await dataAsSent(prefetch)).toBe(expected);
  });
});
