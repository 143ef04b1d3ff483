/**
 * FHIR R4 resources for tests, one builder per resource kind. Each takes what tests vary (id,
 * code, value and unit, time, status, subject…) and fills the rest the way an EHR sends it; a
 * field left out of the spec is left out of the resource. The result is plain JSON, not a typed
 * FHIR resource, because many tests go on to break resources on purpose: the `extra` argument is
 * spread last and may override or unset (`undefined`) any field.
 */
import type { Bundle } from 'fhir/r4.js';

export type Json = Record<string, unknown>;
/** What every builder returns: JSON with the two fields every resource has. */
export type ResourceJson = Json & { resourceType: string; id: string };

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const SCT = 'http://snomed.info/sct';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** The patient id the builders refer to unless told otherwise. */
export const DEFAULT_PATIENT_ID = 'p1';

const subjectOf = (patientId: string): Json => ({ subject: { reference: `Patient/${patientId}` } });

/** A UCUM Quantity whose unit is also its UCUM code (`mm[Hg]`, `/min`, `mg/dL`…). */
export function ucum(value: number, unit: string): Json {
  return { value, unit, system: UCUM, code: unit };
}

/** A Patient `p1`; `fields` adds to or overrides it (gender, birthDate, id…). */
export function patient(fields: Json = {}): ResourceJson {
  return { resourceType: 'Patient', id: DEFAULT_PATIENT_ID, ...fields };
}

export interface ObservationSpec {
  id: string;
  /** Observation.code, a LOINC code unless `system` says otherwise. */
  code: string;
  system?: string;
  /** Default 'final'. */
  status?: string;
  /** An observation-category code such as 'vital-signs'; no category when absent. */
  category?: string;
  /** Subject patient id, default 'p1'; null for an Observation without a subject. */
  patient?: string | null;
  /** effectiveDateTime; none when absent. */
  date?: string;
  /** valueQuantity in UCUM: give both value and unit (see `ucum`). */
  value?: number;
  unit?: string;
  /** valueQuantity exactly as written, for what `value`/`unit` cannot say (a unit spelled unlike its code, no system, a string value…). Wins over value/unit. */
  quantity?: Json;
  /** valueCodeableConcept holding this one Coding. */
  answer?: Json;
  /** Observation.component, as given. */
  component?: Json[];
}

export function observation(spec: ObservationSpec, extra: Json = {}): ResourceJson {
  if (spec.value !== undefined && spec.unit === undefined) throw new Error(`observation ${spec.id}: a value needs its unit`);
  const quantity = spec.quantity ?? (spec.value === undefined ? undefined : ucum(spec.value, spec.unit as string));
  return {
    resourceType: 'Observation',
    id: spec.id,
    status: spec.status ?? 'final',
    ...(spec.category !== undefined && { category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: spec.category }] }] }),
    code: { coding: [{ system: spec.system ?? LOINC, code: spec.code }] },
    ...(spec.patient !== null && subjectOf(spec.patient ?? DEFAULT_PATIENT_ID)),
    ...(spec.date !== undefined && { effectiveDateTime: spec.date }),
    ...(quantity !== undefined && { valueQuantity: quantity }),
    ...(spec.answer !== undefined && { valueCodeableConcept: { coding: [spec.answer] } }),
    ...(spec.component !== undefined && { component: spec.component }),
    ...extra,
  };
}

export interface ConditionSpec {
  id: string;
  /** The one Coding of Condition.code (system, code, any display). */
  coding: Json;
  /** Condition.code.text; none when absent. */
  text?: string;
  /** condition-clinical code, default 'active'; null for no clinicalStatus. */
  clinical?: string | null;
  /** condition-ver-status code, default 'confirmed'; null for no verificationStatus. */
  verification?: string | null;
  /** A condition-category code such as 'problem-list-item'; no category when absent. */
  category?: string;
  /** Subject patient id, default 'p1'. */
  patient?: string;
  /** onsetDateTime; none when absent. */
  onset?: string;
}

