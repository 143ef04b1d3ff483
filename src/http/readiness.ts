/**
 * Where start-up is, for the HTTP adapter. Cairn listens before its knowledge base is ready (a first
 * start migrates, ingests the guideline corpus and imports the trials), so that an orchestrator and
 * an operator can see it is alive and what it is doing, instead of a port that does not answer:
 *
 *   - /healthz answers 200 as soon as the process listens;
 *   - /readyz answers 503 with the step and a reason ("embedding the guideline corpus: 120 of 307
 *     chunks") until start-up is done, then 200 while the database answers;
 *   - discovery answers at once (the service definitions are read before listening);
 *   - hook calls get a fast 503 with Retry-After until start-up is done: a card must never be built
 *     from a half-loaded corpus or trial store;
 *   - feedback and the screening API need only the schema: they answer once migrations are done.
 *
 * server.ts moves the tracker through the steps; app.ts only reads it.
 */
import type { Response } from 'express';
import { operationOutcome } from '../hooks/operation-outcome.js';

/** The steps of start-up after listening, in order. */
export const STARTUP_STEPS = ['opening-database', 'migrating', 'ingesting-guidelines', 'importing-trials', 'warming-queries', 'warming-trials'] as const;
export type StartupStep = (typeof STARTUP_STEPS)[number];

export type ReadinessState =
  | { status: 'starting'; step: StartupStep; reason: string }
  | { status: 'ready' }
  | { status: 'failed'; reason: string };

/**
 * How long a caller turned away during start-up should wait: a step's progress moves in seconds
 * (a first start embeds at ~20 texts a second without shipped vectors), so retrying sooner only
 * adds load to a process that is busy starting.
 */
export const STARTING_RETRY_AFTER_S = 5;

export class StartupTracker {
  #state: ReadinessState = { status: 'starting', step: 'opening-database', reason: 'opening the database' };
  #migrated = false;
  readonly #onReady: Array<() => void> = [];

  get state(): ReadinessState {
    return this.#state;
  }

  /** The schema is in place: what needs only the database (feedback, screenings) can be served. */
  get migrated(): boolean {
    return this.#migrated || this.#state.status === 'ready';
  }

  get ready(): boolean {
    return this.#state.status === 'ready';
  }

  step(step: StartupStep, reason: string): void {
    if (this.#state.status !== 'starting') return;
    if (STARTUP_STEPS.indexOf(step) > STARTUP_STEPS.indexOf('migrating')) this.#migrated = true;
    this.#state = { status: 'starting', step, reason };
  }

  /** A new reason within the current step (progress). */
  progress(reason: string): void {
    if (this.#state.status === 'starting') this.#state = { ...this.#state, reason };
  }

  markReady(): void {
    if (this.#state.status !== 'starting') return;
    this.#state = { status: 'ready' };
    for (const listener of this.#onReady.splice(0)) listener();
  }

  /** Calls `listener` when start-up becomes ready (at once if it is). */
  onReady(listener: () => void): void {
    if (this.ready) listener();
    else this.#onReady.push(listener);
  }

  fail(reason: string): void {
    this.#state = { status: 'failed', reason };
  }
}

/** For an app built with everything already in place (tests, tools): always ready. */
export function readyTracker(): StartupTracker {
  const t = new StartupTracker();
  t.markReady();
  return t;
}

/** What a turned-away caller is told: the state in words. */
export function describeState(state: ReadinessState): string {
  switch (state.status) {
    case 'starting':
      return `Cairn is starting (${state.step}: ${state.reason})`;
    case 'failed':
      // The error (a file name, a database message) is for the operator: /readyz and the log have it.
      return 'Cairn failed to start and is stopping';
    case 'ready':
      return 'Cairn is ready';
  }
}

/** 503 + Retry-After + an OperationOutcome (issue code `transient`: retrying later will work). */
export function sendNotReady(res: Response, state: ReadinessState, what: string): void {
  res.setHeader('Retry-After', String(STARTING_RETRY_AFTER_S));
  res
    .status(503)
    .type('application/fhir+json')
    .send(JSON.stringify(operationOutcome('error', 'transient', `${describeState(state)}; ${what} answer once it is ready. Retry after ${STARTING_RETRY_AFTER_S} s.`)));
}
