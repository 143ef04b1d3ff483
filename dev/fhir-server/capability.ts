import { getSearchParameters } from '@medplum/core';
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
  ResourceType,
} from '@medplum/fhirtypes';
import { fhirResourceTypes } from './definitions.js';
import { isSupportedSearchParameterType } from './search-query.js';
import { capabilitySecurity, smartEndpoints } from './smart/discovery.js';

const RESOURCE_INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'create',
  'search-type',
].map((code) => ({ code: code as NonNullable<CapabilityStatementRestResource['interaction']>[number]['code'] }));

function searchParamsOf(resourceType: string): CapabilityStatementRestResourceSearchParam[] {
  return Object.entries(getSearchParameters(resourceType) ?? {})
    .filter(([, param]) => isSupportedSearchParameterType(param.type))
    .map(([name, param]) => ({
      name,
      type: param.type,
      ...(param.url ? { definition: param.url } : {}),
    }));
}

/** How the server checks requests, for CapabilityStatement.rest.security. */
export interface SecurityMode {
  /** A fixed bearer token (`requireBearerToken`). */
  fixedToken: boolean;
  /** SMART access tokens enforced (`smart.enforce`). */
  smartEnforced: boolean;
}

function securityDescription(mode: SecurityMode): string {
  const discovery = 'SMART App Launch (development only, no real authentication): see .well-known/smart-configuration.';
  if (mode.smartEnforced) {
    return `${discovery} Requests need an access token from this server${mode.fixedToken ? ' or the fixed bearer token' : ''}; patient-level tokens read only their patient's compartment.`;
  }
  if (mode.fixedToken) return `${discovery} Requests need Authorization: Bearer <token> (the fixed token); SMART tokens are issued but not checked.`;
  return `${discovery} Requests need no token: SMART tokens are issued but not checked.`;
}

/**
 * The server's CapabilityStatement. It lists only the search parameters the server evaluates
 * (token, string, reference, date, uri), since the others are rejected with 400.
 */
export function buildCapabilityStatement(baseUrl: string, mode: SecurityMode): CapabilityStatement {
  const resource = [...fhirResourceTypes()].sort().map(
    (type): CapabilityStatementRestResource => ({
      type: type as ResourceType,
      interaction: RESOURCE_INTERACTIONS,
      versioning: 'versioned',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalUpdate: true,
      conditionalDelete: 'single',
      searchParam: searchParamsOf(type),
    }),
  );
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    publisher: 'Cairn',
    kind: 'instance',
    software: { name: 'Cairn dev FHIR server (Medplum fhir-router in memory)' },
    implementation: { description: 'In-memory FHIR R4 server for development and tests', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        security: capabilitySecurity(smartEndpoints(baseUrl), securityDescription(mode)),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        resource,
      },
    ],
  };
}
