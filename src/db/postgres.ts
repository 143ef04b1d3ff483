/**
 * The production backend: a node-postgres pool. Values are parsed as PGlite's are made to be (see
 * database.ts), and the URL's password never appears in an error.
 */
import pg from 'pg';
import type { CustomTypesConfig, PoolClient, QueryConfig, QueryResult } from 'pg';
import { log } from '../log.js';
import type { Database, DatabaseOptions, ExtensionSettings, QueryOptions, QueryResultRows, Transaction } from './database.js';
import { ClosedError, errorMessage, sqlState } from './errors.js';
import { checkedSettings, setConfigStatement } from './extension-settings.js';
import { ensureVectorExtension, parseVectorText, VectorExtensionError, vectorTypeOids } from './pgvector.js';
import { passwordOf, redactUrl, scrubSecrets } from './scrub-secrets.js';
import { assertNotInsideOwnTransaction, txScope, type TxScope } from './transaction-scope.js';

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DATE_OID = 1082;
const DATE_ARRAY_OID = 1182;
const TEXT_ARRAY_OID = 1009;

type TextParser = (value: string) => unknown;
// pg-types types OIDs as an enum of built-ins only; extension OIDs (vector) are plain numbers.
const builtinParser = pg.types.getTypeParser as (oid: number, format: 'text' | 'binary') => TextParser;

function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return redactUrl(url);
  }
}

export async function openPostgres(url: string, opts: DatabaseOptions): Promise<Database> {
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
    for (const oid of await vectorTypeOids((sql) => pool.query<{ oid: number }>(sql))) parsers.set(oid, parseVectorText);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof VectorExtensionError) throw fail(err.message, err.cause);
    throw fail(`could not open PostgreSQL database ${target}: ${errorMessage(err)}`, err);
  }
  return new PostgresDatabase(pool, secrets);
}

function extended(text: string, values: unknown[] | undefined, options?: QueryOptions): QueryConfig {
  // The extended protocol accepts exactly one statement, as PGlite's query() does, so a
  // multi-statement string fails the same way on both backends instead of only on PGlite.
  const config: QueryConfig & { queryMode: 'extended' } = { text, values: values ?? [], queryMode: 'extended' };
  // node-postgres prepares a named statement once per connection and reuses it after: measured
  // on this machine, a 4-row ledger insert cost 0.22 → 0.15 ms of Node CPU and 0.27 → 0.21 ms of
  // PostgreSQL CPU a statement (docs/BENCHMARKS.md, 2026-12-06 evening).
  if (options?.statementName) config.name = options.statementName;
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

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResultRows<R>> {
    this.#check('query');
    try {
      return pgRows<R>(await this.pool.query(extended(sql, params, options)));
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
      query: async <R>(sql: string, params?: unknown[], options?: QueryOptions) => {
        ensureOpen();
        return pgRows<R>(await client.query(extended(sql, params, options)));
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
