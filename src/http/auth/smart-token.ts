/**
 * SMART access tokens for the API for apps (/api/*): an app calls Cairn with the token the EHR
 * gave it, and Cairn asks that EHR whether the token is good.
 *
 * The request names the FHIR server the token was issued for (`X-FHIR-Server: <base URL>`; it
 * may be left out when exactly one server is configured). That server must be on the list
 * (CAIRN_SMART_FHIR_SERVERS, compared as in src/fhir/server-allowlist.ts): Cairn then GETs
 * `<base>/.well-known/smart-configuration` (SMART App Launch 2.x §Conformance) and POSTs the token
 * to the `introspection_endpoint` it names (RFC 7662 §2.1, form-encoded, with Cairn's own client
 * credentials as HTTP Basic when configured). Only `active: true` (and an `exp` still ahead)
 * is accepted. Without the list, anyone could make Cairn send requests, and an app's token, to an
 * address of their choosing.
 *
 * Why introspection rather than checking a JWT: SMART access tokens are opaque to resource servers
 * (the EHR may issue JWTs, random strings or reference tokens), and only the EHR knows whether a
 * token was revoked. The answer is cached (keyed by a SHA-256 of server and token; the token itself
 * is never stored or logged) for at most CACHE_TTL_MS and never past the token's `exp`, so an app's
 * burst of calls costs one introspection, and a revoked token stops working within that time.
 * The discovery document is cached for DISCOVERY_TTL_MS.
 *
 * Failures: no token or an inactive one, 401 (`WWW-Authenticate: Bearer`, RFC 6750 §3); a server
 * not on the list, 403; no server named, or a malformed one, 400; the EHR's endpoints not
 * answering (time-out, network, non-2xx, not JSON, no introspection endpoint), 503.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { fhirServerAllowed, normaliseFhirBase, type FhirServerAllowlist } from '../../fhir/server-allowlist.js';
import { operationOutcome, type IssueType } from '../../hooks/operation-outcome.js';
import { redactForLog } from '../../log.js';
import { parseScopes } from './smart-scopes.js';

/** Who called, as the EHR's introspection endpoint described the token (res.locals.smart). */
export interface SmartCaller {
  /** The FHIR server the token is for (normalised base URL). */
  fhirServer: string;
  /** The launch context: the patient (a FHIR id on `fhirServer`) and encounter, when the token has them. */
  patient?: string;
  encounter?: string;
  /** The granted scopes, as the introspection answered them. */
  scopes: readonly string[];
  /** The token's subject (RFC 7662 `sub`) and the user as a FHIR resource (SMART `fhirUser`). */
  sub?: string;
  fhirUser?: string;
  clientId?: string;
  /** The token's expiry (epoch seconds), when given. */
  expiresAt?: number;
}

export type SmartAuthProblem = 'no-server' | 'bad-server' | 'server-not-allowed' | 'inactive' | 'unreachable';

export class SmartAuthError extends Error {
  constructor(
    readonly problem: SmartAuthProblem,
    /** For the caller: says what to do, never repeats the token or a URL with credentials. */
    message: string,
    /** For the log only (redacted there too). */
    readonly logReason: string = message,
  ) {
    super(message);
    this.name = 'SmartAuthError';
  }
}

export interface SmartTokenVerifierOptions {
  /** The FHIR servers whose tokens are accepted. */
  allowlist: FhirServerAllowlist;
  /** Cairn's client at the introspection endpoints, sent as HTTP Basic. */
  introspectionClient?: { id: string; secret: string };
  /** Each call to an EHR. */
  timeoutMs: number;
  /** Most tokens whose introspection is cached (the oldest are dropped). */
  maxCachedTokens?: number;
  /** The clock in ms since the epoch (tests move it). */
  now?: () => number;
  log: Logger;
}

/** How long an active introspection answer is trusted: a revoked token works at most this much longer. */
export const CACHE_TTL_MS = 60_000;
/** How long a server's smart-configuration is reused; endpoints move rarely. */
export const DISCOVERY_TTL_MS = 10 * 60_000;
/** Largest discovery or introspection answer read; both are small JSON objects. */
const MAX_ANSWER_BYTES = 256 * 1024;

