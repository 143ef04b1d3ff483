/**
 * Physiological plausibility bounds, in each quantity's canonical unit (units.ts).
 *
 * These bounds catch data-entry and unit errors (a weight of 7000 kg, a heart rate of 0 typed for
 * "not measured"); they are deliberately wide so that a true critical value (glucose 900 mg/dL in
 * HHS, potassium 9 mmol/L) is never discarded. A value outside them is excluded and reported as
 * `implausible-value`, never silently used or clipped.
 *
 * Main source, where it applies: the sanity limits of MIT-LCP mimic-code (the MIMIC-III/IV
 * concept queries), widely reused for EHR vital-sign and lab cleaning:
 *   [MIMIC-IV vitals]  mimic-iv/concepts/measurement/vitalsign.sql (MIT-LCP/mimic-code, 2021–2023)
 *   [MIMIC-III labs]   mimic-iii/concepts/pivot/pivoted_lab.sql & firstday/labs_first_day.sql
 *                      (upper limits; "lab values cannot be 0 and cannot be negative")
 *   [MIMIC-IV bg]      mimic-iv/concepts/measurement/bg.sql (FiO2 handling)
 * Rows not covered by MIMIC state their own reasoning and reference.
 */
import type { QuantityKey } from './types.js';

export interface PlausibleRange {
  /** Lower bound in the canonical unit. */
  low: number;
  /** Whether a value equal to `low` is plausible. */
  lowInclusive: boolean;
  high: number;
  highInclusive: boolean;
  /** Must the value be a whole number (scores)? */
  integer?: boolean;
}

const range = (low: number, lowInclusive: boolean, high: number, highInclusive: boolean, integer = false): PlausibleRange => ({
  low,
  lowInclusive,
  high,
  highInclusive,
  ...(integer ? { integer } : {}),
});

