/**
 * eGFR from serum creatinine when the laboratory reported none, by the equation KDIGO 2024
 * recommends (Rec. 1.2.4.1: estimate GFR from creatinine, eGFRcr; practice point 1.2.4.2 names the
 * race-free CKD-EPI 2021 equation for North America): CKD-EPI 2021 (Inker LA et al., N Engl J Med
 * 2021;385:1737-49),
 *
 *   eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × (1.012 if female),
 *   κ = 0.7 (female) or 0.9 (male), α = −0.241 (female) or −0.302 (male), Scr in mg/dL.
 *
 * Why: many laboratories report creatinine alone, and a patient whose creatinine has stayed high
 * for months has the same CKD whether or not the lab printed the eGFR beside it. Only where the
 * record has no eGFR taken at the same instant (a reported eGFR always wins), only for adults (the
 * equation was derived in adults 18 and over) of recorded sex male or female (the equation has no
 * other form), never from a creatinine given with a comparator ("<0.5") or above
 * MAX_CREATININE_MG_DL (a unit error more likely than a level). With a birth date
 * known only to the year or month, the youngest possible age is used: the higher eGFR, so an
 * uncertain age never makes a value abnormal. Pure.
 */
import type { PatientContext, Reading } from '../../../fhir/context/index.js';
import { ageYearsAt } from './shared.js';

/** CKD-EPI 2021 applies from this age (the cohorts it was developed in were adults). */
const ADULT_YEARS = 18;

/**
 * Above this creatinine (mg/dL) no eGFR is computed. Normal is about 0.6–1.2 mg/dL (53–106
 * µmol/L), so a value of 50–110 "mg/dL" is far more likely µmol/L charted with the wrong unit
 * than a real level, and it would read as CKD G5. Every adult's eGFR is already below 5 (G5 starts
 * at 15) at 20 mg/dL, so the bound costs no stage a real result could show.
 */
const MAX_CREATININE_MG_DL = 20;

/** The canonical eGFR unit of PatientContext. */
const EGFR_UNIT = 'mL/min/{1.73_m2}';

/** CKD-EPI 2021 creatinine equation (module comment), Scr in mg/dL, age in years. */
export function ckdEpi2021(creatinineMgDl: number, ageYears: number, sex: 'male' | 'female'): number {
  const kappa = sex === 'female' ? 0.7 : 0.9;
  const alpha = sex === 'female' ? -0.241 : -0.302;
  const ratio = creatinineMgDl / kappa;
  return 142 * Math.min(ratio, 1) ** alpha * Math.max(ratio, 1) ** -1.2 * 0.9938 ** ageYears * (sex === 'female' ? 1.012 : 1);
}

export interface ComputedEgfr {
  reading: Reading;
  /** The creatinine it was computed from, and the age and sex used. */
  creatinine: Reading;
  ageYears: number;
  sex: 'male' | 'female';
}

/**
 * An eGFR reading for each creatinine result taken at an instant with no reported eGFR (see the
 * module comment for when none is computed). The reading keeps the creatinine's time, source and
 * encounter, so it sorts and links like the result it came from.
 */
export function egfrFromCreatinine(ctx: PatientContext, reported: readonly Reading[]): ComputedEgfr[] {
  const sex = ctx.patient?.sex;
  if (sex !== 'male' && sex !== 'female') return [];
  const reportedAt = new Set(reported.map((r) => r.effectiveTime));
  const out: ComputedEgfr[] = [];
  for (const creatinine of ctx.labs.creatinine) {
    if (creatinine.comparator !== undefined || reportedAt.has(creatinine.effectiveTime) || !(creatinine.value > 0) || creatinine.value > MAX_CREATININE_MG_DL) continue;
    const age = ageYearsAt(ctx, creatinine.effectiveTime);
    if (age === undefined || age.lower < ADULT_YEARS) continue;
    const value = ckdEpi2021(creatinine.value, age.lower, sex);
    const { comparator: _none, notes: _notes, panelCode: _panel, ...rest } = creatinine;
    out.push({
      reading: {
        ...rest,
        quantity: 'egfr',
        value,
        unit: EGFR_UNIT,
        // Computed, not recorded: the creatinine it came from is named beside it (ComputedEgfr), not as a recorded eGFR.
        original: { value, unit: EGFR_UNIT, code: EGFR_UNIT, system: 'http://unitsofmeasure.org' },
        notes: [`computed by CKD-EPI 2021 from creatinine ${creatinine.value} mg/dL, age ${age.lower}, ${sex}`],
      },
      creatinine,
      ageYears: age.lower,
      sex,
    });
  }
  return out;
}
