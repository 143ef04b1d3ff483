/**
 * Jest's global setup: decides once, before any suite, whether the database suites can run on
 * PostgreSQL as well as PGlite, so that `npm test` passes on a machine with only Node.
 *
 * PostgreSQL is used when it answers at TEST_DATABASE_URL and offers the pgvector extension
 * (the migrations need it). Otherwise the suites run on PGlite alone, this says so once and why,
 * and CAIRN_TEST_SKIP_POSTGRES=1 is set for the test workers (started after this, they inherit
 * it). CAIRN_TEST_REQUIRE_POSTGRES=1 (set by .ci/run, which installs pgvector) turns the skip
 * into a failure, so CI always runs the PostgreSQL suites. CAIRN_TEST_SKIP_POSTGRES=1 given by
 * hand skips the probe.
 */
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why PostgreSQL cannot serve the tests, or undefined when it can. */
async function unavailable(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const res = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
    return res.rowCount === 0 ? 'PostgreSQL answers but has no pgvector extension (on Debian bookworm, .ci/install-pgvector.sh builds it)' : undefined;
  } catch (err) {
    return `PostgreSQL does not answer (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function globalSetup() {
  if (process.env.CAIRN_TEST_SKIP_POSTGRES === '1') {
    if (process.env.CAIRN_TEST_REQUIRE_POSTGRES === '1') throw new Error('CAIRN_TEST_REQUIRE_POSTGRES=1 and CAIRN_TEST_SKIP_POSTGRES=1 contradict each other');
    return;
  }
  const url = process.env.TEST_DATABASE_URL || DEFAULT_URL;
  const reason = await unavailable(url);
  if (reason === undefined) return;
  const where = url.replace(/\/\/[^@/]*@/, '//…@');
  if (process.env.CAIRN_TEST_REQUIRE_POSTGRES === '1') {
    throw new Error(`CAIRN_TEST_REQUIRE_POSTGRES=1 but ${reason} at ${where}`);
  }
  process.env.CAIRN_TEST_SKIP_POSTGRES = '1';
  console.warn(`\n[cairn tests] database suites run on PGlite only: ${reason} at ${where}. Set TEST_DATABASE_URL, or CAIRN_TEST_REQUIRE_POSTGRES=1 to make this a failure.\n`);
}
