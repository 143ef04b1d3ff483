/**
 * Ingest: guideline files → chunks with embeddings in the database, idempotently.
 *
 *   1. Parse every input first. Any malformed file fails the whole run, naming the file, before
 *      anything is written.
 *   2. In ONE transaction:
 *      - record the embedding model; if it changed, every stored vector is cleared (see
 *        search/embedding-model.ts, shared with the trial store) and every chunk is embedded again;
 *      - upsert each document by id; a document whose content hash is unchanged is skipped;
 *      - for a changed document, embed only the chunks whose content hash is new or changed,
 *        and delete its chunks that are no longer there;
 *      - with `prune`, delete documents that came from the inputs' files or directories but are no
 *        longer found there (documents ingested from anywhere else are kept);
 *      - build the vector index if it is missing.
 *   A failure anywhere (parse, embedding service, database) leaves the knowledge base as it was.
 */
import { access } from 'node:fs/promises';
import type { Database, Transaction } from '../db/database.js';
import { log as defaultLog, type Logger } from '../log.js';
import { progress } from '../progress.js';
import { embeddingText } from './corpus/chunker.js';
import { collectFiles, parseFiles } from './corpus/files.js';
import type { GuidelineDocument } from './corpus/types.js';
import {
  embeddingDimension,
  ensureVectorIndex,
  lockVectorStore,
  prepareEmbeddingModel,
  vectorIndexMemory,
  vectorTypeFor,
  type VectorType,
} from '../search/embedding-model.js';
import type { CairnEmbeddings } from '../search/embeddings/types.js';
import { announceCorpusChange } from './corpus-version.js';
import { checkVectors } from '../search/embeddings/types.js';
import {
  deleteChunksExcept,
  deleteDocuments,
  GUIDELINE_VECTORS,
  readChunkStates,
  readDocuments,
  readUnembeddedChunks,
  refreshTermStatistics,
  setEmbeddings,
  upsertChunks,
  upsertDocument,
  type ChunkWrite,
} from './store.js';

export interface IngestReport {
  /** Documents in the input. */
  documents: number;
  documentsAdded: number;
  documentsUpdated: number;
  documentsUnchanged: number;
  documentsRemoved: number;
  chunksEmbedded: number;
  chunksUnchanged: number;
  chunksRemoved: number;
  /** The embedding model differs from the one recorded before: every chunk was re-embedded. */
  modelChanged: boolean;
  model: { id: string; dimension: number };
  durationMs: number;
  /** Part of durationMs spent building the vector index (0 when it already existed). */
  indexBuildMs: number;
}

export interface IngestOptions {
  /** Delete documents that came from files under `roots` and are no longer found there. */
  prune?: boolean;
  /** The files and directories the documents were read from (display paths): the scope of `prune`. */
  roots?: readonly string[];
  /** Texts per embedding call. */
  embedBatchSize?: number;
  log?: Logger;
}

const DEFAULT_EMBED_BATCH = 128;

/** Parses files and directories, then ingests them (see the module comment). */
export async function ingestPaths(
  db: Database,
  inputs: readonly string[],
  embedder: CairnEmbeddings,
  options: Omit<IngestOptions, 'roots'> = {},
): Promise<IngestReport> {
  const { files, roots } = await collectFiles(inputs);
  const documents = await parseFiles(files);
  return ingestDocuments(db, documents, embedder, { ...options, roots });
}

