import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, getStatus, normalizeErrorString, serverError, unauthorized } from '@medplum/core';
import type { FhirRepository, FhirRequest, FhirResponse, FhirRouter, HttpMethod } from '@medplum/fhir-router';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { LimitFunction } from 'p-limit';
import { log } from '../../src/log.js';
import { requestBaseUrl } from './base-url.js';
import type { DevRepository } from './repository.js';
import { classifyRequest, decideAccess, restrictedRepository } from './smart/access.js';
import type { SmartAuthServer } from './smart/auth-server.js';
import { handleSmartRequest } from './smart/http.js';

/** One request as the server received it; `url` is the path and query string. */
export interface RecordedRequest {
  method: string;
  url: string;
  authorization?: string;
}

export interface HttpContext {
  basePath: string;
  baseUrl: () => string;
  router: FhirRouter;
  repo: DevRepository;
  requests: RecordedRequest[];
  /** A fixed token every FHIR request needs; with SMART enforcement, a token that may do anything. */
  requireBearerToken?: string;
  smart: SmartAuthServer;
  /** Runs the writes one at a time, in call order (concurrency 1). */
  writes: LimitFunction;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
// Synthea bundles reach 4 MB; a generous cap still stops a runaway client from exhausting memory.
const MAX_BODY_BYTES = 256 * 1024 * 1024;
const ROUTER_METHODS = new Set<string>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.[0]?.details?.text ?? `HTTP ${status}`);
  }
}

function outcome(code: 'not-found' | 'not-supported' | 'too-costly' | 'login' | 'forbidden', text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function send(res: ServerResponse, status: number, body: Resource, headOnly = false): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': FHIR_JSON, 'Content-Length': Buffer.byteLength(json) });
  res.end(headOnly ? undefined : json);
}

/** Permissive CORS: this is a dev server that browser-based SMART apps may call directly. */
function setCors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
  res.setHeader(
    'Access-Control-Allow-Headers',
    req.headers['access-control-request-headers'] ??
      'Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-None-Exist',
  );
  res.setHeader('Access-Control-Expose-Headers', 'Location, Content-Location, ETag, Last-Modified');
  res.setHeader('Access-Control-Max-Age', '600');
}

function hasBearerToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1].trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, outcome('too-costly', 'Request body too large'));
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const form: Record<string, string[]> = {};
    for (const [key, value] of new URLSearchParams(text)) (form[key] ??= []).push(value);
    return form;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, badRequest(`Request body is not valid JSON: ${normalizeErrorString(err)}`));
  }
}

function writeFhirResponse(res: ServerResponse, result: FhirResponse, base: string, headOnly: boolean): void {
  const [resultOutcome, resource] = result;
  const status = getStatus(resultOutcome);
  const versionId = resource?.meta?.versionId;
  if (versionId) res.setHeader('ETag', `W/"${versionId}"`);
  if (resource?.meta?.lastUpdated) res.setHeader('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
  if (status === 201 && resource?.id) {
    const location = `${base}/${resource.resourceType}/${resource.id}`;
    res.setHeader('Location', versionId ? `${location}/_history/${versionId}` : location);
  }
  send(res, status, resource ?? resultOutcome, headOnly);
}

async function handle(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = req.url ?? '/';
  const authorization = req.headers.authorization;
  ctx.requests.push({ method, url: rawUrl, ...(authorization === undefined ? {} : { authorization }) });
  setCors(req, res);
  if (method === 'OPTIONS') {
    res.writeHead(204).end();
    return;
  }

  const url = new URL(rawUrl, 'http://dev-fhir.invalid');
  const { basePath } = ctx;
  if (await handleSmartRequest({ smart: ctx.smart, basePath, baseUrl: ctx.baseUrl }, req, res, url, method)) return;
  if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
    throw new HttpError(404, outcome('not-found', `Not a FHIR endpoint: ${url.pathname} (the base is ${basePath})`));
  }
  const routerMethod = method === 'HEAD' ? 'GET' : method;
  let repo: FhirRepository = ctx.repo;
  const fixedToken = ctx.requireBearerToken !== undefined && hasBearerToken(authorization, ctx.requireBearerToken);
  if (ctx.smart.enforce && !fixedToken) {
    const decision = decideAccess(classifyRequest(routerMethod, url.pathname.slice(basePath.length)), ctx.smart.accessFor(authorization));
    if (!decision.ok) {
      // RFC 6750 §3: no error code when the request carried no token at all.
      const challenge = authorization ? `Bearer error="${decision.error}", error_description="${decision.message.replace(/"/g, "'")}"` : 'Bearer';
      res.setHeader('WWW-Authenticate', challenge);
      throw new HttpError(decision.status, outcome(decision.status === 401 ? 'login' : 'forbidden', decision.message));
    }
    if (decision.visible) repo = restrictedRepository(ctx.repo, decision.visible);
  } else if (ctx.requireBearerToken !== undefined && !fixedToken) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    throw new HttpError(401, unauthorized);
  }
  if (!ROUTER_METHODS.has(routerMethod)) {
    throw new HttpError(405, outcome('not-supported', `Method ${method} is not supported`));
  }

  const fhirRequest: FhirRequest = {
    method: routerMethod as HttpMethod,
    url: url.pathname.slice(basePath.length) + url.search,
    pathname: '',
    params: {},
    query: {},
    body: await readBody(req),
    headers: req.headers,
    config: { transactions: true },
  };
  const run = (): Promise<FhirResponse> => ctx.router.handleRequest(fhirRequest, repo);
  const result = routerMethod === 'GET' ? await run() : await ctx.writes(run);
  writeFhirResponse(res, result, requestBaseUrl(req.headers, ctx.baseUrl()), method === 'HEAD');
}

/** The node:http listener: request log, CORS, SMART endpoints, bearer check, then Medplum's FhirRouter. */
export function createRequestListener(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        send(res, err.status, err.outcome);
        return;
      }
      // No URL in the log: it can carry patient ids and search values.
      log.error({ err, method: req.method }, 'dev FHIR server request failed');
      send(res, 500, serverError(err instanceof Error ? err : new Error(String(err))));
    });
  };
}
