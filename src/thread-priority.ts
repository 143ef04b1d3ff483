/**
 * Scheduling priority of the calling thread, for background work that must yield to the hooks.
 *
 * Why: the embedding threads take both cores of a small machine while a trial import, an ingest
 * or a screening runs, and the thread answering hooks then gets half a core at best; the hooks'
 * p99 beside an import was 2.45 times its idle p99 (docs/BENCHMARKS.md). With a lower priority
 * (a higher nice value) the kernel runs the embedding threads on whatever CPU the hooks leave, and
 * as fast as before when nothing else wants it.
 *
 * Linux only: a thread's own id comes from /proc/thread-self, and setpriority(2) on a thread id
 * sets that thread's nice value alone. Elsewhere (or when refused) nothing changes and the caller
 * is told so. Lowering one's own priority needs no privilege; raising it back would, so a thread
 * lowered stays lowered.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Nice value of the embedding threads: under CFS a thread at nice 10 weighs 110 against 1,024 at
 * nice 0 (sched_prio_to_weight in the Linux scheduler), so a hook thread that wants the CPU gets
 * about nine tenths of a contended core.
 */
export const BACKGROUND_NICE = 10;

/** The calling thread's kernel id (Linux), from /proc/thread-self ("<pid>/task/<tid>"). */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined; // not Linux, or /proc is not mounted
  }
}

/** Lowers the calling thread's priority to `nice`; false when this system cannot (the thread runs as before). */
export function lowerThisThreadPriority(nice: number = BACKGROUND_NICE): boolean {
  const tid = currentThreadId();
  if (tid === undefined) return false;
  try {
    setPriority(tid, nice);
    return true;
  } catch {
    return false; // refused (a container's seccomp profile, say): the thread keeps its priority
  }
}
