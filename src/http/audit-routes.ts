/**
 * The audit trail over HTTP: `auditCall` records every audited call when its response is finished,
 * and GET /audit pages through the records as a FHIR searchset Bundle of AuditEvents for an
 * operator.
 *
 * Who may read: with authentication on, a valid CDS client JWT from an issuer listed in
 * CAIRN_AUDIT_ISSUERS (an operator's own client, not the EHR's); nobody when the list is empty.
 * With authentication off (development) the trail is open like every other endpoint.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Bundle, OperationOutcome } from 'fhir/r4.js';
import type { Logger } from 'pino';
import { audienceBases, type Config } from '../config.js';
import { toAuditEvent, type AuditAction, type AuditRecord } from '../audit/audit-event.js';
import type { AuditSink } from '../audit/audit-trail.js';
import { operationOutcome } from '../hooks/operation-outcome.js';
import type { SmartCaller } from './auth/smart-token.js';
import type { JwtVerifier, VerifiedClient } from './auth/verify-jwt.js';
import { authenticate } from './authenticate.js';

/** What a handler adds to its call's audit record (`res.locals.audit`). */
export type AuditDetails = Partial<Pick<AuditRecord, 'outcome' | 'serviceId' | 'hookInstance' | 'patientKey' | 'cards' | 'entity'>>;

export function setAuditDetails(res: Response, details: AuditDetails): void {
  res.locals.audit = { ...(res.locals.audit as AuditDetails | undefined), ...details };
}

function statusWord(status: number): string {
  if (status === 401) return 'refused';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 412) return 'precondition-failed';
  if (status === 413) return 'too-large';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'error';
  if (status >= 400) return 'bad-request';
  return 'ok';
}

/** Records the call once its response is finished: who, what, the outcome and how long it took. */
export function auditCall(trail: AuditSink, action: AuditAction): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const client = res.locals.client as VerifiedClient | undefined;
      const app = res.locals.smart as SmartCaller | undefined;
      // A CDS client is named by its JWT issuer; an app by the FHIR server that vouched for its token.
      const caller = client ? { iss: client.iss, sub: client.sub } : app ? { iss: app.fhirServer, sub: app.sub ?? app.fhirUser } : undefined;
      const details = (res.locals.audit as AuditDetails | undefined) ?? {};
      // The route template, never the raw path (which may carry ids).
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}`.replace(/\/$/, '') || '/' : req.baseUrl || '/';
      trail.record({
        action,
        method: req.method,
        route,
        status: res.statusCode,
        outcome: details.outcome ?? statusWord(res.statusCode),
        ...(caller && { issuer: caller.iss }),
        ...(caller?.sub !== undefined && { subject: caller.sub }),
        ...details,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      });
    });
    next();
  };
}

export interface AuditRoutesDeps {
  config: Pick<Config, 'publicUrl' | 'publicUrls' | 'requireAuth'> & { auditIssuers: readonly string[] };
  trail: AuditSink;
  verifier?: JwtVerifier;
  log: Logger;
  onAuthFailure?: () => void;
  /** The identifier system of patient keys in the AuditEvents. */
  pseudonymSystem: string;
}

const FHIR_JSON = 'application/fhir+json';
const DEFAULT_COUNT = 50;
const MAX_COUNT = 500;

function send(res: Response, status: number, body: OperationOutcome | Bundle): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(body));
}

type PageQuery = { ok: true; count: number; before?: string } | { ok: false; problem: string };

function parsePage(req: Request): PageQuery {
  const rawCount = req.query._count;
  const rawBefore = req.query.before;
  let count = DEFAULT_COUNT;
  if (rawCount !== undefined) {
    if (typeof rawCount !== 'string' || !/^\d{1,4}$/.test(rawCount) || Number(rawCount) < 1 || Number(rawCount) > MAX_COUNT) {
      return { ok: false, problem: `_count must be a whole number from 1 to ${MAX_COUNT}` };
    }
    count = Number(rawCount);
  }
  if (rawBefore !== undefined && (typeof rawBefore !== 'string' || !/^\d{1,18}$/.test(rawBefore))) {
    return { ok: false, problem: 'before must be the id of an audit record (digits)' };
  }
  return { ok: true, count, ...(typeof rawBefore === 'string' && { before: rawBefore }) };
}

export function auditRoutes(deps: AuditRoutesDeps): Router {
  const { config, trail, log } = deps;
  const router = express.Router();
  if (config.requireAuth) {
    if (!deps.verifier) throw new Error('authentication is required but no JWT verifier was given');
    router.use(authenticate({ verifier: deps.verifier, publicUrls: audienceBases(config), log, ...(deps.onAuthFailure && { onFailure: deps.onAuthFailure }) }));
    router.use((_req, res, next) => {
      const client = res.locals.client as VerifiedClient | undefined;
      if (client && config.auditIssuers.includes(client.iss)) return next();
      log.warn({ issuer: client?.iss }, 'audit trail read refused: issuer not in CAIRN_AUDIT_ISSUERS');
      send(res, 403, operationOutcome('error', 'forbidden', 'this client may not read the audit trail (CAIRN_AUDIT_ISSUERS)'));
    });
  }

  router.get('/', async (req, res) => {
    const page = parsePage(req);
    if (!page.ok) return send(res, 400, operationOutcome('error', 'invalid', page.problem));
    // One more than asked, to know whether there is a next page without counting the table.
    const records = await trail.page({ count: page.count + 1, ...(page.before !== undefined && { before: page.before }) });
    const shown = records.slice(0, page.count);
    const self = `${config.publicUrl}/audit?${new URLSearchParams({ _count: String(page.count), ...(page.before !== undefined && { before: page.before }) }).toString()}`;
    const last = shown.at(-1);
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      link: [
        { relation: 'self', url: self },
        ...(records.length > page.count && last
          ? [{ relation: 'next', url: `${config.publicUrl}/audit?${new URLSearchParams({ _count: String(page.count), before: last.id }).toString()}` }]
          : []),
      ],
      entry: shown.map((r) => ({ resource: toAuditEvent(r, deps.pseudonymSystem), search: { mode: 'match' as const } })),
    };
    send(res, 200, bundle);
  });
  router.all('/', (_req, res) => {
    res.setHeader('Allow', 'GET');
    send(res, 405, operationOutcome('error', 'not-supported', 'use GET'));
  });
  return router;
}
