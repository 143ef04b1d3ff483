import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';

const LOADABLE_TYPES = new Set(['transaction', 'batch', 'collection']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An entry that stores its resource under the id it already has, or creates it if it has none. */
function storeEntry(entry: BundleEntry, resource: Resource): BundleEntry {
  const request: BundleEntry['request'] = resource.id
    ? { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }
    : { method: 'POST', url: resource.resourceType };
  return { ...entry, request };
}

/**
 * Turns a transaction, batch or collection Bundle into the transaction that loads it. Unlike a
 * client's transaction, resources keep the ids they were given (a plain POST of Synthea data
 * would renumber every patient): unconditional POSTs of resources with an id become PUTs, and
 * collection entries are PUT (or POSTed when they have no id). urn:uuid fullUrls are kept, so
 * references to them are still rewritten.
 */
export function toLoadTransaction(input: unknown): Bundle {
  if (!isRecord(input) || input.resourceType !== 'Bundle') {
    throw new OperationOutcomeError(badRequest('Expected a FHIR Bundle'));
  }
  const bundle = input as unknown as Bundle;
  if (!bundle.type || !LOADABLE_TYPES.has(bundle.type)) {
    throw new OperationOutcomeError(badRequest(`Cannot load a Bundle of type ${String(bundle.type)}`));
  }
  const entry = (bundle.entry ?? []).flatMap((e): BundleEntry[] => {
    const resource = e.resource;
    if (bundle.type === 'collection') return resource ? [storeEntry(e, resource)] : [];
    if (resource && e.request?.method === 'POST' && !e.request.ifNoneExist && resource.id) {
      return [storeEntry(e, resource)];
    }
    return [e];
  });
  return { resourceType: 'Bundle', type: 'transaction', entry };
}
