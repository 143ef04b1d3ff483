import type { Logger } from 'pino';
import type { PrefetchData } from './prefetch/resolve.js';
import type { Card, HookRequest, ServiceDefinition } from './schema.js';

/** What a CDS service's logic receives for one hook call. */
export interface HookInput {
  request: HookRequest;
  context: Record<string, unknown>;
  /** Resolved prefetch by key: a resource, null (no such data) or undefined (not applicable / not had). */
  prefetch: PrefetchData;
  log: Logger;
  /** Aborted when the hook deadline passes: stop work, the answer has gone. */
  signal: AbortSignal;
}

/**
 * A CDS service: its discovery definition (from `cds-hooks/<id>.json`) and its logic. The logic
 * hands cards to `emit` as soon as each is ready, so that at the hook deadline Cairn can answer
 * with the cards that are done instead of hanging. `position` says where they go in the answer
 * (by position, then in the order emitted): a service whose cards are ready in an order that
 * depends on timing (a cold cache, a slow search) passes it, so the same record always gets its
 * cards in the same order.
 */
export interface CdsService {
  definition: ServiceDefinition;
  /** Prefetch keys without which the service cannot decide: 412 when they cannot be had. */
  requiredPrefetch: readonly string[];
  run(input: HookInput, emit: (cards: Card[], position?: number) => void): Promise<void>;
}

/** The logic half of a service, registered in code under the definition's id. */
export type ServiceLogic = CdsService['run'];
