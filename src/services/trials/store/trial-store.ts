/**
 * store/ is the I/O side of trial matching: trial files (trial-files.ts), this store in the
 * database, retrieval over it (retriever.ts), note-sentence embeddings (sentence-embeddings.ts)
 * and start-up (open.ts). What it reads and writes is parsed and judged by the pure matching/.
 *
 * The trial store: trials (ResearchStudy JSON, NCT id, title, conditions, phase, status, search
 * text with its tsvector, a trial embedding) and their atomic criteria (kind, text, parsed
 * structure as jsonb, an embedding), in PGlite or PostgreSQL through one SQL path.
 *
 * `importTrials` is idempotent, and writes in batches of trials, one transaction each:
 *   - records are parsed before anything is written; an unparseable record fails the import;
 *   - the embedding model is recorded; when it changes, every stored vector is cleared and the
 *     columns retyped, so vectors of two models are never mixed (search/embedding-model.ts, the
 *     one implementation the guideline store uses too, described here by TRIAL_VECTORS);
 *   - a trial whose content hash (record + parser version) is unchanged is skipped;
 *   - a changed trial is rewritten with its criteria. A text that already has a stored vector
 *     keeps it (a criterion found word for word in any stored trial, a trial whose summary did
 *     not change), so editing one criterion re-embeds one criterion; every other text is
 *     embedded once however many criteria share it, in calls of similar lengths (embed-texts.ts);
 *   - the last batch builds the HNSW index on the trial vectors when missing and refreshes the
 *     term statistics.
 * Each trial also carries when its status was read (trials.fetched_at: the importer's fetch time,
 * else the snapshot date the record names, else the time of this import) and ClinicalTrials.gov's
 * last-update date (trials.last_update_posted), which the trial-match card and the API show.
 *
 * Embedding happens outside the transactions (it is most of the time), and each batch of trials
 * (IMPORT_BATCH) is written whole, with its criteria, or not at all. A failure (embedding service,
 * database, a crash) keeps the batches already written; the next import skips them as unchanged
 * and does the rest, finishing with the index and term statistics. A failure before the first
 * batch is written (a parse error, a model that cannot be reached) leaves the store as it was.
 * Between batches, other readers see some trials already imported and the rest as they were.
 *
 * Why exclusion text is not in the searchable text: it names the conditions a trial does NOT
 * want ("no history of heart failure"); a patient whose note shares those words is, if anything,
 * less likely to fit, so they must not raise the trial in full-text or vector retrieval.
 */
import { toVectorParam, type Database, type Queryable } from '../../../db/database.js';
import {
  embeddingDimension,
  ensureVectorIndex,
  lockVectorStore,
  prepareEmbeddingModel,
  readRecordedModel,
  vectorTypeFor,
  type VectorStore,
  type VectorType,
} from '../../../search/embedding-model.js';
import { embedTexts } from '../../../search/embed-texts.js';
import type { TermStatistics } from '../../../search/terms.js';
import type { CairnEmbeddings } from '../../../search/embeddings/types.js';
import { log as defaultLog, type Logger } from '../../../log.js';
import { progress } from '../../../progress.js';
import { mapInSlices } from '../../../slices.js';
import type { ResearchStudy } from 'fhir/r4.js';
import type { CriterionStructure, ParsedCriterion } from '../matching/criteria-parse.js';
import { ageInYears, contentHashOf, prepareTrial, type ImportedTrial, type TrialRecord } from '../matching/trial-record.js';

export const TRIAL_VECTOR_INDEX = 'trials_embedding_idx';

/**
 * The trial and criterion vectors, their model record and the HNSW index on the trial vectors:
 * the guideline store's scheme (search/embedding-model.ts), for the two trial tables.
 */
export const TRIAL_VECTORS: VectorStore = {
  name: 'trial',
  modelTable: 'trial_embedding_model',
  vectorTables: ['trials', 'trial_criteria'],
  index: { name: TRIAL_VECTOR_INDEX, table: 'trials' },
  /** Serialises imports: two instances starting together must not both write the trials. */
  writeLock: 0x7472696c, // 'tril'
  reembedAdvice: 'import the trials again',
};

/** Weights of tsvector classes D, C, B, A for ts_rank_cd: focus (A) counts 1, search text (B) 0.4. */
export const TRIAL_RANK_WEIGHTS = '{0.1, 0.2, 0.4, 1.0}';
/** ts_rank_cd normalisation 1 (divide by 1 + log length): long records do not win by length alone. */
export const TRIAL_RANK_NORMALISATION = 1;

/** How many trials each lexeme occurs in, refreshed by every import. */
export const TRIAL_TERMS: TermStatistics = { table: 'trial_terms', countColumn: 'trials' };
/** Rows per INSERT / UPDATE statement (trials; criteria take twice as many). */
const WRITE_BATCH = 200;
/**
 * Trials per transaction: what a crash or a failure loses at most (with USE-lite on 2 vCPUs,
 * 100 demo trials embed in about 20 s), and enough texts (about 1,700) to sort by length.
 */
const IMPORT_BATCH = 100;
/** Texts per embedding call: large enough for a worker pool to split across its threads. */
const DEFAULT_EMBED_CHUNK = 256;
/** Trial vectors embed the focus text and the start of the summary: what the trial is about. */
const TRIAL_EMBED_CHARS = 1500;

