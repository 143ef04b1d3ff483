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
import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { CustomTypesConfig, PoolClient, QueryConfig, QueryResult } from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import type { Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { fromSql as vectorFromSql, toSql as vectorToSql } from 'pgvector';
import { log } from '../log.js';

export interface QueryResultRows<R> {
  rows: R[];
  /** Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE); 0 for other statements. */
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResultRows<R>>;
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
}

const DEFAULT_DATA_DIR = './.cairn';
const DEFAULT_POOL_SIZE = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DATE_OID = 1082;
const DATE_ARRAY_OID = 1182;
const TEXT_ARRAY_OID = 1009;
const JSON_OIDS = [114, 3802];
/** Arbitrary constant; serialises `CREATE EXTENSION` between instances opening the same database. */
const EXTENSION_LOCK_KEY = 0x63616972; // 'cair'

/** Binds a vector (or halfvec) parameter: '[1,2,3]', which both backends accept. */
export function toVectorParam(values: readonly number[]): string {
  return vectorToSql([...values]) as string;
}

/** SQLSTATE of a database error (same codes on both backends), or undefined. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export async function openDatabase(opts: DatabaseOptions = {}): Promise<Database> {
  const url = opts.url?.trim();
  if (url) return openPostgres(url, opts);
  return openPGlite(opts.dataDir ?? DEFAULT_DATA_DIR);
}

// ---------------------------------------------------------------------------------------------
// Shared guards

interface TxScope {
  owner: object;
  active: boolean;
}

// The store is a mutable scope, not a flag: async work started inside a callback keeps the
// context after the transaction ends, and must then be allowed to use the database again.
const txScope = new AsyncLocalStorage<TxScope>();

function assertNotInsideOwnTransaction(owner: object, what: string): void {
  const scope = txScope.getStore();
  if (scope && scope.owner === owner && scope.active) {
    throw new Error(
      `db.${what}() was called inside db.transaction(): use the tx argument instead ` +
        '(on PGlite this would wait for the transaction forever; on PostgreSQL it would run outside it)',
    );
  }
}

function checkedSettings(settings: ExtensionSettings): Array<[string, string]> {
  const entries = Object.entries(settings);
  for (const [name, value] of entries) {
    if (!/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/.test(name)) {
      throw new Error(`queryWithSettings takes extension settings (a name with a dot, like hnsw.ef_search), not ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string') throw new TypeError(`setting ${name} must be a string (got ${typeof value})`);
  }
  return entries;
}

/** One round trip setting them all: set_config(name, value, local). */
function setConfigStatement(entries: ReadonlyArray<[string, string]>, local: boolean): { sql: string; params: string[] } {
  const params = entries.flat();
  const calls = entries.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, ${local})`);
  return { sql: `SELECT ${calls.join(', ')}`, params };
}

class ClosedError extends Error {
  constructor(kind: DatabaseKind) {
    super(`${kind} database is closed`);
    this.name = 'DatabaseClosedError';
  }
}

// ---------------------------------------------------------------------------------------------
// PGlite

type PGliteParsers = Record<number | string, (x: string, typeId?: number) => unknown>;
type PGliteSerializers = Record<number | string, (x: unknown) => string>;

async function openPGlite(dataDir: string): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  let lock: DirLock | undefined;
  if (!inMemory) {
    await mkdir(dataDir, { recursive: true });
    lock = await DirLock.acquire(dataDir);
  }
  let pglite: PGlite | undefined;
  try {
    pglite = await PGlite.create({ dataDir, extensions: { vector } });
    await pglite.exec('CREATE EXTENSION IF NOT EXISTS vector');
    await configurePGliteTypes(pglite);
  } catch (err) {
    await pglite?.close().catch(() => undefined);
    await lock?.release();
    throw new Error(`could not open the PGlite database in ${dataDir}: ${errorMessage(err)}`, { cause: err });
  }
  return new PGliteDatabase(pglite, lock);
}

async function configurePGliteTypes(pglite: PGlite): Promise<void> {
  // PGlite exposes its parser/serializer tables as public fields but not in its typings.
  const tables = pglite as unknown as { parsers: PGliteParsers; serializers: PGliteSerializers };
  tables.parsers[pgliteTypes.INT8] = (x) => x;
  tables.parsers[DATE_OID] = (x) => x;
  const jsonSerializer = tables.serializers[pgliteTypes.JSONB];
  for (const oid of JSON_OIDS) {
    tables.serializers[oid] = (x) => {
      if (Array.isArray(x)) {
        throw new TypeError(
          'pass JSON.stringify(value) for a json/jsonb parameter: node-postgres would send a JS array as a PostgreSQL array',
        );
      }
      return jsonSerializer ? jsonSerializer(x) : JSON.stringify(x);
    };
  }
  const vectorTypes = await pglite.query<{ oid: number }>(
    "SELECT oid FROM pg_type WHERE typname IN ('vector', 'halfvec', 'sparsevec')",
  );
  for (const { oid } of vectorTypes.rows) tables.parsers[oid] = (x) => vectorFromSql(x);
  // Array parsers are built at start-up, before the extension's types existed.
  await pglite.refreshArrayTypes();
}

function toRows<R>(res: { rows: R[]; rowCount?: number; affectedRows?: number }): QueryResultRows<R> {
  return { rows: res.rows, rowCount: res.rowCount ?? res.affectedRows ?? 0 };
}

// PGlite attaches the bound parameters to its errors; they can hold patient data and must not
// reach logs. node-postgres errors never carry them, so drop them for the same shape.
function scrubPGliteError(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) {
    const e = err as Record<string, unknown>;
    delete e.params;
    delete e.queryOptions;
  }
  return err;
}

class PGliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly lock: DirLock | undefined,
  ) {}

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResultRows<R>> {
    this.#check('query');
    try {
      // PGlite's own query() waits for any running transaction, so it never interleaves with one.
      return toRows(await this.pglite.query<R>(sql, params));
    } catch (err) {
      throw scrubPGliteError(err);
    }
  }

  async exec(sql: string): Promise<void> {
    this.#check('exec');
    try {
      await this.pglite.exec(sql);
    } catch (err) {
      throw scrubPGliteError(err);
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    this.#check('transaction');
    return this.pglite.transaction(async (ptx: PGliteTransaction) => {
      const scope: TxScope = { owner: this, active: true };
      const tx: Transaction = {
        query: async <R>(sql: string, params?: unknown[]) => {
          try {
            return toRows(await ptx.query<R>(sql, params));
          } catch (err) {
            throw scrubPGliteError(err);
          }
        },
        exec: async (sql: string) => {
          try {
            await ptx.exec(sql);
          } catch (err) {
            throw scrubPGliteError(err);
          }
        },
      };
      try {
        return await txScope.run(scope, () => fn(tx));
      } finally {
        scope.active = false;
      }
    });
  }

  async queryWithSettings<R = Record<string, unknown>>(settings: ExtensionSettings, sql: string, params?: unknown[]): Promise<QueryResultRows<R>> {
    const entries = checkedSettings(settings);
    if (entries.length === 0) return this.query<R>(sql, params);
    // One connection in this process: a transaction costs no round trip here, and SET LOCAL keeps
    // a concurrent caller's settings from slipping in between.
    return this.transaction(async (tx) => {
      const set = setConfigStatement(entries, true);
      await tx.query(set.sql, set.params);
      return tx.query<R>(sql, params);
    });
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      try {
        await this.pglite.close();
      } finally {
        await this.lock?.release();
      }
    })();
    return this.#closing;
  }

  #check(what: string): void {
    if (this.#closed) throw new ClosedError(this.kind);
    assertNotInsideOwnTransaction(this, what);
  }
}

/**
 * PGlite 0.5.14 lets two instances open the same data directory (in one process or two) and they
 * silently diverge, which corrupts it. A lock file inside the directory stops that.
 *
 * A lock left by a crash must not block the next start: it is stale when its process is gone
 * (same host), when it names our own pid but we do not hold it (a container restarted as pid 1),
 * or when its holder stopped refreshing it (another host or pid namespace, e.g. a recreated
 * container on the same volume).
 */
const LOCK_HEARTBEAT_MS = 5_000;
const LOCK_STALE_MS = 20_000;
const heldLocks = new Set<string>();

class DirLock {
  private constructor(
    private readonly file: string,
    private readonly heartbeat: NodeJS.Timeout,
  ) {}

  static async acquire(dataDir: string): Promise<DirLock> {
    const file = path.resolve(dataDir, 'cairn.lock');
    if (heldLocks.has(file)) {
      throw new Error(`PGlite data directory ${dataDir} is already open in this process: open it once and share the Database`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(`${process.pid}@${hostname()}\n`);
        await handle.close();
        heldLocks.add(file);
        const heartbeat = setInterval(() => {
          const now = new Date();
          utimes(file, now, now).catch(() => undefined);
        }, LOCK_HEARTBEAT_MS);
        // The heartbeat must not keep an otherwise finished process alive.
        heartbeat.unref();
        return new DirLock(file, heartbeat);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const [owner, age] = await Promise.all([
        readFile(file, 'utf8').then((text) => text.trim(), () => ''),
        stat(file).then((st) => Date.now() - st.mtimeMs, () => Infinity),
      ]);
      if (lockIsStale(owner, age)) {
        await rm(file, { force: true });
        continue;
      }
      throw new Error(
        `PGlite data directory ${dataDir} is in use by ${owner || 'another process'}: PGlite allows one open ` +
          'instance per directory. Use PostgreSQL (DATABASE_URL) to run several instances. If that process is ' +
          `gone, start again in ${Math.ceil(LOCK_STALE_MS / 1000)} s or delete ${file}.`,
      );
    }
    throw new Error(`could not lock PGlite data directory ${dataDir}`);
  }

  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    heldLocks.delete(this.file);
    await rm(this.file, { force: true });
  }
}

function lockIsStale(owner: string, ageMs: number): boolean {
  if (ageMs > LOCK_STALE_MS) return true;
  const [pidText, host] = owner.split('@');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  // Not in heldLocks (checked by the caller), so our own pid here is a previous incarnation's.
  if (pid === process.pid) return true;
  return !processAlive(pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

type TextParser = (value: string) => unknown;
// pg-types types OIDs as an enum of built-ins only; extension OIDs (vector) are plain numbers.
const builtinParser = pg.types.getTypeParser as (oid: number, format: 'text' | 'binary') => TextParser;

/** A URL safe to show: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Up to the LAST '@': an unencoded '@' in a password is what often makes a URL malformed.
    return url.replace(/(\/\/[^:/@]*:).*@/, '$1***@');
  }
}

function passwordOf(url: string): string[] {
  let raw: string | undefined;
  try {
    raw = new URL(url).password;
  } catch {
    raw = /\/\/[^:/@]*:(.*)@/.exec(url)?.[1];
  }
  if (!raw) return [];
  const variants = new Set([raw]);
  try {
    variants.add(decodeURIComponent(raw));
  } catch {
    // A malformed escape is still matched in its raw form.
  }
  return [...variants].filter((s) => s.length > 0);
}

/** Replaces the password anywhere in an error's message, stack and string fields (e.g. Node's `input`). */
function scrubSecrets(err: unknown, secrets: string[]): unknown {
  if (secrets.length === 0) return err;
  const scrub = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join('***'), s);
  if (err instanceof Error) {
    const fields = err as unknown as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(err)) {
      const value = fields[key];
      if (typeof value === 'string') fields[key] = scrub(value);
    }
    if (err.cause !== undefined) scrubSecrets(err.cause, secrets);
    return err;
  }
  return typeof err === 'string' ? scrub(err) : err;
}

function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return redactUrl(url);
  }
}

async function openPostgres(url: string, opts: DatabaseOptions): Promise<Database> {
  const secrets = passwordOf(url);
  const fail = (message: string, cause?: unknown): Error =>
    scrubSecrets(new Error(message, cause === undefined ? undefined : { cause }), secrets) as Error;

  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw fail(`database URL must start with postgres:// or postgresql:// (got ${redactUrl(url)})`);
  }
  const poolSize = opts.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw fail(`poolSize must be a positive integer (got ${poolSize})`);

  // Filled once the vector type's OID is known; the closure lets every pooled client share it
  // synchronously, so no client can return a vector before its parser is registered.
  const parsers = new Map<number, TextParser>([
    [DATE_OID, (v) => v],
    [DATE_ARRAY_OID, builtinParser(TEXT_ARRAY_OID, 'text')],
  ]);
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      const custom = format === 'binary' ? undefined : parsers.get(oid);
      return custom ?? builtinParser(oid, format ?? 'text');
    }) as CustomTypesConfig['getTypeParser'],
  };

  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: opts.connectionTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MS,
      application_name: 'cairn',
      // UTC sessions, as PGlite has; a URL that sets `options` itself wins.
      options: '-c TimeZone=UTC',
      types,
    });
  } catch (err) {
    throw fail(`invalid PostgreSQL URL ${redactUrl(url)}: ${errorMessage(err)}`, err);
  }
  // An idle client losing its connection is reported here; unhandled, it would crash the process.
  pool.on('error', (err) => {
    log.error({ err: scrubSecrets(err, secrets) }, 'idle PostgreSQL connection failed');
  });

  const target = describeTarget(url);
  try {
    await ensureVectorExtension(pool, target);
    const res = await pool.query<{ oid: number }>(
      "SELECT oid FROM pg_type WHERE typname IN ('vector', 'halfvec', 'sparsevec')",
    );
    for (const { oid } of res.rows) parsers.set(oid, (v) => vectorFromSql(v));
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof VectorExtensionError) throw fail(err.message, err.cause);
    throw fail(`could not open PostgreSQL database ${target}: ${errorMessage(err)}`, err);
  }
  return new PostgresDatabase(pool, secrets);
}

