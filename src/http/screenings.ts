/**
 * The coordinator API, a thin adapter over src/services/trials/screening:
 *
 *   POST /trials/{nctId}/screenings   { "patients": ["Patient/1", …] } or { "group": "Group/abc" }
 *        → 202 Accepted, Location: /screenings/{id}, the screening (queued); the worker does the rest.
 *   GET  /screenings/{id}?offset=&limit=&category=&status=
 *        → the screening's status and progress, and a page of per-patient results with their
 *          criterion tables, in request order.
 *
 * Same authentication as /cds-services (a CDS client JWT whose aud is the exact URL called); a
 * screening is visible only to the client (JWT issuer) that created it. An optional
 * `Idempotency-Key` header makes a retried POST return the screening it created the first time.
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { parseReference } from '../fhir/context/fhir-json.js';
import { FhirFetchError, type FhirGateway } from '../fhir/gateway.js';
import { operationOutcome, type OperationOutcome } from '../hooks/operation-outcome.js';
import { formatZodIssues } from '../hooks/schema.js';
import type { ScreeningCategory } from '../services/trials/screening/result.js';
import { createScreening, getScreening, listResults, screeningOwner, type Screening, type ScreeningSource } from '../services/trials/screening/store.js';
import type { JwtVerifier, VerifiedClient } from './auth/verify-jwt.js';
import { authenticate } from './authenticate.js';

/**
 * The most patients one screening takes: its creation is one transaction and its request one
 * body; a larger cohort is split into several screenings (or a Group per part).
 */
export const MAX_PATIENTS_PER_SCREENING = 10_000;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;
const FHIR_JSON = 'application/fhir+json';

