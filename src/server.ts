import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { migrate } from './db/migrations.js';
import { openDatabase, type Database } from './db/database.js';
import { MemoryReplayCache, RedisReplayCache, type ReplayCache } from './http/auth/replay-cache.js';
import { loadTrustedIssuers } from './http/auth/trusted-issuers.js';
import { createJwtVerifier, type JwtVerifier } from './http/auth/verify-jwt.js';
import { createApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { createFhirGateway } from './fhir/gateway.js';
import type { CriterionRefiner } from './services/trials/screening/screen-patient.js';
import { startScreeningWorker, type ScreeningWorker } from './services/trials/screening/worker.js';
import { refineUnknownCriteria } from './services/trials/matching/llm-refine.js';
import { TrialMatcher } from './services/trials/match.js';
import { bindServices, loadServiceDefinitions } from './hooks/service-definitions.js';
import type { CdsService, ServiceLogic } from './hooks/service.js';
import { createLlm } from './llm/index.js';
import { llmHypothesisSource } from './services/diagnosis/hypothesis-source.js';
import { createServiceLogic } from './services/index.js';
import { openKnowledgeBase } from './knowledge/knowledge-base.js';
import { closeEmbeddingThreads } from './search/embeddings/index.js';
import { openTrials } from './services/trials/store/open.js';
import { TRIAL_MATCH_SERVICE_ID } from './services/trials/service.js';
import { warmTriageQueries } from './services/triage/guideline-basis.js';

/**
 * Composition root: opens the database (PGlite or PostgreSQL) and migrates it, loads the trusted
 * issuers and service definitions, and serves HTTP. Start-up fails loudly on any misconfiguration
 * rather than serving in a half-working state.
 */
export interface RunningCairn {
  url: string;
  server: Server;
  db: Database;
  services: readonly CdsService[];
  /** The trial store's matcher (undefined when CAIRN_TRIALS=none), for anything else built on it. */
  trials: TrialMatcher | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Extra services bound in code (tests register test-only services this way). */
  extraServices?: readonly CdsService[];
  /** Logic by id, instead of the shipped registry. */
  logic?: Readonly<Record<string, ServiceLogic>>;
}

export async function startCairn(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningCairn> {
  if (!config.requireAuth) {
    log.warn(
      '!!! CDS client authentication is OFF (CAIRN_REQUIRE_AUTH=false). Any caller can invoke services. ' +
        'Set CAIRN_TRUSTED_ISSUERS and CAIRN_REQUIRE_AUTH=true (the default with NODE_ENV=production) before exposing Cairn. !!!',
    );
  }
  const trialPaths = config.trials ?? [];
  // With trial matching off, its definition is left out of discovery rather than served with no logic.
  const declared = (await loadServiceDefinitions(config.servicesDir)).filter((d) => trialPaths.length > 0 || d.definition.id !== TRIAL_MATCH_SERVICE_ID);

  let replayCache: ReplayCache | undefined;
  let verifier: JwtVerifier | undefined;
  if (config.requireAuth && config.trustedIssuersFile) {
    const issuers = await loadTrustedIssuers(config.trustedIssuersFile);
    if (config.production) {
      for (const i of issuers) {
        if (i.jwksUrl?.startsWith('http:')) log.warn({ iss: i.iss }, 'trusted issuer JWKS URL is not https');
      }
    }
    replayCache = config.redisUrl
      ? new RedisReplayCache(new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false }))
      : new MemoryReplayCache();
    verifier = createJwtVerifier({ issuers, replayCache, clockToleranceS: config.jwtClockToleranceS });
  }

  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  let services: CdsService[];
  let trials: TrialMatcher | undefined;
  let warm: (() => Promise<void>) | undefined;
  let hypotheses: ReturnType<typeof llmHypothesisSource> | undefined;
  let matcher: TrialMatcher;
  let llm: ReturnType<typeof createLlm>;
  try {
    await migrate(db);
    // Guideline embeddings are computed here, at ingest (a no-op when the corpus is unchanged), never on a hook.
    const kb = await openKnowledgeBase(db, {
      ...(config.embeddings && { embeddings: config.embeddings }),
      guidelinesDir: config.guidelinesDir ?? 'guidelines',
      log,
    });
    // The optional language model: off the hooks' path, its hypotheses are read from a cache.
    llm = createLlm(config.llm);
    hypotheses =
      llm && config.llm
        ? llmHypothesisSource({ llm, search: kb.search, timeoutMs: config.llm.timeoutMs, concurrency: config.llm.concurrency, log })
        : undefined;
    if (config.llm) log.info({ model: llm?.id }, 'language model configured for background hypotheses');
    // Trial and criterion embeddings too are computed here, at import (a no-op when unchanged).
    if (trialPaths.length > 0) trials = (await openTrials(db, kb.embeddings, { paths: trialPaths, log })).matcher;
    services = [
      ...bindServices(
        declared,
        options.logic ?? createServiceLogic({ search: kb.search, config, ...(hypotheses && { hypotheses }), ...(trials && { trials }) }),
      ),
      ...(options.extraServices ?? []),
    ];
    warm = () => warmTriageQueries(kb.search);
    // Screenings share the hook's matcher (and its caches); with CAIRN_TRIALS=none they still read
    // whatever `npm run trials:import` put in the store.
    matcher = trials ?? new TrialMatcher({ db, embeddings: kb.embeddings });
  } catch (err) {
    await db.close();
    throw err;
  }

  const metrics = createMetrics();
  // The coordinator screening worker reads from Cairn's own configured FHIR server only (see src/services/trials/screening/worker.ts).
  const sc = config.screening;
  let worker: ScreeningWorker | undefined;
  let screening: { fhirServer: string; gateway: ReturnType<typeof createFhirGateway>; wake(): void } | undefined;
  if (sc?.fhirUrl) {
    const fhirServer = sc.fhirUrl;
    const gateway = createFhirGateway({
      baseUrl: fhirServer,
      ...(sc.fhirToken && { accessToken: sc.fhirToken }),
      timeoutMs: sc.fhirTimeoutMs,
      // Each patient in progress may have as many calls in flight as one hook.
      concurrency: sc.concurrency * config.fhirConcurrency,
      maxPages: config.fhirMaxPages,
      onCall: (outcome, seconds) => metrics.fhirFetchDuration.observe({ outcome }, seconds),
    });
    const model = llm;
    const llmTimeoutMs = config.llm?.timeoutMs ?? 0;
    const refine: CriterionRefiner | undefined =
      model && config.llm
        ? async (profile, judgement, signal) =>
            (await refineUnknownCriteria(profile, judgement, model, { timeoutMs: llmTimeoutMs, log, ...(signal && { signal }) })).judgement
        : undefined;
    worker = startScreeningWorker({
      db,
      matcher,
      ...(refine && { refine }),
      gatewayFor: (url) => (url === fhirServer ? gateway : undefined),
      config: sc,
      log,
    });
    const w = worker;
    screening = { fhirServer, gateway, wake: () => w.wake() };
  }
  const app = createApp({ config, services, db, ...(verifier && { verifier }), metrics, log, ...(screening && { screening }) });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    await worker?.stop();
    await hypotheses?.close();
    await db.close();
    throw err;
  });
  // Keep-alive longer than typical load balancers' idle time-out so they never reuse a closed socket.
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(
    { port, database: db.kind, services: services.map((s) => s.definition.id), auth: config.requireAuth },
    'Cairn is listening',
  );
  // The cards' fixed guideline queries are answered once now, off the hooks' path, and kept per corpus version.
  if (!options.logic) warm?.().catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, 'warming guideline queries failed'));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open; in-flight requests are allowed to finish.
        server.closeIdleConnections();
      });
      // Patients in progress finish and unfinished claims are given back before the database closes.
      await worker?.stop();
      // Background language-model questions are abandoned before the database they retrieve from closes.
      await hypotheses?.close();
      // The process's USE-lite threads: queued batches are turned away, a running one finishes.
      await closeEmbeddingThreads();
      await db.close();
      await replayCache?.close();
    })());
  return { url: `http://127.0.0.1:${port}`, server, db, services, trials, close };
}
