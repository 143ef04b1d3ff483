import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, sqlState, toVectorParam, type Database } from '../../src/db/database.js';
import { migrate, migrations, validateMigrations } from '../../src/db/migrations.js';
import { createPostgresTestDatabase, databaseKinds, openTestDatabase, type DatabaseKind, type TestDatabase } from '../support/databases.js';

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('migration list', () => {
  it('is well formed: named NNN_snake_case, strictly increasing', () => {
    expect(() => validateMigrations(migrations)).not.toThrow();
    expect(migrations.slice(0, 2).map((m) => m.name)).toEqual(['001_extensions', '002_feedback']);
  });

  it('rejects an out-of-order list', () => {
    expect(() => validateMigrations([{ name: '002_b', sql: 'SELECT 1' }, { name: '001_a', sql: 'SELECT 1' }])).toThrow(
      /strictly increasing/,
    );
  });
});

/** Each backend, and PGlite once more on its own thread (pglite-thread.ts, what the server runs). */
const setups: Array<{ name: string; kind: DatabaseKind; database?: { pgliteThread: boolean } }> = [
  ...databaseKinds.map((kind) => ({ name: kind, kind })),
  { name: 'pglite on its own thread', kind: 'pglite', database: { pgliteThread: true } },
];

describe.each(setups)('database on $name', ({ kind, database }) => {
  let t: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    t = await openTestDatabase(kind, { ...(database && { database }) });
    db = t.db;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('opens the requested backend and answers ping', async () => {
    expect(db.kind).toBe(kind);
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it('applies the migrations once; a second run applies nothing', async () => {
    const first = await migrate(db);
    expect(first.applied).toEqual(migrations.map((m) => m.name));
    const second = await migrate(db);
    expect(second).toEqual({ applied: [], unknown: [] });
    const recorded = await db.query<{ name: string; applied_at: Date }>(
      'SELECT name, applied_at FROM schema_migrations ORDER BY name',
    );
    expect(recorded.rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
    expect(recorded.rows[0]?.applied_at).toBeInstanceOf(Date);
  });

  it('reports migrations recorded by a newer version, and rolls back a failing one', async () => {
    await db.query("INSERT INTO schema_migrations (name) VALUES ('999_from_the_future')");
    const extra = [...migrations, { name: '900_broken', sql: 'CREATE TABLE m_ok (x int); SELECT no_such_column FROM m_ok;' }];
    await expect(migrate(db, extra)).rejects.toThrow(/migration 900_broken failed/);
    const table = await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'm_ok'");
    expect(table.rowCount).toBe(0);
    expect((await migrate(db)).unknown).toEqual(['999_from_the_future']);
    await db.query("DELETE FROM schema_migrations WHERE name = '999_from_the_future'");
  });

  it('returns the same JS values on both backends', async () => {
    const res = await db.query(
      `SELECT 9007199254740993::int8 AS big, 42::int4 AS int, 1.50::numeric AS num, DATE '2024-02-29' AS day,
              TIMESTAMPTZ '2024-02-29 10:00:00+02' AS ts, '{"a":[1,2]}'::jsonb AS doc,
              'e7f1c0a4-1d5b-4e7a-9b7c-2f0c8f6d3a11'::uuid AS id, ARRAY['x','y'] AS texts, ARRAY[1,2] AS ints,
              ARRAY[DATE '2024-01-01'] AS days, true AS flag, '[1,2.5,3]'::vector AS vec, NULL::text AS nothing`,
    );
    expect(res.rows[0]).toEqual({
      big: '9007199254740993',
      int: 42,
      num: '1.50',
      day: '2024-02-29',
      ts: new Date('2024-02-29T08:00:00Z'),
      doc: { a: [1, 2] },
      id: 'e7f1c0a4-1d5b-4e7a-9b7c-2f0c8f6d3a11',
      texts: ['x', 'y'],
      ints: [1, 2],
      days: ['2024-01-01'],
      flag: true,
      vec: [1, 2.5, 3],
      nothing: null,
    });
    const count = await db.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
    expect(count.rows[0]?.n).toBe(String(migrations.length));
    const tz = await db.query<{ tz: string }>("SELECT current_setting('TimeZone') AS tz");
    expect(['UTC', 'Etc/UTC']).toContain(tz.rows[0]?.tz);
  });

  it('binds parameters the same way: json as text, vectors with toVectorParam', async () => {
    const res = await db.query<{ doc: unknown; vec: number[]; at: Date }>(
      'SELECT $1::jsonb AS doc, $2::vector AS vec, $3::timestamptz AS at',
      [JSON.stringify([{ id: 'a' }]), toVectorParam([0.5, 1, 2]), '2024-01-01T00:00:00Z'],
    );
    expect(res.rows[0]).toEqual({ doc: [{ id: 'a' }], vec: [0.5, 1, 2], at: new Date('2024-01-01T00:00:00Z') });
    // node-postgres sends a JS array as a PostgreSQL array literal; PGlite is made to refuse it too.
    await expect(db.query('SELECT $1::jsonb AS doc', [[{ id: 'a' }]])).rejects.toThrow();
  });

  it('answers a named (prepared) statement the same on every call, across pooled connections and in a transaction', async () => {
    const sql = 'SELECT $1::int + 1 AS n';
    // More concurrent calls than one connection, so several pooled connections prepare it.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => db.query<{ n: number }>(sql, [i], { statementName: 'db_test_plus_one' })));
    expect(answers.map((a) => a.rows[0]?.n)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const inTx = await db.transaction((tx) => tx.query<{ n: number }>(sql, [41], { statementName: 'db_test_plus_one' }));
    expect(inTx.rows[0]?.n).toBe(42);
  });

  it('stores vectors and orders by cosine distance (vector(3) in a temp table)', async () => {
    const nearest = await db.transaction(async (tx) => {
      await tx.query('CREATE TEMP TABLE items (id int PRIMARY KEY, embedding vector(3)) ON COMMIT DROP');
      const vectors: [number, number[]][] = [
        [1, [1, 0, 0]],
        [2, [0, 1, 0]],
        [3, [0.9, 0.1, 0]],
      ];
      for (const [id, v] of vectors) {
        await tx.query('INSERT INTO items (id, embedding) VALUES ($1, $2)', [id, toVectorParam(v)]);
      }
      const res = await tx.query<{ id: number; distance: number; embedding: number[] }>(
        'SELECT id, embedding, embedding <=> $1 AS distance FROM items ORDER BY embedding <=> $1 LIMIT 2',
        [toVectorParam([1, 0, 0])],
      );
      return res.rows;
    });
    expect(nearest.map((r) => r.id)).toEqual([1, 3]);
    expect(nearest[0]?.distance).toBeCloseTo(0, 6);
    expect(nearest[1]?.embedding).toEqual([0.9, 0.1, 0]);
    await expect(db.query('INSERT INTO items VALUES (9, $1)', [toVectorParam([1, 2, 3])])).rejects.toThrow(/items/);
  });

  it('runs a statement with extension settings in force, only when asked, and refuses core settings', async () => {
    const efSearch = async (settings: Record<string, string>) =>
      (await db.queryWithSettings<{ v: string }>(settings, "SELECT current_setting('hnsw.ef_search') AS v")).rows[0]?.v;
    // Alternating values, on whichever connections the pool hands out, then two at once.
    for (let i = 0; i < 12; i++) {
      expect(await efSearch({ 'hnsw.ef_search': '71' })).toBe('71');
      expect(await efSearch({ 'hnsw.ef_search': '29', 'hnsw.iterative_scan': 'relaxed_order' })).toBe('29');
    }
    const both = await Promise.all([efSearch({ 'hnsw.ef_search': '55' }), efSearch({ 'hnsw.ef_search': '66' })]);
    expect(both).toEqual(['55', '66']);
    // A core setting would outlive the statement on a pooled connection and change later plans.
    await expect(db.queryWithSettings({ enable_seqscan: 'off' }, 'SELECT 1')).rejects.toThrow(/extension settings/);
    // A failing statement leaves the connection usable.
    await expect(db.queryWithSettings({ 'hnsw.ef_search': '40' }, 'SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    expect(await efSearch({ 'hnsw.ef_search': '40' })).toBe('40');
  });

  describe('transactions', () => {
    beforeAll(async () => {
      await db.exec('CREATE TABLE tx_probe (v text); CREATE TABLE counter (n int); INSERT INTO counter VALUES (0);');
    });

    it('commits and returns the callback result', async () => {
      const out = await db.transaction(async (tx) => {
        const res = await tx.query("INSERT INTO tx_probe VALUES ('committed')");
        return res.rowCount;
      });
      expect(out).toBe(1);
      expect((await db.query("SELECT 1 FROM tx_probe WHERE v = 'committed'")).rowCount).toBe(1);
    });

    it('rolls back when the callback throws, and when a statement fails', async () => {
      await expect(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO tx_probe VALUES ('thrown')");
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const failed = db.transaction(async (tx) => {
        await tx.query("INSERT INTO tx_probe VALUES ('sql-error')");
        await tx.query('INSERT INTO tx_probe VALUES (1/0)');
      });
      await expect(failed).rejects.toThrow(/division by zero/);
      await failed.catch((err: unknown) => expect(sqlState(err)).toBe('22012'));
      const rows = await db.query("SELECT v FROM tx_probe WHERE v IN ('thrown', 'sql-error')");
      expect(rows.rowCount).toBe(0);
      await expect(db.ping()).resolves.toBeUndefined();
    });

    it('keeps a concurrent outside query out of the transaction', async () => {
      const inside = deferred();
      const tx = db.transaction(async (t) => {
        await t.query("INSERT INTO tx_probe VALUES ('inside')");
        inside.resolve();
        await sleep(100);
        throw new Error('roll back');
      });
      await inside.promise;
      const outsideRead = db.query("SELECT v FROM tx_probe WHERE v = 'inside'");
      const outsideWrite = db.query("INSERT INTO tx_probe VALUES ('outside')");
      await expect(tx).rejects.toThrow('roll back');
      // Never sees the uncommitted row; its own write is not rolled back with the transaction.
      expect((await outsideRead).rowCount).toBe(0);
      expect((await outsideWrite).rowCount).toBe(1);
      const after = await db.query<{ v: string }>("SELECT v FROM tx_probe WHERE v IN ('inside', 'outside')");
      expect(after.rows).toEqual([{ v: 'outside' }]);
    });

    it('serialises concurrent read-modify-write transactions', async () => {
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction(async (tx) => {
            const cur = await tx.query<{ n: number }>('SELECT n FROM counter FOR UPDATE');
            await tx.query('UPDATE counter SET n = $1', [(cur.rows[0]?.n ?? 0) + 1]);
          }),
        ),
      );
      expect((await db.query<{ n: number }>('SELECT n FROM counter')).rows[0]?.n).toBe(20);
    });

    it('refuses the outer database inside a transaction instead of deadlocking', async () => {
      await expect(
        db.transaction(async () => {
          await db.query('SELECT 1');
        }),
      ).rejects.toThrow(/use the tx argument/);
      await expect(db.transaction(async () => db.transaction(async () => 1))).rejects.toThrow(/use the tx argument/);
      // Work that outlives the callback may use the database again.
      let later: Promise<unknown> = Promise.resolve();
      await db.transaction(async () => {
        later = sleep(10).then(() => db.query('SELECT 1'));
      });
      await expect(later).resolves.toMatchObject({ rowCount: 1 });
    });
  });

  it('rejects several statements in query() on both backends; exec() runs scripts', async () => {
    await expect(db.query('SELECT 1; SELECT 2')).rejects.toThrow(/multiple commands/);
    await db.exec('CREATE TABLE script_a (x int); INSERT INTO script_a VALUES (1), (2);');
    expect((await db.query('SELECT x FROM script_a')).rowCount).toBe(2);
  });

  it('gives SQLSTATE codes and no bound parameters on errors', async () => {
    await db.exec('CREATE TABLE uniq (k text PRIMARY KEY)');
    await db.query('INSERT INTO uniq VALUES ($1)', ['patient-123']);
    const err = await db.query('INSERT INTO uniq VALUES ($1)', ['patient-123']).catch((e: unknown) => e);
    expect(sqlState(err)).toBe('23505');
    expect(err).not.toHaveProperty('params');
  });
});

describe.each(setups)('closing on $name', ({ kind, database }) => {
  it('is idempotent and later calls fail clearly', async () => {
    const t = await openTestDatabase(kind, { ...(database && { database }) });
    await t.db.close();
    await t.db.close();
    await expect(t.db.query('SELECT 1')).rejects.toThrow(/database is closed/);
    await t.dispose();
  });
});

const onPostgres = databaseKinds.includes('postgres') ? describe : describe.skip;

onPostgres('PostgreSQL specifics', () => {
  it('two instances opening and migrating the same fresh database together do not fail', async () => {
    const fresh = await createPostgresTestDatabase();
    const dbs: Database[] = [];
    try {
      dbs.push(...(await Promise.all([openDatabase({ url: fresh.url }), openDatabase({ url: fresh.url })])));
      const results = await Promise.all([migrate(dbs[0]!), migrate(dbs[1]!), migrate(dbs[0]!)]);
      const applied = results.flatMap((r) => r.applied).sort();
      expect(applied).toEqual(migrations.map((m) => m.name));
      const rows = await dbs[0]!.query('SELECT name FROM schema_migrations');
      expect(rows.rowCount).toBe(migrations.length);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
      await fresh.drop();
    }
  });

  it('uses at most poolSize connections', async () => {
    const t = await openTestDatabase('postgres', { database: { poolSize: 2 } });
    try {
      const res = await Promise.all(
        Array.from({ length: 6 }, () => t.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')),
      );
      expect(new Set(res.map((r) => r.rows[0]?.pid)).size).toBeLessThanOrEqual(2);
    } finally {
      await t.dispose();
    }
  });

  it('never puts the password in an error message', async () => {
    const secret = 'S3cr3t-p@ss';
    const url = `postgres://cairn:${encodeURIComponent(secret)}@127.0.0.1:1/cairn`;
    const err = await openDatabase({ url, connectionTimeoutMillis: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const text = `${(err as Error).message}\n${(err as Error).stack}\n${JSON.stringify(err)}`;
    expect(text).toMatch(/could not open PostgreSQL database 127\.0\.0\.1:1\/cairn/);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));

    const malformed = await openDatabase({ url: `postgres://cairn:${secret}@127.0.0.1:notaport/cairn` }).catch((e: unknown) => e);
    const malformedText = `${(malformed as Error).message}\n${(malformed as Error).stack}\n${JSON.stringify((malformed as Error).cause)}`;
    expect(malformedText).toContain('cairn:***@127.0.0.1:notaport');
    expect(malformedText).not.toContain(secret);

    const bad = await openDatabase({ url: 'mysql://root:hunter2@db/x' }).catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(/postgres:\/\//);
    expect((bad as Error).message).not.toContain('hunter2');
  });
});

describe('PGlite on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cairn-pglite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps data across close and reopen (creating missing parent directories)', async () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const first = await openDatabase({ dataDir });
    await migrate(first);
    await first.query("INSERT INTO cds_feedback (service_id, card_uuid, outcome, outcome_timestamp) VALUES ('s', gen_random_uuid(), 'accepted', now())");
    await first.close();

    const second = await openDatabase({ dataDir });
    try {
      expect((await migrate(second)).applied).toEqual([]);
      expect((await second.query('SELECT 1 FROM cds_feedback')).rowCount).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('refuses a second open of the same directory, in this process or another live one', async () => {
    const dataDir = path.join(dir, 'locked');
    const first = await openDatabase({ dataDir });
    try {
      await expect(openDatabase({ dataDir })).rejects.toThrow(/already open in this process/);
    } finally {
      await first.close();
    }
    // A fresh lock held by a live process on this host (our parent stands in for another instance).
    await writeFile(path.join(dataDir, 'cairn.lock'), `${process.ppid}@${hostname()}\n`);
    await expect(openDatabase({ dataDir })).rejects.toThrow(/is in use by .*DATABASE_URL/s);
    await rm(path.join(dataDir, 'cairn.lock'));
    const again = await openDatabase({ dataDir });
    await again.close();
  });

  it.each([
    ['a dead process on this host', () => `2147483646@${hostname()}`, 0],
    ['our own pid from a previous start (container pid 1)', () => `${process.pid}@${hostname()}`, 0],
    ['another host that stopped refreshing it', () => '4242@some-other-host', 60_000],
  ])('takes over a lock left by %s', async (_label, owner, ageMs) => {
    const dataDir = path.join(dir, `stale-${ageMs}-${_label.length}`);
    await mkdir(dataDir, { recursive: true });
    const lockFile = path.join(dataDir, 'cairn.lock');
    await writeFile(lockFile, `${owner()}\n`);
    const then = new Date(Date.now() - ageMs);
    await utimes(lockFile, then, then);
    const db = await openDatabase({ dataDir });
    expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}@${hostname()}\n`);
    await db.close();
    await expect(stat(lockFile)).rejects.toThrow(/ENOENT/);
  });

  it('keeps a fresh lock from another host', async () => {
    const dataDir = path.join(dir, 'other-host');
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, 'cairn.lock'), '4242@some-other-host\n');
    await expect(openDatabase({ dataDir })).rejects.toThrow(/is in use by 4242@some-other-host/);
  });
});
