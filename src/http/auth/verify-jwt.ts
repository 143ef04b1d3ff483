import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';
import { createRemoteJwks, type RemoteJwksOptions } from './remote-jwks.js';
import type { ReplayCache } from './replay-cache.js';
import type { TrustedIssuer } from './trusted-issuers.js';

/**
 * Verifies the JWT a CDS client sends on every call (CDS Hooks 2.0.1 "Trusting CDS Clients" and
 * the cds-hooks best-practices page): issuer allowlist → that issuer's keys; ES384 or RS384 only
 * (never `none`, never HMAC); `aud` the exact URL called or a configured alias; `exp`, `iat` and
 * `jti` required; a small clock tolerance; each `jti` accepted once.
 */
export const ACCEPTED_ALGORITHMS = ['ES384', 'RS384'];
/** Tokens are meant to live minutes (the sandbox uses 5); refusing older `iat` bounds the replay cache. */
const MAX_TOKEN_AGE_S = 3600;

export class AuthError extends Error {}

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

/** `routePath` is the path below the public base URL, e.g. `/cds-services/triage`. */
export type JwtVerifier = (token: string, publicUrl: string, routePath: string) => Promise<VerifiedClient>;

export function createJwtVerifier(opts: JwtVerifierOptions): JwtVerifier {
  const byIssuer = new Map(opts.issuers.map((i) => [i.iss, i]));
  // One key set per JWKS URL: the fetched keys are cached, and a token with an unknown `kid` (a
  // rotated key) makes them be refetched at once, within limits (remote-jwks.ts).
  const keySets = new Map<string, JWTVerifyGetKey>();
  const keySetFor = (issuer: TrustedIssuer): JWTVerifyGetKey => {
    const cacheKey = issuer.jwksUrl ?? `inline:${issuer.iss}`;
    let keySet = keySets.get(cacheKey);
    if (!keySet) {
      keySet = issuer.jwksUrl
        ? createRemoteJwks(new URL(issuer.jwksUrl), { timeoutMs: 2000, cacheMaxAgeMs: 600_000, ...opts.jwks })
        : createLocalJWKSet({ keys: issuer.jwks?.keys ?? [] } as Parameters<typeof createLocalJWKSet>[0]);
      keySets.set(cacheKey, keySet);
    }
    return keySet;
  };

  return async (token, publicUrl, routePath) => {
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
    // Never fetch keys from a `jku` that the issuer's entry does not name.
    if (header.jku !== undefined && header.jku !== issuer.jwksUrl) throw new AuthError('jku not on the allowlist');

    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, keySetFor(issuer), {
        algorithms: ACCEPTED_ALGORITHMS,
        issuer: issuer.iss,
        audience: acceptedAudiences(publicUrl, routePath, issuer.audAliases),
        clockTolerance: opts.clockToleranceS,
        maxTokenAge: MAX_TOKEN_AGE_S,
        requiredClaims: ['exp', 'iat', 'jti'],
        typ: 'JWT',
      }));
    } catch (err) {
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
 * The exact URL called (public base + route path), with and without a trailing slash, plus each alias
 * as is (an exact URL) and as another base for the same route path.
 */
export function acceptedAudiences(publicUrl: string, routePath: string, aliases: string[]): string[] {
  const path = routePath.replace(/\/+$/, '');
  const out = new Set<string>();
  for (const base of [publicUrl, ...aliases]) {
    const url = `${base.replace(/\/+$/, '')}${path}`;
    out.add(url);
    out.add(`${url}/`);
  }
  for (const alias of aliases) out.add(alias);
  return [...out];
}
