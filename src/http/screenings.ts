/**
 * The coordinator API, a thin adapter over src/services/trials/screening/requests.ts:
 *
 *   POST /trials/{nctId}/screenings   { "patients": ["Patient/1", …] } or { "group": "Group/abc" }
 *        → 202 Accepted, Location: /screenings/{id}, the screening (queued); the worker does the rest.
 *   GET  /screenings/{id}?offset=&limit=&category=&status=
 *        → the screening's status and progress, and a page of per-patient results with their
 *          criterion tables, in request order.
 *   DELETE /screenings/{id}
 *        → 200, the screening (cancelled): no more patients are started; results stay readable.
 *
 * Same authentication as /cds-services (a CDS client JWT whose aud is the exact URL called); a
 * screening is visible only to the client (JWT issuer) that created it. An optional
 * `Idempotency-Key` header makes a retried POST return the screening it created the first time.
 *
 * This module parses (zod), authenticates, maps the typed errors of requests.ts to a status and an
 * OperationOutcome, and serialises; the rules (Group expansion, idempotency, ownership) and the
 * SQL are in requests.ts.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { audienceBases, type Config } from '../config.js';
import type { Database } from '../db/database.js';
import { operationOutcome, type OperationOutcome } from '../hooks/operation-outcome.js';
import { formatZodIssues } from '../hooks/schema.js';
import {
  cancelScreening,
  MAX_PATIENTS_PER_SCREENING,
  readScreening,
  startScreening,
  type PageQuery,
  type Parsed,
  type ReadError,
  type ReadOutcome,
  type ScreeningBackend,
  type StartError,
  type StartRequest,
} from '../services/trials/screening/requests.js';
import type { Screening } from '../services/trials/screening/store.js';
import type { JwtVerifier, VerifiedClient } from './auth/verify-jwt.js';
import { setAuditDetails } from './audit-routes.js';
import { authenticate } from './authenticate.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;
const FHIR_JSON = 'application/fhir+json';

export interface ScreeningRoutesDeps {
  config: Pick<Config, 'publicUrl' | 'publicUrls' | 'requireAuth' | 'maxRequestBytes'>;
  db: Database;
  verifier?: JwtVerifier;
  log: Logger;
  onAuthFailure?: () => void;
  /** Undefined when no screening FHIR server is configured: POST answers 503. */
  screening?: ScreeningBackend;
}

/** FHIR id: [A-Za-z0-9\-.]{1,64} (R4 §2.24.0.1 "id"). */
const FHIR_ID = '[A-Za-z0-9\\-.]{1,64}';
const patientRef = z.string().regex(new RegExp(`^Patient/${FHIR_ID}$`), 'must be a reference Patient/<id>');
const groupRef = z.string().regex(new RegExp(`^Group/${FHIR_ID}$`), 'must be a reference Group/<id>');

export const screeningRequestSchema = z
  .strictObject({
    patients: z.array(patientRef).min(1, 'must name at least one patient').max(MAX_PATIENTS_PER_SCREENING, `at most ${MAX_PATIENTS_PER_SCREENING} patients per screening`).optional(),
    group: groupRef.optional(),
  })
  .refine((b) => (b.patients === undefined) !== (b.group === undefined), { message: 'give exactly one of "patients" or "group"' });

const CATEGORIES = ['eligible', 'excluded', 'irrelevant', 'unknown'] as const;
const pageQuerySchema = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
  category: z.enum(CATEGORIES).optional(),
  status: z.enum(['pending', 'done', 'failed']).optional(),
});

const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key must be 1-200 visible ASCII characters');

/** The POST body and its Idempotency-Key header. */
export function parseStartRequest(req: Request): Parsed<StartRequest> {
  if (req.body === undefined) return { ok: false, problems: ['the request body must be JSON (Content-Type: application/json)'] };
  const body = screeningRequestSchema.safeParse(req.body);
  if (!body.success) return { ok: false, problems: formatZodIssues(body.error) };
  const keyHeader = req.get('idempotency-key');
  const key = keyHeader === undefined ? undefined : idempotencyKey.safeParse(keyHeader);
  if (key && !key.success) return { ok: false, problems: formatZodIssues(key.error) };
  return { ok: true, value: { ...body.data, ...(key?.success && { idempotencyKey: key.data }) } };
}

export function parsePageQuery(req: Request): Parsed<PageQuery> {
  const query = pageQuerySchema.safeParse(req.query);
  if (!query.success) return { ok: false, problems: formatZodIssues(query.error) };
  const { offset, limit, category, status } = query.data;
  return { ok: true, value: { offset, limit, ...(category && { category }), ...(status && { status }) } };
}

export function startErrorOutcome(error: StartError): { status: number; outcome: OperationOutcome } {
  switch (error.kind) {
    case 'unknown-trial':
      return { status: 404, outcome: operationOutcome('error', 'not-found', `no trial ${error.nctId} in the trial store`) };
    case 'invalid':
      return { status: 400, outcome: operationOutcome('error', 'invalid', error.problems) };
    case 'not-configured':
      return { status: 503, outcome: operationOutcome('error', 'not-supported', 'screening is not configured on this server: set CAIRN_SCREENING_FHIR_URL') };
    case 'group-unreadable':
      return { status: 502, outcome: operationOutcome('error', 'transient', `the Group could not be read from the FHIR server: ${error.reason}`) };
    case 'group-not-found':
      return { status: 400, outcome: operationOutcome('error', 'not-found', `${error.group} was not found on the FHIR server`) };
    case 'group-empty':
      return { status: 400, outcome: operationOutcome('error', 'invalid', `${error.group} has no active Patient members`) };
    case 'group-too-large':
      return { status: 400, outcome: operationOutcome('error', 'too-costly', `${error.group} has ${error.patients} patients; at most ${MAX_PATIENTS_PER_SCREENING} per screening`) };
    case 'key-conflict':
      return { status: 409, outcome: operationOutcome('error', 'conflict', 'this Idempotency-Key was already used for a different screening request') };
  }
}