class VectorExtensionError extends Error {}

async function ensureVectorExtension(pool: pg.Pool, target: string): Promise<void> {
  const present = await pool.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'");
  if ((present.rowCount ?? 0) > 0) return;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    // Two instances starting together would otherwise race on pg_extension's unique index.
    await client.query('SELECT pg_advisory_xact_lock($1)', [EXTENSION_LOCK_KEY]);
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr;
    });
    const code = sqlState(err);
    if (code === '58P01' || code === '0A000') {
      const version = await pool
        .query<{ v: string }>("SELECT current_setting('server_version_num') AS v")
        .then((r) => String(Math.floor(Number(r.rows[0]?.v) / 10000)))
        .catch(() => 'NN');
      throw new VectorExtensionError(
        `the PostgreSQL server at ${target} does not have the pgvector extension installed (${errorMessage(err)}). ` +
          `Install it on the database server, e.g. 'apt install postgresql-${version}-pgvector' from the PostgreSQL ` +
          `(PGDG) apt repository, the pgvector/pgvector Docker image, or build it from https://github.com/pgvector/pgvector ` +
          '(see docs/dependencies.md); then restart Cairn. No server restart is needed.',
        { cause: err },
      );
    }
    if (code === '42501') {
      throw new VectorExtensionError(
        `the pgvector extension is installed on ${target} but this user may not create it (${errorMessage(err)}). ` +
          "Run 'CREATE EXTENSION vector;' once in this database as a superuser or the database owner.",
        { cause: err },
      );
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

function extended(text: string, values: unknown[] | undefined): QueryConfig {
  // The extended protocol accepts exactly one statement, as PGlite's query() does, so a
  // multi-statement string fails the same way on both backends instead of only on PGlite.
  const config: QueryConfig & { queryMode: 'extended' } = { text, values: values ?? [], queryMode: 'extended' };
  return config;
}

function pgRows<R>(res: QueryResult): QueryResultRows<R> {
  return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Extension settings each pooled connection was given for its session (queryWithSettings). */
  readonly #sessionSettings = new WeakMap<PoolClient, Map<string, string>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly secrets: string[],
  ) {}

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResultRows<R>> {
    this.#check('query');
    try {
      return pgRows<R>(await this.pool.query(extended(sql, params)));
    } catch (err) {
      throw scrubSecrets(err, this.secrets);
    }
  }

  async exec(sql: string): Promise<void> {
    this.#check('exec');
    try {
      await this.pool.query(sql);
    } catch (err) {
      throw scrubSecrets(err, this.secrets);
    }
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    this.#check('transaction');
    const client = await this.#connect();
    const scope: TxScope = { owner: this, active: true };
    const ensureOpen = () => {
      if (!scope.active) throw new Error('transaction is closed');
    };
    const tx: Transaction = {
      query: async <R>(sql: string, params?: unknown[]) => {
        ensureOpen();
        return pgRows<R>(await client.query(extended(sql, params)));
      },
      exec: async (sql: string) => {
        ensureOpen();
        await client.query(sql);
      },
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await txScope.run(scope, () => fn(tx));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        // A connection that cannot roll back must not go back to the pool.
        broken = rollbackErr;
      });
      throw scrubSecrets(err, this.secrets);
    } finally {
      scope.active = false;
      client.release(broken);
    }
  }

  async queryWithSettings<R = Record<string, unknown>>(settings: ExtensionSettings, sql: string, params?: unknown[]): Promise<QueryResultRows<R>> {
    this.#check('queryWithSettings');
    const entries = checkedSettings(settings);
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      let kept = this.#sessionSettings.get(client);
      if (!kept) this.#sessionSettings.set(client, (kept = new Map()));
      const changed = entries.filter(([name, value]) => kept.get(name) !== value);
      if (changed.length > 0) {
        // Forget first: if setting fails half-way, the next caller sets them all again.
        for (const [name] of changed) kept.delete(name);
        const set = setConfigStatement(changed, false);
        await client.query(extended(set.sql, set.params));
        for (const [name, value] of changed) kept.set(name, value);
      }
      return pgRows<R>(await client.query(extended(sql, params)));
    } catch (err) {
      // A statement the server refused (it has a SQLSTATE) leaves the connection usable, no
      // transaction being open; a connection that failed must not go back to the pool.
      if (sqlState(err) === undefined) broken = err instanceof Error ? err : new Error(String(err));
      throw scrubSecrets(err, this.secrets);
    } finally {
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.pool.end();
    return this.#closing;
  }

  #check(what: string): void {
    if (this.#closed) throw new ClosedError(this.kind);
    assertNotInsideOwnTransaction(this, what);
  }

  /** A pooled connection; a failure to connect never carries the password. */
  async #connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw scrubSecrets(err, this.secrets);
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
