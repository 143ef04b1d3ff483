/**
 * Ranking: eligible before excluded before irrelevant, and within each group by a score a
 * coordinator can read.
 *
 *   category   excluded   — an exclusion criterion is met, or an inclusion criterion (or a group
 *                           of alternatives) is not met, on documented evidence (record or note;
 *                           never on an assumption);
 *              irrelevant — nothing documented about the patient matches what the trial is about:
 *                           no inclusion criterion beyond age, sex, pregnancy and administrative
 *                           ones is met on documented evidence, and the retriever ranked it in the
 *                           lower half of the candidates;
 *              eligible   — otherwise ("may fit": its unknown criteria are the screener's list).
 *   score      0–100: the retrieval relevance (how closely the trial's subject matches the
 *              record: its fused hybrid-retrieval score over the best possible one). The share of
 *              inclusion criteria met is reported beside it (`inclusion`), not mixed into it: on
 *              the development sets it ordered trials worse than relevance (TREC CT 2021 NDCG@10
 *              0.72 against 0.77), because it mostly counts the age and sex criteria that every
 *              candidate meets.
 *
 * TrialGPT ranks by the share of inclusion criteria met, the share of exclusion criteria met and
 * the LLM's relevance and eligibility scores (Jin et al., Nat Commun 2024, "TrialGPT-Ranking").
 * Without an LLM, the categories stand in for its eligibility score and retrieval for relevance.
 */
import type { CriterionJudgement, TrialJudgement } from './judge.js';

export type TrialCategory = 'eligible' | 'excluded' | 'irrelevant';

export interface CriterionCounts {
  met: number;
  notMet: number;
  unknown: number;
  total: number;
}

export interface RankedTrial {
  nctId: string;
  title?: string;
  category: TrialCategory;
  /** 0–100: retrieval relevance, see the module comment. */
  score: number;
  /** Retrieval relevance 0–1 (1 = ranked first by every retrieval method). */
  relevance: number;
  /** 1-based rank among the candidates by retrieval alone. */
  retrievalRank: number;
  inclusion: CriterionCounts;
  exclusion: CriterionCounts;
  /** Criteria that decided the category (the exclusion met, the inclusion not met). */
  decisive: CriterionJudgement[];
  /** One line a coordinator can read. */
  summary: string;
}

export interface RankInput {
  nctId: string;
  title?: string;
  relevance: number;
  retrievalRank: number;
  judgement: TrialJudgement;
}

export interface RankOptions {
  /**
   * A trial with no documented topical match is irrelevant only when the retriever put it in the
   * lower part of the candidate list: below this fraction of the list (default 0.5, the median).
   */
  irrelevantBelow?: number;
}

const IGNORED: ReadonlySet<string> = new Set(['administrative', 'contraception']);
const DEMOGRAPHIC: ReadonlySet<string> = new Set(['age', 'sex', 'pregnancy', 'administrative', 'contraception']);

/**
 * What the summary reads of a criterion: the judge's judgement, or a screening's stored criterion
 * row (whose `number` is `index + 1`), so a screening's export counts as its category was decided.
 */
export type JudgedCriterion = Pick<CriterionJudgement, 'index' | 'kind' | 'category' | 'alternatives' | 'status' | 'basis' | 'reason'>;

function counts(list: readonly JudgedCriterion[]): CriterionCounts {
  return {
    met: list.filter((c) => c.status === 'met').length,
    notMet: list.filter((c) => c.status === 'not-met').length,
    unknown: list.filter((c) => c.status === 'unknown').length,
    total: list.length,
  };
}

function documented(c: JudgedCriterion): boolean {
  return c.basis === 'record' || c.basis === 'note';
}

export const CATEGORY_ORDER: Readonly<Record<TrialCategory, number>> = { eligible: 0, excluded: 1, irrelevant: 2 };

const STATUS_RANK: Readonly<Record<CriterionJudgement['status'], number>> = { met: 0, unknown: 1, 'not-met': 2 };

/**
 * Alternatives ("one of the following: A, B, C") count as one criterion: met when any member is
 * met, not met only when every member is, unknown otherwise; its representative is the member
 * that decided (the first met one, else the first unknown, else the first).
 */
