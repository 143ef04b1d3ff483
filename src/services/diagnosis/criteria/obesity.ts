/**
 * Obesity class from BMI, by the WHO adult classification (Technical Report Series 894, 2000,
 * Table 2.1) and the CDC adult BMI categories (cdc.gov/bmi, 2024), which share the cut-points:
 * underweight <18.5; healthy 18.5–24.9; overweight 25.0–29.9; obesity class 1 30.0–34.9,
 * class 2 35.0–39.9, class 3 ≥40 kg/m².
 *
 * - Adults only: CDC applies the adult categories from age 20; ages 2–19 use BMI-for-age
 *   percentiles on the CDC growth charts, which Cairn does not compute, so younger patients get
 *   "not enough data".
 * - Pregnancy: BMI categories describe non-pregnant weight (pregnancy weight gain is judged against
 *   pre-pregnancy BMI, IOM 2009 / USPSTF 2021), so a current pregnancy gives "not enough data".
 * - Which BMI: the most recent of (a) a recorded BMI (LOINC 39156-5) and (b) a BMI computed from a
 *   weight and a height measured close in time (height within 365 days of the weight, either side;
 *   adult height is stable over that span). On the same day a recorded BMI is preferred.
 * - Current (judgement call, no guideline window): the BMI must be from the 24 months before the
 *   reference time, the same look-back as blood pressure (routine adult visits record both).
 * - WHO's lower action points for Asian populations (Lancet 2004;363:157) are not applied:
 *   ethnicity is not in PatientContext; a note says so when the class is below obesity.
 */
import type { PatientContext, Reading } from '../../../fhir/context/index.js';
import type { Coding, EvidenceRow, Finding } from '../finding.js';
import { CONDITIONS, ICD10CM, dayOf, fmt, newFinding } from '../finding.js';
import { DAY_MS, certainlyAtLeastAge, computedRow, readingDay, readingRow, referenceTimeOf } from './shared.js';
import type { RuleRef } from '../../../cards/provenance.js';

/**
 * The rule the card of this finding cites (card provenance, src/cards/provenance.ts): the obesity criterion (BMI classes, adult age, reading windows) and its thresholds below.
 * Bump the version whenever that logic or a threshold changes, here or in the shared.ts helpers it uses.
 */
export const OBESITY_RULE: RuleRef = { id: 'diagnosis/obesity', version: '2' };

/** CDC: adult BMI categories apply from age 20. */
export const ADULT_BMI_AGE_YEARS = 20;
/** Look-back for a current BMI (judgement call, see the module comment). */
export const BMI_WINDOW_DAYS = 730;
/** Height may be taken up to this far from the weight (adult height is stable). */
export const HEIGHT_MATCH_DAYS = 365;

// WHO TRS 894 (2000) Table 2.1 / CDC adult categories (kg/m²).
export const UNDERWEIGHT_BELOW = 18.5;
export const OVERWEIGHT_FROM = 25;
export const OBESITY_CLASS1_FROM = 30;
export const OBESITY_CLASS2_FROM = 35;
export const OBESITY_CLASS3_FROM = 40;

export type BmiCategory = 'underweight' | 'healthy weight' | 'overweight' | 'class 1' | 'class 2' | 'class 3';

export function bmiCategory(bmi: number): BmiCategory {
  if (bmi >= OBESITY_CLASS3_FROM) return 'class 3';
  if (bmi >= OBESITY_CLASS2_FROM) return 'class 2';
  if (bmi >= OBESITY_CLASS1_FROM) return 'class 1';
  if (bmi >= OVERWEIGHT_FROM) return 'overweight';
  if (bmi >= UNDERWEIGHT_BELOW) return 'healthy weight';
  return 'underweight';
}

/** ICD-10-CM FY2025 obesity class codes (E66.811–E66.813). */
const CLASS_ICD10: Readonly<Record<'class 1' | 'class 2' | 'class 3', Coding>> = {
  'class 1': { system: ICD10CM, code: 'E66.811', display: 'Obesity, class 1' },
  'class 2': { system: ICD10CM, code: 'E66.812', display: 'Obesity, class 2' },
  'class 3': { system: ICD10CM, code: 'E66.813', display: 'Obesity, class 3' },
};

interface BmiValue {
  bmi: number;
  time: number;
  date: string;
  rows: EvidenceRow[];
  how: 'recorded' | 'computed';
}

function nearestHeight(heights: readonly Reading[], time: number): Reading | undefined {
  let best: Reading | undefined;
  for (const h of heights) {
    const gap = Math.abs(h.effectiveTime - time);
    if (gap > HEIGHT_MATCH_DAYS * DAY_MS) continue;
    if (!best || gap < Math.abs(best.effectiveTime - time)) best = h;
  }
  return best;
}

