import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisReplayCache } from '../../src/http/auth/replay-cache.js';

/** Several Cairn instances share one Redis: a jti seen by one must be refused by the others. */
const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let a: RedisReplayCache;
let b: RedisReplayCache;

beforeAll(() => {
  a = new RedisReplayCache(new Redis(url, { maxRetriesPerRequest: 1 }));
  b = new RedisReplayCache(new Redis(url, { maxRetriesPerRequest: 1 }));
});
afterAll(async () => {
  await a.close();
  await b.close();
});

describe('RedisReplayCache', () => {
  it('accepts a jti once across instances', async () => {
    const key = `test|${randomUUID()}`;
    expect(await a.firstSeen(key, 60)).toBe(true);
    expect(await b.firstSeen(key, 60)).toBe(false);
    expect(await a.firstSeen(key, 60)).toBe(false);
  });

  it('lets exactly one of many concurrent attempts through', async () => {
    const key = `test|${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).firstSeen(key, 60)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forgets a key after its time to live', async () => {
    const key = `test|${randomUUID()}`;
    expect(await a.firstSeen(key, 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await b.firstSeen(key, 1)).toBe(true);
  });
});
