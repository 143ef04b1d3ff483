import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';
import { createRemoteJwks, type RemoteJwksOptions } from './remote-jwks.js';
import type { ReplayCache } from './replay-cache.js';
import type { TrustedIssuer } from './trusted-issuers.js';

/**
 * Verifies the JWT a CDS client sends on every call (CDS Hooks 2.0.1 "Trusting CDS Clients" and
 * the cds-hooks best-practices page): issuer allowlist → that issuer's keys; ES384 or RS384 only
 * (never `none`, never HMAC); `aud` the exact URL called (under any of Cairn's public base URLs)
 * or a configured alias; `exp`, `iat` and `jti` required; a small clock tolerance; each `jti`
 * accepted once.
 *
 * Which keys, and what a `jku` header does (the spec has the client either name its JWK Set URL
 * in `jku` or exchange its keys out of band; the CDS Hooks Sandbox does both, always sending its
 * `jku`):
 * - inline keys only (`jwks`): those keys; a `jku` is ignored, never fetched, since the keys were
 *   exchanged out of band and a URL in the token cannot add to them;
 * - `jwksUrl` only: the keys fetched from it; a `jku` must equal it (Cairn never fetches any other);
 * - both: a token whose `kid` names a pinned (inline) key is checked against that key alone, with
 *   no fetch; any other token against the keys at `jwksUrl`. The `jku` rule is that of `jwksUrl`.
 */
export const ACCEPTED_ALGORITHMS = ['ES384', 'RS384'];
/** Tokens are meant to live minutes (the sandbox uses 5); refusing older `iat` bounds the replay cache. */
const MAX_TOKEN_AGE_S = 3600;

