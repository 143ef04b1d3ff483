/**
 * Shared shapes of the triage logic: the evidence a score or decision point rests on, and the
 * citation every threshold carries. Pure data, no behaviour.
 */
import type { RecordedValue } from '../../cards/evidence.js';
import type { ConsciousnessLevel, Reading } from '../../fhir/context/index.js';

/** Numeric vital signs the triage scores read from PatientContext.vitals. */
export type VitalParameter =
  | 'respiratoryRate'
  | 'spo2'
  | 'systolicBP'
  | 'heartRate'
  | 'temperature'
  | 'gcs'
  | 'inspiredOxygenFraction'
  | 'oxygenFlowRate';

export const VITAL_PARAMETERS: readonly VitalParameter[] = [
  'respiratoryRate',
  'spo2',
  'systolicBP',
  'heartRate',
  'temperature',
  'gcs',
  'inspiredOxygenFraction',
  'oxygenFlowRate',
];

/** Everything the triage logic can read about the patient's current state. */
export type TriageParameter = VitalParameter | 'consciousness' | 'painScore';

/** Names a clinician reads on a card. */
export const PARAMETER_LABELS: Readonly<Record<TriageParameter, string>> = {
  respiratoryRate: 'Respiratory rate',
  spo2: 'Oxygen saturation (SpO2)',
  systolicBP: 'Systolic blood pressure',
  heartRate: 'Heart rate',
  temperature: 'Temperature',
  gcs: 'Glasgow Coma Scale',
  inspiredOxygenFraction: 'Inspired oxygen (FiO2)',
  oxygenFlowRate: 'Oxygen flow rate',
  consciousness: 'Level of consciousness (ACVPU)',
  painScore: 'Pain score (0-10)',
};

/** One measured number a decision used: what, how much, when, and from which resource. */
export interface QuantityEvidence {
  kind: 'quantity';
  parameter: VitalParameter | 'painScore';
  label: string;
  /** In `unit` (PatientContext's canonical unit), full precision. */
  value: number;
  unit: string;
  /** Set when the record said "<85" or ">40": the true value lies beyond `value`. */
  comparator?: Reading['comparator'];
  /** FHIR dateTime as recorded. */
  effective: string;
  effectiveTime: number;
  /** `Observation/<id>`. */
  source: string;
  /** LOINC code of the observation (or component). */
  code: string;
  /** The value and unit as recorded, when the value was converted to `unit` (103 °F as 39.44 °C). */
  recorded?: RecordedValue;
  notes?: string[];
}

/** One AVPU / ACVPU assessment a decision used. */
export interface ConsciousnessEvidence {
  kind: 'consciousness';
  parameter: 'consciousness';
  label: string;
  /** A = alert, C = new confusion, V = voice, P = pain, U = unresponsive. */
  value: ConsciousnessLevel;
  unit: null;
  effective: string;
  effectiveTime: number;
  source: string;
  /** The answer code as recorded (e.g. SNOMED CT 248234008 |Mentally alert|). */
  code: string;
  display?: string;
}

export type Evidence = QuantityEvidence | ConsciousnessEvidence;

/**
 * Where a threshold comes from. `corpusId` names the document in `guidelines/` that the card can
 * quote from when the source is in the knowledge corpus.
 */
export interface Citation {
  source: string;
  section: string;
  year: number;
  corpusId?: string;
}

/** A passage of the knowledge corpus that supported a decision, quoted as retrieved. */
export interface GuidelinePassage {
  chunkId: string;
  text: string;
  score: number;
}

/** Whether a score was made for this patient (NEWS2: adults of 16 and over, not in pregnancy; qSOFA: adults), and why not. */
export interface ScoreApplicability {
  applicable: boolean | 'unknown';
  notes: string[];
}

/**
 * A score may be shown and acted on unless it is outside the population it was made for (a child,
 * pregnancy), where its thresholds are normal values; age unknown counts (the notes say so).
 */
export function applies(score: { applicability: ScoreApplicability }): boolean {
  return score.applicability.applicable !== false;
}

/**
 * Matches a chief complaint against the ESI handbook's high-risk presentations through the
 * knowledge base (semantic + full-text search). Implemented by the knowledge module; injected so
 * the acuity logic stays pure and testable with a fake.
 */
export type HighRiskMatcher = (complaint: string) => Promise<{ matched: boolean; passage?: GuidelinePassage }>;