/** The header that names the FHIR server a token is for. */
export const FHIR_SERVER_HEADER = 'X-FHIR-Server';

interface Discovery {
  introspectionEndpoint: URL;
}

export class SmartTokenVerifier {
  readonly #opts: SmartTokenVerifierOptions;
  readonly #now: () => number;
  /** Active answers by key, each with the time (ms) it may be trusted until; the LRU only bounds the count. */
  readonly #tokens: LRUCache<string, { caller: SmartCaller; until: number }>;
  readonly #pending = new Map<string, Promise<SmartCaller>>();
  readonly #discovery = new Map<string, { at: number; value: Discovery }>();
  readonly #discovering = new Map<string, Promise<Discovery>>();

  constructor(opts: SmartTokenVerifierOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#tokens = new LRUCache({ max: opts.maxCachedTokens ?? 10_000 });
  }

  /** The FHIR server a request's token is for: the one named, or the only one configured. */
  fhirServerFor(named: string | undefined): string {
    const { allowlist } = this.#opts;
    if (named === undefined || named.trim() === '') {
      if (allowlist.kind === 'bases' && allowlist.bases.length === 1) {
        const only = normaliseFhirBase(allowlist.bases[0]!);
        if (only.ok) return only.base;
      }
      throw new SmartAuthError('no-server', `name the FHIR server the token was issued for in the ${FHIR_SERVER_HEADER} header (its base URL)`, 'no FHIR server named');
    }
    const normalised = normaliseFhirBase(named.trim());
    if (!normalised.ok) throw new SmartAuthError('bad-server', `${FHIR_SERVER_HEADER} must be a FHIR base URL: an http(s) URL without user name, password, query or fragment`, 'malformed FHIR server');
    if (!fhirServerAllowed(allowlist, normalised.base)) {
      throw new SmartAuthError(
        'server-not-allowed',
        `Cairn does not accept tokens of this FHIR server (CAIRN_SMART_FHIR_SERVERS lists those it does)`,
        `FHIR server ${redactForLog(normalised.base)} is not allowed`,
      );
    }
    return normalised.base;
  }

