/**
 * The learned ranker of hybrid search: a logistic model over a few signals of each candidate.
 *
 * Why: a fixed blend of the two lists (relative-score fusion, itself a feature here) judges every
 * candidate alone. Yet a passage is more likely what a clinician asked for when other passages of
 * its own section or guideline also match (the question is about that guideline), when its stated
 * range contains a value of the query (quantities.ts), or when it leads the full-text list rather
 * than trails close behind. How much each signal counts is fitted, not guessed: by logistic
 * regression on the labelled query set (`npm run train:ranker`), with each query weighing the
 * same, and checked on queries the model was not fitted on (2-fold, odd and even lines). The
 * fitted weights are in ranker-model.ts, with how they were obtained. The relative-score blend it
 * builds on is generic fusion and lives in search/fusion.ts.
 *
 * Pure: candidates in, scores out; no I/O. Nothing here is shown to a clinician: the ranker
 * orders passages, and a card still quotes each passage's own text.
 */
import { blendedScores } from '../search/fusion.js';
import { quantityConflicts, quantityMatches, type MeasuredValue } from './quantities.js';

export const RANKER_FEATURES = [
  /** Full-text score scaled by the list's best (0 when not in the list). */
  'text',
  /** Cosine similarity min-max scaled over the vector list (0 when not in it). */
  'vector',
  /** 1 / rank in the full-text list (0 when not in it). */
  'textRank',
  /** 1 / rank in the vector list. */
  'vectorRank',
  /** 1 when a range the passage states contains a value of the query. */
  'rangeMatch',
  /** 1 when the passage states ranges for a value of the query and none contains it. */
  'rangeConflict',
  /** Best blended score among the candidates of the passage's section (itself included). */
  'sectionBest',
  /** Best blended score among the candidates of the passage's document (itself included). */
  'documentBest',
  /** The blended score itself: relative-score fusion of the two lists. */
  'blended',
  /** 1 / rank by the blended score. */
  'blendedRank',
] as const;

export type RankerFeature = (typeof RANKER_FEATURES)[number];

export interface RankerModel {
  bias: number;
  weights: Readonly<Record<RankerFeature, number>>;
}

export interface RankerCandidate {
  chunkId: string;
  documentId: string;
  text: string;
  /** Full-text score (higher is better), when in the full-text list. */
  textScore?: number;
  /** Cosine similarity, when in the vector list. */
  similarity?: number;
  textRank?: number;
  vectorRank?: number;
}

/** The chunk's section: continuation chunks (`…~2`) belong to the section of their first chunk. */
export function sectionOf(chunkId: string): string {
  return chunkId.replace(/~\d+$/, '');
}

/**
 * Each candidate's features, in RANKER_FEATURES order. `blend` weighs the two scaled scores
 * (blendedScores) for blended, blendedRank, sectionBest and documentBest.
 */
export function rankerFeatures(
  candidates: readonly RankerCandidate[],
  values: readonly MeasuredValue[],
  blend: { fulltext: number; vector: number },
): number[][] {
  const scaled = blendedScores(candidates, blend);
  const blended = scaled.map((s) => s.blended);
  const blendedRank = new Map(
    blended
      .map((b, i) => ({ b, i }))
      .sort((x, y) => y.b - x.b || (candidates[x.i] as RankerCandidate).chunkId.localeCompare((candidates[y.i] as RankerCandidate).chunkId))
      .map((x, r) => [x.i, r + 1]),
  );
  const sectionBest = new Map<string, number>();
  const documentBest = new Map<string, number>();
  candidates.forEach((c, i) => {
    const b = blended[i] as number;
    const section = sectionOf(c.chunkId);
    sectionBest.set(section, Math.max(sectionBest.get(section) ?? 0, b));
    documentBest.set(c.documentId, Math.max(documentBest.get(c.documentId) ?? 0, b));
  });
  return candidates.map((c, i) => {
    const s = scaled[i] as { text: number; vector: number; blended: number };
    const f: Record<RankerFeature, number> = {
      text: s.text,
      vector: s.vector,
      textRank: c.textRank ? 1 / c.textRank : 0,
      vectorRank: c.vectorRank ? 1 / c.vectorRank : 0,
      rangeMatch: values.length > 0 && quantityMatches(values, c.text) > 0 ? 1 : 0,
      rangeConflict: values.length > 0 && quantityConflicts(values, c.text) > 0 ? 1 : 0,
      sectionBest: sectionBest.get(sectionOf(c.chunkId)) ?? 0,
      documentBest: documentBest.get(c.documentId) ?? 0,
      blended: s.blended,
      blendedRank: 1 / (blendedRank.get(i) as number),
    };
    return RANKER_FEATURES.map((name) => f[name]);
  });
}

/** The model's score (log-odds of relevance) for one feature vector. */
export function rankerScore(model: RankerModel, features: readonly number[]): number {
  return RANKER_FEATURES.reduce((sum, name, i) => sum + model.weights[name] * (features[i] ?? 0), model.bias);
}

export interface TrainingQuery {
  /** One row per candidate: its features and whether it is relevant. */
  candidates: ReadonlyArray<{ features: readonly number[]; relevant: boolean }>;
}

/**
 * Fits the model by logistic regression (full-batch gradient descent, L2 penalty on the weights,
 * not the bias). Within a query, the relevant and the other candidates each weigh half, and every
 * query weighs the same, so queries with many candidates or many relevant passages do not
 * dominate. Deterministic: the same data give the same model.
 */
export function fitRanker(queries: readonly TrainingQuery[], options: { l2?: number; epochs?: number; learningRate?: number } = {}): RankerModel {
  const l2 = options.l2 ?? 0.01;
  const epochs = options.epochs ?? 300;
  const rate = options.learningRate ?? 0.5;
  const rows: Array<{ x: readonly number[]; y: number; w: number }> = [];
  for (const q of queries) {
    const positives = q.candidates.filter((c) => c.relevant).length;
    const negatives = q.candidates.length - positives;
    if (positives === 0 || negatives === 0) continue; // nothing to learn from this query
    for (const c of q.candidates) rows.push({ x: c.features, y: c.relevant ? 1 : 0, w: c.relevant ? 1 / positives : 1 / negatives });
  }
  if (rows.length === 0) throw new Error('no query has both relevant and other candidates: nothing to fit');
  const d = RANKER_FEATURES.length;
  const w = new Array<number>(d).fill(0);
  let bias = 0;
  const totalWeight = rows.reduce((s, r) => s + r.w, 0);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const grad = new Array<number>(d).fill(0);
    let gradBias = 0;
    for (const r of rows) {
      const z = r.x.reduce((s, v, k) => s + v * (w[k] as number), bias);
      const err = r.w * (1 / (1 + Math.exp(-z)) - r.y);
      gradBias += err;
      for (let k = 0; k < d; k++) grad[k] = (grad[k] as number) + err * ((r.x[k] ?? 0) as number);
    }
    bias -= (rate * gradBias) / totalWeight;
    for (let k = 0; k < d; k++) w[k] = (w[k] as number) - rate * ((grad[k] as number) / totalWeight + l2 * (w[k] as number));
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    bias: round(bias),
    weights: Object.fromEntries(RANKER_FEATURES.map((name, k) => [name, round(w[k] as number)])) as Record<RankerFeature, number>,
  };
}
