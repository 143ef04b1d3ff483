/**
 * pgvector on either backend: creating the extension on a PostgreSQL server (with an actionable
 * message when it is missing or not allowed), and reading its types' text values.
 */
import type { Pool } from 'pg';
import { fromSql as vectorFromSql } from 'pgvector';
import { errorMessage, sqlState } from './errors.js';

/** Arbitrary constant; serialises `CREATE EXTENSION` between instances opening the same database. */
const EXTENSION_LOCK_KEY = 0x63616972; // 'cair'

/** Rows of `{ oid }` for one parameterless query, as either backend's client returns them. */
type OidQuery = (sql: string) => Promise<{ rows: Array<{ oid: number }> }>;

/** The OIDs of pgvector's types (vector, halfvec, sparsevec), to register `parseVectorText` for. */
export async function vectorTypeOids(query: OidQuery): Promise<number[]> {
  const res = await query("SELECT oid FROM pg_type WHERE typname IN ('vector', 'halfvec', 'sparsevec')");
  return res.rows.map(({ oid }) => oid);
}

/** A vector or halfvec in text form ('[1,2,3]') → number[] (a sparsevec → pgvector's SparseVector). */
export function parseVectorText(text: string): unknown {
  return vectorFromSql(text);
}

/** Its message says what to do on the database server; the caller adds no context to it. */
export class VectorExtensionError extends Error {}

export async function ensureVectorExtension(pool: Pool, target: string): Promise<void> {
  const present = await pool.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'");
  if ((present.rowCount ?? 0) > 0) return;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    // Two instances starting together would otherwise race on pg_extension's unique index.
    await client.query('SELECT pg_advisory_xact_lock($1)', [EXTENSION_LOCK_KEY]);
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr;
    });
    const code = sqlState(err);
    if (code === '58P01' || code === '0A000') {
      const version = await pool
        .query<{ v: string }>("SELECT current_setting('server_version_num') AS v")
        .then((r) => String(Math.floor(Number(r.rows[0]?.v) / 10000)))
        .catch(() => 'NN');
      throw new VectorExtensionError(
        `the PostgreSQL server at ${target} does not have the pgvector extension installed (${errorMessage(err)}). ` +
          `Install it on the database server, e.g. 'apt install postgresql-${version}-pgvector' from the PostgreSQL ` +
          `(PGDG) apt repository, the pgvector/pgvector Docker image, or build it from https://github.com/pgvector/pgvector ` +
          '(see docs/dependencies.md); then restart Cairn. No server restart is needed.',
        { cause: err },
      );
    }
    if (code === '42501') {
      throw new VectorExtensionError(
        `the pgvector extension is installed on ${target} but this user may not create it (${errorMessage(err)}). ` +
          "Run 'CREATE EXTENSION vector;' once in this database as a superuser or the database owner.",
        { cause: err },
      );
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
