/**
 * SNOMED CT subsumption from a FHIR terminology server (CAIRN_TERMINOLOGY_URL): "is the record's
 * code the target concept or one of its descendants?", asked with `CodeSystem/$subsumes`
 * (FHIR R4, codeA = the target concept, codeB = the record's code; outcome `subsumes` or
 * `equivalent` means yes).
 *
 * Built for a hook's hot path:
 * - answers are cached per code pair, bounded (least recently used evicted first) and with a TTL,
 *   so repeated hooks for the same or similar records do not call the server again; a concept's
 *   place in the hierarchy changes only with a new SNOMED CT release;
 * - every call has a timeout, and the caller passes its own deadline too (AbortSignal), so a slow
 *   server never holds a hook past its deadline;
 * - any failure (timeout, network, HTTP error, unreadable answer) gives `undefined`, "not known":
 *   the caller falls back to the shipped value sets. Failures are not cached, so the next hook
 *   tries again.
 */

export const SNOMED_CT = 'http://snomed.info/sct';

export type SubsumptionOutcome = 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed';

export interface SubsumptionChecker {
  /** The longest a caller should wait for a batch of lookups, ms (the client's timeout). */
  readonly timeoutMs: number;
  /**
   * Whether `ancestor` subsumes (or equals) `code` in `system`; undefined when the server could
   * not say in time (then use the value sets).
   */
  isA(system: string, ancestor: string, code: string, signal?: AbortSignal): Promise<boolean | undefined>;
}

export interface TerminologyClientOptions {
  /** Base URL of the FHIR terminology server (no trailing slash needed). */
  baseUrl: string;
  /** Longest wait for one answer, ms. */
  timeoutMs: number;
  /** Cached code pairs at most (least recently used evicted). */
  maxEntries?: number;
  /** How long a cached answer is used, ms. */
  ttlMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Told about each failure once per call, for the log. */
  onFailure?: (message: string) => void;
}

const OUTCOMES: ReadonlySet<string> = new Set(['equivalent', 'subsumes', 'subsumed-by', 'not-subsumed']);

/** A bounded map with a time to live: least recently used entries go first. */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert: Map keeps insertion order, so the first key is the least recently used.
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Reads the `outcome` of a $subsumes Parameters answer. */
export function subsumptionOutcome(body: unknown): SubsumptionOutcome | undefined {
  if (!body || typeof body !== 'object' || (body as { resourceType?: unknown }).resourceType !== 'Parameters') return undefined;
  const params = (body as { parameter?: Array<{ name?: unknown; valueCode?: unknown; valueString?: unknown }> }).parameter ?? [];
  const outcome = params.find((p) => p.name === 'outcome');
  const value = outcome?.valueCode ?? outcome?.valueString;
  return typeof value === 'string' && OUTCOMES.has(value) ? (value as SubsumptionOutcome) : undefined;
}

export function terminologyClient(options: TerminologyClientOptions): SubsumptionChecker & { cacheSize(): number } {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  // Defaults: 10,000 pairs (a few hundred kB) kept for a day.
  const cache = new TtlCache<boolean>(options.maxEntries ?? 10_000, options.ttlMs ?? 24 * 3600 * 1000, options.now);
  // Concurrent hooks asking the same pair share one request.
  const inFlight = new Map<string, Promise<boolean | undefined>>();

  async function ask(system: string, ancestor: string, code: string, signal?: AbortSignal): Promise<boolean | undefined> {
    const url = `${base}/CodeSystem/$subsumes?${new URLSearchParams({ system, codeA: ancestor, codeB: code }).toString()}`;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      const res = await doFetch(url, { headers: { accept: 'application/fhir+json' }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const outcome = subsumptionOutcome(await res.json());
      if (outcome === undefined) throw new Error('no outcome in the answer');
      return outcome === 'subsumes' || outcome === 'equivalent';
    } catch (err) {
      const why = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? `no answer within ${options.timeoutMs} ms or the hook deadline` : err instanceof Error ? err.message : String(err);
      options.onFailure?.(`terminology server ${base}: $subsumes ${ancestor} / ${code} failed (${why}); using the shipped value sets`);
      return undefined;
    }
  }

  return {
    async isA(system, ancestor, code, signal) {
      if (ancestor === code) return true;
      const key = `${system}|${ancestor}|${code}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const pending = inFlight.get(key);
      if (pending) return pending;
      const request = ask(system, ancestor, code, signal).then((answer) => {
        inFlight.delete(key);
        if (answer !== undefined) cache.set(key, answer);
        return answer;
      });
      inFlight.set(key, request);
      return request;
    },
    timeoutMs: options.timeoutMs,
    cacheSize: () => cache.size,
  };
}