export interface TrialImportReport {
  /** Distinct trials in the input. */
  trials: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Records whose NCT id appeared again later in the input (the last one was kept). */
  duplicates: number;
  criteria: number;
  /** Criteria given a vector made by this import (several identical ones share one). */
  criteriaEmbedded: number;
  /** Criteria given a vector stored before this import (their own, or an identical criterion's). */
  criteriaReused: number;
  /** Distinct texts (trials' and criteria's) sent to the embedding model. */
  textsEmbedded: number;
  /** Time spent waiting for the embedding model. */
  embeddingMs: number;
  /** Transactions written (batches of trials). */
  batches: number;
  modelChanged: boolean;
  model: { id: string; dimension: number };
  durationMs: number;
}

export interface ImportOptions {
  /**
   * When these records were read from ClinicalTrials.gov (the importer's fetch time, a file's
   * stated date): every trial among them gets it as its fetch date, unchanged ones too. Unset: a
   * record's own snapshot date (TrialRecord.snapshotDate), else now, for the trials this import
   * writes; the fetch date of unchanged ones stays as it was.
   */
  fetchedAt?: Date;
  /** Texts per embedding call (default 256). */
  embedBatchSize?: number;
  /** Trials per transaction (default 100). */
  batchTrials?: number;
  log?: Logger;
}

export function trialEmbeddingText(t: { focusText: string; record: { summary?: string | undefined } }): string {
  return `${t.focusText}\n${t.record.summary ?? ''}`.slice(0, TRIAL_EMBED_CHARS);
}

export function criterionEmbeddingText(c: Pick<ParsedCriterion, 'text' | 'context'>): string {
  const heading = c.context?.split(' > ').pop();
  return heading ? `${heading}: ${c.text}` : c.text;
}

// ---------------------------------------------------------------------------------------------
// Import

function conditionCodes(t: ImportedTrial): string[] {
  const keys = new Set<string>();
  for (const c of t.researchStudy.condition ?? []) for (const coding of c.coding ?? []) if (coding.system && coding.code) keys.add(`${coding.system}|${coding.code}`);
  return [...keys];
}

/** When a trial's status was read, for the row an import writes (see ImportOptions.fetchedAt). */
export function fetchDateOf(record: Pick<TrialRecord, 'snapshotDate'>, fetchedAt: Date | undefined, now: Date): Date {
  if (fetchedAt) return fetchedAt;
  return record.snapshotDate ? new Date(`${record.snapshotDate}T00:00:00Z`) : now;
}

async function upsertTrials(
  tx: Queryable,
  trials: readonly ImportedTrial[],
  vectors: readonly (readonly number[])[],
  type: VectorType,
  fetchedAt: (t: ImportedTrial) => Date,
): Promise<void> {
  for (let i = 0; i < trials.length; i += WRITE_BATCH) {
    const batch = trials.slice(i, i + WRITE_BATCH);
    const vecs = vectors.slice(i, i + WRITE_BATCH);
    const col = <T>(f: (t: ImportedTrial) => T): T[] => batch.map(f);
    await tx.query(
      `INSERT INTO trials (nct_id, title, conditions, condition_codes, phase, status, sex, min_age_years, max_age_years,
                           research_study, record, source, content_hash, focus_text, search_text, embedding, imported_at,
                           last_update_posted, fetched_at)
       SELECT u.nct_id, u.title, ARRAY(SELECT jsonb_array_elements_text(u.conditions::jsonb)),
              ARRAY(SELECT jsonb_array_elements_text(u.codes::jsonb)), u.phase, u.status, u.sex, u.min_age, u.max_age,
              u.research_study::jsonb, u.record::jsonb, u.source, u.content_hash, u.focus_text, u.search_text,
              u.embedding::${type}, now(), u.last_update_posted, u.fetched_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::real[], $9::real[],
                   $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], string_to_array($16, '|'),
                   $17::date[], $18::timestamptz[])
         AS u(nct_id, title, conditions, codes, phase, status, sex, min_age, max_age, research_study, record, source,
              content_hash, focus_text, search_text, embedding, last_update_posted, fetched_at)
       ON CONFLICT (nct_id) DO UPDATE SET
         title = EXCLUDED.title, conditions = EXCLUDED.conditions, condition_codes = EXCLUDED.condition_codes,
         phase = EXCLUDED.phase, status = EXCLUDED.status, sex = EXCLUDED.sex, min_age_years = EXCLUDED.min_age_years,
         max_age_years = EXCLUDED.max_age_years, research_study = EXCLUDED.research_study, record = EXCLUDED.record,
         source = EXCLUDED.source, content_hash = EXCLUDED.content_hash, focus_text = EXCLUDED.focus_text,
         search_text = EXCLUDED.search_text, embedding = EXCLUDED.embedding, imported_at = now(),
         last_update_posted = EXCLUDED.last_update_posted, fetched_at = EXCLUDED.fetched_at`,
      [
        col((t) => t.record.nctId),
        col((t) => t.record.title),
        col((t) => JSON.stringify(t.record.conditions)),
        col((t) => JSON.stringify(conditionCodes(t))),
        col((t) => t.record.phase ?? null),
        col((t) => t.record.overallStatus),
        col((t) => t.record.sex),
        col((t) => ageInYears(t.record.minimumAge) ?? null),
        col((t) => ageInYears(t.record.maximumAge) ?? null),
        col((t) => JSON.stringify(t.researchStudy)),
        col((t) => JSON.stringify(t.record)),
        col((t) => t.record.source),
        col((t) => t.contentHash),
        col((t) => t.focusText),
        col((t) => t.searchText),
        // One '|'-joined string: see the guideline store for why not a text[] of vectors.
        vecs.map((v) => toVectorParam(v)).join('|'),
        col((t) => t.record.lastUpdatePosted ?? null),
        col((t) => fetchedAt(t).toISOString()),
      ],
    );
  }
}

