/**
 * The background refresh of trials from ClinicalTrials.gov (CAIRN_CTGOV_REFRESH): the importer
 * (import.ts) run once when Cairn is ready and then every CAIRN_CTGOV_REFRESH_HOURS, never two at
 * once. It stays off the hooks' path: Cairn is ready and serves hooks before the first run ends,
 * trial and criterion texts are embedded on the embedding threads, parsing yields to the event
 * loop (trial-store.ts), and each page of records is written in its own transactions. A failed
 * run is logged and tried again at the next interval; the store keeps what it had.
 */
import type { Logger } from '../../../log.js';
import type { CtgovImportReport } from './import.js';

export interface CtgovRefreshOptions {
  /** One refresh; `signal` aborts when the refresh is stopped (shutdown). */
  run: (signal: AbortSignal) => Promise<CtgovImportReport>;
  /** Hours between the start of one run and the next; 0: the first run only. */
  everyHours: number;
  log: Logger;
}

export interface CtgovRefresh {
  /** Stops the schedule and the run in progress, and waits for it to end. */
  stop(): Promise<void>;
  /** The run in progress, if any (tests wait for it). */
  readonly current: Promise<void> | undefined;
}

export function startCtgovRefresh(options: CtgovRefreshOptions): CtgovRefresh {
  const { log } = options;
  const abort = new AbortController();
  let current: Promise<void> | undefined;
  const runOnce = (): void => {
    if (current || abort.signal.aborted) {
      if (current) log.warn('the previous ClinicalTrials.gov refresh is still running: this one is skipped');
      return;
    }
    const started = performance.now();
    current = options
      .run(abort.signal)
      .then((r) => {
        log.info(
          { query: r.query, listed: r.listed, rechecked: r.rechecked, unchanged: r.unchanged, added: r.added, updated: r.updated, gone: r.gone.length, invalid: r.invalid.length, requests: r.requests, retries: r.retries, ms: r.durationMs },
          'trials refreshed from ClinicalTrials.gov',
        );
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        log.warn(
          { err: { message: err instanceof Error ? err.message : String(err) }, ms: Math.round(performance.now() - started), next: options.everyHours > 0 ? `in ${options.everyHours} h` : 'none (CAIRN_CTGOV_REFRESH_HOURS=0)' },
          'refreshing trials from ClinicalTrials.gov failed: the trial store keeps what it had',
        );
      })
      .finally(() => {
        current = undefined;
      });
  };
  runOnce();
  const timer = options.everyHours > 0 ? setInterval(runOnce, options.everyHours * 3_600_000) : undefined;
  timer?.unref();
  return {
    get current() {
      return current;
    },
    async stop() {
      if (timer) clearInterval(timer);
      abort.abort(new Error('Cairn is shutting down'));
      await current;
    },
  };
}
