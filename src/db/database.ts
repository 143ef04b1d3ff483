/**
 * One database interface over PGlite (embedded default) and PostgreSQL (production).
 *
 * Repository code is written once, against `Queryable`, with parameterised SQL ($1, $2, …), and
 * runs unchanged on both. Values come back the same on both backends:
 *   - int8 / bigserial / count(*)  → string (node-postgres' lossless convention; PGlite would give number)
 *   - date                         → 'YYYY-MM-DD' string (node-postgres would give a local-midnight Date)
 *   - timestamptz                  → Date
 *   - numeric                      → string
 *   - json / jsonb                 → parsed value
 *   - vector / halfvec             → number[]
 * Parameters:
 *   - vectors: pass `toVectorParam(numbers)`; a bare number[] is sent as a PostgreSQL array and fails.
 *   - json/jsonb: pass `JSON.stringify(value)`. node-postgres sends a JS array as a PostgreSQL array
 *     literal (and `[]` silently becomes the JSON object `{}`), so on PGlite a JS array bound to a json
 *     parameter is rejected too, to make the mistake show up in embedded tests.
 * Sessions run in UTC on both backends, so timestamps without a zone are read the same way.
 *
 * Inside `transaction(fn)`, use the `tx` argument only. Calling the outer database from inside the
 * callback throws: on PGlite (one connection) it would wait for the transaction forever, and on
 * PostgreSQL it would silently run outside the transaction.
 */
import { toSql as vectorToSql } from 'pgvector';
import { openPGlite } from './pglite.js';
import { openPGliteInThread } from './pglite-thread.js';
import { openPostgres } from './postgres.js';

// Part of this interface; they live with their jobs.
export { sqlState } from './errors.js';
export { redactUrl } from './scrub-secrets.js';

export interface QueryResultRows<R> {
  rows: R[];
  /** Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE); 0 for other statements. */
  rowCount: number;
}

export interface QueryOptions {
  /**
   * For a hot statement of fixed text: PostgreSQL parses and plans it once per pooled connection
   * and keeps it under this name (a prepared statement), instead of on every call. The name must
   * be unique to the text. PGlite prepares it too, when its parameters are plain values
   * (pglite-prepared.ts).
   */
  statementName?: string;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResultRows<R>>;
}

/** What a transaction callback gets: `query`, plus `exec` for parameterless multi-statement scripts. */
export interface Transaction extends Queryable {
  exec(sql: string): Promise<void>;
}

export type DatabaseKind = 'pglite' | 'postgres';

/**
 * Settings of an extension (`hnsw.ef_search`, `hnsw.iterative_scan`) for one statement: names with
 * a dot only. Core settings (`enable_seqscan`, `work_mem`) are refused: on PostgreSQL they are
 * kept on the pooled connection, where they would change the plans of every later statement.
 */
export type ExtensionSettings = Readonly<Record<string, string>>;

export interface Database extends Queryable {
  kind: DatabaseKind;
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * One statement with extension settings in force. The same as a transaction that sets them
   * with SET LOCAL first, without its three extra round trips: on PostgreSQL each pooled
   * connection keeps the settings last asked of it (set for the session) and is sent new ones
   * only when they differ, so a steady workload runs the statement alone. Every statement that
   * depends on such a setting must ask for it here (or SET LOCAL it in a transaction).
   */
  queryWithSettings<R = Record<string, unknown>>(settings: ExtensionSettings, sql: string, params?: unknown[]): Promise<QueryResultRows<R>>;
  /** Runs a parameterless script that may hold several statements (migrations). */
  exec(sql: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… or postgresql://… → PostgreSQL. Unset or empty → embedded PGlite. */
  url?: string;
  /** PGlite data directory (default './.cairn'); 'memory://' keeps everything in memory. */
  dataDir?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** How long to wait for a PostgreSQL connection before failing (default 10 s). */
  connectionTimeoutMillis?: number;
  /**
   * Embedded PGlite only: run it on a thread of its own (pglite-thread.ts) rather than on the main
   * thread. The server does (CAIRN_PGLITE_THREAD, default on), so statements never hold up hook
   * calls; one-off commands and tests default to the main thread, which starts faster.
   */
  pgliteThread?: boolean;
  /** Gives up opening (a new PGlite directory's initdb) when aborted: a shutdown during a first start. */
  signal?: AbortSignal;
}

const DEFAULT_DATA_DIR = './.cairn';

/** Binds a vector (or halfvec) parameter: '[1,2,3]', which both backends accept. */
export function toVectorParam(values: readonly number[]): string {
  return vectorToSql([...values]) as string;
}

export async function openDatabase(opts: DatabaseOptions = {}): Promise<Database> {
  const url = opts.url?.trim();
  if (url) return openPostgres(url, opts);
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  return opts.pgliteThread ? openPGliteInThread(dataDir, opts.signal) : openPGlite(dataDir, opts.signal);
}
