import { randomUUID } from 'node:crypto';
import type { OperationOutcome } from 'fhir/r4.js';
import type { Logger } from 'pino';
import type { FhirGateway } from '../fhir/gateway.js';
import { operationOutcome, type OperationOutcomeIssue } from './operation-outcome.js';
import { prefetchData, requireFound, resolvePrefetch, type PrefetchOutcome } from './prefetch/resolve.js';
import { formatZodIssues, hookRequestSchema, parseHookContext, type Card, type CdsResponse, type HookRequest } from './schema.js';
import type { CdsService } from './service.js';

/**
 * One hook call, from the parsed JSON body to the CDS Hooks response, with no HTTP in sight:
 * validate → resolve prefetch → run the service until the deadline → make the cards conformant.
 * Errors are values here; the HTTP adapter only maps them to status codes.
 */
export type InvokeResult =
  | {
      status: 200;
      body: CdsResponse;
      outcome: 'cards' | 'no-cards' | 'deadline' | 'service-error';
      /** The validated request and the prefetch data the service read: what the card ledger records cards against. */
      request: HookRequest;
      prefetch: Readonly<Record<string, unknown>>;
      /**
       * Every piece of data the service read came in the request as sent: nothing was fetched and
       * no paged Bundle completed. The request body then stands for the data (the ledger's digest).
       */
      dataAsSent: boolean;
    }
  | { status: 400 | 412; body: OperationOutcome; outcome: 'bad-request' | 'precondition-failed' };

/**
 * The request's fhirServer is not one its caller may use (the SSRF allowlist): nothing is fetched
 * from it. `detail` says why, for the log (no credentials in it).
 */
export interface FhirServerRefused {
  refused: true;
  detail: string;
}

export interface InvokeDeps {
  deadlineMs: number;
  /**
   * Makes the FHIR gateway for this call's fhirServer and token: undefined when there is no
   * fhirServer, a refusal when the caller may not use that server (decided before any request).
   */
  gatewayFor(request: HookRequest): FhirGateway | FhirServerRefused | undefined;
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
    const access = deps.gatewayFor(request);
    const refused = access !== undefined && 'refused' in access;
    // Settles by the deadline: keys still missing then fail with cause `deadline`.
    const resolved = await resolvePrefetch({
      templates: service.definition.prefetch ?? {},
      context: request.context,
      provided: request.prefetch,
      gateway: refused ? undefined : access,
      fhirServerRefused: refused,
      signal: controller.signal,
      first: service.requiredPrefetch,
    });
    const outcomes = requireFound(resolved, service.requiredPrefetch);
    logPrefetch(log, outcomes);
    // Only when data was wanted from it: an EHR that prefetches everything may name any fhirServer.
    if (refused && outcomes.some((o) => o.source === 'failed' && o.cause === 'refused')) {
      log.warn({ reason: access.detail }, 'the request names a fhirServer its client may not use; nothing was fetched from it');
    }
    // A required key that could not be had, or any key still missing at the deadline: the service
    // has not run, and `200 []` would tell the EHR there is nothing to report. 412 says why.
    const missing = outcomes.flatMap((o) =>
      o.source === 'failed' && (service.requiredPrefetch.includes(o.key) || o.cause === 'deadline') ? [o] : [],
    );
    if (missing.length > 0) {
      log.warn(
        { missing: missing.map((o) => ({ key: o.key, cause: o.cause, ...(o.detail !== undefined && { detail: o.detail }) })), deadlineMs: deps.deadlineMs },
        'answering 412: data the service needs could not be had',
      );
      return { status: 412, body: preconditionFailed(missing, service.requiredPrefetch), outcome: 'precondition-failed' };
    }

    const emitted: Array<{ cards: Card[]; position: number }> = [];
    // Cards in the order of their position, then of emission (a stable sort).
    const answered = (): Card[] => emitted.sort((a, b) => a.position - b.position).flatMap((e) => e.cards);
    const prefetch = prefetchData(outcomes);
    const dataAsSent = outcomes.every((o) => o.source !== 'fetched' && (o.source !== 'client' || o.value === request.prefetch?.[o.key]));
    const run = service
      .run(
        { request, context: request.context, prefetch, log, signal: controller.signal },
        (ready, position = Number.MAX_SAFE_INTEGER) => {
          if (!controller.signal.aborted) emitted.push({ cards: ready, position });
        },
      )
      .then(() => 'done' as const);
    let finished: 'done' | typeof DEADLINE;
    try {
      finished = await raceDeadline(run, controller.signal);
    } catch (err) {
      // A failing service must not take the EHR's workflow down: answer with what is ready, and record it.
      log.error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'service logic failed');
      return { status: 200, body: { cards: conformCards(answered()) }, outcome: 'service-error', request, prefetch, dataAsSent };
    }
    if (finished === DEADLINE) {
      log.warn({ deadlineMs: deps.deadlineMs, ready: emitted.reduce((n, e) => n + e.cards.length, 0) }, 'hook deadline passed; answering with the cards that are ready');
      run.catch(() => undefined);
    }
    const conformed = conformCards(answered());
    return {
      status: 200,
      body: { cards: conformed },
      outcome: finished === DEADLINE ? 'deadline' : conformed.length > 0 ? 'cards' : 'no-cards',
      request,
      prefetch,
      dataAsSent,
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

type Failed = Extract<PrefetchOutcome, { source: 'failed' }>;

/**
 * One issue per key: which key, whether the service requires it, and a generic reason. Never the
 * network detail (refused connection, time-out, status): that would make Cairn a probe of
 * whatever the fhirServer names. The detail is in the log.
 */
function preconditionFailed(missing: Failed[], required: readonly string[]): OperationOutcome {
  const code = (o: Failed): OperationOutcomeIssue['code'] =>
    o.cause === 'deadline' ? 'timeout' : o.cause === 'refused' ? 'forbidden' : o.cause === 'template' ? 'exception' : 'not-found';
  return {
    resourceType: 'OperationOutcome',
    issue: missing.map((o) => ({
      severity: 'error',
      code: code(o),
      diagnostics: `${required.includes(o.key) ? 'required ' : ''}prefetch "${o.key}" could not be had: ${o.reason}`,
    })),
  };
}

function logPrefetch(log: Logger, outcomes: PrefetchOutcome[]): void {
  // Keys, sources and redacted reasons only: prefetch values are patient data and never logged.
  const sources = Object.fromEntries(outcomes.map((o) => [o.key, o.source]));
  const failures = outcomes.flatMap((o) =>
    o.source === 'failed' ? [{ key: o.key, cause: o.cause, reason: o.reason, ...(o.detail !== undefined && { detail: o.detail }) }] : [],
  );
  // A value the EHR sent that is not what the template asks for is the EHR's bug: say so.
  const replaced = outcomes.flatMap((o) => (o.source === 'fetched' && o.replaced !== undefined ? [{ key: o.key, problem: o.replaced }] : []));
  if (replaced.length > 0) log.warn({ replaced }, 'prefetch values that are not what their templates ask for were fetched instead');
  log.debug({ prefetchSources: sources, prefetchFailures: failures }, 'prefetch resolved');
}
