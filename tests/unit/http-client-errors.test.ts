import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Database } from '../../src/db/database.js';
import { AuthError, type JwtVerifier } from '../../src/http/auth/verify-jwt.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createApp } from '../../src/http/app.js';
import { memoryRecords } from '../support/memory-records.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { testAppConfig } from '../support/api-app.js';

/**
 * Requests that are the client's fault (a body that is not what its Content-Encoding says, a path
 * with a malformed percent-escape) are answered 4xx with an OperationOutcome and logged at info
 * without a stack; before, they were 500s with a stack trace at error level.
 */
const records = memoryRecords();
const services: CdsService[] = [
  { definition: { id: 'svc', hook: 'patient-view', title: 'svc', description: 'test' }, requiredPrefetch: [], run: async () => {} },
];
const fakeDb = { kind: 'pglite', ping: async () => {} } as unknown as Database;
const verifier: JwtVerifier = async (token) => {
  if (token !== 'good') throw new AuthError('bad token');
  return { iss: 'https://ehr.example.org', jti: String(Math.random()), fhirServers: [] };
};

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}
const lines: LogLine[] = [];
const servers: Server[] = [];
const bases: Record<'open' | 'auth', string> = { open: '', auth: '' };

async function start(requireAuth: boolean): Promise<string> {
  const log = createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const app = createApp({
    config: testAppConfig({ requireAuth, maxRequestBytes: 4096 }),
    services,
    db: fakeDb,
    records,
    ...(requireAuth && { verifier }),
    metrics: createMetrics(),
    log,
  });
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  bases.open = await start(false);
  bases.auth = await start(true);
});
afterAll(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));

const BODY_ROUTES = ['/cds-services/svc', '/cds-services/svc/feedback', '/trials/NCT00001853/screenings'];

async function call(mode: 'open' | 'auth', method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array | string) {
  const res = await fetch(`${bases[mode]}${path}`, {
    method,
    headers: { ...(mode === 'auth' && { Authorization: 'Bearer good' }), ...headers },
    ...(body !== undefined && { body }),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as { resourceType?: string; issue?: { diagnostics?: string }[] }) : undefined };
}

/** The log lines written while `fn` ran. */
async function logged(fn: () => Promise<void>): Promise<LogLine[]> {
  const from = lines.length;
  await fn();
  return lines.slice(from);
}

function expectQuietClientError(entries: LogLine[]): void {
  expect(entries.filter((l) => l.level >= 50)).toEqual([]);
  expect(JSON.stringify(entries)).not.toMatch(/stack|at [\w.]+ \(/);
  expect(entries.some((l) => l.msg === 'client error' && l.level <= 40)).toBe(true);
}

describe.each(['open', 'auth'] as const)('client errors are 4xx (authentication %s)', (mode) => {
  const corrupt: [string, Uint8Array][] = [
    ['gzip', Buffer.from('{"not":"gzip"}')],
    ['deflate', Buffer.from('{"not":"deflate"}')],
    ['br', Buffer.from('{"not":"brotli"}')],
    ['gzip', new Uint8Array(0)], // an empty gzip body
    ['gzip', gzipSync(Buffer.from('{"truncated": true}')).subarray(0, 12)],
  ];
  it.each(BODY_ROUTES)('a body that is not valid data for its Content-Encoding is a 400 on POST %s', async (path) => {
    for (const [encoding, body] of corrupt) {
      const entries = await logged(async () => {
        const res = await call(mode, 'POST', path, { 'Content-Type': 'application/json', 'Content-Encoding': encoding }, body);
        expect(res.status).toBe(400);
        expect(res.type).toContain('application/fhir+json');
        expect(res.body?.resourceType).toBe('OperationOutcome');
        expect(res.body?.issue?.[0]?.diagnostics).toContain(`Content-Encoding: ${encoding}`);
      });
      expectQuietClientError(entries);
    }
  });

  it('an unsupported Content-Encoding is a 415 with an OperationOutcome', async () => {
    for (const path of BODY_ROUTES) {
      const res = await call(mode, 'POST', path, { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' }, '{}');
      expect(res.status).toBe(415);
      expect(res.body?.resourceType).toBe('OperationOutcome');
    }
  });

  it('a valid gzip body is still accepted', async () => {
    const body = gzipSync(Buffer.from(JSON.stringify({ feedback: [] })));
    const res = await call(mode, 'POST', '/cds-services/svc/feedback', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body);
    // Parsed, then refused by the schema (an empty list): a 400 about the content, not the encoding.
    expect(res.status).toBe(400);
    expect(res.body?.issue?.[0]?.diagnostics).toContain('at least one');
  });

  it.each([
    ['POST', '/cds-services/%'],
    ['POST', '/cds-services/%zz/feedback'],
    ['POST', '/trials/NCT00001853%/screenings'],
    ['GET', '/screenings/%'],
    ['GET', '/screenings/%E0%A4%A'],
    ['PUT', '/cds-services/%c3%28'],
  ])('a malformed percent-escape in %s %s is a 400 with an OperationOutcome', async (method, path) => {
    const entries = await logged(async () => {
      const res = await call(mode, method, path, method === 'POST' ? { 'Content-Type': 'application/json' } : {}, method === 'POST' ? '{}' : undefined);
      expect(res.status).toBe(400);
      expect(res.type).toContain('application/fhir+json');
      expect(res.body?.issue?.[0]?.diagnostics).toContain('percent-escape');
    });
    expectQuietClientError(entries);
  });

  it('a body shorter than its Content-Length is a 400, not a hang or a 500', async () => {
    const url = new URL(bases[mode]);
    const body = '{"feedback":[]}';
    const head = [
      'POST /cds-services/svc/feedback HTTP/1.1',
      `Host: ${url.host}`,
      'Content-Type: application/json',
      `Content-Length: ${body.length + 50}`,
      ...(mode === 'auth' ? ['Authorization: Bearer good'] : []),
      'Connection: close',
    ].join('\r\n');
    // Fewer bytes than announced, then a half-close: the request ends early.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.end(`${head}\r\n\r\n${body}`));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });
});
