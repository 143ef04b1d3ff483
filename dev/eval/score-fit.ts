/**
 * Fitting Cairn's triage points scores (src/services/triage/fitted-score.ts) on an evaluation's
 * development split: an L2-penalised logistic regression by Newton's method, its coefficients
 * rounded to points (one point per half unit of log-odds), and the choice of thresholds by the
 * operating-point rule of docs/EVALUATION.md. Dev-only: the service ships the weights as JSON.
 */
import type { FeatureValue, ScoreDefinition, ScoreFeature, ScoreName, TriageScoreModel } from '../../src/services/triage/fitted-score.js';
import { evaluateScore } from '../../src/services/triage/fitted-score.js';

/** One point = half a unit of log-odds. */
export const POINTS_PER_LOGIT = 2;
/** L2 penalty on the coefficients (not the intercept): small records sets, keep weights modest. */
export const L2 = 1;

/** Feature value as the score reads it: missing counts 0. */
export function featureVector(features: readonly FeatureValue[], names: readonly ScoreFeature[]): number[] {
  return names.map((n) => features.find((f) => f.feature === n)?.value ?? 0);
}

/** Solves A x = b (A symmetric positive definite, small) by Gaussian elimination with pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const piv = m[c]![c]!;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / piv;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** Logistic regression, y ∈ {0,1}; returns [intercept, ...coefficients]. */
export function fitLogistic(x: number[][], y: number[], l2 = L2, iterations = 50): number[] {
  const d = (x[0]?.length ?? 0) + 1;
  let w = new Array<number>(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(d).fill(0);
    const hess = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    x.forEach((row, i) => {
      const z = [1, ...row];
      const p = 1 / (1 + Math.exp(-z.reduce((s, v, j) => s + v * w[j]!, 0)));
      const r = p * (1 - p);
      for (let j = 0; j < d; j++) {
        grad[j]! += (p - y[i]!) * z[j]!;
        for (let k = 0; k < d; k++) hess[j]![k]! += r * z[j]! * z[k]!;
      }
    });
    for (let j = 1; j < d; j++) {
      grad[j]! += l2 * w[j]!;
      hess[j]![j]! += l2;
    }
    hess[0]![0]! += 1e-6;
    const step = solve(hess, grad);
    w = w.map((v, j) => v - step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  return w;
}

export interface ScoreSpec {
  name: ScoreName;
  question: string;
  target: string;
  features: readonly ScoreFeature[];
}

/**
 * Fits one score on the records it applies to; the threshold is left open (null). Sign-constrained:
 * every feature is a reason for the more urgent level, so a feature fitted with a negative weight
 * (which would make a patient less urgent for having it, e.g. fever or a high rate) is dropped and
 * the rest refitted, until none is negative.
 */
export function fitScore(spec: ScoreSpec, rows: ReadonlyArray<{ features: readonly FeatureValue[]; y: number }>): ScoreDefinition {
  let kept = [...spec.features];
  let w: number[] = [];
  for (;;) {
    w = fitLogistic(
      rows.map((r) => featureVector(r.features, kept)),
      rows.map((r) => r.y),
    );
    const negative = kept.filter((_, j) => w[j + 1]! < 0);
    if (negative.length === 0 || kept.length === 0) break;
    // Drop the most negative first; the others may turn positive without it.
    const worst = kept.reduce((m, f, j) => (w[j + 1]! < w[kept.indexOf(m) + 1]! ? f : m), kept[0]!);
    kept = kept.filter((f) => f !== worst);
  }
  const coefficients: ScoreDefinition['coefficients'] = { intercept: round3(w[0]!) };
  const points: ScoreDefinition['points'] = {};
  spec.features.forEach((f) => {
    const j = kept.indexOf(f);
    coefficients[f] = j < 0 ? 0 : round3(w[j + 1]!);
    const p = j < 0 ? 0 : Math.round(POINTS_PER_LOGIT * w[j + 1]!);
    if (p !== 0) points[f] = p;
  });
  return { question: spec.question, target: spec.target, points, threshold: null, coefficients, fittedOn: rows.length };
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** The points a record gets under a score definition (threshold ignored). */
export function pointsOf(name: ScoreName, def: ScoreDefinition, features: readonly FeatureValue[]): number {
  const m: TriageScoreModel = { id: 'fit', label: 'fit', source: {}, scores: { 'danger-zone': def, resources: def } };
  return evaluateScore(name, features, { ...m, scores: { ...m.scores, [name]: { ...def, threshold: 0 } } })!.points;
}
