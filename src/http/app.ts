import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { AuditTrail, type AuditSink } from '../audit/audit-trail.js';
import { audienceBases, DEFAULT_RECORDS, DEFAULT_SMART_API, type Config, type RecordsConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { InvalidFeedbackError, saveFeedback } from '../feedback/store.js';
import { invokeService } from '../hooks/invoke.js';
import { feedbackAgainstLedger } from '../ledger/feedback-check.js';
import { CardLedger, inputDigest, ledgerEntries, requestBodyDigest, type IssuedCardStore } from '../ledger/issued-cards.js';
import { patientKeyer, type PatientKeyer } from '../ledger/pseudonym.js';
import { operationOutcome } from '../hooks/operation-outcome.js';
import { feedbackRequestSchema, formatZodIssues, MAX_FEEDBACK_ITEMS, type HookRequest } from '../hooks/schema.js';
import type { CdsService } from '../hooks/service.js';
import type { JwtVerifier, VerifiedClient } from './auth/verify-jwt.js';
import { createAdmission } from './admission.js';
import { appStatic } from './app-static.js';
import { auditCall, auditRoutes, setAuditDetails } from './audit-routes.js';
import { authenticate } from './authenticate.js';
import { clientErrorAnswer } from './client-errors.js';
import { cors } from './cors.js';
import { processEventLoopDelay } from './event-loop-delay.js';
import { hookGateways, unauthenticatedAllowlist } from './hook-gateways.js';
import type { Metrics } from './metrics.js';
import { readyTracker, sendNotReady, type StartupTracker } from './readiness.js';
import { canonicalBase, canonicalUrl } from '../canonical.js';
import { isPublishedType, loadPublishedResources, rebased } from '../fhir/published.js';
import type { JsonObject } from '../fhir/context/fhir-json.js';
import { screeningRoutes, type ScreeningRoutesDeps } from './screenings.js';
import { apiRoutes } from './api/routes.js';
import type { EvidenceEngine } from '../services/evidence.js';
import { openApiDocument } from './openapi.js';
import { SmartTokenVerifier } from './auth/smart-token.js';

export interface AppDeps {
  config: Pick<
    Config,
    'publicUrl' | 'publicUrls' | 'corsOrigins' | 'hookDeadlineMs' | 'hookMaxInFlight' | 'hookMaxWaitMs' | 'fhirTimeoutMs' | 'fhirConcurrency' | 'fhirMaxPages' | 'requireAuth' | 'maxRequestBytes'
  > &
    Partial<Pick<Config, 'production' | 'fhirServers' | 'records' | 'smart' | 'trialStaleDays'>>;
  services: readonly CdsService[];
  db: Database;
  /** Required when config.requireAuth. */
  verifier?: JwtVerifier;
  metrics: Metrics;
  log: Logger;
  /** Patient evidence for the API for apps (the services' logic over the knowledge base and trial store); without it the route answers 503. */
  evidence?: EvidenceEngine;
  /** The coordinator screening API's FHIR server and worker; without it POST /trials/…/screenings answers 503. */
  screening?: ScreeningRoutesDeps['screening'];
  /** The event loop's current delay in ms, for admission control; default: Node's event-loop monitor. */
  eventLoopDelayMs?: () => number;
  /**
   * Start-up still in progress (server.ts listens before the knowledge base is ready; see
   * readiness.ts): hook calls answer 503 until it is ready, feedback and screenings until the
   * database is migrated. Absent: everything is in place.
   */
  readiness?: StartupTracker;
  /**
   * Services besides the database that calls depend on (the JWT replay cache in Redis): /readyz
   * is 503 naming the first that does not answer, since every call needing it would be refused.
   */
  dependencies?: readonly ReadinessDependency[];
  /**
   * The issued-card ledger, the audit trail and the patient keyer; server.ts makes them (to flush
   * them at shutdown and purge old entries). Absent: made here over `db` (tests).
   */
  records?: AppRecords;
}

export interface AppRecords {
  ledger: IssuedCardStore;
  audit: AuditSink;
  patientKey: PatientKeyer;
}

/** The identifier system of pseudonymous patient keys in audit records, under the canonical base. */
export const patientPseudonymSystem = (): string => canonicalUrl('NamingSystem/patient-pseudonym');

export function appRecords(
  db: Database,
  log: Logger,
  records: RecordsConfig = DEFAULT_RECORDS,
): { ledger: CardLedger; audit: AuditTrail; patientKey: PatientKeyer } {
  return { ledger: new CardLedger(db), audit: new AuditTrail(db, log), patientKey: patientKeyer(db, records.pseudonymKey) };
}

export interface ReadinessDependency {
  /** Machine-readable, in the /readyz status: `<name>-unreachable`. */
  name: string;
  /** For people: what does not answer. */
  description: string;
  ping(): Promise<void>;
}

/** How long /readyz waits for a dependency before calling it unreachable. */
const DEPENDENCY_PING_MS = 1000;

function pingWithin(dependency: ReadinessDependency, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    dependency.ping(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const FHIR_JSON = 'application/fhir+json';

/**
 * The HTTP adapter: CORS, authentication, JSON parsing and the mapping of results to status codes.
 * Everything clinical or protocol-level happens in the modules it calls.
 */
export function createApp(deps: AppDeps): express.Express {
  const { config, db, metrics, log } = deps;
  const readiness = deps.readiness ?? readyTracker();
  if (config.requireAuth && !deps.verifier) throw new Error('authentication is required but no JWT verifier was given');
  const services = new Map(deps.services.map((s) => [s.definition.id, s]));
  const discovery = { services: deps.services.map((s) => s.definition) };
  const recordsConfig = config.records ?? DEFAULT_RECORDS;
  const { ledger, audit, patientKey } = deps.records ?? appRecords(db, log, recordsConfig);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(observeLatency(metrics));
  app.use(cors(config.corsOrigins));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const state = readiness.state;
    if (state.status !== 'ready') {
      res.status(503).json(state);
      return;
    }
    try {
      await db.ping();
    } catch {
      res.status(503).json({ status: 'database-unreachable', reason: 'the database does not answer' });
      return;
    }
    for (const dependency of deps.dependencies ?? []) {
      try {
        await pingWithin(dependency, DEPENDENCY_PING_MS);
      } catch {
        res.status(503).json({ status: `${dependency.name}-unreachable`, reason: `${dependency.description} does not answer` });
        return;
      }
    }
    res.json({ status: 'ready' });
  });
  // The OpenAPI 3.1 document of everything below; public, like discovery: it describes endpoints, never data.
  let openApi: string | undefined;
  app.get('/openapi.json', (_req, res) => {
    openApi ??= JSON.stringify(openApiDocument(config.publicUrl));
    res.type('application/json').send(openApi);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  let loopDelay = deps.eventLoopDelayMs;
  if (!loopDelay) {
    const monitor = processEventLoopDelay();
    loopDelay = monitor.current;
    // Start-up blocks the loop for seconds (creating the database, embedding) while hook calls are
    // turned away by the readiness check; the first calls after it must not be shed for that.
    readiness.onReady(() => monitor.forget());
  }
  // Only hook calls are admission-controlled: they are the expensive calls with a deadline.
  // Discovery, feedback, health and metrics are cheap and must keep answering under overload
  // (feedback is bounded by MAX_FEEDBACK_ITEMS and one insert; /metrics is how overload is seen).
  const admission = createAdmission({
    maxInFlight: config.hookMaxInFlight,
    maxWaitMs: config.hookMaxWaitMs,
    deadlineMs: config.hookDeadlineMs,
    eventLoopDelayMs: loopDelay,
    onShed: (reason) => metrics.hookShed.inc({ reason }),
    onInFlight: (count) => metrics.hookInFlight.set(count),
    log,
  });
  // Which FHIR servers a hook call may make Cairn read (the SSRF guard): see hook-gateways.ts.
  const gateways = hookGateways(config, (outcome, seconds) => metrics.fhirFetchDuration.observe({ outcome }, seconds));
  const cds = express.Router();
  // Until start-up is done, a hook call for a known service is turned away before anything else:
  // its card would be built from a half-loaded corpus or trial store. (An unknown id still gets its 404.)
  cds.post('/:id', (req, res, next) => {
    if (readiness.ready || !services.has(String(req.params.id))) return next();
    sendNotReady(res, readiness.state, 'hook calls');
  });
  // Feedback and the screening API need only the schema.
  const whenMigrated: RequestHandler = (_req, res, next) => {
    if (readiness.migrated) return next();
    sendNotReady(res, readiness.state, 'feedback and screenings');
  };
  // Every hook and feedback call is audited, those turned away below too (auditCall records at finish).
  cds.post('/:id', auditCall(audit, 'hook'));
  cds.post('/:id/feedback', auditCall(audit, 'feedback'));
  cds.post('/:id/feedback', whenMigrated);
  // Before authentication and body parsing, so that refusing a call costs almost nothing.
  cds.post('/:id', admission.admit);
  if (config.requireAuth && deps.verifier) {
    cds.use(
      authenticate({ verifier: deps.verifier, publicUrls: audienceBases(config), log, onFailure: () => metrics.errors.inc({ kind: 'auth' }) }),
    );
  }
  // The body's bytes are kept beside the parsed body: when a hook's data all came in the request,
  // the card ledger digests them as sent (issued-cards.ts requestBodyDigest).
  cds.use(
    express.json({
      limit: config.maxRequestBytes,
      type: ['application/json', 'application/*+json'],
      strict: true,
      verify: (req, _res, buf) => {
        (req as RequestWithBytes)[BODY_BYTES] = buf;
      },
    }),
  );

  cds.get('/', (_req, res) => {
    res.json(discovery);
  });

  const findService = (req: Request, res: Response): CdsService | undefined => {
    const service = services.get(String(req.params.id));
    if (!service) {
      sendOutcome(res, 404, operationOutcome('error', 'not-found', `no CDS service with id "${String(req.params.id)}"`));
    }
    return service;
  };

  cds.post('/:id', async (req, res) => {
    const service = findService(req, res);
    if (!service) return;
    requireJsonBody(req);
    const startedAt = res.locals.startedAt as number;
    if (!admission.stillInTime(res, startedAt)) return;
    const result = await invokeService(service, req.body, {
      deadlineMs: config.hookDeadlineMs,
      startedAt,
      log,
      gatewayFor: (request: HookRequest) => gateways(request, res.locals.client as VerifiedClient | undefined),
    });
    const serviceId = service.definition.id;
    if (result.status === 200) {
      const { request, prefetch } = result;
      const cards = result.body.cards;
      const bytes = (req as RequestWithBytes)[BODY_BYTES];
      // Each card is serialised once: the answer is built from these texts and the ledger digests them.
      const cardJson = cards.map((card) => JSON.stringify(card));
      const patientId = (request.context as { patientId?: unknown }).patientId;
      const client = res.locals.client as VerifiedClient | undefined;
      // Ids are unique per FHIR server: key by the server named, else by the client's issuer.
      const key = typeof patientId === 'string' ? await patientKey({ fhirServer: request.fhirServer ?? client?.iss ?? '', patientId }) : undefined;
      setAuditDetails(res, { serviceId, hookInstance: request.hookInstance, outcome: result.outcome, cards: cards.length, ...(key && { patientKey: key }) });
      if (cards.length > 0) {
        // The in-flight limit bounds work on the CPU; the ledger's commit is a wait (gathered with
        // other calls' cards on PGlite), so the slot goes to the next call meanwhile.
        admission.release(res);
        try {
          // Before the answer: a card feedback can name must be in the ledger (and a card Cairn
          // could not record is not sent, since nobody could tie feedback or a review to it).
          await ledger.record(
            ledgerEntries({
              serviceId,
              request,
              patientKey: key ?? null,
              inputDigest: result.dataAsSent && bytes ? requestBodyDigest(bytes) : inputDigest(request, prefetch),
              cards,
              cardJson,
            }),
            // This call's slot is released above: any call still admitted is another one.
            { othersInProgress: admission.inFlight() > 0 },
          );
        } catch (err) {
          log.error({ service: serviceId, hookInstance: request.hookInstance, err: { message: (err as Error).message } }, 'issued cards could not be recorded; none sent');
          metrics.errors.inc({ kind: 'internal' });
          setAuditDetails(res, { outcome: 'ledger-unavailable' });
          res.setHeader('Retry-After', '5');
          sendOutcome(res, 503, operationOutcome('error', 'transient', 'the cards could not be recorded, so none are sent; try again'));
          return;
        }
      }
      metrics.hookDuration.observe({ service: serviceId, outcome: result.outcome }, (performance.now() - startedAt) / 1000);
      res.type('application/json').send(answerJson(cardJson, result.body));
    } else {
      metrics.hookDuration.observe({ service: serviceId, outcome: result.outcome }, (performance.now() - startedAt) / 1000);
      setAuditDetails(res, { serviceId, outcome: result.outcome });
      metrics.errors.inc({ kind: result.status === 412 ? 'prefetch' : 'bad-request' });
      sendOutcome(res, result.status, result.body);
    }
  });

  cds.post('/:id/feedback', async (req, res) => {
    const service = findService(req, res);
    if (!service) return;
    requireJsonBody(req);
    // Counted before the schema runs, so an oversized batch costs no per-item validation either.
    const items = (req.body as { feedback?: unknown } | null)?.feedback;
    if (Array.isArray(items) && items.length > MAX_FEEDBACK_ITEMS) {
      metrics.errors.inc({ kind: 'bad-request' });
      sendOutcome(res, 413, operationOutcome('error', 'too-costly', `at most ${MAX_FEEDBACK_ITEMS} feedback entries per request; send them in several requests`));
      return;
    }
    const parsed = feedbackRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      metrics.errors.inc({ kind: 'bad-request' });
      sendOutcome(res, 400, operationOutcome('error', 'invalid', formatZodIssues(parsed.error)));
      return;
    }
    const serviceId = service.definition.id;
    setAuditDetails(res, { serviceId, cards: parsed.data.feedback.length });
    const issued = await ledger.find(serviceId, parsed.data.feedback.map((f) => f.card));
    const problem = feedbackAgainstLedger(parsed.data.feedback, issued, serviceId, recordsConfig.cardRetentionDays);
    const patients = new Set([...issued.values()].flatMap((c) => (c.patientKey ? [c.patientKey] : [])));
    const instances = new Set([...issued.values()].map((c) => c.hookInstance));
    setAuditDetails(res, {
      ...(patients.size === 1 && { patientKey: [...patients][0] }),
      ...(instances.size === 1 && { hookInstance: [...instances][0] }),
    });
    if (problem) {
      metrics.errors.inc({ kind: 'bad-request' });
      sendOutcome(res, problem.status, operationOutcome('error', problem.status === 404 ? 'not-found' : 'invalid', problem.messages));
      return;
    }
    try {
      const hookInstances = new Map([...issued.values()].map((c) => [c.cardUuid, c.hookInstance]));
      res.json(await saveFeedback(db, serviceId, parsed.data.feedback, hookInstances));
    } catch (err) {
      if (!(err instanceof InvalidFeedbackError)) throw err;
      metrics.errors.inc({ kind: 'bad-request' });
      sendOutcome(res, 400, operationOutcome('error', 'invalid', err.message));
    }
  });

  cds.all('/:id', methodNotAllowed('POST'));
  cds.all('/:id/feedback', methodNotAllowed('POST'));
  cds.all('/', methodNotAllowed('GET'));

  app.use('/cds-services', cds);

  const coordinator = screeningRoutes({
    config,
    db,
    ...(deps.verifier && { verifier: deps.verifier }),
    log,
    onAuthFailure: () => metrics.errors.inc({ kind: 'auth' }),
    ...(deps.screening && { screening: deps.screening }),
  });
  app.use('/trials', auditCall(audit, 'screening'), whenMigrated, coordinator.trials);
  app.use('/screenings', auditCall(audit, 'screening'), whenMigrated, coordinator.screenings);
  app.use(
    '/audit',
    auditCall(audit, 'audit'),
    whenMigrated,
    auditRoutes({
      config: { publicUrl: config.publicUrl, ...(config.publicUrls && { publicUrls: config.publicUrls }), requireAuth: config.requireAuth, auditIssuers: recordsConfig.auditIssuers },
      trail: audit,
      ...(deps.verifier && { verifier: deps.verifier }),
      log,
      onAuthFailure: () => metrics.errors.inc({ kind: 'auth' }),
      pseudonymSystem: patientPseudonymSystem(),
    }),
  );

  // The API for apps: SMART access tokens, checked with the EHR that issued them. Which EHRs:
  // CAIRN_SMART_FHIR_SERVERS, else (as for unauthenticated hook requests) loopback addresses in
  // development and none in production, since the token check makes Cairn call the server named.
  const smart = config.smart ?? DEFAULT_SMART_API;
  const smartVerifier = new SmartTokenVerifier({
    allowlist: unauthenticatedAllowlist({ ...(config.production !== undefined && { production: config.production }), ...(smart.fhirServers && { fhirServers: smart.fhirServers }) }),
    ...(smart.introspectionClient && { introspectionClient: smart.introspectionClient }),
    timeoutMs: smart.timeoutMs,
    log,
  });
  app.use(
    '/api',
    auditCall(audit, 'api'),
    whenMigrated,
    apiRoutes({
      verifier: smartVerifier,
      db,
      log,
      publicUrl: config.publicUrl,
      maxRequestBytes: config.maxRequestBytes,
      ...(config.trialStaleDays !== undefined && { trialStaleDays: config.trialStaleDays }),
      ...(deps.screening && { screening: deps.screening }),
      ...(deps.evidence && { evidence: deps.evidence }),
      // An app's reads are not a hook's: they may take the API's own, longer time-out.
      fhir: { timeoutMs: smart.timeoutMs, concurrency: config.fhirConcurrency, maxPages: config.fhirMaxPages },
      onFhirCall: (outcome, seconds) => metrics.fhirFetchDuration.observe({ outcome }, seconds),
      patientKey,
      cardRetentionDays: recordsConfig.cardRetentionDays,
      readiness,
      onAuthFailure: () => metrics.errors.inc({ kind: 'auth' }),
    }),
  );

  // The Cairn app (app/): static files, public like any web page; everything it shows comes from
  // /api with the user's SMART token.
  app.use('/app', appStatic());

  // Cairn's CodeSystem and ValueSets at their canonical URLs (src/fhir/published.ts): read once, on
  // the first request, and served under the configured canonical base. Public, like discovery:
  // they describe codes, never a patient.
  let published: Map<string, JsonObject> | undefined;
  app.get('/fhir/:type/:id', (req, res) => {
    const type = String(req.params.type);
    const id = String(req.params.id);
    published ??= loadPublishedResources();
    const resource = isPublishedType(type) ? published.get(`${type}/${id}`) : undefined;
    if (!resource) {
      sendOutcome(res, 404, operationOutcome('error', 'not-found', `Cairn publishes no ${type.slice(0, 40)} with id "${id.slice(0, 64)}"`));
      return;
    }
    res.type(FHIR_JSON).send(JSON.stringify(rebased(resource, canonicalBase())));
  });
  app.use((_req, res) => {
    sendOutcome(res, 404, operationOutcome('error', 'not-found', 'no such endpoint'));
  });
  app.use(errorHandler(log, metrics));
  return app;
}

/** The hook answer's JSON from its cards' JSON texts: `{"cards":[…]}` plus any other member (systemActions). */
export function answerJson(cardJson: readonly string[], body: Readonly<{ cards: unknown[] }>): string {
  const { cards: _cards, ...rest } = body;
  const others = JSON.stringify(rest);
  return `{"cards":[${cardJson.join(',')}]${others === '{}' ? '' : `,${others.slice(1, -1)}`}}`;
}

function observeLatency(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.locals.startedAt = started;
    res.on('finish', () => {
      // Route templates, never raw paths: service ids are bounded, patient data never appears.
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}`.replace(/\/$/, '') || '/' : 'unmatched';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    next();
  };
}

class BadBody extends Error {}

/** The request body's bytes as received (set by the JSON body parser of /cds-services). */
const BODY_BYTES = Symbol('request body bytes');
type RequestWithBytes = Request & { [BODY_BYTES]?: Buffer };

/** express.json leaves the body undefined for other content types; the spec says the body is JSON. */
function requireJsonBody(req: Request): void {
  if (req.body === undefined) throw new BadBody('the request body must be JSON (Content-Type: application/json)');
}

function methodNotAllowed(allow: string): RequestHandler {
  return (_req, res) => {
    res.setHeader('Allow', allow);
    sendOutcome(res, 405, operationOutcome('error', 'not-supported', `use ${allow}`));
  };
}

function sendOutcome(res: Response, status: number, outcome: object): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(outcome));
}

function errorHandler(log: Logger, metrics: Metrics): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const client =
      err instanceof BadBody
        ? { status: 400, outcome: operationOutcome('error', 'invalid', err.message), reason: 'body not JSON' }
        : clientErrorAnswer(err, req);
    if (client) {
      metrics.errors.inc({ kind: 'bad-request' });
      // Info and no stack: the client's mistake, not a fault of Cairn (client-errors.ts). The
      // path is cut short: it is the caller's text.
      log.info({ method: req.method, path: req.path.slice(0, 200), status: client.status, reason: client.reason }, 'client error');
      if (res.headersSent) return;
      sendOutcome(res, client.status, client.outcome);
      return;
    }
    const e = err as { message?: string };
    metrics.errors.inc({ kind: 'internal' });
    log.error({ path: req.path, err: { message: e.message, stack: (err as Error).stack } }, 'unhandled error');
    if (res.headersSent) return;
    sendOutcome(res, 500, operationOutcome('error', 'exception', 'internal error'));
  };
}
