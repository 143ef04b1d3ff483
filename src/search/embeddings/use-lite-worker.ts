/**
 * One USE-lite embedding thread (a piscina worker; use-lite-pool.ts starts them). The model is
 * loaded once, when the thread starts, and every task is one model call on a batch of texts.
 *
 * A model that fails to load does not kill the thread: the failure is kept and every task answers
 * with it (and tries the load again), so the caller's promise rejects with a message that says
 * what went wrong, and piscina does not restart a thread that would fail the same way forever.
 */
import { threadId, workerData } from 'node:worker_threads';
import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import { embedBatch, loadUseLiteModel, USE_LITE_DIMENSIONS } from './use-lite-model.js';
import { lowerThisThreadPriority } from '../../thread-priority.js';

// Embedding is background work next to the hooks (an import, an ingest, a screening): it takes the
// CPU the hook thread leaves (thread-priority.ts). A hook's own query waits for the model a little
// longer only when the machine is busy with hooks.
lowerThisThreadPriority();

export interface UseLiteWorkerData {
  /** Load the model files from here instead of the npm package's (tests use a missing directory). */
  modelDir?: string;
}

export interface UseLiteTask {
  texts: string[];
}

export interface UseLiteTaskResult {
  /** The thread that embedded the batch: the tests check it is never the main thread. */
  threadId: number;
  /**
   * The vectors, one after another. The model's values are float32 to begin with, so this is
   * lossless, and one typed array crosses threads as a single copy of bytes rather than as
   * thousands of numbers the main thread would have to deserialise one by one.
   */
  vectors: Float32Array;
}

const modelDir = (workerData as UseLiteWorkerData | undefined)?.modelDir;

let model: Promise<EmbeddingsModel> | undefined;
function loaded(): Promise<EmbeddingsModel> {
  model ??= loadUseLiteModel(modelDir).catch((err: unknown) => {
    model = undefined;
    throw err;
  });
  return model;
}

async function embedTask(task: UseLiteTask): Promise<UseLiteTaskResult> {
  const vectors = await embedBatch(await loaded(), task.texts);
  const out = new Float32Array(vectors.length * USE_LITE_DIMENSIONS);
  vectors.forEach((v, i) => {
    if (v.length !== USE_LITE_DIMENSIONS) throw new Error(`USE-lite returned a vector of ${v.length} dimensions, expected ${USE_LITE_DIMENSIONS}`);
    out.set(v, i * USE_LITE_DIMENSIONS);
  });
  return { threadId, vectors: out };
}

// piscina awaits a promised handler before it reports the thread ready, so the model is loaded
// before the first task is taken; a failed load is answered by the tasks (see above).
export default loaded().then(
  () => embedTask,
  () => embedTask,
);
