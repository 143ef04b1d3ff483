/** Checking and applying the extension settings of `queryWithSettings` (see `ExtensionSettings`). */
import type { Database, ExtensionSettings, QueryResultRows } from './database.js';

export function checkedSettings(settings: ExtensionSettings): Array<[string, string]> {
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
export function setConfigStatement(entries: ReadonlyArray<[string, string]>, local: boolean): { sql: string; params: string[] } {
  const params = entries.flat();
  const calls = entries.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, ${local})`);
  return { sql: `SELECT ${calls.join(', ')}`, params };
}

/**
 * queryWithSettings on a database of one connection (PGlite, on either thread): the settings with
 * SET LOCAL in a transaction around the statement. A transaction costs no round trip there, and
 * it keeps a concurrent caller's settings from slipping in between.
 */
export async function queryWithLocalSettings<R>(db: Pick<Database, 'query' | 'transaction'>, settings: ExtensionSettings, sql: string, params?: unknown[]): Promise<QueryResultRows<R>> {
  const entries = checkedSettings(settings);
  if (entries.length === 0) return db.query<R>(sql, params);
  return db.transaction(async (tx) => {
    const set = setConfigStatement(entries, true);
    await tx.query(set.sql, set.params);
    return tx.query<R>(sql, params);
  });
}
