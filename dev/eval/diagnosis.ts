/**
 * The diagnosis evaluation's shared parts, for the format of dx_synthea_smart_r4 (Synthea Bundles
 * plus index.jsonl): the evaluation date, hiding the target Condition, the gold label, and an
 * independent, deliberately simple reading of each guideline that decides the "data meet the
 * criteria" subset (not the criteria code, so sensitivity on it measures the implementation).
 */
import { buildPatientContext, defaultValueSetIndex } from '../../src/fhir/context/index.js';
import type { CodingSummary, PatientContext, Reading } from '../../src/fhir/context/index.js';
import type { HtnStage1Policy } from '../../src/config.js';
import type { ConditionKey } from '../../src/services/diagnosis/finding.js';

const DAY = 24 * 3600 * 1000;

export type Target = Extract<ConditionKey, 'hypertension' | 'diabetes' | 'prediabetes' | 'ckd'>;
export const TARGETS: ReadonlyArray<{ key: Target; valueSet: string }> = [
  { key: 'hypertension', valueSet: 'cairn-hypertension' },
  { key: 'diabetes', valueSet: 'cairn-diabetes' },
  { key: 'prediabetes', valueSet: 'cairn-prediabetes' },
  { key: 'ckd', valueSet: 'cairn-ckd' },
];


export type Json = Record<string, unknown>;
export interface Bundle {
  entry: Array<{ resource: Json }>;
}


/** The evaluation date: the end (else start) of the last Encounter (dataset README). */
export function lastEncounterTime(bundle: Bundle): Date {
  let last = -Infinity;
  for (const { resource } of bundle.entry) {
    if (resource['resourceType'] !== 'Encounter') continue;
    const period = resource['period'] as { start?: string; end?: string } | undefined;
    const t = Date.parse(period?.end ?? period?.start ?? '');
    if (Number.isFinite(t) && t > last) last = t;
  }
  return new Date(last);
}

function codingsOf(resource: Json): CodingSummary[] {
  const code = resource['code'] as { coding?: Array<{ system?: string; code?: string }> } | undefined;
  return (code?.coding ?? [])
    .filter((c): c is { system: string; code: string } => typeof c.system === 'string' && typeof c.code === 'string')
    .map((c) => ({ system: c.system, systemName: 'other', code: c.code }));
}

export function withoutTarget(bundle: Bundle, valueSet: string): Bundle {
  const index = defaultValueSetIndex();
  return {
    ...bundle,
    entry: bundle.entry.filter(
      ({ resource }) => !(resource['resourceType'] === 'Condition' && index.valueSetsContaining(codingsOf(resource)).includes(valueSet)),
    ),
  };
}

// --- independent, simple readings of each guideline (the "data meet the criteria" subset) -------

const upTo = (rs: readonly Reading[], ref: number, days = Infinity): Reading[] =>
  rs.filter((r) => r.effectiveTime <= ref && r.effectiveTime >= ref - days * DAY && r.comparator === undefined);
const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * @param htnStage1 the service's stage 1 policy (alert-policy.ts), read here independently: a card
 *   is due at ≥140/90, and at ≥130/80 always, never, or when diabetes or CKD is on the record or
 *   met by the data.
 */
