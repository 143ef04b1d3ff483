/**
 * The trial-match card: recruiting trials the patient may fit. A short card (src/cards/short-card.ts):
 * the detail gives each of the first few trials in a line (NCT id, title, status with the date it
 * was read from ClinicalTrials.gov — "may be out of date" past CAIRN_TRIAL_STALE_DAYS — and how many of
 * its criteria are met, not met and unknown); each trial's criteria as the trial record states them
 * (verbatim) beside the patient's evidence (a value with its unit and time, or the note sentence
 * exactly) are in the card's `cairn-trial-match` extension and the Cairn app. Nothing is written
 * for the occasion: the summary is a count, the detail is record text, computed values and fixed
 * labels. Pure.
 *
 * Which trials count ("may fit"), in this order:
 *   1. the record's overall status is RECRUITING, NOT_YET_RECRUITING or ENROLLING_BY_INVITATION
 *      (RECRUITING_STATUSES): a trial that cannot enrol is no use to the clinician;
 *   2. ranking category `eligible` (rank.ts): no exclusion criterion met and no inclusion criterion
 *      failed on documented evidence;
 *   3. at least one inclusion criterion naming a condition or a medication (the condition the
 *      trial studies, "type 2 diabetes", "on metformin") is met on documented evidence: the record
 *      or a note, not the unmentioned-facts assumption. Without one, "eligible" only means "nothing
 *      known against"; and a met age, weight or lab limit alone ("weighs at least 50 kg") says
 *      nothing about whether the trial is for this patient (on the demo data it put a healthy
 *      29-year-old forward for an immunodeficiency apheresis study).
 * No trial counts → no card. The count is over the trials retrieval returned (the service asks
 * for the 20 recruiting trials closest to the record); the detail shows the first few by rank.
 */
import { blocks, bulletList, escapeInline } from '../../cards/markdown.js';
import { overrideReasons } from '../../cards/override-reasons.js';
import { cardProvenance, provenanceExtension, type RuleRef } from '../../cards/provenance.js';
import { fits, smartLink } from '../../cards/short-card.js';
import type { Card, Link } from '../../hooks/schema.js';
import { RECRUITING_STATUSES } from './matching/trial-record.js';
import type { CriterionJudgement, Evidence, JudgementBasis, TrialJudgement } from './matching/judge.js';
import type { PatientProfile } from './matching/profile.js';
import type { RankedTrial } from './matching/rank.js';
import type { StoredTrial } from './store/trial-store.js';
import { DEFAULT_TRIAL_STALE_DAYS, statusAsOfText, statusDate, type StatusDate } from './status-date.js';
import { asciiFold, contentWords, isGeneric, stem } from '../../text/tokens.js';

/** The card extension key of the match figures: a fixed `cairn-` name, like every card extension key (see passages.ts). */
export const TRIAL_MATCH_EXTENSION = 'cairn-trial-match';
/**
 * The rule a trial-match card follows (card provenance, src/cards/provenance.ts): the judgement of
 * each criterion (matching/judge.ts, profile.ts), the ranking (matching/rank.ts), which trials
 * count (fittingTrials below) and which are shown. Bump the version whenever any of that logic or
 * a threshold changes. How the criteria were parsed is in each trial's content hash (the parser's
 * fingerprint is part of it), which the card's provenance lists per trial.
 */
export const TRIAL_MATCH_RULE: RuleRef = { id: 'trial-match/criteria', version: '1' };
export const CTGOV_STUDY_URL = 'https://clinicaltrials.gov/study/';
/** NLM asks for this attribution of ClinicalTrials.gov content (trials/README.md). */
export const CTGOV_ATTRIBUTION = 'ClinicalTrials.gov, U.S. National Library of Medicine, https://clinicaltrials.gov';

export interface TrialCardInput {
  patient: PatientProfile;
  ranking: readonly RankedTrial[];
  trials: readonly StoredTrial[];
  judgements: readonly TrialJudgement[];
}