export const PLAUSIBLE_RANGES: Readonly<Record<QuantityKey, PlausibleRange>> = {
  systolicBP: range(0, false, 400, false), // mm[Hg]; MIMIC-IV vitals: 0 < sbp < 400
  diastolicBP: range(0, false, 300, false), // mm[Hg]; MIMIC-IV vitals: 0 < dbp < 300
  heartRate: range(0, false, 300, false), // /min; MIMIC-IV vitals: 0 < heart_rate < 300
  // /min; MIMIC-IV vitals uses 0 < rr < 70 (adult ICU). Widened to 150 so neonatal tachypnoea
  // (> 60/min counts as fast breathing under 2 months: WHO IMCI chart booklet, 2014) is kept.
  respiratoryRate: range(0, false, 150, false),
  temperature: range(10, false, 50, false), // Cel; MIMIC-IV vitals: 10 < temperature(°C) < 50
  // %; MIMIC-IV vitals: 0 < spo2 <= 100 (a saturation cannot exceed 100 %). Raised to 1 < spo2:
  // a value of 1 % or less is a fraction written with '%' (0.97 for 97 %), which read as a
  // percentage would score a healthy patient as hypoxic (NEWS2 3 points, ESI decision point A).
  spo2: range(1, false, 100, true),
  // kg; engineering bound: smallest surviving preterm infants ≈ 0.25 kg (University of Iowa
  // Tiniest Babies Registry) to the heaviest documented human ≈ 635 kg (Guinness World Records).
  bodyWeight: range(0.2, true, 700, true),
  // cm; engineering bound: extreme-preterm crown–heel length ≈ 25–30 cm at 22–23 weeks (Fenton
  // preterm growth chart, BMC Pediatr 2013;13:59) to the tallest documented human 272 cm (Guinness).
  bodyHeight: range(20, true, 275, true),
  // kg/m2; engineering bound bracketing the weight/height extremes above (≈ 5 in extreme preterm
  // infants to ≈ 190 in the heaviest documented adults); outside it the pair is a recording error.
  bmi: range(5, true, 250, true),
  // {score}; by definition the 15-point GCS total is E1–4 + V1–5 + M1–6 = 3–15
  // (Teasdale G, Jennett B. Lancet 1974;2:81–84; Teasdale et al., Lancet Neurol 2014;13:844–854).
  gcs: range(3, true, 15, true, true),
  // %; MIMIC-IV bg: "atmospheric o2 is 20.89%, so any value <= 20 is unphysiologic"; kept 20 < FiO2 <= 100.
  inspiredOxygenFraction: range(20, false, 100, true),
  // L/min; 0 = room air. Engineering bound: high-flow nasal cannula delivers up to 60 L/min
  // (BTS guideline for oxygen use in adults, Thorax 2017;72:i1–i90); 120 L/min leaves headroom.
  oxygenFlowRate: range(0, true, 120, true),

  // %; OHDSI DataQualityDashboard concept thresholds for HbA1c in percent: 0.01–20
  // (inst/csv/OMOP_CDMv5.3.1_Concept_Level.csv, 2020). > 20 % exceeds NGSP-certified assay ranges.
  hba1c: range(0, false, 20, true),
  fastingGlucose: range(0, false, 10000, true), // mg/dL; MIMIC-III labs: 0 < glucose <= 10000
  randomGlucose: range(0, false, 10000, true), // mg/dL; MIMIC-III labs: 0 < glucose <= 10000
  creatinine: range(0, false, 150, true), // mg/dL; MIMIC-III labs: 0 < creatinine <= 150
  // mL/min/{1.73_m2}; engineering bound: glomerular hyperfiltration rarely exceeds ~180
  // (KDIGO 2012 CKD guideline, ch. 1: normal young adult GFR ≈ 125); 300 catches unit errors only.
  egfr: range(0, false, 300, true),
  // mg/g; engineering bound: nephrotic-range albuminuria is ACR > 2220 mg/g (KDIGO 2012 CKD
  // guideline, Table 7 footnote); 30 000 mg/g (> 10× nephrotic) catches unit errors only. 0 allowed.
  uacr: range(0, true, 30000, true),
  haemoglobin: range(0, false, 50, true), // g/dL; MIMIC-III labs: 0 < hemoglobin <= 50
  wbc: range(0, false, 1000, true), // 10*3/uL; MIMIC-III labs: 0 < wbc <= 1000
  lactate: range(0, false, 50, true), // mmol/L; MIMIC-III labs: 0 < lactate <= 50
  potassium: range(0, false, 30, true), // mmol/L; MIMIC-III labs: 0 < potassium <= 30
  sodium: range(0, false, 200, true), // mmol/L; MIMIC-III labs: 0 < sodium <= 200
  // ng/L; engineering bound: 0 allowed (below limit of detection reported as 0); 1 000 000 ng/L
  // (1000 ng/mL) is far above peak values in large MI (Fourth Universal Definition of MI, 2018).
  troponinI: range(0, true, 1_000_000, true),
  troponinT: range(0, true, 1_000_000, true),
  // mg/dL; engineering bound: untreated homozygous FH can exceed 500 mg/dL (EAS consensus on
  // HoFH, Cuchel et al., Eur Heart J 2014;35:2146–2157), so the usual 500 limit is too tight.
  ldl: range(0, false, 1500, true),
  totalCholesterol: range(0, false, 2000, true), // mg/dL; same reasoning as LDL
  platelets: range(0, false, 10000, true), // 10*3/uL; MIMIC-III labs: 0 < platelet <= 10000
  bilirubin: range(0, false, 150, true), // mg/dL; MIMIC-III labs: 0 < total bilirubin <= 150
};

/** Undefined when plausible; otherwise a reason for the exclusion detail. */
export function implausibility(quantity: QuantityKey, value: number, unit: string): string | undefined {
  const r = PLAUSIBLE_RANGES[quantity];
  const belowLow = r.lowInclusive ? value < r.low : value <= r.low;
  const aboveHigh = r.highInclusive ? value > r.high : value >= r.high;
  if (belowLow || aboveHigh) {
    const interval = `${r.lowInclusive ? '[' : '('}${r.low}, ${r.high}${r.highInclusive ? ']' : ')'}`;
    return `${round(value)} ${unit} outside plausible range ${interval} ${unit}`;
  }
  if (r.integer && !Number.isInteger(value)) return `${round(value)} ${unit} is not a whole number (score)`;
  return undefined;
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
}
