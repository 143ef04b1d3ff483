import type { Bundle, FhirResource } from 'fhir/r4.js';
import { Client } from 'fhir-kit-client';
import pLimit from 'p-limit';

/**
 * The one place Cairn talks to an EHR's FHIR server. fhir-kit-client returns untyped records;
 * they become `fhir/r4` types here, once. Each call has a time-out; calls of one hook share a
 * concurrency limit; search results follow `next` links up to a page bound, and only on the same
 * origin, so the EHR's bearer token is never sent elsewhere.
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

export class FhirFetchError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'http' | 'network' | 'invalid-response',
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
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const origin = new URL(baseUrl).origin;
  const client = new Client({ baseUrl, ...(opts.accessToken ? { bearerToken: opts.accessToken } : {}) });
  // Caps the calls of one hook in flight, so a large prefetch cannot flood the EHR's server. Queued
  // calls start in call order; each one's time-out starts when it gets a slot, not while it waits.
  const limit = pLimit(opts.concurrency);

  const call = (url: string, outer?: AbortSignal): Promise<FhirResource | null> =>
    limit(async () => {
      const started = performance.now();
      const timeout = AbortSignal.timeout(opts.timeoutMs);
      const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
      const observe = (outcome: 'ok' | 'not-found' | 'error' | 'timeout') =>
        opts.onCall?.(outcome, (performance.now() - started) / 1000);
      try {
        const result = (await client.request(url, { options: { signal } })) as unknown;
        if (!isResource(result)) {
          observe('error');
          throw new FhirFetchError(`${redactQuery(url)}: response is not a FHIR resource`, 'invalid-response');
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
          throw new FhirFetchError(`${redactQuery(url)}: no answer within ${opts.timeoutMs} ms`, 'timeout');
        }
        observe('error');
        if (status !== undefined) throw new FhirFetchError(`${redactQuery(url)}: HTTP ${status}`, 'http', status);
        throw new FhirFetchError(`${redactQuery(url)}: ${(err as Error).message}`, 'network');
      }
    });

  return {
    get: (relativeUrl, signal) => call(relativeUrl, signal),
    async collectPages(first, signal) {
      const entries = [...(first.entry ?? [])];
      let page: Bundle = first;
      for (let pages = 1; pages < opts.maxPages; pages++) {
        const next = page.link?.find((l) => l.relation === 'next')?.url;
        if (!next || new URL(next, baseUrl).origin !== origin) break;
        const result = await call(next, signal);
        if (!result || result.resourceType !== 'Bundle') break;
        page = result;
        entries.push(...(page.entry ?? []));
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