export interface TrialCardOptions {
  /** Trials shown on the card (default 3). */
  maxTrials?: number;
  /** Unknown criteria listed per trial in the card's extension before "N more" (default 8). */
  maxUnknown?: number;
  /** Launch URL of the Cairn app (CAIRN_SMART_APP_URL), which shows each trial's criteria; no SMART link when unset. */
  smartAppUrl?: string;
  /** Recorded in the card's extension: how note sentences were compared (see match.ts). */
  embedding?: string;
  /** The clock the status dates are read against (default now). */
  now?: Date;
  /** A status read longer ago than this many days is marked "may be out of date" (CAIRN_TRIAL_STALE_DAYS, default 30). */
  staleAfterDays?: number;
}

export interface FittingTrial {
  ranked: RankedTrial;
  trial: StoredTrial;
  judgement: TrialJudgement;
}

/** The trials that count, in ranking order (see the module comment). */
export function fittingTrials(input: Omit<TrialCardInput, 'patient'>): FittingTrial[] {
  const trials = new Map(input.trials.map((t) => [t.nctId, t]));
  const judgements = new Map(input.judgements.map((j) => [j.nctId, j]));
  const out: FittingTrial[] = [];
  for (const ranked of input.ranking) {
    const trial = trials.get(ranked.nctId);
    const judgement = judgements.get(ranked.nctId);
    if (!trial || !judgement) continue;
    if (!RECRUITING_STATUSES.includes(trial.status)) continue;
    if (ranked.category !== 'eligible') continue;
    if (!judgement.criteria.some(isConditionMatch)) continue;
    out.push({ ranked, trial, judgement });
  }
  return out;
}

/** Rule 3 of the module comment: an inclusion criterion on a condition or medication, met on the record or a note. */
export function isConditionMatch(c: CriterionJudgement): boolean {
  return c.kind === 'inclusion' && c.status === 'met' && (c.basis === 'record' || c.basis === 'note') && (c.category === 'condition' || c.category === 'medication');
}

export function trialMatchCard(input: TrialCardInput, options: TrialCardOptions = {}): Card | undefined {
  const fitting = fittingTrials(input);
  if (fitting.length === 0) return undefined;
  const shown = fitting.slice(0, options.maxTrials ?? 3);
  const n = fitting.length;
  const links: Link[] = [
    ...smartLink(options.smartAppUrl, { service: 'trial-match', rule: TRIAL_MATCH_RULE.id, nctIds: shown.map((f) => f.trial.nctId) }),
    ...shown.map((f): Link => ({ label: `${f.trial.nctId} on ClinicalTrials.gov`, url: `${CTGOV_STUDY_URL}${f.trial.nctId}`, type: 'absolute' })),
  ];
  const maxUnknown = options.maxUnknown ?? 8;
  const now = options.now ?? new Date();
  const staleAfterDays = options.staleAfterDays ?? DEFAULT_TRIAL_STALE_DAYS;
  const dates = new Map(shown.map((f) => [f.trial.nctId, statusDate(f.trial.fetchedAt, now, staleAfterDays)]));
  return {
    summary: `${n} recruiting trial${n === 1 ? '' : 's'} may fit`,
    indicator: 'info',
    detail: detail(fitting, shown, dates),
    source: { label: 'Cairn trial match (ClinicalTrials.gov records)', url: 'https://clinicaltrials.gov' },
    overrideReasons: overrideReasons('notClinicallyRelevant', 'patientDeclined', 'alreadyAssessed'),
    links,
    extension: {
      [TRIAL_MATCH_EXTENSION]: {
        fitting: n,
        retrieved: input.ranking.length,
        ...(options.embedding !== undefined && { noteSentences: options.embedding }),
        trials: shown.map((f) => {
          const table = criterionTable(input.patient, f.judgement.criteria, maxUnknown, verbatimIn(f.trial.record.eligibilityText));
          const date = dates.get(f.trial.nctId) as StatusDate;
          return {
            nctId: f.trial.nctId,
            status: f.trial.status,
            statusAsOf: date.asOf,
            statusMayBeOutOfDate: date.stale,
            ...(f.trial.lastUpdatePosted !== null && { lastUpdatePosted: f.trial.lastUpdatePosted }),
            category: f.ranked.category,
            score: f.ranked.score,
            retrievalRank: f.ranked.retrievalRank,
            inclusion: f.ranked.inclusion,
            exclusion: f.ranked.exclusion,
            // The criteria with the patient's evidence, as the detail's tables once showed them; the rest counted.
            ...(table.rows.length > 0 && { criteria: table.rows }),
            ...(table.summary.length > 0 && { notListed: table.summary }),
          };
        }),
      },
      // Trial cards quote no guideline; they name the trial records they show instead.
      ...provenanceExtension(cardProvenance(TRIAL_MATCH_RULE, [], shown.map((f) => ({ nctId: f.trial.nctId, contentHash: f.trial.contentHash })))),
    },
  };
}

