/**
 * The embedded database's own thread (pglite-thread.ts starts it): PGlite runs here, so its
 * WebAssembly, its parsing and its file writes leave the main thread free for hook calls.
 *
 * The main thread sends one message per operation and gets one answer per message, matched by
 * id. A transaction is a session: `begin` enters PGlite's transaction() and answers from inside
 * it; `tx-query` and `tx-exec` run in it; `commit` lets the callback return, `rollback` makes it
 * throw. PGlite queues other queries behind an open transaction, exactly as on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { configurePGliteTypes, toRows } from './pglite.js';
import { PreparedStatements } from './pglite-prepared.js';
import { errorForThread, TIMESTAMP_OIDS, type ThreadRequest, type ThreadResponse, type ThreadRows } from './pglite-protocol.js';

interface OpenTransaction {
  tx: Transaction;
  finish(commit: boolean): void;
  done: Promise<void>;
}

const ROLLBACK = Symbol('rollback');

/** The rows, their count as on the main thread (toRows), and which columns are timestamps. */
function answer(res: Results): ThreadRows {
  const { rows, rowCount } = toRows(res);
  const timestamps = (res.fields ?? []).filter((f) => TIMESTAMP_OIDS.includes(f.dataTypeID)).map((f) => ({ name: f.name, oid: f.dataTypeID }));
  return { rows, rowCount, ...(timestamps.length > 0 && { timestamps }) };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('pglite-worker.ts runs only as a worker thread');
  const { dataDir } = workerData as { dataDir: string };
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({ dataDir, extensions: { vector } });
    await pglite.exec('CREATE EXTENSION IF NOT EXISTS vector');
    await configurePGliteTypes(pglite);
    // Timestamps cross as PostgreSQL's text and are parsed on the main thread (ThreadRows).
    const parsers = (pglite as unknown as { parsers: Record<number, (x: string) => unknown> }).parsers;
    for (const oid of TIMESTAMP_OIDS) parsers[oid] = (x) => x;
  } catch (err) {
    port.postMessage({ id: 0, ok: false, error: errorForThread(err) } satisfies ThreadResponse);
    return;
  }
  const transactions = new Map<number, OpenTransaction>();
  const prepared = new PreparedStatements(pglite);

  const run = async (m: ThreadRequest): Promise<unknown> => {
    switch (m.op) {
      case 'query':
        return answer(await prepared.query(m.sql, m.params, m.statementName));
      case 'exec':
        await pglite.exec(m.sql);
        return undefined;
      case 'begin':
        return begin(m.id);
      case 'tx-query':
        return answer(await openTx(m.tx).tx.query(m.sql, m.params));
      case 'tx-exec':
        await openTx(m.tx).tx.exec(m.sql);
        return undefined;
      case 'commit':
      case 'rollback': {
        const open = openTx(m.tx);
        open.finish(m.op === 'commit');
        await open.done;
        return undefined;
      }
      case 'close':
        await pglite.close();
        return undefined;
    }
  };

  const openTx = (id: number): OpenTransaction => {
    const open = transactions.get(id);
    if (!open) throw new Error(`no open transaction ${id} in the database thread`);
    return open;
  };

  // Resolves once PGlite is inside the transaction; the transaction ends on commit or rollback.
  const begin = (id: number): Promise<void> =>
    new Promise<void>((entered, failed) => {
      let finish!: (commit: boolean) => void;
      const decided = new Promise<boolean>((resolve) => (finish = resolve));
      const open: { done?: Promise<void> } = {};
      const done = pglite
        .transaction(async (tx) => {
          transactions.set(id, { tx, finish, done: open.done! });
          entered();
          if (!(await decided)) throw ROLLBACK;
        })
        .then(
          () => undefined,
          (err: unknown) => {
            if (err !== ROLLBACK) throw err;
          },
        )
        .finally(() => transactions.delete(id));
      open.done = done;
      // A failure before the callback ran (BEGIN itself failed) fails the begin.
      done.catch(failed);
    });

  port.on('message', (m: ThreadRequest) => {
    run(m).then(
      (result) => port.postMessage({ id: m.id, ok: true, result } satisfies ThreadResponse),
      (err: unknown) => port.postMessage({ id: m.id, ok: false, error: errorForThread(err) } satisfies ThreadResponse),
    );
  });
  port.postMessage({ id: 0, ok: true } satisfies ThreadResponse);
}

void main();
