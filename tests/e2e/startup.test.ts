/**
 * `npm start`'s entry point (src/cli/serve.ts) as its own process: a start-up that fails after
 * listening ends the process with a non-zero code instead of leaving it answering 503 for ever,
 * and a SIGTERM during start-up shuts it down cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, repoPath } from '../support/repo-root.js';
import { freePort } from './support/processes.js';

interface Serve {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function serve(env: Record<string, string>): Promise<Serve> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      CAIRN_REQUIRE_AUTH: 'false',
      CAIRN_TRIALS: 'none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** GET `path` every 50 ms until `accept` takes the answer or the process exits (then undefined). */
async function poll(s: Serve, path: string, accept: (status: number, body: string) => boolean): Promise<{ status: number; body: string } | undefined> {
  let exited = false;
  void s.exited.then(() => (exited = true));
  while (!exited) {
    try {
      const res = await fetch(`${s.url}${path}`);
      const body = await res.text();
      if (accept(res.status, body)) return { status: res.status, body };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

describe('the serve process', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-e2e-startup-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits non-zero when the database cannot be reached after it listens', async () => {
    const closedPort = await freePort();
    const s = await serve({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/cairn` });
    expect(await s.exited).toBe(1);
    expect(s.output()).toMatch(/Cairn is listening/);
    expect(s.output()).toMatch(/start-up failed after listening/);
    expect(s.output()).toMatch(/Cairn failed to start/);
  }, 60_000);

  it('answers /healthz while it starts, then exits non-zero on a malformed corpus', async () => {
    const corpus = join(dir, 'bad-corpus');
    await rm(corpus, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(corpus));
    await writeFile(join(corpus, 'broken.md'), '---\nid: [unclosed\n---\n# Broken\n');
    const s = await serve({ CAIRN_DATA_DIR: join(dir, 'data-bad'), CAIRN_GUIDELINES_DIR: corpus });
    // A new data directory's initdb runs off the event loop, so the process answers meanwhile.
    const health = await poll(s, '/healthz', (status) => status === 200);
    expect(health?.status).toBe(200);
    expect(await s.exited).toBe(1);
    expect(s.output()).toMatch(/broken\.md/);
  }, 120_000);

  it('shuts down cleanly on SIGTERM during start-up', async () => {
    const s = await serve({ CAIRN_DATA_DIR: join(dir, 'data-term'), CAIRN_GUIDELINES_DIR: repoPath('tests/fixtures/guidelines'), CAIRN_VECTORS_DIR: 'none' });
    const starting = await poll(s, '/readyz', (status, body) => status === 503 && /"status":"starting"/.test(body));
    expect(starting).toBeDefined();
    s.child.kill('SIGTERM');
    // With the output, so that a failure says which step held the shutdown (or what failed in it).
    expect({ exitCode: await s.exited, output: s.output() }).toEqual({ exitCode: 0, output: expect.stringMatching(/shutting down/) });
  }, 120_000);
});
