import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * How far behind the event loop is now: the largest delay Node's event-loop monitor saw in the
 * current and the previous window. The histogram is reset every window, so one slow start-up
 * minute does not count against calls an hour later, and two windows are read so that a reset
 * just before a call does not hide the delay the call itself queued behind.
 */
export interface EventLoopDelay {
  /** In ms. */
  current(): number;
  /** Drops the delays seen so far: start-up's blocking work, which no admitted call queued behind. */
  forget(): void;
  stop(): void;
}

export function watchEventLoopDelay(windowMs = 500): EventLoopDelay {
  // 10 ms resolution: a finer one costs more timer wake-ups and the decisions are in hundreds of ms.
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let previousMaxNs = 0;
  const rotate = setInterval(() => {
    previousMaxNs = histogram.max;
    histogram.reset();
  }, windowMs);
  // Never what keeps the process (or a test run) alive.
  rotate.unref();
  return {
    current: () => Math.max(previousMaxNs, histogram.max) / 1e6,
    forget: () => {
      previousMaxNs = 0;
      histogram.reset();
    },
    stop: () => {
      clearInterval(rotate);
      histogram.disable();
    },
  };
}

let shared: EventLoopDelay | undefined;

/**
 * The process's one monitor. There is one event loop per process, so every app asks the same
 * monitor (tests build many apps; each used to start a histogram and a timer that nothing stopped).
 */
export function processEventLoopDelay(): EventLoopDelay {
  shared ??= watchEventLoopDelay();
  return shared;
}
