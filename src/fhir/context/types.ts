/**
 * PatientContext: a typed, unit-normalised picture of one patient at one reference time, built
 * from FHIR R4 resources by `buildPatientContext`. Rules read this, never raw FHIR.
 *
 * Conventions that every field follows:
 * - Missing data is explicit: an empty array, `null`, or the status `'unknown'`, never a default
 *   "normal" value.
 * - Everything derived from a resource carries `source` (`Observation/123`) so a suggestion can
 *   cite the data it rests on.
 * - Anything the builder could not use safely is in `exclusions` with a reason.
 * - Times are kept both as the FHIR string as recorded and as epoch milliseconds (UTC) for sorting.
 */

/** Vital signs kept as numeric series, one canonical unit each (see units.ts). */
export const VITAL_KEYS = [
  'systolicBP',
  'diastolicBP',
  'heartRate',
  'respiratoryRate',
  'temperature',
  'spo2',
  'bodyWeight',
  'bodyHeight',
  'bmi',
  'gcs',
  'inspiredOxygenFraction',
  'oxygenFlowRate',
] as const;

/** Laboratory results kept as numeric series, one canonical unit each (see units.ts). */
export const LAB_KEYS = [
  'hba1c',
  'fastingGlucose',
  'randomGlucose',
  'creatinine',
  'egfr',
  'uacr',
  'haemoglobin',
  'wbc',
  'lactate',
  'potassium',
  'sodium',
  'troponinI',
  'troponinT',
  'ldl',
  'totalCholesterol',
  'platelets',
  'bilirubin',
] as const;

export type VitalKey = (typeof VITAL_KEYS)[number];
export type LabKey = (typeof LAB_KEYS)[number];
export type QuantityKey = VitalKey | LabKey;

export const QUANTITY_KEYS: readonly QuantityKey[] = [...VITAL_KEYS, ...LAB_KEYS];

/** Observation statuses whose values are used. Others are excluded (see observations.ts). */
export type UsableObservationStatus = 'final' | 'amended' | 'corrected' | 'preliminary';

/** One numeric measurement, converted to the canonical unit of its quantity. */
export interface Reading {
  quantity: QuantityKey;
  /** Value in `unit` (the canonical unit of the quantity). Full precision; round only for display. */
  value: number;
  /** Canonical UCUM unit of the quantity, e.g. `mm[Hg]`, `mg/dL`. */
  unit: string;
  /**
   * Set when the source said "<5" or ">60": the true value lies beyond `value`. A rule must not
   * treat `>60` eGFR as exactly 60.
   */
  comparator?: '<' | '<=' | '>=' | '>';
  /** The value and unit exactly as recorded, before any conversion. */
  original: { value: number; unit: string | null; code: string | null; system: string | null };
  /** FHIR dateTime as recorded (effective[x], or `issued` when there was no effective time). */
  effective: string;
  /** `effective` as epoch milliseconds (UTC); readings are ordered by this. */
  effectiveTime: number;
  /** Where the time came from: the clinically relevant time, or only the release time. */
  timeSource: 'effective' | 'issued';
  /** `Observation/<id>` (the panel's reference for a component). */
  source: string;
  /** The LOINC code that identified the quantity. */
  code: string;
  /** Set for a component of a panel, e.g. the BP panel code `85354-9`. */
  panelCode?: string;
  status: UsableObservationStatus;
  /** Encounter reference as recorded, if any. */
  encounter?: string;
  /** Anything a reviewer should know about how the value was read (e.g. a unit interpretation). */
  notes?: string[];
}

/** AVPU (and ACVPU where coded) level of consciousness. */
export type ConsciousnessLevel = 'A' | 'C' | 'V' | 'P' | 'U';

export interface ConsciousnessReading {
  level: ConsciousnessLevel;
  coding: CodingSummary;
  effective: string;
  effectiveTime: number;
  source: string;
  status: UsableObservationStatus;
}

export type CodeSystemName = 'loinc' | 'snomed' | 'icd10cm' | 'icd10' | 'icd9cm' | 'rxnorm' | 'other';

export interface CodingSummary {
  /** Canonical system URI (OID forms are mapped to the http URI). */
  system: string;
  systemName: CodeSystemName;
  code: string;
  display?: string;
}

