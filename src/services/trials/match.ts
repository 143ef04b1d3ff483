/**
 * Trial matching in three inspectable stages (TrialGPT's retrieve → judge → rank):
 *
 *   retrieve(patient)        → candidates: trials by hybrid retrieval from the patient's
 *                              conditions, medications and notes, each with its relevance;
 *   judge(patient, trial)    → the criterion table: every criterion met / not met / unknown with
 *                              its evidence and reason;
 *   rank(candidates, tables) → the ordered list: by relevance with a small eligibility
 *                              adjustment, each trial with its category (eligible, excluded,
 *                              irrelevant).
 *
 * Each stage's output is plain data and has a printer (`formatCandidates`, `formatCriterionTable`,
 * `formatRanking`), so any stage can be looked at, or evaluated, on its own. The same functions
 * serve the CDS card, the coordinator API and `npm run eval:trials`.
 *
 * TrialMatcher is the orchestrator, the one place where the two sides of src/services/trials meet:
 *   - matching/ is the pure side: criteria parsing, the patient profile, judge and rank, the
 *     language-model refinement (over an injected model). No database, file or embedding call,
 *     so every stage there is table-tested on its own;
 *   - store/ is the I/O side: trial files and their import, loading trials, retrieval, and the
 *     note-sentence embeddings, which the matcher computes here and hands to the pure profile.
 * screening/ runs the same stages for a coordinator's list of patients (queue, worker, requests);
 * service.ts and card.ts are the `trial-match` CDS service and its card.
 */
import type { Database } from '../../db/database.js';
import type { PatientContext } from '../../fhir/context/types.js';
import type { CairnEmbeddings } from '../../search/embeddings/types.js';
import { describeStructure } from './matching/criteria-parse.js';
import { judgeTrial, type CriterionJudgement, type JudgeOptions, type TrialJudgement } from './matching/judge.js';
import { profileFromContext, profileFromContextInSlices, profileQueryText, withSentenceEmbeddings, type PatientProfile } from './matching/profile.js';
import { rankTrials, type RankOptions, type RankedTrial } from './matching/rank.js';
import { TrialRetriever, type TrialCandidate, type TrialSearchOptions } from './store/retriever.js';
import { SentenceEmbeddingCache } from './store/sentence-embeddings.js';
import { SHARED_WORD_MAX_SHARE, statementMatcher, type PatientStatement, type SharedStatement } from './matching/shared-words.js';
import { LRUCache } from 'lru-cache';
import { DEFAULT_SLICE_MS, mapInSlices } from '../../slices.js';
import { loadTrials, trialCacheKeys, type StoredTrial } from './store/trial-store.js';

export interface MatchOptions extends TrialSearchOptions {
  judge?: JudgeOptions;
  rank?: RankOptions;
  /**
   * A hook's deadline. The trials are judged in slices of the event loop (a record with thousands
   * of note sentences takes a tenth of a second a trial), and once the signal aborts no further
   * trial is judged: `match` rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

export interface MatchResult {
  patient: PatientProfile;
  candidates: TrialCandidate[];
  trials: StoredTrial[];
  judgements: TrialJudgement[];
  ranking: RankedTrial[];
  /** Per candidate, the patient's statement sharing the most counting words with its text, and those words (matching/shared-words.ts). */
  sharedWords: Map<string, SharedStatement>;
}

export interface TrialMatcherOptions {
  db: Database;
  embeddings: CairnEmbeddings;
  retriever?: TrialRetriever;
  /** Distinct note sentences whose vectors are kept between calls (default 4,096). */
  sentenceCacheSize?: number;
  /** Loaded trials (criteria and their vectors) kept between calls (default 500). */
  trialCacheSize?: number;
}

export interface PrepareOptions {
  /**
   * The hook deadline: the note sentences are read in slices of the event loop and no further
   * one is read once it aborts (`prepare` then rejects with its reason); no new sentence is
   * embedded once it aborts (`incomplete`).
   */
  signal?: AbortSignal;
  /**
   * A record with more note sentences than this is matched by words only (sentence embeddings
   * off, the judge's lexical mode), so one huge record cannot hold the embedder for seconds.
   */
  maxEmbeddedSentences?: number;
}

export interface PreparedPatient {
  profile: PatientProfile;
  /**
   * `complete`: every note sentence has its vector (or there are no notes); `incomplete`: the
   * signal aborted first (the vectors made so far are cached for the next call); `lexical-only`:
   * more sentences than `maxEmbeddedSentences`.
   */
  embedding: 'complete' | 'incomplete' | 'lexical-only';
  sentences: number;
  reused: number;
  embedded: number;
}

