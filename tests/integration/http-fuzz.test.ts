/**
 * Property-based fuzzing of the HTTP surface (fast-check): random methods, paths (percent-escapes,
 * malformed ones, unicode), headers (Content-Type, Content-Encoding, Content-Length that does not
 * match the body, Authorization) and bodies (random JSON, hook-, feedback- and screening-shaped
 * JSON with random fields, compressed or not, raw bytes) against createApp with the real routes
 * and the shipped services (triage, diagnosis, trial-match) on PGlite, authentication off and on.
 *
 * The property: every request is answered, below 500, within a time-out, and nothing reaches the
 * error handler as an unhandled error. No admission limit is configured, so a 503 would be a bug.
 * Seeded and bounded, so a failure replays and CI stays under ~20 s.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { bindServices, loadServiceDefinitions } from '../../src/hooks/service-definitions.js';
import { AuthError, type JwtVerifier } from '../../src/http/auth/verify-jwt.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { createServiceLogic } from '../../src/services/index.js';
import { TrialMatcher } from '../../src/services/trials/match.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { repoPath } from '../support/repo-root.js';
import { TRIALS } from './trials-fixtures.js';

const RUNS = 300;
const SEED = 16_016;
/** Longer than the hook deadline below plus slack for a loaded CI machine. */
const REQUEST_TIMEOUT_MS = 5_000;

interface LogLine {
  level: number;
  msg: string;
}
const errorLines: LogLine[] = [];
const verifier: JwtVerifier = async (token) => {
  if (token !== 'good') throw new AuthError('bad token');
  // The loopback FHIR server (nothing listens on port 9): an allowed fhirServer fails fast.
  return { iss: 'https://ehr.example.org', jti: String(Math.random()), fhirServers: ['http://127.0.0.1:9/fhir'] };
};

let t: TestDatabase;
const servers: Server[] = [];
const ports: Record<'open' | 'auth', number> = { open: 0, auth: 0 };

beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  const embeddings = new HashingEmbeddings();
  await importTrials(t.db, TRIALS, embeddings);
  const logic = createServiceLogic({ search: { search: async () => [] }, config: {}, trials: new TrialMatcher({ db: t.db, embeddings }) });
  const services = bindServices(await loadServiceDefinitions(repoPath('cds-hooks')), logic);
  for (const mode of ['open', 'auth'] as const) {
    const log = createLogger('warn', {
      write: (s: string) => {
        const line = JSON.parse(s) as LogLine;
        if (line.level >= 50) errorLines.push(line);
      },
    });
    const app = createApp({
      config: {
        publicUrl: 'http://localhost',
        corsOrigins: ['https://ehr.example.org'],
        hookDeadlineMs: 800,
        fhirTimeoutMs: 300,
        fhirConcurrency: 2,
        fhirMaxPages: 2,
        requireAuth: mode === 'auth',
        maxRequestBytes: 64 * 1024,
      },
      services,
      db: t.db,
      ...(mode === 'auth' && { verifier }),
      metrics: createMetrics(),
      log,
      // A FHIR server that has nothing: a Group is never found, a screening is queued and left.
      screening: { fhirServer: 'http://127.0.0.1:9/fhir', gateway: { get: async () => null, collectPages: async () => ({ resourceType: 'Bundle', type: 'searchset' }) }, wake: () => undefined },
    });
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    ports[mode] = (server.address() as AddressInfo).port;
  }
}, 60_000);
afterAll(async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
  await t?.dispose();
});

// ---------------------------------------------------------------------------------------------
// Arbitraries

const uuid = fc.uuid();
/** A path segment as a client might send it: ids, unicode (escaped), and broken escapes. */
const segment = fc.oneof(
  fc.constantFrom('triage', 'triage-encounter', 'diagnosis', 'trial-match', 'NCT00000001', 'NCT00001853', 'nope', '', '.', '..'),
  uuid,
  fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 8 }).map(encodeURIComponent),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C3%28', '%00', '%2F', '%25', 'NCT00001853%', '%ff%fe', '%F0%9F%98'),
);
const path = fc.oneof(
  segment.map((s) => `/cds-services/${s}`),
  segment.map((s) => `/cds-services/${s}/feedback`),
  segment.map((s) => `/trials/${s}/screenings`),
  fc.tuple(fc.constantFrom('CodeSystem', 'ValueSet', 'Patient'), segment).map(([type, s]) => `/fhir/${type}/${s}`),
  fc.tuple(segment, fc.constantFrom('', '?limit=5', '?offset=-1', '?limit=%zz', '?category=x&status=pending', '?a[b]=1')).map(([s, q]) => `/screenings/${s}${q}`),
  fc.constantFrom('/cds-services', '/cds-services/', '/', '/healthz', '/metrics', '/trials', '/screenings'),
  fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
);

