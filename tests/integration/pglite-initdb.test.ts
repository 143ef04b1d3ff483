/** A new PGlite directory's initdb runs in a worker thread and can be stopped at any moment (src/db/pglite-initdb.ts). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { hasDatabase, initDataDirInWorker } from '../../src/db/pglite-initdb.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cairn-initdb-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('initdb off the main thread', () => {
  it('stopped midway, leaves no database and no staging folder behind', async () => {
    const dir = join(root, 'stopped');
    await mkdir(dir);
    const stop = new AbortController();
    const init = initDataDirInWorker(dir, stop.signal);
    setTimeout(() => stop.abort(new Error('shutting down')), 300);
    await expect(init).rejects.toThrow('shutting down');
    expect(hasDatabase(dir)).toBe(false);
    expect(existsSync(join(dir, '.initdb'))).toBe(false);
  }, 60_000);

  it('a directory a crash left mid-initdb opens as a new one, and keeps its data', async () => {
    const dir = join(root, 'crashed');
    await mkdir(join(dir, '.initdb', 'base'), { recursive: true });
    await writeFile(join(dir, '.initdb', 'base', 'half-written'), 'x');
    let db = await openDatabase({ dataDir: dir });
    await db.exec('CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
    await db.close();
    expect(existsSync(join(dir, '.initdb'))).toBe(false);
    db = await openDatabase({ dataDir: dir });
    expect((await db.query<{ x: number }>('SELECT x FROM kept')).rows).toEqual([{ x: 42 }]);
    // The vector extension works in a directory made in the worker.
    expect((await db.query<{ d: number }>("SELECT '[1,0]'::vector <=> '[0,1]'::vector AS d")).rows[0]?.d).toBe(1);
    await db.close();
  }, 120_000);
});
