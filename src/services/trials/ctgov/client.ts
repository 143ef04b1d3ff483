/**
 * The HTTP side of the ClinicalTrials.gov importer: `GET` of a `/studies` page with a time-out,
 * a polite pace, and retries.
 *
 *   - Pace: request starts are at least 60 s / requestsPerMinute apart, retries included.
 *     NLM publishes no rate limit for API v2; about 50 requests a minute per address is what its
 *     users report being allowed, hence the default (CAIRN_CTGOV_REQUESTS_PER_MINUTE).
 *   - Retries: on 429, 5xx (500, 502, 503, 504), a time-out and a network error (refused, reset,
 *     dropped mid-answer), up to `retries` more attempts, waiting the answer's Retry-After when it
 *     has one (seconds or an HTTP date; one longer than `maxRetryAfterMs` is not waited for: the
 *     import stops and says so), otherwise an exponential back-off with jitter (retryDelay).
 *   - Anything else (400 for a malformed query, 404) fails at once with the API's own message.
 * Failures are CtgovError values saying what happened in a sentence an operator can act on.
 */
import { readStudiesPage, studiesUrl, type StudiesPage } from './api.js';

export interface CtgovClientOptions {
  /** CAIRN_CTGOV_BASE_URL. */
  baseUrl: string;
  /** Most request starts a minute (default 50). */
  requestsPerMinute?: number;
  /** Time-out of one attempt, answer body included (default 30 s). */
  timeoutMs?: number;
  /** Attempts after the first (default 5). */
  retries?: number;
  /** First back-off (default 1 s); doubled each attempt up to `backoffMaxMs` (default 60 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A Retry-After longer than this stops the import instead (default 5 min). */
  maxRetryAfterMs?: number;
  /** Stops waiting and requests (shutdown). */
  signal?: AbortSignal;
  /** Tests: the jitter's random source and the transport. */
  random?: () => number;
  fetch?: typeof fetch;
  /** Told of each retry before its wait. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  attempt: number;
  /** What failed: `HTTP 503`, `time-out`, `network: ECONNRESET` … */
  reason: string;
  waitMs: number;
  /** True when the wait is the server's Retry-After. */
  retryAfter: boolean;
}

export type CtgovErrorKind = 'unreachable' | 'refused' | 'gave-up' | 'invalid-answer';

export class CtgovError extends Error {
  override readonly name = 'CtgovError';
  constructor(
    readonly kind: CtgovErrorKind,
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ClientStats {
  requests: number;
  retries: number;
  /** Requests a second since the first one started (what the pace allowed, waits included); 0 before the second. */
  rate: number;
}

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * A Retry-After header in milliseconds from `now`: delay-seconds or an HTTP date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable. A date in the past is 0.
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  const v = header?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date names its day and month in words ("Tue, 20 May 2025 12:00:30 GMT").
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The back-off before retry `attempt` (1, 2, …): the cap min(max, base × 2^(attempt−1)), of which
 * half is waited for sure and half at random ("equal jitter"): clients that failed together do
 * not come back together, and none retries at once.
 */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (cap / 2) * Math.min(Math.max(random, 0), 1));
}

/** Why a fetch failed, in a word or two: the system error code when there is one. */
export function networkReason(err: unknown): string {
  // Read by shape, not instanceof: fetch's errors may come from another realm (a test's VM context).
  const fields = (e: unknown) => (typeof e === 'object' && e !== null ? (e as { name?: unknown; code?: unknown; cause?: unknown; message?: unknown }) : undefined);
  const top = fields(err);
  if (top?.name === 'TimeoutError' || top?.name === 'AbortError') return 'time-out';
  let e = top;
  for (let depth = 0; depth < 4 && e; depth++) {
    if (typeof e.code === 'string') return `network: ${e.code}`;
    e = fields(e.cause);
  }
  return `network: ${typeof top?.message === 'string' ? top.message : String(err)}`;
}

export class CtgovClient {
  readonly baseUrl: string;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #random: () => number;
  readonly #fetch: typeof fetch;
  readonly #onRetry: ((e: RetryEvent) => void) | undefined;
  #nextStart = 0;
  /** The pace of the request before (see #pace). */
  #turn: Promise<void> = Promise.resolve();
  #firstStart: number | undefined;
  #requests = 0;
  #retried = 0;

  constructor(options: CtgovClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#intervalMs = 60_000 / (options.requestsPerMinute ?? 50);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 5;
    this.#baseMs = options.backoffBaseMs ?? 1000;
    this.#maxMs = options.backoffMaxMs ?? 60_000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.#signal = options.signal;
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? fetch;
    this.#onRetry = options.onRetry;
  }

