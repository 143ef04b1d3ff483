import type { Logger } from 'pino';
import type { EmbeddingsConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { createEmbeddings, type CairnEmbeddings } from '../search/embeddings/index.js';
import { CachedGuidelineSearch } from './cached-search.js';
import { CorpusVersion } from './corpus-version.js';
import { ensureDefaultCorpus, type IngestReport } from './ingest.js';
import { GuidelineRetriever } from './retriever.js';

/**
 * The guideline knowledge base as the services use it: the configured embedding model, the default
 * corpus ingested (a no-op when unchanged: guideline embeddings are computed at ingest, never on a
 * hook), and the hybrid retriever. Shared by the server and the evaluation commands, so what is
 * evaluated is what the EHR gets. The services are given `search`: the retriever behind the
 * corpus-versioned caches of cached-search.ts.
 */
export interface KnowledgeBase {
  retriever: GuidelineRetriever;
  /** What the services ask: fixed questions answered once per corpus version, free text searched live. */
  search: CachedGuidelineSearch;
  /** The configured embedding model, for other stores that embed with it (the trial store). */
  embeddings: CairnEmbeddings;
  report: IngestReport | undefined;
}

export async function openKnowledgeBase(
  db: Database,
  options: { embeddings?: EmbeddingsConfig; guidelinesDir?: string; log: Logger },
): Promise<KnowledgeBase> {
  const embeddings = createEmbeddings(options.embeddings);
  const report = await ensureDefaultCorpus(db, embeddings, { dir: options.guidelinesDir ?? 'guidelines', log: options.log });
  const retriever = new GuidelineRetriever({ db, embeddings });
  const search = new CachedGuidelineSearch({ inner: retriever, version: new CorpusVersion(db, { queryModelId: embeddings.modelId }) });
  return { retriever, search, embeddings, report };
}
