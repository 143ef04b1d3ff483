import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { configureCanonicalBase } from './canonical.js';
import { audienceBases, DEFAULT_RECORDS, type Config } from './config.js';
import { migrate } from './db/migrations.js';
import { openDatabase, type Database } from './db/database.js';
import { databaseKind, deferredDatabase } from './db/deferred.js';
import { MemoryReplayCache, RedisReplayCache, type ReplayCache } from './http/auth/replay-cache.js';
import { loadTrustedIssuers } from './http/auth/trusted-issuers.js';
import { createJwtVerifier, type JwtVerifier } from './http/auth/verify-jwt.js';
import { appRecords, createApp } from './http/app.js';
import type { CardLedger, IssuedCardStore } from './ledger/issued-cards.js';
import { schedulePurge } from './ledger/retention.js';
import { createMetrics } from './http/metrics.js';
import { StartupTracker, type StartupStep } from './http/readiness.js';
import { createFhirGateway } from './fhir/gateway.js';
import type { CriterionRefiner } from './services/trials/screening/screen-patient.js';
import { startScreeningWorker, type ScreeningWorker } from './services/trials/screening/worker.js';
import { refineUnknownCriteria } from './services/trials/matching/llm-refine.js';
import { TrialMatcher } from './services/trials/match.js';
import { bindServices, loadServiceDefinitions } from './hooks/service-definitions.js';
import type { CdsService, ServiceLogic } from './hooks/service.js';
import { createLlm } from './llm/index.js';
import { llmHypothesisSource } from './services/diagnosis/hypothesis-source.js';
import { evidenceEngine } from './services/evidence.js';
import { createServiceLogic } from './services/index.js';
import { knowledgeBase } from './knowledge/knowledge-base.js';
import { closeEmbeddingThreads } from './search/embeddings/index.js';
import { observeProgress, type ProgressReport } from './progress.js';
import { AbortableEmbeddings } from './search/embeddings/abortable.js';
import { PrecomputedEmbeddings } from './search/embeddings/precomputed.js';
import type { CairnEmbeddings } from './search/embeddings/types.js';
import { importTrialFiles } from './services/trials/store/open.js';
import { parseCtgovQuery, type CtgovQuery } from './services/trials/ctgov/api.js';
import { CtgovClient } from './services/trials/ctgov/client.js';
import { importFromCtgov } from './services/trials/ctgov/import.js';
import { startCtgovRefresh, type CtgovRefresh } from './services/trials/ctgov/refresh.js';
import { trialFiles } from './services/trials/store/trial-files.js';
import { TRIAL_MATCH_SERVICE_ID } from './services/trials/service.js';
import { RECRUITING_STATUSES } from './services/trials/matching/trial-record.js';
import { triageFixedQuestions } from './services/triage/guideline-basis.js';

/**
 * Composition root. Before listening it reads and checks everything that is configuration (the
 * environment, the trusted issuers, the service definitions and their logic, the trial paths) and
 * wires every component; any misconfiguration stops it there, loudly, before a port is taken.
 *
 * Then it listens at once, and starts up behind the port (http/readiness.ts): it opens the database
 * (a first start of the embedded one runs initdb), migrates it, ingests the guideline corpus and
 * imports the trials (texts whose vectors ship in vectors/ are not embedded again). /healthz
 * answers throughout, /readyz says which step is running, and hook calls get a fast 503 until
 * everything is loaded. If a step fails, `ready` rejects: the caller must stop the process
 * (src/cli/serve.ts exits non-zero) rather than serve half-working.
 */
export interface RunningCairn {
  url: string;
  server: Server;
  /** The database; its calls wait until start-up has opened it. */
  db: Database;
  services: readonly CdsService[];
  /** The trial store's matcher (undefined when CAIRN_TRIALS=none), for anything else built on it. */
  trials: TrialMatcher | undefined;
  /** Where start-up is: what /readyz reports. */
  readiness: StartupTracker;
  /** Resolves once start-up is done and hooks are served; rejects when a step failed, or when closed first. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Extra services bound in code (tests register test-only services this way). */
  extraServices?: readonly CdsService[];
  /** Logic by id, instead of the shipped registry. */
  logic?: Readonly<Record<string, ServiceLogic>>;
  /** The embedding model instead of the configured one (tests). */
  embeddings?: CairnEmbeddings;
  /** Awaited as each start-up step begins (after /readyz reports it): tests hold start-up at a step. */
  beforeStep?: (step: StartupStep) => Promise<void> | void;
  /**
   * The issued-card ledger instead of the database's (bench:hooks --only ledger measures a Cairn whose
   * ledger records nothing beside the shipped one, to say what recording costs a hook call).
   */
  ledger?: IssuedCardStore & Pick<CardLedger, 'flush' | 'purgeOlderThan'>;
}

