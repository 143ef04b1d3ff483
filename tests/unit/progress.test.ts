import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { observeProgress, progress, type ProgressReport } from '../../src/progress.js';

/** A logger that keeps its lines, and a clock the test moves. */
function harness() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  let t = 0;
  return { lines, log, now: () => t, tick: (ms: number) => void (t += ms) };
}

describe('progress lines for long jobs', () => {
  it('logs at most once per interval, with the count, the total and the time left', () => {
    const h = harness();
    const p = progress({ log: h.log, what: 'guideline chunks embedded', total: 100, everyMs: 5000, now: h.now });
    h.tick(1000);
    p.advance(10); // 1 s in: too soon for a line
    expect(h.lines).toHaveLength(0);
    h.tick(4000);
    p.advance(15); // 5 s in, 25 done: 5 per second, 75 left → 15 s
    expect(h.lines).toHaveLength(1);
    expect(h.lines[0]).toMatchObject({ msg: 'guideline chunks embedded: 25 of 100', done: 25, total: 100, perSecond: 5, secondsLeft: 15 });
    h.tick(100);
    p.advance(5); // within the interval of the last line
    expect(h.lines).toHaveLength(1);
    h.tick(5000);
    p.advance(10);
    expect(h.lines).toHaveLength(2);
    expect(h.lines[1]).toMatchObject({ done: 40, total: 100 });
  });

  it('without a total, says the count so far and no estimate', () => {
    const h = harness();
    const p = progress({ log: h.log, what: 'trial and criterion texts embedded', everyMs: 1000, now: h.now });
    h.tick(2000);
    p.advance(64);
    expect(h.lines).toHaveLength(1);
    expect(h.lines[0]).toMatchObject({ msg: 'trial and criterion texts embedded: 64', done: 64, perSecond: 32 });
    expect(h.lines[0]).not.toHaveProperty('secondsLeft');
    expect(h.lines[0]).not.toHaveProperty('total');
  });

  it('tells an observer every advance of the jobs it runs, unthrottled, and nobody else', async () => {
    const h = harness();
    const seen: ProgressReport[] = [];
    await observeProgress(
      (r) => seen.push(r),
      async () => {
        // As the ingest does: the progress is made deep inside the job, after awaits.
        await Promise.resolve();
        const p = progress({ log: h.log, what: 'guideline chunks embedded', total: 3, everyMs: 5000, now: h.now });
        p.advance(1);
        await new Promise((resolve) => setImmediate(resolve));
        p.advance(2);
      },
    );
    progress({ log: h.log, what: 'outside', now: h.now }).advance(1);
    expect(seen).toEqual([
      { what: 'guideline chunks embedded', done: 0, total: 3 },
      { what: 'guideline chunks embedded', done: 1, total: 3 },
      { what: 'guideline chunks embedded', done: 3, total: 3 },
    ]);
    expect(h.lines).toHaveLength(0);
  });
});
