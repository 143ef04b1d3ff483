/**
 * Named statements on PGlite (src/db/pglite-prepared.ts): what runs as PREPARE/EXECUTE returns
 * exactly what PGlite's ordinary query returns, values with quotes and backslashes arrive
 * unchanged, a new text under a name replaces the old one, and parameters that are not plain values
 * take the ordinary path. On both PGlite variants (its own thread, as the server runs it, and the
 * calling thread).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/database.js';
import { sqlLiteral } from '../../src/db/pglite-prepared.js';

describe('sqlLiteral', () => {
  it.each([
    [null, 'NULL'],
    [undefined, 'NULL'],
    [42, '42'],
    [-1.5, '-1.5'],
    [true, 'true'],
    ["O'Brien", "'O''Brien'"],
    ['a\\b', "'a\\b'"],
    ['$q$', "'$q$'"],
  ])('%p → %s', (value, literal) => {
    expect(sqlLiteral(value)).toBe(literal);
  });

  it('refuses a NUL character, which no PostgreSQL text can hold', () => {
    expect(() => sqlLiteral('a\0b')).toThrow(/NUL/);
  });
});

describe.each([
  ['its own thread', true],
  ['the calling thread', false],
])('named statements on PGlite on %s', (_name, pgliteThread) => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://', pgliteThread });
    await db.query('CREATE TABLE notes (id int PRIMARY KEY, body jsonb NOT NULL, said text)');
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  const awkward = `it's a \\"quote\\", a backslash \\ and $$dollars$$ and 'more'`;

  it('inserts and reads back the same values as the ordinary path', async () => {
    const insert = 'INSERT INTO notes (id, body, said) SELECT $1::int, $2::jsonb, $3 RETURNING id, body, said';
    const viaName = await db.query(insert, [1, JSON.stringify({ text: awkward, n: [1, 2] }), awkward], { statementName: 'test_notes_insert' });
    const ordinary = await db.query(insert, [2, JSON.stringify({ text: awkward, n: [1, 2] }), awkward]);
    expect(viaName.rows).toEqual([{ id: 1, body: { text: awkward, n: [1, 2] }, said: awkward }]);
    expect(viaName.rowCount).toBe(1);
    expect(ordinary.rows[0]).toEqual({ ...viaName.rows[0], id: 2 });
    // A second call reuses the statement.
    await db.query(insert, [3, '{}', null], { statementName: 'test_notes_insert' });
    expect((await db.query('SELECT said FROM notes WHERE id = 3')).rows).toEqual([{ said: null }]);
    expect((await db.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name = 'test_notes_insert'`)).rows).toHaveLength(1);
  });

  it('prepares once when the first calls come together', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => db.query<{ n: number }>('SELECT $1::int * 2 AS n', [i], { statementName: 'test_notes_double' })));
    expect(answers.map((a) => a.rows[0]?.n)).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
  });

  it('replaces the statement when the same name comes with another text', async () => {
    const first = await db.query<{ v: string }>('SELECT $1::text AS v', ['a'], { statementName: 'test_notes_echo' });
    const second = await db.query<{ v: string }>('SELECT upper($1::text) AS v', ['a'], { statementName: 'test_notes_echo' });
    expect([first.rows[0]?.v, second.rows[0]?.v]).toEqual(['a', 'A']);
  });

  it('takes the ordinary path for parameters that are not plain values', async () => {
    const res = await db.query<{ n: number }>('SELECT cardinality($1::int[]) AS n', [[1, 2, 3]], { statementName: 'test_notes_array' });
    expect(res.rows).toEqual([{ n: 3 }]);
    expect((await db.query(`SELECT 1 FROM pg_prepared_statements WHERE name = 'test_notes_array'`)).rows).toHaveLength(0);
  });

  it('reports a failing statement as the ordinary path does', async () => {
    const failed = await db.query('INSERT INTO notes (id, body) VALUES ($1::int, $2::jsonb)', [1, '{"secret":"Ms Example"}'], { statementName: 'test_notes_dup' }).catch((err: unknown) => err as Error & { query?: string });
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/duplicate key/);
    // The values never ride on the error (its statement text is the prepared one, with $1, $2).
    expect(JSON.stringify({ ...(failed as object), message: (failed as Error).message })).not.toContain('Ms Example');
    expect((failed as { query?: string }).query).toMatch(/^EXECUTE test_notes_dup: INSERT INTO notes .*\$2::jsonb\)$/);
    // The database is usable afterwards.
    expect((await db.query('SELECT count(*)::int AS n FROM notes')).rows).toEqual([{ n: 3 }]);
  });
});
