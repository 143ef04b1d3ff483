import type { Bundle, FhirResource } from 'fhir/r4.js';
import type { FhirGateway } from '../../fhir/gateway.js';
import { FhirFetchError } from '../../fhir/gateway.js';
import { renderTemplate, templateDependencies } from './template.js';

/**
 * Resolves each prefetch key of a service for one hook call (CDS Hooks 2.0.1 §Prefetch). The
 * policy per key is explicit, as in HAPI FHIR's CDS Hooks module:
 * - `client`: the EHR sent the data; use it (a paged Bundle is completed from `next` links);
 * - `client-null`: the EHR sent `null`, meaning there is no such data;
 * - `fetched`: the key was absent or held an OperationOutcome (the EHR's own fetch failed), so
 *   Cairn fetched it from `fhirServer` (null when a read found nothing);
 * - `not-applicable`: a token of the template has no value in this call (e.g. no encounterId);
 * - `failed`: the data could not be had. The caller answers 412 if the key is required.
 */
export type PrefetchOutcome =
  | { key: string; source: 'client'; value: FhirResource }
  | { key: string; source: 'client-null'; value: null }
  | { key: string; source: 'fetched'; value: FhirResource | null }
  | { key: string; source: 'not-applicable'; value: undefined }
  | { key: string; source: 'failed'; value: undefined; reason: string };

export type PrefetchData = Readonly<Record<string, FhirResource | null | undefined>>;

export interface PrefetchInput {
  templates: Readonly<Record<string, string>>;
  context: Record<string, unknown>;
  provided: Readonly<Record<string, unknown>> | undefined;
  /** Undefined when the request named no fhirServer: nothing can be fetched. */
  gateway: FhirGateway | undefined;
  signal?: AbortSignal;
}

export async function resolvePrefetch(input: PrefetchInput): Promise<PrefetchOutcome[]> {
  const keys = Object.keys(input.templates);
  const results = new Map<string, Promise<PrefetchOutcome>>();
  // Keys that read other keys' results (`%key`, 3.0) wait for those; the others run concurrently.
  const resolveKey = (key: string, stack: string[] = []): Promise<PrefetchOutcome> => {
    const existing = results.get(key);
    if (existing) return existing;
    const template = input.templates[key] ?? '';
    const deps = templateDependencies(template, keys).filter((d) => !stack.includes(d) && d !== key);
    const promise = Promise.all(deps.map((d) => resolveKey(d, [...stack, key]))).then((resolved) =>
      resolveOne(key, template, input, Object.fromEntries(resolved.map((r) => [r.key, r.value ?? undefined]))),
    );
    results.set(key, promise);
    return promise;
  };
  return Promise.all(keys.map((k) => resolveKey(k)));
}

async function resolveOne(
  key: string,
  template: string,
  input: PrefetchInput,
  variables: Record<string, unknown>,
): Promise<PrefetchOutcome> {
  const provided = input.provided?.[key];
  if (provided === null) return { key, source: 'client-null', value: null };
  if (isResource(provided) && provided.resourceType !== 'OperationOutcome') {
    if (provided.resourceType === 'Bundle' && input.gateway && hasNextLink(provided)) {
      try {
        return { key, source: 'client', value: await input.gateway.collectPages(provided, input.signal) };
      } catch (err) {
        return failed(key, `the prefetched Bundle is paged and its next page could not be fetched: ${describe(err)}`);
      }
    }
    return { key, source: 'client', value: provided };
  }
  if (provided !== undefined && !isResource(provided)) {
    return failed(key, 'the prefetch value is neither a FHIR resource nor null');
  }

  // Absent, or an OperationOutcome from the EHR's own attempt: fetch it ourselves.
  const rendered = renderTemplate(template, input.context, variables);
  if (!rendered.ok) {
    return rendered.reason === 'no-value'
      ? { key, source: 'not-applicable', value: undefined }
      : failed(key, `the prefetch template token {{${rendered.token}}} is invalid: ${rendered.message}`);
  }
  if (!input.gateway) return failed(key, 'the data was not prefetched and the request names no fhirServer to fetch it from');
  try {
    const fetched = await input.gateway.get(rendered.url, input.signal);
    if (fetched?.resourceType === 'OperationOutcome') return failed(key, 'the FHIR server answered with an OperationOutcome');
    const value = fetched?.resourceType === 'Bundle' ? await input.gateway.collectPages(fetched, input.signal) : fetched;
    return { key, source: 'fetched', value };
  } catch (err) {
    return failed(key, `fetching from the FHIR server failed: ${describe(err)}`);
  }
}

function failed(key: string, reason: string): PrefetchOutcome {
  return { key, source: 'failed', value: undefined, reason };
}

function isResource(value: unknown): value is FhirResource {
  return typeof value === 'object' && value !== null && typeof (value as { resourceType?: unknown }).resourceType === 'string';
}

function hasNextLink(bundle: Bundle): boolean {
  return bundle.link?.some((l) => l.relation === 'next') ?? false;
}

function describe(err: unknown): string {
  return err instanceof FhirFetchError ? err.message : 'unexpected error';
}

/** The prefetch values by key, as the clinical logic reads them. */
export function prefetchData(outcomes: PrefetchOutcome[]): PrefetchData {
  return Object.fromEntries(outcomes.map((o) => [o.key, o.value]));
}
