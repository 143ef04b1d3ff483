/**
 * An empty embedded database, made once per PGlite version and copied for each run of the demo
 * and of the browser suite: initdb is 7 to 17 s of a start on an empty directory (most of Cairn's
 * start-up), a copy half a second. A data directory holds no absolute paths, so a copy opens as
 * the original would (src/db/pglite-initdb.ts). Made in a staging folder and renamed into place,
 * so two runs at once never see half of one.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hasDatabase, initDataDirInWorker } from '../src/db/pglite-initdb.js';

function pgliteVersion(): string {
  // The package's main entry is in dist/; its package.json is the nearest one above it.
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: look one folder up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the version of @electric-sql/pglite');
    dir = parent;
  }
}

/** The template's folder, made on first use (in the system's temporary directory). */
export async function emptyDatabaseTemplate(): Promise<string> {
  const cache = join(tmpdir(), 'cairn-pglite-cache');
  const template = join(cache, `pglite-${pgliteVersion()}`);
  if (hasDatabase(template)) return template;
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(join(cache, 'staging-'));
  try {
    await initDataDirInWorker(staging);
    renameSync(staging, template);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    // Another run finished its template first: use that one.
    if (!hasDatabase(template)) throw err;
  }
  return template;
}

/** A new temporary data directory holding an empty database: `prefix` names it in the temporary directory. */
export async function freshDataDir(prefix: string): Promise<string> {
  const template = await emptyDatabaseTemplate();
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(template, dataDir, { recursive: true });
  return dataDir;
}
