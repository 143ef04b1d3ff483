import type { DataRequirements } from '../../fhir/context/data-requirements.js';
import { buildPatientContext } from '../../fhir/context/index.js';
import type { ServiceLogic } from '../../hooks/service.js';
import { trialMatchCard, type FittingOptions } from './card.js';
import { RECRUITING_STATUSES } from './matching/trial-record.js';
import type { TrialMatcher } from './match.js';

export const TRIAL_MATCH_SERVICE_ID = 'trial-match';

/**
 * What trial matching reads (profile.ts, judge.ts): the lab and vital-sign series criteria name
 * (glycaemia, kidney, haematology, chemistry, electrolytes, lipids, cardiac markers, vitals and
 * BMI), pregnancy status, conditions, medications, and the notes.
 */
export const TRIAL_MATCH_DATA_REQUIREMENTS: DataRequirements = {
  observationValueSets: [
    'cairn-vital-signs',
    'cairn-lab-glycaemia',
    'cairn-lab-kidney',
    'cairn-lab-haematology',
    'cairn-lab-chemistry',
    'cairn-lab-electrolytes',
    'cairn-lab-lipids',
    'cairn-lab-cardiac',
    'cairn-pregnancy-status',
  ],
  conditions: true,
  medications: true,
  notes: true,
};

/** Candidates retrieved per call: the recruiting trials closest to the record (the card counts within them). */
export const TRIAL_CANDIDATES = 20;
/**
 * Off by default: a trial counts on the card only with a documented topical match (a condition it
 * studies on the record or stated in a note as current, or a met inclusion criterion on a
 * condition or medication). The option lets a trial with no such match count from its retrieval
 * relevance alone (card.ts FittingOptions.minRelevance). On the SIGIR topics through the hook,
 * 0.8 raised card NDCG@5 from 0.091 to 0.150 (npm run eval:trials-hook, docs/EVALUATION.md), but
 * relevance is relative to the best candidate of the same call, so every patient's first few
 * candidates score near 1: demo patients with nothing any recruiting trial studies (hypertension
 * alone) were then shown up to 14 trials "may fit". A card that cannot say why a trial fits is
 * not given.
 */
export const TRIAL_MIN_RELEVANCE: number | null = null;

/**
 * A trial with no documented topical match counts when at least this many counting words of one
 * statement of the patient's (a note sentence, or the coded entries) are in what the trial is
 * about (card.ts FittingOptions.minSharedWords, matching/shared-words.ts); null: off. Unlike
 * relevance, the count is absolute: a patient whose record shares few rare words with any trial
 * gets none this way. 2 was ruled out on the demo patients, not on an evaluation set: it put
 * trials on cards from word pairs such as "allergic, rash" and "daily, kidney" for patients with
 * nothing any demo trial studies. Among 3, 4 and 5 (and SHARED_WORD_MAX_SHARE 0.05, 0.1, 0.2),
 * chosen on TREC CT 2021 (card NDCG@5 0.324; 0.300 without the rule) and reported on SIGIR
 * (0.150; 0.108 without): docs/EVALUATION.md, "Trial matching through the hook".
 */
export const TRIAL_MIN_SHARED_WORDS: number | null = 3;

/**
 * The card's fitting rule for a minRelevance and a minSharedWords setting (undefined: the
 * defaults above; null: off): the one place both the hook and the evidence API read it.
 */
export function fittingOptions(minRelevance: number | null = TRIAL_MIN_RELEVANCE, minSharedWords: number | null = TRIAL_MIN_SHARED_WORDS): FittingOptions {
  return { ...(minRelevance !== null && { minRelevance }), ...(minSharedWords !== null && { minSharedWords }) };
}
/**
 * Trials the card shows at most; fewer when their lines would not fit the short card's detail
 * (1,000 characters). With 3 or more fitting, the full lines (criterion counts included) keep it
 * to about 2; the compact form (card.ts: id, title, status and why, the counts left to the app)
 * lists up to 5. On TREC CT 2021, with the topical rule alone (and the retrieval lists full text
 * and BM25), 5 in the compact form gave card NDCG@5 0.295 against 0.253 for 3 (2.5 and 1.9 trials
 * shown per patient; docs/EVALUATION.md).
 */
