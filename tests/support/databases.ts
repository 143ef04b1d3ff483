/**
 * Runs database tests on both backends:
 *
 *   describe.each(databaseKinds)('feedback store on %s', (kind) => {
 *     let t: TestDatabase;
 *     beforeAll(async () => { t = await openTestDatabase(kind, { migrate: true }); });
 *     afterAll(async () => { await t?.dispose(); });
 *     …
 *   });
 *
 * PGlite: a fresh in-memory database. PostgreSQL: a fresh database `cairn_test_<random>` on
 * TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), dropped on dispose.
 * An unreachable PostgreSQL fails the tests; CAIRN_TEST_SKIP_POSTGRES=1 runs PGlite only.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, redactUrl, type Database, type DatabaseKind, type DatabaseOptions } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';

export type { DatabaseKind };

export const skipPostgres = process.env.CAIRN_TEST_SKIP_POSTGRES === '1';

export const databaseKinds: DatabaseKind[] = skipPostgres ? ['pglite'] : ['pglite', 'postgres'];

export const testDatabaseUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  db: Database;
  kind: DatabaseKind;
  /** PostgreSQL only: the fresh database's URL, to open more connections to the same database. */
  url?: string;
  dispose(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply all migrations before returning. */
  migrate?: boolean;
  /** Passed to openDatabase (pool size…); url/dataDir are chosen here. */
  database?: Omit<DatabaseOptions, 'url' | 'dataDir'>;
}

async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL for the database tests is unreachable at ${redactUrl(testDatabaseUrl)} ` +
        `(${err instanceof Error ? err.message : String(err)}). Start it, point TEST_DATABASE_URL at one ` +
        '(a user that may CREATE DATABASE; pgvector installed), or set CAIRN_TEST_SKIP_POSTGRES=1 to test on PGlite only.',
    );
  }
  return client;
}

/** A fresh PostgreSQL database on the test server; `drop()` removes it even if connections remain. */
export async function createPostgresTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `cairn_test_${randomBytes(6).toString('hex')}`;
  const admin = await adminClient();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = await adminClient();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function openTestDatabase(kind: DatabaseKind, opts: TestDatabaseOptions = {}): Promise<TestDatabase> {
  let result: TestDatabase;
  if (kind === 'pglite') {
    const db = await openDatabase({ ...opts.database, dataDir: 'memory://' });
    result = { db, kind, dispose: () => db.close() };
  } else {
    const fresh = await createPostgresTestDatabase();
    let db: Database;
    try {
      db = await openDatabase({ ...opts.database, url: fresh.url });
    } catch (err) {
      await fresh.drop();
      throw err;
    }
    let disposed = false;
    result = {
      db,
      kind,
      url: fresh.url,
      async dispose() {
        if (disposed) return;
        disposed = true;
        try {
          await db.close();
        } finally {
          await fresh.drop();
        }
      },
    };
  }
  if (opts.migrate) {
    try {
      await migrate(result.db);
    } catch (err) {
      await result.dispose();
      throw err;
    }
  }
  return result;
}
