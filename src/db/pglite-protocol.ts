/**
 * The messages between the main thread and the embedded database's thread (pglite-thread.ts,
 * pglite-worker.ts): one request, one answer, matched by id. Answer id 0 is the thread's "open".
 */

export type ThreadRequest =
  | { id: number; op: 'query'; sql: string; params?: unknown[]; statementName?: string }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'begin' }
  | { id: number; op: 'tx-query'; tx: number; sql: string; params?: unknown[] }
  | { id: number; op: 'tx-exec'; tx: number; sql: string }
  | { id: number; op: 'commit' | 'rollback'; tx: number }
  | { id: number; op: 'close' };

/**
 * timestamp and timestamptz. A Date made in the database thread reaches the main thread as a Date
 * of that thread's realm, not of a realm the caller may run in (jest's module sandbox, where
 * `instanceof Date` then fails), so these columns cross as text and are parsed on arrival.
 */
export const TIMESTAMP_OIDS = [1114, 1184];

/** A query's answer: rows, rowCount, and the timestamp columns still to parse (by name and type). */
export interface ThreadRows {
  rows: Record<string, unknown>[];
  rowCount: number;
  timestamps?: Array<{ name: string; oid: number }>;
}

/** What crosses the thread of an error: its message, name and PostgreSQL's fields (code, detail…). */
export interface ThreadError {
  message: string;
  name: string;
  fields: Record<string, string | number>;
}

export type ThreadResponse = { id: number; ok: true; result?: unknown } | { id: number; ok: false; error: ThreadError };

/**
 * An error as it may cross to the main thread. Only string and number fields go (SQLSTATE `code`,
 * `detail`, `constraint`, `position`…); PGlite's `params` and `queryOptions` never do, since the
 * bound parameters can hold patient data (scrub-secrets.ts).
 */
export function errorForThread(err: unknown): ThreadError {
  if (typeof err !== 'object' || err === null) return { message: String(err), name: 'Error', fields: {} };
  const e = err as Record<string, unknown>;
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'params' || k === 'queryOptions' || k === 'message' || k === 'stack') continue;
    if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  }
  return { message: typeof e.message === 'string' ? e.message : String(err), name: typeof e.name === 'string' ? e.name : 'Error', fields };
}

/** The error again on the main thread, with the same message, name and fields (sqlState reads `code`). */
export function errorFromThread(e: ThreadError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  Object.assign(err, e.fields);
  return err;
}
