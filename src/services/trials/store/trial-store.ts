/**
 * store/ is the I/O side of trial matching: trial files (trial-files.ts), this store in the
 * database, retrieval over it (retriever.ts), note-sentence embeddings (sentence-embeddings.ts)
 * and start-up (open.ts). What it reads and writes is parsed and judged by the pure matching/.
 *
 * The trial store: trials (ResearchStudy JSON, NCT id, title, conditions, phase, status, search
 * text with its tsvector, a trial embedding) and their atomic criteria (kind, text, parsed
 * structure as jsonb, an embedding), in PGlite or PostgreSQL through one SQL path.
 *
 * `importTrials` is idempotent and runs in ONE transaction:
 *   - records are parsed before anything is written; an unparseable record fails the import;
 *   - the embedding model is recorded; when it changes, every stored vector is cleared and the
 *     columns retyped, so vectors of two models are never mixed (search/embedding-model.ts, the
 *     one implementation the guideline store uses too, described here by TRIAL_VECTORS);
 *   - a trial whose content hash (record + parser version) is unchanged is skipped;
 *   - a changed trial is rewritten with its criteria; criteria whose text did not change keep their
 *     vectors, so editing one criterion re-embeds one criterion;
 *   - the HNSW index on the trial vectors is built when missing, term statistics refreshed.
 * A failure anywhere (parse, embedding service, database) leaves the store as it was.
 *
 * Why exclusion text is not in the searchable text: it names the conditions a trial does NOT
 * want ("no history of heart failure"); a patient whose note shares those words is, if anything,
 * less likely to fit, so they must not raise the trial in full-text or vector retrieval.
 */
import { toVectorParam, type Database, type Queryable, type Transaction } from '../../../db/database.js';
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
import type { TermStatistics } from '../../../search/terms.js';
import type { CairnEmbeddings } from '../../../search/embeddings/types.js';
import { checkVectors } from '../../../search/embeddings/types.js';
import { log as defaultLog, type Logger } from '../../../log.js';
import { progress } from '../../../progress.js';
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

/** How many trials each lexeme occurs in, refreshed by every import. */
export const TRIAL_TERMS: TermStatistics = { table: 'trial_terms', countColumn: 'trials' };
const WRITE_BATCH = 200;
const DEFAULT_EMBED_BATCH = 64;
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
  criteriaEmbedded: number;
  criteriaReused: number;
  modelChanged: boolean;
  model: { id: string; dimension: number };
  durationMs: number;
}

export interface ImportOptions {
  embedBatchSize?: number;
  log?: Logger;
}

export function trialEmbeddingText(t: Pick<ImportedTrial, 'focusText' | 'record'>): string {
  return `${t.focusText}\n${t.record.summary ?? ''}`.slice(0, TRIAL_EMBED_CHARS);
}

export function criterionEmbeddingText(c: Pick<ParsedCriterion, 'text' | 'context'>): string {
  const heading = c.context?.split(' > ').pop();
  return heading ? `${heading}: ${c.text}` : c.text;
}

// ---------------------------------------------------------------------------------------------
// Import

function criterionKey(c: { kind: string; text: string; context?: string | null }): string {
  return `${c.kind}\u0000${c.context ?? ''}\u0000${c.text}`;
}

function conditionCodes(t: ImportedTrial): string[] {
  const keys = new Set<string>();
  for (const c of t.researchStudy.condition ?? []) for (const coding of c.coding ?? []) if (coding.system && coding.code) keys.add(`${coding.system}|${coding.code}`);
  return [...keys];
}

