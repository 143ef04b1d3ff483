import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * Every setting Cairn reads from the environment, in one place. The README's configuration table
 * documents exactly these names; keep the two in step.
 */
export interface Config {
  port: number;
  host: string;
  /** The base URL Cairn's own links are built on (the first of `publicUrls`). No trailing slash. */
  publicUrl: string;
  /**
   * Every base URL clients call Cairn by (CAIRN_PUBLIC_URL, comma-separated; `publicUrl` first):
   * the JWT `aud` may be `${base}${path}` for any of them. No trailing slashes. Optional in the
   * type so hand-built configs (tests) may leave it out: then `[publicUrl]` (see audienceBases).
   */
  publicUrls?: string[];
  /**
   * CAIRN_CANONICAL_BASE: the canonical URL of Cairn's code systems, value sets and FHIR
   * extensions (src/canonical.ts). Default `${publicUrl}/fhir`, where Cairn serves them. No
   * trailing slash. Optional in the type so hand-built configs (tests) may leave it out: then the
   * default of a Cairn on its default port applies; loadConfig always sets it.
   */
  canonicalBase?: string;
  /** postgres://… selects PostgreSQL; undefined selects the embedded PGlite database. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** The embedded database runs on a thread of its own (db/pglite-thread.ts): CAIRN_PGLITE_THREAD. */
  pgliteThread: boolean;
  trustedIssuersFile: string | undefined;
  requireAuth: boolean;
  /** True when requireAuth came from the default rather than CAIRN_REQUIRE_AUTH. */
  requireAuthDefaulted: boolean;
  corsOrigins: string[];
  redisUrl: string | undefined;
  hookDeadlineMs: number;
  /**
   * Most hook calls (POST /cds-services/{id}) one process works on at once; more get a fast 503.
   * Optional in the type so hand-built configs (tests) may leave it out: then there is no limit.
   */
  hookMaxInFlight?: number;
  /**
   * Longest a hook call may have waited (event-loop delay when it arrives, queue time before its
   * service starts) and still be started; past it the call gets a fast 503. Hand-built configs
   * may leave it out: then no call is shed for waiting.
   */
  hookMaxWaitMs?: number;
  jwtClockToleranceS: number;
  fhirTimeoutMs: number;
  fhirConcurrency: number;
  fhirMaxPages: number;
  /**
   * CAIRN_FHIR_SERVERS: with authentication off, the only FHIR servers (normalised base URLs or
   * origins) a hook request's `fhirServer` may name. Undefined: loopback addresses in
   * development, none in production. With authentication on, each trusted issuer's own
   * `fhirServers` apply instead (src/http/hook-gateways.ts).
   */
  fhirServers?: string[];
  production: boolean;
  logLevel: string;
  /** Directory of the JSON service definitions served by discovery. */
  servicesDir: string;
  /** Largest accepted request body (prefetch can be large). */
  maxRequestBytes: number;
  /**
   * The embedding model of the guideline knowledge base. Optional in the type only so that
   * hand-built configs (tests) need not spell it out; loadConfig always sets it.
   */
  embeddings?: EmbeddingsConfig;
  /** The default guideline corpus, ingested at start-up (loadConfig always sets it). */
  guidelinesDir?: string;
  /**
   * Directory of shipped embedding vectors (vectors/*.vectors): texts whose vectors are there, made
   * by the configured model, are not embedded again. Undefined: none (hand-built configs; `none`).
   */
  vectorsDir?: string;
  /** Triage: also return an `info` card when nothing is urgent (default false: no card). */
  triageInfoCards?: boolean;
  /**
   * Triage: let Cairn's fitted points score (src/services/triage/fitted-score.ts) decide ESI's two
   * "consider" judgements (default false: the handbook's defaults decide). Off by default: fitted
   * on KTAS, it raised under-triage on the MIMIC-IV-ED demo (docs/EVALUATION.md).
   */
  triageFittedScore?: boolean;
  /** Diagnosis cards' indicator (default warning). */
  diagnosisIndicator?: 'warning' | 'info';
  /** When stage 1 hypertension gets a diagnosis card (default with-indication: diabetes or CKD). */
  diagnosisHtnStage1?: HtnStage1Policy;
  /** The optional language model (CAIRN_LLM); undefined: none, everything works from computed findings. */
  llm?: LlmConfig;
  /** The coordinator screening API and its worker (loadConfig always sets it). */
  screening?: ScreeningConfig;
  /**
   * Trial record files or directories imported into the trial store at start-up (a no-op when
   * unchanged). Empty: trial matching is off and the `trial-match` service is not served.
   * Undefined (hand-built configs) means off too; loadConfig always sets it.
   */
  trials?: string[];
  /**
   * CAIRN_TRIAL_STALE_DAYS: a trial status read from ClinicalTrials.gov longer ago than this is
   * marked "may be out of date" on the trial-match card and in the API (default 30; hand-built
   * configs may leave it out: then the default).
   */
  trialStaleDays?: number;
  /** The ClinicalTrials.gov API and the background refresh of trials from it (loadConfig always sets it). */
  ctgov?: CtgovConfig;
  /**
   * The launch URL of the app that shows a card's full evidence: every card has a `smart` link to
   * it; undefined, no card has one. CAIRN_SMART_APP_URL (or its deprecated alias
   * CAIRN_TRIAL_SMART_APP_URL) when set; `none` there turns the link off; unset, Cairn's own app
   * (`${publicUrl}/app/launch.html`) when it is built (ConfigFacts.appBuilt).
   */
  smartAppUrl?: string;
  /**
   * A FHIR terminology server for SNOMED CT subsumption in "is it already on the problem list?"
   * (CAIRN_TERMINOLOGY_URL, CAIRN_TERMINOLOGY_TIMEOUT_MS). Undefined: the shipped value sets alone.
   */
  terminology?: { url: string; timeoutMs: number };
  /** Deprecated settings in use, each with what replaces it: logged once at start-up. */
  deprecations?: string[];
  /** The issued-card ledger and the audit trail (loadConfig always sets it; hand-built configs get the defaults). */
  records?: RecordsConfig;
  /** The API for apps (/api/*): how SMART access tokens are checked (loadConfig always sets it; hand-built configs get the defaults). */
  smart?: SmartApiConfig;
}

