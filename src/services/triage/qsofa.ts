/**
 * qSOFA (Sepsis-3; Singer et al., JAMA 2016;315:801-810; criteria derived by Seymour et al., JAMA
 * 2016;315:762-774): one point each for respiratory rate ≥ 22/min, altered mentation (GCS < 15,
 * or any ACVPU level other than Alert) and systolic BP ≤ 100 mm Hg. A total of 2 or more is
 * positive.
 *
 * Missing criteria are listed and contribute no point; `positive` is 'undetermined' when the
 * missing criteria could still make the total reach 2.
 */
import { CITATIONS } from './citations.js';
import type { TriageObservations } from './triage-input.js';
import { latestMentalStatus } from './triage-input.js';
import type { Citation, Evidence, ScoreApplicability } from './types.js';
import { describeValue, isAtLeast, isAtMost } from './values.js';

/** Sepsis-3 (Singer 2016): respiratory rate ≥ 22/min. */
export const QSOFA_RESPIRATORY_RATE_MIN = 22;
/** Sepsis-3 (Singer 2016): systolic BP ≤ 100 mm Hg. */
export const QSOFA_SYSTOLIC_BP_MAX = 100;
/** Sepsis-3 (Singer 2016): a qSOFA of 2 or more identifies patients at risk of poor outcome. */
export const QSOFA_POSITIVE_TOTAL = 2;
/** Sepsis-3 (Singer 2016) is a definition for adults. */
export const QSOFA_ADULT_AGE_YEARS = 18;

/**
 * Pregnancy: qSOFA is computed and acted on, but said to be unvalidated. It was derived outside
 * pregnancy (Seymour 2016), and among the screening tools compared in pregnant and postpartum
 * women it was the least sensitive and the most specific (Bauer et al., Anesth Analg 2019;129(6)):
 * a positive total still warns, a negative one does not reassure. NEWS2 is not used at all in
 * pregnancy (its own scope, RCP 2017).
 */
function applicability(obs: TriageObservations, total: number): QsofaResult['applicability'] {
  const age = obs.patient.age;
  if (!age) return { applicable: 'unknown', notes: ['age unknown: qSOFA (Sepsis-3) is defined for adults'] };
  if (age.years < QSOFA_ADULT_AGE_YEARS) return { applicable: false, notes: [`age ${age.display}: qSOFA (Sepsis-3) is for adults; its thresholds are normal values in children`] };
  if (obs.patient.pregnancy === 'pregnant') {
    // What a low total does not say matters only when the total is low.
    const low = total < QSOFA_POSITIVE_TOTAL ? ', where it misses much of sepsis; a total under 2 does not rule sepsis out' : '';
    return { applicable: 'unknown', notes: [`pregnant: qSOFA is not validated in pregnancy${low}`] };
  }
  return { applicable: true, notes: [] };
}

export type QsofaCriterion = 'respiratoryRate' | 'alteredMentation' | 'systolicBP';

export interface QsofaCriterionResult {
  criterion: QsofaCriterion;
  label: string;
  /** true: met; false: assessed, not met; null: not recorded or undecidable. */
  met: boolean | null;
  points: 0 | 1 | null;
  evidence: Evidence[];
  detail: string;
}

export interface QsofaResult {
  score: 'qSOFA';
  /**
   * Sepsis-3 defines qSOFA for adults (Singer et al. 2016: "adult patients with suspected
   * infection"); its thresholds (respiratory rate ≥ 22, systolic BP ≤ 100) are normal values in
   * infants and young children. Under 18: not applicable, never positive (paediatric sepsis has its
   * own criteria). Age unknown, or pregnant: computed, and said (the card shows the note).
   */
  applicability: ScoreApplicability;
  /** Points of the criteria met; a lower bound when `complete` is false. */
  total: number;
  complete: boolean;
  criteria: QsofaCriterionResult[];
  missing: QsofaCriterion[];
  /**
   * ≥ 2: yes; cannot reach 2 even if every missing criterion were met: no; else undetermined.
   * Not applicable (a child, see `applicability`): whatever the total.
   */
  positive: 'yes' | 'no' | 'undetermined' | 'not-applicable';
  citation: Citation;
}

function criterion(criterion: QsofaCriterion, label: string, met: boolean | null, evidence: Evidence[], detail: string): QsofaCriterionResult {
  return { criterion, label, met, points: met === null ? null : met ? 1 : 0, evidence, detail };
}

export function computeQsofa(obs: TriageObservations): QsofaResult {
  const rr = obs.vitals.respiratoryRate.latest;
  const sbp = obs.vitals.systolicBP.latest;
  const mental = latestMentalStatus(obs);

  const criteria: QsofaCriterionResult[] = [
    rr
      ? criterion(
          'respiratoryRate',
          'Respiratory rate ≥ 22/min',
          isAtLeast(rr, QSOFA_RESPIRATORY_RATE_MIN, 1),
          [rr],
          `respiratory rate ${describeValue(rr)}`,
        )
      : criterion('respiratoryRate', 'Respiratory rate ≥ 22/min', null, [], 'respiratory rate not recorded in the window'),
    criterion(
      'alteredMentation',
      'Altered mentation (GCS < 15 or not alert)',
      mental.status === 'unknown' ? null : mental.status === 'altered',
      mental.evidence ? [mental.evidence] : [],
      mental.detail,
    ),
    sbp
      ? criterion('systolicBP', 'Systolic BP ≤ 100 mm Hg', isAtMost(sbp, QSOFA_SYSTOLIC_BP_MAX, 1), [sbp], `systolic BP ${describeValue(sbp)}`)
      : criterion('systolicBP', 'Systolic BP ≤ 100 mm Hg', null, [], 'systolic BP not recorded in the window'),
  ];
  const total = criteria.reduce((sum, c) => sum + (c.points ?? 0), 0);
  const open = criteria.filter((c) => c.met === null).length;
  const applies = applicability(obs, total);
  const positive = applies.applicable === false ? 'not-applicable' : total >= QSOFA_POSITIVE_TOTAL ? 'yes' : total + open < QSOFA_POSITIVE_TOTAL ? 'no' : 'undetermined';
  return {
    score: 'qSOFA',
    applicability: applies,
    total,
    complete: open === 0,
    criteria,
    missing: criteria.filter((c) => c.met === null && c.evidence.length === 0).map((c) => c.criterion),
    positive,
    citation: CITATIONS.qsofa,
  };
}
