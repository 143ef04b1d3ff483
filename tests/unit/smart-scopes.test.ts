import { describe, expect, it } from '@jest/globals';
import { classifyRequest } from '../../dev/fhir-server/smart/access.js';
import { checkRedirect } from '../../dev/fhir-server/smart/redirects.js';
import { allows, decideScopes, parseResourceScope } from '../../dev/fhir-server/smart/scopes.js';
import type { ScopeRequestContext } from '../../dev/fhir-server/smart/scopes.js';

const TYPES = new Set(['Patient', 'Observation', 'Encounter']);
const standalone: ScopeRequestContext = { ehrLaunch: false, hasEncounter: false, hasUser: true, isResourceType: (t) => TYPES.has(t) };
const ehr: ScopeRequestContext = { ...standalone, ehrLaunch: true };

describe('SMART resource scopes', () => {
  it.each([
    ['patient/Observation.read', 'patient', 'Observation', 'rs'],
    ['user/*.write', 'user', '*', 'cud'],
    ['user/*.*', 'user', '*', 'cruds'],
    ['patient/Observation.rs', 'patient', 'Observation', 'rs'],
    ['user/Encounter.cruds', 'user', 'Encounter', 'cruds'],
    ['patient/*.s', 'patient', '*', 's'],
  ])('reads %s', (scope, context, resourceType, ops) => {
    const parsed = parseResourceScope(scope);
    expect(parsed).toEqual({ context, resourceType, operations: new Set(ops.split('')) });
  });

  it.each(['patient/Observation.sr', 'patient/Observation.rr', 'patient/Observation.', 'system/*.read', 'patient/Observation.rs?category=laboratory', 'openid', 'patient/Obs-ervation.read'])(
    'rejects %s',
    (scope) => expect(parseResourceScope(scope)).toBeUndefined(),
  );

  it('matches a type or the wildcard, in the right context only', () => {
    const scopes = [parseResourceScope('patient/Observation.rs'), parseResourceScope('user/*.r')].flatMap((s) => s ?? []);
    expect(allows(scopes, 'patient', 'Observation', 's')).toBe(true);
    expect(allows(scopes, 'patient', 'Encounter', 's')).toBe(false);
    expect(allows(scopes, 'user', 'Encounter', 'r')).toBe(true);
    expect(allows(scopes, 'user', 'Encounter', 's')).toBe(false);
  });
});

describe('decideScopes', () => {
  it('grants the launch scopes an EHR launch can honour and asks for no picker', () => {
    const decision = decideScopes(['openid', 'fhirUser', 'launch', 'launch/patient', 'patient/*.read'], ehr);
    expect(decision.granted).toEqual(['openid', 'fhirUser', 'launch', 'launch/patient', 'patient/*.read']);
    expect(decision.refused).toEqual([]);
    expect(decision.needsPatient).toBe(true);
  });

  it('cuts patient-level scopes down to reading, in the syntax they were asked in', () => {
    const decision = decideScopes(['patient/*.*', 'patient/Observation.cruds', 'patient/Encounter.write', 'user/*.cud'], standalone);
    expect(decision.granted).toEqual(['patient/*.read', 'patient/Observation.rs', 'user/*.cud']);
    expect(decision.refused.map((r) => r.scope)).toEqual(['patient/*.*', 'patient/Observation.cruds', 'patient/Encounter.write']);
  });

  it('refuses what a standalone launch or this server cannot give', () => {
    const decision = decideScopes(['launch', 'launch/encounter', 'offline_access', 'system/*.read', 'patient/Unicorn.read', 'user/*.rs'], standalone);
    expect(decision.granted).toEqual(['user/*.rs']);
    expect(decision.refused).toHaveLength(5);
    expect(decision.needsPatient).toBe(false);
  });

  it('needs a patient in a standalone launch for launch/patient or any patient scope', () => {
    expect(decideScopes(['launch/patient'], standalone).needsPatient).toBe(true);
    expect(decideScopes(['patient/Observation.rs'], standalone).needsPatient).toBe(true);
  });

  it('grants no identity scopes without a user to name', () => {
    const decision = decideScopes(['openid', 'fhirUser', 'user/*.rs'], { ...standalone, hasUser: false });
    expect(decision.granted).toEqual(['user/*.rs']);
  });

  it('grants fhirUser only with openid', () => {
    expect(decideScopes(['fhirUser', 'user/*.rs'], standalone).granted).toEqual(['user/*.rs']);
  });
});

describe('classifyRequest', () => {
  it.each([
    ['GET', '/metadata', { kind: 'public' }],
    ['GET', '/Observation', { kind: 'search', resourceType: 'Observation' }],
    ['POST', '/Observation/_search', { kind: 'search', resourceType: 'Observation' }],
    ['GET', '/Observation/o1', { kind: 'read', resourceType: 'Observation' }],
    ['GET', '/Observation/o1/_history', { kind: 'read', resourceType: 'Observation' }],
    ['GET', '/Observation/o1/_history/2', { kind: 'read', resourceType: 'Observation' }],
    ['POST', '/Observation', { kind: 'write', resourceType: 'Observation', operations: ['c'] }],
    ['PUT', '/Observation/o1', { kind: 'write', resourceType: 'Observation', operations: ['u'] }],
    ['PUT', '/Observation', { kind: 'write', resourceType: 'Observation', operations: ['c', 'u', 's'] }],
    ['DELETE', '/Observation/o1', { kind: 'write', resourceType: 'Observation', operations: ['d'] }],
    ['POST', '', { kind: 'bundle' }],
    ['GET', '', { kind: 'other' }],
    ['POST', '/$graphql', { kind: 'other' }],
    ['GET', '/Patient/p1/$everything', { kind: 'other' }],
    ['GET', '/Observation/_history', { kind: 'other' }],
  ])('%s %s', (method, path, expected) => expect(classifyRequest(method, path)).toEqual(expected));
});

describe('checkRedirect', () => {
  it.each(['http://localhost:3000/app/', 'https://127.0.0.1/cb?x=1', 'http://[::1]:8080/'])('accepts %s on this machine', (uri) => {
    expect(checkRedirect(uri, []).ok).toBe(true);
  });

  it.each([
    ['https://app.example.org/cb', 'localhost'],
    ['http://localhost.example.org/cb', 'localhost'],
    ['ftp://localhost/cb', 'http or https'],
    ['http://localhost/cb#frag', 'fragment'],
    ['http://user:pw@localhost/cb', 'credentials'],
    ['/relative', 'absolute'],
  ])('refuses %s', (uri, reason) => {
    const check = checkRedirect(uri, []);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
  });

  it('accepts the origins of the allowlist, and only those', () => {
    expect(checkRedirect('https://app.example.org/cb', ['https://app.example.org']).ok).toBe(true);
    expect(checkRedirect('https://app.example.org:8443/cb', ['https://app.example.org']).ok).toBe(false);
  });
});
