/**
 * A demo patient's full prefetch for a shipped service: the patient's Bundle (shifted so its
 * latest time is now) loaded into the dev FHIR server, and each of the service definition's
 * prefetch templates answered by it, as an EHR would send them.
 */
import { readFile } from 'node:fs/promises';
import type { DevFhirServer } from '../../dev/fhir-server/index.js';
import { shiftToNow } from '../../dev/fhir-server/time-shift.js';
import { repoPath } from '../../tests/support/repo-root.js';

interface Bundle {
  entry: Array<{ resource: { resourceType: string; id: string } }>;
}

/** Loads the Bundle (a path from the repository root) and returns its patient's id. */
export async function loadDemoPatient(fhir: DevFhirServer, file: string): Promise<string> {
  const bundle = shiftToNow(JSON.parse(await readFile(repoPath(file), 'utf8')) as Bundle);
  await fhir.loadBundle(bundle);
  return bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource.id;
}

/** The service's prefetch templates (cds-hooks/<service>.json), filled in and answered by the dev FHIR server. */
export async function demoPrefetch(fhir: DevFhirServer, service: string, patientId: string): Promise<Record<string, unknown>> {
  const definition = JSON.parse(await readFile(repoPath('cds-hooks', `${service}.json`), 'utf8')) as { prefetch: Record<string, string> };
  const prefetch: Record<string, unknown> = {};
  for (const [key, template] of Object.entries(definition.prefetch)) {
    const res = await fetch(`${fhir.baseUrl}/${template.replaceAll('{{context.patientId}}', patientId)}`, { headers: { accept: 'application/fhir+json' } });
    if (!res.ok) throw new Error(`prefetch ${key}: ${res.status}`);
    prefetch[key] = await res.json();
  }
  return prefetch;
}

/**
 * The demo patients the hook benchmarks use, one per shipped service, each one that gets a card:
 * the ED patient triage alerts on, the patient with several diagnosis findings, and the
 * patient with HIV infection whom recruiting demo trials study.
 */
export const HOOK_SCENARIOS = [
  { service: 'triage', file: 'fhir-profiles/examples/edge-cases/ed-deteriorating-vitals.json' },
  { service: 'diagnosis', file: 'fhir-profiles/examples/edge-cases/mixed-units.json' },
  { service: 'trial-match', file: 'fhir-profiles/examples/edge-cases/hiv-trial-candidate.json' },
] as const;
