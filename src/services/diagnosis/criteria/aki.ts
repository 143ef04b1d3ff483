/**
 * Acute kidney injury by KDIGO 2012 (Kidney Int Suppl 2012;2(1):1–138), recommendations 2.1.1
 * (definition) and 2.1.2 (staging, Table 2), from serum creatinine only:
 * - rise ≥0.3 mg/dL (26.5 µmol/L) within 48 hours; or
 * - rise to ≥1.5 × baseline, known or presumed to have occurred within the prior 7 days.
 * Stage: 1 = 1.5–1.9 × baseline or ≥0.3 mg/dL rise; 2 = 2.0–2.9 ×; 3 = ≥3.0 ×, or creatinine
 * ≥4.0 mg/dL (353.6 µmol/L) with AKI present (or renal replacement therapy started, or eGFR <35 in
 * patients under 18: neither is readable from PatientContext, so not evaluated).
 * The urine-output criterion is not evaluated (no urine output series in PatientContext).
 *
 * Computable reading, as in the guideline's own wording:
 * - baseline for the ratio = the lowest creatinine in the 7 days before the value tested (KDIGO
 *   "within the prior 7 days"); baseline for the absolute rise = the lowest in the 48 hours before;
 * - only an episode that is current is a finding: the value meeting the criterion must lie in the 7
 *   days before the reference time (the guideline's 7-day frame). Older episodes are history.
 * Creatinine values are in mg/dL (µmol/L converted by PatientContext with 88.4 µmol/L per mg/dL).
 */
import type { PatientContext, Reading } from '../../../fhir/context/index.js';
import type { EvidenceRow, Finding } from '../finding.js';
import { fmt, fmtQuantity, newFinding } from '../finding.js';
import { DAY_MS, HOUR_MS, computedRow, readingDay, readingRow, referenceTimeOf } from './shared.js';
import type { RuleRef } from '../../../cards/provenance.js';

/**
 * The rule the card of this finding cites (card provenance, src/cards/provenance.ts): the AKI criterion (KDIGO 2012 rise and staging) and its thresholds below.
 * Bump the version whenever that logic or a threshold changes, here or in the shared.ts helpers it uses.
 */
export const AKI_RULE: RuleRef = { id: 'diagnosis/aki', version: '2' };

/** KDIGO 2012 Rec 2.1.1: absolute rise within 48 h (mg/dL). */
export const ABSOLUTE_RISE = 0.3;
export const ABSOLUTE_WINDOW_HOURS = 48;
/** KDIGO 2012 Rec 2.1.1: relative rise against a baseline within the prior 7 days. */
export const RATIO_STAGE1 = 1.5;
export const RELATIVE_WINDOW_DAYS = 7;
/** KDIGO 2012 Table 2 staging. */
export const RATIO_STAGE2 = 2.0;
export const RATIO_STAGE3 = 3.0;
export const ABSOLUTE_STAGE3 = 4.0; // mg/dL

export type AkiStage = 1 | 2 | 3;

interface Episode {
  value: Reading;
  /** Lowest value in the prior 7 days, for the ratio. */
  baseline7d: Reading | undefined;
  /** Lowest value in the prior 48 h, for the absolute rise. */
  baseline48h: Reading | undefined;
  ratio: number | undefined;
  rise48h: number | undefined;
  stage: AkiStage | undefined;
}

function lowest(readings: readonly Reading[]): Reading | undefined {
  let low: Reading | undefined;
  for (const r of readings) if (!low || r.value < low.value) low = r;
  return low;
}

/** KDIGO 2012 Table 2 for one creatinine value against its baselines. */
export function assessValue(value: Reading, prior: readonly Reading[]): Episode {
  const t = value.effectiveTime;
  const baseline7d = lowest(prior.filter((p) => p.effectiveTime < t && p.effectiveTime >= t - RELATIVE_WINDOW_DAYS * DAY_MS));
  const baseline48h = lowest(prior.filter((p) => p.effectiveTime < t && p.effectiveTime >= t - ABSOLUTE_WINDOW_HOURS * HOUR_MS));
  const ratio = baseline7d && baseline7d.value > 0 ? value.value / baseline7d.value : undefined;
  const rise48h = baseline48h ? value.value - baseline48h.value : undefined;
  // Floating point: 1.3 − 1.0 is 0.30000000000000004 and 0.3 is fine, but 1.2 − 0.9 is 0.29999999999999993.
  const EPS = 1e-9;
  const meetsRise = rise48h !== undefined && rise48h >= ABSOLUTE_RISE - EPS;
  const meetsRatio = ratio !== undefined && ratio >= RATIO_STAGE1 - EPS;
  let stage: AkiStage | undefined;
  if (meetsRise || meetsRatio) {
    if ((ratio !== undefined && ratio >= RATIO_STAGE3 - EPS) || value.value >= ABSOLUTE_STAGE3) stage = 3;
    else if (ratio !== undefined && ratio >= RATIO_STAGE2 - EPS) stage = 2;
    else stage = 1;
  }
  return { value, baseline7d, baseline48h, ratio, rise48h, stage };
}

