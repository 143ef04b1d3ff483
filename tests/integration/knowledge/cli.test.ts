/** The ingest command as an operator runs it: counts on success; on a malformed file, the file's name and no change. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, repoPath } from '../../support/repo-root.js';

const run = promisify(execFile);

async function ingest(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/ingest.ts', ...args], { cwd: REPO_ROOT, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run ingest', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cairn-cli-'));
    await cp(repoPath('tests/fixtures/guidelines'), path.join(dir, 'corpus'), { recursive: true });
    // Embedded database in a temporary directory; the offline encoder.
    env = { PATH: process.env.PATH, HOME: process.env.HOME, CAIRN_DATA_DIR: path.join(dir, 'db'), LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ingests, is idempotent, and refuses a malformed file by name without changing anything', async () => {
    const first = await ingest([path.join(dir, 'corpus')], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('documents: 3 (3 added, 0 updated, 0 unchanged, 0 removed)');
    expect(first.stdout).toContain('chunks: 8 embedded, 0 unchanged, 0 removed');

    const second = await ingest([path.join(dir, 'corpus')], env);
    expect(second.stdout).toContain('chunks: 0 embedded, 8 unchanged, 0 removed');

    await writeFile(path.join(dir, 'corpus', 'broken.md'), '---\ntitle: no id\n---\ntext\n');
    const broken = await ingest([path.join(dir, 'corpus')], env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${path.join(dir, 'corpus', 'broken.md')}: invalid front matter: field 'id' is missing`);
    expect(broken.stderr).toContain('Nothing was changed.');
  }, 60_000);
});