/** Ingests already parsed documents in one transaction. */
export async function ingestDocuments(
  db: Database,
  documents: readonly GuidelineDocument[],
  embedder: CairnEmbeddings,
  options: IngestOptions = {},
): Promise<IngestReport> {
  const started = performance.now();
  const logger = options.log ?? defaultLog;
  const batchSize = options.embedBatchSize ?? DEFAULT_EMBED_BATCH;
  const ids = new Set<string>();
  for (const doc of documents) {
    if (ids.has(doc.id)) throw new Error(`document id '${doc.id}' appears twice in one ingest`);
    ids.add(doc.id);
  }

  const dimension = await embeddingDimension(db, GUIDELINE_VECTORS, embedder);
  const vectorType = vectorTypeFor(dimension);

  const report = await db.transaction(async (tx) => {
    await lockVectorStore(tx, GUIDELINE_VECTORS);
    const { changed: modelChanged, previous } = await prepareEmbeddingModel(tx, GUIDELINE_VECTORS, { modelId: embedder.modelId, dimension });
    if (modelChanged && previous) {
      logger.warn({ from: previous.modelId, to: embedder.modelId }, 'embedding model changed: re-embedding every guideline chunk');
    }
    const embed = async (texts: string[]): Promise<number[][]> => {
      const vectors = await embedder.embedDocuments(texts);
      checkVectors(embedder.modelId, vectors, texts.length, dimension);
      return vectors;
    };

    const r: Omit<IngestReport, 'durationMs'> = {
      indexBuildMs: 0,
      documents: documents.length,
      documentsAdded: 0,
      documentsUpdated: 0,
      documentsUnchanged: 0,
      documentsRemoved: 0,
      chunksEmbedded: 0,
      chunksUnchanged: 0,
      chunksRemoved: 0,
      modelChanged: modelChanged && previous !== undefined,
      model: { id: embedder.modelId, dimension },
    };

    const stored = await readDocuments(tx);
    const changedDocs: GuidelineDocument[] = [];
    for (const doc of documents) {
      const before = stored.get(doc.id);
      if (before && before.contentHash === doc.contentHash && !modelChanged) {
        r.documentsUnchanged++;
        r.chunksUnchanged += doc.chunks.length;
        continue;
      }
      if (before) r.documentsUpdated++;
      else r.documentsAdded++;
      changedDocs.push(doc);
    }

    const states = await readChunkStates(tx, changedDocs.map((d) => d.id));
    const keep: ChunkWrite[] = [];
    const toEmbed: GuidelineDocument['chunks'] = [];
    for (const doc of changedDocs) {
      await upsertDocument(tx, doc);
      for (const chunk of doc.chunks) {
        const state = states.get(chunk.id);
        if (state && state.embedded && state.contentHash === chunk.contentHash) {
          keep.push({ chunk });
          r.chunksUnchanged++;
        } else {
          toEmbed.push(chunk);
        }
      }
      r.chunksRemoved += await deleteChunksExcept(tx, doc.id, doc.chunks.map((c) => c.id));
    }
    await upsertChunks(tx, keep, vectorType);
    if (toEmbed.length > 0) logger.info({ chunks: toEmbed.length, model: embedder.modelId }, 'embedding guideline chunks');
    const embedded = progress({ log: logger, what: 'guideline chunks embedded', total: toEmbed.length });
    // Embed and write batch by batch: memory stays bounded however large the corpus.
    for (let i = 0; i < toEmbed.length; i += batchSize) {
      const batch = toEmbed.slice(i, i + batchSize);
      const vectors = await embed(batch.map((c) => embeddingText(c.context, c.text)));
      await upsertChunks(tx, batch.map((chunk, j) => ({ chunk, embedding: vectors[j] as number[] })), vectorType);
      r.chunksEmbedded += batch.length;
      embedded.advance(batch.length);
    }

    if (options.prune) {
      const gone = prunable(stored, ids, options.roots ?? []);
      if (gone.length > 0) {
        r.chunksRemoved += await deleteDocuments(tx, gone);
        r.documentsRemoved = gone.length;
        logger.info({ documents: gone }, 'removed guideline documents whose files are gone');
      }
    }

    // After a model change, chunks of documents outside this ingest still need the new model's vectors.
    if (modelChanged) r.chunksEmbedded += await embedRemaining(tx, embed, vectorType, batchSize);
    const indexStarted = performance.now();
    if (await ensureVectorIndex(tx, GUIDELINE_VECTORS, dimension)) {
      r.indexBuildMs = Math.round(performance.now() - indexStarted);
      logger.info({ dimension, ms: r.indexBuildMs }, 'built the guideline vector index');
    }
    if (r.chunksEmbedded > 0 || r.chunksRemoved > 0 || r.documentsUpdated > 0) {
      await refreshTermStatistics(tx);
      await tx.query('ANALYZE guideline_chunks');
    }
    return r;
  });
  // Cached search results of this database are re-read before the next search (cached-search.ts).
  if (report.modelChanged || report.documentsAdded + report.documentsUpdated + report.documentsRemoved > 0) announceCorpusChange(db);
  if (db.kind === 'postgres') await warnIfIndexOutgrowsMemory(db, logger);
  return { ...report, durationMs: Math.round(performance.now() - started) };
}

