import {
  badRequest,
  convertToSearchableReferences,
  deepClone,
  evalFhirPathTyped,
  getSearchParameter,
  matchesSearchRequest,
  Operator,
  OperationOutcomeError,
  splitSearchOnComma,
  toTypedValue,
  validateResource,
} from '@medplum/core';
import type { Filter, SearchRequest, WithId } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { isFhirResourceType } from './definitions.js';
import { memoryStoreOf, WriteJournal } from './journal.js';
import type { MemoryStore } from './journal.js';
import { sortResources } from './sort.js';

/** A stored resource's searchable references for one search parameter, and the expression they came from. */
interface References {
  expression: string;
  values: ReadonlySet<string>;
}

/**
 * Medplum's MemoryRepository with what a dev server needs on top: every write is validated,
 * transactions roll back on failure, and search narrows by reference first, clones only the
 * requested page and sorts with precomputed keys.
 */
export class DevRepository extends MemoryRepository {
  private readonly store: MemoryStore = memoryStoreOf(this);
  private journal: WriteJournal | undefined;
  /**
   * Medplum matches a search by evaluating each parameter's FHIRPath expression, parsed anew, on
   * every stored resource of the type: with 1,000 patients one `Observation?patient=X` took about
   * 7 ms, most of a screening's FHIR time. A resource's references are computed once per stored
   * version instead. Keyed by the stored object: a write stores a new object (see journal.ts), so
   * an entry can never outlive the version it describes, and rolled-back or deleted ones are
   * simply collected.
   */
  private readonly references = new WeakMap<Resource, Map<string, References>>();

  /** Also the path of every update and patch: MemoryRepository implements both through it. */
  override async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
    if (!isFhirResourceType(resource.resourceType)) {
      throw new OperationOutcomeError(badRequest(`Unknown resource type: ${String(resource.resourceType)}`));
    }
    validateResource(resource);
    const id = resource.id ?? this.generateId();
    this.journal?.remember(resource.resourceType, id);
    return super.createResource({ ...resource, id });
  }

  override async deleteResource(resourceType: string, id: string): Promise<void> {
    this.journal?.remember(resourceType, id);
    return super.deleteResource(resourceType, id);
  }

  /**
   * Writes are serialised by the server, so one journal at a time is enough; a nested call
   * (Medplum's conditional create/update inside a transaction) joins the outer one.
   */
  override async withTransaction<TResult>(callback: (client: undefined) => Promise<TResult>): Promise<TResult> {
    if (this.journal) return callback(undefined);
    const journal = new WriteJournal(this.store);
    this.journal = journal;
    try {
      return await callback(undefined);
    } catch (err) {
      journal.rollback();
      throw err;
    } finally {
      this.journal = undefined;
    }
  }

  /** The searchable references of `resource` for `code`, as Medplum's matcher computes them. */
  private referencesOf(resource: Resource, code: string, expression: string): ReadonlySet<string> {
    let byCode = this.references.get(resource);
    if (!byCode) this.references.set(resource, (byCode = new Map()));
    const cached = byCode.get(code);
    if (cached?.expression === expression) return cached.values;
    const values = new Set(convertToSearchableReferences(evalFhirPathTyped(expression, [toTypedValue(resource)])));
    byCode.set(code, { expression, values });
    return values;
  }

  /**
   * A reference filter Medplum matches by plain equality (`patient=Patient/X`, or several values
   * separated by commas): a resource can match the search only if one of its references is one
   * of the values, so it narrows the resources before the full match.
   */
  private narrowingFilter(resourceType: string, filters: readonly Filter[] | undefined): { code: string; expression: string; values: string[] } | undefined {
    for (const f of filters ?? []) {
      // `_compartment` also matches a bare id by suffix; `:missing`, `:not` and an empty value are not plain equality.
      if (f.operator !== Operator.EQUALS || f.code === '_compartment' || f.value === '') continue;
      const param = getSearchParameter(resourceType, f.code);
      if (param?.type !== 'reference' || !param.expression) continue;
      return { code: f.code, expression: param.expression, values: splitSearchOnComma(f.value) };
    }
    return undefined;
  }

  override async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const stored = this.store.resources.get(searchRequest.resourceType);
    const narrow = this.narrowingFilter(searchRequest.resourceType, searchRequest.filters);
    let matches: Resource[] = [];
    for (const resource of stored?.values() ?? []) {
      if (narrow) {
        const refs = this.referencesOf(resource, narrow.code, narrow.expression);
        if (!narrow.values.some((v) => refs.has(v))) continue;
      }
      if (matchesSearchRequest(resource, searchRequest)) matches.push(resource);
    }
    if (searchRequest.sortRules?.length) {
      matches = sortResources(matches, searchRequest.resourceType, searchRequest.sortRules);
    }
    const offset = searchRequest.offset ?? 0;
    const end = searchRequest.count === undefined ? undefined : offset + searchRequest.count;
    const entry = matches.slice(offset, end).map((resource) => ({ resource: deepClone(resource) as WithId<T> }));
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      ...(entry.length ? { entry } : {}),
    };
  }

  /** Current versions held, across all types. */
  resourceCount(): number {
    let count = 0;
    for (const byId of this.store.resources.values()) count += byId.size;
    return count;
  }

  /** MemoryRepository's version reverses its stored history array in place on every read. */
  override async readHistory<T extends Resource>(resourceType: string, id: string): Promise<Bundle<T>> {
    await this.readResource(resourceType, id);
    const versions = this.store.history.get(resourceType)?.get(id) ?? [];
    const entry = [...versions].reverse().map((version) => ({ resource: deepClone(version) as T }));
    return { resourceType: 'Bundle', type: 'history', ...(entry.length ? { entry } : {}) };
  }
}
