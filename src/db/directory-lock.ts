/**
 * PGlite 0.5.14 lets two instances open the same data directory (in one process or two) and they
 * silently diverge, which corrupts it. A lock file inside the directory stops that.
 *
 * A lock left by a crash must not block the next start: it is stale when its process is gone
 * or dead but not yet reaped (same host), when it names our own pid but we do not hold it (a
 * container restarted as pid 1), or when its holder stopped refreshing it (another host or pid
 * namespace, e.g. a recreated container on the same volume).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { open, readFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';

const LOCK_HEARTBEAT_MS = 5_000;
const LOCK_STALE_MS = 20_000;
const heldLocks = new Set<string>();

/**
 * What became of a process: `dead` covers a zombie, which has exited but whose parent has not
 * collected it yet. Right after `kill -9` of a server run under a shell or a supervisor that
 * reaps late, its pid is a zombie for a moment, and `process.kill(pid, 0)` still succeeds on it.
 */
export type ProcessState = 'alive' | 'dead';

export interface DirLockOptions {
  /** Tells whether the process holding a lock on this host still runs (tests give a fake). */
  processState?: (pid: number) => ProcessState;
}

export class DirLock {
  private constructor(
    private readonly file: string,
    private readonly heartbeat: NodeJS.Timeout,
  ) {}

  static async acquire(dataDir: string, options: DirLockOptions = {}): Promise<DirLock> {
    const processState = options.processState ?? systemProcessState;
    const file = path.resolve(dataDir, 'cairn.lock');
    if (heldLocks.has(file)) {
      throw new Error(`PGlite data directory ${dataDir} is already open in this process: open it once and share the Database`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(`${process.pid}@${hostname()}\n`);
        await handle.close();
        heldLocks.add(file);
        const heartbeat = setInterval(() => {
          const now = new Date();
          utimes(file, now, now).catch(() => undefined);
        }, LOCK_HEARTBEAT_MS);
        // The heartbeat must not keep an otherwise finished process alive.
        heartbeat.unref();
        return new DirLock(file, heartbeat);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const [owner, age] = await Promise.all([
        readFile(file, 'utf8').then((text) => text.trim(), () => ''),
        stat(file).then((st) => Date.now() - st.mtimeMs, () => Infinity),
      ]);
      if (lockIsStale(owner, age, processState)) {
        await rm(file, { force: true });
        continue;
      }
      throw new Error(
        `PGlite data directory ${dataDir} is in use by ${owner || 'another process'}: PGlite allows one open ` +
          'instance per directory. Use PostgreSQL (DATABASE_URL) to run several instances. If that process is ' +
          `gone, start again in ${Math.ceil(LOCK_STALE_MS / 1000)} s or delete ${file}.`,
      );
    }
    throw new Error(`could not lock PGlite data directory ${dataDir}`);
  }

  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    heldLocks.delete(this.file);
    await rm(this.file, { force: true });
  }
}

function lockIsStale(owner: string, ageMs: number, processState: (pid: number) => ProcessState): boolean {
  if (ageMs > LOCK_STALE_MS) return true;
  const [pidText, host] = owner.split('@');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  // Not in heldLocks (checked by the caller), so our own pid here is a previous incarnation's.
  if (pid === process.pid) return true;
  return processState(pid) === 'dead';
}

/**
 * The state letter of /proc/<pid>/stat ("<pid> (<comm>) <state> …"), or undefined. The command
 * name may itself hold spaces and parentheses, so the state is read after the last ')'.
 */
export function procStatState(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  return /^\s*(\S)/.exec(stat.slice(close + 1))?.[1];
}

/** The process's state from the kernel: signal 0 for existence, then on Linux /proc for zombies. */
export function systemProcessState(pid: number): ProcessState {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, owned by another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  if (process.platform !== 'linux') return 'alive';
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    // Gone between the two checks; any other failure (no /proc mounted): trust the signal.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'dead' : 'alive';
  }
  // Z: zombie (exited, not reaped); X: dead (being reaped).
  const state = procStatState(stat);
  return state === 'Z' || state === 'X' ? 'dead' : 'alive';
}
