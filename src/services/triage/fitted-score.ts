/**
 * Cairn's fitted points scores for two judgements the ESI handbook leaves to the nurse (AHRQ ESI
 * v4 Implementation Handbook, 2005):
 *
 * - `danger-zone`: decision point D says that with danger-zone vital signs the nurse "should
 *   consider" level 2 (ch. 6), and ch. 4 considers severe pain for level 2. The score decides when
 *   a danger-zone heart or respiratory rate (alone, or with pain ≥ 7/10) becomes level 2; below its
 *   threshold the level is 3 and the vitals are shown for the nurse to weigh. A danger-zone SpO2
 *   (< 92 %) is never decided by the score: it stays level 2.
 * - `resources`: where the resource table decides between level 3 and 4 (decision point C: one
 *   resource expected, or two or more without a danger-zone vital sign), the score decides: at or
 *   above its threshold level 3, below it level 4. Level 5 (no resource) is not touched.
 *
 * The weights are data, `triage-score.json`: logistic regressions fitted on the KTAS development
 * split only (Moon et al., PLOS ONE 2019, CC BY 4.0), with the thresholds chosen by 5-fold
 * cross-validation under the safety rule of docs/EVALUATION.md; `npm run eval:triage -- --sweep
 * --fit <path>` refits and rewrites it. Coefficients are rounded to points (one point per half
 * unit of log-odds) so that the card can show the sum. Pure: the patient's data in, the points and
 * the words that explain them out.
 *
 * Every feature is read from what a FHIR hook request carries: vital-sign, pain and AVPU
 * Observations, the Patient's birth date, the Encounter's reason (the chief complaint, through the
 * resource table). Arrival mode and injury, which the KTAS data set has, are not used: Cairn does
 * not read them from FHIR. A feature whose data are missing counts 0 points, and the card lists it.
 */
import type { QuantityEvidence } from './types.js';
import type { ResourceType } from './resources.js';
import model from './triage-score.json' with { type: 'json' };

export type ScoreName = 'danger-zone' | 'resources';

/** The features, each with its unit; numeric features count "units past the line". */
export const SCORE_FEATURES = {
  'heart-rate-over-line': 'per 10/min above the danger-zone heart rate for age (ESI v4 Figure 6-1)',
  'respiratory-rate-over-line': 'per 4/min above the danger-zone respiratory rate for age (ESI v4 Figure 6-1)',
  'both-rates-over-line': 'heart and respiratory rate both in the danger zone',
  'age-65-or-older': 'age 65 years or older',
  'pain-7-or-more': 'pain 7/10 or more',
  'pain-4-to-6': 'pain 4 to 6 /10',
  'temperature-38-or-more': 'temperature 38.0 °C or more',
  'systolic-bp-under-100': 'systolic BP under 100 mm Hg',
  'resource-kinds': 'per kind of resource expected (resource table, ESI v4 ch. 5)',
  'needs-advanced-imaging': 'CT, MRI or ultrasound expected',
  'needs-parenteral-medication': 'IV/IM/nebulised medication expected',
  'needs-iv-fluids': 'IV fluids expected',
  'needs-ecg': 'ECG expected',
  'needs-specialty-consultation': 'specialty consultation expected',
  'needs-procedure': 'a simple or complex procedure expected',
  'high-risk-passage': 'the knowledge base matched a high-risk passage of ESI ch. 4 (not decisive alone)',
} as const;

export type ScoreFeature = keyof typeof SCORE_FEATURES;
export const SCORE_FEATURE_NAMES = Object.keys(SCORE_FEATURES) as ScoreFeature[];

export interface ScoreDefinition {
  /** What the score decides, in words. */
  question: string;
  /** The outcome the logistic regression was fitted to (1 = the more urgent level). */
  target: string;
  /** Points per feature unit (rounded coefficients); features not listed count 0. */
  points: Partial<Record<ScoreFeature, number>>;
  /** The more urgent level when the points reach the threshold; null: the score is not used. */
  threshold: number | null;
  /**
   * Resource score only: the threshold for patients with one resource expected (level 4 by the
   * handbook; at or above it, level 3). `threshold` is then for two or more resources (below it,
   * level 4). Null or absent: one resource stays level 4.
   */
  thresholdOneResource?: number | null;
  /** The fitted coefficients (log-odds per unit) and intercept, for the record. */
  coefficients: Partial<Record<ScoreFeature, number>> & { intercept?: number };
  /** Records the regression was fitted on. */
  fittedOn: number;
}