  /** The caller behind `token` at `fhirServer` (a normalised, allowed base), or a SmartAuthError. */
  async verify(token: string, fhirServer: string): Promise<SmartCaller> {
    const key = createHash('sha256').update(fhirServer).update('\n').update(token).digest('hex');
    const cached = this.#tokens.get(key);
    if (cached) {
      if (cached.until > this.#now()) return cached.caller;
      this.#tokens.delete(key);
    }
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#introspect(token, fhirServer).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    const caller = await pending;
    if (!this.#tokens.has(key)) {
      const now = this.#now();
      const until = Math.min(now + CACHE_TTL_MS, caller.expiresAt === undefined ? Infinity : caller.expiresAt * 1000);
      if (until > now) this.#tokens.set(key, { caller, until });
    }
    return caller;
  }

  async #introspect(token: string, fhirServer: string): Promise<SmartCaller> {
    const { introspectionEndpoint } = await this.#discover(fhirServer);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const client = this.#opts.introspectionClient;
    if (client) {
      // RFC 6749 §2.3.1: each part form-urlencoded before the Base64 of id:secret.
      const credentials = `${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    const answer = await this.#call(introspectionEndpoint, fhirServer, 'introspection', {
      method: 'POST',
      headers,
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    });
    if (typeof answer.active !== 'boolean') throw unreachable(fhirServer, 'the introspection answer has no boolean "active"');
    if (!answer.active) throw new SmartAuthError('inactive', 'the access token is not active (expired, revoked or unknown to the FHIR server\'s authorization server)', 'token not active');
    const exp = typeof answer.exp === 'number' && Number.isFinite(answer.exp) ? answer.exp : undefined;
    if (exp !== undefined && exp * 1000 <= this.#now()) throw new SmartAuthError('inactive', 'the access token has expired', 'token expired (exp passed)');
    const text = (name: string): string | undefined => {
      const v = answer[name];
      return typeof v === 'string' && v.length > 0 ? v : undefined;
    };
    const patient = text('patient');
    const encounter = text('encounter');
    const sub = text('sub');
    const fhirUser = text('fhirUser');
    const clientId = text('client_id');
    return {
      fhirServer,
      ...(patient && { patient }),
      ...(encounter && { encounter }),
      scopes: parseScopes(text('scope')),
      ...(sub && { sub }),
      ...(fhirUser && { fhirUser }),
      ...(clientId && { clientId }),
      ...(exp !== undefined && { expiresAt: exp }),
    };
  }

  #discover(fhirServer: string): Promise<Discovery> {
    const cached = this.#discovery.get(fhirServer);
    if (cached && this.#now() - cached.at < DISCOVERY_TTL_MS) return Promise.resolve(cached.value);
    let pending = this.#discovering.get(fhirServer);
    if (!pending) {
      pending = (async () => {
        const doc = await this.#call(new URL(`${fhirServer}/.well-known/smart-configuration`), fhirServer, 'smart-configuration', { method: 'GET', headers: { accept: 'application/json' } });
        const value = { introspectionEndpoint: introspectionEndpoint(doc.introspection_endpoint, fhirServer) };
        this.#discovery.set(fhirServer, { at: this.#now(), value });
        return value;
      })().finally(() => this.#discovering.delete(fhirServer));
      this.#discovering.set(fhirServer, pending);
    }
    return pending;
  }

  /** One call to an EHR endpoint: no redirects, a time-out, a bounded JSON object back. */
  async #call(url: URL, fhirServer: string, what: string, init: RequestInit): Promise<Record<string, unknown>> {
    let res: globalThis.Response;
    try {
      // `manual`: a 3xx is a failure, never a request (with the token) to another address.
      res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.#opts.timeoutMs) });
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: unknown } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.#opts.timeoutMs} ms` : typeof e.cause?.code === 'string' ? e.cause.code : 'network error';
      throw unreachable(fhirServer, `${what}: ${why}`);
    }
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel().catch(() => undefined);
      const hint = what === 'introspection' && (res.status === 401 || res.status === 403) ? ' (check CAIRN_SMART_INTROSPECTION_CLIENT_ID and _SECRET)' : '';
      throw unreachable(fhirServer, `${what}: HTTP ${res.status}${hint}`);
    }
    const body = await readLimited(res, MAX_ANSWER_BYTES);
    if (body === undefined) throw unreachable(fhirServer, `${what}: answer larger than ${MAX_ANSWER_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw unreachable(fhirServer, `${what}: answer is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw unreachable(fhirServer, `${what}: answer is not a JSON object`);
    return parsed as Record<string, unknown>;
  }
}

function unreachable(fhirServer: string, reason: string): SmartAuthError {
  return new SmartAuthError(
    'unreachable',
    'the FHIR server\'s authorization server could not be asked whether the token is valid; try again later',
    `${redactForLog(fhirServer)}: ${reason}`,
  );
}

/**
 * The discovery document's introspection endpoint, if Cairn may send tokens there: an absolute
 * http(s) URL without credentials, https unless the FHIR server itself is plain http (a
 * development set-up). It may be on another host than the FHIR server (an EHR's authorization
 * server often is): the FHIR server is trusted, through the list, to name its own.
 */
function introspectionEndpoint(value: unknown, fhirServer: string): URL {
  if (typeof value !== 'string' || !URL.canParse(value)) throw unreachable(fhirServer, 'smart-configuration names no introspection_endpoint');
  const url = new URL(value);
  const plainHttpAllowed = new URL(fhirServer).protocol === 'http:';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && plainHttpAllowed)) throw unreachable(fhirServer, 'introspection_endpoint is not https');
  if (url.username || url.password || url.hash) throw unreachable(fhirServer, 'introspection_endpoint carries credentials or a fragment');
  return url;
}

/** The body as text, or undefined when it is longer than `max` bytes (reading stops there). */
async function readLimited(res: globalThis.Response, max: number): Promise<string | undefined> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Express

