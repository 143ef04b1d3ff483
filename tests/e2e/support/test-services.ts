import type { Bundle, Patient } from 'fhir/r4.js';
import type { ServiceLogic } from '../../../src/hooks/service.js';

/**
 * Logic of the test-only services. Each card states only what it computed from the data it was
 * given, so a test can tell prefetched data from fetched data.
 */
export const testServiceLogic: Record<string, ServiceLogic> = {
  'record-summary': async ({ prefetch }, emit) => {
    const patient = prefetch.patient as Patient | null | undefined;
    const vitals = prefetch.vitals as Bundle | null | undefined;
    const count = vitals?.entry?.length ?? 0;
    emit([
      {
        summary: `Patient ${patient?.id ?? 'unknown'}: ${count} vital-sign observations`,
        indicator: 'info',
        source: { label: 'Cairn test service' },
        selectionBehavior: 'at-most-one',
        suggestions: [
          {
            label: 'Order a blood pressure check',
            actions: [
              {
                type: 'create',
                description: 'Create a ServiceRequest for a blood pressure measurement',
                resource: {
                  resourceType: 'ServiceRequest',
                  status: 'draft',
                  intent: 'proposal',
                  code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' }] },
                  subject: { reference: `Patient/${patient?.id ?? 'unknown'}` },
                },
              },
            ],
          },
        ],
        overrideReasons: [{ system: 'http://example.org/override', code: 'not-relevant', display: 'Not relevant' }],
        links: [{ label: 'CDS Hooks', url: 'https://cds-hooks.hl7.org/', type: 'absolute' }],
      },
    ]);
  },
  slow: async ({ signal }, emit) => {
    emit([{ summary: 'Ready at once', indicator: 'info', source: { label: 'Cairn test service' } }]);
    await new Promise((resolve) => setTimeout(resolve, 5_000).unref());
    if (!signal.aborted) emit([{ summary: 'Too late', indicator: 'info', source: { label: 'Cairn test service' } }]);
  },
  // CPU-bound like the real services (context building, retrieval scoring), for the overload
  // benchmark (bench/hooks.ts declares it; the e2e fixtures do not): BUSY_CPU_MS of computation in
  // slices, yielding between them as real work awaiting I/O does, and stopping once the hook is over.
  busy: async ({ signal }, emit) => {
    for (let spent = 0; spent < BUSY_CPU_MS && !signal.aborted; spent += BUSY_SLICE_MS) {
      const until = performance.now() + BUSY_SLICE_MS;
      while (performance.now() < until) {
        // Burn CPU: this is the point of the service.
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!signal.aborted) emit([{ summary: `Computed for ${BUSY_CPU_MS} ms`, indicator: 'info', source: { label: 'Cairn test service' } }]);
  },
};

/** CPU time of one `busy` call, and the longest stretch it holds the event loop. */
export const BUSY_CPU_MS = 20;
const BUSY_SLICE_MS = 5;