export interface CodedText {
  codings: CodingSummary[];
  text: string | null;
}

export type AdministrativeSex = 'male' | 'female' | 'other' | 'unknown';

export interface Age {
  /** Completed years at the reference time. */
  years: number;
  /** Completed months at the reference time (always set; the natural unit for infants < 2 y). */
  months: number;
  /** Completed days (useful for neonates). */
  days: number;
  /** Unit a clinician would use: days in the first month, months below 2 years, years otherwise. */
  preferredUnit: 'years' | 'months' | 'days';
  /** e.g. `54 years`, `14 months`, `9 days`. */
  display: string;
  /** True when birthDate was only a year or year-month, so the age may be off by up to a year. */
  approximate: boolean;
}

export interface PatientSummary {
  id: string | null;
  source: string;
  birthDate: string | null;
  /** Age at the reference time, or at death if the patient died before it. Null if unknown. */
  age: Age | null;
  sex: AdministrativeSex;
  /** US Core birth sex extension when present (M, F, UNK). */
  birthSex: string | null;
  deceased: {
    /** `not-recorded` means the record does not say (FHIR's default), not that the patient is alive. */
    status: 'deceased' | 'alive' | 'not-recorded';
    dateTime: string | null;
  };
}

export type EncounterClass =
  | 'emergency'
  | 'inpatient'
  | 'ambulatory'
  | 'observation'
  | 'short-stay'
  | 'virtual'
  | 'home'
  | 'field'
  | 'other'
  | 'unknown';

export interface EncounterSummary {
  source: string;
  id: string | null;
  status: string;
  class: EncounterClass;
  /** The class code as recorded (v3 ActCode EMER, IMP, AMB ...). */
  classCode: string | null;
  period: { start: string | null; end: string | null; startTime: number | null; endTime: number | null };
  /** Chief complaint / reason for visit: reasonCode, and conditions named by reasonReference. */
  reasons: Array<CodedText & { reference?: string }>;
  type: CodedText[];
}

export type ConditionClinicalStatus =
  | 'active'
  | 'recurrence'
  | 'relapse'
  | 'inactive'
  | 'remission'
  | 'resolved'
  | 'unknown';

export type ConditionVerificationStatus = 'confirmed' | 'unconfirmed' | 'provisional' | 'differential' | 'unknown';

export interface ConditionEntry {
  source: string;
  codings: CodingSummary[];
  text: string | null;
  /** problem-list-item, encounter-diagnosis, health-concern ... as recorded. */
  categories: string[];
  clinicalStatus: ConditionClinicalStatus;
  verificationStatus: ConditionVerificationStatus;
  /** unconfirmed, provisional or differential: kept, but a rule must not treat it as established. */
  tentative: boolean;
  /**
   * Whether the condition was active at the reference time: clinicalStatus active/recurrence/relapse
   * and not abated by then; or, when replaying history, resolved only after the reference time.
   * `unknown` when clinicalStatus is missing.
   */
  activeAtReference: 'yes' | 'no' | 'unknown';
  onset: string | null;
  onsetTime: number | null;
  abatement: string | null;
  abatementTime: number | null;
  recordedDate: string | null;
  /** Ids of the Cairn value sets (fhir-profiles/valuesets) that contain one of the codings. */
  valueSets: string[];
}

export interface MedicationEntry {
  source: string;
  resourceType: 'MedicationRequest' | 'MedicationStatement';
  /** Status as recorded (active, on-hold, completed, stopped, cancelled, draft, intended, not-taken ...). */
  status: string;
  /** active (MedicationRequest) or active/intended (MedicationStatement). */
  isActive: boolean;
  intent: string | null;
  codings: CodingSummary[];
  text: string | null;
  rxnormCodes: string[];
  /** authoredOn (request) or effective[x] / dateAsserted (statement). */
  date: string | null;
  time: number | null;
  valueSets: string[];
}

export interface AllergyEntry {
  source: string;
  codings: CodingSummary[];
  text: string | null;
  clinicalStatus: 'active' | 'inactive' | 'resolved' | 'unknown';
  verificationStatus: 'confirmed' | 'unconfirmed' | 'unknown';
  type: string | null;
  categories: string[];
  criticality: string | null;
  recordedDate: string | null;
  reactions: Array<{ manifestations: string[]; severity: string | null }>;
}

