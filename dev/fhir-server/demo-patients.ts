/**
 * Loads the demo patients (fhir-profiles/examples) into a dev FHIR server, as `npm run demo` and
 * the browser tests both do. The hand-made edge cases are shifted in time so their latest reading
 * is "now", as for a patient in front of the clinician (triage reads only recent vitals); the
 * Synthea patients are loaded as they are.
 */
import { listBundleFiles, readJsonFile } from './bundle-files.js';
import type { DevFhirServer } from './server.js';
import { shiftToNow } from './time-shift.js';

export interface DemoPatient {
  id: string;
  /** Given and family names, as the patient picker shows them; empty when the record has none. */
  name: string;
  /** The Bundle file the patient came from. */
  file: string;
}

interface BundleLike {
  entry?: Array<{ resource?: { resourceType?: string; id?: string; name?: Array<{ given?: string[]; family?: string }> } }>;
}

/** Loads every Bundle under `dir` and returns the Patient of each, in file order. */
export async function loadDemoPatients(server: Pick<DevFhirServer, 'loadBundle'>, dir = 'fhir-profiles/examples'): Promise<DemoPatient[]> {
  const patients: DemoPatient[] = [];
  for (const file of await listBundleFiles([dir])) {
    let bundle = await readJsonFile(file);
    if (file.includes('edge-cases')) bundle = shiftToNow(bundle);
    await server.loadBundle(bundle);
    const patient = (bundle as BundleLike).entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource;
    if (patient?.id) {
      const name = `${patient.name?.[0]?.given?.join(' ') ?? ''} ${patient.name?.[0]?.family ?? ''}`.trim();
      patients.push({ id: patient.id, name, file });
    }
  }
  return patients;
}
