/** Leave-one-set-out tuning of the ranking weights (dev/eval/rank-tuning.ts), on hand-made topics. */
import { describe, expect, it } from '@jest/globals';
import { bm25Ranker, categoryOrderRanker, scoreRanker, tuneWeights, weightedRanker, type TopicFeatures } from '../../dev/eval/rank-tuning.js';
import type { TrialFeatures } from '../../dev/eval/trials.js';

const counts = { met: 0, notMet: 0, unknown: 0, total: 0 };
function f(nctId: string, grade: number, relevance: number, retrievalRank: number, judged: { decisive?: number; topicalMet?: number; category?: string } = {}, bm25 = 0): TrialFeatures {
  return {
    nctId,
    grade,
    bm25,
    matched: { relevance, retrievalRank, category: judged.category ?? 'eligible', decisive: judged.decisive ?? 0, topicalMet: judged.topicalMet ?? 1, inclusion: counts, exclusion: counts },
  };
}

// One topic where a documented exclusion is right (the excluded trial is gold "excluded") and the
// retriever put it first: a penalty helps, and any penalty of 0.1 or more is enough.
const topicA: TopicFeatures = {
  topic: 'a',
  features: [f('NCT1', 1, 1.0, 1, { decisive: 1, category: 'excluded' }, 1), f('NCT2', 2, 0.95, 2, {}, 3), f('NCT3', 0, 0.5, 3, {}, 2)],
};

describe('rank tuning', () => {
  it('weighted ranker: zero weights keep the retriever order; a penalty moves the excluded trial', () => {
    expect(weightedRanker({ excluded: 0, untopical: 0 })(topicA.features)).toEqual(['NCT1', 'NCT2', 'NCT3']);
    expect(weightedRanker({ excluded: 0.1, untopical: 0 })(topicA.features)).toEqual(['NCT2', 'NCT1', 'NCT3']);
    expect(weightedRanker({ excluded: 1, untopical: 0 })(topicA.features)).toEqual(['NCT2', 'NCT3', 'NCT1']);
  });

  it('trials the retriever did not return go last, by id', () => {
    const features = [{ nctId: 'NCT9', grade: 2, bm25: 5 }, { nctId: 'NCT8', grade: 0, bm25: 0 }, ...topicA.features];
    expect(weightedRanker({ excluded: 0, untopical: 0 })(features)).toEqual(['NCT1', 'NCT2', 'NCT3', 'NCT8', 'NCT9']);
    expect(categoryOrderRanker(features)).toEqual(['NCT2', 'NCT3', 'NCT1', 'NCT8', 'NCT9']);
    expect(bm25Ranker(features)).toEqual(['NCT9', 'NCT2', 'NCT3', 'NCT1', 'NCT8']);
  });

  it('scores NDCG@10, P@10 and AUROC as the evaluation does', () => {
    const perfect = scoreRanker([topicA], () => ['NCT2', 'NCT1', 'NCT3']);
    expect(perfect.ndcg10).toBeCloseTo(1);
    expect(perfect.p10).toBeCloseTo(0.1);
    expect(perfect.auroc).toBe(1);
    expect(scoreRanker([topicA], () => ['NCT1', 'NCT2', 'NCT3']).auroc).toBe(0);
  });

  it('chooses the smallest weights that reach the best NDCG@10', () => {
    const tuned = tuneWeights([topicA], [0, 0.1, 0.5]);
    expect(tuned.weights).toEqual({ excluded: 0.1, untopical: 0 });
    expect(tuned.figures.ndcg10).toBeCloseTo(1);
    expect(tuned.tried).toHaveLength(9);
  });
});
