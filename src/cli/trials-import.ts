import { parseArgs } from 'node:util';
import { configureCanonicalBase } from '../canonical.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import { closeEmbeddingThreads, createEmbeddings } from '../search/embeddings/index.js';
import { createLogger } from '../log.js';
import { TrialImportError, type TrialRecord } from '../services/trials/matching/trial-record.js';
import { readTrialFile } from '../services/trials/store/trial-files.js';
import { importTrials } from '../services/trials/store/trial-store.js';

const USAGE = `Usage: npm run trials:import -- <file>...

Imports clinical trials into the trial store of DATABASE_URL, or of the embedded database in
CAIRN_DATA_DIR. Each file is .json or JSON lines holding ClinicalTrials.gov API v2 studies (one,
an array, or an API page { "studies": [...] }), records of the TREC/SIGIR trial corpus
(corpus_judged_subset.jsonl), or Cairn ResearchStudy resources (or a Bundle of them).

Every file is parsed before anything is written; a malformed record stops the run, naming the
file and line, and changes nothing. Trials are then written in batches of 100, each in one
transaction with its criteria: if the run stops (an error, Ctrl-C, a crash), the batches written
are kept and running it again finishes the rest. Re-running on unchanged records embeds nothing.
Progress is logged every 5 s (LOG_LEVEL=warn hides it).`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ options: { help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  // The ResearchStudy stored with each trial names Cairn's extensions under the configured base.
  configureCanonicalBase(config.canonicalBase);
  // Info level: a first import embeds for a minute or more, and its progress lines say how far it is.
  const log = createLogger(config.logLevel);
  const records: TrialRecord[] = [];
  for (const file of positionals) records.push(...(await readTrialFile(file)));
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    const r = await importTrials(db, records, createEmbeddings(config.embeddings), { log });
    console.log(
      [
        `trials: ${r.trials} (${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged${r.duplicates > 0 ? `, ${r.duplicates} duplicate records: last kept` : ''})`,
        `criteria: ${r.criteria} (${r.criteriaEmbedded} embedded, ${r.criteriaReused} reused); ${r.textsEmbedded} distinct texts sent to the model`,
        `model: ${r.model.id} (${r.model.dimension} dimensions)${r.modelChanged ? ' (changed: every trial re-embedded)' : ''}`,
        `time: ${(r.durationMs / 1000).toFixed(1)} s (embedding ${(r.embeddingMs / 1000).toFixed(1)} s), ${r.batches} transaction${r.batches === 1 ? '' : 's'}`,
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
    if (err instanceof TrialImportError || err instanceof ConfigError) {
      console.error(err.message);
      console.error('Nothing was changed.');
    } else {
      console.error(`trials:import failed: ${err instanceof Error ? err.message : String(err)}`);
      console.error('Trials written before the failure are kept; run the import again to finish (unchanged trials are skipped).');
    }
    process.exit(1);
  },
);
