/**
 * Patients as the coordinator knows them (name, birth date, sex), read from the FHIR server with
 * the user's own token (user/Patient.rs): the screening results name patients by id only.
 */
import type { Client } from '../smart';

export interface PatientLabel {
  id: string;
  name: string;
  birthDate?: string;
  gender?: string;
}

interface FhirPatient {
  resourceType: 'Patient';
  id: string;
  name?: { text?: string; given?: string[]; family?: string; use?: string }[];
  birthDate?: string;
  gender?: string;
}

interface SearchBundle {
  entry?: { resource?: FhirPatient }[];
  total?: number;
}

export function patientLabel(p: FhirPatient): PatientLabel {
  const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
  const text = name?.text ?? [name?.given?.join(' '), name?.family].filter(Boolean).join(' ');
  return { id: p.id, name: text || `Patient/${p.id}`, ...(p.birthDate && { birthDate: p.birthDate }), ...(p.gender && { gender: p.gender }) };
}

function labels(bundle: SearchBundle): PatientLabel[] {
  return (bundle.entry ?? []).flatMap((e) => (e.resource?.resourceType === 'Patient' ? [patientLabel(e.resource)] : []));
}

/** Patients whose name contains the words (FHIR `name` search), at most `count`. */
export async function searchPatients(client: Client, name: string, count = 50): Promise<PatientLabel[]> {
  const params = new URLSearchParams({ _count: String(count), _sort: 'family', ...(name.trim() && { name: name.trim() }) });
  return labels(await client.request<SearchBundle>(`Patient?${params.toString()}`, { flat: false }));
}

/** Names for these patient ids (one search per 50 ids); ids the server does not answer for are left out. */
export async function patientLabels(client: Client, ids: readonly string[]): Promise<Map<string, PatientLabel>> {
  const out = new Map<string, PatientLabel>();
  for (let i = 0; i < ids.length; i += 50) {
    const chunk = ids.slice(i, i + 50);
    const bundle = await client.request<SearchBundle>(`Patient?_id=${chunk.map(encodeURIComponent).join(',')}&_count=${chunk.length}`, { flat: false });
    for (const l of labels(bundle)) out.set(l.id, l);
  }
  return out;
}