/**
 * The API for apps authenticates a SMART access token by asking the EHR that issued it (token
 * introspection, src/http/auth/smart-token.ts).
 */
export interface SmartApiConfig {
  /**
   * CAIRN_SMART_FHIR_SERVERS: the FHIR servers (base URLs) whose tokens the API accepts, and so
   * whose discovery and introspection endpoints Cairn calls. Undefined: loopback addresses in
   * development, none in production (as for hook requests without authentication).
   */
  fhirServers?: string[];
  /** Cairn's own client credentials at the introspection endpoints (HTTP Basic), when the EHR asks for them. */
  introspectionClient?: { id: string; secret: string };
  /** Time-out of each call the API makes to an EHR: discovery, introspection and FHIR reads. */
  timeoutMs: number;
}

export const DEFAULT_SMART_API: SmartApiConfig = { timeoutMs: 5000 };

/** ClinicalTrials.gov API v2 (src/services/trials/ctgov). */
export interface CtgovConfig {
  /** CAIRN_CTGOV_BASE_URL: the API v2 base, no trailing slash (a hospital mirror or a test stand-in may replace the public one). */
  baseUrl: string;
  /**
   * CAIRN_CTGOV_REFRESH: the query a background refresh imports (the syntax of
   * `npm run trials:import -- --ctgov`, checked at start-up); unset: no refresh.
   */
  refresh?: string;
  /** CAIRN_CTGOV_REFRESH_HOURS: hours between refreshes; 0: once, at start-up only. */
  refreshHours: number;
  /** CAIRN_CTGOV_REQUESTS_PER_MINUTE: most requests a minute to the API. */
  requestsPerMinute: number;
}

export const DEFAULT_CTGOV: CtgovConfig = { baseUrl: 'https://clinicaltrials.gov/api/v2', refreshHours: 24, requestsPerMinute: 50 };

export interface RecordsConfig {
  /** Days an issued card stays in the ledger; feedback for an older card is refused like an unknown one. */
  cardRetentionDays: number;
  /** Days an audit record is kept. */
  auditRetentionDays: number;
  /** Secret of the pseudonymous patient keys; unset: one generated and kept in the database. */
  pseudonymKey?: string;
  /** Issuers whose clients may read GET /audit when authentication is on; empty: nobody. */
  auditIssuers: string[];
}

/**
 * Ledger: a year covers a feedback or review cycle. Audit: six years, the retention HIPAA asks of
 * required documentation (45 CFR 164.316(b)(2)(i)).
 */
export const DEFAULT_RECORDS: RecordsConfig = { cardRetentionDays: 365, auditRetentionDays: 6 * 365, auditIssuers: [] };

export interface ScreeningConfig {
  /** The FHIR server screenings read patients from; unset: the screening API answers 503. */
  fhirUrl?: string;
  /** Cairn's own bearer token for that server (never a CDS Hooks token, which is transient). */
  fhirToken?: string;
  /** Patients screened at once by this instance. */
  concurrency: number;
  /** How long a worker holds a claimed patient; a crashed instance's patients are retried after it. */
  leaseMs: number;
  maxAttempts: number;
  /** Per FHIR call; batch reads may be slower than a hook's. */
  fhirTimeoutMs: number;
}

