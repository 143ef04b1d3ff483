import { badRequest, deepClone, getSearchParameter, matchesSearchRequest, Operator, OperationOutcomeError, splitSearchOnComma, validateResource } from '@medplum/core';
import type { Filter, SearchRequest, WithId } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { isFhirResourceType } from './definitions.js';
import { memoryStoreOf, WriteJournal } from './journal.js';
import type { MemoryStore } from './journal.js';
import { ReferenceIndex } from './reference-index.js';
import { sortResources } from './sort.js';

/**
 * Medplum's MemoryRepository with what a dev server needs on top: every write is validated,
 * transactions roll back on failure, and search narrows by reference first, clones only the
 * requested page and sorts with precomputed keys.
 */
export class DevRepository extends MemoryRepository {
  private readonly store: MemoryStore = memoryStoreOf(this);
  private journal: WriteJournal | undefined;
  private readonly index = new ReferenceIndex(this.store);

  /** Also the path of every update and patch: MemoryRepository implements both through it. */
  override async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
    if (!isFhirResourceType(resource.resourceType)) {
      throw new OperationOutcomeError(badRequest(`Unknown resource type: ${String(resource.resourceType)}`));
    }
    validateResource(resource);
    const id = resource.id ?? this.generateId();
    this.journal?.remember(resource.resourceType, id);
    const stored = await super.createResource({ ...resource, id });
    this.index.written(resource.resourceType, id);
    return stored;
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

  /**
   * A reference filter Medplum matches by plain equality (`patient=Patient/X`, or several values
   * separated by commas): a resource can match the search only if one of its references is one
   * of the values, so the reference index (reference-index.ts) narrows the resources before
   * Medplum's full match, which still decides.
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

  /**
   * @param visible when given, resources it refuses are left out before sorting and paging: an
   * access token's view (smart/access.ts), so totals and page links count only what it may see.
   */
  override async search<T extends Resource>(searchRequest: SearchRequest<T>, visible?: (resource: Resource) => boolean): Promise<Bundle<WithId<T>>> {
    const { resourceType } = searchRequest;
    const narrow = this.narrowingFilter(resourceType, searchRequest.filters);
    const candidates = narrow
      ? this.index.candidates(resourceType, narrow.code, narrow.expression, narrow.values)
      : (this.store.resources.get(resourceType)?.values() ?? []);
    let matches: Resource[] = [];
    for (const resource of candidates) {
      if (matchesSearchRequest(resource, searchRequest) && (!visible || visible(resource))) matches.push(resource);
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
