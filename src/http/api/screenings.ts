/**
 * Screenings for a user of an app (a trial coordinator in the EHR), the same screenings as the
 * coordinator API's (src/http/screenings.ts) with a SMART token instead of a CDS client JWT:
 *
 *   GET    /api/screenings?offset=&limit=&status=   the caller's screenings, newest first, with progress
 *   POST   /api/trials/{nctId}/screenings           start one ({ "patients": [...] } or { "group": "Group/…" })
 *   GET    /api/screenings/{id}?offset=&limit=&category=&status=   one, with a page of results
 *   DELETE /api/screenings/{id}                     cancel it
 *   GET    /api/screenings/{id}/export?format=csv|group|research-subjects   its results as a file
 *
 * Who owns a screening: the user the token names at its FHIR server, i.e. the pair (FHIR server,
 * `sub`, else `fhirUser`), kept as the screening's client (`smart|<server>|<user>`, which no JWT
 * issuer URL can equal). A user sees only their own screenings, from any app and any token; a
 * token that names no user cannot own or see any (403).
 *
 * Patients are read by the screening worker with Cairn's own credentials for
 * CAIRN_SCREENING_FHIR_URL, never with the app's token: a screening runs in the background and
 * survives restarts, long after a SMART token expires. So the token must be for that same FHIR
 * server (the patient ids are its ids), and its scopes must let the user read patients, their
 * conditions and their observations in the user context: Cairn reads nothing for them that they
 * could not read themselves.
 */
import express, { type Request, type Response, type Router } from 'express';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { normaliseFhirBase } from '../../fhir/server-allowlist.js';
import { operationOutcome } from '../../hooks/operation-outcome.js';
import { formatZodIssues } from '../../hooks/schema.js';
import { candidatesGroup, EXPORT_FORMATS, exportFilename, researchSubjectsBundle, type ExportFormat } from '../../services/trials/screening/export.js';
import { csvChunks, eligiblePatientIds } from '../../services/trials/screening/export-reader.js';
import { cancelScreening, ownScreening, readScreening, startScreening, type ScreeningBackend } from '../../services/trials/screening/requests.js';
import type { Screening } from '../../services/trials/screening/store.js';
import { loadTrial } from '../../services/trials/store/trial-store.js';
import { listScreenings } from '../../services/trials/screening/store.js';
import type { Logger } from '../../log.js';
import { setAuditDetails } from '../audit-routes.js';
import { grantingContexts, scopeFor } from '../auth/smart-scopes.js';
import { requireSmartScope, smartCaller, type SmartCaller } from '../auth/smart-token.js';
import { parsePageQuery, parseStartRequest, readErrorOutcome, screeningPageView, screeningRequestSchema, screeningView, startErrorOutcome } from '../screenings.js';
import { apiOperation, FHIR_JSON, jsonResponse, outcomeResponse, pathParameter, queryParameter, requestSchema, retryAfterHeader, schemaRef, type ApiDoc } from './doc.js';
import { sendOutcome } from './send.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const PATH = '/api/screenings';

/** What a screening reads of each patient, which the user must be allowed to read (search) in the user context. */
const SCREENED_TYPES = ['Patient', 'Condition', 'Observation'] as const;

/** The screening owner a SMART caller is, or undefined when the token names no user. */
export function smartOwner(caller: Pick<SmartCaller, 'fhirServer' | 'sub' | 'fhirUser'>): string | undefined {
  const user = caller.sub ?? (caller.fhirUser !== undefined ? `fhirUser:${caller.fhirUser}` : undefined);
  return user === undefined ? undefined : `smart|${caller.fhirServer}|${user}`;
}

const listQuerySchema = z.strictObject({
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  status: z.enum(['queued', 'running', 'completed', 'cancelled']).optional(),
});

const exportQuerySchema = z.strictObject({ format: z.enum(EXPORT_FORMATS).default('csv') });

