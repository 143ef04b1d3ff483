/**
 * Ranking metrics with graded relevance, for trial matching (TREC Clinical Trials gains: eligible
 * 2, excluded 1, not relevant 0). The knowledge base's metrics (dev/eval/retrieval-metrics.ts) are
 * binary and tied to chunk labels; these are their graded generalisation.
 */

/** NDCG@k with linear gains (TREC's trec_eval ndcg_cut): the ideal order is the pool's gains sorted. */
export function ndcgAt(rankedGains: readonly number[], poolGains: readonly number[], k = 10): number | undefined {
  const dcg = rankedGains.slice(0, k).reduce((acc, g, i) => acc + g / Math.log2(i + 2), 0);
  const ideal = [...poolGains].sort((a, b) => b - a);
  const idcg = ideal.slice(0, k).reduce((acc, g, i) => acc + g / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : undefined;
}

/** P@k: relevant among the first k, over k (trec_eval's P_10; a pool shorter than k still divides by k). */
export function precisionAt(rankedRelevant: readonly boolean[], k = 10): number {
  return rankedRelevant.slice(0, k).filter(Boolean).length / k;
}

/**
 * AUROC of positives over negatives (Mann–Whitney U / (n₊·n₋), ties count one half): the chance
 * that a random positive scores above a random negative. Undefined without both classes.
 */
export function auroc(positives: readonly number[], negatives: readonly number[]): number | undefined {
  if (positives.length === 0 || negatives.length === 0) return undefined;
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

export function mean(values: ReadonlyArray<number | undefined>): number {
  const defined = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return defined.length > 0 ? defined.reduce((a, b) => a + b, 0) / defined.length : Number.NaN;
}
