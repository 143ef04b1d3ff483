import type { CapabilityStatementRestSecurity } from '@medplum/fhirtypes';

/** The SMART endpoints for one FHIR base, as the client addressed the server. */
export interface SmartEndpoints {
  /** The FHIR base: the `aud` apps must send and the `iss` of id_tokens. */
  fhirBase: string;
  authorize: string;
  token: string;
  introspect: string;
  jwks: string;
  launch: string;
}

/** Path of the OAuth endpoints under the server's origin: outside the FHIR base, so they never read as resource types. */
export const AUTH_PATH = '/auth';

export function smartEndpoints(fhirBase: string): SmartEndpoints {
  const origin = new URL(fhirBase).origin;
  return {
    fhirBase,
    authorize: `${origin}${AUTH_PATH}/authorize`,
    token: `${origin}${AUTH_PATH}/token`,
    introspect: `${origin}${AUTH_PATH}/introspect`,
    jwks: `${fhirBase}/.well-known/jwks.json`,
    launch: `${fhirBase}/launch`,
  };
}

/** Scopes listed in smart-configuration; type-specific scopes (patient/Observation.rs…) are accepted too. */
export const SCOPES_SUPPORTED = [
  'openid',
  'fhirUser',
  'profile',
  'launch',
  'launch/patient',
  'launch/encounter',
  'patient/*.read',
  'patient/*.rs',
  'user/*.read',
  'user/*.rs',
  'user/*.write',
  'user/*.cud',
  'user/*.*',
  'user/*.cruds',
];

/**
 * `{base}/.well-known/smart-configuration` (SMART App Launch 2.0, "Conformance"). Only what the
 * server does is claimed: public clients only, no refresh tokens (no permission-offline), no
 * client_credentials (no backend services), patient-level tokens read-only.
 */
export function smartConfiguration(endpoints: SmartEndpoints): Record<string, unknown> {
  return {
    // Required with sso-openid-connect; the id_token's iss.
    issuer: endpoints.fhirBase,
    jwks_uri: endpoints.jwks,
    authorization_endpoint: endpoints.authorize,
    token_endpoint: endpoints.token,
    introspection_endpoint: endpoints.introspect,
    grant_types_supported: ['authorization_code'],
    token_endpoint_auth_methods_supported: ['none'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: SCOPES_SUPPORTED,
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'client-public',
      'sso-openid-connect',
      'context-banner',
      'context-ehr-patient',
      'context-ehr-encounter',
      'context-standalone-patient',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
}

/** `{base}/.well-known/openid-configuration`: the OpenID Provider metadata for the same issuer (OIDC Discovery §3). */
export function openidConfiguration(endpoints: SmartEndpoints): Record<string, unknown> {
  return {
    issuer: endpoints.fhirBase,
    jwks_uri: endpoints.jwks,
    authorization_endpoint: endpoints.authorize,
    token_endpoint: endpoints.token,
    introspection_endpoint: endpoints.introspect,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'fhirUser', 'profile'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'fhirUser', 'profile'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    grant_types_supported: ['authorization_code'],
  };
}

/**
 * CapabilityStatement.rest.security naming the OAuth endpoints with the oauth-uris extension:
 * deprecated by SMART 2.0 in favour of smart-configuration, but clients that predate it (and
 * fhirclient's fallback) still read it.
 */
export function capabilitySecurity(endpoints: SmartEndpoints, description: string): CapabilityStatementRestSecurity {
  return {
    service: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
        text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
      },
    ],
    description,
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [
          { url: 'authorize', valueUri: endpoints.authorize },
          { url: 'token', valueUri: endpoints.token },
          { url: 'introspect', valueUri: endpoints.introspect },
        ],
      },
    ],
  };
}