const screeningSummary = schemaRef('Screening');
const attachment = { 'Content-Disposition': { description: 'attachment, with the file name to save it under.', schema: { type: 'string' } } };

export const screeningsDoc: ApiDoc = {
  paths: {
    '/api/screenings': {
      get: apiOperation({
        summary: "The caller's screenings, newest first, with their progress",
        description: 'A screening belongs to the user the token names at its FHIR server (`sub`, else `fhirUser`). Needs user-context read scopes for Patient, Condition and Observation.',
        parameters: [
          queryParameter('offset', 'Screenings to skip.', { type: 'integer', minimum: 0, default: 0 }),
          queryParameter('limit', 'Screenings in the page.', { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
          queryParameter('status', 'Only screenings with this status.', { enum: ['queued', 'running', 'completed', 'cancelled'] }),
        ],
        responses: {
          '200': jsonResponse('A page of screenings.', {
            type: 'object',
            required: ['total', 'offset', 'limit', 'screenings'],
            properties: {
              total: { type: 'integer' },
              offset: { type: 'integer' },
              limit: { type: 'integer' },
              screenings: { type: 'array', items: screeningSummary },
              next: { type: 'string', format: 'uri' },
            },
          }),
        },
      }),
    },
    '/api/trials/{nctId}/screenings': {
      post: apiOperation({
        summary: 'Screen patients against one trial',
        description:
          "The patients are read by Cairn's screening worker from CAIRN_SCREENING_FHIR_URL with Cairn's own credentials, so the token must be for that FHIR server. Same body and answers as the coordinator API's POST /trials/{nctId}/screenings.",
        parameters: [
          pathParameter('nctId', 'ClinicalTrials.gov id of a trial in the trial store.', { type: 'string', pattern: '^NCT[0-9]{8}$' }),
          { name: 'Idempotency-Key', in: 'header', required: false, description: 'Repeating a request with the same key returns the screening created the first time.', schema: { type: 'string' } },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: requestSchema(screeningRequestSchema) } } },
        responses: {
          '202': jsonResponse('Queued.', screeningSummary, { Location: { description: "The screening's URL.", schema: { type: 'string', format: 'uri' } } }),
          '404': outcomeResponse('No such trial in the trial store.'),
          '409': outcomeResponse('The Idempotency-Key was used for another request.'),
          '502': outcomeResponse('The Group could not be read from the FHIR server.'),
          '503': outcomeResponse('Screening is not configured (CAIRN_SCREENING_FHIR_URL), or Cairn is still starting.', retryAfterHeader),
        },
      }),
    },
    '/api/screenings/{id}': {
      get: apiOperation({
        summary: 'One of the caller\'s screenings with a page of its results',
        parameters: [
          pathParameter('id', 'The screening id.', { type: 'string', format: 'uuid' }),
          queryParameter('offset', 'Results to skip.', { type: 'integer', minimum: 0, default: 0 }),
          queryParameter('limit', 'Results in the page.', { type: 'integer', minimum: 1, maximum: 500, default: 100 }),
          queryParameter('category', 'Only results in this category.', { enum: ['eligible', 'excluded', 'irrelevant', 'unknown'] }),
          queryParameter('status', 'Only results with this status.', { enum: ['pending', 'done', 'failed'] }),
        ],
        responses: { '200': jsonResponse('The screening and the page.', schemaRef('ScreeningPage')), '404': outcomeResponse("No such screening of the caller's.") },
      }),
      delete: apiOperation({
        summary: 'Cancel one of the caller\'s screenings',
        parameters: [pathParameter('id', 'The screening id.', { type: 'string', format: 'uuid' })],
        responses: { '200': jsonResponse('The screening, cancelled (or as it was, when already finished).', screeningSummary), '404': outcomeResponse("No such screening of the caller's.") },
      }),
    },
    '/api/screenings/{id}/export': {
      get: apiOperation({
        summary: "One of the caller's screenings as a file: CSV, a FHIR Group of the candidates, or ResearchSubjects",
        description:
          '`csv`: one line per patient in request order (patient, status, category, inclusion and exclusion criteria met / not met / unknown as the category counts them, the deciding criteria with their reasons, the unknown criteria, the summary, the error), RFC 4180 with CRLF, UTF-8 with a byte order mark. ' +
          '`group`: a FHIR R4 Group (actual, person) of the patients found eligible ("may fit"). ' +
          "`research-subjects`: a FHIR R4 transaction Bundle with one ResearchSubject (status candidate) per eligible patient, whose study is the trial's ResearchStudy by its NCT id (identifier http://clinicaltrials.gov), created in the same transaction unless the server holds it. " +
          'A screening still running is exported as far as it got. Same owner rule as reading the screening.',
        parameters: [
          pathParameter('id', 'The screening id.', { type: 'string', format: 'uuid' }),
          queryParameter('format', 'What to export.', { enum: [...EXPORT_FORMATS], default: 'csv' }),
        ],
        responses: {
          '200': {
            description: 'The file, as an attachment.',
            headers: attachment,
            content: {
              'text/csv': { schema: { type: 'string', description: 'CSV with a header line.' } },
              [FHIR_JSON]: { schema: { oneOf: [schemaRef('FhirResource'), schemaRef('Bundle')] } },
            },
          },
          '404': outcomeResponse("No such screening of the caller's."),
        },
      }),
    },
  },
  schemas: {},
};

