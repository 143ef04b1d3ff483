/**
 * The API for apps (/api/*): JSON for Cairn's own SMART app and any other SMART app, documented
 * in the OpenAPI document at /openapi.json (src/http/openapi.ts).
 *
 * Every call carries the app's SMART access token (src/http/auth/smart-token.ts): Cairn checks it
 * with the EHR that issued it and reads FHIR with it. CDS client JWTs are not accepted here, and
 * SMART tokens are not accepted on the CDS Hooks endpoints. Each route says which scopes it needs;
 * every refusal and error is an OperationOutcome. This module is the HTTP adapter: the SQL and the
 * clinical logic are in the modules it calls.
 */
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.js';
import { smartAuthenticate, type SmartTokenVerifier } from '../auth/smart-token.js';
import type { ScreeningBackend } from '../../services/trials/screening/requests.js';
import type { PatientKeyer } from '../../ledger/pseudonym.js';
import type { EvidenceEngine } from '../../services/evidence.js';
import type { StartupTracker } from '../readiness.js';
import { operationOutcome } from '../../hooks/operation-outcome.js';
import { analyticsRoutes } from './analytics.js';
import { cardRoutes } from './cards.js';
import { evidenceRoutes } from './evidence.js';
import { screeningApiRoutes } from './screenings.js';
import { sendOutcome } from './send.js';
import { trialRoutes } from './trials.js';

export interface ApiRoutesDeps {
  verifier: SmartTokenVerifier;
  db: Database;
  log: Logger;
  publicUrl: string;
  maxRequestBytes: number;
  /** CAIRN_TRIAL_STALE_DAYS (default 30): trials whose status was read longer ago are marked so. */
  trialStaleDays?: number;
  /** The screening FHIR server and worker; undefined when CAIRN_SCREENING_FHIR_URL is unset. */
  screening?: ScreeningBackend;
  onAuthFailure?: () => void;
  /** Patient evidence: the services' logic, and how FHIR is read for it. */
  evidence?: EvidenceEngine;
  fhir: { timeoutMs: number; concurrency: number; maxPages: number };
  onFhirCall?: (outcome: 'ok' | 'not-found' | 'error' | 'timeout', seconds: number) => void;
  patientKey: PatientKeyer;
  /** The issued-card ledger's retention (CAIRN_CARD_RETENTION_DAYS), named when feedback is for a card it no longer keeps. */
  cardRetentionDays: number;
  readiness: StartupTracker;
  /** The clock (tests fix "today"). */
  now?: () => Date;
}

export function apiRoutes(deps: ApiRoutesDeps): Router {
  const router = express.Router();
  router.use(smartAuthenticate({ verifier: deps.verifier, log: deps.log, ...(deps.onAuthFailure && { onFailure: deps.onAuthFailure }) }));
  analyticsRoutes(router, { db: deps.db, ...(deps.now && { now: deps.now }) });
  trialRoutes(router, { db: deps.db, publicUrl: deps.publicUrl, ...(deps.trialStaleDays !== undefined && { staleAfterDays: deps.trialStaleDays }), ...(deps.now && { now: deps.now }) });
  evidenceRoutes(router, {
    ...(deps.evidence && { engine: deps.evidence }),
    fhir: deps.fhir,
    patientKey: deps.patientKey,
    readiness: deps.readiness,
    log: deps.log,
    ...(deps.onFhirCall && { onFhirCall: deps.onFhirCall }),
    ...(deps.now && { now: deps.now }),
  });
  cardRoutes(router, { db: deps.db, patientKey: deps.patientKey, cardRetentionDays: deps.cardRetentionDays, maxRequestBytes: deps.maxRequestBytes, ...(deps.now && { now: deps.now }) });
  screeningApiRoutes(router, {
    db: deps.db,
    log: deps.log,
    publicUrl: deps.publicUrl,
    maxRequestBytes: deps.maxRequestBytes,
    ...(deps.screening && { screening: deps.screening }),
  });
  // A known path with another method: 405 naming the methods it has, like the other endpoints.
  // Read from the routes registered above, so the list cannot fall behind them.
  const allowed = new Map<string, Set<string>>();
  for (const layer of (router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack) {
    if (!layer.route) continue;
    const methods = allowed.get(layer.route.path) ?? new Set<string>();
    for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') methods.add(method.toUpperCase());
    allowed.set(layer.route.path, methods);
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods].join(', ');
    router.all(path, (_req, res) => {
      res.setHeader('Allow', allow);
      sendOutcome(res, 405, operationOutcome('error', 'not-supported', `use ${allow}`));
    });
  }
  return router;
}
