import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import { createLogger } from '../log.js';
import { CorpusErrors } from '../knowledge/corpus/files.js';
import { closeEmbeddingThreads, createEmbeddings } from '../search/embeddings/index.js';
import { ingestPaths } from '../knowledge/ingest.js';

const USAGE = `Usage: npm run ingest -- [--prune] [<file or directory>...]

Ingests guideline documents (.md with YAML front matter; .html/.htm and .pdf with a sidecar
<file>.meta.yaml) into the knowledge base of DATABASE_URL, or of the embedded database in
CAIRN_DATA_DIR. Directories are searched recursively. Without inputs, ingests the default corpus
(CAIRN_GUIDELINES_DIR, default guidelines/) with --prune.

Every file is parsed before anything is written; a malformed file stops the run and changes
nothing. Re-running on unchanged files embeds nothing.

  --prune   also delete documents that were ingested from files in these directories (or from
            these files) and are no longer there; documents from anywhere else are kept`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { prune: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const inputs = positionals.length > 0 ? positionals : [config.guidelinesDir ?? 'guidelines'];
  const prune = values.prune || positionals.length === 0;

  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    const embedder = createEmbeddings(config.embeddings);
    const r = await ingestPaths(db, inputs, embedder, { prune, log });
    console.log(
      [
        `documents: ${r.documents} (${r.documentsAdded} added, ${r.documentsUpdated} updated, ${r.documentsUnchanged} unchanged, ${r.documentsRemoved} removed)`,
        `chunks: ${r.chunksEmbedded} embedded, ${r.chunksUnchanged} unchanged, ${r.chunksRemoved} removed`,
        `model: ${r.model.id} (${r.model.dimension} dimensions)${r.modelChanged ? ' (changed: every chunk re-embedded)' : ''}`,
        `time: ${(r.durationMs / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
    return 0;
  } finally {
    await closeEmbeddingThreads();
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CorpusErrors || err instanceof ConfigError) console.error(err.message);
    else console.error(`ingest failed: ${err instanceof Error ? err.message : String(err)}`);
    console.error('Nothing was changed.');
    process.exit(1);
  },
);
