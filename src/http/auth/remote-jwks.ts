/**
 * A CDS client's JWKS, fetched from its URL, refetched when a token names a key it does not hold.
 *
 * jose's createRemoteJWKSet refetches for an unknown `kid` at most once per cooldown for all kids
 * together: with a 30 s cooldown, a client that rotates its signing key soon after any other
 * refetch (a stranger's random kid is enough) has its new key refused for up to 30 s. Here the
 * first token with a new kid refetches at once, and two limits keep tokens with made-up kids from
 * turning Cairn into a client that hammers the JWKS URL:
 *
 * - per kid: at most one refetch per `perKidIntervalMs` (a kid still unknown after its refetch is
 *   refused without another until then);
 * - for all kids: a token bucket of `unknownKidBurst` refetches, refilled one per
 *   `unknownKidRefillMs`. An attacker who drains it delays a genuine rotation by at most one
 *   refill interval.
 *
 * Concurrent refetches share one request. The whole set is also refetched when it is older than
 * `cacheMaxAgeMs` (a revoked key stops working within that time).
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export interface RemoteJwksOptions {
  /** Longest a JWKS fetch may take (default 2000 ms). */
  timeoutMs?: number;
  /** Refetch the set when it is this old (default 10 min). */
  cacheMaxAgeMs?: number;
  /** At most one refetch per unknown kid per this interval (default 60 s). */
  perKidIntervalMs?: number;
  /** Refetches for unknown kids that may happen back to back (default 5). */
  unknownKidBurst?: number;
  /** One more such refetch is allowed per this interval (default 6 s: at most 10 a minute). */
  unknownKidRefillMs?: number;
  /** Kids remembered for the per-kid limit; the oldest are forgotten past it (default 1000). */
  maxTrackedKids?: number;
  /** The clock, in ms (tests move it). */
  now?: () => number;
  /** Fetches and parses the JWKS document (default: fetch, no redirects, 1 MB at most). */
  fetchJwks?: (url: URL, timeoutMs: number) => Promise<unknown>;
}

const MAX_JWKS_BYTES = 1024 * 1024;

async function fetchJwksOverHttp(url: URL, timeoutMs: number): Promise<unknown> {
  // No redirects: the issuer's entry names the URL, and the keys must come from there.
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new errors.JOSEError(`JWKS fetch answered HTTP ${res.status}`);
  }
  const text = await res.text();
  if (text.length > MAX_JWKS_BYTES) throw new errors.JWKSInvalid('JWKS document too large');
  return JSON.parse(text) as unknown;
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

export function createRemoteJwks(url: URL, options: RemoteJwksOptions = {}): JWTVerifyGetKey {
  const timeoutMs = options.timeoutMs ?? 2000;
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 600_000;
  const perKidIntervalMs = options.perKidIntervalMs ?? 60_000;
  const burst = options.unknownKidBurst ?? 5;
  const refillMs = options.unknownKidRefillMs ?? 6_000;
  const maxTrackedKids = options.maxTrackedKids ?? 1000;
  const now = options.now ?? (() => performance.now());
  const fetchJwks = options.fetchJwks ?? fetchJwksOverHttp;

  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = 0;
  let pending: Promise<void> | undefined;
  let tokens = burst;
  let refilledAt = now();
  // Insertion-ordered: the first entry is the kid refetched for longest ago.
  const kidRefetchedAt = new Map<string, number>();

  const refetch = (): Promise<void> => {
    pending ??= (async () => {
      try {
        const jwks = await fetchJwks(url, timeoutMs);
        if (!isKeySet(jwks)) throw new errors.JWKSInvalid('JWKS document has no "keys" array');
        local = createLocalJWKSet(jwks);
        fetchedAt = now();
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  /** Whether a token naming `kid`, which the set lacks, may refetch now; if so, the refetch is counted. */
  const mayRefetchFor = (kid: string): boolean => {
    const t = now();
    const last = kidRefetchedAt.get(kid);
    if (last !== undefined && t - last < perKidIntervalMs) return false;
    tokens = Math.min(burst, tokens + (t - refilledAt) / refillMs);
    refilledAt = t;
    if (tokens < 1) return false;
    tokens -= 1;
    kidRefetchedAt.delete(kid);
    kidRefetchedAt.set(kid, t);
    if (kidRefetchedAt.size > maxTrackedKids) {
      const oldest = kidRefetchedAt.keys().next();
      if (!oldest.done) kidRefetchedAt.delete(oldest.value);
    }
    return true;
  };

  return async (header, token) => {
    if (!local || now() - fetchedAt >= cacheMaxAgeMs) await refetch();
    try {
      return await local!(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      if (mayRefetchFor(header.kid ?? '')) {
        await refetch();
      } else if (pending) {
        // Not allowed a refetch of its own, but one is under way (maybe for this very kid, by a
        // concurrent token): its keys are worth waiting for, and cost no extra fetch.
        await pending;
      } else {
        throw err;
      }
    }
    return local!(header, token);
  };
}
