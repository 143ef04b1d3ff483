/**
 * Leave-one-set-out choice of the ranking weights (rank.ts RankWeights): the matcher's per-trial
 * features of each topic (TrialFeatures, computed once per set) are re-ranked with every pair of
 * weights on RANK_WEIGHT_GRID; the pair with the best mean NDCG@10 on the tuning set is then
 * reported on the other set, beside BM25. Ties go to the smaller adjustment (sum of weights,
 * then `excluded`), so a weight is only raised when it helps. Pure.
 */
import { CATEGORY_ORDER, compareRanked, RANK_WEIGHT_GRID, rankScore, type RankWeights, type TrialCategory } from '../../src/services/trials/matching/rank.js';
import { auroc, mean, ndcgAt, precisionAt } from './ranking-metrics.js';
import type { TrialFeatures } from './trials.js';

export interface TopicFeatures {
  topic: string;
  features: TrialFeatures[];
}

export interface RankingFigures {
  ndcg10: number;
  p10: number;
  auroc: number;
  aurocTopics: number;
}

/** Scores a whole topic's pool: a ranking (best first) of its trial ids. */
export type TopicRanker = (features: readonly TrialFeatures[]) => string[];

/** Trials the retriever did not return go last, in id order (as in evaluateRanking). */
function withUnmatchedLast(matched: string[], features: readonly TrialFeatures[]): string[] {
  return [...matched, ...features.filter((f) => !f.matched).map((f) => f.nctId).sort()];
}

/** The shipped ranking (rank.ts) with the given weights, from the features. */
export function weightedRanker(weights: Readonly<RankWeights>): TopicRanker {
  return (features) =>
    withUnmatchedLast(
      features
        .flatMap((f) => (f.matched ? [{ nctId: f.nctId, retrievalRank: f.matched.retrievalRank, score: Math.round(1000 * rankScore(f.matched.relevance, { excluded: f.matched.decisive > 0, topical: f.matched.topicalMet > 0 }, weights)) / 10 }] : []))
        .sort(compareRanked)
        .map((x) => x.nctId),
      features,
    );
}

/** The rule before 2026-12-06: category (eligible, excluded, irrelevant), then relevance. */
export const categoryOrderRanker: TopicRanker = (features) =>
  withUnmatchedLast(
    features
      .flatMap((f) => (f.matched ? [{ ...f.matched, nctId: f.nctId }] : []))
      .sort(
        (a, b) =>
          CATEGORY_ORDER[a.category as TrialCategory] - CATEGORY_ORDER[b.category as TrialCategory] ||
          Math.round(1000 * b.relevance) - Math.round(1000 * a.relevance) ||
          a.retrievalRank - b.retrievalRank ||
          a.nctId.localeCompare(b.nctId),
      )
      .map((x) => x.nctId),
    features,
  );

/** BM25 over the trial's whole text (the baseline), ties by id. */
export const bm25Ranker: TopicRanker = (features) => [...features].sort((a, b) => b.bm25 - a.bm25 || a.nctId.localeCompare(b.nctId)).map((f) => f.nctId);

/** NDCG@10 (gains 2/1/0), P@10 (eligible) and eligible-vs-excluded AUROC, as evaluateRanking computes them. */
export function scoreRanker(topics: readonly TopicFeatures[], ranker: TopicRanker): RankingFigures {
  const ndcg: number[] = [];
  const p10: number[] = [];
  const au: number[] = [];
  for (const t of topics) {
    const ranking = ranker(t.features);
    const grades = new Map(t.features.map((f) => [f.nctId, f.grade]));
    const gains = ranking.map((id) => grades.get(id) ?? 0);
    ndcg.push(ndcgAt(gains, [...grades.values()], 10) ?? 0);
    p10.push(precisionAt(gains.map((g) => g === 2), 10));
    const position = new Map(ranking.map((id, i) => [id, ranking.length - i]));
    const a = auroc(
      t.features.filter((f) => f.grade === 2).map((f) => position.get(f.nctId) ?? 0),
      t.features.filter((f) => f.grade === 1).map((f) => position.get(f.nctId) ?? 0),
    );
    if (a !== undefined) au.push(a);
  }
  return { ndcg10: mean(ndcg), p10: mean(p10), auroc: mean(au), aurocTopics: au.length };
}

export interface Tuned {
  weights: RankWeights;
  figures: RankingFigures;
  /** Every pair tried, with its NDCG@10 on the tuning set. */
  tried: Array<{ weights: RankWeights; ndcg10: number }>;
}

/** The weights with the best mean NDCG@10 on `topics` (ties: smaller adjustment). */
export function tuneWeights(topics: readonly TopicFeatures[], grid: readonly number[] = RANK_WEIGHT_GRID): Tuned {
  const tried: Tuned['tried'] = [];
  let best: Tuned | undefined;
  for (const excluded of grid) {
    for (const untopical of grid) {
      const weights = { excluded, untopical };
      const figures = scoreRanker(topics, weightedRanker(weights));
      tried.push({ weights, ndcg10: figures.ndcg10 });
      const better =
        !best ||
        figures.ndcg10 > best.figures.ndcg10 + 1e-12 ||
        (Math.abs(figures.ndcg10 - best.figures.ndcg10) <= 1e-12 &&
          (excluded + untopical < best.weights.excluded + best.weights.untopical ||
            (excluded + untopical === best.weights.excluded + best.weights.untopical && excluded < best.weights.excluded)));
      if (better) best = { weights, figures, tried };
    }
  }
  return best as Tuned;
}
