import type { MemoryRepository } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';

type ById<T> = Map<string, Map<string, T>>;

/** The maps a MemoryRepository keeps its current versions and version history in. */
export interface MemoryStore {
  readonly resources: ById<Resource>;
  readonly history: ById<Resource[]>;
}

/**
 * Reaches MemoryRepository's private maps. Its `withTransaction()` is a no-op, so rolling back a
 * failed transaction needs them; the package is pinned to 4.5.2 and the shape is checked here so
 * an upgrade that renames them fails at start-up rather than silently losing atomicity.
 */
export function memoryStoreOf(repo: MemoryRepository): MemoryStore {
  const raw = repo as unknown as { resources?: unknown; history?: unknown };
  if (!(raw.resources instanceof Map) || !(raw.history instanceof Map)) {
    throw new Error('@medplum/fhir-router MemoryRepository internals changed: transactions cannot be made atomic');
  }
  return { resources: raw.resources as ById<Resource>, history: raw.history as ById<Resource[]> };
}

interface Saved {
  resourceType: string;
  id: string;
  resource: Resource | undefined;
  versions: number;
}

/**
 * Undo log for one transaction: the state of each resource as it was before the transaction
 * first touched it. Stored resources are never mutated in place by MemoryRepository (writes store
 * a fresh object, reads return clones), so keeping references is enough.
 */
export class WriteJournal {
  private readonly saved = new Map<string, Saved>();

  constructor(private readonly store: MemoryStore) {}

  remember(resourceType: string, id: string): void {
    const key = `${resourceType}/${id}`;
    if (this.saved.has(key)) return;
    this.saved.set(key, {
      resourceType,
      id,
      resource: this.store.resources.get(resourceType)?.get(id),
      versions: this.store.history.get(resourceType)?.get(id)?.length ?? 0,
    });
  }

  rollback(): void {
    for (const { resourceType, id, resource, versions } of this.saved.values()) {
      const current = this.store.resources.get(resourceType);
      if (resource) current?.set(id, resource);
      else current?.delete(id);
      const history = this.store.history.get(resourceType);
      const versionList = history?.get(id);
      if (versionList && versions === 0) history?.delete(id);
      else versionList?.splice(versions);
    }
    this.saved.clear();
  }
}
