/**
 * docker-compose.yml is ready for production (#19), checked without Docker: valid against the
 * Compose specification's JSON schema (vendored in tests/fixtures/compose-spec, checked by
 * tests/support/json-schema.ts: no JSON Schema library is a dependency), and the deployment rules
 * its header states: every image pinned to a release, restart policies, healthchecks with a start
 * period, secrets only from .env (shipped as .env.example), the screening FHIR server wired to the
 * FHIR service, trials from a ClinicalTrials.gov refresh rather than the demo snapshot, an example
 * trusted-issuers file that Cairn reads. The Dockerfile: Node 22 LTS pinned, the app built and shipped.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { parseTrustedIssuers } from '../../src/http/auth/trusted-issuers.js';
import { parseCtgovQuery } from '../../src/services/trials/ctgov/api.js';
import { schemaProblems, type JsonSchema } from '../support/json-schema.js';
import { repoPath } from '../support/repo-root.js';

interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  healthcheck?: { test?: unknown; interval?: string; start_period?: string; disable?: boolean };
  env_file?: Array<string | { path: string }> | string;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const text = (path: string) => readFileSync(repoPath(path), 'utf8');
const composeText = text('docker-compose.yml');
const compose = parse(composeText) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const schema = JSON.parse(text('tests/fixtures/compose-spec/compose-spec.json')) as JsonSchema;
const services = Object.entries(compose.services);
/** The one service without a healthcheck, and why (also said in the compose file). */
const NO_HEALTHCHECK: Record<string, string> = { fhir: 'hapiproject/hapi is distroless: nothing in it can probe an HTTP endpoint' };

/** .env.example as name → value. */
const envExample = new Map(
  text('.env.example')
    .split('\n')
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
);

describe('docker-compose.yml against the Compose specification', () => {
  it('is valid', () => {
    expect(schemaProblems(schema, compose)).toEqual([]);
  });

  it.each([
    ['a misspelt service key', (c: Record<string, unknown>) => ((c.services as Record<string, Record<string, unknown>>).cairn!.restrat = 'always'), /\.cairn\.restrat: not allowed/],
    ['a healthcheck interval without its unit', (c: Record<string, unknown>) => ((c.services as Record<string, Record<string, unknown>>).cairn!.healthcheck = { interval: 30 }), /healthcheck\.interval: integer where string is expected/],
    ['a misspelt top-level key', (c: Record<string, unknown>) => (c.servics = {}), /\$\.servics: not allowed/],
  ])('the check catches %s', (_name, spoil, problem) => {
    const spoilt = structuredClone(compose) as unknown as Record<string, unknown>;
    spoil(spoilt);
    expect(schemaProblems(schema, spoilt).join('\n')).toMatch(problem);
  });
});

