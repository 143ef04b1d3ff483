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
 *   2. not ranked `excluded` (rank.ts): no exclusion criterion met and no inclusion criterion
 *      failed on documented evidence;
 *   3. the patient has what the trial is about, documented — the topical match: the condition the
 *      trial studies (its conditions field, matching/studied-condition.ts) on the record or stated
 *      in a note as current, or an inclusion criterion naming a condition or a medication ("type 2
 *      diabetes", "on metformin") met on the record or a note, not on the unmentioned-facts
 *      assumption. A condition written in a note counts as a coded one does; the card says so and
 *      quotes the sentence with the note's date. Without a topical match, "not excluded" only
 *      means "nothing known against"; and a met age, weight or lab limit alone ("weighs at least
 *      50 kg") says nothing about whether the trial is for this patient (on the demo data it put a
 *      healthy 29-year-old forward for an immunodeficiency apheresis study);
 *   3b. or, without a topical match, at least FittingOptions.minSharedWords words of one statement
 *      of the patient's (a note sentence, or the coded entries) are in what the trial is about
 *      (its titles, conditions, keywords, summary) and rare in the store (matching/shared-words.ts):
 *      a note that describes findings without naming the diagnosis. The card quotes the words and
 *      names the note and its date; the extension has the sentence whole.
 * No trial counts → no card. The count is over the trials retrieval returned (the service asks
 * for the recruiting trials closest to the record); the detail shows the first few by rank.
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
import { dayLabel, DEFAULT_TRIAL_STALE_DAYS, statusAsOfText, statusDate, type StatusDate } from './status-date.js';
import { studiedConditionMatch } from './matching/studied-condition.js';
import type { SharedStatement } from './matching/shared-words.js';
import { asciiFold, contentWords, isGeneric, stem } from '../../text/tokens.js';
import { LRUCache } from 'lru-cache';

/** The card extension key of the match figures: a fixed `cairn-` name, like every card extension key (see passages.ts). */
export const TRIAL_MATCH_EXTENSION = 'cairn-trial-match';
/**
 * The rule a trial-match card follows (card provenance, src/cards/provenance.ts): the judgement of
 * each criterion (matching/judge.ts, profile.ts), the ranking (matching/rank.ts), which trials
 * count (fittingTrials below) and which are shown. Bump the version whenever any of that logic or
 * a threshold changes. How the criteria were parsed is in each trial's content hash (the parser's
 * fingerprint is part of it), which the card's provenance lists per trial.
 */
export const TRIAL_MATCH_RULE: RuleRef = { id: 'trial-match/criteria', version: '3' };
export const CTGOV_STUDY_URL = 'https://clinicaltrials.gov/study/';
/** NLM asks for this attribution of ClinicalTrials.gov content (trials/README.md). */
export const CTGOV_ATTRIBUTION = 'ClinicalTrials.gov, U.S. National Library of Medicine, https://clinicaltrials.gov';

export interface TrialCardInput {
  patient: PatientProfile;
  ranking: readonly RankedTrial[];
  trials: readonly StoredTrial[];
  judgements: readonly TrialJudgement[];
  /** Per trial, the patient's statement sharing the most counting words with its text (matching/shared-words.ts); absent: none known. */
  sharedWords?: ReadonlyMap<string, SharedStatement>;
}

export interface TrialCardOptions extends FittingOptions {
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

/** Rule 3: what the trial is about, and the patient's evidence for it. */
export interface TopicalMatch {
  /** The trial's condition as its record names it, or the inclusion criterion that was met. */
  what: string;
  via: 'studied condition' | 'inclusion criterion';
  evidence: { kind: 'record' | 'note'; source: string; text: string; sentence?: number };
}

export interface FittingTrial {
  ranked: RankedTrial;
  trial: StoredTrial;
  judgement: TrialJudgement;
  /** Absent when the trial counts by the words it shares with the record or by its retrieval relevance alone (FittingOptions). */
  match?: TopicalMatch;
  /** The patient's statement whose counting words the trial's text also uses (when it counts by them). */
  shared?: SharedStatement;
}

export interface FittingOptions {
  /**
   * A trial not ranked excluded also counts without a topical match when its retrieval relevance
   * (0–1, rank.ts) is at least this: the record's words and meaning are close to the trial's even
   * though no condition it studies is written as such (a note describing findings, not naming the
   * diagnosis). The card says so. Unset: a topical match is required.
   */
  minRelevance?: number;
  /**
   * A trial not ranked excluded also counts without a topical match when at least this many
   * counting words of one statement of the patient's (a note sentence, or the coded entries;
   * matching/shared-words.ts: content words, not generic, rare in the store) are in its text; the
   * card quotes them. Unset: off.
   */
  minSharedWords?: number;
}

/**
 * Rule 3 of the module comment: the studied condition or a met condition/medication inclusion
 * criterion, the record's evidence preferred to a note's.
 */
export function topicalMatch(patient: PatientProfile, trial: Pick<StoredTrial, 'conditions' | 'criteria'>, judgement: TrialJudgement): TopicalMatch | undefined {
  const found: TopicalMatch[] = [];
  const studied = studiedConditionMatch(trial.conditions, patient);
  if (studied) found.push({ what: studied.condition, via: 'studied condition', evidence: studied.evidence });
  // A criterion asking for an absence ("No medical conditions that…") met says nothing about what the trial is for.
  for (const c of judgement.criteria.filter((j) => isConditionMatch(j) && trial.criteria[j.index]?.criterion.structure.negated === false)) {
    const e = c.evidence[0];
    if (e && pastOnly(patient, e, trial.criteria[c.index]?.criterion.structure.conditions ?? [])) continue;
    if (e) found.push({ what: c.text, via: 'inclusion criterion', evidence: { kind: e.kind, source: e.source, text: e.text, ...(e.sentence !== undefined && { sentence: e.sentence }) } });
  }
  return found.find((m) => m.evidence.kind === 'record') ?? found[0];
}

/**
 * The note sentence mentions the criterion's conditions only as past history ("prior MI"): it may
 * meet a criterion about a history, but the trial is not for a condition the patient had.
 */
function pastOnly(patient: PatientProfile, e: Evidence, conditions: ReadonlyArray<{ conceptId: string }>): boolean {
  if (e.kind !== 'note' || e.sentence === undefined) return false;
  const wanted = new Set(conditions.map((c) => c.conceptId));
  const mentions = (patient.sentences[e.sentence]?.conditions ?? []).filter((m) => wanted.has(m.conceptId) && m.assertion === 'affirmed');
  return mentions.length > 0 && mentions.every((m) => m.past === true);
}

/** The trials that count, in ranking order (see the module comment). */
export function fittingTrials(input: TrialCardInput, options: FittingOptions = {}): FittingTrial[] {
  const trials = new Map(input.trials.map((t) => [t.nctId, t]));
  const judgements = new Map(input.judgements.map((j) => [j.nctId, j]));
  const out: FittingTrial[] = [];
  for (const ranked of input.ranking) {
    const trial = trials.get(ranked.nctId);
    const judgement = judgements.get(ranked.nctId);
    if (!trial || !judgement) continue;
    if (!RECRUITING_STATUSES.includes(trial.status)) continue;
    if (ranked.category === 'excluded') continue;
    const match = topicalMatch(input.patient, trial, judgement);
    const shared = input.sharedWords?.get(ranked.nctId);
    if (match) out.push({ ranked, trial, judgement, match });
    else if (options.minSharedWords !== undefined && shared && shared.words.length >= options.minSharedWords) out.push({ ranked, trial, judgement, shared });
    else if (options.minRelevance !== undefined && ranked.relevance >= options.minRelevance) out.push({ ranked, trial, judgement });
  }
  return out;
}

/** Rule 3 of the module comment: an inclusion criterion on a condition or medication, met on the record or a note. */
export function isConditionMatch(c: CriterionJudgement): boolean {
  return c.kind === 'inclusion' && c.status === 'met' && (c.basis === 'record' || c.basis === 'note') && (c.category === 'condition' || c.category === 'medication');
}

export function trialMatchCard(input: TrialCardInput, options: TrialCardOptions = {}): Card | undefined {
  const fitting = fittingTrials(input, options);
  if (fitting.length === 0) return undefined;
  const maxUnknown = options.maxUnknown ?? 8;
  const now = options.now ?? new Date();
  const staleAfterDays = options.staleAfterDays ?? DEFAULT_TRIAL_STALE_DAYS;
  const first = fitting.slice(0, options.maxTrials ?? 3);
  const dates = new Map(first.map((f) => [f.trial.nctId, statusDate(f.trial.fetchedAt, now, staleAfterDays)]));
  // As many of the first `maxTrials` as fit the short card's detail (each line tried in shorter forms first).
  let shown = first;
  let text = detail(input, fitting, shown, dates);
  while (text === undefined && shown.length > 1) {
    shown = shown.slice(0, -1);
    text = detail(input, fitting, shown, dates);
  }
  if (text === undefined) return undefined;
  const n = fitting.length;
  const links: Link[] = [
    ...smartLink(options.smartAppUrl, { service: 'trial-match', rule: TRIAL_MATCH_RULE.id, nctIds: shown.map((f) => f.trial.nctId) }),
    ...shown.map((f): Link => ({ label: `${f.trial.nctId} on ClinicalTrials.gov`, url: `${CTGOV_STUDY_URL}${f.trial.nctId}`, type: 'absolute' })),
  ];
  return {
    summary: `${n} recruiting trial${n === 1 ? '' : 's'} may fit`,
    indicator: 'info',
    detail: text,
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
            // Why the trial is on the card (rule 3): the note sentence exactly, with the note's date, when it rests on a note.
            ...(f.match && {
              match: {
                what: f.match.what,
                via: f.match.via,
                evidence: {
                  kind: f.match.evidence.kind,
                  text: f.match.evidence.text,
                  source: f.match.evidence.source,
                  ...(f.match.evidence.kind === 'note' && noteDate(input.patient, f.match.evidence.source) !== undefined && { date: noteDate(input.patient, f.match.evidence.source) }),
                },
              },
            }),
            // Why the trial is on the card without a topical match: the patient's words its text also uses, and the statement they are from.
            ...(f.shared && {
              sharedWords: {
                words: f.shared.words.map((w) => w.word),
                evidence: {
                  kind: f.shared.statement.kind,
                  text: f.shared.statement.text,
                  source: f.shared.statement.source,
                  ...(f.shared.statement.kind === 'note' && noteDate(input.patient, f.shared.statement.source) !== undefined && { date: noteDate(input.patient, f.shared.statement.source) }),
                },
              },
            }),
            relevance: f.ranked.relevance,
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
 * Longest note sentence (or recorded condition) quoted whole in the detail, in characters; 0: not
 * quoted, only the note and its date named (the extension carries the sentence whole).
 */
const QUOTE_LENGTHS = [200, 120, 60, 0];
/**
 * The compact form, tried when no full form fits: one short line per trial (id, title, status and
 * why it is on the card), the criterion counts left to the app and the extension, so that more
 * trials can be listed than the full lines allow (about 2 of them fit).
 */
const COMPACT_TITLE_LENGTHS = [60, 40];
const COMPACT_QUOTE_LENGTHS = [60, 0];

/**
 * One list item per trial shown: NCT id, title, status and phase with the date the status was
 * read (statusAsOfText), what the patient has that the trial is about (the topical match: a
 * recorded condition, or the note sentence quoted with the note's date), and the counts of the
 * criteria that decide (lead-ins left out; those judged only by assuming an unmentioned fact
 * absent counted once apart). Titles and quotations are cut shorter, at a word and with "…", when
 * the card would not fit otherwise.
 */
function detail(input: TrialCardInput, fitting: readonly FittingTrial[], shown: readonly FittingTrial[], dates: ReadonlyMap<string, StatusDate>): string | undefined {
  const make = (titleMax: number, quoteMax: number, compact: boolean) =>
    blocks(
      fitting.length > shown.length && `The first ${shown.length} of ${fitting.length}, by retrieval relevance.`,
      bulletList(shown.map((f) => trialLine(input.patient, f, titleMax, quoteMax, dates.get(f.trial.nctId) as StatusDate, compact))),
      compact && 'Each trial\'s criteria, met, not met and unknown, with the evidence: in the Cairn app and the card\'s data.',
      `Trial records: ${CTGOV_ATTRIBUTION}.`,
    );
  for (const compact of [false, true]) {
    for (const quoteMax of compact ? COMPACT_QUOTE_LENGTHS : QUOTE_LENGTHS) {
      for (const titleMax of compact ? COMPACT_TITLE_LENGTHS : TITLE_LENGTHS) {
        const text = make(titleMax, quoteMax, compact);
        if (fits(text)) return text;
      }
    }
  }
  return undefined;
}

/** The note a piece of evidence came from, and its date (YYYY-MM-DD) when the note has one. */
function noteDate(patient: PatientProfile, source: string): string | undefined {
  return patient.context.notes.find((n) => n.source === source)?.date?.slice(0, 10);
}

/**
 * Why the trial is on the card, computed from the record: "Studies Hypertension — recorded:
 * Essential hypertension." or "Studies Sickle Cell Disease — note of 3 Jan 2024: “…”" (the note's
 * sentence verbatim, cut at a word with "…" past `quoteMax` characters; the extension has it whole).
 */
export function matchText(patient: PatientProfile, m: TopicalMatch, quoteMax: number): string {
  const what = m.via === 'studied condition' ? `Studies ${escapeInline(shortTitle(m.what, Math.max(40, quoteMax)))}` : `Meets “${escapeInline(shortTitle(m.what, Math.max(40, quoteMax)))}”`;
  if (m.evidence.kind === 'record') return quoteMax > 0 ? `${what} — recorded: ${escapeInline(shortTitle(m.evidence.text, quoteMax))}.` : `${what} — recorded.`;
  const date = noteDate(patient, m.evidence.source);
  const note = `note${date ? ` of ${dayLabel(date)}` : ''}`;
  return quoteMax > 0 ? `${what} — ${note}: “${escapeInline(shortTitle(m.evidence.text, quoteMax))}”` : `${what} — stated in a ${note}.`;
}

/** Words shown at most when a trial counts by the words it shares with the record; the extension lists them all. */
const SHARED_WORDS_SHOWN = 6;

/**
 * Why a trial with no documented topical match is on the card: "No condition it studies is
 * documented; words of the note of 3 Jan 2024 in its text: fever, conjunctivitis, strawberry." The
 * words are the patient's own, from one sentence (or the coded entries; matching/shared-words.ts);
 * fewer, after a shorter lead, when the card must be shorter. The extension has the sentence whole.
 */
export function sharedText(patient: PatientProfile, shared: SharedStatement, quoteMax: number): string {
  const n = quoteMax >= 120 ? SHARED_WORDS_SHOWN : quoteMax > 0 ? 4 : 3;
  const shown = shared.words.slice(0, n).map((w) => escapeInline(w.word));
  const date = shared.statement.kind === 'note' ? noteDate(patient, shared.statement.source) : undefined;
  const where = shared.statement.kind === 'record' ? 'the recorded conditions and medications' : `a sentence of the note${date ? ` of ${dayLabel(date)}` : ''}`;
  const lead = quoteMax > 60 ? `No condition it studies is documented; words of ${where} in its text` : `Words of ${where} in its text`;
  return `${lead}: ${shown.join(', ')}${shared.words.length > n ? ', …' : ''}.`;
}

function trialLine(patient: PatientProfile, f: FittingTrial, titleMax: number, quoteMax: number, date: StatusDate, compact = false): string {
  const criteria = f.judgement.criteria.filter((c) => !isLeadIn(c));
  const phase = phaseLabel(f.trial.phase);
  if (compact) {
    const why = f.match ? matchText(patient, f.match, quoteMax) : f.shared ? sharedText(patient, f.shared, quoteMax) : `Close to the record by retrieval (relevance ${f.ranked.relevance.toFixed(2)}).`;
    return `**${f.trial.nctId}**: ${escapeInline(shortTitle(f.trial.title, titleMax))} — ${statusLabel(f.trial.status)}${date.stale ? ' (may be out of date)' : ''}. ${why}`;
  }
  return (
    `**${f.trial.nctId}**: ${escapeInline(shortTitle(f.trial.title, titleMax))} — ${statusLabel(f.trial.status)}${phase ? `, ${phase}` : ''} (${statusAsOfText(date)}). ` +
    `${f.match ? matchText(patient, f.match, quoteMax) : f.shared ? sharedText(patient, f.shared, quoteMax) : `Close to the record by retrieval (relevance ${f.ranked.relevance.toFixed(2)}); no condition it studies documented.`} ` +
    `Inclusion criteria: ${counts(criteria, 'inclusion')}. Exclusion criteria: ${counts(criteria, 'exclusion')}.`
  );
}

/**
 * The criteria judged only by assuming that what the record does not mention is absent, in one
 * sentence: "12 exclusions not documented in the record." (and the inclusion criteria asking for
 * an absence, likewise). Not listed one by one: a row per unmentioned exclusion says nothing a
 * screener can act on beyond this count.
 */
export function undocumentedText(criteria: readonly Pick<CriterionJudgement, 'kind' | 'basis'>[]): string {
  const assumed = criteria.filter((c) => c.basis === 'assumed-absent');
  const ex = assumed.filter((c) => c.kind === 'exclusion').length;
  const inc = assumed.filter((c) => c.kind === 'inclusion').length;
  const parts: string[] = [];
  if (ex > 0) parts.push(`${ex} exclusion${ex === 1 ? '' : 's'} not documented in the record.`);
  if (inc > 0) parts.push(`${inc} inclusion criteri${inc === 1 ? 'on asks' : 'a ask'} for an absence not documented in the record.`);
  return parts.join(' ');
}

/** The title as recorded, or its first words up to `max` characters and "…". */
export function shortTitle(title: string, max: number): string {
  const t = title.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.(–-]+$/, '')}…`;
}

/**
 * The criteria of one kind that decide, by judgement, zeros left out ("4 met, 2 unknown"), then
 * those judged only by assuming an unmentioned fact absent, counted once ("12 not documented in
 * the record"); "none judged" when there are neither.
 */
function counts(criteria: readonly CriterionJudgement[], kind: CriterionJudgement['kind']): string {
  const of = criteria.filter((c) => c.kind === kind && c.basis !== 'not-applicable');
  const decided = of.filter((c) => c.basis !== 'assumed-absent');
  const n = (status: CriterionJudgement['status']) => decided.filter((c) => c.status === status).length;
  const undocumented = of.length - decided.length;
  const parts = [
    n('met') > 0 && `${n('met')} met`,
    n('not-met') > 0 && `${n('not-met')} not met`,
    n('unknown') > 0 && `${n('unknown')} unknown`,
    undocumented > 0 && `${undocumented} not documented in the record`,
  ].filter((p): p is string => typeof p === 'string');
  return parts.length > 0 ? parts.join(', ') : 'none judged';
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
  const undocumented = undocumentedText(assumed);
  if (undocumented) summary.push(undocumented);
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
  const { folded, origin } = foldedEligibility(eligibilityText);
  return (parsed) => {
    const wanted = parsed.replace(/\s+/g, ' ').trim();
    const at = wanted ? folded.indexOf(wanted) : -1;
    if (at < 0) return parsed;
    const start = origin[at] as number;
    const end = (origin[at + wanted.length - 1] as number) + 1;
    return eligibilityText.slice(start, end).replace(/\s+/g, ' ');
  };
}

/**
 * Eligibility texts folded so far, by text: the trials on a card are read again on every call
 * for the same store, and folding a text character by character was about a fiftieth of a
 * trial-match call's CPU in a profile of the hook (docs/BENCHMARKS.md). A few hundred texts of a
 * few kilobytes each.
 */
const foldedTexts = new LRUCache<string, { folded: string; origin: Int32Array }>({ max: 300 });

/** The eligibility text folded and whitespace-squashed, each character mapped to its original position. */
function foldedEligibility(eligibilityText: string): { folded: string; origin: Int32Array } {
  const known = foldedTexts.get(eligibilityText);
  if (known) return known;
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
  const read = { folded, origin: Int32Array.from(origin) };
  foldedTexts.set(eligibilityText, read);
  return read;
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