export interface ApiScreeningDeps {
  db: Database;
  log: Logger;
  publicUrl: string;
  maxRequestBytes: number;
  /** The screening FHIR server and worker; undefined when CAIRN_SCREENING_FHIR_URL is unset. */
  screening?: ScreeningBackend;
}

function owner(res: Response): string {
  // requireOwner ran first.
  return smartOwner(smartCaller(res)) as string;
}

export function screeningApiRoutes(router: Router, deps: ApiScreeningDeps): void {
  const { db, publicUrl } = deps;
  const requireOwner = requireSmartScope((caller) => {
    for (const type of SCREENED_TYPES) {
      if (!grantingContexts(caller.scopes, type, 'search').has('user')) {
        return { scope: scopeFor('user', type, 'search'), why: `screenings read patients' records on the user's behalf: the token needs ${scopeFor('user', type, 'search')} (or user/*.rs)` };
      }
    }
    if (!smartOwner(caller)) return { scope: 'openid fhirUser', why: 'the token names no user (no sub or fhirUser), so it can own no screenings' };
    return undefined;
  });

  router.get('/screenings', requireOwner, async (req: Request, res: Response) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) return sendOutcome(res, 400, operationOutcome('error', 'invalid', formatZodIssues(parsed.error)));
    const { offset, limit, status } = parsed.data;
    const { total, screenings } = await listScreenings(db, owner(res), { offset, limit, ...(status && { status }) });
    const nextOffset = offset + screenings.length;
    const next = new URLSearchParams({ offset: String(nextOffset), limit: String(limit), ...(status && { status }) });
    res.json({
      total,
      offset,
      limit,
      screenings: screenings.map((s) => screeningView(s, publicUrl, PATH)),
      ...(screenings.length > 0 && nextOffset < total && { next: `${publicUrl}${PATH}?${next.toString()}` }),
    });
  });

  router.post(
    '/trials/:nctId/screenings',
    requireOwner,
    express.json({ limit: deps.maxRequestBytes, type: ['application/json', 'application/*+json'], strict: true }),
    async (req: Request, res: Response) => {
      const nctId = String(req.params.nctId);
      setAuditDetails(res, { entity: nctId.slice(0, 64) });
      const caller = smartCaller(res);
      const backend = deps.screening;
      const backendBase = backend ? normaliseFhirBase(backend.fhirServer) : undefined;
      if (backendBase?.ok && backendBase.base !== caller.fhirServer) {
        return sendOutcome(
          res,
          403,
          operationOutcome('error', 'forbidden', "screenings read patients from Cairn's screening FHIR server (CAIRN_SCREENING_FHIR_URL); this token is for another FHIR server, whose patient ids are not that server's"),
        );
      }
      const started = await startScreening(deps, { nctId, clientIss: owner(res), request: parseStartRequest(req) });
      if (!started.ok) {
        const { status, outcome } = startErrorOutcome(started.error);
        return sendOutcome(res, status, outcome);
      }
      if (started.replayed) res.setHeader('Idempotent-Replayed', 'true');
      const view = screeningView(started.screening, publicUrl, PATH);
      setAuditDetails(res, { entity: `${nctId.slice(0, 64)} screening ${started.screening.id}` });
      res.status(202).setHeader('Location', view.links.self).json(view);
    },
  );

  router.get('/screenings/:id', requireOwner, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    setAuditDetails(res, { entity: `screening ${id.slice(0, 64)}` });
    const read = await readScreening(db, { id, clientIss: owner(res), query: parsePageQuery(req) });
    if (!read.ok) {
      const { status, outcome } = readErrorOutcome(id, read.error);
      return sendOutcome(res, status, outcome);
    }
    res.json(screeningPageView(read, publicUrl, PATH));
  });

  router.get('/screenings/:id/export', requireOwner, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    setAuditDetails(res, { entity: `screening ${id.slice(0, 64)} export` });
    const screening = await ownScreening(db, { id, clientIss: owner(res) });
    if (!screening) return sendOutcome(res, 404, operationOutcome('error', 'not-found', `no screening ${id.slice(0, 64)}`));
    const parsed = exportQuerySchema.safeParse(req.query);
    if (!parsed.success) return sendOutcome(res, 400, operationOutcome('error', 'invalid', formatZodIssues(parsed.error)));
    const format = parsed.data.format;
    setAuditDetails(res, { entity: `screening ${id} export ${format}` });
    res.setHeader('Content-Disposition', `attachment; filename="${exportFilename(screening, format)}"`);
    if (format === 'csv') return streamCsv(res, screening);
    res.type(FHIR_JSON).send(JSON.stringify(await fhirExport(screening, format)));
  });

  /** Page by page, waiting for the client to take each (a screening may have thousands of patients). */
  async function streamCsv(res: Response, screening: Screening): Promise<void> {
    res.status(200).type('text/csv; charset=utf-8');
    try {
      for await (const chunk of csvChunks(db, screening.id)) {
        if (res.destroyed) return;
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      res.end();
    } catch (err) {
      // The header is sent: the client can only be told by an incomplete response.
      deps.log.error({ err, screening: screening.id }, 'screening export failed');
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async function fhirExport(screening: Screening, format: Exclude<ExportFormat, 'csv'>) {
    const [patientIds, trial] = await Promise.all([eligiblePatientIds(db, screening.id), loadTrial(db, screening.nctId)]);
    const trialTitle = trial?.title;
    if (format === 'group') return candidatesGroup({ screening, patientIds, ...(trialTitle !== undefined && { trialTitle }) });
    return researchSubjectsBundle({ screening, patientIds, newUuid: randomUUID, ...(trial && { study: trial.researchStudy, trialTitle: trial.title }) });
  }

  router.delete('/screenings/:id', requireOwner, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    setAuditDetails(res, { entity: `screening ${id.slice(0, 64)}` });
    const cancelled = await cancelScreening(db, { id, clientIss: owner(res) });
    if (!cancelled.ok) return sendOutcome(res, 404, operationOutcome('error', 'not-found', `no screening ${id.slice(0, 64)}`));
    if (cancelled.cancelled) deps.log.info({ screening: id }, 'screening cancelled');
    res.json(screeningView(cancelled.screening, publicUrl, PATH));
  });
}
