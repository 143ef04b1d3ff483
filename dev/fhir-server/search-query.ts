import { badRequest, getSearchParameter, OperationOutcomeError, parseSearchRequest, splitSearchOnComma } from '@medplum/core';
import type { IncludeTarget, SearchRequest } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import { isFhirResourceType } from './definitions.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** A search request checked against what the in-memory matcher really supports. */
export interface ParsedSearch {
  request: SearchRequest;
  count: number;
  offset: number;
  /** The kept parameters other than paging, in request order, for building paging links. */
  params: Array<[string, string]>;
  include: IncludeTarget[];
  revInclude: IncludeTarget[];
}

/** Result parameters the server honours or may ignore without changing which resources match. */
const ACCEPTED_CONTROL = new Set(['_total', '_elements', '_pretty', '_summary', '_format', '_sort', '_include', '_revinclude']);

/**
 * Parameter types and modifiers Medplum's in-memory matcher evaluates correctly. Anything else
 * would make it return a silently wrong (usually empty) result, so it is rejected instead.
 * `:contains` is accepted because the matcher treats every string search as "contains".
 */
const SUPPORTED_MODIFIERS: Record<string, ReadonlySet<string>> = {
  token: new Set(['', 'missing', 'not']),
  string: new Set(['', 'missing', 'contains']),
  reference: new Set(['', 'missing']),
  date: new Set(['', 'missing']),
  uri: new Set(['', 'missing']),
};

export function isSupportedSearchParameterType(type: string | undefined): boolean {
  return type !== undefined && Object.hasOwn(SUPPORTED_MODIFIERS, type);
}

function reject(message: string): never {
  throw new OperationOutcomeError(badRequest(message));
}

function parseNonNegativeInt(name: string, value: string): number {
  if (!/^\d+$/.test(value)) reject(`Invalid ${name}: ${value}`);
  return Number(value);
}

/**
 * Rewrites reference search values to the `Type/id` form Medplum stores and compares: a bare id
 * becomes one alternative per target type (`123` -> `Patient/123,Group/123,...`), and absolute
 * URLs on this server lose the base.
 */
export function normalizeReferenceValue(value: string, targets: readonly string[], baseUrl: string): string {
  return splitSearchOnComma(value)
    .flatMap((raw) => {
      let ref = raw.startsWith(`${baseUrl}/`) ? raw.slice(baseUrl.length + 1) : raw;
      ref = ref.replace(/\/_history\/[^/]+$/, '');
      if (ref.includes('/') || ref.includes(':') || targets.length === 0) return [ref];
      return targets.map((type) => `${type}/${ref}`);
    })
    .join(',');
}

function parseIncludeTarget(name: string, modifier: string, value: string, resourceType: string): IncludeTarget {
  if (modifier) reject(`${name}:${modifier} is not supported`);
  const [source = '', code = '', targetType, ...rest] = value.split(':');
  const param = getSearchParameter(source, code);
  if (rest.length > 0 || !param || param.type !== 'reference') {
    reject(`Invalid ${name} value '${value}': expected SourceType:reference-parameter[:TargetType]`);
  }
  if (name === '_include' && source !== resourceType) {
    reject(`${name}=${value} does not apply to ${resourceType}`);
  }
  if (targetType !== undefined && !isFhirResourceType(targetType)) reject(`Unknown resource type in ${name}: ${targetType}`);
  return { resourceType: source, searchParam: code, ...(targetType ? { targetType } : {}) };
}

function checkSort(value: string, resourceType: string): void {
  for (const field of value.split(',')) {
    const code = field.startsWith('-') ? field.slice(1) : field;
    const param = getSearchParameter(resourceType, code);
    if (!param || !isSupportedSearchParameterType(param.type)) reject(`Unknown or unsupported _sort parameter: ${code}`);
  }
}

function checkFilter(
  resourceType: string,
  code: string,
  modifier: string,
  value: string,
  baseUrl: string,
): [string, string] {
  if (code.includes('.')) reject(`Chained search is not supported: ${code}`);
  const param: SearchParameter | undefined = getSearchParameter(resourceType, code);
  if (!param) reject(`Unknown search parameter for ${resourceType}: ${code}`);
  const type = param.type as string;
  const modifiers = SUPPORTED_MODIFIERS[type];
  if (!modifiers) reject(`Search parameter ${code} has type ${type}, which this server does not support`);
  if (modifier === 'missing') return [`${code}:missing`, value];
  if (type === 'reference') {
    const targets = param.target ?? [];
    // `subject:Patient=123` is a type modifier, not a matcher modifier: fold it into the value.
    if (modifier && targets.includes(modifier as (typeof targets)[number])) {
      return [code, normalizeReferenceValue(value, [modifier], baseUrl)];
    }
    if (modifier) reject(`Modifier :${modifier} is not supported for ${code}`);
    return [code, normalizeReferenceValue(value, targets, baseUrl)];
  }
  if (!modifiers.has(modifier)) reject(`Modifier :${modifier} is not supported for ${code}`);
  return [modifier ? `${code}:${modifier}` : code, value];
}

/**
 * Checks and normalises a type-level search. Unknown or unsupported parameters throw a 400
 * OperationOutcomeError unless `lenient` (Prefer: handling=lenient), which drops them.
 */
export function parseSearch(
  resourceType: string,
  query: Iterable<[string, string]>,
  options: { lenient: boolean; baseUrl: string },
): ParsedSearch {
  let count = DEFAULT_PAGE_SIZE;
  let offset = 0;
  let summaryCount = false;
  const params: Array<[string, string]> = [];
  const include: IncludeTarget[] = [];
  const revInclude: IncludeTarget[] = [];

  for (const [key, value] of query) {
    const colon = key.indexOf(':');
    const code = colon >= 0 ? key.slice(0, colon) : key;
    const modifier = colon >= 0 ? key.slice(colon + 1) : '';
    try {
      if (code === '_') continue; // cache buster some clients add
      if (code === '_count') {
        count = Math.min(parseNonNegativeInt('_count', value), MAX_PAGE_SIZE);
      } else if (code === '_offset' || code === '_getpagesoffset') {
        offset = parseNonNegativeInt(code, value);
      } else if (ACCEPTED_CONTROL.has(code)) {
        if (code === '_sort') checkSort(value, resourceType);
        else if (code === '_include') include.push(parseIncludeTarget(code, modifier, value, resourceType));
        else if (code === '_revinclude') revInclude.push(parseIncludeTarget(code, modifier, value, resourceType));
        else if (code === '_format' && !/json/i.test(value)) reject(`Only JSON is supported (_format=${value})`);
        else if (code === '_summary' && value === 'count') summaryCount = true;
        params.push([key, value]);
      } else if (code.startsWith('_') && !getSearchParameter(resourceType, code)) {
        reject(`Search parameter ${code} is not supported`);
      } else {
        params.push(checkFilter(resourceType, code, modifier, value, options.baseUrl));
      }
    } catch (err) {
      if (options.lenient && err instanceof OperationOutcomeError) continue;
      throw err;
    }
  }

  // Includes are resolved by the server after paging; Medplum's repository would ignore them.
  const filterParams = params.filter(([key]) => !key.startsWith('_include') && !key.startsWith('_revinclude'));
  const request = parseSearchRequest(`${resourceType}?${new URLSearchParams(filterParams).toString()}`);
  if (summaryCount) count = 0;
  request.count = count;
  request.offset = offset;
  return { request, count, offset, params, include, revInclude };
}
