import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { operationOutcome } from '../hooks/operation-outcome.js';

/**
 * Admission control for hook calls. The hook deadline (hooks/invoke.ts) bounds waits *inside* a
 * call, but not the time a call spends queued behind other calls' CPU work on the one event loop:
 * under overload every call gets slower together and all of them miss the deadline. So a call is
 * only started when it can still finish in time, and otherwise refused at once with 503 +
 * Retry-After (the EHR shows no cards, which is what a late answer would have meant anyway):
 *
 * - at most `maxInFlight` hook calls are worked on at once (checked before the body is parsed or
 *   the JWT verified, so refusing costs almost nothing);
 * - a call that arrives while the event loop is `maxWaitMs` or more behind is refused: it has
 *   probably waited that long already, unseen, in the socket queue;
 * - a call that has spent `maxWaitMs` between arrival and the start of its service (parsing and
 *   authentication behind other work) is refused rather than started late.
 */
export type ShedReason = 'in-flight' | 'event-loop-delay' | 'queued';

export interface AdmissionOptions {
  /** Most hook calls in flight at once; undefined: no limit. */
  maxInFlight: number | undefined;
  /** Longest a call may have waited and still be started; undefined: never shed for waiting. */
  maxWaitMs: number | undefined;
  /** The hook deadline: Retry-After is derived from it. */
  deadlineMs: number;
  /** The event loop's current delay in ms (event-loop-delay.ts; tests give a fake). */
  eventLoopDelayMs(): number;
  onShed(reason: ShedReason): void;
  /** Called with the new count whenever a call is admitted or released. */
  onInFlight(count: number): void;
  log: Logger;
}

export interface Admission {
  /** Middleware for POST /cds-services/{id}, before body parsing and authentication. */
  admit: RequestHandler;
  /**
   * For the handler just before the service starts: false when the call has waited too long since
   * `startedAt` (then the 503 has been sent). The slot is released when the response closes.
   */
  stillInTime(res: Response, startedAt: number): boolean;
  /** Hook calls admitted and not yet answered (or abandoned by their client). */
  /**
   * Gives the call's slot back before its response: its work is done and what is left is a wait
   * that costs no CPU (the card ledger's commit). Idempotent; 'close' releases it otherwise.
   */
  release(res: Response): void;
  inFlight(): number;
}

export function createAdmission(options: AdmissionOptions): Admission {
  const { maxInFlight, maxWaitMs, deadlineMs, log } = options;
  // Whole seconds (RFC 9110 §10.2.3); by then the calls in flight have answered or hit the deadline.
  const retryAfterS = String(Math.max(1, Math.ceil(deadlineMs / 1000)));
  let inFlight = 0;

  const shed = (res: Response, reason: ShedReason, detail: Record<string, number>): void => {
    options.onShed(reason);
    // Info, not error: shedding is the designed answer to overload. No stack, no patient data.
    log.info({ reason, inFlight, ...detail }, 'hook call shed: answering 503 so that admitted calls keep their deadline');
    res.setHeader('Retry-After', retryAfterS);
    res
      .status(503)
      .type('application/fhir+json')
      .send(JSON.stringify(operationOutcome('error', 'throttled', `Cairn is overloaded (${reason}); retry after ${retryAfterS} s`)));
  };

  const admit: RequestHandler = (_req, res, next) => {
    if (maxInFlight !== undefined && inFlight >= maxInFlight) {
      shed(res, 'in-flight', { maxInFlight });
      return;
    }
    const delayMs = options.eventLoopDelayMs();
    if (maxWaitMs !== undefined && delayMs >= maxWaitMs) {
      shed(res, 'event-loop-delay', { delayMs: Math.round(delayMs), maxWaitMs });
      return;
    }
    options.onInFlight(++inFlight);
    let released = false;
    const releaseSlot = () => {
      if (released) return;
      released = true;
      options.onInFlight(--inFlight);
    };
    res.locals.releaseAdmission = releaseSlot;
    // 'close' fires once for every response: sent, failed, or abandoned by the client (abort),
    // so the count cannot leak whichever way the call ends.
    res.once('close', releaseSlot);
    next();
  };

  const stillInTime = (res: Response, startedAt: number): boolean => {
    const waitedMs = performance.now() - startedAt;
    if (maxWaitMs === undefined || waitedMs < maxWaitMs) return true;
    shed(res, 'queued', { waitedMs: Math.round(waitedMs), maxWaitMs });
    return false;
  };

  const release = (res: Response): void => {
    (res.locals.releaseAdmission as (() => void) | undefined)?.();
  };

  return { admit, stillInTime, release, inFlight: () => inFlight };
}