export interface ScreeningRoutesDeps {
  config: Pick<Config, 'publicUrl' | 'requireAuth' | 'maxRequestBytes'>;
  db: Database;
  verifier?: JwtVerifier;
  log: Logger;
  onAuthFailure?: () => void;
  /** Undefined when no screening FHIR server is configured: POST answers 503. */
  screening?: {
    fhirServer: string;
    gateway: FhirGateway;
    /** Tells the worker there is new work. */
    wake(): void;
  };
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
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NCT_ID = /^NCT[0-9]{8}$/;

/** Patient ids of a Group's active Patient members, in order, distinct. */
export function groupPatientIds(group: { member?: Array<{ entity?: { reference?: string }; inactive?: boolean }> }): string[] {
  const ids: string[] = [];
  for (const m of group.member ?? []) {
    if (m.inactive) continue;
    const ref = m.entity?.reference ? parseReference(m.entity.reference) : undefined;
    if (ref?.type === 'Patient') ids.push(ref.id);
  }
  return [...new Set(ids)];
}

export function screeningView(s: Screening, publicUrl: string) {
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
    links: { self: `${publicUrl}/screenings/${s.id}` },
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
      router.use(authenticate({ verifier: deps.verifier, publicUrl: config.publicUrl, log, ...(deps.onAuthFailure && { onFailure: deps.onAuthFailure }) }));
    }
    router.use(express.json({ limit: config.maxRequestBytes, type: ['application/json', 'application/*+json'], strict: true }));
    return router;
  };
  const trials = guard(express.Router());
  const screenings = guard(express.Router());

  trials.post('/:nctId/screenings', async (req: Request, res: Response) => {
    const nctId = String(req.params.nctId);
    const known = NCT_ID.test(nctId) && (await db.query('SELECT 1 FROM trials WHERE nct_id = $1', [nctId])).rowCount > 0;
    if (!known) return send(res, 404, operationOutcome('error', 'not-found', `no trial ${nctId} in the trial store`));
    if (req.body === undefined) return send(res, 400, operationOutcome('error', 'invalid', 'the request body must be JSON (Content-Type: application/json)'));
    const body = screeningRequestSchema.safeParse(req.body);
    if (!body.success) return send(res, 400, operationOutcome('error', 'invalid', formatZodIssues(body.error)));
    const keyHeader = req.get('idempotency-key');
    const key = keyHeader === undefined ? undefined : idempotencyKey.safeParse(keyHeader);
    if (key && !key.success) return send(res, 400, operationOutcome('error', 'invalid', formatZodIssues(key.error)));
    const screening = deps.screening;
    if (!screening) {
      return send(res, 503, operationOutcome('error', 'not-supported', 'screening is not configured on this server: set CAIRN_SCREENING_FHIR_URL'));
    }

    let patientIds: string[];
    let source: ScreeningSource;
    if (body.data.group) {
      source = { kind: 'group', group: body.data.group };
      let group;
      try {
        group = await screening.gateway.get(body.data.group);
      } catch (err) {
        const reason = err instanceof FhirFetchError ? err.message : 'unexpected error';
        return send(res, 502, operationOutcome('error', 'transient', `the Group could not be read from the FHIR server: ${reason}`));
      }
      if (!group || group.resourceType !== 'Group') return send(res, 400, operationOutcome('error', 'not-found', `${body.data.group} was not found on the FHIR server`));
      patientIds = groupPatientIds(group);
      if (patientIds.length === 0) return send(res, 400, operationOutcome('error', 'invalid', `${body.data.group} has no active Patient members`));
      if (patientIds.length > MAX_PATIENTS_PER_SCREENING) {
        return send(res, 400, operationOutcome('error', 'too-costly', `${body.data.group} has ${patientIds.length} patients; at most ${MAX_PATIENTS_PER_SCREENING} per screening`));
      }
    } else {
      source = { kind: 'patients' };
      patientIds = [...new Set((body.data.patients ?? []).map((p) => p.slice('Patient/'.length)))];
    }

    const requestHash = createHash('sha256').update(JSON.stringify({ nctId, source, patientIds })).digest('hex');
    const outcome = await createScreening(db, {
      nctId,
      fhirServer: screening.fhirServer,
      source,
      patientIds,
      clientIss: clientIss(res),
      ...(key?.success && { clientKey: key.data }),
      requestHash,
    });
    if (outcome.kind === 'conflict') {
      return send(res, 409, operationOutcome('error', 'conflict', 'this Idempotency-Key was already used for a different screening request'));
    }
    if (outcome.kind === 'created') {
      screening.wake();
      log.info({ screening: outcome.screening.id, nctId, patients: patientIds.length }, 'screening queued');
    } else {
      res.setHeader('Idempotent-Replayed', 'true');
    }
    const view = screeningView(outcome.screening, config.publicUrl);
    res.status(202).setHeader('Location', view.links.self).json(view);
  });

  screenings.get('/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const notFound = () => send(res, 404, operationOutcome('error', 'not-found', `no screening ${id}`));
    if (!UUID.test(id)) return notFound();
    // Another client's screening is reported as absent, not forbidden: its existence is not theirs to learn.
    const owner = await screeningOwner(db, id);
    if (owner === undefined || owner !== clientIss(res)) return notFound();
    const query = pageQuerySchema.safeParse(req.query);
    if (!query.success) return send(res, 400, operationOutcome('error', 'invalid', formatZodIssues(query.error)));
    const s = await getScreening(db, id);
    if (!s) return notFound();
    const { offset, limit, category, status } = query.data;
    const page = await listResults(db, id, { offset, limit, ...(category && { category: category as ScreeningCategory }), ...(status && { status }) });
    const view = screeningView(s, config.publicUrl);
    const nextOffset = offset + page.results.length;
    const params = (o: number) => new URLSearchParams({ offset: String(o), limit: String(limit), ...(category && { category }), ...(status && { status }) }).toString();
    res.json({
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
    });
  });

  const notAllowed = (allow: string) => (_req: Request, res: Response) => {
    res.setHeader('Allow', allow);
    send(res, 405, operationOutcome('error', 'not-supported', `use ${allow}`));
  };
  trials.all('/:nctId/screenings', notAllowed('POST'));
  screenings.all('/:id', notAllowed('GET'));
  return { trials, screenings };
}
