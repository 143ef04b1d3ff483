/**
 * Finding: what one computable guideline criterion concludes about one patient, with the exact
 * data it rests on. The same object feeds the card, the evaluation command and the tests, so
 * nothing here is prose written for the occasion: the summary is assembled from the numbers.
 *
 * Status:
 * - `met`: the guideline's criterion is satisfied by the data in the record;
 * - `not-met`: there are enough current data and they do not satisfy it;
 * - `not-enough-data`: the record cannot decide (too few readings or occasions, a result that
 *   still needs confirmation, stale data, or the criterion does not apply to this patient). A rule
 *   never fills a gap with a guess.
 */
import type { RecordedValue } from '../../cards/evidence.js';

/** The conditions Cairn's diagnosis service computes. */
export const CONDITION_KEYS = ['hypertension', 'diabetes', 'prediabetes', 'ckd', 'aki', 'obesity', 'sepsis'] as const;
export type ConditionKey = (typeof CONDITION_KEYS)[number];

export type FindingStatus = 'met' | 'not-met' | 'not-enough-data';

export const SNOMED = 'http://snomed.info/sct';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';

export interface Coding {
  system: string;
  code: string;
  display: string;
}

/**
 * One row of the evidence table. `reading` rows are measurements from the record (value in the
 * canonical unit of PatientContext, with the FHIR reference); `computed` rows are values the
 * criterion derived from them (a mean, a ratio), with no source of their own.
 */
export interface EvidenceRow {
  kind: 'reading' | 'computed';
  label: string;
  value: number | string;
  /** UCUM unit (canonical unit of the series), or null for a dimensionless / coded value. */
  unit: string | null;
  /** FHIR dateTime as recorded, or a `from – to` span for a computed row. */
  date: string | null;
  /** `Observation/123` (or `Condition/…`, `MedicationRequest/…`); null for computed rows. */
  source: string | null;
  /** Why this row is shown, when that is not obvious from the label (e.g. "baseline", "not used: …"). */
  note?: string;
  /** The value and unit as recorded, when the value was converted to `unit`. */
  recorded?: RecordedValue;
}

export interface GuidelineCitation {
  /** Id of the guideline document in the knowledge corpus (guidelines/<id>.md). */
  id: string;
  /** The part of the source the criterion implements, e.g. "Section 3.2, Table 6". */
  section: string;
  /** Short bibliographic reference of the original source. */
  source: string;
}

export interface Finding {
  condition: ConditionKey;
  /** Name a clinician would use, e.g. "Hypertension", "Chronic kidney disease". */
  title: string;
  status: FindingStatus;
  /** The Condition Cairn would suggest: SNOMED CT, and ICD-10-CM when one code fits without guessing. */
  code: { snomed: Coding; icd10?: Coding };
  /** e.g. 'stage 2', 'G3a A2', 'class 1', 'stage 1 (KDIGO)'; null when the criterion has no stage. */
  stage: string | null;
  /** Which rule of the guideline decided the status, e.g. "HbA1c ≥6.5% on two separate samples". */
  criterion: string | null;
  /** One line built from the numbers: "mean 152/96 mmHg over 3 visits". */
  summary: string;
  evidence: EvidenceRow[];
  guideline: GuidelineCitation;
  /** Computed caveats a reviewer should see (readings set aside, stale results, assumptions made). */
  notes: string[];
}

/** Static description of each condition: the code Cairn suggests and where the criterion comes from. */
export interface ConditionDefinition {
  key: ConditionKey;
  title: string;
  snomed: Coding;
  icd10?: Coding;
  guideline: GuidelineCitation;
}

