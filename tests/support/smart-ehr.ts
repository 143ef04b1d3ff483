/**
 * A stand-in EHR for tests of the API for apps: a SMART discovery document, an RFC 7662
 * introspection endpoint answering from a table of tokens, and optionally FHIR reads under /fhir.
 * It counts the calls (to see caching) and keeps what it was sent (to check credentials).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IntrospectionAnswer {
  active: boolean;
  scope?: string;
  patient?: string;
  encounter?: string;
  sub?: string;
  fhirUser?: string;
  client_id?: string;
  exp?: number;
  [other: string]: unknown;
}

export interface StandInEhr {
  /** The FHIR base URL (…/fhir). */
  fhirBase: string;
  origin: string;
  /** Introspection answers by token; a token not in it is inactive. */
  tokens: Map<string, IntrospectionAnswer>;
  calls: { discovery: number; introspection: number; fhir: string[] };
  /** The Authorization header of each introspection request. */
  introspectionAuthorization: Array<string | undefined>;
  /** Each introspection request's form body. */
  introspectionBodies: URLSearchParams[];
  /** Overrides: what the discovery document says, and how the introspection endpoint answers. */
  discovery: (origin: string) => Record<string, unknown> | { status: number };
  introspection?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** FHIR reads (path and query after /fhir/), with the bearer token sent; undefined: 404. */
  fhir?: (pathAndQuery: string, token: string | undefined) => unknown;
  close(): Promise<void>;
}

export async function startStandInEhr(): Promise<StandInEhr> {
  const ehr = {
    tokens: new Map<string, IntrospectionAnswer>(),
    calls: { discovery: 0, introspection: 0, fhir: [] as string[] },
    introspectionAuthorization: [] as Array<string | undefined>,
    introspectionBodies: [] as URLSearchParams[],
    discovery: (origin: string): Record<string, unknown> | { status: number } => ({
      issuer: `${origin}/auth`,
      authorization_endpoint: `${origin}/auth/authorize`,
      token_endpoint: `${origin}/auth/token`,
      introspection_endpoint: `${origin}/auth/introspect`,
      capabilities: ['launch-ehr', 'client-public'],
    }),
  } as Omit<StandInEhr, 'fhirBase' | 'origin' | 'close'> & Partial<StandInEhr>;

  const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      // Any base on this server (…/fhir, …/r4) has the same authorization server.
      if (req.method === 'GET' && url.pathname.endsWith('/.well-known/smart-configuration')) {
        ehr.calls.discovery++;
        const doc = ehr.discovery(origin);
        if (typeof doc.status === 'number' && Object.keys(doc).length === 1) return json(res, doc.status, { error: 'down' });
        return json(res, 200, doc);
      }
      if (req.method === 'POST' && url.pathname === '/auth/introspect') {
        ehr.calls.introspection++;
        ehr.introspectionAuthorization.push(req.headers.authorization);
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        ehr.introspectionBodies.push(form);
        if (ehr.introspection?.(req, res)) return;
        const answer = ehr.tokens.get(form.get('token') ?? '') ?? { active: false };
        return json(res, 200, answer);
      }
      if (req.method === 'GET' && url.pathname.startsWith('/fhir/')) {
        const rest = url.pathname.slice('/fhir/'.length) + url.search;
        ehr.calls.fhir.push(rest);
        const auth = req.headers.authorization;
        const body = ehr.fhir?.(rest, auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
        if (body === undefined) return json(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }, 'application/fhir+json');
        if (typeof body === 'object' && body !== null && 'httpStatus' in body) return json(res, (body as { httpStatus: number }).httpStatus, {}, 'application/fhir+json');
        return json(res, 200, body, 'application/fhir+json');
      }
      json(res, 404, { error: 'not found' });
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ehr.origin = origin;
  ehr.fhirBase = `${origin}/fhir`;
  ehr.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return ehr as StandInEhr;
}
