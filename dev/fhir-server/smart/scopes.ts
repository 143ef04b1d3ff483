/**
 * SMART App Launch scopes as the dev authorization server grants them (pure: no I/O).
 *
 * Resource scopes come in two syntaxes (SMART App Launch 2.0, "Scopes and Launch Context"):
 * v1 `patient/Observation.read|write|*` and v2 `patient/Observation.cruds` (any in-order subset
 * of the letters c, r, u, d, s). v1 `read` means v2 `rs`, `write` means `cud`, `*` means `cruds`.
 */

export type ScopeContext = 'patient' | 'user';
export type Operation = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  context: ScopeContext;
  /** A FHIR resource type, or `*` for all. */
  resourceType: string;
  operations: ReadonlySet<Operation>;
}

const V1_OPERATIONS: Record<string, Operation[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};
// SMART 2.0 requires the letters in this order, each at most once.
const V2_OPERATIONS = /^c?r?u?d?s?$/;
const RESOURCE_SCOPE = /^(patient|user)\/([A-Za-z]+|\*)\.([A-Za-z*]+)$/;

/** A `patient/…` or `user/…` scope, or undefined for anything else (including v2 scopes with `?query`). */
export function parseResourceScope(scope: string): ResourceScope | undefined {
  const match = RESOURCE_SCOPE.exec(scope);
  if (!match) return undefined;
  const [, context, resourceType, permission] = match as unknown as [string, ScopeContext, string, string];
  const v1 = Object.hasOwn(V1_OPERATIONS, permission) ? V1_OPERATIONS[permission] : undefined;
  if (v1) return { context, resourceType, operations: new Set(v1) };
  if (permission === '' || !V2_OPERATIONS.test(permission)) return undefined;
  return { context, resourceType, operations: new Set(permission.split('') as Operation[]) };
}

/** Whether any of `scopes` allows `operation` on `resourceType` in `context`. */
export function allows(scopes: readonly ResourceScope[], context: ScopeContext, resourceType: string, operation: Operation): boolean {
  return scopes.some(
    (s) => s.context === context && (s.resourceType === '*' || s.resourceType === resourceType) && s.operations.has(operation),
  );
}

/** Whether a user-level scope allows every operation on every resource type. */
export function allowsEverything(scopes: readonly ResourceScope[]): boolean {
  return (['c', 'r', 'u', 'd', 's'] as const).every((op) => scopes.some((s) => s.context === 'user' && s.resourceType === '*' && s.operations.has(op)));
}

/**
 * A patient-level scope cut down to reading (r, s), in the syntax it was asked in, or undefined
 * when it grants no reading. This server's patient-level tokens are read-only: a write under a
 * patient scope would need the written resource's compartment checked, which it does not do.
 */
function readOnlyPatientScope(scope: string, parsed: ResourceScope): string | undefined {
  const permission = scope.slice(scope.lastIndexOf('.') + 1);
  if (Object.hasOwn(V1_OPERATIONS, permission)) {
    return parsed.operations.has('r') ? `patient/${parsed.resourceType}.read` : undefined;
  }
  const letters = (['r', 's'] as const).filter((op) => parsed.operations.has(op)).join('');
  return letters ? `patient/${parsed.resourceType}.${letters}` : undefined;
}

export interface ScopeRequestContext {
  /** An EHR launch (a valid `launch` parameter) rather than a standalone one. */
  ehrLaunch: boolean;
  /** The EHR launch carries an encounter. */
  hasEncounter: boolean;
  /** The server knows a user to name in an id_token. */
  hasUser: boolean;
  isResourceType(name: string): boolean;
}

export interface ScopeDecision {
  /** The scopes granted, in the order asked, without repeats. */
  granted: string[];
  /** What was asked and not granted, with why: shown to developers, never an error by itself. */
  refused: Array<{ scope: string; reason: string }>;
  /** The token must be bound to a patient (the user picks one in a standalone launch). */
  needsPatient: boolean;
}

/**
 * Which of the requested scopes the dev server grants. OAuth lets a server grant fewer scopes
 * than asked (RFC 6749 §3.3); the token response's `scope` tells the app what it got.
 */
export function decideScopes(requested: readonly string[], ctx: ScopeRequestContext): ScopeDecision {
  const granted: string[] = [];
  const refused: ScopeDecision['refused'] = [];
  const grant = (scope: string): void => {
    if (!granted.includes(scope)) granted.push(scope);
  };
  const wanted = new Set(requested);
  for (const scope of requested) {
    switch (scope) {
      case 'launch':
        if (ctx.ehrLaunch) grant(scope);
        else refused.push({ scope, reason: 'only an EHR launch (with a launch parameter) has launch context' });
        continue;
      case 'launch/patient':
        grant(scope);
        continue;
      case 'launch/encounter':
        if (ctx.ehrLaunch && ctx.hasEncounter) grant(scope);
        else refused.push({ scope, reason: 'encounter context comes only from an EHR launch that names an encounter' });
        continue;
      case 'openid':
        if (ctx.hasUser) grant(scope);
        else refused.push({ scope, reason: 'the server holds no Practitioner to identify as the user' });
        continue;
      case 'fhirUser':
      case 'profile':
        if (ctx.hasUser && wanted.has('openid')) grant(scope);
        else refused.push({ scope, reason: 'needs openid and a Practitioner to name' });
        continue;
      case 'online_access':
      case 'offline_access':
        refused.push({ scope, reason: 'this server issues no refresh tokens' });
        continue;
    }
    const parsed = parseResourceScope(scope);
    if (!parsed) {
      refused.push({ scope, reason: scope.includes('?') ? 'granular scopes with a query are not supported' : 'not a scope this server knows' });
      continue;
    }
    if (parsed.resourceType !== '*' && !ctx.isResourceType(parsed.resourceType)) {
      refused.push({ scope, reason: `${parsed.resourceType} is not a FHIR R4 resource type` });
      continue;
    }
    if (parsed.context === 'user') {
      grant(scope);
      continue;
    }
    const readOnly = readOnlyPatientScope(scope, parsed);
    if (readOnly) grant(readOnly);
    if (readOnly !== scope) refused.push({ scope, reason: 'patient-level tokens only read (r, s) on this server' });
  }
  const needsPatient = ctx.ehrLaunch || granted.includes('launch/patient') || granted.some((s) => s.startsWith('patient/'));
  return { granted, refused, needsPatient };
}