export class TrialMatcher {
  readonly db: Database;
  readonly embeddings: CairnEmbeddings;
  readonly retriever: TrialRetriever;
  readonly sentenceEmbeddings: SentenceEmbeddingCache;
  /**
   * Loading 20 trials' criteria with their vectors takes 200-650 ms on PGlite (2 vCPUs), most of a
   * hook's budget; they change only when re-imported. Kept by NCT id with the content hash they
   * were loaded at, and reloaded when the stored hash differs (an import by another process).
   */
  readonly #trials: LRUCache<string, { hash: string; trial: StoredTrial }>;

  constructor(options: TrialMatcherOptions) {
    this.db = options.db;
    this.embeddings = options.embeddings;
    this.retriever = options.retriever ?? new TrialRetriever({ db: options.db, embeddings: options.embeddings });
    this.sentenceEmbeddings = new SentenceEmbeddingCache(options.embeddings, options.sentenceCacheSize);
    this.#trials = new LRUCache({ max: options.trialCacheSize ?? 500 });
  }

  /**
   * Readies what the first trial-match call would otherwise build or load itself: the store's BM25
   * index and the criteria (with their vectors) of the trials in `statuses`, as many as the cache
   * keeps, in batches. Measured on the demo store (2 vCPUs, PGlite): the first call after a start
   * took 577 ms against 224 ms for a later first call with new note sentences.
   */
  async warm(options: { statuses: readonly string[]; batch?: number }): Promise<{ trials: number }> {
    await this.retriever.bm25Index();
    // One search through every list (vector, full text, BM25): their first statements are slower.
    await this.retriever.search('type 2 diabetes with high blood pressure', { k: 20, statuses: options.statuses });
    const ids = (
      await this.db.query<{ nct_id: string }>('SELECT nct_id FROM trials WHERE status = ANY($1::text[]) ORDER BY nct_id LIMIT $2', [[...options.statuses], this.#trials.max])
    ).rows.map((r) => r.nct_id);
    const batch = options.batch ?? 50;
    // In batches: one query per batch keeps each statement short on the embedded database's one connection.
    for (let i = 0; i < ids.length; i += batch) await this.loadTrials(ids.slice(i, i + batch));
    return { trials: ids.length };
  }

  /** The trials with their criteria, in the order of `nctIds` (unknown ids left out), from the cache when unchanged. */
  async loadTrials(nctIds: readonly string[]): Promise<StoredTrial[]> {
    const versions = await trialCacheKeys(this.db, nctIds);
    const stale = [...versions].filter(([id, hash]) => this.#trials.get(id)?.hash !== hash).map(([id]) => id);
    for (const trial of await loadTrials(this.db, stale)) {
      const hash = versions.get(trial.nctId);
      if (hash !== undefined) this.#trials.set(trial.nctId, { hash, trial });
    }
    return nctIds.flatMap((id) => {
      const cached = versions.has(id) ? this.#trials.get(id) : undefined;
      return cached ? [cached.trial] : [];
    });
  }

  /** The patient as matching sees it: PatientContext plus note sentences, embedded (cached by sentence text). */
  async preparePatient(context: PatientContext): Promise<PatientProfile> {
    return (await this.prepare(context)).profile;
  }

  /** preparePatient, bounded for a hook: see PrepareOptions and PreparedPatient. */
  async prepare(context: PatientContext, options: PrepareOptions = {}): Promise<PreparedPatient> {
    const profile = options.signal ? await profileFromContextInSlices(context, options.signal) : profileFromContext(context);
    const sentences = profile.sentences.length;
    if (sentences === 0) return { profile, embedding: 'complete', sentences, reused: 0, embedded: 0 };
    if (options.maxEmbeddedSentences !== undefined && sentences > options.maxEmbeddedSentences) {
      return { profile, embedding: 'lexical-only', sentences, reused: 0, embedded: 0 };
    }
    const { vectors, reused, embedded } = await this.sentenceEmbeddings.embed(
      profile.sentences.map((s) => s.text),
      options.signal,
    );
    if (vectors.some((v) => v === undefined)) return { profile, embedding: 'incomplete', sentences, reused, embedded };
    return { profile: withSentenceEmbeddings(profile, vectors as number[][]), embedding: 'complete', sentences, reused, embedded };
  }

  /** Stage 1: candidate trials for the patient. */
  retrieve(patient: PatientProfile, options: TrialSearchOptions = {}): Promise<TrialCandidate[]> {
    return this.retriever.search(profileQueryText(patient), options);
  }

  /** Stage 2: the criterion table of one trial (pure once the trial is loaded). */
  judge(patient: PatientProfile, trial: StoredTrial, options: JudgeOptions = {}): TrialJudgement {
    return judgeTrial(
      patient,
      { nctId: trial.nctId, criteria: trial.criteria.map((c) => ({ criterion: c.criterion, ...(c.embedding !== undefined && { embedding: c.embedding }) })) },
      options,
    );
  }

  /** Stage 3: the ordered list (pure). */
  rank(candidates: readonly TrialCandidate[], judgements: readonly TrialJudgement[], options: RankOptions = {}): RankedTrial[] {
    const byId = new Map(judgements.map((j) => [j.nctId, j]));
    return rankTrials(
      candidates
        .map((c, i) => ({ c, i, j: byId.get(c.nctId) }))
        .filter((x): x is { c: TrialCandidate; i: number; j: TrialJudgement } => x.j !== undefined)
        .map(({ c, i, j }) => ({ nctId: c.nctId, title: c.title, relevance: c.relevance, retrievalRank: i + 1, judgement: j })),
      options,
    );
  }

  /** All three stages for a PatientContext (or an already prepared profile). */
  async match(patient: PatientContext | PatientProfile, options: MatchOptions = {}): Promise<MatchResult> {
    const profile = 'sentences' in patient ? patient : await this.preparePatient(patient);
    const candidates = await this.retrieve(profile, options);
    const trials = await this.loadTrials(candidates.map((c) => c.nctId));
    const judgements = await mapInSlices(trials, (t) => this.judge(profile, t, options.judge), DEFAULT_SLICE_MS, options.signal);
    const { index, about } = await this.retriever.bm25Index();
    const sharedWith = statementMatcher(index, patientStatements(profile));
    const shared = new Map(candidates.flatMap((c) => {
      const found = sharedWith(c.nctId, { maxShare: SHARED_WORD_MAX_SHARE, about: about.get(c.nctId) ?? new Set() });
      return found ? [[c.nctId, found] as const] : [];
    }));
    return { patient: profile, candidates, trials, judgements, ranking: this.rank(candidates, judgements, options.rank), sharedWords: shared };
  }
}

/** The patient's statements whose words may be shared with a trial: the coded conditions and medications together, then each note sentence. */
export function patientStatements(profile: PatientProfile): PatientStatement[] {
  const coded = profileQueryText({ ...profile, sentences: [] });
  return [
    ...(coded ? [{ kind: 'record' as const, source: 'record', text: coded }] : []),
    ...profile.sentences.map((s) => ({ kind: 'note' as const, source: s.source, text: s.text, sentence: s.index })),
  ];
}

// ---------------------------------------------------------------------------------------------
// Printers

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

export function formatCandidates(candidates: readonly TrialCandidate[]): string {
  const lines = ['rank  nct_id        relevance  vector  fulltext  title'];
  candidates.forEach((c, i) => {
    lines.push(
      `${String(i + 1).padStart(4)}  ${c.nctId}  ${c.relevance.toFixed(3).padStart(9)}  ${String(c.ranks.vector ?? '-').padStart(6)}  ${String(c.ranks.fulltext ?? '-').padStart(8)}  ${clip(c.title, 70)}`,
    );
  });
  return lines.join('\n');
}

const STATUS_MARK: Record<CriterionJudgement['status'], string> = { met: 'MET', 'not-met': 'NOT MET', unknown: '?' };

export function formatCriterionTable(trial: Pick<StoredTrial, 'nctId' | 'title' | 'criteria'>, judgement: TrialJudgement): string {
  const lines = [`${trial.nctId} ${clip(trial.title, 90)}`];
  for (const j of judgement.criteria) {
    const parsed = trial.criteria[j.index]?.criterion.structure;
    const ev = j.evidence[0];
    lines.push(
      `  ${String(j.index + 1).padStart(2)}. [${j.kind === 'inclusion' ? 'IN' : 'EX'}] ${STATUS_MARK[j.status].padEnd(7)} (${j.basis}) ${clip(j.text, 90)}`,
      `        parsed: ${parsed ? describeStructure(parsed) : j.category} · ${j.reason}${ev ? ` · evidence ${ev.source}: "${clip(ev.text, 100)}"` : ''}`,
    );
  }
  return lines.join('\n');
}

export function formatRanking(ranking: readonly RankedTrial[]): string {
  const lines = ['rank  nct_id        category    score  summary'];
  ranking.forEach((r, i) => {
    lines.push(`${String(i + 1).padStart(4)}  ${r.nctId}  ${r.category.padEnd(10)}  ${r.score.toFixed(1).padStart(5)}  ${r.summary}`);
  });
  return lines.join('\n');
}
