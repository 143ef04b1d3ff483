/**
 * Results computed off the hooks' path and used when ready. A hook asks with `peek`: it gets the
 * result if it is there, and otherwise nothing, at once; the first ask starts the computation in
 * the background (once per key, however many hooks ask meanwhile), and a later hook uses it.
 * This is how a language model's answer can inform a hook without any hook waiting for it.
 *
 * Bounded: at most `concurrency` computations run at once, at most `maxQueued` wait (beyond
 * that a key is simply not started; a later ask tries again), and at most `capacity` results are
 * kept (least recently used dropped). A computation that fails, or gives no result, is not
 * retried for `retryAfterMs`, so a model that is down is not asked again on every hook.
 */
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';

export interface BackgroundOptions {
  /** What is computed, in logs. */
  task: string;
  log: Logger;
  concurrency: number;
  /** Results kept (default 1,000). */
  capacity?: number;
  /** Computations waiting for a slot (default 100). */
  maxQueued?: number;
  /** How long a failed or empty computation is remembered before a new ask retries (default 5 minutes). */
  retryAfterMs?: number;
  now?: () => number;
}

type Entry<V> = { state: 'running' } | { state: 'ready'; value: V } | { state: 'failed'; at: number };

export class BackgroundResults<V> {
  readonly #entries: LRUCache<string, Entry<V>>;
  readonly #queue: Array<() => void> = [];
  readonly #pending = new Set<Promise<void>>();
  #active = 0;
  readonly #options: Required<Omit<BackgroundOptions, 'log' | 'task'>> & Pick<BackgroundOptions, 'log' | 'task'>;

  constructor(options: BackgroundOptions) {
    this.#options = { capacity: 1000, maxQueued: 100, retryAfterMs: 5 * 60_000, now: Date.now, ...options };
    this.#entries = new LRUCache({ max: this.#options.capacity });
  }

  /**
   * The result for `key` when it is ready; otherwise undefined, and `compute` is started in the
   * background unless it already runs or recently failed. Never waits and never throws.
   * `compute` returning undefined means "no result" (e.g. the model gave no usable answer).
   */
  peek(key: string, compute: () => Promise<V | undefined>): V | undefined {
    const entry = this.#entries.get(key);
    if (entry?.state === 'ready') return entry.value;
    if (entry?.state === 'running') return undefined;
    if (entry?.state === 'failed' && this.#options.now() - entry.at < this.#options.retryAfterMs) return undefined;
    if (this.#active >= this.#options.concurrency && this.#queue.length >= this.#options.maxQueued) return undefined;
    this.#entries.set(key, { state: 'running' });
    const done = this.#run(key, compute);
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
    return undefined;
  }

  /** Resolves when nothing runs or waits (tests; graceful shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #run(key: string, compute: () => Promise<V | undefined>): Promise<void> {
    if (this.#active >= this.#options.concurrency) await new Promise<void>((resolve) => this.#queue.push(resolve));
    else this.#active++;
    try {
      const value = await compute();
      this.#entries.set(key, value === undefined ? { state: 'failed', at: this.#options.now() } : { state: 'ready', value });
    } catch (err) {
      // A bug, not an expected outcome: logged by kind only (the error may quote patient data).
      this.#options.log.warn({ task: this.#options.task, err: { name: (err as Error)?.name } }, 'background computation failed');
      this.#entries.set(key, { state: 'failed', at: this.#options.now() });
    } finally {
      // A finishing computation hands its slot straight to the longest waiter.
      const next = this.#queue.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
