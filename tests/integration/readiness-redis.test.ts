/**
 * Readiness with Redis as the JWT replay cache (REDIS_URL, authentication on): while Redis does
 * not answer, every authenticated call is refused, so /readyz must be 503 naming Redis, and the
 * client's errors go to Cairn's JSON log, not to stderr as ioredis's "Unhandled error event".
 * Against the machine's Redis, the same start-up is ready.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { startCairn, type RunningCairn } from '../../src/server.js';
import { freePort } from '../e2e/support/processes.js';
import { testServiceLogic } from '../e2e/support/test-services.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { repoPath } from '../support/repo-root.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let dir: string | undefined;
let cairn: RunningCairn | undefined;
afterEach(async () => {
  await cairn?.close();
  cairn = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
  jest.restoreAllMocks();
});

async function config(redisUrl: string): Promise<Config> {
  dir = await mkdtemp(join(tmpdir(), 'cairn-redis-'));
  const issuers = join(dir, 'issuers.json');
  await writeFile(issuers, JSON.stringify([{ iss: 'https://ehr.example.org', jwksUrl: 'https://ehr.example.org/.well-known/jwks.json' }]));
  return {
    ...loadConfig({
      CAIRN_REQUIRE_AUTH: 'true',
      CAIRN_TRUSTED_ISSUERS: issuers,
      REDIS_URL: redisUrl,
      CAIRN_DATA_DIR: 'memory://',
      CAIRN_SERVICES_DIR: repoPath('tests/e2e/fixtures/services'),
      CAIRN_GUIDELINES_DIR: repoPath('tests/fixtures/guidelines'),
      CAIRN_TRIALS: 'none',
      CAIRN_VECTORS_DIR: 'none',
    }),
    port: 0,
    host: '127.0.0.1',
  };
}

/** A JSON logger whose lines the test reads. */
function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function readyzOnceStarted(c: RunningCairn): Promise<{ status: number; body: { status: string; reason?: string } }> {
  await c.ready;
  const res = await fetch(`${c.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

describe('readiness with Redis as the replay cache', () => {
  it('is 503 naming Redis while it does not answer, with its errors in the JSON log and none on stderr', async () => {
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const { log, lines } = capturedLog();
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    cairn = await startCairn(await config(deadRedis), log, { logic: testServiceLogic, embeddings: new HashingEmbeddings() });
    const { status, body } = await readyzOnceStarted(cairn);
    expect(status).toBe(503);
    expect(body.status).toBe('redis-unreachable');
    expect(body.reason).toMatch(/Redis/);
    // The client's connection errors were logged by Cairn (the first at once), never as ioredis's own stderr line.
    expect(lines.some((l) => String(l.msg).includes('Redis (JWT replay cache) is unreachable'))).toBe(true);
    expect(stderr.mock.calls.flat().join(' ')).not.toMatch(/Unhandled error event/);
  }, 60_000);

  it('is ready when Redis answers', async () => {
    const { log } = capturedLog();
    cairn = await startCairn(await config(REDIS_URL), log, { logic: testServiceLogic, embeddings: new HashingEmbeddings() });
    const { status, body } = await readyzOnceStarted(cairn);
    expect({ status, body }).toEqual({ status: 200, body: { status: 'ready' } });
  }, 60_000);
});
