import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './log.js';

/**
 * Progress lines for long jobs (embedding the guideline corpus or the trials at start-up, an
 * import): without them an operator watching a first start sees nothing for minutes and cannot
 * tell a slow job from a hung one. One info line at most every `everyMs`, with the count done,
 * the total when known, and an estimate of the time left from the rate so far.
 */
export interface Progress {
  /** Adds `n` items done; logs when the last line is older than `everyMs`. */
  advance(n: number): void;
}

export interface ProgressOptions {
  log: Logger;
  /** What is counted, in the message: "guideline chunks embedded". */
  what: string;
  /** Items expected, when known. */
  total?: number;
  everyMs?: number;
  /** Milliseconds now (tests give a fake clock). */
  now?: () => number;
}

/** Where a long job is, for whoever watches it (start-up's /readyz reason). */
export interface ProgressReport {
  what: string;
  done: number;
  total?: number;
}

const observers = new AsyncLocalStorage<(report: ProgressReport) => void>();

/**
 * Runs `job` with `observer` told of every advance of every progress() made inside it (at once,
 * not throttled like the log lines). Through the async context rather than a parameter, so the
 * jobs (ingest, trial import) report progress without knowing who watches.
 */
export function observeProgress<T>(observer: (report: ProgressReport) => void, job: () => Promise<T>): Promise<T> {
  return observers.run(observer, job);
}

export function progress(options: ProgressOptions): Progress {
  const { log, what, total } = options;
  const observer = observers.getStore();
  observer?.({ what, done: 0, ...(total !== undefined && { total }) });
  const everyMs = options.everyMs ?? 5000;
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  let lastAt = startedAt;
  let done = 0;
  return {
    advance(n: number) {
      done += n;
      observer?.({ what, done, ...(total !== undefined && { total }) });
      const t = now();
      if (t - lastAt < everyMs) return;
      lastAt = t;
      const elapsedS = (t - startedAt) / 1000;
      const perSecond = elapsedS > 0 ? done / elapsedS : 0;
      const leftS = total !== undefined && perSecond > 0 ? Math.max(0, Math.round((total - done) / perSecond)) : undefined;
      log.info(
        { done, ...(total !== undefined && { total }), perSecond: Math.round(perSecond * 10) / 10, ...(leftS !== undefined && { secondsLeft: leftS }) },
        `${what}: ${done}${total !== undefined ? ` of ${total}` : ''}`,
      );
    },
  };
}
