/**
 * SQL for the guideline tables, written once for PGlite and PostgreSQL. Callers pass a
 * transaction (`tx`) for writes: ingest runs as one transaction. Also the descriptions of these
 * tables that the shared search layer (src/search) works from: where the vectors and their
 * embedding model are recorded (GUIDELINE_VECTORS) and where the term statistics are
 * (GUIDELINE_TERMS).
 */
import { toVectorParam, type Queryable } from '../db/database.js';
import type { GuidelineChunk, GuidelineDocument } from './corpus/types.js';
import { citationOf } from './corpus/metadata.js';
import { codeKey } from './codes.js';
import type { VectorStore, VectorType } from '../search/embedding-model.js';
import type { TermStatistics } from '../search/terms.js';

export const GUIDELINE_VECTOR_INDEX = 'guideline_chunks_embedding_idx';

/** The chunk vectors, their model record and HNSW index (see search/embedding-model.ts). */
export const GUIDELINE_VECTORS: VectorStore = {
  name: 'guideline',
  modelTable: 'guideline_embedding_model',
  vectorTables: ['guideline_chunks'],
  index: { name: GUIDELINE_VECTOR_INDEX, table: 'guideline_chunks' },
  /** Serialises ingests: two instances starting together must not both write the corpus. */
  writeLock: 0x67756964, // 'guid'
  reembedAdvice: 'ingest again (npm run ingest, or restart) to re-embed with the configured model',
};

/** How many chunks each lexeme occurs in, refreshed by every ingest (refreshTermStatistics). */
export const GUIDELINE_TERMS: TermStatistics = { table: 'guideline_terms', countColumn: 'chunks', corpus: 'guideline_chunks' };

export interface StoredDocument {
  id: string;
  contentHash: string;
  sourcePath: string;
}

export interface StoredChunkState {
  contentHash: string;
  embedded: boolean;
}

/** Rows per multi-row statement: big enough to amortise round trips, small enough for one message. */
export const WRITE_BATCH = 500;

export async function readDocuments(db: Queryable): Promise<Map<string, StoredDocument>> {
  const res = await db.query<{ id: string; content_hash: string; source_path: string }>(
    'SELECT id, content_hash, source_path FROM guideline_documents',
  );
  return new Map(res.rows.map((r) => [r.id, { id: r.id, contentHash: r.content_hash, sourcePath: r.source_path }]));
}

export async function readChunkStates(db: Queryable, documentIds: readonly string[]): Promise<Map<string, StoredChunkState>> {
  if (documentIds.length === 0) return new Map();
  const res = await db.query<{ id: string; content_hash: string; embedded: boolean }>(
    'SELECT id, content_hash, embedding IS NOT NULL AS embedded FROM guideline_chunks WHERE document_id = ANY($1::text[])',
    [[...documentIds]],
  );
  return new Map(res.rows.map((r) => [r.id, { contentHash: r.content_hash, embedded: r.embedded }]));
}

export async function upsertDocument(db: Queryable, doc: GuidelineDocument): Promise<void> {
  const codeKeys = Object.entries(doc.meta.codes).flatMap(([system, codes]) => codes.map((c) => codeKey(system, c)));
  await db.query(
    `INSERT INTO guideline_documents
       (id, title, kind, url, citation, topics, code_keys, metadata, source_path, source_format, content_hash, body, ingested_at)
     VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8::jsonb, $9, $10, $11, $12, now())
     ON CONFLICT (id) DO UPDATE SET
       title = EXCLUDED.title, kind = EXCLUDED.kind, url = EXCLUDED.url, citation = EXCLUDED.citation,
       topics = EXCLUDED.topics, code_keys = EXCLUDED.code_keys, metadata = EXCLUDED.metadata,
       source_path = EXCLUDED.source_path, source_format = EXCLUDED.source_format,
       content_hash = EXCLUDED.content_hash, body = EXCLUDED.body, ingested_at = now()`,
    [
      doc.id,
      doc.meta.title,
      doc.meta.kind,
      doc.meta.url ?? null,
      citationOf(doc.meta),
      doc.meta.topics.map((t) => t.toLowerCase()),
      codeKeys,
      JSON.stringify(doc.meta),
      doc.sourcePath,
      doc.format,
      doc.contentHash,
      doc.body,
    ],
  );
}

export interface ChunkWrite {
  chunk: GuidelineChunk;
  /** Absent: keep the stored vector (the chunk's embedded text did not change). */
  embedding?: readonly number[];
}

/**
 * Inserts or updates chunks, many rows per statement. A row without an embedding keeps its stored
 * vector; a row whose every column is unchanged is not rewritten.
 */
