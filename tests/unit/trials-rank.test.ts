/** Ranking: relevance with a bounded eligibility adjustment, categories beside it, alternatives as one criterion. */
import { describe, expect, it } from '@jest/globals';
import type { CriterionJudgement } from '../../src/services/trials/matching/judge.js';
import { collapseAlternatives, DEFAULT_RANK_WEIGHTS, rankScore, rankTrials, type RankInput } from '../../src/services/trials/matching/rank.js';
import { judgementMaker } from '../support/criterion-judgements.js';

const c = judgementMaker('note');

function trial(nctId: string, retrievalRank: number, relevance: number, criteria: CriterionJudgement[]): RankInput {
  return { nctId, retrievalRank, relevance, judgement: { nctId, criteria } };
}

describe('rankTrials', () => {
  it('orders by relevance minus the eligibility adjustment, not by category first', () => {
    const weights = { excluded: 0.2, untopical: 0.1 };
    const ranked = rankTrials(
      [
        trial('NCT00000001', 1, 1.0, [c('inclusion', 'met'), c('exclusion', 'met')]), // excluded: 1.0 - 0.2
        trial('NCT00000002', 2, 0.9, [c('inclusion', 'met'), c('exclusion', 'not-met')]), // eligible, topical: 0.9
        trial('NCT00000003', 4, 0.5, [c('inclusion', 'unknown'), c('inclusion', 'met', { category: 'age' })]), // nothing topical: 0.5 - 0.1
        trial('NCT00000004', 3, 0.7, [c('inclusion', 'met'), c('inclusion', 'unknown')]), // eligible, topical: 0.7
        trial('NCT00000005', 5, 0.3, [c('inclusion', 'met')]), // eligible, topical, far less relevant: 0.3
      ],
      { weights },
    );
    expect(ranked.map((r) => [r.nctId, r.category, r.score])).toEqual([
      ['NCT00000002', 'eligible', 90],
      ['NCT00000001', 'excluded', 80],
      ['NCT00000004', 'eligible', 70],
      ['NCT00000003', 'irrelevant', 40],
      ['NCT00000005', 'eligible', 30],
    ]);
    expect(ranked[1]?.decisive.map((d) => d.kind)).toEqual(['exclusion']);
    expect(ranked[0]?.summary).toBe('eligible: 1/1 inclusion met, 0 not met, 0 unknown; 0/1 exclusion met; relevance 0.90 (retrieval rank 2)');
  });

  it('the adjustment is bounded: a trial drops by at most excluded + untopical', () => {
    const w = { excluded: 0.2, untopical: 0.1 };
    expect(rankScore(0.8, { excluded: false, topical: true }, w)).toBeCloseTo(0.8);
    expect(rankScore(0.8, { excluded: true, topical: true }, w)).toBeCloseTo(0.6);
    expect(rankScore(0.8, { excluded: false, topical: false }, w)).toBeCloseTo(0.7);
    expect(rankScore(0.8, { excluded: true, topical: false }, w)).toBeCloseTo(0.5);
    // The shipped default is a small adjustment: a judgement can never outweigh a large difference in relevance.
    expect(DEFAULT_RANK_WEIGHTS.excluded + DEFAULT_RANK_WEIGHTS.untopical).toBeLessThanOrEqual(0.25);
  });

  it('with zero weights the order is the retriever\'s, ties by retrieval rank', () => {
    const ranked = rankTrials(
      [trial('NCT00000002', 2, 0.5, [c('exclusion', 'met')]), trial('NCT00000001', 1, 0.5, [c('inclusion', 'unknown')]), trial('NCT00000003', 3, 0.9, [c('inclusion', 'not-met')])],
      { weights: { excluded: 0, untopical: 0 } },
    );
    expect(ranked.map((r) => r.nctId)).toEqual(['NCT00000003', 'NCT00000001', 'NCT00000002']);
  });

  it('an assumption never excludes: only documented evidence does', () => {
    const [r] = rankTrials([trial('NCT00000001', 1, 1, [c('inclusion', 'met'), c('exclusion', 'met', { basis: 'assumed-absent' })])]);
    expect(r?.category).toBe('eligible');
  });

  it('an unmet inclusion criterion excludes; administrative criteria are not counted', () => {
    const [r] = rankTrials([trial('NCT00000001', 1, 1, [c('inclusion', 'not-met'), c('inclusion', 'unknown', { category: 'administrative' })])]);
    expect(r?.category).toBe('excluded');
    expect(r?.inclusion).toEqual({ met: 0, notMet: 1, unknown: 0, total: 1 });
  });

  it('a trial the retriever ranks high is not irrelevant even with nothing documented', () => {
    const ranked = rankTrials([trial('NCT00000001', 1, 1, [c('inclusion', 'unknown')]), trial('NCT00000002', 2, 0.5, [c('inclusion', 'unknown')])]);
    expect(ranked.map((r) => r.category)).toEqual(['eligible', 'irrelevant']);
  });
});

describe('alternatives ("one of the following")', () => {
  it('met when any member is met; not met only when all are; otherwise unknown', () => {
    const g = { alternatives: 'inclusion-1' };
    expect(collapseAlternatives([c('inclusion', 'not-met', g), c('inclusion', 'met', g)]).map((x) => x.status)).toEqual(['met']);
    expect(collapseAlternatives([c('inclusion', 'not-met', g), c('inclusion', 'not-met', g)]).map((x) => x.status)).toEqual(['not-met']);
    expect(collapseAlternatives([c('inclusion', 'not-met', g), c('inclusion', 'unknown', g), c('exclusion', 'met')]).map((x) => x.status)).toEqual(['unknown', 'met']);
  });

  it('a group with one met member does not exclude the trial', () => {
    const g = { alternatives: 'inclusion-1' };
    const [r] = rankTrials([trial('NCT00000001', 1, 1, [c('inclusion', 'not-met', g), c('inclusion', 'not-met', g), c('inclusion', 'met', g)])]);
    expect(r?.category).toBe('eligible');
    expect(r?.inclusion.total).toBe(1);
  });
});
