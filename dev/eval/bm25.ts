/**
 * The evaluation's BM25-only baseline: the shipped Okapi BM25 (src/search/bm25.ts; k1 = 1.2,
 * b = 0.75) over a trial's whole text (titles, conditions, keywords, interventions, summary and
 * the full eligibility text, src/services/trials/store/trial-bm25.ts) against the patient's note,
 * what the evaluation puts beside the retrieval + criterion judgement pipeline. One
 * implementation, so the baseline and the store's BM25 list score alike.
 */
export { Bm25Index, bm25Tokens, type Bm25Options } from '../../src/search/bm25.js';
export { trialBm25Text as bm25TrialText } from '../../src/services/trials/store/trial-bm25.js';