interface CriterionRow {
  nctId: string;
  ordinal: number;
  criterion: ParsedCriterion;
  embedding: readonly number[];
}

async function insertCriteria(tx: Queryable, rows: readonly CriterionRow[], type: VectorType): Promise<void> {
  for (let i = 0; i < rows.length; i += WRITE_BATCH * 2) {
    const batch = rows.slice(i, i + WRITE_BATCH * 2);
    const col = <T>(f: (r: CriterionRow) => T): T[] => batch.map(f);
    await tx.query(
      `INSERT INTO trial_criteria (nct_id, ordinal, kind, origin, text, context, alternative_group, category, parsed, embedding)
       SELECT u.nct_id, u.ordinal, u.kind, u.origin, u.text, u.context, u.alternative_group, u.category, u.parsed::jsonb, u.embedding::${type}
       FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], string_to_array($10, '|'))
         AS u(nct_id, ordinal, kind, origin, text, context, alternative_group, category, parsed, embedding)`,
      [
        col((r) => r.nctId),
        col((r) => r.ordinal),
        col((r) => r.criterion.kind),
        col((r) => r.criterion.origin),
        col((r) => r.criterion.text),
        col((r) => r.criterion.context ?? null),
        col((r) => r.criterion.alternatives ?? null),
        col((r) => r.criterion.structure.category),
        col((r) => JSON.stringify(r.criterion.structure)),
        batch.map((r) => toVectorParam(r.embedding)).join('|'),
      ],
    );
  }
}

/** A trial the import gives vectors to: an imported one (rows written whole) or a stored one missing vectors. */
interface WorkTrial {
  nctId: string;
  /** Set for an imported trial: its rows are written whole. Unset: only the missing vectors are filled in. */
  imported?: ImportedTrial;
  /** The trial vector's text, when the trial needs one. */
  trialText?: string;
  /** Criteria that need a vector, by ordinal, with their text as stored and as embedded. */
  criteria: Array<{ ordinal: number; text: string; embedText: string }>;
}

/** Stored criterion vectors of the same model, by the text they embed: any trial's identical criterion gives its vector. */
async function storedCriterionVectors(db: Queryable, texts: readonly string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (texts.length === 0) return out;
  const res = await db.query<{ text: string; context: string | null; embedding: number[] }>(
    'SELECT DISTINCT ON (text, context) text, context, embedding FROM trial_criteria WHERE embedding IS NOT NULL AND text = ANY($1::text[])',
    [[...new Set(texts)]],
  );
  for (const r of res.rows) out.set(criterionEmbeddingText({ text: r.text, ...(r.context !== null && { context: r.context }) }), r.embedding);
  return out;
}

/** The texts `storedCriterionVectors` would find, without the vectors: what an import will not have to embed. */
async function storedCriterionTexts(db: Queryable, texts: readonly string[]): Promise<Set<string>> {
  if (texts.length === 0) return new Set();
  const res = await db.query<{ text: string; context: string | null }>('SELECT DISTINCT text, context FROM trial_criteria WHERE embedding IS NOT NULL AND text = ANY($1::text[])', [
    [...new Set(texts)],
  ]);
  return new Set(res.rows.map((r) => criterionEmbeddingText({ text: r.text, ...(r.context !== null && { context: r.context }) })));
}

/** Stored trial vectors whose text is still the trial's (a trial whose status or criteria changed keeps its vector). */
async function storedTrialVectors(db: Queryable, work: readonly WorkTrial[], withVectors: boolean): Promise<Map<string, number[] | true>> {
  const wanted = new Map(work.flatMap((w) => (w.trialText !== undefined ? [[w.nctId, w.trialText] as const] : [])));
  const out = new Map<string, number[] | true>();
  if (wanted.size === 0) return out;
  const res = await db.query<{ nct_id: string; focus_text: string; summary: string | null; embedding?: number[] }>(
    `SELECT nct_id, focus_text, record->>'summary' AS summary${withVectors ? ', embedding' : ''} FROM trials WHERE nct_id = ANY($1::text[]) AND embedding IS NOT NULL`,
    [[...wanted.keys()]],
  );
  for (const r of res.rows) {
    const text = trialEmbeddingText({ focusText: r.focus_text, record: { summary: r.summary ?? undefined } });
    if (text === wanted.get(r.nct_id)) out.set(r.nct_id, r.embedding ?? true);
  }
  return out;
}

/** Stored trials outside the import that miss a vector (every stored trial, when the model changes). */
async function remainingWork(db: Queryable, importedIds: readonly string[], all: boolean): Promise<WorkTrial[]> {
  const trials = await db.query<{ nct_id: string; focus_text: string; summary: string | null; missing: boolean }>(
    `SELECT t.nct_id, t.focus_text, t.record->>'summary' AS summary, (t.embedding IS NULL) AS missing FROM trials t
     WHERE NOT (t.nct_id = ANY($1::text[]))
       AND ($2 OR t.embedding IS NULL OR EXISTS (SELECT 1 FROM trial_criteria c WHERE c.nct_id = t.nct_id AND c.embedding IS NULL))
     ORDER BY t.nct_id`,
    [[...importedIds], all],
  );
  if (trials.rows.length === 0) return [];
  const criteria = await db.query<{ nct_id: string; ordinal: number; text: string; context: string | null }>(
    'SELECT nct_id, ordinal, text, context FROM trial_criteria WHERE nct_id = ANY($1::text[]) AND ($2 OR embedding IS NULL) ORDER BY nct_id, ordinal',
    [trials.rows.map((t) => t.nct_id), all],
  );
  const byTrial = new Map<string, WorkTrial['criteria']>();
  for (const c of criteria.rows) {
    const list = byTrial.get(c.nct_id) ?? [];
    list.push({ ordinal: Number(c.ordinal), text: c.text, embedText: criterionEmbeddingText({ text: c.text, ...(c.context !== null && { context: c.context }) }) });
    byTrial.set(c.nct_id, list);
  }
  return trials.rows.map((t) => ({
    nctId: t.nct_id,
    ...((all || t.missing) && { trialText: trialEmbeddingText({ focusText: t.focus_text, record: { summary: t.summary ?? undefined } }) }),
    criteria: byTrial.get(t.nct_id) ?? [],
  }));
}

