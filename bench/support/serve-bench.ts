/**
 * Cairn as `npm start` runs it (real services, shipped corpus, demo trials), for bench/hooks.ts,
 * plus one bench-only control: on SIGUSR2 it imports every demo trial (trials/demo-trials.jsonl, the
 * 261 not imported at start-up included) into its own store, in this same process, with a fresh
 * instance of the configured embedding model, and prints {"imported": …} when done. That is the
 * `trials:import` work running beside the hooks, so the benchmark can measure what it costs them.
 *
 * With CAIRN_BENCH_LEDGER=off (bench-only, read here and nowhere in src/), the issued-card ledger
 * records nothing: the other half of `bench:hooks --only ledger`, which says what recording costs a call.
 */
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createEmbeddings } from '../../src/search/embeddings/index.js';
import { startCairn } from '../../src/server.js';
import { readTrialFile } from '../../src/services/trials/store/trial-files.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
const ledgerOff = process.env.CAIRN_BENCH_LEDGER === 'off';
const noLedger = {
  record: () => Promise.resolve(),
  find: () => Promise.resolve(new Map()),
  flush: () => Promise.resolve(),
  purgeOlderThan: () => Promise.resolve(0),
};
const cairn = await startCairn(config, log, ledgerOff ? { ledger: noLedger } : {});
// The benchmark measures a Cairn that is ready (hooks answer 503 while it starts).
await cairn.ready;
process.stdout.write(`${JSON.stringify({ ready: cairn.url })}\n`);

process.on('SIGUSR2', () => {
  void (async () => {
    const started = performance.now();
    // From the working directory (bench/hooks.ts starts this in the repository root): compiled
    // into .bench-build/, this file no longer sits two levels below the root.
    const records = await readTrialFile(join(process.cwd(), 'trials', 'demo-trials.jsonl'));
    const report = await importTrials(cairn.db, records, createEmbeddings(config.embeddings), { log });
    const ms = Math.round(performance.now() - started);
    process.stdout.write(`${JSON.stringify({ imported: report.trials, added: report.added, criteriaEmbedded: report.criteriaEmbedded, ms })}\n`);
  })().catch((err: unknown) => process.stdout.write(`${JSON.stringify({ importFailed: (err as Error).message })}\n`));
});
const stop = () => {
  // An import still running holds the database: the benchmark is over, so do not wait for it long.
  setTimeout(() => process.exit(0), 5000).unref();
  void cairn.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
