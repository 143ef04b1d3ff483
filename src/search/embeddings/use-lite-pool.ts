/**
 * USE-lite on worker threads, so that embedding never holds the event loop.
 *
 * USE-lite takes 15–35 ms a sentence on the 2-vCPU reference machine, and its model calls do not
 * yield: a trial import, a guideline ingest or a coordinator screening embedding on the main thread
 * held the event loop for seconds at a time (1.6 s for a call of 64 criteria, bench/embeddings.ts),
 * and every CDS hook in the process waited. Here the model runs on a piscina pool of threads (one
 * per core at most by default, CAIRN_EMBEDDINGS_THREADS), each holding its own copy of the model,
 * and the main thread only posts texts and receives vectors.
 *
 * Texts are sent in small batches, one task each, and a free thread takes queries before document
 * batches (embedding-queue.ts): a hook's question waits for the batches already running, at most
 * one per thread, and never for the rest of an import.
 *
 * Idle threads do not keep a process alive (piscina unrefs them), so a command ends when its work
 * does; `close()` (closeEmbeddingThreads() for the shared pools) ends them at shutdown.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Piscina, queueOptionsSymbol } from 'piscina';
import { EmbeddingTaskQueue, type EmbeddingQueueOptions, type EmbeddingTaskKind } from './embedding-queue.js';
import { USE_LITE_DIMENSIONS } from './use-lite-model.js';
import { threadModule } from '../../thread-module.js';
import type { UseLiteTask, UseLiteTaskResult, UseLiteWorkerData } from './use-lite-worker.js';

/**
 * Texts per task (one model call). A queued query waits for at most one running batch per
 * thread: 16 criterion-length sentences take 0.25–0.45 s on one thread of the reference machine,
 * 32 twice that for no more texts per second (batches of 8, 16, 32: 40, 36, 34 texts/s, one run).
 * The batch is part of the arithmetic (use-lite-model.ts): against the former batches of 32, 59 of
 * 2,000 criterion texts get a vector that differs, by at most 2e-7 in a dimension (bench/embeddings.ts).
 */
export const DEFAULT_USE_LITE_BATCH = 16;

/** How long a thread beyond the first may sit idle before it ends (and frees its model). */
const IDLE_THREAD_MS = 60_000;

export interface UseLitePoolOptions {
  /** Embedding threads; default one per core (os.availableParallelism()). */
  threads?: number;
  /** Load the model from this directory instead of the npm package (tests use a missing one). */
  modelDir?: string;
  /** For tests: another worker module (one that fails to start). */
  workerFile?: string;
}

/** One task's answer: its vectors and the thread that made them. */
export interface EmbeddedBatch {
  vectors: number[][];
  threadId: number;
}

export interface EmbedOptions {
  kind: EmbeddingTaskKind;
  /** Texts per task; default DEFAULT_USE_LITE_BATCH. */
  batchSize?: number;
}

interface Running {
  piscina: Piscina<UseLiteTask & { [queueOptionsSymbol]: EmbeddingQueueOptions }, UseLiteTaskResult>;
  /** Why a thread died outside any task (it could not start), for the tasks that were waiting for it. */
  failure?: Error;
  /** close() was called: tasks still queued are turned away. */
  closed?: boolean;
}

export class UseLitePool {
  readonly threads: number;
  readonly #options: UseLitePoolOptions;
  #running: Running | undefined;
  #streams = 0;

  constructor(options: UseLitePoolOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new Error(`embedding threads must be a positive integer, got ${this.threads}`);
    this.#options = options;
  }

  /** Embeds `texts` in batches of `batchSize`, one task each; vectors in the order of the texts. */
  async embed(texts: readonly string[], options: EmbedOptions): Promise<number[][]> {
    return (await this.embedBatches(texts, options)).flatMap((b) => b.vectors);
  }