function importedWork(t: ImportedTrial): WorkTrial {
  return {
    nctId: t.record.nctId,
    imported: t,
    trialText: trialEmbeddingText(t),
    criteria: t.criteria.map((c, ordinal) => ({ ordinal, text: c.text, embedText: criterionEmbeddingText(c) })),
  };
}

/** Imports records (see the module comment). */
export async function importTrials(db: Database, records: readonly TrialRecord[], embedder: CairnEmbeddings, options: ImportOptions = {}): Promise<TrialImportReport> {
  const started = performance.now();
  const logger = options.log ?? defaultLog;
  const chunkSize = options.embedBatchSize ?? DEFAULT_EMBED_CHUNK;
  const batchTrials = options.batchTrials ?? IMPORT_BATCH;
  const byId = new Map<string, TrialRecord>();
  let duplicates = 0;
  for (const r of records) {
    if (byId.has(r.nctId)) duplicates++;
    byId.set(r.nctId, r);
  }
  const startedAt = new Date();
  const unchanged = await unchangedImport(db, [...byId.values()], embedder);
  if (unchanged) {
    if (options.fetchedAt) await markFetched(db, [...byId.keys()], options.fetchedAt);
    return { ...unchanged, duplicates, durationMs: Math.round(performance.now() - started) };
  }
  // Parse everything before writing anything: a bad record fails fast and writes nothing.
  const prepared = await prepareTrials([...byId.values()]);

  const dimension = await embeddingDimension(db, TRIAL_VECTORS, embedder);
  const type = vectorTypeFor(dimension);
  const recorded = await readRecordedModel(db, TRIAL_VECTORS);
  const modelChanged = recorded?.modelId !== embedder.modelId || recorded.dimension !== dimension;
  const r: Omit<TrialImportReport, 'durationMs'> = {
    trials: prepared.length,
    added: 0,
    updated: 0,
    unchanged: 0,
    duplicates,
    criteria: 0,
    criteriaEmbedded: 0,
    criteriaReused: 0,
    textsEmbedded: 0,
    embeddingMs: 0,
    batches: 0,
    modelChanged: modelChanged && recorded !== undefined,
    model: { id: embedder.modelId, dimension },
  };
  const stored = new Map(
    (
      await db.query<{ nct_id: string; content_hash: string; embedded: boolean }>(
        'SELECT nct_id, content_hash, embedding IS NOT NULL AS embedded FROM trials WHERE nct_id = ANY($1::text[])',
        [prepared.map((t) => t.record.nctId)],
      )
    ).rows.map((row) => [row.nct_id, row]),
  );
  const changed: ImportedTrial[] = [];
  for (const t of prepared) {
    r.criteria += t.criteria.length;
    const before = stored.get(t.record.nctId);
    if (before && before.content_hash === t.contentHash && before.embedded && !modelChanged) {
      r.unchanged++;
      continue;
    }
    if (before) r.updated++;
    else r.added++;
    changed.push(t);
  }
  // Changed trials first, then stored ones missing vectors (all of them after a model change).
  const work = [...changed.map(importedWork), ...(await remainingWork(db, changed.map((t) => t.record.nctId), modelChanged))];
  const units: WorkTrial[][] = [];
  for (let i = 0; i < work.length; i += batchTrials) units.push(work.slice(i, i + batchTrials));

  // Each text is embedded once, by the first batch that needs it, unless a stored vector has it
  // already (none does after a model change: the first batch clears them). A later batch takes
  // the vectors of earlier ones from the store, where they are by then.
  const reusable = modelChanged ? new Set<string>() : await storedCriterionTexts(db, work.flatMap((w) => w.criteria.map((c) => c.text)));
  const keptTrials = modelChanged ? new Set<string>() : new Set((await storedTrialVectors(db, work, false)).keys());
  const assigned = new Set<string>();
  const plans = units.map((unit) => {
    const texts = new Set<string>();
    for (const w of unit) {
      if (w.trialText !== undefined && !keptTrials.has(w.nctId)) texts.add(w.trialText);
      for (const c of w.criteria) {
        if (reusable.has(c.embedText) || assigned.has(c.embedText)) continue;
        assigned.add(c.embedText);
        texts.add(c.embedText);
      }
    }
    return texts;
  });
  const total = plans.reduce((n, p) => n + p.size, 0);
  if (work.length > 0) {
    logger.info({ trials: changed.length, storedMissingVectors: work.length - changed.length, texts: total, batches: units.length, model: embedder.modelId }, 'embedding trials');
  }
  const progressLine = progress({ log: logger, what: 'trial and criterion texts embedded', total });
  /** Criterion texts embedded by this import: a criterion given one of their vectors counts as embedded, not reused. */
  const fresh = new Set<string>();
  const abort = new AbortController();
  const embedUnit = (u: number) =>
    embedTexts(embedder, plans[u] ?? [], { chunkSize, dimension, signal: abort.signal, onEmbedded: (n) => progressLine.advance(n) }).then((made) => {
      r.embeddingMs += made.embeddingMs;
      r.textsEmbedded += made.vectors.size;
      return made.vectors;
    });

  // One transaction per batch of trials: a failure or a crash loses that batch only, and the next
  // import resumes (what was written is unchanged then). The last batch also builds the index and
  // refreshes the term statistics, so no import can end, or be cut off, with these stale. The next
  // batch is embedded while one is written.
  let next: Promise<Map<string, number[]>> | undefined = units.length > 0 ? embedUnit(0) : undefined;
  try {
    for (let u = 0; u < Math.max(units.length, 1); u++) {
      const unit = units[u] ?? [];
      const made = (await next) ?? new Map<string, number[]>();
      next = u + 1 < units.length ? embedUnit(u + 1) : undefined;
      next?.catch(() => undefined); // awaited in turn; a failure meanwhile must not go unhandled
      await db.transaction(async (tx) => {
        await lockVectorStore(tx, TRIAL_VECTORS);
        if (u === 0) {
          const { changed: nowChanged, previous } = await prepareEmbeddingModel(tx, TRIAL_VECTORS, { modelId: embedder.modelId, dimension });
          if (nowChanged !== modelChanged) throw new Error('the trial embedding model was changed by another process during this import: run it again');
          if (nowChanged && previous) logger.warn({ from: previous.modelId, to: embedder.modelId }, 'embedding model changed: re-embedding every trial');
        } else {
          const now = await readRecordedModel(tx, TRIAL_VECTORS);
          if (now?.modelId !== embedder.modelId || now.dimension !== dimension) throw new Error('the trial embedding model was changed by another process during this import: run it again');
        }
        await writeUnit(tx, unit, made, type, { embedder, chunkSize, dimension, fresh, report: r, fetchedAt: (t) => fetchDateOf(t.record, options.fetchedAt, startedAt) });
        if (u >= units.length - 1) {
          if (await ensureVectorIndex(tx, TRIAL_VECTORS, dimension)) logger.info({ dimension }, 'built the trial vector index');
          if (changed.length > 0 || modelChanged) {
            await tx.query('DELETE FROM trial_terms');
            await tx.query("INSERT INTO trial_terms (lexeme, trials) SELECT word, ndoc FROM ts_stat('SELECT tsv FROM trials')");
            await tx.query('ANALYZE trials');
          }
        }
      });
      r.batches++;
      logger.debug({ batch: u + 1, of: units.length, trials: unit.length }, 'trial batch written');
    }
  } catch (err) {
    abort.abort();
    await next?.catch(() => undefined);
    throw err;
  }
  // The unchanged trials were read again too: their status is confirmed as of then.
  if (options.fetchedAt) await markFetched(db, [...byId.keys()], options.fetchedAt);
  r.embeddingMs = Math.round(r.embeddingMs);
  return { ...r, durationMs: Math.round(performance.now() - started) };
}