export type LlmProvider = 'openai' | 'ollama';

/** A chat model used only off the hooks' path (background hypotheses, screening). */
export interface LlmConfig {
  provider: LlmProvider;
  model: string;
  /** openai: an OpenAI-compatible /v1 base URL; ollama: the server. */
  baseUrl?: string;
  apiKey?: string;
  /** Time-out of one call; a call that takes longer counts as no answer. */
  timeoutMs: number;
  /** Most questions of one kind (hypotheses, trial criteria) in flight at once in one process. */
  concurrency: number;
  /** Ask the server for JSON output (OpenAI response_format json_object, Ollama format json). */
  jsonMode: boolean;
}

/** When stage 1 hypertension gets a diagnosis card: see src/services/diagnosis/alert-policy.ts. */
export const HTN_STAGE1_POLICIES = ['with-indication', 'always', 'never'] as const;
export type HtnStage1Policy = (typeof HTN_STAGE1_POLICIES)[number];

export type EmbeddingsProvider = 'use-lite' | 'openai' | 'ollama';

export interface EmbeddingsConfig {
  provider: EmbeddingsProvider;
  /** Model name (openai, ollama). */
  model?: string;
  /** Endpoint (openai: an OpenAI-compatible /v1 base URL; ollama: the server). */
  baseUrl?: string;
  apiKey?: string;
  /** Requested vector size, when the model can produce several. */
  dimensions?: number;
  /** use-lite: threads the model runs on (CAIRN_EMBEDDINGS_THREADS); unset: one per core. */
  threads?: number;
}

const DEFAULT_EMBEDDING_MODELS: Record<EmbeddingsProvider, string | undefined> = {
  'use-lite': undefined,
  openai: 'text-embedding-3-small',
  ollama: 'nomic-embed-text',
};

const DEFAULT_LLM_MODELS: Record<LlmProvider, string> = {
  openai: 'gpt-4o-mini',
  ollama: 'llama3.1',
};

/**
 * Hook calls in flight per core by default (8 on the 2-core reference machine). JavaScript runs on
 * one core per process, but part of a hook call happens off it (JWT signature checks on the thread
 * pool, PostgreSQL, the EHR's FHIR server), so a few calls per core keep the machine busy while
 * each admitted call still gets enough of the event loop to answer by the deadline.
 * `npm run bench:hooks -- --only overload` is the evidence; see the README for when to change it.
 */
export const DEFAULT_HOOK_IN_FLIGHT_PER_CORE = 4;

