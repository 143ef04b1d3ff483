/** Reading database errors the same way on both backends. */
import type { DatabaseKind } from './database.js';

/** SQLSTATE of a database error (same codes on both backends), or undefined. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ClosedError extends Error {
  constructor(kind: DatabaseKind) {
    super(`${kind} database is closed`);
    this.name = 'DatabaseClosedError';
  }
}