export function dataMeetCriteria(key: Target, ctx: PatientContext, htnStage1: HtnStage1Policy = 'with-indication'): boolean {
  const ref = Date.parse(ctx.referenceTime);
  switch (key) {
    case 'hypertension': {
      // ACC/AHA: mean ≥130 systolic or ≥80 diastolic over readings on ≥2 days (last 2 years), adults.
      if ((ctx.patient?.age?.years ?? 0) < 18) return false;
      const sbp = upTo(ctx.vitals.systolicBP, ref, 730);
      const dbp = upTo(ctx.vitals.diastolicBP, ref, 730);
      const days = new Set(sbp.map((r) => r.effective.slice(0, 10)));
      if (days.size < 2) return false;
      const [s, d] = [avg(sbp.map((r) => r.value)), avg(dbp.map((r) => r.value))];
      if (s >= 140 || d >= 90) return true;
      if (s < 130 && d < 80) return false;
      if (htnStage1 !== 'with-indication') return htnStage1 === 'always';
      const onRecord = ctx.conditions.some(
        (c) => c.activeAtReference !== 'no' && (c.valueSets.includes('cairn-diabetes') || c.valueSets.includes('cairn-ckd')),
      );
      return onRecord || dataMeetCriteria('diabetes', ctx) || dataMeetCriteria('ckd', ctx);
    }
    case 'diabetes': {
      // ADA: two results at or above 6.5% HbA1c / 126 mg/dL FPG on two days, or both on one day.
      // The ADA criteria are for nonpregnant people (gestational diabetes has its own).
      if (ctx.pregnancy.status === 'pregnant') return false;
      const abnormal = [...upTo(ctx.labs.hba1c, ref).filter((r) => r.value >= 6.5), ...upTo(ctx.labs.fastingGlucose, ref).filter((r) => r.value >= 126)];
      const days = new Set(abnormal.map((r) => r.effective.slice(0, 10)));
      return days.size >= 2 || abnormal.length > days.size;
    }
    case 'prediabetes': {
      // ADA: latest HbA1c 5.7–6.4% or latest FPG 100–125 mg/dL (last 3 years), in a nonpregnant
      // person whose glucose does not meet the diabetes criteria: prediabetes is glucose above
      // normal but below diabetes, so not when the data meet diabetes or diabetes is on the record
      // (a treated diabetic's HbA1c of 6.1% is diabetes, not prediabetes).
      if (ctx.pregnancy.status === 'pregnant') return false;
      if (dataMeetCriteria('diabetes', ctx)) return false;
      if (ctx.conditions.some((c) => c.activeAtReference !== 'no' && c.valueSets.includes('cairn-diabetes'))) return false;
      const a = upTo(ctx.labs.hba1c, ref, 3 * 365).pop();
      const g = upTo(ctx.labs.fastingGlucose, ref, 3 * 365).pop();
      return (a !== undefined && a.value >= 5.7 && a.value < 6.5) || (g !== undefined && g.value >= 100 && g.value < 126);
    }
    case 'ckd': {
      // KDIGO: eGFR <60 or ACR ≥30 on two occasions at least 90 days apart.
      const spans = (rs: Reading[]): boolean => rs.length >= 2 && (rs[rs.length - 1] as Reading).effectiveTime - (rs[0] as Reading).effectiveTime >= 90 * DAY;
      return spans(upTo(ctx.labs.egfr, ref).filter((r) => r.value < 60)) || spans(upTo(ctx.labs.uacr, ref).filter((r) => r.value >= 30));
    }
  }
}


export interface Rates {
  positives: number;
  truePositives: number;
  negatives: number;
  trueNegatives: number;
  sensitivity: number | null;
  specificity: number | null;
}

export function rates(outcomes: ReadonlyArray<{ gold: boolean; raised: boolean }>): Rates {
  const pos = outcomes.filter((o) => o.gold);
  const neg = outcomes.filter((o) => !o.gold);
  const tp = pos.filter((o) => o.raised).length;
  const tn = neg.filter((o) => !o.raised).length;
  return {
    positives: pos.length,
    truePositives: tp,
    negatives: neg.length,
    trueNegatives: tn,
    sensitivity: pos.length ? tp / pos.length : null,
    specificity: neg.length ? tn / neg.length : null,
  };
}


/** The target Condition active at the evaluation date in the full record: the gold label. */
export function goldLabel(bundle: Bundle, valueSet: string, referenceTime: Date): boolean {
  const full = buildPatientContext({ resources: [bundle], referenceTime });
  return full.conditions.some((c) => c.valueSets.includes(valueSet) && c.activeAtReference === 'yes');
}
