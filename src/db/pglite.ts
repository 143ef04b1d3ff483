/**
 * The embedded backend: PGlite in this process, on a data directory (locked against a second
 * instance) or in memory. Values are made to come back as node-postgres gives them (see database.ts).
 */
import { mkdir } from 'node:fs/promises';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import type { Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Database, ExtensionSettings, QueryOptions, QueryResultRows, Transaction } from './database.js';
import { PreparedStatements } from './pglite-prepared.js';
import { DirLock } from './directory-lock.js';
import { hasDatabase, initDataDirInWorker } from './pglite-initdb.js';
import { ClosedError, errorMessage } from './errors.js';
import { queryWithLocalSettings } from './extension-settings.js';
import { parseVectorText, vectorTypeOids } from './pgvector.js';
import { scrubPGliteError } from './scrub-secrets.js';
import { assertNotInsideOwnTransaction, txScope, type TxScope } from './transaction-scope.js';

const DATE_OID = 1082;
const JSON_OIDS = [114, 3802];

type PGliteParsers = Record<number | string, (x: string, typeId?: number) => unknown>;
type PGliteSerializers = Record<number | string, (x: unknown) => string>;

/** `signal` stops the initdb of a new directory (a shutdown during a first start). */
export async function openPGlite(dataDir: string, signal?: AbortSignal): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  let lock: DirLock | undefined;
  if (!inMemory) {
    await mkdir(dataDir, { recursive: true });
    lock = await DirLock.acquire(dataDir);
  }
  let pglite: PGlite | undefined;
  try {
    // A new directory's initdb runs off the main thread (pglite-initdb.ts).
    if (!inMemory && !hasDatabase(dataDir)) await initDataDirInWorker(dataDir, signal);
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

/** node-postgres' value conventions (database.ts) on a PGlite instance; the database thread uses it too. */
export async function configurePGliteTypes(pglite: PGlite): Promise<void> {
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
  for (const oid of await vectorTypeOids((sql) => pglite.query<{ oid: number }>(sql))) {
    tables.parsers[oid] = parseVectorText;
  }
  // Array parsers are built at start-up, before the extension's types existed.
  await pglite.refreshArrayTypes();
}

/** Rows and their count as node-postgres gives them (the database thread uses it too). */
export function toRows<R>(res: { rows: R[]; rowCount?: number; affectedRows?: number }): QueryResultRows<R> {
  return { rows: res.rows, rowCount: res.rowCount ?? res.affectedRows ?? 0 };
}

class PGliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #prepared: PreparedStatements;

  constructor(
    private readonly pglite: PGlite,
    private readonly lock: DirLock | undefined,
  ) {
    this.#prepared = new PreparedStatements(pglite);
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResultRows<R>> {
    this.#check('query');
    try {
      // PGlite's own query() and exec() wait for any running transaction, so they never interleave with one.
      return toRows(await this.#prepared.query<R>(sql, params, options?.statementName));
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
    return queryWithLocalSettings<R>(this, settings, sql, params);
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