export function readErrorOutcome(id: string, error: ReadError): { status: number; outcome: OperationOutcome } {
  switch (error.kind) {
    case 'not-found':
      return { status: 404, outcome: operationOutcome('error', 'not-found', `no screening ${id}`) };
    case 'invalid':
      return { status: 400, outcome: operationOutcome('error', 'invalid', error.problems) };
  }
}

/** A screening as the API shows it; `path` is where it is read (the coordinator API's /screenings, the app API's /api/screenings). */
export function screeningView(s: Screening, publicUrl: string, path = '/screenings') {
  return {
    id: s.id,
    nctId: s.nctId,
    status: s.status,
    source: s.source,
    progress: { total: s.total, done: s.done, failed: s.failed, pending: s.total - s.done - s.failed },
    ...(s.error !== null && { error: s.error }),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    ...(s.completedAt && { completedAt: s.completedAt.toISOString() }),
    ...(s.cancelledAt && { cancelledAt: s.cancelledAt.toISOString() }),
    links: { self: `${publicUrl}${path}/${s.id}` },
  };
}

/** A screening with one page of its results, and the link to the next page. */
export function screeningPageView(read: Extract<ReadOutcome, { ok: true }>, publicUrl: string, path = '/screenings') {
  const { screening, page, query } = read;
  const { offset, limit, category, status } = query;
  const view = screeningView(screening, publicUrl, path);
  const nextOffset = offset + page.results.length;
  const params = (o: number) => new URLSearchParams({ offset: String(o), limit: String(limit), ...(category && { category }), ...(status && { status }) }).toString();
  return {
    ...view,
    categories: page.categories,
    results: page.results.map((r) => ({
      patient: `Patient/${r.patientId}`,
      status: r.status,
      ...(r.category !== null && { category: r.category }),
      ...(r.summary !== null && { summary: r.summary }),
      ...(r.criteria !== null && { criteria: r.criteria }),
      ...(r.error !== null && { error: r.error }),
      attempts: r.attempts,
      ...(r.finishedAt && { finishedAt: r.finishedAt.toISOString() }),
    })),
    page: {
      offset,
      limit,
      matching: page.matching,
      ...(nextOffset < page.matching && { next: `${view.links.self}?${params(nextOffset)}` }),
    },
  };
}

function send(res: Response, status: number, outcome: OperationOutcome): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(outcome));
}

function clientIss(res: Response): string {
  return (res.locals.client as VerifiedClient | undefined)?.iss ?? '';
}

export function screeningRoutes(deps: ScreeningRoutesDeps): { trials: Router; screenings: Router } {
  const { config, db, log } = deps;
  const guard = (router: Router) => {
    if (config.requireAuth) {
      if (!deps.verifier) throw new Error('authentication is required but no JWT verifier was given');
      router.use(authenticate({ verifier: deps.verifier, publicUrls: audienceBases(config), log, ...(deps.onAuthFailure && { onFailure: deps.onAuthFailure }) }));
    }
    router.use(express.json({ limit: config.maxRequestBytes, type: ['application/json', 'application/*+json'], strict: true }));
    return router;
  };
  const trials = guard(express.Router());
  const screenings = guard(express.Router());

  trials.post('/:nctId/screenings', async (req: Request, res: Response) => {
    setAuditDetails(res, { entity: String(req.params.nctId).slice(0, 64) });
    const started = await startScreening(deps, { nctId: String(req.params.nctId), clientIss: clientIss(res), request: parseStartRequest(req) });
    if (!started.ok) {
      const { status, outcome } = startErrorOutcome(started.error);
      return send(res, status, outcome);
    }
    if (started.replayed) res.setHeader('Idempotent-Replayed', 'true');
    const view = screeningView(started.screening, config.publicUrl);
    setAuditDetails(res, { entity: `${String(req.params.nctId).slice(0, 64)} screening ${started.screening.id}` });
    res.status(202).setHeader('Location', view.links.self).json(view);
  });

  screenings.get('/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    setAuditDetails(res, { entity: `screening ${id.slice(0, 64)}` });
    const read = await readScreening(db, { id, clientIss: clientIss(res), query: parsePageQuery(req) });
    if (!read.ok) {
      const { status, outcome } = readErrorOutcome(id, read.error);
      return send(res, status, outcome);
    }
    res.json(screeningPageView(read, config.publicUrl));
  });

  screenings.delete('/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    setAuditDetails(res, { entity: `screening ${id.slice(0, 64)}` });
    const cancelled = await cancelScreening(db, { id, clientIss: clientIss(res) });
    if (!cancelled.ok) return send(res, 404, operationOutcome('error', 'not-found', `no screening ${id}`));
    if (cancelled.cancelled) log.info({ screening: id }, 'screening cancelled');
    res.json(screeningView(cancelled.screening, config.publicUrl));
  });

  const notAllowed = (allow: string) => (_req: Request, res: Response) => {
    res.setHeader('Allow', allow);
    send(res, 405, operationOutcome('error', 'not-supported', `use ${allow}`));
  };
  trials.all('/:nctId/screenings', notAllowed('POST'));
  screenings.all('/:id', notAllowed('GET, DELETE'));
  return { trials, screenings };
}
