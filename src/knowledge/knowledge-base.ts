import type { Logger } from 'pino';
import type { EmbeddingsConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { createEmbeddings, type CairnEmbeddings } from '../search/embeddings/index.js';
import { PrecomputedEmbeddings } from '../search/embeddings/precomputed.js';
import { CachedGuidelineSearch } from './cached-search.js';
import { CorpusVersion } from './corpus-version.js';
import { databaseFixedAnswers } from './fixed-answers.js';
import { ensureDefaultCorpus, type IngestReport } from './ingest.js';
import { GuidelineRetriever } from './retriever.js';

/**
 * The guideline knowledge base as the services use it: the configured embedding model, the default
 * corpus ingested (a no-op when unchanged: guideline embeddings are computed at ingest, never on a
 * hook), and the hybrid retriever. Shared by the server and the evaluation commands, so what is
 * evaluated is what the EHR gets. The services are given `search`: the retriever behind the
 * corpus-versioned caches of cached-search.ts.
 *
 * The model is wrapped by the shipped vectors (search/embeddings/precomputed.ts) when
 * `vectorsDir` is given: texts whose vectors ship are not embedded again, whatever store embeds
 * them (the guideline ingest, the trial import).
 */
export interface KnowledgeBase {
  retriever: GuidelineRetriever;
  /** What the services ask: fixed questions answered once per corpus version, free text searched live. */
  search: CachedGuidelineSearch;
  /** The configured embedding model, for other stores that embed with it (the trial store). */
  embeddings: CairnEmbeddings;
  report: IngestReport | undefined;
}

export interface KnowledgeBaseOptions {
  embeddings?: EmbeddingsConfig;
  /** The model itself, instead of one made from `embeddings` (tests). */
  model?: CairnEmbeddings;
  guidelinesDir?: string;
  /** Directory of shipped vectors (CAIRN_VECTORS_DIR); undefined: none, everything is embedded. */
  vectorsDir?: string;
  log: Logger;
}

/** The knowledge base wired but not loaded: the server listens before `load` has ingested the corpus. */
export interface UnloadedKnowledgeBase extends Omit<KnowledgeBase, 'report'> {
  /** Ingests the default corpus; `embedder` (default `embeddings`) is what the ingest embeds with. */
  load(embedder?: CairnEmbeddings): Promise<IngestReport | undefined>;
}

export function knowledgeBase(db: Database, options: KnowledgeBaseOptions): UnloadedKnowledgeBase {
  const model = options.model ?? createEmbeddings(options.embeddings);
  const embeddings = options.vectorsDir !== undefined ? new PrecomputedEmbeddings(model, { dir: options.vectorsDir, log: options.log }) : model;
  const retriever = new GuidelineRetriever({ db, embeddings });
  const search = new CachedGuidelineSearch({
    inner: retriever,
    version: new CorpusVersion(db, { queryModelId: embeddings.modelId }),
    answers: databaseFixedAnswers(db),
    onSaveError: (err) => options.log.warn({ err: { message: (err as Error).message } }, 'a fixed guideline answer could not be stored; it is kept in memory'),
  });
  return {
    retriever,
    search,
    embeddings,
    load: (embedder = embeddings) => ensureDefaultCorpus(db, embedder, { dir: options.guidelinesDir ?? 'guidelines', log: options.log }),
  };
}

export async function openKnowledgeBase(db: Database, options: KnowledgeBaseOptions): Promise<KnowledgeBase> {
  const { load, ...kb } = knowledgeBase(db, options);
  return { ...kb, report: await load() };
}