export async function startCairn(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningCairn> {
  if (!config.requireAuth) {
    log.warn(
      '!!! CDS client authentication is OFF (CAIRN_REQUIRE_AUTH=false). Any caller can invoke services. ' +
        'Set CAIRN_TRUSTED_ISSUERS and CAIRN_REQUIRE_AUTH=true (the default with NODE_ENV=production) before exposing Cairn. !!!',
    );
  }
  for (const message of config.deprecations ?? []) log.warn(message);
  // Before any card, trial record or served resource is built: every canonical URL Cairn writes uses it.
  configureCanonicalBase(config.canonicalBase);
  if (config.production && config.canonicalBase && isLoopback(config.canonicalBase)) {
    log.warn(
      { canonicalBase: config.canonicalBase },
      'the canonical base of Cairn\'s code systems and extensions is a loopback address: set CAIRN_PUBLIC_URL or CAIRN_CANONICAL_BASE so that the systems on cards and in the EHR resolve',
    );
  }
  const trialPaths = config.trials ?? [];
  // A refresh query that does not parse is misconfiguration: found here, before listening.
  const ctgovQuery: CtgovQuery | undefined = config.ctgov?.refresh !== undefined ? parseCtgovQuery(config.ctgov.refresh) : undefined;
  // Trial matching is on with trial files, or with trials refreshed from ClinicalTrials.gov.
  const trialsOn = trialPaths.length > 0 || ctgovQuery !== undefined;
  // With trial matching off, its definition is left out of discovery rather than served with no logic.
  const declared = (await loadServiceDefinitions(config.servicesDir)).filter((d) => trialsOn || d.definition.id !== TRIAL_MATCH_SERVICE_ID);
  // A trial path that does not exist is misconfiguration: found here, before listening.
  if (trialPaths.length > 0) await trialFiles(trialPaths);

  let replayCache: ReplayCache | undefined;
  let verifier: JwtVerifier | undefined;
  if (config.requireAuth && config.trustedIssuersFile) {
    const issuers = await loadTrustedIssuers(config.trustedIssuersFile);
    if (config.production) {
      for (const i of issuers) {
        if (i.jwksUrl?.startsWith('http:')) log.warn({ iss: i.iss }, 'trusted issuer JWKS URL is not https');
      }
    }
    replayCache = config.redisUrl ? new RedisReplayCache(connectRedis(config.redisUrl, log)) : new MemoryReplayCache();
    verifier = createJwtVerifier({ issuers, replayCache, clockToleranceS: config.jwtClockToleranceS });
    // A token whose `aud` names Cairn by another name (127.0.0.1 for localhost, an internal host
    // name) is refused with a bare 401: said once here, the accepted names are a log search away.
    log.info(
      { audienceBases: audienceBases(config), issuersWithAudAliases: issuers.filter((i) => i.audAliases.length > 0).map((i) => i.iss) },
      'JWT aud accepted: one of these base URLs followed by the path called, or an issuer\'s audAliases (CAIRN_PUBLIC_URL lists the bases, comma-separated)',
    );
  }

  // The database is opened after listening (the first start-up step); until then its calls wait.
  // A shutdown stops start-up: at the next step, at the next embedding batch, or in initdb.
  const stopping = new AbortController();
  let openNow!: () => void;
  let openStarted = false;
  const opening = new Promise<void>((resolve) => (openNow = resolve)).then(() =>
    openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, pgliteThread: config.pgliteThread, signal: stopping.signal }),
  );
  const db = deferredDatabase(databaseKind({ url: config.databaseUrl }), opening);
  const kb = knowledgeBase(db, {
    ...(config.embeddings && { embeddings: config.embeddings }),
    guidelinesDir: config.guidelinesDir ?? 'guidelines',
    ...(config.vectorsDir !== undefined && { vectorsDir: config.vectorsDir }),
    ...(options.embeddings && { model: options.embeddings }),
    log,
  });
  // The optional language model: off the hooks' path, its hypotheses are read from a cache.
  const llm = createLlm(config.llm);
  const hypotheses =
    llm && config.llm ? llmHypothesisSource({ llm, search: kb.search, timeoutMs: config.llm.timeoutMs, concurrency: config.llm.concurrency, log }) : undefined;
  if (config.llm) log.info({ model: llm?.id }, 'language model configured for background hypotheses');
  // One matcher for the hook and the screenings (and their caches); with CAIRN_TRIALS=none the
  // screenings still read whatever `npm run trials:import` put in the store.
  const matcher = new TrialMatcher({ db, embeddings: kb.embeddings });
  const trials = trialsOn ? matcher : undefined;
  let services: CdsService[];
  try {
    services = [
      ...bindServices(
        declared,
        options.logic ?? createServiceLogic({ search: kb.search, config, ...(hypotheses && { hypotheses }), ...(trials && { trials }) }),
      ),
      ...(options.extraServices ?? []),
    ];
  } catch (err) {
    await hypotheses?.close();
    await replayCache?.close();
    throw err;
  }

  const metrics = createMetrics();
  // The coordinator screening worker reads from Cairn's own configured FHIR server only (see
  // src/services/trials/screening/worker.ts). It starts once the database is migrated.
  const sc = config.screening;
  let worker: ScreeningWorker | undefined;
  let screening: { fhirServer: string; gateway: ReturnType<typeof createFhirGateway>; wake(): void } | undefined;
  let startWorker: (() => ScreeningWorker) | undefined;
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
    startWorker = () =>
      startScreeningWorker({
        db,
        matcher,
        ...(refine && { refine }),
        gatewayFor: (url) => (url === fhirServer ? gateway : undefined),
        config: sc,
        log,
      });
    // A screening accepted before the worker runs is found by its first poll.
    screening = { fhirServer, gateway, wake: () => worker?.wake() };
  }
  const readiness = new StartupTracker();
  // With Redis as the replay cache, every authenticated call fails closed while it is down: /readyz says so.
  const cache = replayCache;
  const dependencies =
    cache && config.redisUrl ? [{ name: 'redis', description: 'the JWT replay cache (Redis)', ping: () => cache.ping() }] : [];
  const recordsConfig = config.records ?? DEFAULT_RECORDS;
  const records = { ...appRecords(db, log, recordsConfig), ...(options.ledger && { ledger: options.ledger }) };
  let stopPurge: (() => void) | undefined;
  let ctgovRefresh: CtgovRefresh | undefined;
  // The API for apps' patient evidence runs the same logic as the cards, over the same knowledge base and trial store.
  const evidence = evidenceEngine({ search: kb.search, config, ...(trials && { trials }) });
  const app = createApp({ config, services, db, ...(verifier && { verifier }), metrics, log, readiness, dependencies, records, evidence, ...(screening && { screening }) });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    // Nothing was opened yet (the database opens after listening).
    await hypotheses?.close();
    await replayCache?.close();
    throw err;
  });
  // Keep-alive longer than typical load balancers' idle time-out so they never reuse a closed socket.
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info(
    { port, database: db.kind, services: services.map((s) => s.definition.id), auth: config.requireAuth },
    'Cairn is listening; starting up (GET /readyz says how far)',
  );

  // Start-up behind the port.
  const aborted = new Promise<never>((_, reject) => stopping.signal.addEventListener('abort', () => reject(stopping.signal.reason as Error), { once: true }));
  aborted.catch(() => undefined);
  const embedder = new AbortableEmbeddings(kb.embeddings, stopping.signal);
  const onProgress = (r: ProgressReport) => readiness.progress(`${r.what}: ${r.done}${r.total !== undefined ? ` of ${r.total}` : ''}`);
  // The reason is public (/readyz, the 503s): no paths in it; the log line has them.
  const step = async (s: StartupStep, reason: string, detail: Record<string, unknown> = {}): Promise<void> => {
    stopping.signal.throwIfAborted();
    readiness.step(s, reason);
    log.info({ step: s, ...detail }, `start-up: ${reason}`);
    if (options.beforeStep) await Promise.race([options.beforeStep(s), aborted]);
    stopping.signal.throwIfAborted();
  };
  const startedAt = performance.now();
  const startup = (async () => {
    await step('opening-database', db.kind === 'postgres' ? 'connecting to PostgreSQL' : 'opening the embedded database (created first if the data directory is empty)', { dataDir: db.kind === 'pglite' ? config.dataDir : undefined });
    openStarted = true;
    openNow();
    await opening;
    await step('migrating', 'applying schema migrations');
    await migrate(db);
    worker = startWorker?.();
    await step('ingesting-guidelines', 'ingesting the guideline corpus', { dir: config.guidelinesDir ?? 'guidelines' });
    await observeProgress(onProgress, () => kb.load(embedder));
    if (trialPaths.length > 0) {
      await step('importing-trials', 'importing the trials', { paths: trialPaths });
      await observeProgress(onProgress, () => importTrialFiles(db, embedder, { paths: trialPaths, log }));
    }
    if (!options.logic) {
      // A warm-up that fails is not fatal: what it readies is done by the first hook that needs it.
      const warmingFailed = (what: string) => (err: unknown) => log.warn({ err: { message: (err as Error).message } }, `warming ${what} failed`);
      // The cards' fixed guideline questions are answered before the first hook, so it does not
      // wait for them (nor for the embedding threads to load their model): those answered under
      // this corpus version before are read from the database, the triage card's and any asked
      // under an earlier version are answered now.
      await step('warming-queries', "readying the cards' fixed guideline questions");
      await kb.search
        .warm(triageFixedQuestions())
        .then((w) => log.info({ corpusVersion: w.version, loaded: w.loaded, answered: w.answered }, 'fixed guideline questions ready'))
        .catch(warmingFailed('guideline queries'));
      // A model loads on its first text (USE-lite: about a second). With every answer read from
      // the database nothing was embedded above, and the first chief complaint or note would pay for it.
      await kb.embeddings.warm().catch(warmingFailed('the embedding model'));
      if (trials) {
        // The first trial-match call would otherwise build the trial store's word index and load
        // its candidates' criteria within its own deadline (TrialMatcher.warm).
        await step('warming-trials', "readying the trial store's index and recruiting trials");
        await trials
          .warm({ statuses: RECRUITING_STATUSES })
          .then((w) => log.info({ trials: w.trials }, 'recruiting trials ready'))
          .catch(warmingFailed('the trial store'));
      }
    }
    stopping.signal.throwIfAborted();
    readiness.markReady();
    stopPurge = schedulePurge(records, recordsConfig, log);
    if (ctgovQuery && config.ctgov) {
      // In the background, once ready: hooks are served while it runs (src/services/trials/ctgov/refresh.ts).
      const ctgov = config.ctgov;
      log.info({ query: config.ctgov.refresh, everyHours: ctgov.refreshHours, baseUrl: ctgov.baseUrl }, 'refreshing trials from ClinicalTrials.gov in the background');
      ctgovRefresh = startCtgovRefresh({
        everyHours: ctgov.refreshHours,
        log,
        run: (signal) =>
          importFromCtgov(db, {
            client: new CtgovClient({ baseUrl: ctgov.baseUrl, requestsPerMinute: ctgov.requestsPerMinute, signal: AbortSignal.any([signal, stopping.signal]) }),
            query: ctgovQuery,
            embedder,
            log,
            onProgress: (p) => log.debug(p, 'ClinicalTrials.gov refresh'),
          }),
      });
    }
    const vectors = kb.embeddings instanceof PrecomputedEmbeddings ? kb.embeddings.stats : undefined;
    log.info({ ms: Math.round(performance.now() - startedAt), ...(vectors && { vectors }) }, 'Cairn is ready: hooks are served');
  })();
  const ready = startup.catch((err: unknown) => {
    if (stopping.signal.aborted) throw new Error('Cairn was closed before start-up finished', { cause: err });
    const state = readiness.state;
    const message = err instanceof Error ? err.message : String(err);
    readiness.fail(message);
    log.error(
      { step: state.status === 'starting' ? state.step : undefined, err: { message, stack: (err as Error).stack } },
      `start-up failed after listening: ${message}`,
    );
    throw err;
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Whoever closes during start-up gives it up: that is not a failure to report.
      ready.catch(() => undefined);
      stopping.abort(new Error('Cairn is shutting down'));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open; in-flight requests are allowed to finish.
        server.closeIdleConnections();
      });
      // The step in progress ends (a transaction rolls back) before the database closes under it.
      await startup.catch(() => undefined);
      stopPurge?.();
      // A refresh in progress stops at its next request or embedding batch; a batch being written rolls back.
      await ctgovRefresh?.stop();
      // The audit rows of the last calls are written before the database closes.
      if (openStarted) {
        await records.ledger.flush();
        await records.audit.flush();
      }
      // Patients in progress finish and unfinished claims are given back before the database closes.
      await worker?.stop();
      // Background language-model questions are abandoned before the database they retrieve from closes.
      await hypotheses?.close();
      // The process's USE-lite threads: queued batches are turned away, a running one finishes.
      await closeEmbeddingThreads();
      // Closed before its open began, the database has nothing to close (and its open never comes).
      if (openStarted) await db.close();
      await replayCache?.close();
    })());
  return { url: `http://127.0.0.1:${port}`, server, db, services, trials, readiness, ready, close };
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/** How often a Redis that stays down is logged again (ioredis reports every reconnection attempt). */
const REDIS_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * The Redis client of the replay cache. Its errors (ioredis emits one per failed reconnection)
 * go to the JSON log, the first at once and then one line a minute with how many followed,
 * instead of ioredis's unhandled-error lines on stderr.
 */
function connectRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false });
  let lastLogged = 0;
  let since = 0;
  redis.on('error', (err: Error) => {
    since++;
    const now = Date.now();
    if (now - lastLogged < REDIS_ERROR_LOG_INTERVAL_MS) return;
    log.warn({ err: { message: err.message }, errors: since }, 'Redis (JWT replay cache) is unreachable: authenticated calls are refused until it answers');
    lastLogged = now;
    since = 0;
  });
  redis.on('ready', () => {
    if (lastLogged > 0) log.info('Redis (JWT replay cache) answers again');
    lastLogged = 0;
    since = 0;
  });
  return redis;
}
