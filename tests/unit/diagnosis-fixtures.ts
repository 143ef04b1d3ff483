/**
 * Test patients for the diagnosis criteria, written as FHIR R4 resources and read through
 * `buildPatientContext`, so each test covers the whole path from FHIR (codes, units, statuses)
 * to a Finding. The resources come from tests/support/fhir-builders.ts; what is added here is
 * the diagnosis tests' defaults: one reference time, numbered ids, an adult female patient.
 */
import { buildPatientContext } from '../../src/fhir/context/index.js';
import type { PatientContext } from '../../src/fhir/context/index.js';
import * as fhir from '../support/fhir-builders.js';
import { LOINC, RXNORM, SCT, UCUM, type Json } from '../support/fhir-builders.js';

export { ICD10CM, LOINC, RXNORM, SCT, UCUM, type Json } from '../support/fhir-builders.js';

export const REF = new Date('2025-06-01T12:00:00Z');
const DAY = 24 * 3600 * 1000;

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
  return fhir.patient({ gender: 'female', birthDate: '1970-03-04', ...extra });
}

/** A numeric Observation with a UCUM unit. */
export function obs(loinc: string, value: number, unit: string, when: string, extra: Json = {}): Json {
  return fhir.observation({ id: nextId('obs'), code: loinc, date: when, value, unit }, extra);
}

/** A blood pressure panel (LOINC 85354-9) with systolic and diastolic components in mm[Hg]. */
export function bp(sbp: number, dbp: number, when: string, extra: Json = {}): Json {
  const component = (code: string, value: number): Json => ({
    code: { coding: [{ system: LOINC, code }] },
    valueQuantity: { value, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
  });
  return fhir.observation(
    { id: nextId('bp'), code: '85354-9', category: 'vital-signs', date: when, component: [component('8480-6', sbp), component('8462-4', dbp)] },
    extra,
  );
}

/** AVPU level of consciousness (LOINC 67775-7) with a SNOMED CT answer. */
export function avpu(level: 'A' | 'V' | 'P' | 'U', when: string): Json {
  const answers = { A: '248234008', V: '300202002', P: '450847001', U: '422768004' } as const;
  return fhir.observation({ id: nextId('avpu'), code: '67775-7', date: when, answer: { system: SCT, code: answers[level] } });
}

export function encounter(id: string, classCode: string, start: string, end?: string): Json {
  return fhir.encounter({ id, classCode, start, end });
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
  return fhir.condition(
    {
      id: o.id ?? nextId('cond'),
      coding: { system, code },
      clinical: o.clinical ?? 'active',
      verification: o.verification ?? 'confirmed',
      category: o.category ?? 'problem-list-item',
      onset: o.onset ?? daysAgo(400),
    },
    { ...(o.abatement && { abatementDateTime: o.abatement }), ...(o.recordedDate && { recordedDate: o.recordedDate }) },
  );
}

export function medicationRequest(rxnorm: string, status = 'active', when: string = daysAgo(0.1)): Json {
  return fhir.medicationRequest({ id: nextId('med'), coding: { system: RXNORM, code: rxnorm }, status, date: when });
}

/** Builds the context at REF; a default adult female Patient is added unless one is given. */
export function context(resources: Json[], ref: Date = REF): PatientContext {
  const hasPatient = resources.some((r) => r['resourceType'] === 'Patient');
  return buildPatientContext({ resources: hasPatient ? resources : [patient(), ...resources], referenceTime: ref });
}