const boolString = z.enum(['true', 'false']).transform((v) => v === 'true');
const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be an integer`).positive(`${name} must be positive`);

const envSchema = z.object({
  PORT: positiveInt('PORT').max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  CAIRN_PUBLIC_URL: z.string().transform(publicUrlList).optional(),
  CAIRN_CANONICAL_BASE: z
    .url({ protocol: /^https?$/, error: 'CAIRN_CANONICAL_BASE must be an absolute http(s) URL' })
    .refine((v) => !/[?#]/.test(v), 'CAIRN_CANONICAL_BASE must have no query or fragment')
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL')
    .optional(),
  CAIRN_DATA_DIR: z.string().min(1).default('./.cairn'),
  CAIRN_PGLITE_THREAD: boolString.default(true),
  CAIRN_TRUSTED_ISSUERS: z.string().min(1).optional(),
  CAIRN_REQUIRE_AUTH: boolString.optional(),
  CAIRN_CORS_ORIGINS: z.string().default(''),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'REDIS_URL must be a redis:// or rediss:// URL').optional(),
  CAIRN_HOOK_DEADLINE_MS: positiveInt('CAIRN_HOOK_DEADLINE_MS').default(1500),
  CAIRN_HOOK_MAX_IN_FLIGHT: positiveInt('CAIRN_HOOK_MAX_IN_FLIGHT').max(10_000).optional(),
  CAIRN_HOOK_MAX_WAIT_MS: positiveInt('CAIRN_HOOK_MAX_WAIT_MS').optional(),
  CAIRN_JWT_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(600).default(60),
  CAIRN_FHIR_TIMEOUT_MS: positiveInt('CAIRN_FHIR_TIMEOUT_MS').default(1000),
  CAIRN_FHIR_CONCURRENCY: positiveInt('CAIRN_FHIR_CONCURRENCY').max(64).default(4),
  CAIRN_FHIR_MAX_PAGES: positiveInt('CAIRN_FHIR_MAX_PAGES').max(1000).default(10),
  CAIRN_FHIR_SERVERS: z.string().optional(),
  CAIRN_SERVICES_DIR: z.string().min(1).default('cds-hooks'),
  CAIRN_MAX_REQUEST_BYTES: positiveInt('CAIRN_MAX_REQUEST_BYTES').default(10 * 1024 * 1024),
  CAIRN_EMBEDDINGS: z.enum(['use-lite', 'openai', 'ollama'], { error: 'CAIRN_EMBEDDINGS must be use-lite, openai or ollama' }).default('use-lite'),
  CAIRN_EMBEDDINGS_MODEL: z.string().min(1).optional(),
  CAIRN_EMBEDDINGS_BASE_URL: z.url('CAIRN_EMBEDDINGS_BASE_URL must be an absolute URL').optional(),
  OPENAI_BASE_URL: z.url('OPENAI_BASE_URL must be an absolute URL').optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  CAIRN_EMBEDDINGS_DIMENSIONS: positiveInt('CAIRN_EMBEDDINGS_DIMENSIONS').max(16000).optional(),
  CAIRN_EMBEDDINGS_THREADS: positiveInt('CAIRN_EMBEDDINGS_THREADS').max(256).optional(),
  CAIRN_LLM: z.enum(['openai', 'ollama'], { error: 'CAIRN_LLM must be openai or ollama (or unset for none)' }).optional(),
  CAIRN_LLM_MODEL: z.string().min(1).optional(),
  CAIRN_LLM_BASE_URL: z.url('CAIRN_LLM_BASE_URL must be an absolute URL').optional(),
  CAIRN_LLM_TIMEOUT_MS: positiveInt('CAIRN_LLM_TIMEOUT_MS').max(600_000).default(30_000),
  CAIRN_LLM_CONCURRENCY: positiveInt('CAIRN_LLM_CONCURRENCY').max(64).default(2),
  CAIRN_LLM_JSON_MODE: boolString.default(true),
  CAIRN_GUIDELINES_DIR: z.string().min(1).default('guidelines'),
  CAIRN_VECTORS_DIR: z.string().min(1).default('vectors'),
  CAIRN_TRIAGE_INFO_CARDS: boolString.default(false),
  CAIRN_TRIAGE_FITTED_SCORE: boolString.default(false),
  CAIRN_DIAGNOSIS_INDICATOR: z.enum(['warning', 'info']).default('warning'),
  CAIRN_DIAGNOSIS_HTN_STAGE1: z.enum(HTN_STAGE1_POLICIES).default('with-indication'),
  CAIRN_TERMINOLOGY_URL: z.url('CAIRN_TERMINOLOGY_URL must be an absolute URL (a FHIR terminology server base)').optional(),
  CAIRN_TERMINOLOGY_TIMEOUT_MS: positiveInt('CAIRN_TERMINOLOGY_TIMEOUT_MS').default(300),
  CAIRN_SCREENING_FHIR_URL: z.url('CAIRN_SCREENING_FHIR_URL must be an absolute URL').optional(),
  CAIRN_SCREENING_FHIR_TOKEN: z.string().min(1).optional(),
  CAIRN_SCREENING_CONCURRENCY: positiveInt('CAIRN_SCREENING_CONCURRENCY').max(64).default(4),
  CAIRN_SCREENING_LEASE_S: positiveInt('CAIRN_SCREENING_LEASE_S').max(3600).default(60),
  CAIRN_SCREENING_MAX_ATTEMPTS: positiveInt('CAIRN_SCREENING_MAX_ATTEMPTS').max(20).default(3),
  CAIRN_SCREENING_FHIR_TIMEOUT_MS: positiveInt('CAIRN_SCREENING_FHIR_TIMEOUT_MS').max(300_000).default(10_000),
  CAIRN_TRIALS: z.string().min(1).default('trials'),
  CAIRN_TRIAL_STALE_DAYS: positiveInt('CAIRN_TRIAL_STALE_DAYS').max(3650).default(30),
  CAIRN_CTGOV_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'CAIRN_CTGOV_BASE_URL must be an absolute http(s) URL' })
    .refine((v) => !/[?#]/.test(v), 'CAIRN_CTGOV_BASE_URL must have no query or fragment')
    .default(DEFAULT_CTGOV.baseUrl),
  CAIRN_CTGOV_REFRESH: z.string().min(1).optional(),
  CAIRN_CTGOV_REFRESH_HOURS: z.coerce
    .number({ error: 'CAIRN_CTGOV_REFRESH_HOURS must be a number' })
    .min(0, 'CAIRN_CTGOV_REFRESH_HOURS must be 0 (at start-up only) or more')
    // A timer cannot wait longer than 2^31 ms (24.8 days).
    .max(576, 'CAIRN_CTGOV_REFRESH_HOURS must be at most 576 (24 days)')
    .default(DEFAULT_CTGOV.refreshHours),
  CAIRN_CTGOV_REQUESTS_PER_MINUTE: positiveInt('CAIRN_CTGOV_REQUESTS_PER_MINUTE').max(600).default(DEFAULT_CTGOV.requestsPerMinute),
  CAIRN_SMART_APP_URL: z
    .string()
    .refine((v) => isNone(v) || isHttpUrl(v), 'CAIRN_SMART_APP_URL must be an absolute http(s) URL, or none (no link to an app)')
    .optional(),
  // Deprecated alias of CAIRN_SMART_APP_URL, from when only trial cards linked to an app.
  CAIRN_TRIAL_SMART_APP_URL: z.url('CAIRN_TRIAL_SMART_APP_URL must be an absolute URL').optional(),
  CAIRN_CARD_RETENTION_DAYS: positiveInt('CAIRN_CARD_RETENTION_DAYS').default(DEFAULT_RECORDS.cardRetentionDays),
  CAIRN_AUDIT_RETENTION_DAYS: positiveInt('CAIRN_AUDIT_RETENTION_DAYS').default(DEFAULT_RECORDS.auditRetentionDays),
  CAIRN_PSEUDONYM_KEY: z.string().min(32, 'CAIRN_PSEUDONYM_KEY must be at least 32 characters (a random secret)').optional(),
  CAIRN_AUDIT_ISSUERS: z.string().default(''),
  CAIRN_SMART_FHIR_SERVERS: z.string().optional(),
  CAIRN_SMART_INTROSPECTION_CLIENT_ID: z.string().min(1).optional(),
  CAIRN_SMART_INTROSPECTION_CLIENT_SECRET: z.string().min(1).optional(),
  CAIRN_API_TIMEOUT_MS: positiveInt('CAIRN_API_TIMEOUT_MS').max(120_000).default(DEFAULT_SMART_API.timeoutMs),
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export class ConfigError extends Error {}

/** What the configuration depends on besides the environment, found out by the caller. */
export interface ConfigFacts {
  /**
   * Whether Cairn's own app is built (src/http/app-static.ts builtAppDir()), so that Cairn serves
   * it at /app/: then cards link to it unless CAIRN_SMART_APP_URL says otherwise. Default false.
   */
  appBuilt?: boolean;
}

/** Where Cairn serves its own app's launch page (src/http/app-static.ts), under a public URL. */
const APP_LAUNCH_PATH = '/app/launch.html';

/** Reads and checks the environment. Throws ConfigError listing every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, facts: ConfigFacts = {}): Config {
  // Empty strings in a .env file or compose file mean "unset", not "empty value".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const requireAuth = e.CAIRN_REQUIRE_AUTH ?? production;
  if (requireAuth && !e.CAIRN_TRUSTED_ISSUERS) {
    throw new ConfigError(
      'Authentication is required (CAIRN_REQUIRE_AUTH=true, the default when NODE_ENV=production) ' +
        'but CAIRN_TRUSTED_ISSUERS is not set: point it at a JSON file of trusted CDS clients.',
    );
  }
  const provider = e.CAIRN_EMBEDDINGS;
  const embeddingsBaseUrl = e.CAIRN_EMBEDDINGS_BASE_URL ?? (provider === 'openai' ? e.OPENAI_BASE_URL : undefined);
  if (provider === 'openai' && !e.OPENAI_API_KEY && !embeddingsBaseUrl) {
    throw new ConfigError(
      'CAIRN_EMBEDDINGS=openai needs OPENAI_API_KEY, or CAIRN_EMBEDDINGS_BASE_URL / OPENAI_BASE_URL pointing at an OpenAI-compatible server that needs no key.',
    );
  }
  const embeddingModel = e.CAIRN_EMBEDDINGS_MODEL ?? DEFAULT_EMBEDDING_MODELS[provider];
  const embeddings: EmbeddingsConfig = {
    provider,
    ...(provider !== 'use-lite' && embeddingModel !== undefined && { model: embeddingModel }),
    ...(provider !== 'use-lite' && embeddingsBaseUrl !== undefined && { baseUrl: embeddingsBaseUrl }),
    ...(provider === 'openai' && e.OPENAI_API_KEY !== undefined && { apiKey: e.OPENAI_API_KEY }),
    ...(provider !== 'use-lite' && e.CAIRN_EMBEDDINGS_DIMENSIONS !== undefined && { dimensions: e.CAIRN_EMBEDDINGS_DIMENSIONS }),
    ...(provider === 'use-lite' && e.CAIRN_EMBEDDINGS_THREADS !== undefined && { threads: e.CAIRN_EMBEDDINGS_THREADS }),
  };
  const llm = llmConfig(e);
  const hookMaxWaitMs = e.CAIRN_HOOK_MAX_WAIT_MS ?? Math.round(e.CAIRN_HOOK_DEADLINE_MS / 2);
  if (hookMaxWaitMs >= e.CAIRN_HOOK_DEADLINE_MS) {
    throw new ConfigError(
      `CAIRN_HOOK_MAX_WAIT_MS (${hookMaxWaitMs}) must be less than CAIRN_HOOK_DEADLINE_MS (${e.CAIRN_HOOK_DEADLINE_MS}): a call that has waited its whole deadline cannot answer in time.`,
    );
  }
  // Lookups run inside a hook call: they must leave time to answer by the deadline.
  if (e.CAIRN_TERMINOLOGY_URL !== undefined && e.CAIRN_TERMINOLOGY_TIMEOUT_MS >= e.CAIRN_HOOK_DEADLINE_MS) {
    throw new ConfigError(
      `CAIRN_TERMINOLOGY_TIMEOUT_MS (${e.CAIRN_TERMINOLOGY_TIMEOUT_MS}) must be less than CAIRN_HOOK_DEADLINE_MS (${e.CAIRN_HOOK_DEADLINE_MS}): a lookup must not outlast the hook.`,
    );
  }
  const fhirServers = fhirServerList(e.CAIRN_FHIR_SERVERS, requireAuth);
  if ((e.CAIRN_SMART_INTROSPECTION_CLIENT_ID === undefined) !== (e.CAIRN_SMART_INTROSPECTION_CLIENT_SECRET === undefined)) {
    throw new ConfigError('CAIRN_SMART_INTROSPECTION_CLIENT_ID and CAIRN_SMART_INTROSPECTION_CLIENT_SECRET go together: set both or neither.');
  }
  const smartFhirServers = e.CAIRN_SMART_FHIR_SERVERS === undefined ? undefined : baseUrlList('CAIRN_SMART_FHIR_SERVERS', e.CAIRN_SMART_FHIR_SERVERS);
  const publicUrls = e.CAIRN_PUBLIC_URL ?? [`http://localhost:${e.PORT}`];
  const publicUrl = publicUrls[0]!;
  // The default is where Cairn itself serves its CodeSystem and ValueSets (GET /fhir/…), so every
  // canonical URL it sends resolves without further set-up. A deployment that publishes them
  // elsewhere (an organisation's terminology server, a stable domain) sets CAIRN_CANONICAL_BASE.
  const canonicalBase = (e.CAIRN_CANONICAL_BASE ?? `${publicUrl}/fhir`).replace(/\/+$/, '');
  const smartAppUrl = smartAppLink(e.CAIRN_SMART_APP_URL ?? e.CAIRN_TRIAL_SMART_APP_URL, publicUrl, facts.appBuilt ?? false);
  const deprecations = smartAppDeprecations(e.CAIRN_SMART_APP_URL, e.CAIRN_TRIAL_SMART_APP_URL);
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    publicUrls,
    canonicalBase,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.CAIRN_DATA_DIR,
    pgliteThread: e.CAIRN_PGLITE_THREAD,
    trustedIssuersFile: e.CAIRN_TRUSTED_ISSUERS,
    requireAuth,
    requireAuthDefaulted: e.CAIRN_REQUIRE_AUTH === undefined,
    corsOrigins: e.CAIRN_CORS_ORIGINS.split(',')
      .map((o) => o.trim().replace(/\/+$/, ''))
      .filter((o) => o.length > 0),
    redisUrl: e.REDIS_URL,
    hookDeadlineMs: e.CAIRN_HOOK_DEADLINE_MS,
    hookMaxInFlight: e.CAIRN_HOOK_MAX_IN_FLIGHT ?? DEFAULT_HOOK_IN_FLIGHT_PER_CORE * availableParallelism(),
    hookMaxWaitMs,
    jwtClockToleranceS: e.CAIRN_JWT_CLOCK_TOLERANCE_S,
    fhirTimeoutMs: e.CAIRN_FHIR_TIMEOUT_MS,
    fhirConcurrency: e.CAIRN_FHIR_CONCURRENCY,
    fhirMaxPages: e.CAIRN_FHIR_MAX_PAGES,
    ...(fhirServers && { fhirServers }),
    production,
    logLevel: e.LOG_LEVEL,
    servicesDir: e.CAIRN_SERVICES_DIR,
    maxRequestBytes: e.CAIRN_MAX_REQUEST_BYTES,
    embeddings,
    guidelinesDir: e.CAIRN_GUIDELINES_DIR,
    ...(e.CAIRN_VECTORS_DIR.trim().toLowerCase() !== 'none' && { vectorsDir: e.CAIRN_VECTORS_DIR }),
    triageInfoCards: e.CAIRN_TRIAGE_INFO_CARDS,
    triageFittedScore: e.CAIRN_TRIAGE_FITTED_SCORE,
    diagnosisIndicator: e.CAIRN_DIAGNOSIS_INDICATOR,
    diagnosisHtnStage1: e.CAIRN_DIAGNOSIS_HTN_STAGE1,
    ...(llm && { llm }),
    screening: {
      ...(e.CAIRN_SCREENING_FHIR_URL !== undefined && { fhirUrl: e.CAIRN_SCREENING_FHIR_URL.replace(/\/+$/, '') }),
      ...(e.CAIRN_SCREENING_FHIR_TOKEN !== undefined && { fhirToken: e.CAIRN_SCREENING_FHIR_TOKEN }),
      concurrency: e.CAIRN_SCREENING_CONCURRENCY,
      leaseMs: e.CAIRN_SCREENING_LEASE_S * 1000,
      maxAttempts: e.CAIRN_SCREENING_MAX_ATTEMPTS,
      fhirTimeoutMs: e.CAIRN_SCREENING_FHIR_TIMEOUT_MS,
    },
    trials: trialPaths(e.CAIRN_TRIALS),
    trialStaleDays: e.CAIRN_TRIAL_STALE_DAYS,
    ctgov: {
      baseUrl: e.CAIRN_CTGOV_BASE_URL.replace(/\/+$/, ''),
      ...(e.CAIRN_CTGOV_REFRESH !== undefined && !isNone(e.CAIRN_CTGOV_REFRESH) && { refresh: e.CAIRN_CTGOV_REFRESH.trim() }),
      refreshHours: e.CAIRN_CTGOV_REFRESH_HOURS,
      requestsPerMinute: e.CAIRN_CTGOV_REQUESTS_PER_MINUTE,
    },
    ...(smartAppUrl !== undefined && { smartAppUrl }),
    ...(e.CAIRN_TERMINOLOGY_URL !== undefined && { terminology: { url: e.CAIRN_TERMINOLOGY_URL.replace(/\/+$/, ''), timeoutMs: e.CAIRN_TERMINOLOGY_TIMEOUT_MS } }),
    ...(deprecations.length > 0 && { deprecations }),
    records: {
      cardRetentionDays: e.CAIRN_CARD_RETENTION_DAYS,
      auditRetentionDays: e.CAIRN_AUDIT_RETENTION_DAYS,
      ...(e.CAIRN_PSEUDONYM_KEY !== undefined && { pseudonymKey: e.CAIRN_PSEUDONYM_KEY }),
      auditIssuers: e.CAIRN_AUDIT_ISSUERS.split(',')
        .map((i) => i.trim())
        .filter((i) => i.length > 0),
    },
    smart: {
      ...(smartFhirServers && { fhirServers: smartFhirServers }),
      ...(e.CAIRN_SMART_INTROSPECTION_CLIENT_ID !== undefined &&
        e.CAIRN_SMART_INTROSPECTION_CLIENT_SECRET !== undefined && {
          introspectionClient: { id: e.CAIRN_SMART_INTROSPECTION_CLIENT_ID, secret: e.CAIRN_SMART_INTROSPECTION_CLIENT_SECRET },
        }),
      timeoutMs: e.CAIRN_API_TIMEOUT_MS,
    },
  };
}

