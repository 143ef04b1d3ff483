/**
 * Anaemia from haemoglobin, by the WHO haemoglobin cut-offs.
 *
 * Thresholds (WHO. Guideline on haemoglobin cutoffs to define anaemia in individuals and
 * populations. Geneva: WHO; 2024), anaemia below:
 * - 6–23 months 10.5 g/dL; 24–59 months 11.0; 5–11 years 11.5; 12–14 years 12.0;
 * - 15 years and over: non-pregnant women 12.0, men 13.0;
 * - pregnancy: first and third trimester 11.0, second trimester 10.5.
 * Below 6 months WHO gives no cut-off. Severity (mild / moderate / severe) from WHO 2011
 * (WHO/NMH/NHD/MNM/11.1, Table 1) for ages 5 and over and pregnancy: severe <8.0 g/dL (<7.0 in
 * pregnancy), moderate 8.0–10.9 (7.0–9.9 in pregnancy), mild from there to the cut-off. No severity
 * is given under 5 years, where the 2024 cut-offs changed and the 2011 bands no longer fit.
 *
 * Without guessing:
 * - Trimester is not in PatientContext: in pregnancy, Hb <10.5 is anaemia whatever the trimester,
 *   10.5–10.9 is "not enough data" (anaemia in the 1st/3rd trimester only).
 * - Sex unknown or other at ≥15 years: <12.0 is anaemia under either cut-off, 12.0–12.9 is "not
 *   enough data".
 * - Pregnancy status not recorded for a woman aged 15–49: the non-pregnant cut-off is used, with a
 *   note (a recorded pregnancy would lower the cut-off, never raise it).
 * - Altitude and smoking adjustments (WHO 2024) need data PatientContext lacks; a note says so.
 * - Current: the latest haemoglobin must be from the 12 months before the reference time
 *   (judgement call: WHO defines anaemia on a current measurement; an older value says little
 *   about today).
 */
import type { PatientContext, Reading } from '../../../fhir/context/index.js';
import type { Finding } from '../finding.js';
import { fmtQuantity, newFinding } from '../finding.js';
import { DAY_MS, readingDay, readingRow, referenceTimeOf } from './shared.js';

/** Look-back for a current haemoglobin (judgement call, see the module comment). */
export const HB_WINDOW_DAYS = 365;

// WHO 2024 cut-offs (g/dL).
export const HB_6_23_MONTHS = 10.5;
export const HB_24_59_MONTHS = 11.0;
export const HB_5_11_YEARS = 11.5;
export const HB_12_14_YEARS = 12.0;
export const HB_WOMEN = 12.0;
export const HB_MEN = 13.0;
export const HB_PREGNANT_T1_T3 = 11.0;
export const HB_PREGNANT_T2 = 10.5;
// WHO 2011 Table 1 severity bands (g/dL).
export const SEVERE_BELOW = 8.0;
export const MODERATE_BELOW = 11.0;
export const SEVERE_BELOW_PREGNANT = 7.0;
export const MODERATE_BELOW_PREGNANT = 10.0;

interface Cutoff {
  /** Hb below `certain` is anaemia whatever the unknowns. */
  certain: number;
  /** Hb below `possible` might be anaemia depending on an unknown (trimester, sex); equals `certain` when nothing is unknown. */
  possible: number;
  group: string;
  pregnant: boolean;
  gradeSeverity: boolean;
  notes: string[];
}

function ageInMonths(ctx: PatientContext, time: number): number | undefined {
  // Completed months from the birth date; a partial birth date takes its latest possible day
  // (the younger age), as ageYearsAt does for its lower bound.
  const birth = ctx.patient?.birthDate;
  if (!birth) return undefined;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(birth);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : 12;
  const d = m[3] ? Number(m[3]) : new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const at = new Date(time);
  let months = (at.getUTCFullYear() - y) * 12 + (at.getUTCMonth() + 1 - mo);
  if (at.getUTCDate() < d) months -= 1;
  return months;
}

