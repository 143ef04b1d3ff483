/**
 * Turns the builder's input (resources and Bundles in any mix, possibly nested, possibly
 * malformed) into a flat list of resources with a stable order and a provenance label each.
 *
 * What this step reports rather than hides:
 * - an OperationOutcome with an error in the input means a prefetch query failed: data the rules
 *   expect may be missing (`prefetch-error`);
 * - a searchset with a `next` link was not fully paged: later pages are absent (`bundle-incomplete`);
 * - the same resource twice with different content (`duplicate-resource`); identical copies, common
 *   when prefetch queries overlap, are merged silently.
 */
import { arr, describe, isObject, objects, prop, sourceLabel, str, text } from './fhir-json.js';
import type { JsonObject } from './fhir-json.js';
import type { Exclusion } from './types.js';

export interface SourceItem {
  resource: JsonObject;
  resourceType: string;
  id: string | undefined;
  /** `Observation/123`, or `Observation (input[2].entry[7], no id)`. */
  source: string;
  fullUrl: string | undefined;
  /** Position in the flattened input; ties in time keep this order. */
  position: number;
}

// Bundles inside Bundles (batch-response of searchsets) are legitimate; deeper nesting is not.
const MAX_BUNDLE_DEPTH = 4;

/** FHIR resource type names are upper camel case letters. */
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

export function collectResources(resources: unknown, exclusions: Exclusion[]): SourceItem[] {
  const items: SourceItem[] = [];
  const byKey = new Map<string, number>();

  const push = (resource: JsonObject, where: string, fullUrl: string | undefined): void => {
    const resourceType = str(resource, 'resourceType') as string;
    const id = text(resource, 'id');
    const source = sourceLabel(resourceType, id, where);
    const item: SourceItem = { resource, resourceType, id, source, fullUrl, position: items.length };
    if (id !== undefined) {
      const key = `${resourceType}/${id}`;
      const existing = byKey.get(key);
      if (existing !== undefined) {
        const kept = items[existing] as SourceItem;
        if (!sameContent(kept.resource, resource)) {
          const keepNew = isNewer(resource, kept.resource);
          exclusions.push({
            source,
            reason: 'duplicate-resource',
            detail: `two different versions of ${key} in the input; kept the ${keepNew ? 'later' : 'first'} (by meta.lastUpdated)`,
          });
          if (keepNew) items[existing] = { ...item, position: kept.position };
        }
        return;
      }
      byKey.set(key, items.length);
    }
    items.push(item);
  };

  const visit = (value: unknown, where: string, fullUrl: string | undefined, depth: number): void => {
    if (!isObject(value)) {
      exclusions.push({ source: where, reason: 'not-a-resource', detail: describe(value) });
      return;
    }
    const resourceType = text(value, 'resourceType');
    if (!resourceType || !RESOURCE_TYPE.test(resourceType)) {
      exclusions.push({ source: where, reason: 'not-a-resource', detail: resourceType ? `resourceType ${describe(resourceType)}` : 'no resourceType' });
      return;
    }
    if (resourceType === 'OperationOutcome') {
      reportOperationOutcome(value, where, exclusions);
      return;
    }
    if (resourceType !== 'Bundle') {
      push(value, where, fullUrl);
      return;
    }
    const label = sourceLabel('Bundle', text(value, 'id'), where);
    if (depth >= MAX_BUNDLE_DEPTH) {
      exclusions.push({ source: label, reason: 'malformed-resource', detail: `Bundles nested deeper than ${MAX_BUNDLE_DEPTH}` });
      return;
    }
    if (objects(value, 'link').some((l) => str(l, 'relation') === 'next')) {
      const total = prop(value, 'total');
      exclusions.push({
        source: label,
        reason: 'bundle-incomplete',
        detail: `searchset has a next link: only ${arr(value, 'entry').length}${typeof total === 'number' ? ` of ${total}` : ''} entries present`,
      });
    }
    arr(value, 'entry').forEach((entry, i) => {
      const entryWhere = `${where}.entry[${i}]`;
      if (!isObject(entry)) {
        exclusions.push({ source: entryWhere, reason: 'not-a-resource', detail: describe(entry) });
        return;
      }
      const responseStatus = text(prop(entry, 'response'), 'status');
      const resource = prop(entry, 'resource');
      if (resource === undefined) {
        // A batch-response entry with an error status and no resource: a failed sub-query.
        if (responseStatus && !/^2\d\d/.test(responseStatus)) {
          exclusions.push({ source: entryWhere, reason: 'prefetch-error', detail: `entry response status ${responseStatus}` });
          const outcome = prop(prop(entry, 'response'), 'outcome');
          if (isObject(outcome)) reportOperationOutcome(outcome, entryWhere, exclusions);
        } else {
          exclusions.push({ source: entryWhere, reason: 'not-a-resource', detail: 'Bundle entry without resource' });
        }
        return;
      }
      visit(resource, entryWhere, text(entry, 'fullUrl'), depth + 1);
    });
  };

  if (!Array.isArray(resources)) {
    exclusions.push({ source: 'input', reason: 'not-a-resource', detail: `resources is not an array: ${describe(resources)}` });
    return items;
  }
  resources.forEach((r, i) => visit(r, `input[${i}]`, undefined, 0));
  return items;
}

function reportOperationOutcome(outcome: JsonObject, where: string, exclusions: Exclusion[]): void {
  const errors = objects(outcome, 'issue').filter((i) => {
    const severity = str(i, 'severity');
    return severity === 'error' || severity === 'fatal';
  });
  // Warnings and information (e.g. searchset "outcome" entries) do not mean data are missing.
  if (errors.length === 0) return;
  const messages = errors
    .map((i) => text(i, 'diagnostics') ?? text(prop(i, 'details'), 'text') ?? str(i, 'code') ?? 'error')
    .join('; ');
  exclusions.push({
    source: sourceLabel('OperationOutcome', text(outcome, 'id'), where),
    reason: 'prefetch-error',
    detail: messages.length > 200 ? `${messages.slice(0, 197)}...` : messages,
  });
}

function sameContent(a: JsonObject, b: JsonObject): boolean {
  if (a === b) return true;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

function isNewer(candidate: JsonObject, current: JsonObject): boolean {
  const c = str(prop(candidate, 'meta'), 'lastUpdated');
  const k = str(prop(current, 'meta'), 'lastUpdated');
  if (!c || !k) return false;
  const ct = Date.parse(c);
  const kt = Date.parse(k);
  return Number.isFinite(ct) && Number.isFinite(kt) && ct > kt;
}