export const CONDITIONS: Readonly<Record<ConditionKey, ConditionDefinition>> = {
  hypertension: {
    key: 'hypertension',
    title: 'Hypertension',
    snomed: { system: SNOMED, code: '38341003', display: 'Hypertensive disorder, systemic arterial (disorder)' },
    // ICD-10-CM indexes hypertension NOS (essential, primary, systemic) to I10.
    icd10: { system: ICD10CM, code: 'I10', display: 'Essential (primary) hypertension' },
    guideline: {
      id: 'summary-acc-aha-2017-blood-pressure',
      section: 'Section 3 (Table 6, BP categories) and Section 4.1 (Table 7, average of ≥2 readings on ≥2 occasions)',
      source: 'Whelton PK, Carey RM, et al. 2017 ACC/AHA High Blood Pressure Guideline. Hypertension 2018;71:e13–e115',
    },
  },
  diabetes: {
    key: 'diabetes',
    title: 'Diabetes mellitus',
    // Type 1 and type 2 cannot be told apart from HbA1c or glucose (ADA 2025 §2, classification needs
    // the clinical picture and, where in doubt, islet autoantibodies), so the generic concept is used
    // and no ICD-10-CM code is attached (every ICD-10-CM diabetes category names a type).
    snomed: { system: SNOMED, code: '73211009', display: 'Diabetes mellitus (disorder)' },
    guideline: {
      id: 'summary-ada-diabetes-diagnosis',
      section: 'Section 2, Diagnosis and Classification of Diabetes (Table 2.1 criteria; confirmation)',
      source: 'American Diabetes Association. Standards of Care in Diabetes—2025, §2. Diabetes Care 2025;48(Suppl 1):S27–S49',
    },
  },
  prediabetes: {
    key: 'prediabetes',
    title: 'Prediabetes',
    // 714628002 replaces 15777000 (inactivated in later SNOMED CT releases); both are in cairn-prediabetes.
    snomed: { system: SNOMED, code: '714628002', display: 'Prediabetes (finding)' },
    icd10: { system: ICD10CM, code: 'R73.03', display: 'Prediabetes' },
    guideline: {
      id: 'summary-ada-diabetes-diagnosis',
      section: 'Section 2, Diagnosis and Classification of Diabetes (criteria defining prediabetes)',
      source: 'American Diabetes Association. Standards of Care in Diabetes—2025, §2. Diabetes Care 2025;48(Suppl 1):S27–S49',
    },
  },
  ckd: {
    key: 'ckd',
    title: 'Chronic kidney disease',
    snomed: { system: SNOMED, code: '709044004', display: 'Chronic kidney disease (disorder)' },
    icd10: { system: ICD10CM, code: 'N18.9', display: 'Chronic kidney disease, unspecified' },
    guideline: {
      id: 'summary-kdigo-2024-ckd',
      section: 'Chapter 1, evaluation of CKD: definition (abnormality >3 months), GFR (G1–G5) and albuminuria (A1–A3) categories',
      source: 'KDIGO 2024 Clinical Practice Guideline for the Evaluation and Management of CKD. Kidney Int 2024;105(4S):S117–S314',
    },
  },
  aki: {
    key: 'aki',
    title: 'Acute kidney injury',
    snomed: { system: SNOMED, code: '14669001', display: 'Acute kidney injury (disorder)' },
    icd10: { system: ICD10CM, code: 'N17.9', display: 'Acute kidney failure, unspecified' },
    guideline: {
      id: 'summary-kdigo-2012-aki',
      section: 'Recommendations 2.1.1 (definition) and 2.1.2 (staging, Table 2)',
      source: 'KDIGO Clinical Practice Guideline for Acute Kidney Injury. Kidney Int Suppl 2012;2(1):1–138',
    },
  },
  obesity: {
    key: 'obesity',
    title: 'Obesity',
    snomed: { system: SNOMED, code: '414916001', display: 'Obesity (disorder)' },
    icd10: { system: ICD10CM, code: 'E66.9', display: 'Obesity, unspecified' },
    guideline: {
      id: 'summary-bmi-obesity-classes',
      section: 'Adult BMI categories (WHO TRS 894, Table 2.1; CDC adult BMI categories, age ≥20)',
      source: 'WHO Technical Report Series 894 (2000); CDC Adult BMI Categories (2024)',
    },
  },
  sepsis: {
    key: 'sepsis',
    title: 'Suspected sepsis',
    snomed: { system: SNOMED, code: '91302008', display: 'Sepsis (disorder)' },
    icd10: { system: ICD10CM, code: 'A41.9', display: 'Sepsis, unspecified organism' },
    guideline: {
      id: 'summary-sepsis-3-and-ssc-2021',
      section: 'Sepsis-3 qSOFA criteria (Singer 2016; Seymour 2016) in a patient with suspected infection',
      source: 'Singer M, et al. Sepsis-3. JAMA 2016;315(8):801–810; Evans L, et al. Surviving Sepsis Campaign 2021',
    },
  },
};

/** A finding skeleton for a condition; criteria fill in status, stage, summary and evidence. */
export function newFinding(
  key: ConditionKey,
  fields: Pick<Finding, 'status' | 'summary'> & Partial<Omit<Finding, 'condition' | 'title' | 'guideline'>>,
): Finding {
  const def = CONDITIONS[key];
  return {
    condition: key,
    title: def.title,
    code: fields.code ?? (def.icd10 ? { snomed: def.snomed, icd10: def.icd10 } : { snomed: def.snomed }),
    stage: fields.stage ?? null,
    criterion: fields.criterion ?? null,
    evidence: fields.evidence ?? [],
    notes: fields.notes ?? [],
    guideline: def.guideline,
    status: fields.status,
    summary: fields.summary,
  };
}

// --- formatting: used for summaries only; evidence keeps full precision -------------------------

/** Display units a clinician reads, for the canonical UCUM units of PatientContext. */
const DISPLAY_UNITS: Readonly<Record<string, string>> = {
  'mm[Hg]': 'mmHg',
  'mL/min/{1.73_m2}': 'mL/min/1.73 m²',
  'kg/m2': 'kg/m²',
  '/min': '/min',
  '{score}': '',
};

export function displayUnit(ucum: string | null): string {
  if (ucum === null) return '';
  return DISPLAY_UNITS[ucum] ?? ucum;
}

/** A number with a fixed count of decimals (summaries round; evidence rows keep full precision). */
export function fmt(value: number, decimals: number): string {
  return value.toFixed(decimals);
}

/** `6.8%`, `152 mmHg`, `1.4 mg/dL`: value and unit as a clinician would write them. */
export function fmtQuantity(value: number, ucum: string | null, decimals: number): string {
  const unit = displayUnit(ucum);
  if (!unit) return fmt(value, decimals);
  return unit === '%' ? `${fmt(value, decimals)}%` : `${fmt(value, decimals)} ${unit}`;
}

/** The calendar date of a FHIR dateTime as recorded (`2024-05-02T09:00:00+02:00` → `2024-05-02`). */
export function dayOf(fhirDateTime: string): string {
  return fhirDateTime.slice(0, 10);
}
