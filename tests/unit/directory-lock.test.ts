import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { DirLock, procStatState, systemProcessState, type ProcessState } from '../../src/db/directory-lock.js';

/**
 * A restart right after `kill -9` was refused once: the killed server was a zombie (exited, not
 * yet reaped), `process.kill(pid, 0)` succeeds on a zombie, and its fresh lock looked held.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cairn-lock-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A data directory whose fresh lock names `pid` on this host. */
async function lockedBy(pid: number): Promise<string> {
  const dataDir = await mkdtemp(path.join(dir, 'data-'));
  await writeFile(path.join(dataDir, 'cairn.lock'), `${pid}@${hostname()}\n`);
  return dataDir;
}

describe('PGlite directory lock and its owner', () => {
  // Above Linux's largest pid_max (2^22), so no process has it; with the fake reader only its answer counts.
  const OTHER_PID = 4_194_305;

  it.each<[ProcessState, boolean]>([
    ['dead', true],
    ['alive', false],
  ])('a fresh lock whose owner is %s is taken over: %s', async (state, takenOver) => {
    const dataDir = await lockedBy(OTHER_PID);
    const asked: number[] = [];
    const acquiring = DirLock.acquire(dataDir, { processState: (pid) => (asked.push(pid), state) });
    if (takenOver) {
      const lock = await acquiring;
      expect(await readFile(path.join(dataDir, 'cairn.lock'), 'utf8')).toBe(`${process.pid}@${hostname()}\n`);
      await lock.release();
    } else {
      await expect(acquiring).rejects.toThrow(new RegExp(`in use by ${OTHER_PID}@`));
    }
    expect(asked).toEqual([OTHER_PID]);
  });

  it('reads the state letter after the last parenthesis of /proc/<pid>/stat', () => {
    expect(procStatState('1234 (node) S 1 1234 1234 0 -1')).toBe('S');
    expect(procStatState('1234 (node) Z 1 1234 1234 0 -1')).toBe('Z');
    // The command name is the process's to choose: spaces and parentheses included.
    expect(procStatState('1234 (evil) R (x) Z 1 1234')).toBe('Z');
    expect(procStatState('1234 (a) b) X 1')).toBe('X');
    expect(procStatState('garbage')).toBeUndefined();
  });

  it('calls our own process alive and an unused pid dead', () => {
    expect(systemProcessState(process.pid)).toBe('alive');
    expect(systemProcessState(OTHER_PID)).toBe('dead');
  });

  (process.platform === 'linux' ? it : it.skip)('calls a real zombie dead, and takes over its lock', async () => {
    // The shell starts a short-lived child, prints its pid, then becomes `sleep`, which never
    // reaps it: the child stays a zombie until the sleep ends.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      expect(Number.isInteger(zombie)).toBe(true);
      // Wait for it to exit (state Z); signal 0 still reaches it.
      for (let i = 0; i < 100 && procStatState(await readFile(`/proc/${zombie}/stat`, 'utf8')) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(procStatState(await readFile(`/proc/${zombie}/stat`, 'utf8'))).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow();

      expect(systemProcessState(zombie)).toBe('dead');
      const lock = await DirLock.acquire(await lockedBy(zombie));
      await lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
