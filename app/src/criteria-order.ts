/**
 * Which criteria of a trial decide for a patient, and the order the trial view lists them in:
 * an exclusion met or an inclusion not met on documented evidence excludes the patient (as the
 * ranking counts it, src/services/trials/matching/rank.ts); an inclusion met on documented
 * evidence supports; the rest neither. Pure, without imports (tests/unit/app-text.test.ts).
 */

export interface JudgedCriterion {
  number: number;
  kind: 'inclusion' | 'exclusion';
  status: 'met' | 'not-met' | 'unknown';
  basis: 'record' | 'note' | 'assumed-absent' | 'not-applicable' | 'llm' | 'none';
}

/** Judged on what the record documents (not an assumption, not nothing). */
const documented = (r: JudgedCriterion) => r.basis === 'record' || r.basis === 'note' || r.basis === 'llm';

export function effectOf(r: JudgedCriterion): 'excludes' | 'supports' | undefined {
  if (!documented(r)) return undefined;
  if ((r.kind === 'exclusion' && r.status === 'met') || (r.kind === 'inclusion' && r.status === 'not-met')) return 'excludes';
  if (r.kind === 'inclusion' && r.status === 'met') return 'supports';
  return undefined;
}

const RANK = { excludes: 0, supports: 1 } as const;

/** Deciding rows first (excluding, then supporting), each group in the trial's order. */
export function orderRows<T extends JudgedCriterion>(rows: readonly T[]): T[] {
  const rank = (r: T) => {
    const effect = effectOf(r);
    return effect ? RANK[effect] : 2;
  };
  return [...rows].sort((a, b) => rank(a) - rank(b) || a.number - b.number);
}

/**
 * How the counts of a trial's criteria are made (rank.ts summariseCriteria): shown beside them,
 * since the table below lists every criterion and its total differs.
 */
export const COUNTING_NOTE =
  'Counted as Cairn decided: “one of the following” alternatives as one criterion; administrative and contraception criteria are not counted.';
