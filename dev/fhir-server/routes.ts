import { allOk } from '@medplum/core';
import type { FhirRouteHandler, FhirRouter, HttpMethod } from '@medplum/fhir-router';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { requestBaseUrl } from './base-url.js';
import { bundleHandler } from './bundles.js';
import { buildCapabilityStatement } from './capability.js';
import type { SecurityMode } from './capability.js';
import { createSearchHandler, systemSearchUnsupported } from './search-handler.js';

/**
 * Swaps the handler of one of FhirRouter's built-in routes. Adding a route would not do: the
 * router keeps the first of equally specific routes, so Medplum's own would still win.
 */
function replaceHandler(router: FhirRouter, method: HttpMethod, path: string, handler: FhirRouteHandler): void {
  const wanted = path.split('/').filter(Boolean);
  const route = router.router.routes.find(
    (r) =>
      r.method === method &&
      r.path.length === wanted.length &&
      r.path.every((segment, i) => (segment.param ? `:${segment.value}` : segment.value) === wanted[i]),
  );
  if (!route) throw new Error(`FhirRouter has no ${method} /${path} route to replace`);
  route.handler = handler;
}

function createCapabilityHandler(baseUrl: () => string, security: SecurityMode): FhirRouteHandler {
  const cache = new Map<string, CapabilityStatement>();
  return async (req) => {
    const base = requestBaseUrl(req.headers, baseUrl());
    let statement = cache.get(base);
    if (!statement) {
      statement = buildCapabilityStatement(base, security);
      cache.set(base, statement);
    }
    return [allOk, statement];
  };
}

/** Replaces Medplum's search and Bundle routes with the dev server's and adds `/metadata`. */
export function installDevRoutes(
  router: FhirRouter,
  options: { baseUrl: () => string; security: SecurityMode },
): void {
  const search = createSearchHandler(options.baseUrl);
  replaceHandler(router, 'GET', ':resourceType', search);
  replaceHandler(router, 'POST', ':resourceType/_search', search);
  replaceHandler(router, 'GET', '', systemSearchUnsupported);
  replaceHandler(router, 'POST', '', bundleHandler);
  router.add('GET', 'metadata', createCapabilityHandler(options.baseUrl, options.security));
}