export function condition(spec: ConditionSpec, extra: Json = {}): ResourceJson {
  const clinical = spec.clinical === undefined ? 'active' : spec.clinical;
  const verification = spec.verification === undefined ? 'confirmed' : spec.verification;
  return {
    resourceType: 'Condition',
    id: spec.id,
    ...(clinical !== null && { clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: clinical }] } }),
    ...(verification !== null && { verificationStatus: { coding: [{ system: CONDITION_VERIFICATION, code: verification }] } }),
    ...(spec.category !== undefined && { category: [{ coding: [{ system: CONDITION_CATEGORY, code: spec.category }] }] }),
    code: { coding: [spec.coding], ...(spec.text !== undefined && { text: spec.text }) },
    ...subjectOf(spec.patient ?? DEFAULT_PATIENT_ID),
    ...(spec.onset !== undefined && { onsetDateTime: spec.onset }),
    ...extra,
  };
}

export interface EncounterSpec {
  id: string;
  /** A v3 ActCode class: AMB, EMER, IMP… */
  classCode: string;
  start: string;
  /** period.end; an open period when absent. */
  end?: string;
  /** Default 'finished'. */
  status?: string;
  /** Subject patient id, default 'p1'. */
  patient?: string;
}

export function encounter(spec: EncounterSpec, extra: Json = {}): ResourceJson {
  return {
    resourceType: 'Encounter',
    id: spec.id,
    status: spec.status ?? 'finished',
    class: { system: ACT_CODE, code: spec.classCode },
    ...subjectOf(spec.patient ?? DEFAULT_PATIENT_ID),
    period: spec.end ? { start: spec.start, end: spec.end } : { start: spec.start },
    ...extra,
  };
}

export interface NoteSpec {
  id: string;
  /** The note's text, sent inline as base64 UTF-8. */
  text: string;
  /** DocumentReference.date; none when absent. */
  date?: string;
  description?: string;
  /** Default 'text/plain'. */
  contentType?: string;
  /** Subject patient id, default 'p1'. */
  patient?: string;
}

/** A clinical note: a current DocumentReference with its text inline. */
export function note(spec: NoteSpec, extra: Json = {}): ResourceJson {
  return {
    resourceType: 'DocumentReference',
    id: spec.id,
    status: 'current',
    ...subjectOf(spec.patient ?? DEFAULT_PATIENT_ID),
    ...(spec.date !== undefined && { date: spec.date }),
    ...(spec.description !== undefined && { description: spec.description }),
    content: [{ attachment: { contentType: spec.contentType ?? 'text/plain', data: Buffer.from(spec.text, 'utf8').toString('base64') } }],
    ...extra,
  };
}

export interface MedicationRequestSpec {
  id: string;
  /** The one Coding of medicationCodeableConcept. */
  coding: Json;
  /** Default 'active'. */
  status?: string;
  /** authoredOn; none when absent. */
  date?: string;
  /** Subject patient id, default 'p1'. */
  patient?: string;
}

/** An order (intent 'order') for a coded medication. */
export function medicationRequest(spec: MedicationRequestSpec, extra: Json = {}): ResourceJson {
  return {
    resourceType: 'MedicationRequest',
    id: spec.id,
    status: spec.status ?? 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [spec.coding] },
    ...subjectOf(spec.patient ?? DEFAULT_PATIENT_ID),
    ...(spec.date !== undefined && { authoredOn: spec.date }),
    ...extra,
  };
}

/**
 * One page of an Observation search: a searchset Bundle of minimal Observations with these ids,
 * and a `next` link when there is a later page. Typed as FHIR R4, unlike the builders above,
 * because it goes straight to a FhirGateway or the prefetch resolver, which tests do not break.
 */
export function observationPage(ids: readonly string[], next?: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: ids.map((id) => ({ resource: { resourceType: 'Observation', id, status: 'final', code: { text: 'x' } } })),
    ...(next && { link: [{ relation: 'next', url: next }] }),
  };
}