const FHIR_JSON = 'application/fhir+json';
/** Where the middleware keeps the token for handlers that read FHIR with it: a symbol, so that serialising res.locals never shows it. */
const TOKEN = Symbol('smart-access-token');

export function smartCaller(res: Response): SmartCaller {
  const caller = res.locals.smart as SmartCaller | undefined;
  if (!caller) throw new Error('no SMART caller: smartAuthenticate must run before this handler');
  return caller;
}

/** The caller's access token, to read FHIR on their behalf (never to be logged or stored). */
export function smartAccessToken(res: Response): string {
  const token = (res.locals as Record<symbol, unknown>)[TOKEN];
  if (typeof token !== 'string') throw new Error('no SMART access token: smartAuthenticate must run before this handler');
  return token;
}

function refuse(res: Response, status: number, code: IssueType, message: string, challenge?: string): void {
  if (challenge !== undefined) res.setHeader('WWW-Authenticate', challenge);
  res.status(status).type(FHIR_JSON).send(JSON.stringify(operationOutcome('error', code, message)));
}

const STATUS: Record<SmartAuthProblem, { status: number; code: IssueType }> = {
  'no-server': { status: 400, code: 'required' },
  'bad-server': { status: 400, code: 'invalid' },
  'server-not-allowed': { status: 403, code: 'forbidden' },
  inactive: { status: 401, code: 'login' },
  unreachable: { status: 503, code: 'transient' },
};

/**
 * Requires a SMART access token and puts its caller on `res.locals.smart`. Every refusal is an
 * OperationOutcome (the app shows why), and one warn line without the token.
 */
export function smartAuthenticate(opts: { verifier: SmartTokenVerifier; log: Logger; onFailure?: () => void }): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const path = req.baseUrl + req.path;
    const token = match?.[1];
    if (!token) {
      opts.onFailure?.();
      opts.log.warn({ path: path.slice(0, 200), reason: 'no bearer token' }, 'rejected app call');
      refuse(res, 401, 'login', `a SMART access token is required: Authorization: Bearer <token>, with ${FHIR_SERVER_HEADER}: <the FHIR base URL it was issued for>`, 'Bearer realm="cairn"');
      return;
    }
    let fhirServer: string;
    try {
      fhirServer = opts.verifier.fhirServerFor(req.get(FHIR_SERVER_HEADER));
    } catch (err) {
      return fail(err);
    }
    opts.verifier.verify(token, fhirServer).then((caller) => {
      res.locals.smart = caller;
      (res.locals as Record<symbol, unknown>)[TOKEN] = token;
      next();
    }, fail);

    function fail(err: unknown): void {
      opts.onFailure?.();
      if (!(err instanceof SmartAuthError)) {
        opts.log.error({ path: path.slice(0, 200), err: { message: (err as Error).message } }, 'SMART token check failed');
        refuse(res, 500, 'exception', 'internal error');
        return;
      }
      const { status, code } = STATUS[err.problem];
      if (err.problem === 'unreachable') {
        opts.log.error({ path: path.slice(0, 200), reason: err.logReason }, 'SMART token could not be checked');
        res.setHeader('Retry-After', '5');
      } else {
        opts.log.warn({ path: path.slice(0, 200), reason: err.logReason }, 'rejected app call');
      }
      refuse(res, status, code, err.message, status === 401 ? 'Bearer realm="cairn", error="invalid_token"' : undefined);
    }
  };
}

/**
 * Refuses the call with 403 (`insufficient_scope`, RFC 6750 §3.1) when the caller's scopes do not
 * allow the route: `missing` returns the scope to ask for and why, or undefined when allowed.
 */
export function requireSmartScope(missing: (caller: SmartCaller) => { scope: string; why: string } | undefined): RequestHandler {
  return (_req, res, next) => {
    const lack = missing(smartCaller(res));
    if (!lack) return next();
    refuse(res, 403, 'forbidden', lack.why, `Bearer realm="cairn", error="insufficient_scope", scope="${lack.scope}"`);
  };
}