export function collapseAlternatives<T extends JudgedCriterion>(criteria: readonly T[]): T[] {
  const out: T[] = [];
  const groups = new Map<string, T[]>();
  for (const c of criteria) {
    if (!c.alternatives) {
      out.push(c);
      continue;
    }
    const g = groups.get(c.alternatives);
    if (g) g.push(c);
    else {
      groups.set(c.alternatives, [c]);
      out.push(c); // placeholder, replaced below, keeps the group's position
    }
  }
  return out.map((c) => {
    const group = c.alternatives ? groups.get(c.alternatives) : undefined;
    if (!group) return c;
    const best = [...group].sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.index - b.index)[0] as T;
    const status = best.status === 'not-met' && group.some((m) => m.status !== 'not-met') ? 'unknown' : best.status;
    return { ...best, status, reason: group.length > 1 ? `one of ${group.length} alternatives: ${best.reason}` : best.reason };
  });
}

export interface JudgementSummary<T extends JudgedCriterion = CriterionJudgement> {
  inclusion: CriterionCounts;
  exclusion: CriterionCounts;
  /** Criteria that exclude the patient on documented evidence (see the module comment). */
  decisive: T[];
  /** The inclusion criteria beyond age, sex, pregnancy and administrative ones met on documented evidence. */
  topicalMet: T[];
  /** Some inclusion criterion is in `topicalMet`. */
  topical: boolean;
  /** The criteria neither met nor not met, in the trial's order: the screener's list to check. */
  unknown: T[];
}

/** What the category rests on, for one trial's criterion table (alternatives collapsed). */
export function summariseCriteria<T extends JudgedCriterion>(criteria: readonly T[]): JudgementSummary<T> {
  const judged = collapseAlternatives(criteria).filter((c) => !IGNORED.has(c.category));
  const inclusion = judged.filter((c) => c.kind === 'inclusion');
  const exclusion = judged.filter((c) => c.kind === 'exclusion');
  const decisive = [
    ...exclusion.filter((c) => c.status === 'met' && documented(c)),
    ...inclusion.filter((c) => c.status === 'not-met' && documented(c)),
  ];
  const topicalMet = inclusion.filter((c) => c.status === 'met' && documented(c) && !DEMOGRAPHIC.has(c.category));
  const unknown = judged.filter((c) => c.status === 'unknown');
  return { inclusion: counts(inclusion), exclusion: counts(exclusion), decisive, topicalMet, topical: topicalMet.length > 0, unknown };
}

export function summariseJudgement(judgement: TrialJudgement): JudgementSummary {
  return summariseCriteria(judgement.criteria);
}

/** Scores and categorises one trial. */
export function scoreTrial(input: RankInput, candidates: number, options: RankOptions = {}): RankedTrial {
  const { inclusion: inc, exclusion: exc, decisive, topical } = summariseJudgement(input.judgement);
  const lowerPart = input.retrievalRank > Math.max(1, Math.ceil(candidates * (options.irrelevantBelow ?? 0.5)));
  const category: TrialCategory = decisive.length > 0 ? 'excluded' : !topical && lowerPart ? 'irrelevant' : 'eligible';
  const score = Math.round(1000 * input.relevance) / 10;
  const summary =
    `${category}: ${inc.met}/${inc.total} inclusion met, ${inc.notMet} not met, ${inc.unknown} unknown; ` +
    `${exc.met}/${exc.total} exclusion met${decisive.length > 0 ? ` (${decisive.map((d) => `#${d.index + 1}`).join(', ')})` : ''}; ` +
    `relevance ${input.relevance.toFixed(2)} (retrieval rank ${input.retrievalRank})`;
  return {
    nctId: input.nctId,
    ...(input.title !== undefined && { title: input.title }),
    category,
    score,
    relevance: input.relevance,
    retrievalRank: input.retrievalRank,
    inclusion: inc,
    exclusion: exc,
    decisive,
    summary,
  };
}

/** Orders trials: category first (eligible, excluded, irrelevant), then score, then retrieval rank. */
export function rankTrials(inputs: readonly RankInput[], options: RankOptions = {}): RankedTrial[] {
  const scored = inputs.map((i) => scoreTrial(i, inputs.length, options));
  return scored.sort(
    (a, b) => CATEGORY_ORDER[a.category] - CATEGORY_ORDER[b.category] || b.score - a.score || a.retrievalRank - b.retrievalRank || a.nctId.localeCompare(b.nctId),
  );
}
