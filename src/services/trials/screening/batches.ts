/**
 * Gathers items into batches for one writer: a batch is written once `maxBatch` items wait, or
 * `maxDelayMs` after the first of them arrived, whichever comes first; one batch is written at a
 * time, and what arrives meanwhile waits for the next. The screening worker stores its results
 * through it, so that a screening costs a database round trip per batch of patients instead of a
 * transaction per patient, while a lone result still reaches the database within `maxDelayMs`.
 *
 * `write` must handle its own errors (log them); a rejection is swallowed here so that one failed
 * batch does not stop the next.
 */
export interface Batcher<T> {
  add(item: T): void;
  /** Writes everything waiting, and resolves once no batch is being written. */
  drain(): Promise<void>;
  /** Items not yet handed to `write`. */
  readonly waiting: number;
}

export interface BatcherOptions<T> {
  write: (batch: T[]) => Promise<void>;
  maxBatch: number;
  maxDelayMs: number;
}

export function createBatcher<T>(options: BatcherOptions<T>): Batcher<T> {
  const { write, maxBatch, maxDelayMs } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a positive integer (got ${maxBatch})`);
  let waiting: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;

  const start = (): void => {
    clearTimeout(timer);
    timer = undefined;
    const batch = waiting.slice(0, maxBatch);
    waiting = waiting.slice(maxBatch);
    writing = write(batch)
      .catch(() => undefined)
      .finally(() => {
        writing = undefined;
        schedule();
      });
  };

  const schedule = (): void => {
    if (writing || waiting.length === 0) return;
    if (waiting.length >= maxBatch) start();
    else timer ??= setTimeout(start, maxDelayMs);
  };

  return {
    add(item) {
      waiting.push(item);
      schedule();
    },
    async drain() {
      while (waiting.length > 0 || writing) {
        if (!writing) start();
        await writing;
      }
    },
    get waiting() {
      return waiting.length;
    },
  };
}