export async function upsertChunks(db: Queryable, rows: readonly ChunkWrite[], vectorType: VectorType): Promise<void> {
  for (let i = 0; i < rows.length; i += WRITE_BATCH) {
    const batch = rows.slice(i, i + WRITE_BATCH);
    const col = <T>(f: (w: ChunkWrite) => T): T[] => batch.map(f);
    await db.query(
      `INSERT INTO guideline_chunks
         (id, document_id, anchor, ordinal, heading_path, grade, grade_system, start_offset, end_offset, text, context, content_hash, embedding)
       SELECT u.id, u.document_id, u.anchor, u.ordinal, ARRAY(SELECT jsonb_array_elements_text(u.heading_path::jsonb)),
              u.grade, u.grade_system, u.start_offset, u.end_offset, u.text, u.context, u.content_hash,
              NULLIF(u.embedding, '')::${vectorType}
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[],
                   $10::text[], $11::text[], $12::text[], string_to_array($13, '|'))
         AS u(id, document_id, anchor, ordinal, heading_path, grade, grade_system, start_offset, end_offset, text, context, content_hash, embedding)
       ON CONFLICT (id) DO UPDATE SET
         anchor = EXCLUDED.anchor, ordinal = EXCLUDED.ordinal, heading_path = EXCLUDED.heading_path, grade = EXCLUDED.grade,
         grade_system = EXCLUDED.grade_system, start_offset = EXCLUDED.start_offset, end_offset = EXCLUDED.end_offset,
         text = EXCLUDED.text, context = EXCLUDED.context, content_hash = EXCLUDED.content_hash,
         embedding = COALESCE(EXCLUDED.embedding, guideline_chunks.embedding)
       WHERE EXCLUDED.embedding IS NOT NULL
          OR (guideline_chunks.anchor, guideline_chunks.ordinal, guideline_chunks.heading_path, guideline_chunks.grade,
              guideline_chunks.grade_system, guideline_chunks.start_offset, guideline_chunks.end_offset,
              guideline_chunks.text, guideline_chunks.context, guideline_chunks.content_hash)
             IS DISTINCT FROM
             (EXCLUDED.anchor, EXCLUDED.ordinal, EXCLUDED.heading_path, EXCLUDED.grade, EXCLUDED.grade_system,
              EXCLUDED.start_offset, EXCLUDED.end_offset, EXCLUDED.text, EXCLUDED.context, EXCLUDED.content_hash)`,
      [
        col((w) => w.chunk.id),
        col((w) => w.chunk.documentId),
        col((w) => w.chunk.anchor),
        col((w) => w.chunk.ordinal),
        col((w) => JSON.stringify(w.chunk.headingPath)),
        col((w) => w.chunk.grade ?? null),
        col((w) => w.chunk.gradeSystem ?? null),
        col((w) => w.chunk.start),
        col((w) => w.chunk.end),
        col((w) => w.chunk.text),
        col((w) => w.chunk.context),
        col((w) => w.chunk.contentHash),
        // One '|'-joined string ('' = keep the stored vector): a text[] of vectors would make the
        // driver escape, and the server parse, every element of a many-megabyte array literal.
        col((w) => (w.embedding ? toVectorParam(w.embedding) : '')).join('|'),
      ],
    );
  }
}

/** Deletes a document's chunks that are not in `keep`; returns how many. */
export async function deleteChunksExcept(db: Queryable, documentId: string, keep: readonly string[]): Promise<number> {
  const res = await db.query('DELETE FROM guideline_chunks WHERE document_id = $1 AND NOT (id = ANY($2::text[]))', [documentId, [...keep]]);
  return res.rowCount;
}

/** Deletes documents (their chunks go with them); returns how many chunks went. */
export async function deleteDocuments(db: Queryable, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const chunks = await db.query<{ n: string }>('SELECT count(*) AS n FROM guideline_chunks WHERE document_id = ANY($1::text[])', [[...ids]]);
  await db.query('DELETE FROM guideline_documents WHERE id = ANY($1::text[])', [[...ids]]);
  return Number(chunks.rows[0]?.n ?? 0);
}

export interface UnembeddedChunk {
  id: string;
  context: string;
  text: string;
}

/** Chunks without a vector (after a model change, those of documents not in this ingest). */
export async function readUnembeddedChunks(db: Queryable, limit: number): Promise<UnembeddedChunk[]> {
  const res = await db.query<UnembeddedChunk>(
    'SELECT id, context, text FROM guideline_chunks WHERE embedding IS NULL ORDER BY id LIMIT $1',
    [limit],
  );
  return res.rows;
}

export async function setEmbeddings(db: Queryable, ids: readonly string[], vectors: readonly (readonly number[])[], vectorType: VectorType): Promise<void> {
  for (let i = 0; i < ids.length; i += WRITE_BATCH) {
    await db.query(
      `UPDATE guideline_chunks c SET embedding = u.embedding::${vectorType}
       FROM unnest($1::text[], string_to_array($2, '|')) AS u(id, embedding) WHERE c.id = u.id`,
      [ids.slice(i, i + WRITE_BATCH), vectors.slice(i, i + WRITE_BATCH).map((v) => toVectorParam(v)).join('|')],
    );
  }
}

/** Recounts how many chunks each lexeme occurs in (see guideline_terms in the migration). */
export async function refreshTermStatistics(db: Queryable): Promise<void> {
  await db.query('DELETE FROM guideline_terms');
  await db.query("INSERT INTO guideline_terms (lexeme, chunks) SELECT word, ndoc FROM ts_stat('SELECT tsv FROM guideline_chunks')");
}
