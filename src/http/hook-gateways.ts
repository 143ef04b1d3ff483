import type { Config } from '../config.js';
import { createFhirGateway, type FhirGateway, type FhirGatewayOptions } from '../fhir/gateway.js';
import { fhirServerAllowed, type FhirServerAllowlist } from '../fhir/server-allowlist.js';
import type { FhirServerRefused } from '../hooks/invoke.js';
import type { HookRequest } from '../hooks/schema.js';
import { redactForLog } from '../log.js';
import type { VerifiedClient } from './auth/verify-jwt.js';

/**
 * The FHIR gateway of one hook call, or the refusal to make one. A hook request names the
 * `fhirServer` Cairn reads, so without a check anyone who can call a hook (anyone at all with
 * authentication off) could make Cairn GET any address it can reach. The server must be on the
 * caller's list: with authentication on, the verified issuer's `fhirServers` (trusted-issuers
 * file); with it off, `CAIRN_FHIR_SERVERS`, else loopback addresses in development (the dev FHIR
 * server) and nothing in production. A refused call fetches nothing; its missing data gets a 412.
 */
export type HookGatewayConfig = Pick<Config, 'requireAuth' | 'fhirTimeoutMs' | 'fhirConcurrency' | 'fhirMaxPages'> &
  Partial<Pick<Config, 'production' | 'fhirServers'>>;

export type HookGatewayFor = (request: HookRequest, client: VerifiedClient | undefined) => FhirGateway | FhirServerRefused | undefined;

export function hookGateways(config: HookGatewayConfig, onCall?: FhirGatewayOptions['onCall']): HookGatewayFor {
  const unauthenticated = unauthenticatedAllowlist(config);
  return (request, client) => {
    if (!request.fhirServer) return undefined;
    // With authentication on there is always a verified client; without one, nothing is allowed.
    const allowlist: FhirServerAllowlist = config.requireAuth ? { kind: 'bases', bases: client?.fhirServers ?? [] } : unauthenticated;
    if (!fhirServerAllowed(allowlist, request.fhirServer)) {
      const why = config.requireAuth ? `is not in the fhirServers of issuer ${client?.iss ?? '(none)'}` : whyNot(allowlist);
      return { refused: true, detail: `fhirServer ${redactForLog(request.fhirServer)} ${why}` };
    }
    return createFhirGateway({
      baseUrl: request.fhirServer,
      ...(request.fhirAuthorization && { accessToken: request.fhirAuthorization.access_token }),
      timeoutMs: config.fhirTimeoutMs,
      concurrency: config.fhirConcurrency,
      maxPages: config.fhirMaxPages,
      ...(onCall && { onCall }),
    });
  };
}

/** Authentication off: CAIRN_FHIR_SERVERS, else loopback in development and nothing in production. */
export function unauthenticatedAllowlist(config: Pick<HookGatewayConfig, 'production' | 'fhirServers'>): FhirServerAllowlist {
  if (config.fhirServers) return { kind: 'bases', bases: config.fhirServers };
  return config.production ? { kind: 'bases', bases: [] } : { kind: 'loopback' };
}

function whyNot(allowlist: FhirServerAllowlist): string {
  if (allowlist.kind === 'loopback') return 'is not a loopback address (all that development allows without CAIRN_FHIR_SERVERS)';
  return allowlist.bases.length > 0 ? 'is not in CAIRN_FHIR_SERVERS' : 'is not allowed: without CAIRN_FHIR_SERVERS, production allows none';
}
