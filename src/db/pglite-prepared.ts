/**
 * Named statements on PGlite: parsed and planned once, then run by EXECUTE.
 *
 * Why: PGlite's query() runs every call through the extended protocol from scratch (parse,
 * describe, bind, describe, execute, sync: six trips into WebAssembly, and the text parsed and
 * planned again each time). For the statement on every hook answer's path, the ledger's insert,
 * that was most of its cost: `PREPARE` once and `EXECUTE name(literals)` as one simple query cut
 * the CPU time of an insert of one answer by about 40% (docs/BENCHMARKS.md, 2026-12-07). The same
 * option gives PostgreSQL a prepared statement (QueryOptions.statementName).
 *
 * Only statements whose parameters are all strings, numbers, booleans or null go this way (they
 * become SQL literals; PostgreSQL infers each parameter's type from the statement, as it does for
 * a bound parameter); anything else takes PGlite's ordinary path.
 */
import type { PGlite, Results } from '@electric-sql/pglite';

const STATEMENT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

type Literal = string | number | boolean | null | undefined;

function isLiteral(v: unknown): v is Literal {
  return v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * A parameter as an SQL literal. Strings are quoted with their quotes doubled, which is exact
 * under standard_conforming_strings (on since PostgreSQL 9.1 and in PGlite; checked by
 * PreparedStatements before its first use): a backslash is then an ordinary character.
 */
export function sqlLiteral(v: Literal): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v.includes('\0')) throw new Error('a text parameter cannot hold a NUL character');
  return `'${v.replaceAll("'", "''")}'`;
}

/** The statements one PGlite instance has prepared (a PGlite is one session: they last as long as it). */
export class PreparedStatements {
  readonly #pglite: Pick<PGlite, 'exec' | 'query'>;
  /** By name: the text prepared under it, and its PREPARE (concurrent first calls wait for the same one). */
  readonly #prepared = new Map<string, { sql: string; ready: Promise<void> }>();
  #checked: Promise<boolean> | undefined;

  constructor(pglite: Pick<PGlite, 'exec' | 'query'>) {
    this.#pglite = pglite;
  }

  /**
   * Runs `sql`: as the prepared statement `name` when there is a (valid) name and every parameter
   * is a plain value, else by PGlite's query().
   */
  async query<R>(sql: string, params: unknown[] | undefined, name: string | undefined): Promise<Results<R>> {
    const literals = (params ?? []) as readonly Literal[];
    if (name === undefined || !STATEMENT_NAME.test(name) || !literals.every(isLiteral) || !(await this.#standardStrings())) {
      return this.#pglite.query<R>(sql, params);
    }
    await this.#prepare(name, sql);
    try {
      const results = await this.#pglite.exec(literals.length > 0 ? `EXECUTE ${name}(${literals.map(sqlLiteral).join(', ')})` : `EXECUTE ${name}`);
      return results.at(-1) as Results<R>;
    } catch (err) {
      // PGlite puts the statement's text on its errors (`query`), and this text holds the values,
      // which may be patient data: an error names the statement and its text, as a bound query's would.
      if (err instanceof Error && typeof (err as { query?: unknown }).query === 'string') (err as { query?: string }).query = `EXECUTE ${name}: ${sql}`;
      throw err;
    }
  }

  #prepare(name: string, sql: string): Promise<void> {
    const known = this.#prepared.get(name);
    if (known?.sql === sql) return known.ready;
    // The name is unique to its text (QueryOptions); a second text under it replaces the first.
    const ready = (async () => {
      if (known) {
        await known.ready.catch(() => undefined);
        await this.#pglite.exec(`DEALLOCATE ${name}`).catch(() => undefined);
      }
      await this.#pglite.exec(`PREPARE ${name} AS ${sql}`);
    })();
    this.#prepared.set(name, { sql, ready });
    // A PREPARE that failed (a syntax error) is tried again by the next call, which reports it too.
    ready.catch(() => {
      if (this.#prepared.get(name)?.ready === ready) this.#prepared.delete(name);
    });
    return ready;
  }

  #standardStrings(): Promise<boolean> {
    this.#checked ??= this.#pglite
      .query<{ standard_conforming_strings: string }>('SHOW standard_conforming_strings')
      .then((r) => r.rows[0]?.standard_conforming_strings === 'on');
    return this.#checked;
  }
}
