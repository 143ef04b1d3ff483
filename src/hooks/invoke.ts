import { randomUUID } from 'node:crypto';
import type { OperationOutcome } from 'fhir/r4.js';
import type { Logger } from 'pino';
import type { FhirGateway } from '../fhir/gateway.js';
import { operationOutcome } from './operation-outcome.js';
import { prefetchData, resolvePrefetch, type PrefetchOutcome } from './prefetch/resolve.js';
import { formatZodIssues, hookRequestSchema, parseHookContext, type Card, type CdsResponse, type HookRequest } from './schema.js';
import type { CdsService } from './service.js';

/**
 * One hook call, from the parsed JSON body to the CDS Hooks response, with no HTTP in sight:
 * validate → resolve prefetch → run the service until the deadline → make the cards conformant.
 * Errors are values here; the HTTP adapter only maps them to status codes.
 */
export type InvokeResult =
  | { status: 200; body: CdsResponse; outcome: 'cards' | 'no-cards' | 'deadline' | 'service-error' }
  | { status: 400 | 412; body: OperationOutcome; outcome: 'bad-request' | 'precondition-failed' };

export interface InvokeDeps {
  deadlineMs: number;
  /** Makes the FHIR gateway for this call's fhirServer and token; undefined when there is no fhirServer. */
  gatewayFor(request: HookRequest): FhirGateway | undefined;
  log: Logger;
  /** When the request arrived (the deadline counts from there). */
  startedAt?: number;
}

export async function invokeService(service: CdsService, body: unknown, deps: InvokeDeps): Promise<InvokeResult> {
  const startedAt = deps.startedAt ?? performance.now();
  const parsed = hookRequestSchema.safeParse(body);
  if (!parsed.success) return badRequest(formatZodIssues(parsed.error));
  const request = parsed.data;
  if (request.hook !== service.definition.hook) {
    return badRequest([`service ${service.definition.id} answers the ${service.definition.hook} hook, not ${request.hook}`]);
  }
  const context = parseHookContext(request.hook, request.context);
  if (!context.ok) return badRequest(context.problems);

  const log = deps.log.child({ hookInstance: request.hookInstance, service: service.definition.id });
  const controller = new AbortController();
  const remaining = () => deps.deadlineMs - (performance.now() - startedAt);
  const timer = setTimeout(() => controller.abort(new Error('hook deadline')), Math.max(0, remaining()));
  try {
    const outcomes = await raceDeadline(
      resolvePrefetch({
        templates: service.definition.prefetch ?? {},
        context: request.context,
        provided: request.prefetch,
        gateway: deps.gatewayFor(request),
        signal: controller.signal,
      }),
      controller.signal,
    );
    if (outcomes === DEADLINE) {
      log.warn({ deadlineMs: deps.deadlineMs }, 'hook deadline passed while gathering data; answering with no cards');
      return { status: 200, body: { cards: [] }, outcome: 'deadline' };
    }
    logPrefetch(log, outcomes);
    const missing = outcomes.filter((o) => o.source === 'failed' && service.requiredPrefetch.includes(o.key));
    if (missing.length > 0) {
      return {
        status: 412,
        body: operationOutcome(
          'error',
          'not-found',
          missing.map((o) => `required prefetch "${o.key}" could not be had: ${o.source === 'failed' ? o.reason : ''}`),
        ),
        outcome: 'precondition-failed',
      };
    }

    const cards: Card[] = [];
    const run = service
      .run(
        { request, context: request.context, prefetch: prefetchData(outcomes), log, signal: controller.signal },
        (ready) => {
          if (!controller.signal.aborted) cards.push(...ready);
        },
      )
      .then(() => 'done' as const);
    let finished: 'done' | typeof DEADLINE;
    try {
      finished = await raceDeadline(run, controller.signal);
    } catch (err) {
      // A failing service must not take the EHR's workflow down: answer with what is ready, and record it.
      log.error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'service logic failed');
      return { status: 200, body: { cards: conformCards(cards) }, outcome: 'service-error' };
    }
    if (finished === DEADLINE) {
      log.warn({ deadlineMs: deps.deadlineMs, ready: cards.length }, 'hook deadline passed; answering with the cards that are ready');
      run.catch(() => undefined);
    }
    const conformed = conformCards(cards);
    return {
      status: 200,
      body: { cards: conformed },
      outcome: finished === DEADLINE ? 'deadline' : conformed.length > 0 ? 'cards' : 'no-cards',
    };
  } finally {
    clearTimeout(timer);
    // Stops whatever the service still has running once the answer is sent. A shared reason: a
    // bare abort() builds a DOMException with its stack on every hook, a measurable cost per call.
    controller.abort(ANSWERED);
  }
}

const DEADLINE = Symbol('deadline');
const ANSWERED = new Error('the hook has been answered');

function raceDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof DEADLINE> {
  if (signal.aborted) return Promise.resolve(DEADLINE);
  return Promise.race([
    work,
    new Promise<typeof DEADLINE>((resolve) => signal.addEventListener('abort', () => resolve(DEADLINE), { once: true })),
  ]);
}

/** Feedback needs a uuid on every card and suggestion (CDS Hooks 2.0.1 §Feedback); services may leave them to us. */
function conformCards(cards: Card[]): Card[] {
  return cards.map((card) => ({
    ...card,
    uuid: card.uuid ?? randomUUID(),
    ...(card.suggestions && { suggestions: card.suggestions.map((s) => ({ ...s, uuid: s.uuid ?? randomUUID() })) }),
  }));
}

function badRequest(problems: string[]): InvokeResult {
  return { status: 400, body: operationOutcome('error', 'invalid', problems), outcome: 'bad-request' };
}

function logPrefetch(log: Logger, outcomes: PrefetchOutcome[]): void {
  // Keys and sources only: prefetch values are patient data and never logged.
  const sources = Object.fromEntries(outcomes.map((o) => [o.key, o.source]));
  const failures = outcomes.flatMap((o) => (o.source === 'failed' ? [{ key: o.key, reason: o.reason }] : []));
  log.debug({ prefetchSources: sources, prefetchFailures: failures }, 'prefetch resolved');
}
