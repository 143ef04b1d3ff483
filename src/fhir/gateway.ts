import type { Bundle, FhirResource } from 'fhir/r4.js';
import { Client } from 'fhir-kit-client';
import pLimit from 'p-limit';
import { redactForLog } from '../log.js';
import { isUnderBase, normaliseFhirBase } from './server-allowlist.js';

/**
 * The one place Cairn talks to an EHR's FHIR server. fhir-kit-client returns untyped records;
 * they become `fhir/r4` types here, once. Each call has a time-out; calls of one hook share a
 * concurrency limit; search results follow `next` links up to a page bound. Nothing outside the
 * base URL is ever requested (a `next` link elsewhere ends the paging, an absolute URL elsewhere
 * is refused before any connection) and redirects are not followed, so the EHR's bearer token
 * stays with its server and a FHIR server cannot bounce Cairn to another address. Whether the
 * base URL itself may be read is decided before a gateway is made (`server-allowlist.ts`).
 */
export interface FhirGatewayOptions {
  baseUrl: string;
  /** `fhirAuthorization.access_token` from the hook request; omitted when the EHR sent none. */
  accessToken?: string;
  timeoutMs: number;
  concurrency: number;
  maxPages: number;
  /** Observes each HTTP call (for metrics); never sees the token. */
  onCall?: (outcome: 'ok' | 'not-found' | 'error' | 'timeout', seconds: number) => void;
}

/**
 * A failed call. The message is for the log (redacted: no FHIR ids, no search parameters); it
 * says what happened on the network and must not be shown to a caller.
 */
export class FhirFetchError extends Error {
  constructor(
    message: string,
    /** `refused`: the URL is outside the base URL, so no request was made. */
    readonly kind: 'timeout' | 'http' | 'network' | 'invalid-response' | 'refused',
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface FhirGateway {
  /** GET a read or a search, relative to the base URL. A read that finds nothing (404/410) is null. */
  get(relativeUrl: string, signal?: AbortSignal): Promise<FhirResource | null>;
  /** Follows `next` links of a searchset Bundle (up to the page bound), merging entries into one Bundle. */
  collectPages(first: Bundle, signal?: AbortSignal): Promise<Bundle>;
}

export function createFhirGateway(opts: FhirGatewayOptions): FhirGateway {
  const normalised = normaliseFhirBase(opts.baseUrl);
  if (!normalised.ok) throw new Error('the FHIR base URL must be an http(s) URL without credentials, query or fragment');
  const baseUrl = normalised.base;
  const client = new Client({ baseUrl, ...(opts.accessToken ? { bearerToken: opts.accessToken } : {}) });
  /** The absolute URL a read, search or next link names (undefined: not a URL); checked before anything is sent. */
  const resolve = (url: string): URL | undefined => {
    try {
      return /^https?:\/\//i.test(url) ? new URL(url) : new URL(`${baseUrl}/${url.replace(/^\/+/, '')}`);
    } catch {
      return undefined;
    }
  };
  // Caps the calls of one hook in flight, so a large prefetch cannot flood the EHR's server. Queued
  // calls start in call order; each one's time-out starts when it gets a slot, not while it waits.
  const limit = pLimit(opts.concurrency);

  const call = (url: string, outer?: AbortSignal): Promise<FhirResource | null> =>
    limit(async () => {
      const target = resolve(url);
      if (!target) throw new FhirFetchError('not a URL, not requested', 'refused');
      const shown = redactForLog(redactQuery(target.pathname + target.search));
      if (!isUnderBase(target, baseUrl)) throw new FhirFetchError(`${shown}: outside the FHIR base URL, not requested`, 'refused');
      const started = performance.now();
      const timeout = AbortSignal.timeout(opts.timeoutMs);
      const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
      const observe = (outcome: 'ok' | 'not-found' | 'error' | 'timeout') =>
        opts.onCall?.(outcome, (performance.now() - started) / 1000);
      try {
        // `manual`: a 3xx is an answer (a failure below), never a request to another address.
        const result = (await client.request(target.href, { options: { signal, redirect: 'manual' } })) as unknown;
        if (!isResource(result)) {
          observe('error');
          throw new FhirFetchError(`${shown}: response is not a FHIR resource`, 'invalid-response');
        }
        observe('ok');
        return result;
      } catch (err) {
        if (err instanceof FhirFetchError) throw err;
        const status = (err as { response?: { status?: number } }).response?.status;
        if (status === 404 || status === 410) {
          observe('not-found');
          return null;
        }
        if (timeout.aborted) {
          observe('timeout');
          throw new FhirFetchError(`${shown}: no answer within ${opts.timeoutMs} ms`, 'timeout');
        }
        observe('error');
        if (status !== undefined) {
          const note = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          throw new FhirFetchError(`${shown}: HTTP ${status}${note}`, 'http', status);
        }
        const code = (err as { cause?: { code?: unknown } }).cause?.code;
        throw new FhirFetchError(`${shown}: ${redactForLog((err as Error).message)}${typeof code === 'string' ? ` (${code})` : ''}`, 'network');
      }
    });

  return {
    get: (relativeUrl, signal) => call(relativeUrl, signal),
    async collectPages(first, signal) {
      // A server's malformed `entry` (not an array) is kept as it came for the PatientContext builder to report.
      if (first.entry !== undefined && !Array.isArray(first.entry)) return first;
      const entries = [...(first.entry ?? [])];
      let page: Bundle = first;
      for (let pages = 1; pages < opts.maxPages; pages++) {
        const next = page.link?.find((l) => l.relation === 'next')?.url;
        if (!next) break;
        let nextUrl: URL;
        try {
          nextUrl = new URL(next, `${baseUrl}/`);
        } catch {
          break;
        }
        // A next link outside the base URL ends the paging (the entries so far are kept).
        if (!isUnderBase(nextUrl, baseUrl)) break;
        const result = await call(nextUrl.href, signal);
        if (!result || result.resourceType !== 'Bundle') break;
        page = result;
        if (Array.isArray(page.entry)) entries.push(...page.entry);
      }
      const { link: _link, ...rest } = first;
      return { ...rest, entry: entries, ...(entries.length === 0 && { entry: undefined }) } as Bundle;
    },
  };
}

function isResource(value: unknown): value is FhirResource {
  return typeof value === 'object' && value !== null && typeof (value as { resourceType?: unknown }).resourceType === 'string';
}

/** Search parameters can carry patient identifiers; error messages keep only the path. */
function redactQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}