export class AuthError extends Error {
  /** Facts for the log line of the refusal (never the token): e.g. the `aud` received and those accepted. */
  constructor(
    message: string,
    readonly detail?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export interface VerifiedClient {
  iss: string;
  /** The client's id (`sub`), for the audit trail. */
  sub?: string;
  jti: string;
  tenant?: string;
  /** The issuer's FHIR servers (normalised base URLs): the only ones its hook requests may make Cairn read. */
  fhirServers: readonly string[];
}

export interface JwtVerifierOptions {
  issuers: TrustedIssuer[];
  replayCache: ReplayCache;
  clockToleranceS: number;
  /** Fetching and refetching of remote JWKS (remote-jwks.ts); tests shorten the limits. */
  jwks?: RemoteJwksOptions;
}

/**
 * `publicUrls`: Cairn's public base URLs (config.publicUrls), any of which the `aud` may name;
 * `routePath` is the path called below them, e.g. `/cds-services/triage`.
 */
export type JwtVerifier = (token: string, publicUrls: readonly string[], routePath: string) => Promise<VerifiedClient>;

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const byIssuer = new Map(opts.issuers.map((i) => [i.iss, i]));
  // One fetched key set per JWKS URL, shared by the issuers that name it: the keys are cached,
  // and a token with an unknown `kid` (a rotated key) has them refetched at once, within limits
  // (remote-jwks.ts). Built now, fetched on the first token that needs them.
  const remoteSets = new Map<string, JWTVerifyGetKey>();
  const remoteSet = (url: string): JWTVerifyGetKey => {
    let keySet = remoteSets.get(url);
    if (!keySet) {
      keySet = createRemoteJwks(new URL(url), { timeoutMs: 2000, cacheMaxAgeMs: 600_000, ...opts.jwks });
      remoteSets.set(url, keySet);
    }
    return keySet;
  };
  // Each issuer's key lookup, built once.
  const keysByIssuer = new Map<string, JWTVerifyGetKey>(
    opts.issuers.map((issuer) => {
      const pinned = issuer.jwks ? createLocalJWKSet({ keys: issuer.jwks.keys } as Parameters<typeof createLocalJWKSet>[0]) : undefined;
      const remote = issuer.jwksUrl !== undefined ? remoteSet(issuer.jwksUrl) : undefined;
      let getKey: JWTVerifyGetKey;
      if (pinned && remote) {
        // Pinned first: a kid they hold never costs a fetch; a kid they lack goes to the URL. (A
        // token without a kid is checked against the one pinned key that fits its algorithm; if
        // several fit it is refused, if none, it goes to the URL.)
        getKey = async (header, token) => {
          try {
            return await pinned(header, token);
          } catch (err) {
            if (err instanceof errors.JWKSNoMatchingKey) return remote(header, token);
            throw err;
          }
        };
      } else {
        getKey = (pinned ?? remote)!;
      }
      return [issuer.iss, getKey];
    }),
  );

  return async (token, publicUrls, routePath) => {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverifiedIss: unknown;
    try {
      header = decodeProtectedHeader(token);
      unverifiedIss = decodeJwt(token).iss;
    } catch {
      throw new AuthError('malformed token');
    }
    if (typeof header.alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(header.alg)) {
      throw new AuthError(`algorithm ${String(header.alg)} not accepted`);
    }
    if (typeof unverifiedIss !== 'string') throw new AuthError('no issuer');
    const issuer = byIssuer.get(unverifiedIss);
    if (!issuer) throw new AuthError('untrusted issuer');
    // Keys are only ever fetched from the issuer's jwksUrl. An issuer with one has said where its
    // keys live: a `jku` naming anywhere else is refused. With inline keys only, a `jku` is not
    // used at all (see above), so it is not checked.
    if (header.jku !== undefined && issuer.jwksUrl !== undefined && header.jku !== issuer.jwksUrl) {
      throw new AuthError('jku not on the allowlist');
    }

    const audiences = acceptedAudiences(publicUrls, routePath, issuer.audAliases);
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, keysByIssuer.get(issuer.iss)!, {
        algorithms: ACCEPTED_ALGORITHMS,
        issuer: issuer.iss,
        audience: audiences,
        clockTolerance: opts.clockToleranceS,
        maxTokenAge: MAX_TOKEN_AGE_S,
        requiredClaims: ['exp', 'iat', 'jti'],
        typ: 'JWT',
      }));
    } catch (err) {
      // jose checks claims only once the signature holds: this `aud` is what the issuer really
      // sent. Saying what was received and what would have been accepted turns a bare 401 into a
      // fix (CAIRN_PUBLIC_URL or the issuer's audAliases).
      if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud') {
        throw new AuthError('verification failed: aud not accepted', { aud: { received: audForLog(err.payload.aud), expected: audiences } });
      }
      throw new AuthError(`verification failed: ${(err as { code?: string }).code ?? (err as Error).name}`);
    }
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0) throw new AuthError('no jti');
    const tenant = typeof payload.tenant === 'string' ? payload.tenant : undefined;
    if (issuer.tenants && (tenant === undefined || !issuer.tenants.includes(tenant))) {
      throw new AuthError('tenant not allowed');
    }
    // Remember the jti until the token could no longer pass the exp and iat checks anyway.
    const nowS = Date.now() / 1000;
    const lastValidS = Math.min(payload.exp ?? nowS, (payload.iat ?? nowS) + MAX_TOKEN_AGE_S) + opts.clockToleranceS;
    const first = await opts.replayCache.firstSeen(`${issuer.iss}|${jti}`, Math.max(1, lastValidS - nowS));
    if (!first) throw new AuthError('jti replayed');
    return {
      iss: issuer.iss,
      ...(typeof payload.sub === 'string' && { sub: payload.sub }),
      jti,
      ...(tenant !== undefined && { tenant }),
      fhirServers: issuer.fhirServers,
    };
  };
}

/**
 * The exact URL called (each public base + route path), with and without a trailing slash, plus
 * each alias as is (an exact URL) and as another base for the same route path.
 */
export function acceptedAudiences(publicUrls: readonly string[], routePath: string, aliases: readonly string[]): string[] {
  const path = routePath.replace(/\/+$/, '');
  const out = new Set<string>();
  for (const base of [...publicUrls, ...aliases]) {
    const url = `${base.replace(/\/+$/, '')}${path}`;
    out.add(url);
    out.add(`${url}/`);
  }
  for (const alias of aliases) out.add(alias);
  return [...out];
}

/** Most `aud` values, and characters of each, that a refusal's log line repeats. */
const AUD_LOG_MAX_VALUES = 10;
const AUD_LOG_MAX_CHARS = 300;

/** The `aud` of a refused token, bounded for the log (it is the issuer's, but its size is not Cairn's to choose). */
function audForLog(aud: unknown): unknown {
  const one = (v: unknown) => (typeof v === 'string' ? v.slice(0, AUD_LOG_MAX_CHARS) : v === undefined ? null : typeof v);
  return Array.isArray(aud) ? aud.slice(0, AUD_LOG_MAX_VALUES).map(one) : one(aud);
}