function llmConfig(e: z.infer<typeof envSchema>): LlmConfig | undefined {
  const provider = e.CAIRN_LLM;
  if (provider === undefined) return undefined;
  const baseUrl = e.CAIRN_LLM_BASE_URL ?? (provider === 'openai' ? e.OPENAI_BASE_URL : undefined);
  if (provider === 'openai' && !e.OPENAI_API_KEY && !baseUrl) {
    throw new ConfigError(
      'CAIRN_LLM=openai needs OPENAI_API_KEY, or CAIRN_LLM_BASE_URL / OPENAI_BASE_URL pointing at an OpenAI-compatible server that needs no key.',
    );
  }
  return {
    provider,
    model: e.CAIRN_LLM_MODEL ?? DEFAULT_LLM_MODELS[provider],
    ...(baseUrl !== undefined && { baseUrl }),
    ...(provider === 'openai' && e.OPENAI_API_KEY !== undefined && { apiKey: e.OPENAI_API_KEY }),
    timeoutMs: e.CAIRN_LLM_TIMEOUT_MS,
    concurrency: e.CAIRN_LLM_CONCURRENCY,
    jsonMode: e.CAIRN_LLM_JSON_MODE,
  };
}

/** The base URLs a JWT `aud` may name (with the path called): config.publicUrls, else the one publicUrl. */
export function audienceBases(config: Pick<Config, 'publicUrl' | 'publicUrls'>): string[] {
  return config.publicUrls && config.publicUrls.length > 0 ? config.publicUrls : [config.publicUrl];
}