async function upsertTrials(tx: Queryable, trials: readonly ImportedTrial[], vectors: readonly (readonly number[])[], type: VectorType): Promise<void> {
  for (let i = 0; i < trials.length; i += WRITE_BATCH) {
    const batch = trials.slice(i, i + WRITE_BATCH);
    const vecs = vectors.slice(i, i + WRITE_BATCH);
    const col = <T>(f: (t: ImportedTrial) => T): T[] => batch.map(f);
    await tx.query(
      `INSERT INTO trials (nct_id, title, conditions, condition_codes, phase, status, sex, min_age_years, max_age_years,
                           research_study, record, source, content_hash, focus_text, search_text, embedding, imported_at)
       SELECT u.nct_id, u.title, ARRAY(SELECT jsonb_array_elements_text(u.conditions::jsonb)),
              ARRAY(SELECT jsonb_array_elements_text(u.codes::jsonb)), u.phase, u.status, u.sex, u.min_age, u.max_age,
              u.research_study::jsonb, u.record::jsonb, u.source, u.content_hash, u.focus_text, u.search_text,
              u.embedding::${type}, now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::real[], $9::real[],
                   $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], string_to_array($16, '|'))
         AS u(nct_id, title, conditions, codes, phase, status, sex, min_age, max_age, research_study, record, source,
              content_hash, focus_text, search_text, embedding)
       ON CONFLICT (nct_id) DO UPDATE SET
         title = EXCLUDED.title, conditions = EXCLUDED.conditions, condition_codes = EXCLUDED.condition_codes,
         phase = EXCLUDED.phase, status = EXCLUDED.status, sex = EXCLUDED.sex, min_age_years = EXCLUDED.min_age_years,
         max_age_years = EXCLUDED.max_age_years, research_study = EXCLUDED.research_study, record = EXCLUDED.record,
         source = EXCLUDED.source, content_hash = EXCLUDED.content_hash, focus_text = EXCLUDED.focus_text,
         search_text = EXCLUDED.search_text, embedding = EXCLUDED.embedding, imported_at = now()`,
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

async function readCriterionVectors(tx: Queryable, nctIds: readonly string[]): Promise<Map<string, Map<string, number[]>>> {
  const out = new Map<string, Map<string, number[]>>();
  if (nctIds.length === 0) return out;
  const res = await tx.query<{ nct_id: string; kind: string; text: string; context: string | null; embedding: number[] | null }>(
    'SELECT nct_id, kind, text, context, embedding FROM trial_criteria WHERE nct_id = ANY($1::text[]) AND embedding IS NOT NULL',
    [[...nctIds]],
  );
  for (const r of res.rows) {
    if (!r.embedding) continue;
    let m = out.get(r.nct_id);
    if (!m) out.set(r.nct_id, (m = new Map()));
    m.set(criterionKey(r), r.embedding);
  }
  return out;
}

/** Imports records (see the module comment). */
export async function importTrials(db: Database, records: readonly TrialRecord[], embedder: CairnEmbeddings, options: ImportOptions = {}): Promise<TrialImportReport> {
  const started = performance.now();
  const logger = options.log ?? defaultLog;
  const batchSize = options.embedBatchSize ?? DEFAULT_EMBED_BATCH;
  const byId = new Map<string, TrialRecord>();
  let duplicates = 0;
  for (const r of records) {
    if (byId.has(r.nctId)) duplicates++;
    byId.set(r.nctId, r);
  }
  const unchanged = await unchangedImport(db, [...byId.values()], embedder);
  if (unchanged) return { ...unchanged, duplicates, durationMs: Math.round(performance.now() - started) };
  // Parse everything before the transaction: a bad record fails fast and writes nothing.
  const prepared = [...byId.values()].map(prepareTrial);

  const dimension = await embeddingDimension(db, TRIAL_VECTORS, embedder);
  const type = vectorTypeFor(dimension);
  // Criteria are counted as they are found, so the total is not known ahead: the lines give the count so far.
  const embedded = progress({ log: logger, what: 'trial and criterion texts embedded' });
  const embed = async (texts: string[]): Promise<number[][]> => {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const vectors = await embedder.embedDocuments(texts.slice(i, i + batchSize));
      checkVectors(embedder.modelId, vectors, Math.min(batchSize, texts.length - i), dimension);
      out.push(...vectors);
      embedded.advance(vectors.length);
    }
    return out;
  };

  const report = await db.transaction(async (tx) => {
    await lockVectorStore(tx, TRIAL_VECTORS);
    const { changed: modelChanged, previous } = await prepareEmbeddingModel(tx, TRIAL_VECTORS, { modelId: embedder.modelId, dimension });
    if (modelChanged && previous) logger.warn({ from: previous.modelId, to: embedder.modelId }, 'embedding model changed: re-embedding every trial');
    const r: Omit<TrialImportReport, 'durationMs'> = {
      trials: prepared.length,
      added: 0,
      updated: 0,
      unchanged: 0,
      duplicates,
      criteria: 0,
      criteriaEmbedded: 0,
      criteriaReused: 0,
      modelChanged: modelChanged && previous !== undefined,
      model: { id: embedder.modelId, dimension },
    };
    const stored = new Map(
      (
        await tx.query<{ nct_id: string; content_hash: string; embedded: boolean }>(
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
    if (changed.length > 0) logger.info({ trials: changed.length, model: embedder.modelId }, 'embedding trials');
    const oldVectors = modelChanged ? new Map<string, Map<string, number[]>>() : await readCriterionVectors(tx, changed.map((t) => t.record.nctId));
    // Trial by trial in batches: memory stays bounded however large the input.
    for (let i = 0; i < changed.length; i += WRITE_BATCH) {
      const batch = changed.slice(i, i + WRITE_BATCH);
      const trialVectors = await embed(batch.map(trialEmbeddingText));
      const rows: CriterionRow[] = [];
      const missing: Array<{ row: number; text: string }> = [];
      for (const t of batch) {
        const reuse = oldVectors.get(t.record.nctId);
        t.criteria.forEach((criterion, ordinal) => {
          const old = reuse?.get(criterionKey(criterion));
          rows.push({ nctId: t.record.nctId, ordinal, criterion, embedding: old ?? [] });
          if (old) r.criteriaReused++;
          else missing.push({ row: rows.length - 1, text: criterionEmbeddingText(criterion) });
        });
      }
      const vectors = await embed(missing.map((m) => m.text));
      missing.forEach((m, j) => {
        (rows[m.row] as CriterionRow).embedding = vectors[j] as number[];
      });
      r.criteriaEmbedded += missing.length;
      await upsertTrials(tx, batch, trialVectors, type);
      await tx.query('DELETE FROM trial_criteria WHERE nct_id = ANY($1::text[])', [batch.map((t) => t.record.nctId)]);
      await insertCriteria(tx, rows, type);
    }
    // After a model change, trials outside this import still need the new model's vectors.
    r.criteriaEmbedded += await embedRemaining(tx, embed, type);
    if (await ensureVectorIndex(tx, TRIAL_VECTORS, dimension)) logger.info({ dimension }, 'built the trial vector index');
    if (changed.length > 0 || modelChanged) {
      await tx.query('DELETE FROM trial_terms');
      await tx.query("INSERT INTO trial_terms (lexeme, trials) SELECT word, ndoc FROM ts_stat('SELECT tsv FROM trials')");
      await tx.query('ANALYZE trials');
    }
    return r;
  });
  return { ...report, durationMs: Math.round(performance.now() - started) };
}

/**
 * The fast path of a re-import (every start-up): when the store already holds every record with
 * the same content hash (record + parser version), embedded by the same model, with no vector
 * missing and the vector index built, there is nothing to do — and parsing 300 trials' criteria
 * to find that out costs seconds. Hashing the records and one query decide it.
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
       (SELECT count(*) FROM trial_criteria WHERE nct_id = ANY($1::text[]) AND embedding IS NULL) AS missing,
       EXISTS (SELECT 1 FROM pg_class WHERE relname = $3) AS indexed`,
    [records.map((r) => r.nctId), records.map(contentHashOf), TRIAL_VECTOR_INDEX],
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
    modelChanged: false,
    model: { id: model.modelId, dimension: model.dimension },
  };
}

async function embedRemaining(tx: Transaction, embed: (texts: string[]) => Promise<number[][]>, type: VectorType): Promise<number> {
  const trials = await tx.query<{ nct_id: string; focus_text: string; record: TrialRecord }>('SELECT nct_id, focus_text, record FROM trials WHERE embedding IS NULL');
  if (trials.rows.length > 0) {
    const vectors = await embed(trials.rows.map((t) => trialEmbeddingText({ focusText: t.focus_text, record: t.record })));
    for (let i = 0; i < trials.rows.length; i += WRITE_BATCH) {
      await tx.query(
        `UPDATE trials t SET embedding = u.embedding::${type} FROM unnest($1::text[], string_to_array($2, '|')) AS u(nct_id, embedding) WHERE t.nct_id = u.nct_id`,
        [trials.rows.slice(i, i + WRITE_BATCH).map((t) => t.nct_id), vectors.slice(i, i + WRITE_BATCH).map((v) => toVectorParam(v)).join('|')],
      );
    }
  }
  const criteria = await tx.query<{ nct_id: string; ordinal: number; text: string; context: string | null }>(
    'SELECT nct_id, ordinal, text, context FROM trial_criteria WHERE embedding IS NULL ORDER BY nct_id, ordinal',
  );
  if (criteria.rows.length === 0) return 0;
  const vectors = await embed(criteria.rows.map((c) => criterionEmbeddingText({ text: c.text, ...(c.context !== null && { context: c.context }) })));
  for (let i = 0; i < criteria.rows.length; i += WRITE_BATCH) {
    const batch = criteria.rows.slice(i, i + WRITE_BATCH);
    await tx.query(
      `UPDATE trial_criteria c SET embedding = u.embedding::${type}
       FROM unnest($1::text[], $2::int[], string_to_array($3, '|')) AS u(nct_id, ordinal, embedding)
       WHERE c.nct_id = u.nct_id AND c.ordinal = u.ordinal`,
      [batch.map((c) => c.nct_id), batch.map((c) => c.ordinal), vectors.slice(i, i + WRITE_BATCH).map((v) => toVectorParam(v)).join('|')],
    );
  }
  return criteria.rows.length;
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
}

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
    db.query<TrialRow>('SELECT nct_id, title, conditions, phase, status, research_study, record FROM trials WHERE nct_id = ANY($1::text[])', [ids]),
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
        criteria: byTrial.get(t.nct_id) ?? [],
      },
    ]),
  );
  return nctIds.map((id) => found.get(id)).filter((t): t is StoredTrial => t !== undefined);
}

/** The content hash of each stored trial among `nctIds` (cheap: no vectors, no JSON): what a cache of loaded trials checks against. */
export async function trialVersions(db: Queryable, nctIds: readonly string[]): Promise<Map<string, string>> {
  if (nctIds.length === 0) return new Map();
  const res = await db.query<{ nct_id: string; content_hash: string }>('SELECT nct_id, content_hash FROM trials WHERE nct_id = ANY($1::text[])', [[...new Set(nctIds)]]);
  return new Map(res.rows.map((r) => [r.nct_id, r.content_hash]));
}

export async function loadTrial(db: Queryable, nctId: string): Promise<StoredTrial | undefined> {
  return (await loadTrials(db, [nctId]))[0];
}

export async function countTrials(db: Queryable): Promise<{ trials: number; criteria: number }> {
  const res = await db.query<{ trials: string; criteria: string }>('SELECT (SELECT count(*) FROM trials) AS trials, (SELECT count(*) FROM trial_criteria) AS criteria');
  return { trials: Number(res.rows[0]?.trials ?? 0), criteria: Number(res.rows[0]?.criteria ?? 0) };
}
