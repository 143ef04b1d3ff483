/**
 * Ranking: one score per trial, retrieval relevance with a small, bounded eligibility adjustment,
 * and a category a coordinator can read beside it.
 *
 *   category   excluded   — an exclusion criterion is met, or an inclusion criterion (or a group
 *                           of alternatives) is not met, on documented evidence (record or note;
 *                           never on an assumption);
 *              irrelevant — nothing documented about the patient matches what the trial is about:
 *                           no inclusion criterion beyond age, sex, pregnancy and administrative
 *                           ones is met on documented evidence, and the retriever ranked it in the
 *                           lower half of the candidates;
 *              eligible   — otherwise ("may fit": its unknown criteria are the screener's list).
 *   score      the retrieval relevance (0–1: the fused hybrid-retrieval score over the best
 *              possible one), minus `excluded` when the trial is excluded on documented evidence
 *              and minus `untopical` when no topical inclusion criterion is met on documented
 *              evidence (RankWeights), shown × 100. The share of inclusion criteria met is
 *              reported beside it (`inclusion`), not mixed into it: it mostly counts the age and
 *              sex criteria that every candidate meets.
 *
 * Why a score and not the categories in order (the rule before 2026-12-06): sorting every
 * "eligible" trial above every "excluded" one let a criterion judgement outweigh any difference in
 * relevance. A trial wrongly judged excluded (23 % of the eligible trials of TREC CT 2021) fell
 * below every unrelated trial judged "eligible", and an excluded trial on the patient's disease
 * (a TREC "excluded" trial still gains 1) below unrelated ones; the larger the pool of unrelated
 * trials, the worse: on topics it was not tuned on, the category order ranked below BM25 (issue
 * #20). With a bounded adjustment a judgement moves a trial only past trials of about the same
 * relevance. The two weights are chosen on one development set and reported on the other
 * (`npm run eval:trials -- --tune-on … --report-on …`, docs/EVALUATION.md).
 *
 * TrialGPT ranks by the share of inclusion criteria met, the share of exclusion criteria met and
 * the LLM's relevance and eligibility scores (Jin et al., Nat Commun 2024, "TrialGPT-Ranking").
 * Without an LLM, retrieval stands in for relevance and the documented exclusions for eligibility.
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
  /** The ranking score × 100: relevance minus the eligibility adjustment (may be below 0), see the module comment. */
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

/**
 * How much a criterion judgement moves a trial, in units of retrieval relevance (0–1). Bounded:
 * a trial drops by at most `excluded + untopical`.
 */
export interface RankWeights {
  /** Subtracted when a criterion excludes the patient on documented evidence (category excluded). */
  excluded: number;
  /** Subtracted when no topical inclusion criterion is met on documented evidence. */
  untopical: number;
}

/**
 * Chosen on TREC Clinical Trials 2021 alone (58 topics with an eligible or excluded trial; its
 * grades are eligibility, what this adjustment is about, where SIGIR's are referral relevance;
 * the set was picked before either direction's figures were seen), as the best mean NDCG@10 over
 * RANK_WEIGHT_GRID², and reported on SIGIR 2016 (docs/EVALUATION.md, 2026-12-06). Chosen again on
 * TREC 2021 alone after the criteria parser changed what the judge reads (lead-ins and OR groups,
 * #20): a documented exclusion now earns a small penalty too (before, `excluded` 0 ranked best).
 * Both are small against relevance (0–1): the judge's exclusions are wrong too often (about a fifth
 * of the eligible trials) for them to outweigh what retrieval says.
 */
export const DEFAULT_RANK_WEIGHTS: Readonly<RankWeights> = { excluded: 0.05, untopical: 0.05 };

/** The values each weight is tuned over (eval:trials --tune-on). */
export const RANK_WEIGHT_GRID: readonly number[] = [0, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

/** The ranking score (relevance units) of a trial: see the module comment. Pure. */
export function rankScore(relevance: number, judged: { excluded: boolean; topical: boolean }, weights: Readonly<RankWeights> = DEFAULT_RANK_WEIGHTS): number {
  return relevance - (judged.excluded ? weights.excluded : 0) - (judged.topical ? 0 : weights.untopical);
}

/** Orders ranked trials: score, then retrieval rank, then NCT id. */
export function compareRanked(a: Pick<RankedTrial, 'score' | 'retrievalRank' | 'nctId'>, b: Pick<RankedTrial, 'score' | 'retrievalRank' | 'nctId'>): number {
  return b.score - a.score || a.retrievalRank - b.retrievalRank || a.nctId.localeCompare(b.nctId);
}

export interface RankOptions {
  /** The eligibility adjustment (default DEFAULT_RANK_WEIGHTS). */
  weights?: Readonly<RankWeights>;
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
  const score = Math.round(1000 * rankScore(input.relevance, { excluded: decisive.length > 0, topical }, options.weights)) / 10;
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

/** Orders trials by score (relevance with the eligibility adjustment), then retrieval rank. */
export function rankTrials(inputs: readonly RankInput[], options: RankOptions = {}): RankedTrial[] {
  return inputs.map((i) => scoreTrial(i, inputs.length, options)).sort(compareRanked);
}
