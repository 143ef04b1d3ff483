import { randomBytes } from 'node:crypto';

/**
 * Values under random opaque handles (launch tokens, authorization codes, access tokens) that
 * lapse after a lifetime. Lapsed entries are swept on each write, so memory stays bounded by
 * what is live.
 */
export class ExpiringStore<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Stores `value` for `lifetimeMs` and returns its handle: 256 random bits, base64url. */
  add(value: T, lifetimeMs: number): { handle: string; expiresAt: number } {
    this.sweep();
    const handle = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + lifetimeMs;
    this.entries.set(handle, { value, expiresAt });
    return { handle, expiresAt };
  }

  /** Stores `value` under a handle the caller chose (e.g. a redeemed authorization code). */
  set(handle: string, value: T, lifetimeMs: number): void {
    this.sweep();
    this.entries.set(handle, { value, expiresAt: this.now() + lifetimeMs });
  }

  /** The live value under `handle`, or undefined once it has lapsed or never existed. */
  get(handle: string): T | undefined {
    const entry = this.entries.get(handle);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(handle);
      return undefined;
    }
    return entry.value;
  }

  /** Like get, but removes the entry whether live or not: for single-use handles. */
  take(handle: string): T | undefined {
    const value = this.get(handle);
    this.entries.delete(handle);
    return value;
  }

  private sweep(): void {
    const now = this.now();
    for (const [handle, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(handle);
  }
}