describe('docker-compose.yml: deployment rules', () => {
  it.each(services)('%s: an image pinned to a release (a version with a dot, never latest), or built here', (_name, s) => {
    if (s.image === undefined) {
      expect(s.build).toBeDefined();
      return;
    }
    const tag = /^[^@]+:([^:@/]+)$/.exec(s.image)?.[1];
    expect(tag).toBeDefined();
    expect(tag).not.toMatch(/latest/);
    expect(tag).toMatch(/\d+\.\d+/);
  });

  it.each(services)('%s: restarts on its own', (_name, s) => {
    expect(['always', 'unless-stopped', 'on-failure']).toContain(s.restart);
  });

  it.each(services)('%s: a healthcheck with a start period', (name, s) => {
    if (name in NO_HEALTHCHECK) {
      expect(s.healthcheck).toBeUndefined();
      expect(composeText).toContain('No healthcheck');
      return;
    }
    expect(s.healthcheck?.test).toBeDefined();
    expect(s.healthcheck?.disable).not.toBe(true);
    expect(s.healthcheck?.interval).toMatch(/^\d+(s|m)$/);
    expect(s.healthcheck?.start_period).toMatch(/^\d+(s|m)$/);
  });

  it('every service another waits for as healthy has a healthcheck', () => {
    for (const [, s] of services) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        if (condition === 'service_healthy') expect(compose.services[dep]?.healthcheck).toBeDefined();
      }
    }
  });

  it('no secret is written in the file: passwords, secrets, tokens and keys come from .env, without defaults', () => {
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        const secretName = /PASSWORD|SECRET|TOKEN|_KEY$/i.test(key);
        const embedsPassword = typeof value === 'string' && /:\/\/[^/@]*:[^/@]*@/.test(value);
        if (secretName) expect([name, key, value]).toEqual([name, key, expect.stringMatching(/^\$\{[A-Z_]+:\?[^}]*\}$/)]);
        if (embedsPassword) expect([name, key, value]).toEqual([name, key, expect.stringMatching(/:\/\/[^:]+:\$\{[A-Z_]+:\?[^}]*\}@/)]);
      }
    }
  });

  it('Cairn reads its settings from .env, and .env.example names every variable the file needs', () => {
    const cairn = compose.services.cairn!;
    expect([cairn.env_file].flat().map((f) => (typeof f === 'string' ? f : f?.path))).toContain('.env');
    const needed = [...composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:?[?-])?/g)].map((m) => m[1]);
    for (const name of new Set(needed)) expect([name, envExample.has(name as string)]).toEqual([name, true]);
    // .env itself is never committed nor copied into an image.
    expect(text('.gitignore').split('\n')).toContain('.env');
    expect(text('.dockerignore').split('\n')).toContain('.env');
  });

  it('the screening FHIR server is the compose FHIR service, and its data is on a volume', () => {
    const url = new URL(String(compose.services.cairn!.environment?.CAIRN_SCREENING_FHIR_URL));
    expect(compose.services[url.hostname]).toBeDefined();
    expect(url.hostname).toBe('fhir');
    expect(url.port).toBe('8080');
    expect(url.pathname).toBe('/fhir');
    // HAPI keeps its resources in its own PostgreSQL, whose data directory is a named volume.
    const datasource = String(compose.services.fhir!.environment?.['spring.datasource.url']);
    const dbService = /^jdbc:postgresql:\/\/([^:/]+)/.exec(datasource)?.[1] as string;
    const volume = compose.services[dbService]?.volumes?.find((v) => v.endsWith(':/var/lib/postgresql/data'))?.split(':')[0];
    expect(volume).toBeDefined();
    expect(compose.volumes).toHaveProperty(volume as string);
  });

  it('trials come from a ClinicalTrials.gov refresh, not the demo snapshot', () => {
    const env = compose.services.cairn!.environment ?? {};
    expect(env.CAIRN_TRIALS).toBe('none');
    expect(String(env.CAIRN_CTGOV_REFRESH)).toMatch(/^\$\{CAIRN_CTGOV_REFRESH:\?/);
    expect(() => parseCtgovQuery(envExample.get('CAIRN_CTGOV_REFRESH') ?? '')).not.toThrow();
  });

  it('Cairn starts with the environment the file gives it (with .env.example filled in): production, authentication on, trusted issuers read', () => {
    const cairn = compose.services.cairn!;
    const filled = (v: unknown) => String(v).replace(/\$\{([A-Z_]+)[^}]*\}/g, (_m, name: string) => (name.endsWith('PASSWORD') ? 'example0secret' : (envExample.get(name) ?? '')));
    const env = { ...Object.fromEntries(envExample), ...Object.fromEntries(Object.entries(cairn.environment ?? {}).map(([k, v]) => [k, filled(v)])) };
    const config = loadConfig(env);
    expect(config).toMatchObject({ production: true, requireAuth: true, trustedIssuersFile: '/config/trusted-issuers.json', trials: [], ctgov: { refresh: envExample.get('CAIRN_CTGOV_REFRESH') } });
    expect(config.screening?.fhirUrl).toBe('http://fhir:8080/fhir');
    // The file mounted there: ./config beside the compose file, with the example shipped.
    expect(cairn.volumes).toContain('./config:/config:ro');
    const issuers = parseTrustedIssuers(JSON.parse(text('config/trusted-issuers.json')), 'config/trusted-issuers.json');
    expect(issuers.length).toBeGreaterThan(0);
  });
});

describe('Dockerfile', () => {
  const dockerfile = text('Dockerfile');

  it('builds and runs on Node 22 LTS, pinned to a release', () => {
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(bases).toHaveLength(2);
    for (const base of bases) expect(base).toMatch(/^node:22\.\d+\.\d+-bookworm-slim$/);
  });

  it('builds the Cairn app and ships it beside the server (Cairn serves app/dist at /app/)', () => {
    expect(dockerfile).toMatch(/^COPY app \.\/app$/m);
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/app\/dist \.\/app\/dist$/m);
  });
});
