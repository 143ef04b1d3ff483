/**
 * Group commit: many small writes that arrive together go to the database in one statement.
 *
 * Each hook call records its cards before it answers (the ledger must hold every card a client
 * can send feedback for). One transaction per call would cost a round trip and a commit each, a
 * measurable share of a hook at hundreds of calls a second; instead, writes that arrive while a
 * batch is being written wait for it and then go together in the next one. Every caller's promise
 * settles only when its own rows are committed (or the statement failed), so "recorded before the
 * answer" still holds; under light load a write simply goes alone, at once.
 */
import type { Queryable } from './database.js';

export interface GroupCommitOptions<T> {
  /**
   * Writes one batch in ONE statement (a multi-row INSERT), which is atomic by itself: no
   * BEGIN/COMMIT round trips, which on PGlite run on the event loop like everything else.
   */
  writeBatch(db: Queryable, items: readonly T[]): Promise<void>;
  /** Most items per statement, so one statement stays bounded (default 500). */
  maxBatch?: number;
  /**
   * How long a write may wait for company: each batch is written once its oldest write has waited
   * this long (or at once, if it has waited longer already, behind the previous statement). So a
   * busy second costs about one statement per gathering window, not one per caller, and no write
   * waits longer than this plus the statements ahead of it. A write made with `expectCompany`
   * false does not wait for company (see write). Default 0: write at once.
   */
  gatherMs?: number;
}

interface Pending<T> {
  items: readonly T[];
  /** performance.now() when the write was made (less gatherMs if it expects no company): its batch waits for company until arrived + gatherMs. */
  arrived: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class GroupCommit<T> {
  readonly #db: Queryable;
  readonly #opts: GroupCommitOptions<T>;
  readonly #maxBatch: number;
  #queue: Pending<T>[] = [];
  #running = false;
  #drained: Promise<void> = Promise.resolve();

  constructor(db: Queryable, opts: GroupCommitOptions<T>) {
    this.#db = db;
    this.#opts = opts;
    this.#maxBatch = opts.maxBatch ?? 500;
  }

  /**
   * Resolves once these items are committed; rejects if their transaction failed (nothing of it
   * stored). `expectCompany` false says the caller knows of no other writer on its way (for the
   * ledger: no other hook call in progress): the batch is then written without waiting for the
   * window, which would only delay this caller. A caller alone cannot tell that from the rate of
   * writes, which is its own when it calls back to back.
   */
  write(items: readonly T[], options: { expectCompany?: boolean } = {}): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const gatherMs = this.#opts.gatherMs ?? 0;
    // Counted as having waited its window already (the batch's wait is its oldest write's).
    const arrived = gatherMs > 0 ? performance.now() - (options.expectCompany === false ? gatherMs : 0) : 0;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ items, arrived, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        this.#drained = this.#drain();
      }
    });
  }

  /** Waits until everything written so far is committed or failed (for shutdown). */
  async flush(): Promise<void> {
    while (this.#running) await this.#drained;
  }

  async #drain(): Promise<void> {
    try {
      // The first write goes at once (or after gatherMs); those arriving while it runs go together in the next.
      // With gathering, every batch waits until its oldest write has had gatherMs for company, not
      // only a drain's first: under steady load a drain never ends, and without the wait its later
      // statements carried what arrived during one statement each, a write or two (on PGlite, where
      // a statement has a fixed cost of about half a millisecond, that was most of the ledger's cost).
      while (this.#queue.length > 0) {
        const wait = this.#opts.gatherMs ? this.#queue[0]!.arrived + this.#opts.gatherMs - performance.now() : 0;
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        await this.#writeBatch(this.#takeBatch());
      }
    } finally {
      // In the same turn as the last emptiness check (no await between them): a write made by a
      // caller this drain woke (its continuation runs after this turn) finds no drain running
      // and starts one, instead of waiting in the queue for a drain that has ended.
      this.#running = false;
    }
  }

  #takeBatch(): Pending<T>[] {
    const batch: Pending<T>[] = [];
    let size = 0;
    while (this.#queue.length > 0 && (batch.length === 0 || size + this.#queue[0]!.items.length <= this.#maxBatch)) {
      const next = this.#queue.shift()!;
      batch.push(next);
      size += next.items.length;
    }
    return batch;
  }

  async #writeBatch(batch: readonly Pending<T>[]): Promise<void> {
    try {
      await this.#opts.writeBatch(this.#db, batch.flatMap((p) => p.items));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    // Their continuations run before the loop's next check (they were queued first), so a write
    // they make at once joins the next batch of this drain.
    for (const p of batch) p.resolve();
  }
}
