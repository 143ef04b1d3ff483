/**
 * Small made-up FHIR patients for the screening tests and `npm run bench:screening`: a Patient,
 * coded Conditions, a systolic blood pressure and an eGFR reading, and a short note. Deterministic:
 * the same seed gives the same cohort.
 */
import { condition, note, observation, patient, SCT, type ResourceJson as Resource } from './fhir-builders.js';

export type SyntheticCondition = 'hypertension' | 'type-1-diabetes' | 'type-2-diabetes' | 'asthma';

const CONDITION_CODES: Record<SyntheticCondition, { code: string; display: string }> = {
  hypertension: { code: '59621000', display: 'Essential hypertension' },
  'type-1-diabetes': { code: '46635009', display: 'Type 1 diabetes mellitus' },
  'type-2-diabetes': { code: '44054006', display: 'Type 2 diabetes mellitus' },
  asthma: { code: '195967001', display: 'Asthma' },
};

export interface SyntheticPatientSpec {
  id: string;
  sex: 'female' | 'male';
  birthDate: string;
  conditions?: SyntheticCondition[];
  /** mm[Hg], LOINC 8480-6. */
  systolic?: number;
  /** mL/min/{1.73_m2}, LOINC 33914-3. */
  egfr?: number;
  note?: string;
  /** ISO time of the readings and the note. */
  recorded?: string;
}

export function syntheticPatient(spec: SyntheticPatientSpec): Resource[] {
  const when = spec.recorded ?? '2026-01-15T09:00:00Z';
  const out: Resource[] = [patient({ id: spec.id, gender: spec.sex, birthDate: spec.birthDate })];
  for (const c of spec.conditions ?? []) {
    out.push(condition({ id: `${spec.id}-${c}`, coding: { system: SCT, ...CONDITION_CODES[c] }, text: CONDITION_CODES[c].display, patient: spec.id }));
  }
  const reading = (suffix: string, loinc: string, value: number, unit: string) =>
    out.push(observation({ id: `${spec.id}-${suffix}`, code: loinc, patient: spec.id, date: when, value, unit }));
  if (spec.systolic !== undefined) reading('sbp', '8480-6', spec.systolic, 'mm[Hg]');
  if (spec.egfr !== undefined) reading('egfr', '33914-3', spec.egfr, 'mL/min/{1.73_m2}');
  if (spec.note) out.push(note({ id: `${spec.id}-note`, text: spec.note, date: when, patient: spec.id }));
  return out;
}

/** A collection Bundle the dev FHIR server loads keeping the ids. */
export function collection(resources: readonly Resource[]): Record<string, unknown> {
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) };
}

/** A seeded linear congruential generator (the Numerical Recipes constants): enough for made-up data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const NOTES = [
  'Seen in clinic for review. Feels well.',
  'Follow-up visit. No chest pain. Walking daily.',
  'Reports headaches in the mornings. Taking medication as prescribed.',
  'Annual review. Non-smoker. Diet discussed.',
];

/** `n` patients with ids `${prefix}-${i}`: about half hypertensive, some with type 1 diabetes, asthma or nothing coded. */
export function syntheticCohort(n: number, seed = 1, prefix = 'syn'): SyntheticPatientSpec[] {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const out: SyntheticPatientSpec[] = [];
  for (let i = 0; i < n; i++) {
    const conditions: SyntheticCondition[] = [];
    if (rand() < 0.5) conditions.push('hypertension');
    if (rand() < 0.15) conditions.push('type-1-diabetes');
    else if (rand() < 0.2) conditions.push('type-2-diabetes');
    if (rand() < 0.15) conditions.push('asthma');
    const year = 1940 + Math.floor(rand() * 60);
    const month = String(1 + Math.floor(rand() * 12)).padStart(2, '0');
    out.push({
      id: `${prefix}-${i}`,
      sex: rand() < 0.5 ? 'female' : 'male',
      birthDate: `${year}-${month}-15`,
      conditions,
      systolic: Math.round(conditions.includes('hypertension') ? 135 + rand() * 40 : 105 + rand() * 30),
      egfr: Math.round(20 + rand() * 80),
      note: pick(NOTES),
    });
  }
  return out;
}