const anyJson = fc.jsonValue({ maxDepth: 3 });
const fhirServer = fc.oneof(fc.constantFrom('http://127.0.0.1:9/fhir', 'http://169.254.169.254/latest', 'https://u:p@ehr.example.org/fhir', 'not a url', 'file:///etc/passwd'), fc.webUrl());
const hookShaped = fc.record(
  {
    hook: fc.oneof(fc.constantFrom('patient-view', 'encounter-start', 'order-select'), fc.string()),
    hookInstance: fc.oneof(uuid, fc.string()),
    fhirServer,
    fhirAuthorization: fc.oneof(anyJson, fc.record({ access_token: fc.string(), token_type: fc.constant('Bearer'), expires_in: fc.integer(), scope: fc.string(), subject: fc.string() })),
    context: fc.oneof(fc.record({ userId: fc.constantFrom('Practitioner/1', 'x'), patientId: fc.oneof(fc.constant('p1'), fc.string()), encounterId: fc.string() }, { requiredKeys: [] }), anyJson),
    prefetch: fc.dictionary(fc.constantFrom('patient', 'vitals', 'conditions', 'observations', 'encounter', 'x'), fc.oneof(anyJson, fc.record({ resourceType: fc.constantFrom('Patient', 'Bundle', 'Observation'), entry: fc.array(anyJson, { maxLength: 3 }) }))),
    extra: anyJson,
  },
  { requiredKeys: [] },
);
const feedbackShaped = fc.record(
  {
    feedback: fc.oneof(
      fc.array(
        fc.record(
          {
            card: fc.oneof(uuid, fc.string()),
            outcome: fc.constantFrom('accepted', 'overridden', 'ignored'),
            acceptedSuggestions: fc.array(fc.record({ id: fc.oneof(uuid, fc.string()) }), { maxLength: 2 }),
            overrideReason: fc.oneof(anyJson, fc.record({ userComment: fc.string() })),
            outcomeTimestamp: fc.oneof(fc.constant('2026-11-20T10:15:00Z'), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 110 },
      ),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);
const screeningShaped = fc.record(
  {
    patients: fc.oneof(fc.array(fc.oneof(fc.constant('Patient/1'), fc.string().map((s) => `Patient/${s}`)), { maxLength: 5 }), anyJson),
    group: fc.oneof(fc.constant('Group/g1'), fc.string()),
  },
  { requiredKeys: [] },
);
const jsonBody = fc.oneof(anyJson, hookShaped, feedbackShaped, screeningShaped).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));
const body = fc.oneof(
  { weight: 4, arbitrary: jsonBody },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 1, arbitrary: jsonBody.map((b) => b.subarray(0, Math.floor(b.length / 2))) },
);

/** How the body goes on the wire: as is, or really compressed, under a Content-Encoding that may lie. */
const encoding = fc.constantFrom<[string | undefined, ((b: Buffer) => Buffer) | undefined]>(
  [undefined, undefined],
  ['identity', undefined],
  ['gzip', gzipSync],
  ['gzip', undefined],
  ['deflate', deflateSync],
  ['deflate', undefined],
  ['br', brotliCompressSync],
  ['br', gzipSync],
  ['compress', undefined],
  ['gzip, br', gzipSync],
);

// Well-formed requests with random parts, so that the fuzz also reaches the services and the store.
const observation = fc.record({
  resourceType: fc.constant('Observation'),
  status: fc.constantFrom('final', 'amended', 'entered-in-error', 'x'),
  code: fc.record({ coding: fc.tuple(fc.record({ system: fc.constant('http://loinc.org'), code: fc.constantFrom('8867-4', '8480-6', '9279-1', '2708-6', '8310-5', '2160-0', '0-0') })) }),
  valueQuantity: fc.record({ value: fc.oneof(fc.double(), fc.integer({ min: -10, max: 400 })), unit: fc.constantFrom('/min', 'mm[Hg]', '%', 'Cel', '[degF]', 'mg/dL', 'bogus'), system: fc.constant('http://unitsofmeasure.org') }, { requiredKeys: [] }),
  effectiveDateTime: fc.oneof(fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString()), fc.string()),
  subject: fc.constant({ reference: 'Patient/p1' }),
}, { requiredKeys: ['resourceType', 'code'] });
/** A searchset of the resources, now and then with malformed entries (null, a number, no resource) among them. */
const bundle = <T>(entries: fc.Arbitrary<T>) =>
  fc.array(fc.oneof({ weight: 5, arbitrary: entries.map((resource) => ({ resource })) }, { weight: 1, arbitrary: fc.oneof(anyJson, fc.record({ resource: anyJson })) }), { maxLength: 6 }).map((entry) => ({ resourceType: 'Bundle', type: 'searchset', entry }));
