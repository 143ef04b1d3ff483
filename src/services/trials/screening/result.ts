/**
 * One patient's screening result, from the trial's criterion table (pure).
 *
 * The criterion table is what the coordinator reads: every criterion in the trial's order with its
 * kind, its verbatim text, met / not met / unknown, what the judgement rests on, the evidence (the
 * recorded value or the note sentence, with its source) and the reason.
 *
 * The category uses the same rules as the ranking of trials for one patient (rank.ts), with one
 * difference: there is no retrieval rank here (one trial, many patients), so "irrelevant" cannot
 * lean on it and is split from "unknown" by whether the record says anything to judge on:
 *   excluded   — an exclusion criterion is met, or an inclusion criterion not met, on documented
 *                evidence (record or note, never an assumption);
 *   eligible   — not excluded, and an inclusion criterion about what the trial studies (beyond age,
 *                sex, pregnancy, administrative ones) is met on documented evidence: "may fit", its
 *                unknown criteria are the coordinator's list to check;
 *   irrelevant — not excluded, and nothing documented matches what the trial studies, although the
 *                record holds conditions, medications, readings or notes to compare with;
 *   unknown    — not excluded, and the record holds none of these: Cairn cannot tell.
 */
import type { PatientContext } from '../../../fhir/context/types.js';
import type { CriterionJudgement, TrialJudgement } from '../matching/judge.js';
import { summariseJudgement } from '../matching/rank.js';

export type ScreeningCategory = 'eligible' | 'excluded' | 'irrelevant' | 'unknown';

/** At most this many pieces of evidence per criterion are kept: the first ones decided it. */
const MAX_EVIDENCE = 3;

export interface CriterionRow {
  /** 1-based position in the trial's criteria. */
  number: number;
  kind: CriterionJudgement['kind'];
  /** Verbatim from the trial record. */
  text: string;
  status: CriterionJudgement['status'];
  basis: CriterionJudgement['basis'];
  /** What the parser made of it (age, condition, lab …). */
  category: CriterionJudgement['category'];
  /** Shared by "one of the following" alternatives. */
  alternatives?: string;
  evidence: Array<{ kind: 'record' | 'note'; source: string; text: string }>;
  reason: string;
}

export interface PatientScreeningResult {
  category: ScreeningCategory;
  /** One line: counts and the deciding criteria, as rank.ts words it. */
  summary: string;
  criteria: CriterionRow[];
}

export function criterionRows(judgement: TrialJudgement): CriterionRow[] {
  return judgement.criteria.map((c) => ({
    number: c.index + 1,
    kind: c.kind,
    text: c.text,
    status: c.status,
    basis: c.basis,
    category: c.category,
    ...(c.alternatives !== undefined && { alternatives: c.alternatives }),
    evidence: c.evidence.slice(0, MAX_EVIDENCE).map((e) => ({ kind: e.kind, source: e.source, text: e.text })),
    reason: c.reason,
  }));
}

/** Whether the record holds anything a criterion about a disease, drug or value could be judged on. */
export function hasClinicalContent(ctx: PatientContext): boolean {
  if (ctx.conditions.length > 0 || ctx.medications.length > 0 || ctx.notes.length > 0 || ctx.procedures.length > 0) return true;
  return Object.values(ctx.labs).some((r) => r.length > 0) || Object.values(ctx.vitals).some((r) => r.length > 0);
}

export function screeningResult(judgement: TrialJudgement, ctx: PatientContext): PatientScreeningResult {
  const { inclusion: inc, exclusion: exc, decisive, topical } = summariseJudgement(judgement);
  const category: ScreeningCategory =
    decisive.length > 0 ? 'excluded' : topical ? 'eligible' : hasClinicalContent(ctx) ? 'irrelevant' : 'unknown';
  const summary =
    `${category}: ${inc.met}/${inc.total} inclusion met, ${inc.notMet} not met, ${inc.unknown} unknown; ` +
    `${exc.met}/${exc.total} exclusion met${decisive.length > 0 ? ` (${decisive.map((d) => `#${d.index + 1}`).join(', ')})` : ''}`;
  return { category, summary, criteria: criterionRows(judgement) };
}