/** prepareTrial over every record, a slice at a time (slices.ts: a trial's criteria take about 10 ms). */
const prepareTrials = (records: readonly TrialRecord[]): Promise<ImportedTrial[]> => mapInSlices(records, prepareTrial);

/**
 * Records that the trials `nctIds` were read from ClinicalTrials.gov at `at` (a refresh found
 * them unchanged): their status is confirmed as of then. A later date already stored is kept.
 */
export async function markFetched(db: Queryable, nctIds: readonly string[], at: Date): Promise<number> {
  if (nctIds.length === 0) return 0;
  const res = await db.query('UPDATE trials SET fetched_at = $2 WHERE nct_id = ANY($1::text[]) AND fetched_at < $2', [[...new Set(nctIds)], at.toISOString()]);
  return res.rowCount ?? 0;
}

/** What an incremental import compares a registry listing against: each stored trial's status, last-update date and source. */
export interface StoredRegistryState {
  status: string;
  /** YYYY-MM-DD; null when the record had none (a corpus record). */
  lastUpdatePosted: string | null;
  source: string;
}

export async function storedRegistryStates(db: Queryable, nctIds: readonly string[]): Promise<Map<string, StoredRegistryState>> {
  if (nctIds.length === 0) return new Map();
  const res = await db.query<{ nct_id: string; status: string; last_update_posted: string | null; source: string }>(
    `SELECT nct_id, status, to_char(last_update_posted, 'YYYY-MM-DD') AS last_update_posted, source FROM trials WHERE nct_id = ANY($1::text[])`,
    [[...new Set(nctIds)]],
  );
  return new Map(res.rows.map((r) => [r.nct_id, { status: r.status, lastUpdatePosted: r.last_update_posted, source: r.source }]));
}

/** Stored trials read from the ClinicalTrials.gov API whose status is one of `statuses`, in NCT id order. */
export async function storedRegistryTrials(db: Queryable, statuses: readonly string[] | 'all'): Promise<string[]> {
  const res = await db.query<{ nct_id: string }>(
    `SELECT nct_id FROM trials WHERE source = 'ctgov-api-v2' AND ($1::text[] IS NULL OR status = ANY($1::text[])) ORDER BY nct_id`,
    [statuses === 'all' ? null : [...statuses]],
  );
  return res.rows.map((r) => r.nct_id);
}

/**
 * Writes one batch of trials inside its transaction: the imported trials whole (trial row,
 * criteria), the stored ones' missing vectors. Vectors come from `made` (embedded for this batch)
 * or from the store (kept, or made by an earlier batch); a text found in neither (a stored vector
 * removed meanwhile by another process) is embedded here.
 */