/** The most recent usable BMI (recorded, or computed from weight and height), or undefined. */
export function currentBmi(ctx: PatientContext, from: number, to: number): BmiValue | undefined {
  const exact = (r: Reading): boolean => r.comparator === undefined && r.effectiveTime >= from && r.effectiveTime <= to;
  const recorded = ctx.vitals.bmi.filter(exact);
  const weights = ctx.vitals.bodyWeight.filter(exact);
  // Heights from adulthood only, so a teenage height is never paired with an adult weight.
  const heights = ctx.vitals.bodyHeight.filter(
    (r) => r.comparator === undefined && r.effectiveTime <= to && certainlyAtLeastAge(ctx, r.effectiveTime, ADULT_BMI_AGE_YEARS),
  );
  const lastRecorded = recorded[recorded.length - 1];
  let computed: BmiValue | undefined;
  for (let i = weights.length - 1; i >= 0 && !computed; i--) {
    const w = weights[i] as Reading;
    const h = nearestHeight(heights, w.effectiveTime);
    if (!h || h.value <= 0) continue;
    const metres = h.value / 100; // PatientContext height is in cm
    const bmi = w.value / (metres * metres);
    computed = {
      bmi,
      time: w.effectiveTime,
      date: w.effective,
      how: 'computed',
      rows: [readingRow(w, 'Body weight'), readingRow(h, 'Body height'), computedRow('BMI (weight / height²)', bmi, 'kg/m2', w.effective)],
    };
  }
  const fromRecorded: BmiValue | undefined = lastRecorded
    ? { bmi: lastRecorded.value, time: lastRecorded.effectiveTime, date: lastRecorded.effective, how: 'recorded', rows: [readingRow(lastRecorded, 'Body mass index')] }
    : undefined;
  if (fromRecorded && computed) {
    return dayOf(computed.date) > dayOf(fromRecorded.date) ? computed : fromRecorded;
  }
  return fromRecorded ?? computed;
}

export function evaluateObesity(ctx: PatientContext): Finding {
  const ref = referenceTimeOf(ctx);
  if (!ctx.patient?.birthDate) {
    return newFinding('obesity', { status: 'not-enough-data', summary: 'age unknown: adult BMI categories apply from age 20' });
  }
  if (!certainlyAtLeastAge(ctx, ref, ADULT_BMI_AGE_YEARS)) {
    return newFinding('obesity', {
      status: 'not-enough-data',
      summary: `age ${ctx.patient.age?.display ?? 'under 20 years'}: BMI-for-age percentile needed (CDC growth charts), not computed`,
    });
  }
  if (ctx.pregnancy.status === 'pregnant') {
    return newFinding('obesity', { status: 'not-enough-data', summary: 'pregnant: adult BMI categories do not apply during pregnancy' });
  }
  const value = currentBmi(ctx, ref - BMI_WINDOW_DAYS * DAY_MS, ref);
  if (!value) {
    const any = ctx.vitals.bmi[ctx.vitals.bmi.length - 1] ?? ctx.vitals.bodyWeight[ctx.vitals.bodyWeight.length - 1];
    return newFinding('obesity', {
      status: 'not-enough-data',
      summary: any
        ? `no BMI (or weight with a height) in the last 24 months; latest from ${readingDay(any)}`
        : 'no BMI, or weight with a height, recorded',
    });
  }
  const category = bmiCategory(value.bmi);
  const notes: string[] = [];
  const obese = category === 'class 1' || category === 'class 2' || category === 'class 3';
  if (!obese && value.bmi >= 23) {
    notes.push('WHO action points for Asian populations (23 and 27.5 kg/m²) not applied: ethnicity not available');
  }
  const summary = `BMI ${fmt(value.bmi, 1)} kg/m² ${value.how === 'computed' ? '(from weight and height) ' : ''}on ${dayOf(value.date)}`;
  if (!obese) {
    return newFinding('obesity', { status: 'not-met', stage: category, summary: `${summary}: ${category}`, evidence: value.rows, notes });
  }
  const criterion =
    category === 'class 3'
      ? `BMI ≥${OBESITY_CLASS3_FROM} kg/m²`
      : category === 'class 2'
        ? `BMI ${OBESITY_CLASS2_FROM}.0–${OBESITY_CLASS3_FROM - 0.1} kg/m²`
        : `BMI ${OBESITY_CLASS1_FROM}.0–${OBESITY_CLASS2_FROM - 0.1} kg/m²`;
  return newFinding('obesity', {
    status: 'met',
    stage: category,
    code: { snomed: CONDITIONS.obesity.snomed, icd10: CLASS_ICD10[category] },
    criterion,
    summary,
    evidence: value.rows,
    notes,
  });
}
