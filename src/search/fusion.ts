/**
 * Fusion of a hybrid search's candidate lists (vector and full text), for every retriever: the
 * trials rank by reciprocal rank fusion; the guidelines by RRF or relative-score fusion when asked
 * (their default, the learned ranker, lives in knowledge/ranker.ts: its features read guideline
 * sections and stated quantities, and relative-score fusion is one of them).
 *
 * Pure: ids and scores in, scores out.
 */

/** Reciprocal rank fusion's k (Cormack et al. 2009): a first rank is worth 1/61, a tenth 1/70. */
export const RRF_K = 60;

export interface FusedRanks {
  /** Sum over the lists of weight / (RRF_K + rank). */
  score: number;
  /** 1-based rank in each list the id is in. */
  ranks: Record<string, number>;
}

/** Reciprocal rank fusion of id lists (each best first, keyed by list name; weight 1 unless given): id → score and ranks. */
export function fuseRanks(lists: Readonly<Record<string, readonly string[]>>, weights: Readonly<Record<string, number>> = {}): Map<string, FusedRanks> {
  const out = new Map<string, FusedRanks>();
  for (const [name, ids] of Object.entries(lists)) {
    const w = weights[name] ?? 1;
    ids.forEach((id, i) => {
      const entry = out.get(id) ?? { score: 0, ranks: {} };
      entry.score += w / (RRF_K + i + 1);
      entry.ranks[name] = i + 1;
      out.set(id, entry);
    });
  }
  return out;
}

/** The best score fuseRanks can give these lists: an id ranked first in every list that is not empty. */
export function bestFusedScore(lists: Readonly<Record<string, readonly string[]>>, weights: Readonly<Record<string, number>> = {}): number {
  let best = 0;
  for (const [name, ids] of Object.entries(lists)) if (ids.length > 0) best += (weights[name] ?? 1) / (RRF_K + 1);
  return best;
}

/** A candidate's scores in the two lists: absent when not in that list. */
export interface ListScores {
  /** Full-text score (higher is better). */
  textScore?: number;
  /** Cosine similarity. */
  similarity?: number;
}

/**
 * Relative-score fusion of the candidates: each list's scores scaled to [0, 1] (full text by its
 * best score, cosine similarity min-max over the list; 0 when not in a list), then weighed by
 * `blend` (e.g. full text 1, vector the model's fusion weight). Unlike rank fusion it keeps how
 * far apart two candidates are (Bruch et al., "An Analysis of Fusion Functions for Hybrid
 * Retrieval", ACM TOIS 2023, found convex score combination better than RRF). The guideline
 * retriever's `relative-score` ranking, and three of its learned ranker's features.
 */
export function blendedScores(
  candidates: readonly ListScores[],
  blend: { fulltext: number; vector: number },
): Array<{ text: number; vector: number; blended: number }> {
  const textMax = Math.max(0, ...candidates.map((c) => c.textScore ?? 0));
  const sims = candidates.filter((c) => c.similarity !== undefined).map((c) => c.similarity as number);
  const [simMin, simMax] = [Math.min(...sims), Math.max(...sims)];
  return candidates.map((c) => {
    const text = c.textScore === undefined || textMax <= 0 ? 0 : c.textScore / textMax;
    const vector = c.similarity === undefined ? 0 : simMax > simMin ? (c.similarity - simMin) / (simMax - simMin) : 1;
    return { text, vector, blended: (blend.fulltext * text + blend.vector * vector) / (blend.fulltext + blend.vector) };
  });
}
