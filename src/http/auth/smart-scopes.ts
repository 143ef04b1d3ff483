/**
 * What a SMART access token's scopes allow, for the API for apps to check before it works on a
 * caller's behalf. Pure.
 *
 * Grammar (SMART App Launch 2.x §Scopes and Launch Context, with the 1.0 forms it keeps):
 *   <context>/<resource type or *>.<permissions>[?<query>]
 *   context:     patient | user | system
 *   permissions: 2.x: a subset of c r u d s, in that order (r read, s search);
 *                1.0: read, write or * (read and write)
 * A scope with a query (`patient/Observation.rs?category=vital-signs`) grants part of the type;
 * Cairn counts it as granting the type and leaves the narrowing to the FHIR server, which
 * enforces it on every read made with the token.
 */

export type ScopeContext = 'patient' | 'user' | 'system';
export type ReadInteraction = 'read' | 'search';

export interface ResourceScope {
  context: ScopeContext;
  /** A FHIR resource type, or `*`. */
  resourceType: string;
  read: boolean;
  search: boolean;
}

const RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|c?r?u?d?s?)(\?\S*)?$/;

export function parseScopes(scope: string | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter((s) => s.length > 0);
}

/** A resource scope's parts, or undefined for anything else (`openid`, `launch/patient`, `fhirUser`…). */
export function resourceScope(scope: string): ResourceScope | undefined {
  const m = RESOURCE_SCOPE.exec(scope);
  if (!m || m[3] === '') return undefined;
  const [, context, resourceType, permissions] = m as unknown as [string, ScopeContext, string, string];
  if (permissions === 'read' || permissions === '*') return { context, resourceType, read: true, search: true };
  if (permissions === 'write') return { context, resourceType, read: false, search: false };
  return { context, resourceType, read: permissions.includes('r'), search: permissions.includes('s') };
}

/** The contexts (patient, user, system) in which the scopes allow this interaction on this type. */
export function grantingContexts(scopes: readonly string[], resourceType: string, interaction: ReadInteraction): Set<ScopeContext> {
  const contexts = new Set<ScopeContext>();
  for (const s of scopes) {
    const parsed = resourceScope(s);
    if (!parsed || (parsed.resourceType !== '*' && parsed.resourceType !== resourceType)) continue;
    if (interaction === 'read' ? parsed.read : parsed.search) contexts.add(parsed.context);
  }
  return contexts;
}

export function permits(scopes: readonly string[], resourceType: string, interaction: ReadInteraction): boolean {
  return grantingContexts(scopes, resourceType, interaction).size > 0;
}

/** The scope an app asks for to get this interaction, in the 2.x form (for a 403's `scope` parameter). */
export function scopeFor(context: ScopeContext, resourceType: string, interaction: ReadInteraction): string {
  return `${context}/${resourceType}.${interaction === 'read' ? 'r' : 's'}`;
}

/** True when some scope is in the user context: the token was issued to a user of the EHR (a clinician, a coordinator), not to a patient's own app. */
export function hasUserContext(scopes: readonly string[]): boolean {
  return scopes.some((s) => resourceScope(s)?.context === 'user');
}

/**
 * True when the token reads this type only in the patient context: it is bound to its launch
 * patient, and Cairn must not use it for another patient.
 */
export function patientScopedOnly(scopes: readonly string[], resourceType: string, interaction: ReadInteraction): boolean {
  const contexts = grantingContexts(scopes, resourceType, interaction);
  return contexts.size === 1 && contexts.has('patient');
}
