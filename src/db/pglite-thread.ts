/**
 * The embedded backend on its own thread: the same PGlite database as pglite.ts, run by a worker
 * thread (pglite-worker.ts) instead of the main thread.
 *
 * Why: PGlite is WebAssembly in the calling thread. Every statement it runs (about 0.1 to 0.4 ms
 * of CPU even for a small insert, plus its file writes on commit) is time the main thread cannot
 * answer hooks in. The issued-card ledger writes on every hook call that gives a card, and on the
 * main thread that cost the embedded default about a quarter of its hook throughput
 * (docs/BENCHMARKS.md). On its own thread the statement's work runs on another core; the main
 * thread only posts the statement and reads the answer (structured clone, tens of microseconds).
 *
 * The directory lock and a new directory's initdb stay as in pglite.ts. Values come back as on
 * the main thread: the worker applies the same type conventions (configurePGliteTypes), and
 * Dates, arrays and parsed JSON survive the structured clone.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { types as pgliteTypes } from '@electric-sql/pglite';
import type { Database, ExtensionSettings, QueryOptions, QueryResultRows, Transaction } from './database.js';
import { DirLock } from './directory-lock.js';
import { ClosedError, errorMessage } from './errors.js';
import { queryWithLocalSettings } from './extension-settings.js';
import { hasDatabase, initDataDirInWorker } from './pglite-initdb.js';
import { errorFromThread, type ThreadRequest, type ThreadResponse, type ThreadRows } from './pglite-protocol.js';
import { assertNotInsideOwnTransaction, txScope, type TxScope } from './transaction-scope.js';
import { threadModule } from '../thread-module.js';

type Request = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export async function openPGliteInThread(dataDir: string, signal?: AbortSignal): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  let lock: DirLock | undefined;
  if (!inMemory) {
    await mkdir(dataDir, { recursive: true });
    lock = await DirLock.acquire(dataDir);
  }
  let worker: Worker | undefined;
  try {
    if (!inMemory && !hasDatabase(dataDir)) await initDataDirInWorker(dataDir, signal);
    const module = threadModule(import.meta.url, 'pglite-worker');
    const fromSource = module.filename.endsWith('.ts');
    // From source the .ts module is required by a small CommonJS entry (see that file for why).
    const entry = fromSource ? fileURLToPath(new URL('./pglite-worker-from-source.cjs', import.meta.url)) : module.filename;
    worker = new Worker(entry, {
      workerData: { dataDir, ...(fromSource && { source: module.filename }) },
      ...(module.execArgv && { execArgv: module.execArgv }),
    });
    await opened(worker);
  } catch (err) {
    await worker?.terminate();
    await lock?.release();
    throw new Error(`could not open the PGlite database in ${dataDir}: ${errorMessage(err)}`, { cause: err });
  }
  return new PGliteThreadDatabase(worker, lock);
}

/** Waits for the thread's first answer: the database is open, or why not. */
function opened(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', reject);
      worker.off('exit', onExit);
    };
    const onMessage = (m: ThreadResponse) => {
      cleanup();
      if (m.ok) resolve();
      else reject(errorFromThread(m.error));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the database thread exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', onExit);
  });
}

/** The answer with its timestamp columns parsed here, as PGlite parses them (ThreadRows). */
function arrived<R>(answer: ThreadRows): QueryResultRows<R> {
  for (const { name, oid } of answer.timestamps ?? []) {
    for (const row of answer.rows) {
      const v = row[name];
      if (typeof v === 'string') row[name] = pgliteTypes.parseType(v, oid);
    }
  }
  return { rows: answer.rows as R[], rowCount: answer.rowCount };
}

class PGliteThreadDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly #worker: Worker;
  readonly #lock: DirLock | undefined;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  #nextId = 1;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Set when the thread stopped on its own: every later call fails with it. */
  #failure: Error | undefined;

  constructor(worker: Worker, lock: DirLock | undefined) {
    this.#worker = worker;
    this.#lock = lock;
    worker.on('message', (m: ThreadResponse) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(errorFromThread(m.error));
    });
    const stopped = (why: Error) => {
      this.#failure ??= why;
      for (const p of this.#pending.values()) p.reject(why);
      this.#pending.clear();
    };
    worker.on('error', (err) => stopped(new Error(`the database thread failed: ${errorMessage(err)}`, { cause: err })));
    worker.on('exit', (code) => stopped(new Error(`the database thread exited with code ${code}`)));
  }

  #send<T>(request: Request): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ ...request, id } as ThreadRequest);
    });
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResultRows<R>> {
    this.#check('query');
    return arrived<R>(await this.#send<ThreadRows>({ op: 'query', sql, ...(params && { params }), ...(options?.statementName && { statementName: options.statementName }) }));
  }

  async exec(sql: string): Promise<void> {
    this.#check('exec');
    await this.#send({ op: 'exec', sql });
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    this.#check('transaction');
    // The answer to `begin` comes from inside the transaction: its id is the begin's id.
    const txId = this.#nextId;
    await this.#send({ op: 'begin' });
    const scope: TxScope = { owner: this, active: true };
    const tx: Transaction = {
      query: async <R>(sql: string, params?: unknown[]) => arrived<R>(await this.#send<ThreadRows>({ op: 'tx-query', tx: txId, sql, ...(params && { params }) })),
      exec: async (sql: string) => {
        await this.#send({ op: 'tx-exec', tx: txId, sql });
      },
    };
    let result: T;
    try {
      result = await txScope.run(scope, () => fn(tx));
    } catch (err) {
      scope.active = false;
      await this.#send({ op: 'rollback', tx: txId }).catch(() => undefined);
      throw err;
    }
    scope.active = false;
    await this.#send({ op: 'commit', tx: txId });
    return result;
  }

  async queryWithSettings<R = Record<string, unknown>>(settings: ExtensionSettings, sql: string, params?: unknown[]): Promise<QueryResultRows<R>> {
    return queryWithLocalSettings<R>(this, settings, sql, params);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      try {
        if (!this.#failure) await this.#send({ op: 'close' });
      } finally {
        await this.#worker.terminate();
        await this.#lock?.release();
      }
    })();
    return this.#closing;
  }

  #check(what: string): void {
    if (this.#closed) throw new ClosedError(this.kind);
    assertNotInsideOwnTransaction(this, what);
  }
}
