/**
 * The trial-match card: recruiting trials the patient may fit, each with its criteria as the trial
 * record states them (verbatim) beside the patient's evidence (a value with its unit and time, or
 * the note sentence quoted exactly). Nothing is written for the occasion: the summary is a count,
 * the detail is record text, computed values and fixed labels. Pure.
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
import { evidenceTable, type EvidenceRow } from '../../cards/evidence-table.js';
import { OVERRIDE_REASONS } from '../../cards/override-reasons.js';
import type { Card, Link } from '../../hooks/schema.js';
import { RECRUITING_STATUSES } from './matching/trial-record.js';
import type { CriterionJudgement, Evidence, TrialJudgement } from './matching/judge.js';
import type { PatientProfile } from './matching/profile.js';
import type { RankedTrial } from './matching/rank.js';
import type { StoredTrial } from './store/trial-store.js';
import { asciiFold } from '../../text/tokens.js';

export const TRIAL_MATCH_EXTENSION = 'https://cairn.example.org/fhir/cds/trial-match';
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
  /** Trials detailed on the card (default 3). */
  maxTrials?: number;
  /** Unknown criteria listed per trial before "and N more" (default 8). */
  maxUnknown?: number;
  /** SMART app showing one trial's criterion table; no SMART link when unset. */
  smartAppUrl?: string;
  /** Recorded in the card's extension: how note sentences were compared (see match.ts). */
  embedding?: string;
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
  const links: Link[] = [];
  for (const f of shown) {
    links.push({ label: `${f.trial.nctId} on ClinicalTrials.gov`, url: `${CTGOV_STUDY_URL}${f.trial.nctId}`, type: 'absolute' });
    if (options.smartAppUrl) {
      links.push({ label: `Screen for ${f.trial.nctId}`, url: options.smartAppUrl, type: 'smart', appContext: JSON.stringify({ nctId: f.trial.nctId }) });
    }
  }
  return {
    summary: `${n} recruiting trial${n === 1 ? '' : 's'} may fit`,
    indicator: 'info',
    detail: detail(input.patient, fitting, shown, options),
    source: { label: 'Cairn trial match (ClinicalTrials.gov records)', url: 'https://clinicaltrials.gov' },
    overrideReasons: [OVERRIDE_REASONS.notClinicallyRelevant, OVERRIDE_REASONS.patientDeclined, OVERRIDE_REASONS.alreadyAssessed],
    links,
    extension: {
      [TRIAL_MATCH_EXTENSION]: {
        fitting: n,
        retrieved: input.ranking.length,
        ...(options.embedding !== undefined && { noteSentences: options.embedding }),
        trials: shown.map((f) => ({
          nctId: f.trial.nctId,
          status: f.trial.status,
          category: f.ranked.category,
          score: f.ranked.score,
          retrievalRank: f.ranked.retrievalRank,
          inclusion: f.ranked.inclusion,
          exclusion: f.ranked.exclusion,
        })),
      },
    },
  };
}

function detail(patient: PatientProfile, fitting: readonly FittingTrial[], shown: readonly FittingTrial[], options: TrialCardOptions): string {
  const lines: string[] = [];
  if (fitting.length > shown.length) lines.push(`The first ${shown.length} of ${fitting.length}, by retrieval relevance.`, '');
  for (const f of shown) {
    const { trial, ranked } = f;
    lines.push(`**${trial.nctId}**: ${trial.title}`);
    lines.push(
      `Overall status ${trial.status}${trial.phase ? ` · phase ${trial.phase}` : ''} · relevance ${ranked.relevance.toFixed(2)} · ` +
        `inclusion ${ranked.inclusion.met} met, ${ranked.inclusion.notMet} not met, ${ranked.inclusion.unknown} unknown · ` +
        `exclusion ${ranked.exclusion.met} met, ${ranked.exclusion.notMet} not met, ${ranked.exclusion.unknown} unknown`,
    );
    const rows = criterionRows(patient, f.judgement.criteria, options.maxUnknown ?? 8, verbatimIn(trial.record.eligibilityText));
    lines.push('', evidenceTable(rows, 'Judgement', { label: 'Criterion', value: 'Patient evidence' }), '');
  }
  lines.push(`Trial records: ${CTGOV_ATTRIBUTION}.`);
  return lines.join('\n');
}

const ORDER: Readonly<Record<CriterionJudgement['status'], number>> = { met: 0, 'not-met': 1, unknown: 2 };

/** Met, then not met, then unknown (at most `maxUnknown` of them); within each, the trial's order. */
export function criterionRows(
  patient: PatientProfile,
  criteria: readonly CriterionJudgement[],
  maxUnknown: number,
  verbatim: (parsed: string) => string = (t) => t,
): EvidenceRow[] {
  const sorted = [...criteria].sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.index - b.index);
  const unknown = sorted.filter((c) => c.status === 'unknown');
  const rows = sorted.filter((c) => c.status !== 'unknown' || unknown.indexOf(c) < maxUnknown).map((c) => criterionRow(patient, c, verbatim));
  if (unknown.length > maxUnknown) rows.push({ label: `${unknown.length - maxUnknown} more unknown criteria`, contribution: 'unknown' });
  return rows;
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

function criterionRow(patient: PatientProfile, c: CriterionJudgement, verbatim: (parsed: string) => string): EvidenceRow {
  const label = c.origin === 'text' ? verbatim(c.text) : `${c.text} (record field)`;
  const e = c.evidence[0];
  return { label, ...(e && evidenceCell(patient, e)), contribution: judgementLabel(c) };
}

function judgementLabel(c: CriterionJudgement): string {
  const status = c.status === 'met' ? 'met' : c.status === 'not-met' ? 'not met' : 'unknown';
  const basis =
    c.basis === 'assumed-absent'
      ? ' (not mentioned: assumed absent)'
      : c.basis === 'not-applicable'
        ? ' (does not apply)'
        : c.basis === 'note'
          ? ' (note)'
          : c.basis === 'record'
            ? ' (record)'
            : '';
  return `${c.kind} ${status}${basis}`;
}

/**
 * A recorded value as value, unit and time (looked up in the profile by its source, so the cell
 * shows the UCUM-normalised reading the judgement used); anything else as recorded; a note
 * sentence in quotation marks, exactly as it stands in the note, with the note's date.
 */
function evidenceCell(patient: PatientProfile, e: Evidence): Pick<EvidenceRow, 'value' | 'unit' | 'time' | 'source'> {
  if (e.kind === 'note') {
    const note = patient.context.notes.find((n) => n.source === e.source);
    return { value: `“${e.text}”`, source: e.source, ...(note?.date && { time: note.date }) };
  }
  for (const list of patient.values.values()) {
    const v = list.find((x) => x.source === e.source && x.sentence === undefined);
    if (v) {
      return {
        value: v.comparator ? `${v.comparator}${v.value}` : v.value,
        ...(v.unit && { unit: v.unit }),
        ...(v.time !== undefined && { time: new Date(v.time).toISOString() }),
        source: e.source,
      };
    }
  }
  return { value: e.text, source: e.source };
}
