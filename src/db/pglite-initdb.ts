/**
 * A new PGlite data directory is made by initdb: 7 to 17 s of WebAssembly on the thread that runs
 * it (measured on 2 busy vCPUs), during which that thread does nothing else. On the main thread
 * this would stop the event loop just after Cairn starts listening: /healthz would not answer, a
 * SIGTERM would wait, and the data-directory lock's heartbeat (directory-lock.ts) would stop. So a
 * new directory is initialised in a worker thread, and the main thread then opens it as an
 * existing one (about half a second). The caller holds the directory lock throughout.
 *
 * initdb writes into a staging folder inside the directory (`.initdb`), whose contents are moved
 * into place only once it has finished, PG_VERSION last (what marks a directory as holding a
 * database). A shutdown can therefore stop the worker at any moment, and so can a crash: the next
 * start finds no PG_VERSION, removes the staging folder and runs initdb again. PostgreSQL's data
 * directory holds no absolute paths, so it may be moved.
 */
import { existsSync } from 'node:fs';
import { readdir, rename, rm, rmdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const STAGING = '.initdb';
const MARKER = 'PG_VERSION';

/** Whether the directory already holds a database. */
export function hasDatabase(dataDir: string): boolean {
  return existsSync(path.join(dataDir, MARKER));
}

// Plain CommonJS, so the worker needs no TypeScript loader (tsx, ts-jest) whatever runs Cairn.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
PGlite.create({ dataDir: workerData.dataDir })
  .then((pg) => pg.close())
  .then(() => parentPort.postMessage({ ok: true }), (err) => parentPort.postMessage({ ok: false, message: String((err && err.message) || err) }));
`;

/**
 * Runs initdb for `dataDir` in a worker thread; resolves once the directory holds a closed
 * database. When `signal` aborts first, the worker is stopped, the staging folder removed, and the
 * promise rejects with the signal's reason.
 */
export async function initDataDirInWorker(dataDir: string, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const staging = path.join(dataDir, STAGING);
  // Left by a start that was stopped or crashed during initdb.
  await rm(staging, { recursive: true, force: true });
  // The package is resolved here, from this module, so the worker finds it whatever the working directory.
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const worker = new Worker(WORKER, { eval: true, workerData: { pglite, dataDir: staging } });
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (f: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      worker.once('message', (m: { ok: boolean; message?: string }) =>
        settle(() => (m.ok ? resolve() : reject(new Error(`initdb failed: ${m.message ?? 'unknown error'}`)))),
      );
      worker.once('error', (err) => settle(() => reject(err)));
      worker.once('exit', (code) => settle(() => reject(new Error(`the initdb worker exited with code ${code}`))));
    });
  } catch (err) {
    await worker.terminate();
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  const entries = (await readdir(staging)).sort((a, b) => Number(a === MARKER) - Number(b === MARKER));
  for (const entry of entries) await rename(path.join(staging, entry), path.join(dataDir, entry));
  await rmdir(staging);
}
