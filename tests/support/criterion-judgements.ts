/** Criterion judgements made by hand, for tests of what is built on the judge (ranking, screening results). */
import type { CriterionJudgement } from '../../src/services/trials/matching/judge.js';

export type JudgementMaker = (kind: 'inclusion' | 'exclusion', status: CriterionJudgement['status'], extra?: Partial<CriterionJudgement>) => CriterionJudgement;

/** A maker whose decided judgements rest on `basis` (unknown ones on nothing), numbered in call order. */
export function judgementMaker(basis: CriterionJudgement['basis']): JudgementMaker {
  let next = 0;
  return (kind, status, extra = {}) => ({
    index: next++,
    kind,
    text: `${kind} ${status}`,
    category: 'condition',
    origin: 'text',
    status,
    basis: status === 'unknown' ? 'none' : basis,
    evidence: [],
    reason: status,
    ...extra,
  });
}
