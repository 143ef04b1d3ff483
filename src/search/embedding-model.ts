/**
 * Keeps the stored vectors and the configured embedding model in step. The model id and dimension
 * are recorded in `guideline_embedding_model`; the `embedding` column is typed to that dimension
 * and carries an HNSW cosine index. When the configured model differs from the recorded one, every
 * stored vector is cleared and the column retyped, inside the caller's transaction, so that the
 * ingest that follows re-embeds every chunk before anything can read a mix of two models.
 */
import type { Queryable, Transaction } from '../db/database.js';

export const VECTOR_INDEX = 'guideline_chunks_embedding_idx';
/** pgvector's HNSW index takes `vector` up to 2,000 dimensions and `halfvec` up to 4,000. */
const MAX_VECTOR_DIMENSIONS = 2000;
const MAX_HALFVEC_DIMENSIONS = 4000;

export interface RecordedModel {
  modelId: string;
  dimension: number;
}

export type VectorType = 'vector' | 'halfvec';

export function vectorTypeFor(dimension: number): VectorType {
  if (!Number.isInteger(dimension) || dimension < 1) throw new Error(`invalid embedding dimension ${dimension}`);
  if (dimension <= MAX_VECTOR_DIMENSIONS) return 'vector';
  if (dimension <= MAX_HALFVEC_DIMENSIONS) return 'halfvec';
  throw new Error(`embedding models of more than ${MAX_HALFVEC_DIMENSIONS} dimensions cannot be indexed by pgvector (got ${dimension})`);
}

export async function readRecordedModel(db: Queryable): Promise<RecordedModel | undefined> {
  const res = await db.query<{ model_id: string; dimension: number }>('SELECT model_id, dimension FROM guideline_embedding_model');
  const row = res.rows[0];
  return row ? { modelId: row.model_id, dimension: Number(row.dimension) } : undefined;
}

/**
 * Records the model; when it differs from the recorded one (or none was), clears every vector,
 * drops the index and retypes the column. Returns whether it changed: the caller then has to
 * embed every chunk (and call `ensureVectorIndex`) in the same transaction.
 */
export async function prepareEmbeddingModel(tx: Transaction, model: RecordedModel): Promise<{ changed: boolean; previous?: RecordedModel }> {
  const type = vectorTypeFor(model.dimension);
  const previous = await readRecordedModel(tx);
  if (previous && previous.modelId === model.modelId && previous.dimension === model.dimension) return { changed: false, previous };
  await tx.query(`DROP INDEX IF EXISTS ${VECTOR_INDEX}`);
  // Every vector becomes NULL (USING NULL) as the column is retyped. The dimension is an integer
  // checked above, never text from outside: safe to inline in DDL.
  await tx.query(
    `ALTER TABLE guideline_chunks ALTER COLUMN embedding TYPE ${type}(${model.dimension}) USING NULL::${type}(${model.dimension})`,
  );
  await tx.query(
    `INSERT INTO guideline_embedding_model (singleton, model_id, dimension, recorded_at) VALUES (true, $1, $2, now())
     ON CONFLICT (singleton) DO UPDATE SET model_id = EXCLUDED.model_id, dimension = EXCLUDED.dimension, recorded_at = now()`,
    [model.modelId, model.dimension],
  );
  return { changed: true, ...(previous && { previous }) };
}

/** Builds the HNSW cosine index if it is missing (after the first embeddings, or a model change). */
export async function ensureVectorIndex(tx: Transaction, dimension: number): Promise<boolean> {
  const exists = await tx.query('SELECT 1 FROM pg_class WHERE relname = $1', [VECTOR_INDEX]);
  if (exists.rowCount > 0) return false;
  const type = vectorTypeFor(dimension);
  // The graph is built in memory; below this PostgreSQL builds it much more slowly on disk.
  await tx.query("SET LOCAL maintenance_work_mem = '256MB'");
  await tx.query(`CREATE INDEX ${VECTOR_INDEX} ON guideline_chunks USING hnsw (embedding ${type}_cosine_ops)`);
  return true;
}

/**
 * The vector index's size against PostgreSQL's shared_buffers, in bytes. HNSW search walks the
 * graph page by page: when the index does not fit, most pages come from the operating system on
 * every query. At 100k chunks (a 260 MB index) hybrid p95 was 17-23 ms warm with shared_buffers at
 * PostgreSQL's default 128 MB, 15-20 ms at 1-2 GB (docs/BENCHMARKS.md).
 */
export async function vectorIndexMemory(db: Queryable): Promise<{ indexBytes: number; sharedBuffersBytes: number } | undefined> {
  const res = await db.query<{ index_bytes: number | null; shared_bytes: number }>(
    "SELECT pg_relation_size(to_regclass($1))::float8 AS index_bytes, pg_size_bytes(current_setting('shared_buffers'))::float8 AS shared_bytes",
    [VECTOR_INDEX],
  );
  const row = res.rows[0];
  if (!row || row.index_bytes === null) return undefined;
  return { indexBytes: Number(row.index_bytes), sharedBuffersBytes: Number(row.shared_bytes) };
}
