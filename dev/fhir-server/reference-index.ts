import { convertToSearchableReferences, evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { MemoryStore } from './journal.js';

/** A stored version's searchable references for one search parameter, and the expression they came from. */
interface References {
  expression: string;
  values: ReadonlySet<string>;
}

interface Index {
  expression: string;
  /** Reference → ids of the resources that named it when they were stored. */
  byReference: Map<string, Set<string>>;
}

/**
 * Which stored resources of a type name a reference, per reference search parameter: the
 * candidates of a `patient=X` search. Medplum's MemoryRepository matches a search by evaluating
 * the parameter's FHIRPath expression, parsed anew, on every stored resource of the type; with
 * 1,000 patients loaded one `Observation?patient=X` took about 7 ms, and a screening makes six
 * such searches a patient.
 *
 * Entries are only ever added: when an index is built, and when a resource is written. A candidate
 * is checked against the version stored now (its references are computed once per stored object,
 * and a write stores a new object), so an entry left behind by an update, a delete or a rolled-back
 * transaction costs a lookup, never a wrong answer. Candidates come in the order their ids were
 * first stored, the order Medplum's own scan returns them in.
 */
export class ReferenceIndex {
  private readonly references = new WeakMap<Resource, Map<string, References>>();
  private readonly indexes = new Map<string, Map<string, Index>>();
  private readonly order = new Map<string, Map<string, number>>();
  private sequence = 0;

  constructor(private readonly store: MemoryStore) {}

  /** The searchable references of a stored version for one parameter, as Medplum's matcher computes them. */
  referencesOf(resource: Resource, code: string, expression: string): ReadonlySet<string> {
    let byCode = this.references.get(resource);
    if (!byCode) this.references.set(resource, (byCode = new Map()));
    const cached = byCode.get(code);
    if (cached?.expression === expression) return cached.values;
    const values = new Set(convertToSearchableReferences(evalFhirPathTyped(expression, [toTypedValue(resource)])));
    byCode.set(code, { expression, values });
    return values;
  }

  /** Call after every write of `resourceType/id`: indexes the version now stored. */
  written(resourceType: string, id: string): void {
    const indexes = this.indexes.get(resourceType);
    const resource = this.store.resources.get(resourceType)?.get(id);
    if (!indexes || !resource) return;
    this.place(resourceType, id);
    for (const [code, index] of indexes) this.add(index, id, this.referencesOf(resource, code, index.expression));
  }

  /** Stored resources of the type that name one of `values` through the parameter, in first-stored order. */
  candidates(resourceType: string, code: string, expression: string, values: readonly string[]): Resource[] {
    const stored = this.store.resources.get(resourceType);
    if (!stored) return [];
    const index = this.indexFor(resourceType, code, expression, stored);
    const ids = new Set<string>();
    for (const value of values) for (const id of index.byReference.get(value) ?? []) ids.add(id);
    const order = this.order.get(resourceType) as Map<string, number>;
    const out: Resource[] = [];
    for (const id of [...ids].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))) {
      const resource = stored.get(id);
      if (!resource) continue;
      const refs = this.referencesOf(resource, code, expression);
      if (values.some((v) => refs.has(v))) out.push(resource);
    }
    return out;
  }

  private indexFor(resourceType: string, code: string, expression: string, stored: ReadonlyMap<string, Resource>): Index {
    let indexes = this.indexes.get(resourceType);
    if (!indexes) this.indexes.set(resourceType, (indexes = new Map()));
    const existing = indexes.get(code);
    if (existing?.expression === expression) return existing;
    // First search by this parameter (or its expression changed): index what is stored, in stored order.
    const index: Index = { expression, byReference: new Map() };
    for (const [id, resource] of stored) {
      this.place(resourceType, id);
      this.add(index, id, this.referencesOf(resource, code, expression));
    }
    indexes.set(code, index);
    return index;
  }

  private place(resourceType: string, id: string): void {
    let order = this.order.get(resourceType);
    if (!order) this.order.set(resourceType, (order = new Map()));
    if (!order.has(id)) order.set(id, this.sequence++);
  }

  private add(index: Index, id: string, refs: ReadonlySet<string>): void {
    for (const ref of refs) {
      let ids = index.byReference.get(ref);
      if (!ids) index.byReference.set(ref, (ids = new Set()));
      ids.add(id);
    }
  }
}