export function evaluateAki(ctx: PatientContext): Finding {
  const ref = referenceTimeOf(ctx);
  // Values with a comparator ("<0.5") carry no exact number to compare; they are not used.
  const all = ctx.labs.creatinine.filter((r) => r.effectiveTime <= ref && r.comparator === undefined);
  const notes: string[] = [];
  const skipped = ctx.labs.creatinine.filter((r) => r.comparator !== undefined).length;
  if (skipped > 0) notes.push(`${skipped} creatinine value(s) recorded with a comparator not used`);
  notes.push('urine output criterion not evaluated (not available)');

  const windowStart = ref - RELATIVE_WINDOW_DAYS * DAY_MS;
  const current = all.filter((r) => r.effectiveTime >= windowStart);
  if (current.length === 0) {
    const last = all[all.length - 1];
    return newFinding('aki', {
      status: 'not-enough-data',
      summary: last
        ? `no creatinine in the last ${RELATIVE_WINDOW_DAYS} days (latest ${fmtQuantity(last.value, last.unit, 2)} on ${readingDay(last)})`
        : 'no creatinine result',
      notes,
    });
  }

  const episodes = current.map((r) => assessValue(r, all));
  const withStage = episodes.filter((e) => e.stage !== undefined);
  if (withStage.length === 0) {
    const comparable = episodes.filter((e) => e.baseline7d !== undefined);
    const latest = current[current.length - 1] as Reading;
    if (comparable.length === 0) {
      return newFinding('aki', {
        status: 'not-enough-data',
        summary: `creatinine ${fmtQuantity(latest.value, latest.unit, 2)} on ${readingDay(latest)} with no earlier value within ${RELATIVE_WINDOW_DAYS} days to compare`,
        evidence: [readingRow(latest, 'Creatinine', 'latest result')],
        notes,
      });
    }
    const maxRatio = Math.max(...comparable.map((e) => e.ratio ?? 0));
    return newFinding('aki', {
      status: 'not-met',
      summary: `creatinine ${fmtQuantity(latest.value, latest.unit, 2)} on ${readingDay(latest)}; highest rise in the last ${RELATIVE_WINDOW_DAYS} days ${fmt(maxRatio, 2)}× its 7-day baseline, below the KDIGO criteria`,
      evidence: current.map((r) => readingRow(r, 'Creatinine')),
      notes,
    });
  }

  // The most severe stage; among equals, the most recent value.
  const worst = withStage.reduce((a, b) => ((b.stage as AkiStage) >= (a.stage as AkiStage) ? b : a));
  const v = worst.value;
  const evidence: EvidenceRow[] = [];
  if (worst.baseline7d) evidence.push(readingRow(worst.baseline7d, 'Creatinine', 'baseline: lowest in the prior 7 days'));
  if (worst.baseline48h && worst.baseline48h !== worst.baseline7d) {
    evidence.push(readingRow(worst.baseline48h, 'Creatinine', 'lowest in the prior 48 hours'));
  }
  evidence.push(readingRow(v, 'Creatinine', 'value meeting the criterion'));
  const parts: string[] = [];
  const criteria: string[] = [];
  if (worst.ratio !== undefined && worst.baseline7d) {
    evidence.push(computedRow('Ratio to baseline', worst.ratio, null, `${readingDay(worst.baseline7d)} – ${readingDay(v)}`));
    parts.push(`${fmt(worst.ratio, 1)}× baseline ${fmtQuantity(worst.baseline7d.value, worst.baseline7d.unit, 2)} (${readingDay(worst.baseline7d)})`);
    if (worst.ratio >= RATIO_STAGE1 - 1e-9) criteria.push(`creatinine ≥${RATIO_STAGE1}× baseline within ${RELATIVE_WINDOW_DAYS} days`);
  }
  if (worst.rise48h !== undefined && worst.baseline48h) {
    const hours = (v.effectiveTime - worst.baseline48h.effectiveTime) / HOUR_MS;
    evidence.push(computedRow(`Rise over ${fmt(hours, 0)} h`, worst.rise48h, v.unit, `${worst.baseline48h.effective} – ${v.effective}`));
    if (worst.rise48h >= ABSOLUTE_RISE - 1e-9) {
      parts.push(`+${fmtQuantity(worst.rise48h, v.unit, 2)} in ${fmt(hours, 0)} h`);
      criteria.push(`rise ≥${ABSOLUTE_RISE} mg/dL within ${ABSOLUTE_WINDOW_HOURS} h`);
    }
  }
  if (worst.stage === 3 && v.value >= ABSOLUTE_STAGE3 && (worst.ratio ?? 0) < RATIO_STAGE3) {
    criteria.push(`stage 3 by creatinine ≥${ABSOLUTE_STAGE3} mg/dL`);
  }
  return newFinding('aki', {
    status: 'met',
    stage: `stage ${worst.stage}`,
    criterion: criteria.join('; '),
    summary: `creatinine ${fmtQuantity(v.value, v.unit, 2)} on ${readingDay(v)}: ${parts.join(', ')}`,
    evidence,
    notes,
  });
}
