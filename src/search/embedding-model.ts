/**
 * Keeps stored vectors and the configured embedding model in step, for any store of vectors: the
 * guideline chunks (knowledge/store.ts) and the trials with their criteria (trial-store.ts) each
 * describe theirs with a `VectorStore` and share this one implementation.
 *
 * The model id and dimension are recorded in the store's one-row model table; its `embedding`
 * columns are typed to that dimension and the first carries an HNSW cosine index. When the
 * configured model differs from the recorded one, every stored vector is cleared and the columns
 * retyped, inside the caller's transaction, so that the ingest or import that follows re-embeds
 * everything before anything can read a mix of two models. Searches check the recorded model
 * (ModelCheck) and refuse vectors of another model rather than compare across models.
 */
import type { Queryable, Transaction } from '../db/database.js';
import type { CairnEmbeddings } from './embeddings/types.js';

/** A store of vectors made by one embedding model. Table and index names are trusted constants, inlined in SQL. */
export interface VectorStore {
  /** What the vectors are of, in messages: "the guideline vectors were made by …". */
  name: string;
  /** The one-row table (singleton, model_id, dimension, recorded_at) recording the model. */
  modelTable: string;
  /** The tables whose `embedding` column holds this model's vectors. */
  vectorTables: readonly string[];
  /** The HNSW cosine index over one of them. */
  index: { name: string; table: string };
  /** The advisory lock that serialises writers: two instances starting together must not both write the store. */
  writeLock: number;
  /** What to do when the stored vectors are another model's, in the error a search raises. */
  reembedAdvice: string;
}

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

export async function readRecordedModel(db: Queryable, store: VectorStore): Promise<RecordedModel | undefined> {
  const res = await db.query<{ model_id: string; dimension: number }>(`SELECT model_id, dimension FROM ${store.modelTable}`);
  const row = res.rows[0];
  return row ? { modelId: row.model_id, dimension: Number(row.dimension) } : undefined;
}

/**
 * The dimension the embedder's vectors will have. Asking a remote model for its dimension costs
 * a call: skipped when the recorded model is this one.
 */
export async function embeddingDimension(db: Queryable, store: VectorStore, embedder: CairnEmbeddings): Promise<number> {
  const recorded = await readRecordedModel(db, store);
  return recorded?.modelId === embedder.modelId ? recorded.dimension : embedder.dimensions();
}

/** Takes the store's write lock until the transaction ends. */
export async function lockVectorStore(tx: Transaction, store: VectorStore): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [store.writeLock]);
}

/**
 * Records the model; when it differs from the recorded one (or none was), clears every vector,
 * drops the index and retypes the columns. Returns whether it changed: the caller then has to
 * embed everything (and call `ensureVectorIndex`) in the same transaction.
 */
export async function prepareEmbeddingModel(
  tx: Transaction,
  store: VectorStore,
  model: RecordedModel,
): Promise<{ changed: boolean; previous?: RecordedModel }> {
  const type = vectorTypeFor(model.dimension);
  const previous = await readRecordedModel(tx, store);
  if (previous && previous.modelId === model.modelId && previous.dimension === model.dimension) return { changed: false, previous };
  await tx.query(`DROP INDEX IF EXISTS ${store.index.name}`);
  // Every vector becomes NULL (USING NULL) as the column is retyped. The dimension is an integer
  // checked above, never text from outside: safe to inline in DDL.
  for (const table of store.vectorTables) {
    await tx.query(`ALTER TABLE ${table} ALTER COLUMN embedding TYPE ${type}(${model.dimension}) USING NULL::${type}(${model.dimension})`);
  }
  await tx.query(
    `INSERT INTO ${store.modelTable} (singleton, model_id, dimension, recorded_at) VALUES (true, $1, $2, now())
     ON CONFLICT (singleton) DO UPDATE SET model_id = EXCLUDED.model_id, dimension = EXCLUDED.dimension, recorded_at = now()`,
    [model.modelId, model.dimension],
  );
  return { changed: true, ...(previous && { previous }) };
}

/** Builds the HNSW cosine index if it is missing (after the first embeddings, or a model change). */
export async function ensureVectorIndex(tx: Transaction, store: VectorStore, dimension: number): Promise<boolean> {
  const exists = await tx.query('SELECT 1 FROM pg_class WHERE relname = $1', [store.index.name]);
  if (exists.rowCount > 0) return false;
  const type = vectorTypeFor(dimension);
  // The graph is built in memory; below this PostgreSQL builds it much more slowly on disk.
  await tx.query("SET LOCAL maintenance_work_mem = '256MB'");
  await tx.query(`CREATE INDEX ${store.index.name} ON ${store.index.table} USING hnsw (embedding ${type}_cosine_ops)`);
  return true;
}

/**
 * The vector index's size against PostgreSQL's shared_buffers, in bytes. HNSW search walks the
 * graph page by page: when the index does not fit, most pages come from the operating system on
 * every query. At 100k guideline chunks (a 260 MB index) hybrid p95 was 17-23 ms warm with
 * shared_buffers at PostgreSQL's default 128 MB, 15-20 ms at 1-2 GB (docs/BENCHMARKS.md).
 */
export async function vectorIndexMemory(db: Queryable, store: VectorStore): Promise<{ indexBytes: number; sharedBuffersBytes: number } | undefined> {
  const res = await db.query<{ index_bytes: number | null; shared_bytes: number }>(
    "SELECT pg_relation_size(to_regclass($1))::float8 AS index_bytes, pg_size_bytes(current_setting('shared_buffers'))::float8 AS shared_bytes",
    [store.index.name],
  );
  const row = res.rows[0];
  if (!row || row.index_bytes === null) return undefined;
  return { indexBytes: Number(row.index_bytes), sharedBuffersBytes: Number(row.shared_bytes) };
}

/**
 * A search's check that the stored vectors are the configured model's: the recorded model, or
 * undefined when nothing was recorded yet (nothing ingested: there is nothing to search); throws
 * when another model made them, since distances across two models mean nothing. A checked model
 * is trusted for `trustMs` before it is read again (0: read on every search).
 */
export class ModelCheck {
  #checked: { at: number; model: RecordedModel } | undefined;

  constructor(
    readonly db: Queryable,
    readonly store: VectorStore,
    readonly embeddings: CairnEmbeddings,
    readonly trustMs = 0,
  ) {}

  async current(): Promise<RecordedModel | undefined> {
    if (this.#checked && Date.now() - this.#checked.at < this.trustMs) return this.#checked.model;
    const recorded = await readRecordedModel(this.db, this.store);
    if (!recorded) return undefined;
    if (recorded.modelId !== this.embeddings.modelId) {
      throw new Error(
        `the ${this.store.name} vectors were made by ${recorded.modelId} but the configured embedding model is ${this.embeddings.modelId}: ${this.store.reembedAdvice}`,
      );
    }
    if (this.trustMs > 0) this.#checked = { at: Date.now(), model: recorded };
    return recorded;
  }

  /** Forgets the checked model (after re-embedding with another model in this process). */
  reset(): void {
    this.#checked = undefined;
  }
}
