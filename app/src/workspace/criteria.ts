/**
 * What a patient's criterion table comes to, counted as Cairn counted it when it chose the
 * category (src/services/trials/matching/rank.ts summariseCriteria, also behind the CSV export):
 * "one of the following" alternatives count as one criterion (met when any member is, not met
 * only when all are), administrative and contraception criteria are left out, and only
 * documented evidence (record or note) decides.
 */
import type { Category, CriterionRow, PatientResult } from './types';

const IGNORED = new Set(['administrative', 'contraception']);
const DEMOGRAPHIC = new Set(['age', 'sex', 'pregnancy', 'administrative', 'contraception']);
const STATUS_RANK: Record<CriterionRow['status'], number> = { met: 0, unknown: 1, 'not-met': 2 };

export interface Counts {
  met: number;
  notMet: number;
  unknown: number;
  total: number;
}

export interface CriteriaSummary {
  inclusion: Counts;
  exclusion: Counts;
  /** What decided the category: the criteria that exclude, else the documented topical inclusion criteria met. */
  deciding: CriterionRow[];
  /** Criteria neither met nor not met: the coordinator's list to check. */
  unknown: CriterionRow[];
}

function collapse(criteria: readonly CriterionRow[]): CriterionRow[] {
  const groups = new Map<string, CriterionRow[]>();
  const order: CriterionRow[] = [];
  for (const c of criteria) {
    if (!c.alternatives) {
      order.push(c);
      continue;
    }
    const g = groups.get(c.alternatives);
    if (g) g.push(c);
    else {
      groups.set(c.alternatives, [c]);
      order.push(c);
    }
  }
  return order.map((c) => {
    const group = c.alternatives ? groups.get(c.alternatives) : undefined;
    if (!group) return c;
    const best = [...group].sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.number - b.number)[0] as CriterionRow;
    const status = best.status === 'not-met' && group.some((m) => m.status !== 'not-met') ? 'unknown' : best.status;
    return { ...best, status };
  });
}

const documented = (c: CriterionRow) => c.basis === 'record' || c.basis === 'note';

function counts(list: readonly CriterionRow[]): Counts {
  return {
    met: list.filter((c) => c.status === 'met').length,
    notMet: list.filter((c) => c.status === 'not-met').length,
    unknown: list.filter((c) => c.status === 'unknown').length,
    total: list.length,
  };
}

export function summarise(criteria: readonly CriterionRow[]): CriteriaSummary {
  const judged = collapse(criteria).filter((c) => !IGNORED.has(c.category));
  const inclusion = judged.filter((c) => c.kind === 'inclusion');
  const exclusion = judged.filter((c) => c.kind === 'exclusion');
  const decisive = [...exclusion.filter((c) => c.status === 'met' && documented(c)), ...inclusion.filter((c) => c.status === 'not-met' && documented(c))];
  const topical = inclusion.filter((c) => c.status === 'met' && documented(c) && !DEMOGRAPHIC.has(c.category));
  return { inclusion: counts(inclusion), exclusion: counts(exclusion), deciding: decisive.length > 0 ? decisive : topical, unknown: judged.filter((c) => c.status === 'unknown') };
}

/** "eligible" means nothing on the record rules the patient out: the coordinator confirms, so "may be". */
export const CATEGORY_LABEL: Record<Category, string> = { eligible: 'May be eligible', excluded: 'Excluded', irrelevant: 'Not relevant', unknown: 'Unknown' };
export const CATEGORY_HINT: Record<Category, string> = {
  eligible: 'may fit: nothing excludes, and something the trial studies is documented; check its unknown criteria',
  excluded: 'a criterion excludes on documented evidence',
  irrelevant: 'nothing documented matches what the trial studies',
  unknown: 'the record holds nothing to judge on',
};

/** A result's state in words: its category once screened, else pending (or not screened, when the screening was cancelled) or failed. */
export function resultLabel(r: Pick<PatientResult, 'status' | 'category'>, cancelled = false): string {
  if (r.status === 'done' && r.category) return CATEGORY_LABEL[r.category];
  if (r.status === 'failed') return 'Failed';
  return cancelled ? 'Not screened' : 'Pending';
}

/** Order for sorting by result: the ones to act on first. */
export function resultRank(r: Pick<PatientResult, 'status' | 'category'>): number {
  if (r.status === 'failed') return 5;
  if (r.status !== 'done' || !r.category) return 4;
  return { eligible: 0, unknown: 1, irrelevant: 2, excluded: 3 }[r.category];
}

export const STATUS_LABEL: Record<CriterionRow['status'], string> = { met: 'Met', 'not-met': 'Not met', unknown: 'Unknown' };
export const BASIS_LABEL: Record<CriterionRow['basis'], string> = {
  record: 'from the record',
  note: 'from a clinical note',
  'assumed-absent': 'not mentioned, taken as absent',
  'not-applicable': 'does not apply',
  none: 'no evidence',
};