/**
 * `CAIRN_PUBLIC_URL`: one base URL or several, comma-separated, e.g. `http://localhost:3000,
 * http://127.0.0.1:3000` when EHRs on the same machine call Cairn by either name. Each must be an
 * absolute http(s) URL without user name, password, query or fragment; it is kept as written
 * (the `aud` comparison is exact, and the EHR is configured with the same text) but for the
 * trailing slashes. Duplicates are dropped; the first is the one links are built on.
 */
function publicUrlList(raw: string, ctx: z.RefinementCtx): string[] {
  const entries = raw.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
  if (entries.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'no URL given (one base URL or several, comma-separated, e.g. https://cairn.example.org)' });
    return [];
  }
  const out: string[] = [];
  entries.forEach((entry, i) => {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    const where = entries.length > 1 ? `entry ${i + 1}` : 'the value';
    if (url && (url.username || url.password)) {
      // Named by position: an entry with a password must not be echoed.
      ctx.addIssue({ code: 'custom', message: `${where} must not contain a user name or password` });
    } else if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || /[?#]/.test(entry)) {
      ctx.addIssue({ code: 'custom', message: `${where} ("${entry}") must be an absolute http(s) base URL without query or fragment, e.g. https://cairn.example.org` });
    } else {
      const base = entry.replace(/\/+$/, '');
      if (!out.includes(base)) out.push(base);
    }
  });
  return out;
}