/** Longest trial title shown whole (characters); longer ones are cut at a word and end in "…". */
const TITLE_LENGTHS = [100, 70, 40];

/**
 * One list item per trial shown: NCT id, title, status and phase with the date the status was
 * read (statusAsOfText), and the counts of its criteria
 * (lead-ins left out) by kind and judgement, with how many were judged only by assuming that an
 * unmentioned fact is absent. Titles are cut shorter when the card would not fit otherwise.
 */
function detail(fitting: readonly FittingTrial[], shown: readonly FittingTrial[], dates: ReadonlyMap<string, StatusDate>): string {
  const make = (titleMax: number) =>
    blocks(
      fitting.length > shown.length && `The first ${shown.length} of ${fitting.length}, by retrieval relevance.`,
      bulletList(shown.map((f) => trialLine(f, titleMax, dates.get(f.trial.nctId) as StatusDate))),
      `Trial records: ${CTGOV_ATTRIBUTION}.`,
    );
  for (const max of TITLE_LENGTHS) {
    const text = make(max);
    if (fits(text)) return text;
  }
  return make(TITLE_LENGTHS[TITLE_LENGTHS.length - 1] as number);
}

function trialLine(f: FittingTrial, titleMax: number, date: StatusDate): string {
  const criteria = f.judgement.criteria.filter((c) => !isLeadIn(c));
  const phase = phaseLabel(f.trial.phase);
  const assumed = criteria.filter((c) => c.basis === 'assumed-absent').length;
  return (
    `**${f.trial.nctId}**: ${escapeInline(shortTitle(f.trial.title, titleMax))} — ${statusLabel(f.trial.status)}${phase ? `, ${phase}` : ''} (${statusAsOfText(date)}). ` +
    `Inclusion criteria: ${counts(criteria, 'inclusion')}; exclusion criteria: ${counts(criteria, 'exclusion')}.` +
    `${assumed > 0 ? ` ${assumed === 1 ? '1 criterion' : `${assumed} criteria`} not mentioned in the record, assumed absent.` : ''}`
  );
}