async function writeUnit(
  tx: Queryable,
  unit: readonly WorkTrial[],
  made: ReadonlyMap<string, number[]>,
  type: VectorType,
  ctx: {
    embedder: CairnEmbeddings;
    chunkSize: number;
    dimension: number;
    fresh: Set<string>;
    report: Omit<TrialImportReport, 'durationMs'>;
    fetchedAt: (t: ImportedTrial) => Date;
  },
): Promise<void> {
  const { report: r, fresh } = ctx;
  const criterionVectors = await storedCriterionVectors(
    tx,
    unit.flatMap((w) => w.criteria.filter((c) => !made.has(c.embedText)).map((c) => c.text)),
  );
  const trialVectors = await storedTrialVectors(
    tx,
    unit.filter((w) => w.trialText !== undefined && !made.has(w.trialText)),
    true,
  );
  const lacking = new Set<string>();
  for (const w of unit) {
    if (w.trialText !== undefined && !made.has(w.trialText) && !trialVectors.has(w.nctId)) lacking.add(w.trialText);
    for (const c of w.criteria) if (!made.has(c.embedText) && !criterionVectors.has(c.embedText)) lacking.add(c.embedText);
  }
  const late = lacking.size > 0 ? (await embedTexts(ctx.embedder, lacking, { chunkSize: ctx.chunkSize, dimension: ctx.dimension })).vectors : new Map<string, number[]>();
  r.textsEmbedded += late.size;
  for (const t of [...made.keys(), ...late.keys()]) fresh.add(t);
  const vectorOf = (text: string): number[] => (made.get(text) ?? late.get(text) ?? criterionVectors.get(text)) as number[];
  const trialVectorOf = (w: WorkTrial): number[] => {
    const kept = trialVectors.get(w.nctId);
    return Array.isArray(kept) ? kept : vectorOf(w.trialText as string);
  };
  for (const w of unit) {
    for (const c of w.criteria) {
      if (fresh.has(c.embedText)) r.criteriaEmbedded++;
      else r.criteriaReused++;
    }
  }
  const imported = unit.filter((w) => w.imported);
  if (imported.length > 0) {
    const trials = imported.map((w) => w.imported as ImportedTrial);
    await upsertTrials(tx, trials, imported.map(trialVectorOf), type, ctx.fetchedAt);
    await tx.query('DELETE FROM trial_criteria WHERE nct_id = ANY($1::text[])', [trials.map((t) => t.record.nctId)]);
    await insertCriteria(
      tx,
      imported.flatMap((w) =>
        (w.imported as ImportedTrial).criteria.map((criterion, ordinal) => ({ nctId: w.nctId, ordinal, criterion, embedding: vectorOf(w.criteria[ordinal]?.embedText as string) })),
      ),
      type,
    );
  }
  const filled = unit.filter((w) => !w.imported);
  if (filled.length > 0) await fillVectors(tx, filled, (w) => (w.trialText !== undefined ? trialVectorOf(w) : undefined), vectorOf, type);
}

/** Writes the vectors a stored trial was missing (its trial vector, some or all of its criteria's). */
async function fillVectors(
  tx: Queryable,
  work: readonly WorkTrial[],
  trialVector: (w: WorkTrial) => number[] | undefined,
  vectorOf: (text: string) => number[],
  type: VectorType,
): Promise<void> {
  const trials = work.flatMap((w) => {
    const v = trialVector(w);
    return v ? [{ nctId: w.nctId, v }] : [];
  });
  for (let i = 0; i < trials.length; i += WRITE_BATCH) {
    const batch = trials.slice(i, i + WRITE_BATCH);
    await tx.query(
      `UPDATE trials t SET embedding = u.embedding::${type} FROM unnest($1::text[], string_to_array($2, '|')) AS u(nct_id, embedding) WHERE t.nct_id = u.nct_id`,
      [batch.map((t) => t.nctId), batch.map((t) => toVectorParam(t.v)).join('|')],
    );
  }
  const criteria = work.flatMap((w) => w.criteria.map((c) => ({ nctId: w.nctId, ordinal: c.ordinal, v: vectorOf(c.embedText) })));
  for (let i = 0; i < criteria.length; i += WRITE_BATCH * 2) {
    const batch = criteria.slice(i, i + WRITE_BATCH * 2);
    await tx.query(
      `UPDATE trial_criteria c SET embedding = u.embedding::${type}
       FROM unnest($1::text[], $2::int[], string_to_array($3, '|')) AS u(nct_id, ordinal, embedding)
       WHERE c.nct_id = u.nct_id AND c.ordinal = u.ordinal`,
      [batch.map((c) => c.nctId), batch.map((c) => c.ordinal), batch.map((c) => toVectorParam(c.v)).join('|')],
    );
  }
}

/**
 * The fast path of a re-import (every start-up): when the store already holds every record with
 * the same content hash (record + parser version), embedded by the same model, with no vector
 * missing anywhere and the vector index built, there is nothing to do — and parsing 300 trials'
 * criteria to find that out costs seconds. Hashing the records and one query decide it. "No vector
 * missing anywhere", not only among these records: an import cut off while filling in the other
 * trials' vectors after a model change must be finished by the next one.
 */