export interface TriageScoreModel {
  id: string;
  /** How the card names the score's source, e.g. "Cairn's fitted score, KTAS development 2026". */
  label: string;
  source: Record<string, unknown>;
  /**
   * Where the scores may be used: the range of the data they were fitted on. Outside it the
   * handbook's defaults decide (no extrapolation to children, or to rates the data never had).
   */
  domain?: { ageYearsAtLeast?: number; heartRateBelow?: number };
  scores: Record<ScoreName, ScoreDefinition>;
}

export const TRIAGE_SCORE_MODEL: TriageScoreModel = model as TriageScoreModel;

export interface ScoreFeatureInput {
  heartRate: QuantityEvidence | null;
  respiratoryRate: QuantityEvidence | null;
  systolicBP: QuantityEvidence | null;
  temperature: QuantityEvidence | null;
  pain: QuantityEvidence | null;
  ageYears: number | null;
  /** The danger-zone lines for the patient's age band (ESI v4 Figure 6-1). */
  heartRateLine: number;
  respiratoryRateLine: number;
  /** Distinct kinds of resource expected; null when the resources could not be estimated. */
  resources: readonly ResourceType[] | null;
  highRiskPassage: boolean;
}

export interface FeatureValue {
  feature: ScoreFeature;
  /** In the feature's unit; null: the data are missing (counts 0). */
  value: number | null;
  /** The patient's data behind the value, in words. */
  words: string;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const flag = (b: boolean): number => (b ? 1 : 0);

/** The value of every feature for one patient, with its words. Comparators are read at face value. */
export function scoreFeatures(x: ScoreFeatureInput): FeatureValue[] {
  const hr = x.heartRate?.value ?? null;
  const rr = x.respiratoryRate?.value ?? null;
  const sbp = x.systolicBP?.value ?? null;
  const temp = x.temperature?.value ?? null;
  const pain = x.pain?.value ?? null;
  const res = x.resources;
  const has = (...kinds: ResourceType[]): number | null => (res === null ? null : flag(kinds.some((k) => res.includes(k))));
  const kindsWords = res === null ? 'resources not estimated' : `${res.length} kind${res.length === 1 ? '' : 's'} of resource expected`;
  const out: FeatureValue[] = [
    { feature: 'heart-rate-over-line', value: hr === null ? null : Math.max(0, hr - x.heartRateLine) / 10, words: hr === null ? 'heart rate not recorded' : `HR ${fmt(hr)}/min (line ${x.heartRateLine})` },
    {
      feature: 'respiratory-rate-over-line',
      value: rr === null ? null : Math.max(0, rr - x.respiratoryRateLine) / 4,
      words: rr === null ? 'respiratory rate not recorded' : `RR ${fmt(rr)}/min (line ${x.respiratoryRateLine})`,
    },
    {
      feature: 'both-rates-over-line',
      value: hr === null || rr === null ? null : flag(hr > x.heartRateLine && rr > x.respiratoryRateLine),
      words: hr === null || rr === null ? 'heart or respiratory rate not recorded' : `HR ${fmt(hr)}/min and RR ${fmt(rr)}/min`,
    },
    { feature: 'age-65-or-older', value: x.ageYears === null ? null : flag(x.ageYears >= 65), words: x.ageYears === null ? 'age unknown' : `age ${x.ageYears}` },
    { feature: 'pain-7-or-more', value: pain === null ? null : flag(pain >= 7), words: pain === null ? 'pain not recorded' : `pain ${fmt(pain)}/10` },
    { feature: 'pain-4-to-6', value: pain === null ? null : flag(pain >= 4 && pain < 7), words: pain === null ? 'pain not recorded' : `pain ${fmt(pain)}/10` },
    { feature: 'temperature-38-or-more', value: temp === null ? null : flag(temp >= 38), words: temp === null ? 'temperature not recorded' : `temperature ${fmt(temp)} °C` },
    { feature: 'systolic-bp-under-100', value: sbp === null ? null : flag(sbp < 100), words: sbp === null ? 'systolic BP not recorded' : `systolic BP ${fmt(sbp)} mm Hg` },
    { feature: 'resource-kinds', value: res === null ? null : res.length, words: kindsWords },
    { feature: 'needs-advanced-imaging', value: has('advanced-imaging'), words: 'CT/MRI/ultrasound expected' },
    { feature: 'needs-parenteral-medication', value: has('parenteral-medication'), words: 'IV/IM/nebulised medication expected' },
    { feature: 'needs-iv-fluids', value: has('iv-fluids'), words: 'IV fluids expected' },
    { feature: 'needs-ecg', value: has('ecg'), words: 'ECG expected' },
    { feature: 'needs-specialty-consultation', value: has('specialty-consultation'), words: 'specialty consultation expected' },
    { feature: 'needs-procedure', value: has('simple-procedure', 'complex-procedure'), words: 'procedure expected' },
    { feature: 'high-risk-passage', value: flag(x.highRiskPassage), words: 'complaint matched a high-risk passage of ESI ch. 4' },
  ];
  return out;
}

export interface ScoreTerm {
  feature: ScoreFeature;
  value: number;
  points: number;
  words: string;
}

export interface ScoreResult {
  score: ScoreName;
  /** The sum of the points, rounded to 0.1 (numeric features give fractional points). */
  points: number;
  threshold: number;
  /** True: the points reach the threshold, the more urgent level. */
  urgent: boolean;
  /** The features that gave points (non-zero), largest first. */
  terms: ScoreTerm[];
  /** Features the score uses whose data are missing (counted 0). */
  missing: string[];
  /** One line for the card: "points 2.5 ≥ 2 (HR 128/min (line 100) +1.4, ...)". */
  summary: string;
}

/**
 * Sums a score's points and compares them with its threshold (`oneResource`: the resource score's
 * threshold for one resource); null when that threshold is not set (the score is not used).
 */
export function evaluateScore(name: ScoreName, features: readonly FeatureValue[], m: TriageScoreModel = TRIAGE_SCORE_MODEL, oneResource = false): ScoreResult | null {
  const def = m.scores[name];
  const threshold = oneResource ? (def?.thresholdOneResource ?? null) : (def?.threshold ?? null);
  if (!def || threshold === null) return null;
  const terms: ScoreTerm[] = [];
  const missing: string[] = [];
  let sum = 0;
  for (const f of features) {
    const p = def.points[f.feature];
    if (!p) continue;
    if (f.value === null) {
      missing.push(f.words);
      continue;
    }
    const pts = Math.round(p * f.value * 10) / 10;
    if (pts === 0) continue;
    sum += pts;
    terms.push({ feature: f.feature, value: f.value, points: pts, words: f.words });
  }
  terms.sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
  const points = Math.round(sum * 10) / 10;
  const urgent = points >= threshold;
  const sign = (n: number): string => (n > 0 ? `+${fmt(n)}` : fmt(n));
  const parts = terms.map((t) => `${t.words} ${sign(t.points)}`);
  if (missing.length > 0) parts.push(`not counted, data missing: ${[...new Set(missing)].join(', ')}`);
  const summary = `points ${fmt(points)} ${urgent ? '≥' : '<'} ${fmt(threshold)}${parts.length > 0 ? ` (${parts.join('; ')})` : ' (no feature gave points)'}, ${m.label}`;
  return { score: name, points, threshold, urgent, terms, missing: [...new Set(missing)], summary };
}

/**
 * Why the scores may not be used for this patient (outside the fitted data's range), or null.
 * An unknown age is outside too: every record the scores were fitted on had an age, so "age not
 * known" was never seen (counting it 0 points would treat an unknown older adult as young).
 */
export function outsideDomain(x: { ageYears: number | null; heartRate: QuantityEvidence | null }, m: TriageScoreModel = TRIAGE_SCORE_MODEL): string | null {
  const d = m.domain ?? {};
  if (d.ageYearsAtLeast !== undefined && x.ageYears === null) return 'age unknown (the score was fitted on records that all had an age)';
  if (d.ageYearsAtLeast !== undefined && x.ageYears !== null && x.ageYears < d.ageYearsAtLeast) return `age ${x.ageYears} (fitted on ages ${d.ageYearsAtLeast} and over)`;
  if (d.heartRateBelow !== undefined && x.heartRate && x.heartRate.value >= d.heartRateBelow) return `heart rate ${x.heartRate.value}/min (used below ${d.heartRateBelow}/min)`;
  return null;
}

/** The model with other thresholds (the evaluation's sweep); null turns a score off. */
export function withThresholds(m: TriageScoreModel, t: { dangerZone?: number | null; resources?: number | null; oneResource?: number | null }): TriageScoreModel {
  const dz = m.scores['danger-zone'];
  const r = m.scores.resources;
  return {
    ...m,
    scores: {
      'danger-zone': t.dangerZone !== undefined ? { ...dz, threshold: t.dangerZone } : dz,
      resources: {
        ...r,
        ...(t.resources !== undefined && { threshold: t.resources }),
        ...(t.oneResource !== undefined && { thresholdOneResource: t.oneResource }),
      },
    },
  };
}