function cutoffFor(ctx: PatientContext, time: number): Cutoff | string {
  const months = ageInMonths(ctx, time);
  if (months === undefined) return 'age unknown: WHO haemoglobin cut-offs depend on age';
  const sex = ctx.patient?.sex ?? 'unknown';
  const notes: string[] = [];
  if (months < 6) return 'age under 6 months: WHO gives no haemoglobin cut-off';
  if (months < 24) return { certain: HB_6_23_MONTHS, possible: HB_6_23_MONTHS, group: 'children 6–23 months', pregnant: false, gradeSeverity: false, notes };
  if (months < 60) return { certain: HB_24_59_MONTHS, possible: HB_24_59_MONTHS, group: 'children 24–59 months', pregnant: false, gradeSeverity: false, notes };
  if (months < 12 * 12) return { certain: HB_5_11_YEARS, possible: HB_5_11_YEARS, group: 'children 5–11 years', pregnant: false, gradeSeverity: true, notes };
  if (ctx.pregnancy.status === 'pregnant') {
    notes.push('trimester not known: 10.5 g/dL (2nd trimester) used as the certain cut-off, 11.0 (1st/3rd) as the possible one');
    return { certain: HB_PREGNANT_T2, possible: HB_PREGNANT_T1_T3, group: 'pregnancy', pregnant: true, gradeSeverity: true, notes };
  }
  if (months < 15 * 12) return { certain: HB_12_14_YEARS, possible: HB_12_14_YEARS, group: 'children 12–14 years', pregnant: false, gradeSeverity: true, notes };
  if (sex === 'male') return { certain: HB_MEN, possible: HB_MEN, group: 'men (15 years and over)', pregnant: false, gradeSeverity: true, notes };
  if (sex === 'female') {
    if (ctx.pregnancy.status === 'unknown' && months < 50 * 12) {
      notes.push('pregnancy status not recorded: non-pregnant cut-off used');
    }
    return { certain: HB_WOMEN, possible: HB_WOMEN, group: 'non-pregnant women (15 years and over)', pregnant: false, gradeSeverity: true, notes };
  }
  notes.push(`sex ${sex}: ${HB_WOMEN} g/dL (women) used as the certain cut-off, ${HB_MEN} (men) as the possible one`);
  return { certain: HB_WOMEN, possible: HB_MEN, group: 'adults (15 years and over), sex not recorded', pregnant: false, gradeSeverity: true, notes };
}

function severity(hb: number, cutoff: Cutoff): string | null {
  if (!cutoff.gradeSeverity) return null;
  const severe = cutoff.pregnant ? SEVERE_BELOW_PREGNANT : SEVERE_BELOW;
  const moderate = cutoff.pregnant ? MODERATE_BELOW_PREGNANT : MODERATE_BELOW;
  if (hb < severe) return 'severe';
  if (hb < moderate) return 'moderate';
  return 'mild';
}

export function evaluateAnaemia(ctx: PatientContext): Finding {
  const ref = referenceTimeOf(ctx);
  const recent = ctx.labs.haemoglobin.filter((r) => r.effectiveTime <= ref && r.effectiveTime >= ref - HB_WINDOW_DAYS * DAY_MS);
  const latest = recent[recent.length - 1];
  if (!latest) {
    const older = ctx.labs.haemoglobin[ctx.labs.haemoglobin.length - 1];
    return newFinding('anaemia', {
      status: 'not-enough-data',
      summary: older ? `no haemoglobin in the last 12 months (latest from ${readingDay(older)})` : 'no haemoglobin result',
    });
  }
  const cutoff = cutoffFor(ctx, latest.effectiveTime);
  if (typeof cutoff === 'string') {
    return newFinding('anaemia', { status: 'not-enough-data', summary: cutoff, evidence: [readingRow(latest, 'Haemoglobin', 'latest result')] });
  }
  const notes = [...cutoff.notes, 'altitude and smoking adjustments (WHO 2024) not applied: not available'];
  const hbText = `haemoglobin ${fmtQuantity(latest.value, latest.unit, 1)} on ${readingDay(latest)}`;
  const evidence = [readingRow(latest, 'Haemoglobin', 'latest result')];
  // Comparators: "<7.0" is below any cut-off above 7; ">14" is above all.
  const certainlyBelow = (t: number): boolean | undefined => {
    const r: Reading = latest;
    if (r.comparator === undefined) return r.value < t;
    if (r.comparator === '<') return r.value <= t ? true : undefined;
    if (r.comparator === '<=') return r.value < t ? true : undefined;
    return r.value >= t ? false : undefined;
  };
  const belowCertain = certainlyBelow(cutoff.certain);
  const belowPossible = certainlyBelow(cutoff.possible);
  if (belowCertain === true) {
    const sev = latest.comparator ? null : severity(latest.value, cutoff);
    return newFinding('anaemia', {
      status: 'met',
      stage: sev,
      criterion: `haemoglobin <${cutoff.certain.toFixed(1)} g/dL (${cutoff.group})`,
      summary: hbText,
      evidence,
      notes,
    });
  }
  if (belowPossible === false) {
    return newFinding('anaemia', {
      status: 'not-met',
      summary: `${hbText}: at or above ${cutoff.possible.toFixed(1)} g/dL (${cutoff.group})`,
      evidence,
      notes,
    });
  }
  return newFinding('anaemia', {
    status: 'not-enough-data',
    summary: `${hbText}: between ${cutoff.certain.toFixed(1)} and ${cutoff.possible.toFixed(1)} g/dL, anaemia depends on ${cutoff.pregnant ? 'the trimester' : 'sex'}`,
    evidence,
    notes,
  });
}
