/**
 * Cairn's API for apps (/api/*, described at /openapi.json), called with the SMART access token.
 * Errors come back as FHIR OperationOutcomes; their diagnostics are shown to the user as they are.
 */
import { accessToken, type Client } from './smart';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface OperationOutcomeLike {
  resourceType?: string;
  issue?: { diagnostics?: string; details?: { text?: string } }[];
}

function outcomeText(body: unknown): string | undefined {
  const outcome = body as OperationOutcomeLike | undefined;
  if (outcome?.resourceType !== 'OperationOutcome') return undefined;
  return outcome.issue?.map((i) => i.diagnostics ?? i.details?.text).filter(Boolean).join('; ');
}

/** Cairn's address: the app is served by Cairn at /app/, so the API is on the same origin. */
export const CAIRN_BASE = new URL('..', new URL(import.meta.env.BASE_URL, window.location.origin)).href.replace(/\/$/, '');

export async function api<T>(client: Client, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${CAIRN_BASE}${path}`, {
    ...init,
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${accessToken(client)}`,
      // Which EHR issued the token: Cairn may accept tokens from several (CAIRN_SMART_FHIR_SERVERS).
      'x-fhir-server': client.state.serverUrl.replace(/\/$/, ''),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(res.status, outcomeText(body) ?? `${res.status} ${res.statusText}`);
  return body as T;
}