const goodHook = fc.record({
  service: fc.constantFrom('triage', 'triage-encounter', 'diagnosis', 'trial-match'),
  hookInstance: uuid,
  fhirServer: fc.option(fhirServer, { nil: undefined }),
  patient: fc.record({ resourceType: fc.constant('Patient'), id: fc.constant('p1'), gender: fc.constantFrom('female', 'male', 'other', 'x'), birthDate: fc.oneof(fc.constantFrom('1960-02-03', '2020-01-01', '1900'), fc.string()) }, { requiredKeys: ['resourceType'] }),
  observations: bundle(observation),
  conditions: bundle(anyJson),
  extra: fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 }),
});
/** Valid entries (up to a few past the limit of 100), with random comments and extra fields. */
const goodFeedback = fc
  .array(
    fc.record({
      card: uuid,
      accepted: fc.boolean(),
      suggestion: uuid,
      comment: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      at: fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }),
      extra: fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { maxKeys: 2 }),
    }),
    { minLength: 1, maxLength: 104 },
  )
  .map((items) => ({
    feedback: items.map((i) => ({
      ...i.extra,
      card: i.card,
      outcomeTimestamp: `${i.at.toISOString().slice(0, 19)}Z`,
      ...(i.accepted ? { outcome: 'accepted', acceptedSuggestions: [{ id: i.suggestion }] } : { outcome: 'overridden', overrideReason: { userComment: i.comment } }),
    })),
  }));
const wellFormed = fc.oneof(
  goodHook.map((h) => ({
    method: 'POST',
    path: `/cds-services/${h.service}`,
    body: Buffer.from(
      JSON.stringify({
        ...h.extra,
        hook: h.service === 'triage-encounter' ? 'encounter-start' : 'patient-view',
        hookInstance: h.hookInstance,
        ...(h.fhirServer !== undefined && { fhirServer: h.fhirServer }),
        context: { userId: 'Practitioner/1', patientId: 'p1', encounterId: 'e1' },
        prefetch: { patient: h.patient, observations: h.observations, conditions: h.conditions },
      }),
    ),
  })),
  fc.tuple(fc.constantFrom('triage', 'diagnosis'), fc.oneof(goodFeedback, feedbackShaped)).map(([service, f]) => ({ method: 'POST', path: `/cds-services/${service}/feedback`, body: Buffer.from(JSON.stringify(f)) })),
  fc.tuple(
    fc.constantFrom('NCT00000001', 'NCT00000002'),
    fc.oneof(fc.array(fc.stringMatching(/^[A-Za-z0-9.-]{1,64}$/).map((id) => `Patient/${id}`), { minLength: 1, maxLength: 5 }).map((patients) => ({ patients })), screeningShaped),
  ).map(([nct, b]) => ({ method: 'POST', path: `/trials/${nct}/screenings`, body: Buffer.from(JSON.stringify(b)) })),
  fc.tuple(fc.constantFrom('GET', 'DELETE'), uuid).map(([method, id]) => ({ method, path: `/screenings/${id}`, body: Buffer.alloc(0) })),
);
const wellFormedRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  mode: fc.constantFrom<'open' | 'auth'>('open', 'auth'),
  call: wellFormed,
  contentType: fc.constantFrom<string | undefined>('application/json', 'application/json', 'application/fhir+json', undefined),
  encoding: fc.constantFrom<[string | undefined, ((b: Buffer) => Buffer) | undefined]>([undefined, undefined], [undefined, undefined], ['gzip', gzipSync], ['br', brotliCompressSync]),
  authorization: fc.constantFrom<string | undefined>('Bearer good', 'Bearer good', 'Bearer good', undefined),
  origin: fc.constant<string | undefined>(undefined),
  lengthDelta: fc.constantFrom(0, 0, 0, 0, -3),
}).map(({ call, ...rest }) => ({ ...rest, ...call }));

const randomRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  mode: fc.constantFrom<'open' | 'auth'>('open', 'auth'),
  method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
  path,
  contentType: fc.constantFrom(undefined, 'application/json', 'application/fhir+json', 'text/plain', 'application/json; charset=utf-16', 'application/json; charset=bogus', 'multipart/form-data; boundary=x'),
  encoding,
  authorization: fc.constantFrom(undefined, 'Bearer good', 'Bearer good', 'Bearer bad', 'Basic Zm9vOmJhcg==', 'Bearer'),
  origin: fc.constantFrom(undefined, 'https://ehr.example.org', 'https://evil.example.org'),
  /** Content-Length: right, short (extra bytes follow the body) or long (the client half-closes). */
  lengthDelta: fc.constantFrom(0, 0, 0, -3, 7),
  body,
});
const request: fc.Arbitrary<FuzzRequest> = fc.oneof({ weight: 3, arbitrary: randomRequest }, { weight: 2, arbitrary: wellFormedRequest });
interface FuzzRequest {
  mode: 'open' | 'auth';
  method: string;
  path: string;
  contentType: string | undefined;
  encoding: [string | undefined, ((b: Buffer) => Buffer) | undefined];
  authorization: string | undefined;
  origin: string | undefined;
  lengthDelta: number;
  body: Buffer;
}

// ---------------------------------------------------------------------------------------------
// Sending raw HTTP/1.1, so that paths, headers and lengths go out exactly as generated

function send(r: FuzzRequest): Promise<{ status: number; raw: string }> {
  const [contentEncoding, compress] = r.encoding;
  const payload = r.method === 'GET' || r.method === 'HEAD' ? Buffer.alloc(0) : compress ? compress(r.body) : r.body;
  const headers = [
    `${r.method} ${r.path} HTTP/1.1`,
    `Host: 127.0.0.1:${ports[r.mode]}`,
    'Connection: close',
    ...(r.contentType ? [`Content-Type: ${r.contentType}`] : []),
    ...(contentEncoding ? [`Content-Encoding: ${contentEncoding}`] : []),
    ...(r.authorization ? [`Authorization: ${r.authorization}`] : []),
    ...(r.origin ? [`Origin: ${r.origin}`] : []),
    `Content-Length: ${Math.max(0, payload.length + r.lengthDelta)}`,
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(ports[r.mode], '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`));
    }, REQUEST_TIMEOUT_MS);
    socket.on('connect', () => {
      socket.write(`${headers.join('\r\n')}\r\n\r\n`);
      // A long Content-Length: send what there is and half-close, as a client that gave up would.
      if (r.lengthDelta > 0) socket.end(payload);
      else socket.write(payload);
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(raw);
      if (match) resolve({ status: Number(match[1]), raw });
      else reject(new Error(`no HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('HTTP surface fuzz', () => {
  it(
    `answers ${RUNS} random requests below 500, in time, without unhandled errors`,
    async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async (r: FuzzRequest) => {
          const before = errorLines.length;
          const { status, raw } = await send(r);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status >= 500) throw new Error(`${r.method} ${r.path} → ${status}: ${raw.slice(0, 400)}`);
          const errors = errorLines.slice(before);
          if (errors.length > 0) throw new Error(`${r.method} ${r.path} logged errors: ${JSON.stringify(errors).slice(0, 400)}`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      if (process.env.FUZZ_DEBUG) console.log(JSON.stringify([...statuses].sort()));
      // The fuzz reached past the parsers: some requests succeeded, some were refused.
      expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
      expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
    },
    60_000,
  );
});