/**
 * `CAIRN_FHIR_SERVERS`: comma-separated base URLs. Checked here; src/fhir/server-allowlist.ts
 * normalises them when it compares. Refused with authentication on, where it would be silently
 * ignored: there each trusted issuer lists its own `fhirServers`.
 */
function fhirServerList(raw: string | undefined, requireAuth: boolean): string[] | undefined {
  if (raw === undefined) return undefined;
  if (requireAuth) {
    throw new ConfigError(
      "CAIRN_FHIR_SERVERS applies only with authentication off; with CAIRN_REQUIRE_AUTH=true list each issuer's fhirServers in CAIRN_TRUSTED_ISSUERS.",
    );
  }
  return baseUrlList('CAIRN_FHIR_SERVERS', raw);
}

/** Comma-separated FHIR base URLs, checked here; src/fhir/server-allowlist.ts normalises them when it compares. */
function baseUrlList(name: string, raw: string): string[] {
  const entries = raw.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
  entries.forEach((entry, i) => {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    const ok = url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !/[?#]/.test(entry);
    // The message names the entry by position: an entry with a password must not be echoed.
    if (!ok) throw new ConfigError(`${name}: entry ${i + 1} must be an http(s) base URL without user name, password, query or fragment`);
  });
  return entries;
}

const isNone = (v: string): boolean => v.trim().toLowerCase() === 'none';

function isHttpUrl(v: string): boolean {
  if (!URL.canParse(v)) return false;
  const { protocol } = new URL(v);
  return protocol === 'http:' || protocol === 'https:';
}

/**
 * The app cards link to: the one configured; none when configured `none`; otherwise Cairn's own
 * app, at the address clients reach Cairn by, when it is built (a link to a page that answers 404
 * would be worse than no link).
 */
function smartAppLink(configured: string | undefined, publicUrl: string, appBuilt: boolean): string | undefined {
  if (configured !== undefined) return isNone(configured) ? undefined : configured;
  return appBuilt ? `${publicUrl}${APP_LAUNCH_PATH}` : undefined;
}

/** What to say about CAIRN_TRIAL_SMART_APP_URL, the deprecated alias of CAIRN_SMART_APP_URL, when it is set. */
function smartAppDeprecations(current: string | undefined, alias: string | undefined): string[] {
  if (alias === undefined) return [];
  if (current === undefined) return ['CAIRN_TRIAL_SMART_APP_URL is deprecated: it now sets the app every card links to; rename it CAIRN_SMART_APP_URL'];
  return [
    current === alias
      ? 'CAIRN_TRIAL_SMART_APP_URL is deprecated and the same as CAIRN_SMART_APP_URL: remove it'
      : 'CAIRN_TRIAL_SMART_APP_URL is deprecated and ignored: CAIRN_SMART_APP_URL is set and applies',
  ];
}

/** `CAIRN_TRIALS`: comma-separated paths; `none` turns trial matching off (an empty value means the default). */
function trialPaths(raw: string): string[] {
  if (raw.trim().toLowerCase() === 'none') return [];
  return raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
