/**
 * The database while it is still opening. A first start of the embedded database runs initdb
 * (seconds), and Cairn listens before that is done (http/readiness.ts): the composition root wires
 * every component to this handle before listening, and each call waits for the open to finish.
 * Nothing is called before then in practice: the HTTP adapter turns requests away until start-up
 * has migrated the database, and start-up itself awaits `opened` first.
 *
 * If the open fails, every call fails with its error; `close` then has nothing to close.
 */
import type { Database, DatabaseKind, DatabaseOptions, ExtensionSettings, QueryResultRows, Transaction } from './database.js';

/** The backend `openDatabase` picks for these options, known before it is opened. */
export function databaseKind(opts: DatabaseOptions): DatabaseKind {
  return opts.url?.trim() ? 'postgres' : 'pglite';
}

export function deferredDatabase(kind: DatabaseKind, opening: Promise<Database>): Database {
  // Whoever awaits start-up sees the failure; this copy must not be reported as unhandled.
  opening.catch(() => undefined);
  return {
    kind,
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResultRows<R>> {
      return (await opening).query<R>(sql, params);
    },
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      return (await opening).transaction(fn);
    },
    async queryWithSettings<R>(settings: ExtensionSettings, sql: string, params?: unknown[]): Promise<QueryResultRows<R>> {
      return (await opening).queryWithSettings<R>(settings, sql, params);
    },
    async exec(sql: string): Promise<void> {
      return (await opening).exec(sql);
    },
    async ping(): Promise<void> {
      return (await opening).ping();
    },
    close(): Promise<void> {
      return opening.then(
        (db) => db.close(),
        () => undefined,
      );
    },
  };
}