async function unchangedImport(db: Queryable, records: readonly TrialRecord[], embedder: CairnEmbeddings): Promise<Omit<TrialImportReport, 'durationMs' | 'duplicates'> | undefined> {
  if (records.length === 0) return undefined;
  const model = await readRecordedModel(db, TRIAL_VECTORS);
  if (!model || model.modelId !== embedder.modelId) return undefined;
  const res = await db.query<{ matching: string; criteria: string; missing: string; indexed: boolean }>(
    `SELECT
       (SELECT count(*) FROM trials t JOIN unnest($1::text[], $2::text[]) AS u(nct_id, hash) ON t.nct_id = u.nct_id AND t.content_hash = u.hash
         WHERE t.embedding IS NOT NULL) AS matching,
       (SELECT count(*) FROM trial_criteria WHERE nct_id = ANY($1::text[])) AS criteria,
       (SELECT count(*) FROM trial_criteria WHERE embedding IS NULL) + (SELECT count(*) FROM trials WHERE embedding IS NULL) AS missing,
       EXISTS (SELECT 1 FROM pg_class WHERE relname = $3) AS indexed`,
    [records.map((r) => r.nctId), await mapInSlices(records, contentHashOf), TRIAL_VECTOR_INDEX],
  );
  const row = res.rows[0];
  if (!row || Number(row.matching) !== records.length || Number(row.missing) > 0 || !row.indexed) return undefined;
  return {
    trials: records.length,
    added: 0,
    updated: 0,
    unchanged: records.length,
    criteria: Number(row.criteria),
    criteriaEmbedded: 0,
    criteriaReused: 0,
    textsEmbedded: 0,
    embeddingMs: 0,
    batches: 0,
    modelChanged: false,
    model: { id: model.modelId, dimension: model.dimension },
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface StoredCriterion {
  ordinal: number;
  criterion: ParsedCriterion;
  embedding?: number[];
}

export interface StoredTrial {
  nctId: string;
  title: string;
  conditions: string[];
  phase: string | null;
  status: string;
  researchStudy: ResearchStudy;
  record: TrialRecord;
  /** trials.content_hash: the record as imported and the parser that read it (trial-record.ts contentHashOf). */
  contentHash: string;
  /** ClinicalTrials.gov's last-update date of the record (YYYY-MM-DD); null when the record had none. */
  lastUpdatePosted: string | null;
  /** When the status was read from ClinicalTrials.gov (ISO 8601 UTC): see ImportOptions.fetchedAt. */
  fetchedAt: string;
  criteria: StoredCriterion[];
}

interface TrialRow {
  nct_id: string;
  title: string;
  conditions: string[];
  phase: string | null;
  status: string;
  research_study: ResearchStudy;
  record: TrialRecord;
  content_hash: string;
  last_update_posted: string | null;
  fetched_at: Date | string;
}

/** A timestamptz as ISO 8601 UTC, whichever way the driver returned it. */
function isoTime(v: Date | string): string {
  return new Date(v).toISOString();
}

/** The columns every reader of trial rows selects for the status dates (dates as text: no time-zone shifts). */
const STATUS_DATE_COLUMNS = `to_char(last_update_posted, 'YYYY-MM-DD') AS last_update_posted, fetched_at`;

interface CriterionDbRow {
  nct_id: string;
  ordinal: number;
  kind: ParsedCriterion['kind'];
  origin: ParsedCriterion['origin'];
  text: string;
  context: string | null;
  alternative_group: string | null;
  parsed: CriterionStructure;
  embedding: number[] | null;
}

/** Trials with their criteria, in the order of `nctIds`; unknown ids are left out. */
export async function loadTrials(db: Queryable, nctIds: readonly string[]): Promise<StoredTrial[]> {
  if (nctIds.length === 0) return [];
  const ids = [...new Set(nctIds)];
  const [trials, criteria] = await Promise.all([
    db.query<TrialRow>(`SELECT nct_id, title, conditions, phase, status, research_study, record, content_hash, ${STATUS_DATE_COLUMNS} FROM trials WHERE nct_id = ANY($1::text[])`, [ids]),
    db.query<CriterionDbRow>(
      'SELECT nct_id, ordinal, kind, origin, text, context, alternative_group, parsed, embedding FROM trial_criteria WHERE nct_id = ANY($1::text[]) ORDER BY nct_id, ordinal',
      [ids],
    ),
  ]);
  const byTrial = new Map<string, StoredCriterion[]>();
  for (const c of criteria.rows) {
    const list = byTrial.get(c.nct_id) ?? [];
    list.push({
      ordinal: c.ordinal,
      criterion: {
        kind: c.kind,
        text: c.text,
        origin: c.origin,
        ...(c.context !== null && { context: c.context }),
        ...(c.alternative_group !== null && { alternatives: c.alternative_group }),
        structure: c.parsed,
      },
      ...(c.embedding !== null && { embedding: c.embedding }),
    });
    byTrial.set(c.nct_id, list);
  }
  const found = new Map(
    trials.rows.map((t) => [
      t.nct_id,
      {
        nctId: t.nct_id,
        title: t.title,
        conditions: t.conditions,
        phase: t.phase,
        status: t.status,
        researchStudy: t.research_study,
        record: t.record,
        contentHash: t.content_hash,
        lastUpdatePosted: t.last_update_posted,
        fetchedAt: isoTime(t.fetched_at),
        criteria: byTrial.get(t.nct_id) ?? [],
      },
    ]),
  );
  return nctIds.map((id) => found.get(id)).filter((t): t is StoredTrial => t !== undefined);
}

/** The content hash of each stored trial among `nctIds` (cheap: no vectors, no JSON). */
export async function trialVersions(db: Queryable, nctIds: readonly string[]): Promise<Map<string, string>> {
  if (nctIds.length === 0) return new Map();
  const res = await db.query<{ nct_id: string; content_hash: string }>('SELECT nct_id, content_hash FROM trials WHERE nct_id = ANY($1::text[])', [[...new Set(nctIds)]]);
  return new Map(res.rows.map((r) => [r.nct_id, r.content_hash]));
}

/**
 * What a cache of loaded trials checks against, for each stored trial among `nctIds`: its content
 * hash and its fetch date (a refresh that finds a record unchanged moves only the date, which the
 * card shows).
 */
export async function trialCacheKeys(db: Queryable, nctIds: readonly string[]): Promise<Map<string, string>> {
  if (nctIds.length === 0) return new Map();
  const res = await db.query<{ nct_id: string; content_hash: string; fetched_at: Date | string }>('SELECT nct_id, content_hash, fetched_at FROM trials WHERE nct_id = ANY($1::text[])', [
    [...new Set(nctIds)],
  ]);
  return new Map(res.rows.map((r) => [r.nct_id, `${r.content_hash}@${isoTime(r.fetched_at)}`]));
}

export async function loadTrial(db: Queryable, nctId: string): Promise<StoredTrial | undefined> {
  return (await loadTrials(db, [nctId]))[0];
}

export async function countTrials(db: Queryable): Promise<{ trials: number; criteria: number }> {
  const res = await db.query<{ trials: string; criteria: string }>('SELECT (SELECT count(*) FROM trials) AS trials, (SELECT count(*) FROM trial_criteria) AS criteria');
  return { trials: Number(res.rows[0]?.trials ?? 0), criteria: Number(res.rows[0]?.criteria ?? 0) };
}

// ---------------------------------------------------------------------------------------------
// Listing (the API for apps' trial browser)

export interface TrialListQuery {
  /** Words to search for (web-search syntax: quotes, `or`, `-word`); absent: every trial. */
  text?: string;
  /** Only trials with one of these ClinicalTrials.gov statuses. */
  statuses?: readonly string[];
  offset: number;
  limit: number;
}

export interface TrialListEntry {
  nctId: string;
  title: string;
  status: string;
  phase: string | null;
  conditions: string[];
  sex: 'all' | 'female' | 'male';
  minAgeYears: number | null;
  maxAgeYears: number | null;
  criteria: number;
  contentHash: string;
  /** See StoredTrial. */
  lastUpdatePosted: string | null;
  fetchedAt: string;
}

/**
 * One page of trials: matching `text` (full text over what the trial is about and its summary
 * and inclusion criteria, as the card's retrieval searches, best match first), else all in NCT id
 * order; with the count of all that match. Unlike the card's hybrid retrieval this is exact
 * keyword search, so pages are stable and a coordinator finds a trial by its words or its id.
 */
export async function listTrials(db: Queryable, query: TrialListQuery): Promise<{ total: number; trials: TrialListEntry[] }> {
  const text = query.text?.trim() || null;
  const nctId = text && /^NCT\d{8}$/i.test(text) ? text.toUpperCase() : null;
  const res = await db.query<{
    nct_id: string;
    title: string;
    status: string;
    phase: string | null;
    conditions: string[];
    sex: TrialListEntry['sex'];
    min_age_years: number | null;
    max_age_years: number | null;
    criteria: string;
    content_hash: string;
    last_update_posted: string | null;
    fetched_at: Date | string;
    total: string;
  }>(
    `WITH q AS (SELECT CASE WHEN $1::text IS NULL THEN NULL ELSE websearch_to_tsquery('english'::regconfig, $1::text) END AS tsq)
     SELECT t.nct_id, t.title, t.status, t.phase, t.conditions, t.sex, t.min_age_years, t.max_age_years, t.content_hash,
            to_char(t.last_update_posted, 'YYYY-MM-DD') AS last_update_posted, t.fetched_at,
            (SELECT count(*) FROM trial_criteria c WHERE c.nct_id = t.nct_id) AS criteria,
            count(*) OVER () AS total
       FROM trials t, q
      WHERE ($1::text IS NULL OR t.tsv @@ q.tsq OR t.nct_id = $2::text)
        AND ($3::text[] IS NULL OR t.status = ANY($3::text[]))
      ORDER BY CASE WHEN q.tsq IS NULL THEN 0 ELSE ts_rank_cd('${TRIAL_RANK_WEIGHTS}'::float4[], t.tsv, q.tsq, ${TRIAL_RANK_NORMALISATION}) END DESC, t.nct_id
      OFFSET $4 LIMIT $5`,
    [text, nctId, query.statuses && query.statuses.length > 0 ? [...query.statuses] : null, query.offset, query.limit],
  );
  let total = Number(res.rows[0]?.total ?? 0);
  if (res.rows.length === 0 && query.offset > 0) {
    // Past the last page the window function sees no row: count separately so the caller still learns the total.
    const count = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM trials t
        WHERE ($1::text IS NULL OR t.tsv @@ websearch_to_tsquery('english'::regconfig, $1::text) OR t.nct_id = $2::text)
          AND ($3::text[] IS NULL OR t.status = ANY($3::text[]))`,
      [text, nctId, query.statuses && query.statuses.length > 0 ? [...query.statuses] : null],
    );
    total = Number(count.rows[0]?.n ?? 0);
  }
  return {
    total,
    trials: res.rows.map((r) => ({
      nctId: r.nct_id,
      title: r.title,
      status: r.status,
      phase: r.phase,
      conditions: r.conditions,
      sex: r.sex,
      minAgeYears: r.min_age_years === null ? null : Number(r.min_age_years),
      maxAgeYears: r.max_age_years === null ? null : Number(r.max_age_years),
      criteria: Number(r.criteria),
      contentHash: r.content_hash,
      lastUpdatePosted: r.last_update_posted,
      fetchedAt: isoTime(r.fetched_at),
    })),
  };
}
