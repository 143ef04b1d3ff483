import type { Redis } from 'ioredis';

/**
 * Remembers JWT ids (`jti`) long enough to refuse a replayed token. `firstSeen` is atomic:
 * it answers true exactly once per key within the time to live.
 */
export interface ReplayCache {
  firstSeen(key: string, ttlSeconds: number): Promise<boolean>;
  /** Rejects when the cache cannot be reached: every authenticated call is then refused, so /readyz must say so. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One instance: an in-memory map with expiry and a size bound so a flood cannot exhaust memory. */
export class MemoryReplayCache implements ReplayCache {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async firstSeen(key: string, ttlSeconds: number): Promise<boolean> {
    const now = this.now();
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry > now) return false;
    if (this.expiries.size >= this.maxEntries) this.evict(now);
    this.expiries.set(key, now + ttlSeconds * 1000);
    return true;
  }

  async ping(): Promise<void> {}

  private evict(now: number): void {
    for (const [k, exp] of this.expiries) if (exp <= now) this.expiries.delete(k);
    // Still full of live entries: drop the oldest inserted (Map keeps insertion order).
    const excess = this.expiries.size - Math.floor(this.maxEntries * 0.9);
    if (excess > 0) {
      let dropped = 0;
      for (const k of this.expiries.keys()) {
        if (dropped++ >= excess) break;
        this.expiries.delete(k);
      }
    }
  }

  async close(): Promise<void> {
    this.expiries.clear();
  }
}

/** Several instances: Redis `SET NX EX` is the shared, atomic first-seen test. */
export class RedisReplayCache implements ReplayCache {
  constructor(private readonly redis: Redis) {}

  async firstSeen(key: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.redis.set(`cairn:jti:${key}`, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX');
    return result === 'OK';
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    // quit() needs a connection; with Redis down, drop the client (and its reconnection timer) instead.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
