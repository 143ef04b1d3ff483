/**
 * Retrieval metrics over one ranked list, with binary relevance. A retrieved chunk is relevant when
 * its id equals a label or is a later chunk of a labelled section (`label~n`).
 *
 * P@k divides by min(k, |R|), where |R| is the number of relevant chunks in the knowledge base:
 * a query with a single relevant passage that is ranked first has P@3 = 1, not 1/3. (Plain
 * precision would cap such queries at 1/k, measuring the labels rather than the retriever.)
 */
import { chunkMatchesLabel } from '../../src/knowledge/corpus/ids.js';

export interface QueryMetrics {
  p1: number;
  p3: number;
  ndcg10: number;
  mrr: number;
  /** At least one relevant chunk in the top 3. */
  hit3: number;
}

/** `exact`: chunk ids relevant by themselves (pooled judgements), not as section labels. */
export function isRelevant(chunkId: string, labels: readonly string[], exact?: ReadonlySet<string>): boolean {
  return exact?.has(chunkId) === true || labels.some((label) => chunkMatchesLabel(chunkId, label));
}

/**
 * @param ranked retrieved chunk ids, best first
 * @param relevantTotal how many chunks in the knowledge base are relevant (|R|, at least 1)
 */
export function queryMetrics(ranked: readonly string[], labels: readonly string[], relevantTotal: number, exact?: ReadonlySet<string>): QueryMetrics {
  const rel = ranked.map((id) => isRelevant(id, labels, exact));
  const total = Math.max(1, relevantTotal);
  const precisionAt = (k: number) => rel.slice(0, k).filter(Boolean).length / Math.min(k, total);
  const firstHit = rel.indexOf(true);
  let dcg = 0;
  rel.slice(0, 10).forEach((r, i) => {
    if (r) dcg += 1 / Math.log2(i + 2);
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(10, total); i++) idcg += 1 / Math.log2(i + 2);
  return {
    p1: precisionAt(1),
    p3: precisionAt(3),
    ndcg10: dcg / idcg,
    mrr: firstHit < 0 ? 0 : 1 / (firstHit + 1),
    hit3: rel.slice(0, 3).some(Boolean) ? 1 : 0,
  };
}

export function meanMetrics(all: readonly QueryMetrics[]): QueryMetrics {
  const n = Math.max(1, all.length);
  const sum = (f: (m: QueryMetrics) => number) => all.reduce((acc, m) => acc + f(m), 0) / n;
  return { p1: sum((m) => m.p1), p3: sum((m) => m.p3), ndcg10: sum((m) => m.ndcg10), mrr: sum((m) => m.mrr), hit3: sum((m) => m.hit3) };
}

/** The metrics as the evaluation commands print them: a header, then one row a label. */
export function metricsTable(heading: string, rows: ReadonlyArray<readonly [string, QueryMetrics]>, labelWidth: number): string[] {
  const f = (x: number) => x.toFixed(3).padStart(7);
  return [
    `${heading.padEnd(labelWidth)}${'P@1'.padStart(7)}${'P@3'.padStart(7)}${'nDCG@10'.padStart(9)}${'MRR'.padStart(7)}${'Hit@3'.padStart(7)}`,
    ...rows.map(([label, m]) => `${label.padEnd(labelWidth)}${f(m.p1)}${f(m.p3)}  ${f(m.ndcg10)}${f(m.mrr)}${f(m.hit3)}`),
  ];
}