/** The title as recorded, or its first words up to `max` characters and "…". */
export function shortTitle(title: string, max: number): string {
  const t = title.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.(–-]+$/, '')}…`;
}

function counts(criteria: readonly CriterionJudgement[], kind: CriterionJudgement['kind']): string {
  const of = criteria.filter((c) => c.kind === kind);
  const n = (status: CriterionJudgement['status']) => of.filter((c) => c.status === status).length;
  return `${n('met')} met, ${n('not-met')} not met, ${n('unknown')} unknown`;
}

/** ClinicalTrials.gov's status as its site shows it: NOT_YET_RECRUITING → "Not yet recruiting". */
export function statusLabel(status: string): string {
  const words = status.toLowerCase().replace(/_/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}

/** A FHIR research-study-phase code as words ("phase-1-phase-2" → "phase 1/2"); none for "n-a". */
export function phaseLabel(code: string | null | undefined): string | undefined {
  if (!code || code === 'n-a') return undefined;
  const phases = [...code.matchAll(/phase-(\d)/g)].map((m) => m[1]);
  if (phases.length === 0) return undefined;
  return `${code.startsWith('early-') ? 'early ' : ''}phase ${phases.join('/')}`;
}

/**
 * Words that say how a criteria list is laid out, not what the patient must have: what is left of
 * a list's lead-in once the words of trial boilerplate (tokens.ts contentWords) and these are
 * taken away is nothing.
 */
const LEAD_IN_WORDS = new Set(
  (
    'meet fulfil fulfill satisfy participate participation enroll enrol enter entrance excluded exclude order addition furthermore also ' +
    'contraindication contraindications characteristics characteristic note notes list representative reasons reason categories category ' +
    'one two three four five six each either all any both'
  )
    .split(' ')
    .map((w) => stem(w)),
);

/**
 * A heading or a list's lead-in that the parser kept as an item ("INCLUSION CRITERIA:", "The
 * contraindications include subjects with the following devices or conditions:"): it ends in a
 * colon and names no condition of its own, so it is never listed as a criterion. The words
 * "the following" and the kind of item they announce ("criteria", "devices or conditions": up to
 * four words when they end the lead-in, else one) are not a condition; anything else is.
 */
export function isLeadIn(c: Pick<CriterionJudgement, 'text' | 'origin'>): boolean {
  if (c.origin !== 'text' || !/:\s*$/.test(c.text)) return false;
  const own = c.text.replace(/\bthe following(?:\s+[^\s:]+){0,4}\s*:\s*$/i, '').replace(/\bthe following(?:\s+[A-Za-z-]+)?/i, '');
  return contentWords(own).every((w) => isGeneric(w) || LEAD_IN_WORDS.has(w));
}

const ORDER: Readonly<Record<CriterionJudgement['status'], number>> = { met: 0, 'not-met': 1, unknown: 2 };

/** One criterion of a trial with the patient's evidence, as the card's extension carries it. */
export interface CriterionRow {
  /** As the trial record states it (verbatimIn); one made from the record's fields ends "(record field)". */
  criterion: string;
  kind: CriterionJudgement['kind'];
  status: CriterionJudgement['status'];
  basis: JudgementBasis;
  /** The patient's evidence: a recorded value (UCUM unit, ISO time) or a note's sentence exactly; absent when there is none. */
  evidence?: { kind: 'record' | 'note'; value: number | string; unit?: string; time?: string; source: string };
}

export interface CriterionTable {
  /** The criteria that decide, each with the patient's evidence: met, not met, unknown (at most `maxUnknown` unknown). */
  rows: CriterionRow[];
  /** One line per group of the rest: assumed absent, not applicable, unknown beyond `maxUnknown`. */
  summary: string[];
}

/**
 * The criterion table of one trial. Listed: every criterion judged on the record or a note (met,
 * not met or unknown), met, then not met, then unknown (at most `maxUnknown` of them), each group
 * in the trial's order. Summarised in a line each, not listed: criteria judged only by the
 * assumption that an unmentioned fact is absent (judge.ts), criteria that do not apply to the
 * patient, and the unknown ones beyond `maxUnknown`. Lead-ins (isLeadIn) are left out.
 */
export function criterionTable(
  patient: PatientProfile,
  criteria: readonly CriterionJudgement[],
  maxUnknown: number,
  verbatim: (parsed: string) => string = (t) => t,
): CriterionTable {
  const listed = criteria.filter((c) => !isLeadIn(c));
  const assumed = listed.filter((c) => c.basis === 'assumed-absent');
  const notApplicable = listed.filter((c) => c.basis === 'not-applicable');
  const deciding = listed.filter((c) => c.basis !== 'assumed-absent' && c.basis !== 'not-applicable');
  const sorted = [...deciding].sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.index - b.index);
  const unknown = sorted.filter((c) => c.status === 'unknown');
  const rows = sorted.filter((c) => c.status !== 'unknown' || unknown.indexOf(c) < maxUnknown).map((c) => criterionRow(patient, c, verbatim));
  const summary: string[] = [];
  const nCriteria = (n: number, kind: string) => `${n} ${kind} criteri${n === 1 ? 'on' : 'a'}`;
  const excludedByAssumption = assumed.filter((c) => c.kind === 'exclusion').length;
  const includedByAssumption = assumed.filter((c) => c.kind === 'inclusion').length;
  if (excludedByAssumption > 0) summary.push(`${nCriteria(excludedByAssumption, 'exclusion')} not mentioned in the record: assumed absent.`);
  if (includedByAssumption > 0) summary.push(`${nCriteria(includedByAssumption, 'inclusion')} requiring an absence not mentioned in the record: assumed absent, so met.`);
  if (notApplicable.length > 0) {
    const reasons = [...new Set(notApplicable.map((c) => c.reason))].join('; ');
    summary.push(`${notApplicable.length === 1 ? '1 criterion does' : `${notApplicable.length} criteria do`} not apply to this patient (${reasons}).`);
  }
  if (unknown.length > maxUnknown) summary.push(`${nCriteria(unknown.length - maxUnknown, 'more')} unknown from the record, not listed.`);
  return { rows, summary };
}

/**
 * The parser reads criteria ASCII-folded ("≥" as ">=", "µ" as "u") and joins wrapped lines; the
 * card shows the record's own characters. Returns, for a parsed criterion, the span of the
 * eligibility text it came from, with runs of whitespace shown as one space (a table cell has no
 * line breaks); the parsed text itself when no span matches.
 */
export function verbatimIn(eligibilityText: string): (parsed: string) => string {
  // The eligibility text folded and whitespace-squashed, each character mapped to its original position.
  let folded = '';
  const origin: number[] = [];
  for (let i = 0; i < eligibilityText.length; i++) {
    const ch = eligibilityText[i] as string;
    if (/\s/.test(ch)) {
      if (folded.length > 0 && !folded.endsWith(' ')) {
        folded += ' ';
        origin.push(i);
      }
      continue;
    }
    for (const f of asciiFold(ch)) {
      folded += f;
      origin.push(i);
    }
  }
  return (parsed) => {
    const wanted = parsed.replace(/\s+/g, ' ').trim();
    const at = wanted ? folded.indexOf(wanted) : -1;
    if (at < 0) return parsed;
    const start = origin[at] as number;
    const end = (origin[at + wanted.length - 1] as number) + 1;
    return eligibilityText.slice(start, end).replace(/\s+/g, ' ');
  };
}

function criterionRow(patient: PatientProfile, c: CriterionJudgement, verbatim: (parsed: string) => string): CriterionRow {
  const criterion = c.origin === 'text' ? verbatim(c.text) : `${c.text} (record field)`;
  const e = c.evidence[0];
  return { criterion, kind: c.kind, status: c.status, basis: c.basis, ...(e && { evidence: evidenceOf(patient, e) }) };
}

/**
 * A recorded value as value, unit and time (looked up in the profile by its source: the
 * UCUM-normalised reading the judgement used); anything else as recorded; a note sentence exactly
 * as it stands in the note, with the note's date.
 */
function evidenceOf(patient: PatientProfile, e: Evidence): NonNullable<CriterionRow['evidence']> {
  if (e.kind === 'note') {
    const note = patient.context.notes.find((n) => n.source === e.source);
    return { kind: 'note', value: e.text, source: e.source, ...(note?.date && { time: note.date }) };
  }
  for (const list of patient.values.values()) {
    const v = list.find((x) => x.source === e.source && x.sentence === undefined);
    if (v) {
      // A blood pressure judged as a pair (judge.ts: systolic/diastolic under the systolic's source) is shown as the pair.
      const pair = /^\d+(?:\.\d+)?\/\d/.test(e.text);
      return {
        kind: 'record',
        value: pair ? e.text : v.comparator ? `${v.comparator}${v.value}` : v.value,
        ...(!pair && v.unit && { unit: v.unit }),
        ...(v.time !== undefined && { time: new Date(v.time).toISOString() }),
        source: e.source,
      };
    }
  }
  return { kind: 'record', value: e.text, source: e.source };
}
