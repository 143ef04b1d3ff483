/**
 * Long jobs that run beside the hooks on the main thread (a trial import's parsing) work in
 * slices, giving the event loop a turn between them, so that a hook call arriving meanwhile waits
 * for one slice, not for the job.
 *
 * Why 5 ms: a triage call takes about 15 ms at its median under load (docs/BENCHMARKS.md); with
 * 20 ms slices, an import's first second and a half of parsing nearly doubled the p95 and p99 of
 * the hook calls running beside it. A slice is never shorter than one item, however long that takes.
 */
export const DEFAULT_SLICE_MS = 5;

/**
 * `fn` over the items in order, with a turn of the event loop whenever a slice has run `sliceMs`.
 * Once `signal` has aborted, no further item starts: the promise rejects with the signal's reason
 * (work for a hook whose deadline has passed is work nobody will read).
 */
export async function mapInSlices<T, R>(items: readonly T[], fn: (item: T, index: number) => R, sliceMs = DEFAULT_SLICE_MS, signal?: AbortSignal): Promise<R[]> {
  const out: R[] = [];
  let sliceStart = performance.now();
  for (let i = 0; i < items.length; i++) {
    signal?.throwIfAborted();
    out.push(fn(items[i] as T, i));
    if (performance.now() - sliceStart > sliceMs && i + 1 < items.length) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return out;
}
