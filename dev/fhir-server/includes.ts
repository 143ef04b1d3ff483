import {
  convertToSearchableReferences,
  evalFhirPathTyped,
  getReferenceString,
  getSearchParameter,
  Operator,
  toTypedValue,
} from '@medplum/core';
import type { IncludeTarget, WithId } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Resource, ResourceType } from '@medplum/fhirtypes';

/** References from `resources` through one `_include` parameter, as `Type/id` strings. */
function referencesThrough(resources: Resource[], target: IncludeTarget): string[] {
  const expression = getSearchParameter(target.resourceType, target.searchParam)?.expression;
  if (!expression) return [];
  const refs = resources
    .filter((r) => r.resourceType === target.resourceType)
    .flatMap((r) => convertToSearchableReferences(evalFhirPathTyped(expression, [toTypedValue(r)])));
  return refs.filter((ref) => {
    const [type, id, ...rest] = ref.split('/');
    return rest.length === 0 && Boolean(id) && (!target.targetType || type === target.targetType);
  });
}

/**
 * Resolves `_include` and `_revinclude` (one level, no `:iterate`) for a page of matches.
 * Medplum's MemoryRepository ignores both. Resources already in the page are not repeated and
 * dangling references are skipped, as a search result may legitimately contain them.
 */
export async function resolveIncludes(
  repo: FhirRepository,
  matches: WithId<Resource>[],
  include: IncludeTarget[],
  revInclude: IncludeTarget[],
): Promise<WithId<Resource>[]> {
  const seen = new Set(matches.map((r) => getReferenceString(r)));
  const included: WithId<Resource>[] = [];
  const add = (resource: WithId<Resource>): void => {
    const key = getReferenceString(resource);
    if (!seen.has(key)) {
      seen.add(key);
      included.push(resource);
    }
  };

  for (const target of include) {
    for (const ref of new Set(referencesThrough(matches, target))) {
      if (seen.has(ref)) continue;
      const [type = '', id = ''] = ref.split('/');
      try {
        add(await repo.readResource(type, id));
      } catch {
        // A reference to a resource this server does not hold.
      }
    }
  }

  const matchRefs = [...new Set(matches.map((r) => getReferenceString(r)))];
  for (const target of revInclude) {
    if (matchRefs.length === 0) break;
    const bundle = await repo.search({
      resourceType: target.resourceType as ResourceType,
      filters: [{ code: target.searchParam, operator: Operator.EQUALS, value: matchRefs.join(',') }],
    });
    for (const entry of bundle.entry ?? []) if (entry.resource) add(entry.resource);
  }
  return included;
}
