/**
 * The e2e helper that starts a Cairn process: one that misses its start is killed, not left
 * running (one outlived a clean-clone CI run by 45 minutes, busy, beside the next run).
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../e2e/support/processes.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('spawnServer', () => {
  it('kills a server that is not ready in time, and says so', async () => {
    const pidFile = join(mkdtempSync(join(os.tmpdir(), 'cairn-spawn-')), 'pid');
    // Long enough for plain Node to start and write its pid on a loaded machine.
    await expect(spawnServer('tests/fixtures/processes/never-ready.js', { PID_FILE: pidFile }, 5_000)).rejects.toThrow('server did not start in 5000 ms');
    expect(existsSync(pidFile)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const until = Date.now() + 5_000;
    while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  }, 20_000);
});
