/** Ranking: eligible before excluded before irrelevant, alternatives as one criterion, a readable score. */
import { describe, expect, it } from '@jest/globals';
import type { CriterionJudgement } from '../../src/services/trials/matching/judge.js';
import { collapseAlternatives, rankTrials, type RankInput } from '../../src/services/trials/matching/rank.js';
import { judgementMaker } from '../support/criterion-judgements.js';

const c = judgementMaker('note');

function trial(nctId: string, retrievalRank: number, relevance: number, criteria: CriterionJudgement[]): RankInput {
  return { nctId, retrievalRank, relevance, judgement: { nctId, criteria } };
}

describe('rankTrials', () => {
  it('orders eligible, then excluded, then irrelevant; by score within each', () => {
    const ranked = rankTrials([
      trial('NCT00000001', 1, 1.0, [c('inclusion', 'met'), c('exclusion', 'met')]), // excluded, best relevance
      trial('NCT00000002', 2, 0.9, [c('inclusion', 'met'), c('exclusion', 'not-met')]), // eligible
      trial('NCT00000003', 4, 0.5, [c('inclusion', 'unknown'), c('inclusion', 'met', { category: 'age' })]), // lower half, nothing topical: irrelevant
      trial('NCT00000004', 3, 0.7, [c('inclusion', 'met'), c('inclusion', 'unknown')]), // eligible
    ]);
    expect(ranked.map((r) => [r.nctId, r.category, r.score])).toEqual([
      ['NCT00000002', 'eligible', 90],
      ['NCT00000004', 'eligible', 70],
      ['NCT00000001', 'excluded', 100],
      ['NCT00000003', 'irrelevant', 50],
    ]);
    expect(ranked[2]?.decisive.map((d) => d.kind)).toEqual(['exclusion']);
    expect(ranked[0]?.summary).toBe('eligible: 1/1 inclusion met, 0 not met, 0 unknown; 0/1 exclusion met; relevance 0.90 (retrieval rank 2)');
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
