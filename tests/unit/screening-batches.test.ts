import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createBatcher } from '../../src/services/trials/screening/batches.js';

/** A writer whose writes finish when the test says so. */
function writer(fail: (batch: number[]) => boolean = () => false) {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const write = (batch: number[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push(batch);
      pending.push(() => (fail(batch) ? reject(new Error('write failed')) : resolve()));
    });
  /** Finishes the oldest write in progress, and lets its continuations run. */
  const finish = async () => {
    pending.shift()?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { batches, write, finish, get inProgress() { return pending.length; } };
}

describe('batches of screening results', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes a full batch at once, one batch at a time, and what arrived meanwhile next', async () => {
    const w = writer();
    const b = createBatcher<number>({ write: w.write, maxBatch: 3, maxDelayMs: 100 });
    for (const n of [1, 2, 3, 4, 5, 6, 7]) b.add(n);
    expect(w.batches).toEqual([[1, 2, 3]]);
    expect(b.waiting).toBe(4);
    await w.finish();
    expect(w.batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    await w.finish();
    // One left, less than a batch: it waits for more, at most maxDelayMs.
    expect(w.batches).toHaveLength(2);
    jest.advanceTimersByTime(99);
    expect(w.batches).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(w.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(w.inProgress).toBe(1);
  });

  it('writes a lone item after maxDelayMs, together with what came in the meantime', () => {
    const w = writer();
    const b = createBatcher<number>({ write: w.write, maxBatch: 10, maxDelayMs: 100 });
    b.add(1);
    jest.advanceTimersByTime(60);
    b.add(2);
    expect(w.batches).toEqual([]);
    jest.advanceTimersByTime(40);
    expect(w.batches).toEqual([[1, 2]]);
  });

  it('drain writes everything waiting without waiting for the delay, and a failed batch does not stop the next', async () => {
    const w = writer((batch) => batch.includes(1));
    const b = createBatcher<number>({ write: w.write, maxBatch: 2, maxDelayMs: 10_000 });
    for (const n of [1, 2, 3]) b.add(n);
    let drained = false;
    const draining = b.drain().then(() => (drained = true));
    await w.finish(); // [1, 2] fails
    expect(w.batches).toEqual([[1, 2], [3]]);
    expect(drained).toBe(false);
    await w.finish();
    await draining;
    expect(drained).toBe(true);
    expect(b.waiting).toBe(0);
  });
});
