/**
 * `npm run vectors:build`: writes the shipped vectors (vectors/*.vectors, format in
 * src/search/embeddings/vector-file.ts) for what start-up embeds: the guideline corpus
 * (CAIRN_GUIDELINES_DIR) and the trials start-up imports (CAIRN_TRIALS, recruiting only).
 *
 * The vectors are recorded, not recomputed on the side: the real ingest and the real trial import
 * run on a fresh in-memory database with the configured model (USE-lite by default) behind a
 * recorder. So each text is embedded exactly as a first start without the files would embed it, in
 * the same batches: USE-lite's output for a text moves in the 7th decimal with the other texts of
 * its batch (measured: up to 1.8e-7), and recording the real run makes the shipped vectors
 * bit-identical to a first start's instead of merely close. Nothing is reused from the old files
 * for the same reason. `--check` embeds nothing: it runs the same ingest and import against the
 * files and lists the texts they lack.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { knowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createEmbeddings } from '../../src/search/embeddings/factory.js';
import { PrecomputedEmbeddings } from '../../src/search/embeddings/precomputed.js';
import { CairnEmbeddings } from '../../src/search/embeddings/types.js';
import { encodeVectorFile } from '../../src/search/embeddings/vector-file.js';
import { importTrialFiles } from '../../src/services/trials/store/open.js';

const USAGE = `Usage: npm run vectors:build [-- --check] [--all-trials]

Embeds the guideline corpus (CAIRN_GUIDELINES_DIR) and the trials start-up imports (CAIRN_TRIALS,
recruiting only) with the configured model, through the real ingest and import on an in-memory
database, and writes them to CAIRN_VECTORS_DIR (default vectors/): guidelines.vectors and
trials.vectors. Takes about a minute with USE-lite.

  --check       embed nothing: say which texts start-up would still embed (exit 1 if any)
  --all-trials  every trial record, not only the recruiting ones (the 300 demo trials: ~11 MB)`;

/** The wrapped model, keeping the first vector it gave for each text. */
class RecordingEmbeddings extends CairnEmbeddings {
  readonly modelId: string;
  override readonly fusionWeight: number;
  readonly recorded = new Map<string, number[]>();

  constructor(readonly inner: CairnEmbeddings) {
    super({});
    this.modelId = inner.modelId;
    this.fusionWeight = inner.fusionWeight;
  }

  dimensions(): Promise<number> {
    return this.inner.dimensions();
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const vectors = await this.inner.embedDocuments(texts);
    texts.forEach((t, i) => {
      if (!this.recorded.has(t)) this.recorded.set(t, vectors[i] as number[]);
    });
    return vectors;
  }

  embedQuery(text: string): Promise<number[]> {
    return this.inner.embedQuery(text);
  }
}

/** For --check: a stand-in for the model that lists what it is asked and answers a unit vector. */
class MissingTexts extends CairnEmbeddings {
  readonly texts: string[] = [];

  constructor(
    readonly modelId: string,
    readonly dimension: number,
  ) {
    super({});
  }

  dimensions(): Promise<number> {
    return Promise.resolve(this.dimension);
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    this.texts.push(...texts);
    return Promise.resolve(texts.map(() => Array.from({ length: this.dimension }, (_, i) => (i === 0 ? 1 : 0))));
  }

  embedQuery(): Promise<number[]> {
    return Promise.reject(new Error('not used'));
  }
}

interface Sets {
  guidelines(db: Database, embedder: CairnEmbeddings): Promise<unknown>;
  trials(db: Database, embedder: CairnEmbeddings): Promise<unknown>;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      'all-trials': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig({ ...process.env, CAIRN_REQUIRE_AUTH: 'false' });
  const log: Logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const dir = config.vectorsDir ?? 'vectors';
  const trialPaths = config.trials ?? [];
  const db = await openDatabase({ dataDir: 'memory://' });
  try {
    await migrate(db);
    const sets: Sets = {
      guidelines: (d, embedder) =>
        knowledgeBase(d, { ...(config.embeddings && { embeddings: config.embeddings }), guidelinesDir: config.guidelinesDir ?? 'guidelines', log }).load(embedder),
      trials: (d, embedder) => importTrialFiles(d, embedder, { paths: trialPaths, log, ...(values['all-trials'] && { statuses: 'all' as const }) }),
    };
    const model = createEmbeddings(config.embeddings);
    const dimension = await model.dimensions();

    if (values.check) {
      let missing = 0;
      for (const [name, run] of Object.entries(sets) as Array<[keyof Sets, Sets[keyof Sets]]>) {
        if (name === 'trials' && trialPaths.length === 0) continue;
        const stub = new MissingTexts(model.modelId, dimension);
        const shipped = new PrecomputedEmbeddings(stub, { dir, log });
        await run(db, shipped);
        const { fromFiles } = shipped.stats;
        console.log(`${name}: ${fromFiles} texts from ${dir}/, ${stub.texts.length} missing`);
        for (const t of stub.texts.slice(0, 10)) console.log(`  missing: ${JSON.stringify(t.slice(0, 100))}`);
        missing += stub.texts.length;
      }
      if (missing > 0) console.log('Run `npm run vectors:build` to ship them.');
      return missing > 0 ? 1 : 0;
    }

    await mkdir(dir, { recursive: true });
    for (const [name, run] of Object.entries(sets) as Array<[keyof Sets, Sets[keyof Sets]]>) {
      if (name === 'trials' && trialPaths.length === 0) continue;
      const started = performance.now();
      const recorder = new RecordingEmbeddings(model);
      await run(db, recorder);
      const file = join(dir, `${name}.vectors`);
      const bytes = encodeVectorFile(model.modelId, dimension, recorder.recorded);
      await writeFile(file, bytes);
      console.log(
        `${file}: ${recorder.recorded.size} vectors of ${dimension} (${model.modelId}), ${(bytes.length / 2 ** 20).toFixed(1)} MB, ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
    }
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`vectors:build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
