import { allOk, badRequest, getReferenceString, notFound } from '@medplum/core';
import type { WithId } from '@medplum/core';
import type { FhirRequest, FhirRouteHandler } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import { requestBaseUrl } from './base-url.js';
import { isFhirResourceType } from './definitions.js';
import { resolveIncludes } from './includes.js';
import { parseSearch } from './search-query.js';
import type { ParsedSearch } from './search-query.js';

function preferLenient(req: FhirRequest): boolean {
  const prefer = req.headers?.prefer;
  return typeof prefer === 'string' && /handling\s*=\s*lenient/i.test(prefer);
}

/** Query parameters of a GET, plus the form body of a POST `_search`, as ordered pairs. */
function searchPairs(req: FhirRequest): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const add = (record: unknown): void => {
    if (!record || typeof record !== 'object') return;
    for (const [key, value] of Object.entries(record as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string') pairs.push([key, v]);
      }
    }
  };
  add(req.query);
  if (req.method === 'POST') add(req.body);
  return pairs;
}

function pageUrl(base: string, resourceType: string, search: ParsedSearch, offset: number): string {
  const params = new URLSearchParams(search.params);
  params.set('_count', String(search.count));
  if (offset > 0) params.set('_offset', String(offset));
  return `${base}/${resourceType}?${params.toString()}`;
}

function pagingLinks(base: string, resourceType: string, search: ParsedSearch, total: number): BundleLink[] {
  const { count, offset } = search;
  const links: BundleLink[] = [{ relation: 'self', url: pageUrl(base, resourceType, search, offset) }];
  if (count === 0) return links;
  links.push({ relation: 'first', url: pageUrl(base, resourceType, search, 0) });
  if (offset > 0) links.push({ relation: 'previous', url: pageUrl(base, resourceType, search, Math.max(0, offset - count)) });
  if (offset + count < total) links.push({ relation: 'next', url: pageUrl(base, resourceType, search, offset + count) });
  return links;
}

function entryOf(base: string, resource: WithId<Resource>, mode: 'match' | 'include'): BundleEntry {
  return { fullUrl: `${base}/${getReferenceString(resource)}`, resource, search: { mode } };
}

/**
 * Type-level search (GET `Type?...` and POST `Type/_search`) with the checks and paging links
 * Medplum's own handler lacks. Errors are thrown as OperationOutcomeErrors, which the router
 * turns into 4xx responses.
 */
export function createSearchHandler(fallbackBaseUrl: () => string): FhirRouteHandler {
  return async (req, repo) => {
    const resourceType = req.params.resourceType ?? '';
    if (!isFhirResourceType(resourceType)) {
      return [{ ...notFound, issue: [{ severity: 'error', code: 'not-found', details: { text: `Unknown resource type: ${resourceType}` } }] }];
    }
    const base = requestBaseUrl(req.headers, fallbackBaseUrl());
    const search = parseSearch(resourceType, searchPairs(req), { lenient: preferLenient(req), baseUrl: base });
    const result = await repo.search(search.request);
    const matches = (result.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
    const included = await resolveIncludes(repo, matches, search.include, search.revInclude);
    const total = result.total ?? matches.length;
    const entry = [...matches.map((r) => entryOf(base, r, 'match')), ...included.map((r) => entryOf(base, r, 'include'))];
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total,
      link: pagingLinks(base, resourceType, search, total),
      ...(entry.length ? { entry } : {}),
    };
    return [allOk, bundle];
  };
}

/** Whole-system search would need `_type` and Medplum's memory store cannot serve it. */
export const systemSearchUnsupported: FhirRouteHandler = async () => [
  badRequest('Whole-system search is not supported; search a resource type instead'),
];
