import type { Bundle, FhirResource } from 'fhir/r4.js';
import type { FhirGateway } from '../../fhir/gateway.js';
import { AttachmentBudget, inlineAttachments } from './attachments.js';
import { FhirFetchError } from '../../fhir/gateway.js';
import { prefetchMismatch } from './conformance.js';
import { renderTemplate, templateDependencies } from './template.js';

/**
 * Resolves each prefetch key of a service for one hook call (CDS Hooks 2.0.1 §Prefetch). The
 * policy per key is explicit, as in HAPI FHIR's CDS Hooks module:
 * - `client`: the EHR sent the data and it is what the template asks for (`conformance.ts`); use
 *   it (a paged Bundle is completed from `next` links);
 * - `client-null`: the EHR sent `null`, meaning there is no such data;
 * - `fetched`: the key was absent, held an OperationOutcome (the EHR's own fetch failed) or held
 *   something other than what the template asks for (another type, another patient: the spec
 *   makes checking the data against its template the service's job), so Cairn fetched it from
 *   `fhirServer` (null when a read found nothing); `replaced` says why a value sent was not used;
 * - `not-applicable`: a token of the template has no value in this call (e.g. no encounterId);
 * - `failed`: the data could not be had. The caller answers 412 if the key is required.
 *
 * A failure's `reason` is generic and may be shown to the caller; `detail` (redacted: no ids, no
 * search parameters, no credentials) says what happened on the network and is for the log only.
 */
export type PrefetchOutcome =
  | { key: string; source: 'client'; value: FhirResource }
  | { key: string; source: 'client-null'; value: null }
  | { key: string; source: 'fetched'; value: FhirResource | null; replaced?: string }
  | { key: string; source: 'not-applicable'; value: undefined }
  | { key: string; source: 'failed'; value: undefined; reason: string; detail?: string; cause: FailureCause };

/**
 * `deadline`: the signal aborted first; `refused`: the request's fhirServer may not be used;
 * `no-server`: there was none; `template`: the template cannot be rendered; `fetch`: the FHIR
 * server failed or answered with something else than the template asks for; `not-found`: the FHIR
 * server has nothing at that address (see `requireFound`).
 */
export type FailureCause = 'deadline' | 'refused' | 'no-server' | 'fetch' | 'template' | 'not-found';

export type PrefetchData = Readonly<Record<string, FhirResource | null | undefined>>;

export interface PrefetchInput {
  templates: Readonly<Record<string, string>>;
  context: Record<string, unknown>;
  provided: Readonly<Record<string, unknown>> | undefined;
  /** Undefined when nothing can be fetched: the request named no fhirServer, or one it may not use. */
  gateway: FhirGateway | undefined;
  /** True when the request named a fhirServer this caller may not use (no request is made to it). */
  fhirServerRefused?: boolean;
  /** Aborted at the deadline (a hook's, or a screening's cut-off): every key not had by then fails at once, with cause `deadline`. */
  signal?: AbortSignal;
  /** Keys whose fetches start first (the required ones), so the concurrency limit queues the others. */
  first?: readonly string[];
}

const REASONS = {
  deadline: 'it could not be had before the deadline',
  noServer: 'it was not prefetched and the request names no fhirServer to fetch it from',
  refused: "it was not prefetched and the request's fhirServer is not one this client may use",
  fetch: 'it could not be fetched from the FHIR server',
  wrongAnswer: "the FHIR server's answer is not what the prefetch template asks for",
  paged: 'the prefetched Bundle is paged and its next page could not be fetched',
  template: 'its prefetch template cannot be rendered for this context',
  notFound: 'the FHIR server has no such resource (is the patient in context on that server?)',
} as const;

export async function resolvePrefetch(input: PrefetchInput): Promise<PrefetchOutcome[]> {
  const keys = Object.keys(input.templates);
  const results = new Map<string, Promise<PrefetchOutcome>>();
  const deadline = abortion(input.signal);
  const budget = new AttachmentBudget();
  // Notes kept as Binary resources are read inline where Cairn may fetch (attachments.ts).
  const withAttachments = async (o: PrefetchOutcome): Promise<PrefetchOutcome> => {
    if (!input.gateway || (o.source !== 'client' && o.source !== 'fetched') || !o.value) return o;
    const value = await inlineAttachments(o.value, input.gateway, budget, input.signal);
    return value === o.value ? o : { ...o, value };
  };
  // Keys that read other keys' results (`%key`, 3.0) wait for those; the others run concurrently.
  const resolveKey = (key: string, stack: string[] = []): Promise<PrefetchOutcome> => {
    const existing = results.get(key);
    if (existing) return existing;
    const template = input.templates[key] ?? '';
    const deps = templateDependencies(template, keys).filter((d) => !stack.includes(d) && d !== key);
    const work = Promise.all(deps.map((d) => resolveKey(d, [...stack, key]))).then((resolved) =>
      resolveOne(key, template, input, Object.fromEntries(resolved.map((r) => [r.key, r.value ?? undefined]))).then(withAttachments),
    );
    // At the deadline a key still waiting (on the FHIR server, or for a slot) fails at once.
    const promise = deadline ? Promise.race([work, deadline.then(() => failed(key, 'deadline', REASONS.deadline))]) : work;
    results.set(key, promise);
    return promise;
  };
  const first = new Set(input.first ?? []);
  for (const key of [...keys.filter((k) => first.has(k)), ...keys.filter((k) => !first.has(k))]) void resolveKey(key);
  return Promise.all(keys.map((k) => resolveKey(k)));
}

