/**
 * What `npm start` runs: dev/build-if-stale.mjs transpiles src/ into dist/ file by file, then Node
 * runs dist/cli/serve.js. The tests and `npm run dev` run the sources through tsx, so nothing else
 * checks that dist/ holds everything the code loads: data imported as JSON (the triage tables) was
 * once left out, and `npm start` on a fresh clone failed at its first import.
 *
 * The build runs in a copy of the repository's build inputs (so the checkout's own dist/ is left
 * alone), and every relative import in the output must name a file that is there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { repoPath } from '../support/repo-root.js';

/** Every file under a folder. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))));
  return nested.flat();
}

/** Relative module specifiers of an ES module's static imports, re-exports and literal dynamic imports. */
function relativeSpecifiers(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)(['"])(\.{1,2}\/[^'"]+)\1/gm)) found.push(m[2]!);
  return found;
}

describe('the build npm start runs (dev/build-if-stale.mjs)', () => {
  let dir: string;
  let build: ReturnType<typeof spawnSync>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-start-build-'));
    for (const input of ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', join('dev', 'build-if-stale.mjs')]) {
      await cp(repoPath(input), join(dir, input), { recursive: true });
    }
    await symlink(repoPath('node_modules'), join(dir, 'node_modules'), 'dir');
    build = spawnSync(process.execPath, [join('dev', 'build-if-stale.mjs')], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('builds dist/ in which every relative import names a file that is there', async () => {
    expect({ status: build.status, stderr: build.stderr }).toEqual({ status: 0, stderr: '' });
    const dist = join(dir, 'dist');
    const modules = (await filesUnder(dist)).filter((f) => f.endsWith('.js'));
    // One module per TypeScript source (a source dropped from the build would show here too).
    const tsSources = (await filesUnder(join(dir, 'src'))).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(modules.length).toBe(tsSources.length);
    const missing: string[] = [];
    for (const file of modules) {
      for (const spec of relativeSpecifiers(await readFile(file, 'utf8'))) {
        const target = resolve(dirname(file), spec);
        if (!existsSync(target)) missing.push(`${relative(dist, file)} imports ${spec}`);
      }
    }
    expect(missing).toEqual([]);
    // The check reads JSON imports too: the triage tables are among the specifiers it followed.
    expect(existsSync(join(dist, 'services', 'triage', 'resource-needs.json'))).toBe(true);
  });

  it('loads the triage service from dist/ as Node runs it, its JSON tables included', () => {
    const load = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('./dist/services/triage/resources.js'); console.log(typeof Object.values(m)[0]);"],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
    expect({ status: load.status, stderr: load.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
