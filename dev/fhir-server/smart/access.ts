import { OperationOutcomeError } from '@medplum/core';
import type { SearchRequest, WithId } from '@medplum/core';
import type { FhirRepository } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { DevRepository } from '../repository.js';
import type { AccessGrant } from './auth-server.js';
import { hasPatientCompartment, inPatientCompartment } from './compartment.js';
import { allows, allowsEverything } from './scopes.js';
import type { Operation } from './scopes.js';

/** A FHIR request as the access policy sees it; `path` is the part after the FHIR base, without the query. */
export type Interaction =
  | { kind: 'public' }
  | { kind: 'read'; resourceType: string }
  | { kind: 'search'; resourceType: string }
  | { kind: 'write'; resourceType: string; operations: Operation[] }
  | { kind: 'bundle' }
  | { kind: 'other' };

/** Maps the routes of the dev server (Medplum's FhirRouter plus `/metadata`) to SMART operations. */
export function classifyRequest(method: string, path: string): Interaction {
  const segments = path.split('/').filter(Boolean);
  const [type = '', second, third, fourth] = segments;
  // `$graphql` and any other operation: the policy cannot tell what they read.
  if (segments.some((s) => s.startsWith('$'))) return { kind: 'other' };
  if (segments.length === 0) return method === 'POST' ? { kind: 'bundle' } : { kind: 'other' };
  if (segments.length === 1 && type === 'metadata' && method === 'GET') return { kind: 'public' };
  if (segments.length === 1) {
    switch (method) {
      case 'GET':
        return { kind: 'search', resourceType: type };
      case 'POST':
        return { kind: 'write', resourceType: type, operations: ['c'] };
      // Conditional update may create; conditional patch and delete first search.
      case 'PUT':
        return { kind: 'write', resourceType: type, operations: ['c', 'u', 's'] };
      case 'PATCH':
        return { kind: 'write', resourceType: type, operations: ['u', 's'] };
      case 'DELETE':
        return { kind: 'write', resourceType: type, operations: ['d', 's'] };
    }
    return { kind: 'other' };
  }
  if (segments.length === 2 && second === '_search' && method === 'POST') return { kind: 'search', resourceType: type };
  // Type-level history (`Type/_history`) and anything else that is not an id.
  if (second?.startsWith('_')) return { kind: 'other' };
  if (segments.length === 2) {
    switch (method) {
      case 'GET':
        return { kind: 'read', resourceType: type };
      case 'PUT':
        return { kind: 'write', resourceType: type, operations: ['u'] };
      case 'PATCH':
        return { kind: 'write', resourceType: type, operations: ['u'] };
      case 'DELETE':
        return { kind: 'write', resourceType: type, operations: ['d'] };
    }
    return { kind: 'other' };
  }
  // Instance history and vread.
  if (method === 'GET' && third === '_history' && (segments.length === 3 || (segments.length === 4 && fourth))) {
    return { kind: 'read', resourceType: type };
  }
  return { kind: 'other' };
}

export type AccessDecision =
  | { ok: true; visible?: (resource: Resource) => boolean }
  | { ok: false; status: 401 | 403; error: 'invalid_token' | 'insufficient_scope'; message: string };

function refuse(message: string): AccessDecision {
  return { ok: false, status: 403, error: 'insufficient_scope', message };
}

/**
 * Whether `grant` may perform `interaction`, and which resources it may then see.
 * User-level scopes see every resource of the types they name. Patient-level scopes see, of
 * the types they name, the resources in the token's patient compartment, and resources of
 * types that are never patient data (Medication, Practitioner, Organization…), which apps
 * read through references; that second part is this server's policy, as SMART leaves it to servers.
 */
export function decideAccess(interaction: Interaction, grant: AccessGrant | undefined): AccessDecision {
  if (interaction.kind === 'public') return { ok: true };
  if (!grant) return { ok: false, status: 401, error: 'invalid_token', message: 'A live access token from this server is required (SMART enforcement is on)' };
  const scopes = grant.resourceScopes;
  const { patient } = grant;
  const readable = (type: string, op: Operation): boolean => allows(scopes, 'user', type, op) || (patient !== undefined && allows(scopes, 'patient', type, op));
  const visible = (resource: Resource): boolean =>
    allows(scopes, 'user', resource.resourceType, 'r') ||
    allows(scopes, 'user', resource.resourceType, 's') ||
    (patient !== undefined &&
      (allows(scopes, 'patient', resource.resourceType, 'r') || allows(scopes, 'patient', resource.resourceType, 's')) &&
      (!hasPatientCompartment(resource.resourceType) || inPatientCompartment(resource, patient)));
  // Reading every type at user level: nothing to hide, and nothing to evaluate per resource.
  const unrestricted = allows(scopes, 'user', '*', 'r') && allows(scopes, 'user', '*', 's');

  switch (interaction.kind) {
    case 'bundle':
      return allowsEverything(scopes) ? { ok: true } : refuse('A batch or transaction needs user/*.cruds (or user/*.*): its entries may do anything');
    case 'other':
      return refuse('Operations, whole-system and type-level history requests are not available with SMART tokens on this dev server');
    case 'write': {
      const missing = interaction.operations.filter((op) => !allows(scopes, 'user', interaction.resourceType, op));
      if (missing.length === 0) return { ok: true };
      return refuse(`Writing ${interaction.resourceType} needs user-level ${missing.join('')} (patient-level tokens are read-only on this dev server)`);
    }
    case 'read':
    case 'search': {
      const op: Operation = interaction.kind === 'read' ? 'r' : 's';
      if (!readable(interaction.resourceType, op)) return refuse(`The token's scopes do not allow ${interaction.kind === 'read' ? 'reading' : 'searching'} ${interaction.resourceType}`);
      return unrestricted ? { ok: true } : { ok: true, visible };
    }
  }
}

function outsideScopes(resource: Resource): OperationOutcomeError {
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    id: 'forbidden',
    issue: [{ severity: 'error', code: 'forbidden', details: { text: `${resource.resourceType}/${resource.id} is outside what the access token may read` } }],
  };
  return new OperationOutcomeError(outcome);
}

/**
 * The repository as one request may see it: reads of hidden resources fail with 403, and
 * searches (with their _include and _revinclude) leave hidden resources out before paging, so
 * totals and links stay right. Everything else goes to the repository unchanged; the access
 * decision admits only reads and searches with a restriction.
 */
export function restrictedRepository(repo: DevRepository, visible: (resource: Resource) => boolean): FhirRepository {
  const check = <T extends Resource>(resource: T): T => {
    if (!visible(resource)) throw outsideScopes(resource);
    return resource;
  };
  const overrides: Partial<Record<keyof DevRepository, unknown>> = {
    readResource: async (type: string, id: string) => check(await repo.readResource(type, id)),
    readVersion: async (type: string, id: string, vid: string) => check(await repo.readVersion(type, id, vid)),
    readHistory: async (type: string, id: string) => {
      check(await repo.readResource(type, id));
      const history = await repo.readHistory(type, id);
      return { ...history, entry: history.entry?.filter((e) => !e.resource || visible(e.resource)) };
    },
    search: <T extends Resource>(request: SearchRequest<T>): Promise<Bundle<WithId<T>>> => repo.search(request, visible),
  };
  return new Proxy(repo, {
    get(target, prop) {
      if (typeof prop === 'string' && Object.hasOwn(overrides, prop)) return overrides[prop as keyof DevRepository];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as FhirRepository;
}