export const TRIAL_CARD_TRIALS = 5;
/**
 * More note sentences than this and the notes are compared by words only: embedding 300 new
 * sentences takes about 5 s with USE-lite (16 ms each), already past the hook deadline.
 */
export const MAX_EMBEDDED_SENTENCES = 300;

export interface TrialMatchServiceOptions {
  matcher: TrialMatcher;
  /** Launch URL of the Cairn app (CAIRN_SMART_APP_URL): the card links to it when set. */
  smartAppUrl?: string;
  /** A trial status read longer ago than this many days is marked "may be out of date" on the card (CAIRN_TRIAL_STALE_DAYS). */
  staleAfterDays?: number;
  /** Trials shown on the card at most (default TRIAL_CARD_TRIALS). */
  maxTrials?: number;
  /** Candidates retrieved per call (default TRIAL_CANDIDATES). */
  candidates?: number;
  /** See card.ts FittingOptions.minRelevance (default TRIAL_MIN_RELEVANCE, null: a topical match is required). */
  minRelevance?: number | null;
  /** See card.ts FittingOptions.minSharedWords (default TRIAL_MIN_SHARED_WORDS, null: off). */
  minSharedWords?: number | null;
  now?: () => Date;
}

/**
 * The logic of the `trial-match` service. The note sentences' vectors come from the matcher's
 * cache; new ones are embedded until the hook deadline, and when that passes first there is no
 * card this call (the vectors made are kept, so the next view of the patient is fast) rather than
 * a card judged half by meaning and half by words.
 */
export function trialMatchLogic(options: TrialMatchServiceOptions): ServiceLogic {
  const now = options.now ?? (() => new Date());
  return async ({ context, prefetch, log, signal }, emit) => {
    const started = performance.now();
    const patientId = String(context.patientId);
    const resources = Object.values(prefetch).filter((r) => r !== null && r !== undefined);
    const referenceTime = now();
    const ctx = buildPatientContext({ resources, referenceTime, patientId });
    // No trial can enrol a patient the record says has died.
    if (ctx.patient?.deceased.status === 'deceased') {
      log.debug('trial-match: the patient is recorded as deceased; no card');
      return;
    }
    // Past the deadline nobody reads the card: the work stops there (reading the notes, then judging).
    const stopped = (err: unknown) => {
      if (signal.aborted) return undefined;
      throw err;
    };
    const prepared = await options.matcher.prepare(ctx, { signal, maxEmbeddedSentences: MAX_EMBEDDED_SENTENCES }).catch(stopped);
    if (!prepared) {
      log.info({ notes: ctx.notes.length, totalMs: Math.round(performance.now() - started) }, 'trial-match: the notes were not all read before the deadline; no card this call');
      return;
    }
    const prepareMs = Math.round(performance.now() - started);
    const counts = { sentences: prepared.sentences, reused: prepared.reused, embedded: prepared.embedded, prepareMs };
    if (prepared.embedding === 'incomplete' || signal.aborted) {
      log.info(counts, 'trial-match: the note sentences were not all embedded before the deadline; no card this call (the next one reuses them)');
      return;
    }
    const result = await options.matcher
      .match(prepared.profile, { k: options.candidates ?? TRIAL_CANDIDATES, statuses: RECRUITING_STATUSES, signal })
      .catch(stopped);
    if (!result || signal.aborted) {
      log.info({ ...counts, totalMs: Math.round(performance.now() - started) }, 'trial-match: the trials were not all judged before the deadline; no card this call');
      return;
    }
    const card = trialMatchCard(result, {
      ...(options.smartAppUrl !== undefined && { smartAppUrl: options.smartAppUrl }),
      ...(options.staleAfterDays !== undefined && { staleAfterDays: options.staleAfterDays }),
      maxTrials: options.maxTrials ?? TRIAL_CARD_TRIALS,
      ...fittingOptions(options.minRelevance, options.minSharedWords),
      now: referenceTime,
      embedding: prepared.embedding === 'lexical-only' ? `compared by words only (${prepared.sentences} sentences > ${MAX_EMBEDDED_SENTENCES})` : 'compared by meaning and words',
    });
    log.debug({ ...counts, candidates: result.candidates.length, card: card !== undefined, totalMs: Math.round(performance.now() - started) }, 'trial-match done');
    if (card) emit([card]);
  };
}