async function resolveOne(
  key: string,
  template: string,
  input: PrefetchInput,
  variables: Record<string, unknown>,
): Promise<PrefetchOutcome> {
  if (input.signal?.aborted) return failed(key, 'deadline', REASONS.deadline);
  const provided = input.provided?.[key];
  if (provided === null) return { key, source: 'client-null', value: null };
  const rendered = renderTemplate(template, input.context, variables);

  // Why a value the EHR sent is not used (then the key is fetched as if absent).
  let replaced: string | undefined;
  if (isResource(provided) && provided.resourceType !== 'OperationOutcome') {
    replaced = rendered.ok ? prefetchMismatch(rendered.url, provided) : undefined;
    if (replaced === undefined) {
      // A first page alone is not the data the template asks for (a problem list cut after page
      // one would let a card say a condition is not on it): it is completed, or the key is not had.
      if (provided.resourceType === 'Bundle' && hasNextLink(provided)) {
        if (!input.gateway) {
          const cause = input.fhirServerRefused ? 'refused' : 'no-server';
          return failed(key, cause, `${REASONS.paged}: ${input.fhirServerRefused ? "the request's fhirServer is not one this client may use" : 'the request names no fhirServer'}`);
        }
        try {
          const value = await input.gateway.collectPages(provided, input.signal);
          const problem = rendered.ok ? prefetchMismatch(rendered.url, value) : undefined;
          if (problem === undefined) return { key, source: 'client', value };
          replaced = `its later pages: ${problem}`;
        } catch (err) {
          return fetchFailure(key, input, REASONS.paged, err);
        }
      } else {
        return { key, source: 'client', value: provided };
      }
    }
  } else if (provided !== undefined && !isResource(provided)) {
    replaced = 'the prefetch value is neither a FHIR resource nor null';
  }

  // Absent, an OperationOutcome from the EHR's own attempt, or not what was asked for: fetch it ourselves.
  const sent = replaced === undefined ? '' : 'the prefetched value is not what the prefetch template asks for, and ';
  if (!rendered.ok) {
    if (rendered.reason === 'no-value') return { key, source: 'not-applicable', value: undefined };
    return failed(key, 'template', `${sent}${REASONS.template}`, `token {{${rendered.token}}}: ${rendered.message}`);
  }
  if (!input.gateway) {
    return input.fhirServerRefused
      ? failed(key, 'refused', `${sent}${REASONS.refused}`, replaced)
      : failed(key, 'no-server', `${sent}${REASONS.noServer}`, replaced);
  }
  try {
    const fetched = await input.gateway.get(rendered.url, input.signal);
    if (fetched?.resourceType === 'OperationOutcome') return failed(key, 'fetch', REASONS.fetch, 'the FHIR server answered with an OperationOutcome');
    const value = fetched?.resourceType === 'Bundle' ? await input.gateway.collectPages(fetched, input.signal) : fetched;
    const problem = value ? prefetchMismatch(rendered.url, value) : undefined;
    if (problem !== undefined) return failed(key, 'fetch', REASONS.wrongAnswer, problem);
    return { key, source: 'fetched', value, ...(replaced !== undefined && { replaced }) };
  } catch (err) {
    return fetchFailure(key, input, REASONS.fetch, err);
  }
}

function fetchFailure(key: string, input: PrefetchInput, reason: string, err: unknown): PrefetchOutcome {
  // A fetch cut short by the deadline (the gateway's calls share the hook's signal) is late, not broken.
  if (input.signal?.aborted) return failed(key, 'deadline', REASONS.deadline);
  return failed(key, 'fetch', reason, describe(err));
}

function failed(key: string, cause: FailureCause, reason: string, detail?: string): PrefetchOutcome {
  return { key, source: 'failed', value: undefined, reason, cause, ...(detail !== undefined && { detail }) };
}

/** Resolves when the signal aborts (at once if it has); undefined without a signal. */
function abortion(signal: AbortSignal | undefined): Promise<void> | undefined {
  if (!signal) return undefined;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function isResource(value: unknown): value is FhirResource {
  return typeof value === 'object' && value !== null && typeof (value as { resourceType?: unknown }).resourceType === 'string';
}

function hasNextLink(bundle: Bundle): boolean {
  return bundle.link?.some((l) => l.relation === 'next') ?? false;
}

/** The gateway's messages are already redacted; anything else is not described at all. */
function describe(err: unknown): string {
  return err instanceof FhirFetchError ? err.message : 'unexpected error';
}

/**
 * The `required` keys Cairn fetched and found nothing at (the FHIR server answered 404 or 410, e.g.
 * the context's patient is not on it) become failures: a service cannot decide about a record the
 * server does not have, and running it on nothing would answer `200 []`, "nothing to report".
 * Other keys keep their null, and a null the EHR sent stays what it is: the EHR saying there is no
 * such data (CDS Hooks 2.0.1 §Prefetch).
 */
export function requireFound(outcomes: readonly PrefetchOutcome[], required: readonly string[]): PrefetchOutcome[] {
  return outcomes.map((o) => (o.source === 'fetched' && o.value === null && required.includes(o.key) ? failed(o.key, 'not-found', REASONS.notFound) : o));
}

/** The prefetch values by key, as the clinical logic reads them. */
export function prefetchData(outcomes: PrefetchOutcome[]): PrefetchData {
  return Object.fromEntries(outcomes.map((o) => [o.key, o.value]));
}
