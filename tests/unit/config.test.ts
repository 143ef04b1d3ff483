import { describe, expect, it } from '@jest/globals';
import { availableParallelism } from 'node:os';
import { audienceBases, ConfigError, DEFAULT_HOOK_IN_FLIGHT_PER_CORE, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      dataDir: './.cairn',
      requireAuth: false,
      corsOrigins: [],
      redisUrl: undefined,
      hookDeadlineMs: 1500,
    });
  });

  it('bounds hook calls in flight (by default per core) and the wait before a call starts (by default half the deadline)', () => {
    expect(loadConfig({})).toMatchObject({ hookMaxInFlight: DEFAULT_HOOK_IN_FLIGHT_PER_CORE * availableParallelism(), hookMaxWaitMs: 750 });
    expect(loadConfig({ CAIRN_HOOK_DEADLINE_MS: '1000' }).hookMaxWaitMs).toBe(500);
    expect(loadConfig({ CAIRN_HOOK_MAX_IN_FLIGHT: '3', CAIRN_HOOK_MAX_WAIT_MS: '200' })).toMatchObject({ hookMaxInFlight: 3, hookMaxWaitMs: 200 });
    expect(() => loadConfig({ CAIRN_HOOK_MAX_IN_FLIGHT: '0' })).toThrow(/CAIRN_HOOK_MAX_IN_FLIGHT/);
    expect(() => loadConfig({ CAIRN_HOOK_MAX_IN_FLIGHT: 'many' })).toThrow(/CAIRN_HOOK_MAX_IN_FLIGHT/);
    expect(() => loadConfig({ CAIRN_HOOK_MAX_WAIT_MS: '-1' })).toThrow(/CAIRN_HOOK_MAX_WAIT_MS/);
    // A call allowed to wait its whole deadline could never answer in time.
    expect(() => loadConfig({ CAIRN_HOOK_DEADLINE_MS: '1000', CAIRN_HOOK_MAX_WAIT_MS: '1000' })).toThrow(/must be less than CAIRN_HOOK_DEADLINE_MS/);
  });

  it('reads the screening settings: no FHIR server by default, durations in ms, bad values refused', () => {
    expect(loadConfig({}).screening).toEqual({ concurrency: 4, leaseMs: 60_000, maxAttempts: 3, fhirTimeoutMs: 10_000 });
    expect(
      loadConfig({
        CAIRN_SCREENING_FHIR_URL: 'https://fhir.example.org/r4/',
        CAIRN_SCREENING_FHIR_TOKEN: 'secret',
        CAIRN_SCREENING_CONCURRENCY: '8',
        CAIRN_SCREENING_LEASE_S: '5',
      }).screening,
    ).toMatchObject({ fhirUrl: 'https://fhir.example.org/r4', fhirToken: 'secret', concurrency: 8, leaseMs: 5000 });
    expect(() => loadConfig({ CAIRN_SCREENING_CONCURRENCY: '0' })).toThrow(/CAIRN_SCREENING_CONCURRENCY/);
    expect(() => loadConfig({ CAIRN_SCREENING_FHIR_URL: 'not a url' })).toThrow(/CAIRN_SCREENING_FHIR_URL/);
  });

  it('derives the public URL from PORT and strips a trailing slash from an explicit one', () => {
    expect(loadConfig({ PORT: '8080' })).toMatchObject({ publicUrl: 'http://localhost:8080', publicUrls: ['http://localhost:8080'] });
    expect(loadConfig({ CAIRN_PUBLIC_URL: 'https://cairn.example.org/' })).toMatchObject({
      publicUrl: 'https://cairn.example.org',
      publicUrls: ['https://cairn.example.org'],
    });
  });

  it('reads several public base URLs, comma-separated: each trimmed, without trailing slashes, the first for links', () => {
    const c = loadConfig({ CAIRN_PUBLIC_URL: ' http://localhost:3000/ , http://127.0.0.1:3000,,https://cairn.example.org/base//, http://localhost:3000' });
    expect(c.publicUrl).toBe('http://localhost:3000');
    // The duplicate is dropped; a path is kept (Cairn may sit below one behind a proxy).
    expect(c.publicUrls).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000', 'https://cairn.example.org/base']);
    expect(audienceBases(c)).toEqual(c.publicUrls);
    // Hand-built configs without the list fall back to the one base.
    expect(audienceBases({ publicUrl: 'http://cairn.test' })).toEqual(['http://cairn.test']);
  });

  it('refuses a bad public base URL by position, with the reason, and never echoes one with a password', () => {
    const message = (value: string) => {
      try {
        loadConfig({ CAIRN_PUBLIC_URL: value });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error(`CAIRN_PUBLIC_URL=${value} was accepted`);
    };
    expect(message('http://localhost:3000,127.0.0.1:3000')).toMatch(/CAIRN_PUBLIC_URL: entry 2 \("127.0.0.1:3000"\) must be an absolute http\(s\) base URL/);
    expect(message('cairn.example.org')).toMatch(/CAIRN_PUBLIC_URL: the value \("cairn.example.org"\) must be an absolute http\(s\) base URL/);
    expect(message('ftp://cairn.example.org')).toMatch(/absolute http\(s\) base URL/);
    expect(message('https://cairn.example.org/?tenant=1')).toMatch(/without query or fragment/);
    expect(message('https://cairn.example.org#top')).toMatch(/without query or fragment/);
    expect(message(' , ,')).toMatch(/CAIRN_PUBLIC_URL: no URL given/);
    const withPassword = message('https://cairn.example.org,https://admin:hunter2@cairn.example.org');
    expect(withPassword).toMatch(/CAIRN_PUBLIC_URL: entry 2 must not contain a user name or password/);
    expect(withPassword).not.toMatch(/hunter2/);
    // Listed with every other bad variable, like the rest.
    expect(message('nope')).toMatch(/CAIRN_PUBLIC_URL/);
    expect(() => loadConfig({ CAIRN_PUBLIC_URL: 'nope', PORT: 'eighty' })).toThrow(/PORT[\s\S]*CAIRN_PUBLIC_URL|CAIRN_PUBLIC_URL[\s\S]*PORT/);
  });

  it('names Cairn\'s code systems and extensions under the public URL + /fhir unless CAIRN_CANONICAL_BASE says otherwise', () => {
    expect(loadConfig({}).canonicalBase).toBe('http://localhost:3000/fhir');
    expect(loadConfig({ PORT: '8080' }).canonicalBase).toBe('http://localhost:8080/fhir');
    expect(loadConfig({ CAIRN_PUBLIC_URL: 'https://cds.hospital.example/cairn/' }).canonicalBase).toBe('https://cds.hospital.example/cairn/fhir');
    expect(loadConfig({ CAIRN_PUBLIC_URL: 'https://cds.hospital.example', CAIRN_CANONICAL_BASE: 'https://terminology.hospital.example/cairn/' }).canonicalBase).toBe(
      'https://terminology.hospital.example/cairn',
    );
    expect(() => loadConfig({ CAIRN_CANONICAL_BASE: 'urn:cairn' })).toThrow(/CAIRN_CANONICAL_BASE must be an absolute http\(s\) URL/);
    expect(() => loadConfig({ CAIRN_CANONICAL_BASE: 'https://x.example/fhir?v=1' })).toThrow(/CAIRN_CANONICAL_BASE must have no query or fragment/);
  });

  it('requires authentication by default in production, and refuses to start without trusted issuers', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CAIRN_TRUSTED_ISSUERS is not set/);
    expect(loadConfig({ NODE_ENV: 'production', CAIRN_TRUSTED_ISSUERS: '/etc/cairn/issuers.json' }).requireAuth).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', CAIRN_REQUIRE_AUTH: 'false' }).requireAuth).toBe(false);
    expect(() => loadConfig({ CAIRN_REQUIRE_AUTH: 'true' })).toThrow(ConfigError);
  });

  it('reads CAIRN_FHIR_SERVERS (authentication off only), and never echoes an entry with a password', () => {
    expect(loadConfig({}).fhirServers).toBeUndefined();
    expect(loadConfig({ CAIRN_FHIR_SERVERS: ' https://ehr.example.org/fhir/ , http://127.0.0.1:8090/fhir,' }).fhirServers).toEqual([
      'https://ehr.example.org/fhir/',
      'http://127.0.0.1:8090/fhir',
    ]);
    const withPassword = () => loadConfig({ CAIRN_FHIR_SERVERS: 'https://ok.example.org,https://user:hunter2@ehr.example.org/fhir' });
    expect(withPassword).toThrow(/CAIRN_FHIR_SERVERS: entry 2/);
    expect(withPassword).not.toThrow(/hunter2/);
    for (const bad of ['ftp://ehr.example.org', 'not a url', 'https://ehr.example.org/fhir?x=1', 'https://ehr.example.org/fhir#top']) {
      expect(() => loadConfig({ CAIRN_FHIR_SERVERS: bad })).toThrow(ConfigError);
    }
    // With authentication on, each issuer lists its own: a global list would be silently ignored.
    expect(() => loadConfig({ CAIRN_REQUIRE_AUTH: 'true', CAIRN_TRUSTED_ISSUERS: '/etc/i.json', CAIRN_FHIR_SERVERS: 'https://ehr.example.org' })).toThrow(
      /only with authentication off/,
    );
  });

  it('parses the CORS allowlist', () => {
    expect(loadConfig({ CAIRN_CORS_ORIGINS: ' https://a.org/, https://b.org ,,' }).corsOrigins).toEqual(['https://a.org', 'https://b.org']);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' })).toMatchObject({ databaseUrl: undefined, port: 3000 });
  });

  it('lists every invalid variable at once', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', CAIRN_REQUIRE_AUTH: 'yes', REDIS_URL: 'localhost:6379', CAIRN_HOOK_DEADLINE_MS: '-5' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const message = (err as Error).message;
      for (const name of ['PORT', 'DATABASE_URL', 'CAIRN_REQUIRE_AUTH', 'REDIS_URL', 'CAIRN_HOOK_DEADLINE_MS']) expect(message).toContain(name);
    }
  });

  it('reads the trial files to import (default trials/; none turns trial matching off) and the SMART app URL', () => {
    expect(loadConfig({}).trials).toEqual(['trials']);
    expect(loadConfig({ CAIRN_TRIALS: '' }).trials).toEqual(['trials']);
    expect(loadConfig({ CAIRN_TRIALS: 'none' }).trials).toEqual([]);
    expect(loadConfig({ CAIRN_TRIALS: ' trials/a.jsonl, /data/ctgov ,' }).trials).toEqual(['trials/a.jsonl', '/data/ctgov']);
    expect(() => loadConfig({ CAIRN_TRIAL_SMART_APP_URL: 'screening' })).toThrow(/CAIRN_TRIAL_SMART_APP_URL/);
  });

  it('reads the trial status settings and the ClinicalTrials.gov API and refresh: defaults, a mirror, none, bad values refused', () => {
    expect(loadConfig({})).toMatchObject({ trialStaleDays: 30, ctgov: { baseUrl: 'https://clinicaltrials.gov/api/v2', refreshHours: 24, requestsPerMinute: 50 } });
    expect(loadConfig({}).ctgov).not.toHaveProperty('refresh');
    const mirror = loadConfig({
      CAIRN_TRIAL_STALE_DAYS: '14',
      CAIRN_CTGOV_BASE_URL: 'https://mirror.hospital.example/ctgov/api/v2/',
      CAIRN_CTGOV_REFRESH: ' cond=hypertension&locn=Leeds ',
      CAIRN_CTGOV_REFRESH_HOURS: '0',
      CAIRN_CTGOV_REQUESTS_PER_MINUTE: '20',
    });
    expect(mirror).toMatchObject({ trialStaleDays: 14, ctgov: { baseUrl: 'https://mirror.hospital.example/ctgov/api/v2', refresh: 'cond=hypertension&locn=Leeds', refreshHours: 0, requestsPerMinute: 20 } });
    expect(loadConfig({ CAIRN_CTGOV_REFRESH: 'none' }).ctgov).not.toHaveProperty('refresh');
    expect(() => loadConfig({ CAIRN_TRIAL_STALE_DAYS: '0' })).toThrow(/CAIRN_TRIAL_STALE_DAYS/);
    expect(() => loadConfig({ CAIRN_CTGOV_BASE_URL: 'ftp://x' })).toThrow(/CAIRN_CTGOV_BASE_URL must be an absolute http\(s\) URL/);
    expect(() => loadConfig({ CAIRN_CTGOV_BASE_URL: 'https://x/api/v2?key=1' })).toThrow(/no query or fragment/);
    expect(() => loadConfig({ CAIRN_CTGOV_REFRESH_HOURS: '-1' })).toThrow(/CAIRN_CTGOV_REFRESH_HOURS/);
    expect(() => loadConfig({ CAIRN_CTGOV_REFRESH_HOURS: '1000' })).toThrow(/at most 576/);
    expect(() => loadConfig({ CAIRN_CTGOV_REQUESTS_PER_MINUTE: '0' })).toThrow(/CAIRN_CTGOV_REQUESTS_PER_MINUTE/);
  });

  it('reads the launch URL of the Cairn app every card links to; the old trial-only setting is a deprecated alias', () => {
    const app = 'https://cairn.example.org/app/launch.html';
    expect(loadConfig({}).smartAppUrl).toBeUndefined();
    expect(loadConfig({}).deprecations).toBeUndefined();
    expect(loadConfig({ CAIRN_SMART_APP_URL: app })).toMatchObject({ smartAppUrl: app });
    expect(loadConfig({ CAIRN_SMART_APP_URL: app }).deprecations).toBeUndefined();
    expect(() => loadConfig({ CAIRN_SMART_APP_URL: 'app/launch.html' })).toThrow(/CAIRN_SMART_APP_URL must be an absolute http\(s\) URL/);
    expect(() => loadConfig({ CAIRN_SMART_APP_URL: 'ftp://cairn.example.org/app' })).toThrow(/CAIRN_SMART_APP_URL/);
    // The alias alone still works, and start-up says to rename it.
    const alias = loadConfig({ CAIRN_TRIAL_SMART_APP_URL: 'https://screening.example.org/launch' });
    expect(alias.smartAppUrl).toBe('https://screening.example.org/launch');
    expect(alias.deprecations).toEqual([expect.stringMatching(/CAIRN_TRIAL_SMART_APP_URL is deprecated.*rename it CAIRN_SMART_APP_URL/)]);
    // Both set: the new name applies.
    const both = loadConfig({ CAIRN_SMART_APP_URL: app, CAIRN_TRIAL_SMART_APP_URL: 'https://screening.example.org/launch' });
    expect(both.smartAppUrl).toBe(app);
    expect(both.deprecations).toEqual([expect.stringMatching(/deprecated and ignored/)]);
  });

  it("links cards to Cairn's own app by default once it is built; none turns the link off", () => {
    const built = { appBuilt: true };
    // Built: the app's launch page at the first public URL, the address links are built on.
    expect(loadConfig({}, built).smartAppUrl).toBe('http://localhost:3000/app/launch.html');
    expect(loadConfig({ PORT: '8080' }, built).smartAppUrl).toBe('http://localhost:8080/app/launch.html');
    expect(loadConfig({ CAIRN_PUBLIC_URL: 'https://cairn.example.org/, http://127.0.0.1:3000' }, built).smartAppUrl).toBe('https://cairn.example.org/app/launch.html');
    // Not built (or not known to be): no link to a page that would answer 404.
    expect(loadConfig({}, { appBuilt: false }).smartAppUrl).toBeUndefined();
    expect(loadConfig({ CAIRN_PUBLIC_URL: 'https://cairn.example.org' }).smartAppUrl).toBeUndefined();
    // An app named explicitly applies whether or not Cairn's own is built.
    const other = 'https://apps.example.org/evidence/launch';
    expect(loadConfig({ CAIRN_SMART_APP_URL: other }, built).smartAppUrl).toBe(other);
    expect(loadConfig({ CAIRN_TRIAL_SMART_APP_URL: other }, built).smartAppUrl).toBe(other);
    // none (any case): no link, even with the app built. An empty value is unset, like every setting.
    for (const none of ['none', 'NONE', ' None ']) expect(loadConfig({ CAIRN_SMART_APP_URL: none }, built).smartAppUrl).toBeUndefined();
    expect(loadConfig({ CAIRN_SMART_APP_URL: '' }, built).smartAppUrl).toBe('http://localhost:3000/app/launch.html');
    expect(() => loadConfig({ CAIRN_SMART_APP_URL: 'off' }, built)).toThrow(/CAIRN_SMART_APP_URL must be an absolute http\(s\) URL, or none/);
  });

  it('reads the API for apps: its FHIR servers (with authentication on too), the introspection client (both parts or neither) and its time-out', () => {
    expect(loadConfig({}).smart).toEqual({ timeoutMs: 5000 });
    const c = loadConfig({
      CAIRN_REQUIRE_AUTH: 'true',
      CAIRN_TRUSTED_ISSUERS: '/etc/i.json',
      CAIRN_SMART_FHIR_SERVERS: 'https://ehr.example.org/fhir, https://other.example.org/r4/',
      CAIRN_SMART_INTROSPECTION_CLIENT_ID: 'cairn',
      CAIRN_SMART_INTROSPECTION_CLIENT_SECRET: 'secret-value',
      CAIRN_API_TIMEOUT_MS: '2500',
    });
    expect(c.smart).toEqual({
      fhirServers: ['https://ehr.example.org/fhir', 'https://other.example.org/r4/'],
      introspectionClient: { id: 'cairn', secret: 'secret-value' },
      timeoutMs: 2500,
    });
    expect(() => loadConfig({ CAIRN_SMART_INTROSPECTION_CLIENT_ID: 'cairn' })).toThrow(/go together/);
    const withPassword = () => loadConfig({ CAIRN_SMART_FHIR_SERVERS: 'https://user:hunter2@ehr.example.org/fhir' });
    expect(withPassword).toThrow(/CAIRN_SMART_FHIR_SERVERS: entry 1/);
    expect(withPassword).not.toThrow(/hunter2/);
  });
});
