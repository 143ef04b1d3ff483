/**
 * A trial import killed with SIGKILL in the middle (no handler runs, the transaction in progress
 * is cut off) leaves every trial whole or absent, never a trial without its criteria or vectors,
 * and the next import skips what was written and finishes the rest. On both backends: PGlite must
 * also reopen a data directory whose lock was left behind by the killed process.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createLogger } from '../../src/log.js';
import { prepareTrial } from '../../src/services/trials/matching/trial-record.js';
import { importTrials, loadTrial } from '../../src/services/trials/store/trial-store.js';
import { createPostgresTestDatabase, databaseKinds } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { REPO_ROOT } from '../support/repo-root.js';
import { crashTestTrials } from '../support/trials-import-crash.js';

/** Runs the child import and kills it once it has written `batches` batches. */
async function importKilledAfter(env: Record<string, string>, batches: number): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/trials-import-child.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the import did not write ${batches} batches in time:\n${output}`)), 60_000);
    const check = (d: Buffer) => {
      output += d.toString();
      if ((output.match(/trial batch written/g) ?? []).length >= batches) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the import ended (${String(code)}) before it was killed:\n${output}`));
    });
  });
  await exited;
  return output;
}

describe.each(databaseKinds)('trial import killed midway on %s', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0)) await f();
  });

  it('leaves each trial whole or absent, and the next import finishes the rest', async () => {
    let env: Record<string, string>;
    let open: () => Promise<Database>;
    if (kind === 'pglite') {
      const dir = await mkdtemp(path.join(tmpdir(), 'cairn-import-crash-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      env = { CAIRN_DATA_DIR: dir };
      open = () => openDatabase({ dataDir: dir });
    } else {
      const pg = await createPostgresTestDatabase();
      cleanup.push(() => pg.drop());
      env = { DATABASE_URL: pg.url };
      open = () => openDatabase({ url: pg.url });
    }
    await importKilledAfter(env, 3);

    const trials = crashTestTrials();
    const db = await open();
    cleanup.unshift(() => db.close());
    const present: string[] = [];
    for (const record of trials) {
      const stored = await loadTrial(db, record.nctId);
      if (!stored) continue;
      present.push(record.nctId);
      expect([record.nctId, stored.criteria.length]).toEqual([record.nctId, prepareTrial(record).criteria.length]);
      expect(stored.criteria.every((c) => c.embedding?.length === 64)).toBe(true);
    }
    // Killed after three batches were written, before the last.
    expect(present.length).toBeGreaterThanOrEqual(3);
    expect(present.length).toBeLessThan(trials.length);
    const orphans = await db.query('SELECT 1 FROM trial_criteria c WHERE NOT EXISTS (SELECT 1 FROM trials t WHERE t.nct_id = c.nct_id)');
    expect(orphans.rowCount).toBe(0);

    const resumed = await importTrials(db, trials, new HashingEmbeddings(), { log: createLogger('silent') });
    expect(resumed).toMatchObject({ unchanged: present.length, added: trials.length - present.length });
    for (const record of trials) expect((await loadTrial(db, record.nctId))?.criteria.length).toBe(prepareTrial(record).criteria.length);
    const terms = await db.query("SELECT trials FROM trial_terms WHERE lexeme = 'asthma'");
    expect(terms.rows).toEqual([{ trials: trials.length }]);
  }, 90_000);
});