  get stats(): ClientStats {
    // The pace is between starts: n requests take n − 1 intervals at least.
    const seconds = this.#firstStart === undefined ? 0 : (performance.now() - this.#firstStart) / 1000;
    return { requests: this.#requests, retries: this.#retried, rate: seconds > 0 && this.#requests > 1 ? (this.#requests - 1) / seconds : 0 };
  }

  /** One page of `GET /studies` with these parameters. */
  async studies(params: URLSearchParams): Promise<StudiesPage> {
    const url = studiesUrl(this.baseUrl, params);
    let lastReason = '';
    let lastStatus: number | undefined;
    for (let attempt = 0; ; attempt++) {
      await this.#pace();
      const outcome = await this.#attempt(url);
      if (outcome.ok) return outcome.page;
      lastReason = outcome.reason;
      lastStatus = outcome.status;
      if (attempt >= this.#retries) break;
      const fromServer = outcome.retryAfterMs;
      if (fromServer !== undefined && fromServer > this.#maxRetryAfterMs) {
        throw new CtgovError('gave-up', `ClinicalTrials.gov API at ${this.baseUrl} answered ${outcome.reason} and asks to wait ${Math.round(fromServer / 1000)} s (Retry-After), more than ${Math.round(this.#maxRetryAfterMs / 1000)} s: run the import again later`, lastStatus);
      }
      const waitMs = fromServer ?? retryDelay(attempt + 1, this.#baseMs, this.#maxMs, this.#random());
      this.#retried++;
      this.#onRetry?.({ attempt: attempt + 1, reason: outcome.reason, waitMs, retryAfter: fromServer !== undefined });
      await this.#sleep(waitMs);
    }
    const tries = `${this.#retries + 1} attempt${this.#retries === 0 ? '' : 's'}`;
    if (lastStatus === undefined) {
      throw new CtgovError(
        'unreachable',
        `ClinicalTrials.gov API at ${this.baseUrl} is unreachable (${lastReason}) after ${tries}: check this machine's network access (a proxy?) or CAIRN_CTGOV_BASE_URL`,
      );
    }
    throw new CtgovError('gave-up', `ClinicalTrials.gov API at ${this.baseUrl} still answered ${lastReason} after ${tries}: run the import again later`, lastStatus);
  }

  async #attempt(url: string): Promise<{ ok: true; page: StudiesPage } | { ok: false; reason: string; status?: number; retryAfterMs?: number }> {
    this.#signal?.throwIfAborted();
    this.#requests++;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
    let res: Response;
    let body: string;
    try {
      res = await this.#fetch(url, { headers: { accept: 'application/json', 'user-agent': 'Cairn trial import (CDS Hooks service)' }, signal });
      // The body is read under the same time-out: a connection dropped mid-answer is a network failure.
      body = await res.text();
    } catch (err) {
      this.#signal?.throwIfAborted();
      return { ok: false, reason: networkReason(err) };
    }
    if (isRetryableStatus(res.status)) {
      const after = retryAfterMs(res.headers.get('retry-after'), Date.now());
      return { ok: false, reason: `HTTP ${res.status}`, status: res.status, ...(after !== undefined && { retryAfterMs: after }) };
    }
    if (!res.ok) {
      // API v2 explains a refused query in a line of text ("Unknown field …").
      const said = body.replace(/\s+/g, ' ').trim().slice(0, 300);
      throw new CtgovError('refused', `ClinicalTrials.gov API refused the request (HTTP ${res.status})${said ? `: ${said}` : ''}`, res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new CtgovError('invalid-answer', `ClinicalTrials.gov API at ${this.baseUrl} answered something that is not JSON (${res.headers.get('content-type') ?? 'no content type'}): is CAIRN_CTGOV_BASE_URL the API v2 base (…/api/v2)?`);
    }
    try {
      return { ok: true, page: readStudiesPage(json) };
    } catch (err) {
      throw new CtgovError('invalid-answer', `ClinicalTrials.gov API at ${this.baseUrl}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  /**
   * Waits for this request's turn: starts at least one interval apart, in the order asked. The
   * next turn counts from when this request really starts, not from when it was due: a timer that
   * fires late on a busy machine must not let the next request follow at once (counted from the
   * due time, two starts came 2.5 ms apart at a 50 ms pace while the test suite ran).
   */
  #pace(): Promise<void> {
    const turn = this.#turn.then(async () => {
      const now = performance.now();
      this.#firstStart ??= now;
      if (this.#nextStart > now) await this.#sleep(this.#nextStart - now);
      this.#nextStart = performance.now() + this.#intervalMs;
    });
    // An aborted wait rejects its own request only; the next still waits its turn.
    this.#turn = turn.catch(() => undefined);
    return turn;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.#signal;
      if (signal?.aborted) return reject(signal.reason as Error);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
