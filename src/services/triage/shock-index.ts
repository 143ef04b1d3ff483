/**
 * Shock index = heart rate / systolic blood pressure (Allgöwer & Burri 1967): about 0.5-0.7 in
 * healthy adults; 1.0 or more marks impending shock. Cairn uses ≥ 1.0. Some studies use 0.9
 * (e.g. Cannon CM et al., J Trauma 2009;67:1426-1430, for in-hospital mortality in ED trauma
 * patients); we chose 1.0 because it is the original definition of the critical value and the
 * threshold of shock class III in the validated shock-index classification (Mutschler M et al.,
 * Crit Care 2013;17:R172), so an elevated result here means more than "worth a look".
 *
 * The two readings must describe one moment: the heart rate taken within 15 minutes of the
 * systolic BP (an engineering choice: one set of vitals at triage is taken within minutes), from
 * the most recent BP that has such a partner.
 */
import { CITATIONS } from './citations.js';
import type { TriageObservations } from './triage-input.js';
import type { Citation, QuantityEvidence, ScoreApplicability } from './types.js';

/** Allgöwer & Burri 1967; Mutschler 2013: SI ≥ 1.0. */
export const SHOCK_INDEX_THRESHOLD = 1.0;
/** Engineering choice: HR and SBP of one set of vitals are recorded within minutes of each other. */
export const SHOCK_INDEX_MAX_PAIR_GAP_MS = 15 * 60_000;

export type ShockIndexResult =
  | {
      score: 'shock-index';
      status: 'computed';
      /** HR / SBP, full precision; round for display. */
      value: number;
      elevated: boolean;
      threshold: number;
      heartRate: QuantityEvidence;
      systolicBP: QuantityEvidence;
      /** Time between the two readings, ms. */
      gapMs: number;
      /** Shock index thresholds are adult values. */
      applicability: ScoreApplicability;
      detail: string;
      citation: Citation;
    }
  | {
      score: 'shock-index';
      status: 'not-computed';
      value: null;
      elevated: null;
      threshold: number;
      missing: Array<'heartRate' | 'systolicBP'>;
      detail: string;
      citation: Citation;
    };

function pairFor(sbp: QuantityEvidence, heartRates: readonly QuantityEvidence[]): QuantityEvidence | undefined {
  let best: QuantityEvidence | undefined;
  for (const hr of heartRates) {
    const gap = Math.abs(hr.effectiveTime - sbp.effectiveTime);
    if (gap > SHOCK_INDEX_MAX_PAIR_GAP_MS) continue;
    const bestGap = best ? Math.abs(best.effectiveTime - sbp.effectiveTime) : Infinity;
    // Closest in time; a tie goes to the later reading.
    if (gap < bestGap || (gap === bestGap && best && hr.effectiveTime > best.effectiveTime)) best = hr;
  }
  return best;
}

export function computeShockIndex(obs: TriageObservations): ShockIndexResult {
  // A "<"/">" reading cannot give a ratio; such readings are left out of the pairing.
  const sbps = obs.vitals.systolicBP.inWindow.filter((r) => !r.comparator && r.value > 0);
  const hrs = obs.vitals.heartRate.inWindow.filter((r) => !r.comparator);
  const missing: Array<'heartRate' | 'systolicBP'> = [];
  if (hrs.length === 0) missing.push('heartRate');
  if (sbps.length === 0) missing.push('systolicBP');
  if (missing.length > 0) {
    return {
      score: 'shock-index',
      status: 'not-computed',
      value: null,
      elevated: null,
      threshold: SHOCK_INDEX_THRESHOLD,
      missing,
      detail: `not computed: no ${missing.map((m) => (m === 'heartRate' ? 'heart rate' : 'systolic BP')).join(' or ')} in the window`,
      citation: CITATIONS.shockIndex,
    };
  }
  for (let i = sbps.length - 1; i >= 0; i--) {
    const sbp = sbps[i] as QuantityEvidence;
    const hr = pairFor(sbp, hrs);
    if (!hr) continue;
    const value = hr.value / sbp.value;
    const elevated = value >= SHOCK_INDEX_THRESHOLD;
    const age = obs.patient.age;
    const applicability: ScoreApplicability = !age
      ? { applicable: 'unknown', notes: ['age unknown: the shock index threshold is an adult value'] }
      : age.years < 16
        ? { applicable: false, notes: [`age ${age.display}: adult threshold not applied`] }
        : { applicable: true, notes: [] };
    const later = i < sbps.length - 1 ? ` (the later systolic BP readings had no heart rate within ${SHOCK_INDEX_MAX_PAIR_GAP_MS / 60_000} min)` : '';
    return {
      score: 'shock-index',
      status: 'computed',
      value,
      elevated,
      threshold: SHOCK_INDEX_THRESHOLD,
      heartRate: hr,
      systolicBP: sbp,
      gapMs: Math.abs(hr.effectiveTime - sbp.effectiveTime),
      applicability,
      detail: `shock index ${value.toFixed(2)} = HR ${hr.value} / SBP ${sbp.value}${elevated ? ` (≥ ${SHOCK_INDEX_THRESHOLD.toFixed(1)})` : ''}${later}`,
      citation: CITATIONS.shockIndex,
    };
  }
  return {
    score: 'shock-index',
    status: 'not-computed',
    value: null,
    elevated: null,
    threshold: SHOCK_INDEX_THRESHOLD,
    missing: [],
    detail: `not computed: no heart rate within ${SHOCK_INDEX_MAX_PAIR_GAP_MS / 60_000} min of a systolic BP in the window`,
    citation: CITATIONS.shockIndex,
  };
}
