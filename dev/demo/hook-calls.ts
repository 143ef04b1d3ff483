/**
 * The demo's hook calls, made as an EHR makes them: a CDS Hooks request with the patient (and, for
 * `encounter-*` hooks, the patient's latest encounter) in its context and no prefetch, so Cairn
 * reads everything from the FHIR server the request names.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Card } from '../../src/hooks/schema.js';
import type { DemoPatient } from '../fhir-server/demo-patients.js';
import type { DiscoveredService } from './stack.js';

export interface HookAnswer {
  status: number;
  cards: Card[];
  /** The OperationOutcome's diagnostics of an answer other than 200. */
  problem?: string;
  /** The answer's resourceType when it is not a CDS response (an OperationOutcome). */
  resourceType?: string;
}

export interface HookCall extends HookAnswer {
  patient: DemoPatient;
  service: string;
}

export function hookRequest(service: DiscoveredService, fhirServer: string, context: Record<string, string>): Record<string, unknown> {
  return { hook: service.hook, hookInstance: randomUUID(), fhirServer, context: { userId: 'Practitioner/demo', ...context } };
}

export async function callService(cairnUrl: string, serviceId: string, request: unknown): Promise<HookAnswer> {
  const res = await fetch(`${cairnUrl}/cds-services/${serviceId}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = (await res.json()) as { cards?: Card[]; resourceType?: string; issue?: Array<{ diagnostics?: string }> };
  return {
    status: res.status,
    cards: body.cards ?? [],
    ...(res.status !== 200 && { problem: body.issue?.map((i) => i.diagnostics).join('; ') ?? '' }),
    ...(body.resourceType !== undefined && { resourceType: body.resourceType }),
  };
}

/** The patient's latest encounter on the FHIR server, if any: the context of an `encounter-*` hook. */
async function latestEncounterId(fhirBase: string, patientId: string): Promise<string | undefined> {
  const res = await fetch(`${fhirBase}/Encounter?patient=${encodeURIComponent(patientId)}&_sort=-date&_count=1`);
  const bundle = (await res.json()) as { entry?: Array<{ resource: { id: string } }> };
  return bundle.entry?.[0]?.resource.id;
}

/**
 * Every service for every patient, a few at a time; the answers come back in patient order, then
 * discovery order. An `encounter-*` service is not called for a patient without an encounter.
 */
export async function fireEveryService(options: {
  cairnUrl: string;
  fhirBase: string;
  services: readonly DiscoveredService[];
  patients: readonly DemoPatient[];
  concurrency?: number;
}): Promise<HookCall[]> {
  const limit = pLimit(options.concurrency ?? 4);
  const perPatient = options.patients.map((patient) =>
    limit(async () => {
      const calls: HookCall[] = [];
      let encounterId: string | null | undefined = null;
      for (const service of options.services) {
        const context: Record<string, string> = { patientId: patient.id };
        if (service.hook.startsWith('encounter-')) {
          if (encounterId === null) encounterId = await latestEncounterId(options.fhirBase, patient.id);
          if (encounterId === undefined) continue;
          context.encounterId = encounterId;
        }
        const answer = await callService(options.cairnUrl, service.id, hookRequest(service, options.fhirBase, context));
        calls.push({ patient, service: service.id, ...answer });
      }
      return calls;
    }),
  );
  return (await Promise.all(perPatient)).flat();
}