export interface ProcedureEntry {
  source: string;
  codings: CodingSummary[];
  text: string | null;
  status: string;
  performed: string | null;
  performedTime: number | null;
  valueSets: string[];
}

export interface ClinicalNote {
  source: string;
  resourceType: 'DocumentReference' | 'DiagnosticReport';
  /** Where in the resource the text came from, e.g. `content[0]`, `presentedForm[1]`, `conclusion`. */
  part: string;
  title: string | null;
  type: CodedText | null;
  date: string | null;
  time: number | null;
  /** Content type of the attachment as recorded, e.g. `text/plain; charset=utf-8`. */
  contentType: string;
  /** Plain text (HTML is reduced to text). */
  text: string;
  /** True when the text was cut at MAX_NOTE_CHARS (see notes.ts). */
  truncated: boolean;
}

export type PregnancyStatusValue = 'pregnant' | 'not-pregnant' | 'unknown';

export interface PregnancyStatus {
  /** `unknown` when nothing is recorded, when the record says unknown, or when evidence is stale. */
  status: PregnancyStatusValue;
  /** The evidence the status rests on, most recent first. */
  evidence: Array<{ source: string; kind: 'observation' | 'condition'; value: PregnancyStatusValue; date: string | null }>;
  note?: string;
}

export type ExclusionReason =
  | 'not-a-resource'
  | 'malformed-resource'
  | 'unsupported-resource-type'
  | 'duplicate-resource'
  | 'different-patient'
  | 'prefetch-error'
  | 'bundle-incomplete'
  | 'entered-in-error'
  | 'status-not-usable'
  | 'refuted'
  | 'missing-value'
  | 'non-numeric-value'
  | 'unknown-unit'
  | 'implausible-value'
  | 'ambiguous-code'
  | 'missing-time'
  | 'invalid-time'
  | 'after-reference-time'
  | 'unknown-answer-code'
  | 'note-not-inline'
  | 'note-unsupported-content-type'
  | 'note-undecodable'
  | 'internal-error';

export interface Exclusion {
  /** `Observation/123`, `Bundle/abc`, or `input[4]` when the thing had no id. */
  source: string;
  reason: ExclusionReason;
  detail?: string;
  /**
   * A reading of a known quantity, dated, that could not be used (no value, not a number, a unit
   * not understood, implausible): what it measured, when, and the value as recorded, so that a
   * card can say "recorded but excluded" rather than "not recorded".
   */
  reading?: ExcludedReading;
}

export interface ExcludedReading {
  quantity: QuantityKey;
  /** The effective time as recorded (ISO 8601). */
  effective: string;
  effectiveTime: number;
  /** The value as recorded, when it was a number. */
  value?: number;
  /** Its unit as recorded: the UCUM code when there is one, else the unit's text. */
  unit?: string;
}

export interface PatientContext {
  /** ISO instant the context describes; data after it are excluded. */
  referenceTime: string;
  patient: PatientSummary | null;
  /** All usable encounters, oldest first. */
  encounters: EncounterSummary[];
  currentEncounter: EncounterSummary | null;
  /** Why `currentEncounter` was chosen; `none` when there is no encounter. */
  currentEncounterBasis: 'context-encounter-id' | 'in-progress' | 'latest' | 'none';
  /** Every usable reading per quantity, oldest first. Empty array = nothing usable recorded. */
  vitals: Record<VitalKey, Reading[]>;
  labs: Record<LabKey, Reading[]>;
  consciousness: ConsciousnessReading[];
  pregnancy: PregnancyStatus;
  conditions: ConditionEntry[];
  medications: MedicationEntry[];
  allergies: AllergyEntry[];
  procedures: ProcedureEntry[];
  notes: ClinicalNote[];
  exclusions: Exclusion[];
  stats: {
    /** Items in the input after Bundles were flattened. */
    resourcesSeen: number;
    resourcesByType: Record<string, number>;
    /** Observations whose code is in no Cairn value set (not an error: e.g. pain score, urea). */
    observationsNotMapped: number;
  };
}
