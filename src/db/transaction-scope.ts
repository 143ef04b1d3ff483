/**
 * Which database's transaction callback the current async context is in, so that calling the
 * outer database from inside `transaction(fn)` throws instead of deadlocking (PGlite, one
 * connection) or silently running outside the transaction (PostgreSQL).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface TxScope {
  owner: object;
  active: boolean;
}

// The store is a mutable scope, not a flag: async work started inside a callback keeps the
// context after the transaction ends, and must then be allowed to use the database again.
export const txScope = new AsyncLocalStorage<TxScope>();

export function assertNotInsideOwnTransaction(owner: object, what: string): void {
  const scope = txScope.getStore();
  if (scope && scope.owner === owner && scope.active) {
    throw new Error(
      `db.${what}() was called inside db.transaction(): use the tx argument instead ` +
        '(on PGlite this would wait for the transaction forever; on PostgreSQL it would run outside it)',
    );
  }
}