  /** As embed, keeping each task's answer apart (the tests look at the threads). */
  embedBatches(texts: readonly string[], options: EmbedOptions): Promise<EmbeddedBatch[]> {
    if (texts.length === 0) return Promise.resolve([]);
    const size = options.batchSize ?? DEFAULT_USE_LITE_BATCH;
    // One stream per call: the queue gives each call's batches their turns (embedding-queue.ts).
    const queue: EmbeddingQueueOptions = { kind: options.kind, stream: ++this.#streams };
    const tasks: Promise<EmbeddedBatch>[] = [];
    for (let i = 0; i < texts.length; i += size) tasks.push(this.#run(texts.slice(i, i + size), queue));
    return Promise.all(tasks);
  }

  /**
   * Ends the threads: queued batches are rejected, running ones finish (one batch, well under a
   * second). The pool is not spent: a later call starts threads again.
   */
  async close(): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    if (!running) return;
    running.closed = true;
    await running.piscina.close({ force: true });
  }

  async #run(texts: string[], queue: EmbeddingQueueOptions): Promise<EmbeddedBatch> {
    const running = this.#start();
    let result: UseLiteTaskResult;
    try {
      result = await running.piscina.run({ texts, [queueOptionsSymbol]: queue });
    } catch (err) {
      if (running.closed && !running.failure) throw new Error('USE-lite embedding stopped: the embedding threads were closed', { cause: err });
      const cause = running.failure ?? err;
      throw new Error(`USE-lite embedding failed: ${messageOf(cause)}`, { cause });
    }
    const { vectors, threadId } = result;
    if (vectors.length !== texts.length * USE_LITE_DIMENSIONS) {
      throw new Error(`USE-lite embedding thread returned ${vectors.length} values for ${texts.length} texts`);
    }
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i++) out.push(Array.from(vectors.subarray(i * USE_LITE_DIMENSIONS, (i + 1) * USE_LITE_DIMENSIONS)));
    return { vectors: out, threadId };
  }

  #start(): Running {
    if (this.#running) return this.#running;
    const worker = this.#options.workerFile ? { filename: this.#options.workerFile } : workerModule();
    if (!existsSync(worker.filename)) {
      throw new Error(`the USE-lite embedding thread's module is missing: ${worker.filename} (is dist/ built with npm run build?)`);
    }
    const workerData: UseLiteWorkerData = { ...(this.#options.modelDir !== undefined && { modelDir: this.#options.modelDir }) };
    const running: Running = {
      piscina: new Piscina({
        ...worker,
        workerData,
        // Each thread holds its own model (about 140 MB), so only one is kept: a query never waits
        // for a model to load, and the others start when batches queue up and end when idle.
        minThreads: 1,
        maxThreads: this.threads,
        idleTimeout: IDLE_THREAD_MS,
        // One model call at a time per thread: a second would only wait inside the thread, out of the queue's reach.
        concurrentTasksPerWorker: 1,
        taskQueue: new EmbeddingTaskQueue(),
        // A task taken from the queue but not placed goes back to the head of its line, not the tail.
        stricterFIFO: true,
        recordTiming: false,
      }),
    };
    // piscina reports here a thread that died while running no task. This worker keeps model
    // failures to its tasks, so that means it could not start at all (its module, or the TypeScript
    // loader it runs under, failed to load); tasks queued for it would wait forever. The threads are
    // ended, which rejects those tasks with the reason kept here, and the next call starts afresh.
    running.piscina.on('error', (err: unknown) => {
      running.failure ??= new Error(messageOf(err), { cause: err });
      if (this.#running === running) this.#running = undefined;
      void running.piscina.destroy();
    });
    this.#running = running;
    return running;
  }
}

/** An error's message; errors from a thread may not be instances of this realm's Error. */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** The thread's module: use-lite-worker.js in dist/, use-lite-worker.ts from source (thread-module.ts). */
function workerModule(): { filename: string; execArgv?: string[] } {
  return threadModule(import.meta.url, 'use-lite-worker');
}

// ---------------------------------------------------------------------------------------------
// The process's pools

/** One pool per thread count: every UseLiteEmbeddings of a process shares its threads and models. */
const shared = new Map<number, UseLitePool>();

export function sharedUseLitePool(threads: number = availableParallelism()): UseLitePool {
  let pool = shared.get(threads);
  if (!pool) shared.set(threads, (pool = new UseLitePool({ threads })));
  return pool;
}

/** Ends the threads of the process's shared pools (server shutdown, the end of a command). */
export async function closeEmbeddingThreads(): Promise<void> {
  await Promise.all([...shared.values()].map((p) => p.close()));
}
