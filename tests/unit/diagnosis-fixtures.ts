/**
 * Test patients for the diagnosis criteria, written as FHIR R4 resources and read through
 * `buildPatientContext`, so each test covers the whole path from FHIR (codes, units, statuses)
 * to a Finding.
 */
import { buildPatientContext } from '../../src/fhir/context/index.js';
import type { PatientContext } from '../../src/fhir/context/index.js';

export const REF = new Date('2025-06-01T12:00:00Z');
const DAY = 24 * 3600 * 1000;

export const UCUM = 'http://unitsofmeasure.org';
export const LOINC = 'http://loinc.org';
export const SCT = 'http://snomed.info/sct';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export type Json = Record<string, unknown>;

let counter = 0;
function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** ISO instant `days` days before the reference time (fractions allowed: 0.5 = 12 h). */
export function daysAgo(days: number, ref: Date = REF): string {
  return new Date(ref.getTime() - days * DAY).toISOString();
}

/** ISO instant `hours` hours before the reference time. */
export function hoursAgo(hours: number, ref: Date = REF): string {
  return new Date(ref.getTime() - hours * 3600 * 1000).toISOString();
}

export function patient(extra: Json = {}): Json {
  return { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1970-03-04', ...extra };
}

/** A numeric Observation with a UCUM unit. */
export function obs(loinc: string, value: number, unit: string, when: string, extra: Json = {}): Json {
  return {
    resourceType: 'Observation',
    id: nextId('obs'),
    status: 'final',
    code: { coding: [{ system: LOINC, code: loinc }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: when,
    valueQuantity: { value, unit, system: UCUM, code: unit },
    ...extra,
  };
}

/** A blood pressure panel (LOINC 85354-9) with systolic and diastolic components in mm[Hg]. */
export function bp(sbp: number, dbp: number, when: string, extra: Json = {}): Json {
  const component = (code: string, value: number): Json => ({
    code: { coding: [{ system: LOINC, code }] },
    valueQuantity: { value, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
  });
  return {
    resourceType: 'Observation',
    id: nextId('bp'),
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: LOINC, code: '85354-9' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: when,
    component: [component('8480-6', sbp), component('8462-4', dbp)],
    ...extra,
  };
}

/** AVPU level of consciousness (LOINC 67775-7) with a SNOMED CT answer. */
export function avpu(level: 'A' | 'V' | 'P' | 'U', when: string): Json {
  const answers = { A: '248234008', V: '300202002', P: '450847001', U: '422768004' } as const;
  return {
    resourceType: 'Observation',
    id: nextId('avpu'),
    status: 'final',
    code: { coding: [{ system: LOINC, code: '67775-7' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: when,
    valueCodeableConcept: { coding: [{ system: SCT, code: answers[level] }] },
  };
}

export function encounter(id: string, classCode: string, start: string, end?: string): Json {
  return {
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: classCode },
    subject: { reference: 'Patient/p1' },
    period: end ? { start, end } : { start },
  };
}

export interface ConditionOptions {
  clinical?: string;
  verification?: string;
  category?: string;
  onset?: string;
  abatement?: string;
  recordedDate?: string;
  id?: string;
}

export function condition(system: string, code: string, o: ConditionOptions = {}): Json {
  const c: Json = {
    resourceType: 'Condition',
    id: o.id ?? nextId('cond'),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: o.clinical ?? 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: o.verification ?? 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: o.category ?? 'problem-list-item' }] }],
    code: { coding: [{ system, code }] },
    subject: { reference: 'Patient/p1' },
    onsetDateTime: o.onset ?? daysAgo(400),
  };
  if (o.abatement) c['abatementDateTime'] = o.abatement;
  if (o.recordedDate) c['recordedDate'] = o.recordedDate;
  return c;
}

export function medicationRequest(rxnorm: string, status = 'active', when: string = daysAgo(0.1)): Json {
  return {
    resourceType: 'MedicationRequest',
    id: nextId('med'),
    status,
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm }] },
    subject: { reference: 'Patient/p1' },
    authoredOn: when,
  };
}

/** Builds the context at REF; a default adult female Patient is added unless one is given. */
export function context(resources: Json[], ref: Date = REF): PatientContext {
  const hasPatient = resources.some((r) => r['resourceType'] === 'Patient');
  return buildPatientContext({ resources: hasPatient ? resources : [patient(), ...resources], referenceTime: ref });
}