/** Says so when the vector index no longer fits in shared_buffers: every search then reads it from the OS. */
async function warnIfIndexOutgrowsMemory(db: Database, logger: Logger): Promise<void> {
  const memory = await vectorIndexMemory(db, GUIDELINE_VECTORS);
  if (!memory || memory.indexBytes <= memory.sharedBuffersBytes) return;
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  logger.warn(
    { indexMB: mb(memory.indexBytes), sharedBuffersMB: mb(memory.sharedBuffersBytes) },
    `the guideline vector index (${mb(memory.indexBytes)} MB) is larger than PostgreSQL's shared_buffers (${mb(memory.sharedBuffersBytes)} MB): ` +
      'vector search reads index pages from the operating system on every query and slows down; raise shared_buffers above the index size',
  );
}

async function embedRemaining(
  tx: Transaction,
  embed: (texts: string[]) => Promise<number[][]>,
  vectorType: VectorType,
  batchSize: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await readUnembeddedChunks(tx, batchSize);
    if (rows.length === 0) return total;
    const vectors = await embed(rows.map((c) => embeddingText(c.context, c.text)));
    await setEmbeddings(tx, rows.map((c) => c.id), vectors, vectorType);
    total += rows.length;
  }
}

/**
 * Stored documents not in this ingest whose source file lies under one of the roots: their file was
 * deleted, moved out, or no longer holds that document id. Documents ingested from elsewhere are
 * never touched, even if their file is not visible from here (another machine or container).
 */
function prunable(stored: ReadonlyMap<string, { sourcePath: string }>, present: ReadonlySet<string>, roots: readonly string[]): string[] {
  const gone: string[] = [];
  for (const [id, doc] of stored) {
    if (present.has(id)) continue;
    if (roots.some((root) => doc.sourcePath === root || doc.sourcePath.startsWith(`${root.replace(/\/+$/, '')}/`))) gone.push(id);
  }
  return gone;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export interface DefaultCorpusOptions {
  /** Default 'guidelines' (CAIRN_GUIDELINES_DIR). */
  dir?: string;
  log?: Logger;
}

/**
 * For start-up: ingests the default corpus directory, pruning documents whose files left it.
 * On an unchanged corpus it parses the (small) markdown files, compares hashes, and writes and
 * embeds nothing. Returns undefined, with a warning, when the directory is missing or empty.
 * A malformed file throws: the shipped corpus must be valid.
 */
export async function ensureDefaultCorpus(db: Database, embedder: CairnEmbeddings, options: DefaultCorpusOptions = {}): Promise<IngestReport | undefined> {
  const dir = options.dir ?? 'guidelines';
  const logger = options.log ?? defaultLog;
  if (!(await exists(dir))) {
    logger.warn({ dir }, 'guideline corpus directory not found: the knowledge base is not loaded');
    return undefined;
  }
  const { files, roots } = await collectFiles([dir]);
  if (files.length === 0) {
    logger.warn({ dir }, 'guideline corpus directory has no guideline files');
    return undefined;
  }
  const documents = await parseFiles(files);
  const report = await ingestDocuments(db, documents, embedder, { prune: true, roots, log: logger });
  logger.info({ ...report, dir }, 'guideline corpus ready');
  return report;
}
