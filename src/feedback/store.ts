/**
 * CDS Hooks feedback (POST {baseUrl}/cds-services/{id}/feedback) persisted in `cds_feedback`.
 *
 * Idempotent: the same card, outcome and outcome timestamp for a service is stored once, so a
 * client may safely retry. One request is all or nothing, and at most MAX_FEEDBACK_ITEMS long.
 */
import { sqlState, type Database, type Queryable } from '../db/database.js';
import { MAX_FEEDBACK_ITEMS } from '../hooks/schema.js';

export interface FeedbackItem {
  /** The card's uuid. */
  card: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions?: { id: string }[];
  overrideReason?: { reason?: { code: string; system: string; display?: string }; userComment?: string };
  outcomeTimestamp: string;
}

export interface SaveFeedbackResult {
  stored: number;
  duplicates: number;
}

export interface StoredFeedback {
  id: string;
  serviceId: string;
  cardUuid: string;
  outcome: 'accepted' | 'overridden';
  outcomeTimestamp: Date;
  acceptedSuggestions: { id: string }[] | null;
  overrideReason: FeedbackItem['overrideReason'] | null;
  receivedAt: Date;
  hookInstance: string | null;
}

export interface FeedbackFilter {
  serviceId?: string;
  cardUuid?: string;
  /** Default 1000. */
  limit?: number;
}

/** An item the database rejected (bad uuid or timestamp, unknown outcome): a client error, not ours. */
export class InvalidFeedbackError extends Error {
  constructor(
    readonly index: number,
    readonly sqlState: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`feedback item ${index}: ${message}`, options);
    this.name = 'InvalidFeedbackError';
  }
}

const COLUMNS = 7;
const INSERT_PREFIX = `
  INSERT INTO cds_feedback
    (service_id, card_uuid, outcome, outcome_timestamp, accepted_suggestions, override_reason, hook_instance)
  VALUES `;
const ON_CONFLICT = `
  ON CONFLICT (service_id, card_uuid, outcome, outcome_timestamp) DO NOTHING`;

/** Same order for every request, so two concurrent batches lock rows in the same order (no deadlock on PostgreSQL). */
function lockOrder(items: readonly FeedbackItem[]): { item: FeedbackItem; index: number }[] {
  const key = (i: FeedbackItem) => [i.card.toLowerCase(), i.outcome, Date.parse(i.outcomeTimestamp)] as const;
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => {
      const [ca, oa, ta] = key(a.item);
      const [cb, ob, tb] = key(b.item);
      if (ca !== cb) return ca < cb ? -1 : 1;
      if (oa !== ob) return oa < ob ? -1 : 1;
      if (ta !== tb && !Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
      return a.index - b.index;
    });
}

/** The hook call each card was issued in (from the card ledger), by lower-case card uuid. */
export type HookInstances = ReadonlyMap<string, string>;

function rowParams(serviceId: string, item: FeedbackItem, hookInstances: HookInstances): unknown[] {
  return [
    serviceId,
    item.card,
    item.outcome,
    item.outcomeTimestamp,
    // Strings, not objects: node-postgres would send an array as a PostgreSQL array literal.
    item.acceptedSuggestions === undefined ? null : JSON.stringify(item.acceptedSuggestions),
    item.overrideReason === undefined ? null : JSON.stringify(item.overrideReason),
    hookInstances.get(item.card.toLowerCase()) ?? null,
  ];
}

/** Class 22 (bad uuid, timestamp…) and 23 (check constraint, not null): the input's fault. */
function isInputError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

/** One multi-row INSERT for the whole batch: one round trip (and one statement for PGlite) per request. */
async function insertAll(tx: Queryable, serviceId: string, ordered: readonly { item: FeedbackItem }[], hookInstances: HookInstances): Promise<number> {
  const tuples = ordered.map((_, row) => `(${Array.from({ length: COLUMNS }, (_, col) => `$${row * COLUMNS + col + 1}`).join(', ')})`);
  const res = await tx.query(INSERT_PREFIX + tuples.join(',\n         ') + ON_CONFLICT, ordered.flatMap(({ item }) => rowParams(serviceId, item, hookInstances)));
  return res.rowCount;
}

async function insertOne(tx: Queryable, serviceId: string, item: FeedbackItem, index: number, hookInstances: HookInstances): Promise<number> {
  try {
    const res = await tx.query(`${INSERT_PREFIX}($1, $2, $3, $4, $5, $6, $7)${ON_CONFLICT}`, rowParams(serviceId, item, hookInstances));
    return res.rowCount;
  } catch (err) {
    if (isInputError(err)) {
      throw new InvalidFeedbackError(index, sqlState(err) ?? '', err instanceof Error ? err.message : String(err), { cause: err });
    }
    throw err;
  }
}

/**
 * Stores a batch in one transaction. The HTTP layer bounds a batch at MAX_FEEDBACK_ITEMS; so does
 * this function (a RangeError past it), since one statement per batch must stay small.
 */
export async function saveFeedback(db: Database, serviceId: string, items: FeedbackItem[], hookInstances: HookInstances = new Map()): Promise<SaveFeedbackResult> {
  if (items.length === 0) return { stored: 0, duplicates: 0 };
  if (items.length > MAX_FEEDBACK_ITEMS) throw new RangeError(`at most ${MAX_FEEDBACK_ITEMS} feedback items per batch, got ${items.length}`);
  const ordered = lockOrder(items);
  let stored: number;
  try {
    stored = await db.transaction((tx) => insertAll(tx, serviceId, ordered, hookInstances));
  } catch (err) {
    if (!isInputError(err)) throw err;
    // The statement does not say which row was bad: insert one by one to name it (this throws
    // InvalidFeedbackError at that row and rolls back, so the request stays all or nothing).
    stored = await db.transaction(async (tx) => {
      let count = 0;
      for (const { item, index } of ordered) count += await insertOne(tx, serviceId, item, index, hookInstances);
      return count;
    });
  }
  return { stored, duplicates: items.length - stored };
}

interface FeedbackRow {
  id: string;
  service_id: string;
  card_uuid: string;
  outcome: 'accepted' | 'overridden';
  outcome_timestamp: Date;
  accepted_suggestions: { id: string }[] | null;
  override_reason: FeedbackItem['overrideReason'] | null;
  received_at: Date;
  hook_instance: string | null;
}

function fromRow(r: FeedbackRow): StoredFeedback {
  return {
    id: r.id,
    serviceId: r.service_id,
    cardUuid: r.card_uuid,
    outcome: r.outcome,
    outcomeTimestamp: r.outcome_timestamp,
    acceptedSuggestions: r.accepted_suggestions,
    overrideReason: r.override_reason,
    receivedAt: r.received_at,
    hookInstance: r.hook_instance,
  };
}

/**
 * Each card's latest feedback (by outcome timestamp, then arrival), keyed by lower-case card uuid:
 * its outcome as analytics counts it (a card overridden and later accepted is accepted).
 */
export async function latestFeedback(db: Queryable, cardUuids: readonly string[]): Promise<Map<string, StoredFeedback>> {
  if (cardUuids.length === 0) return new Map();
  const res = await db.query<FeedbackRow>(
    `SELECT DISTINCT ON (card_uuid) id, service_id, card_uuid, outcome, outcome_timestamp, accepted_suggestions, override_reason,
            received_at, hook_instance
       FROM cds_feedback
      WHERE card_uuid::text = ANY($1::text[])
      ORDER BY card_uuid, outcome_timestamp DESC, id DESC`,
    [cardUuids.map((u) => u.toLowerCase())],
  );
  return new Map(res.rows.map((r) => [r.card_uuid, fromRow(r)]));
}

export async function listFeedback(db: Queryable, filter: FeedbackFilter = {}): Promise<StoredFeedback[]> {
  const res = await db.query<FeedbackRow>(
    `SELECT id, service_id, card_uuid, outcome, outcome_timestamp, accepted_suggestions, override_reason,
            received_at, hook_instance
       FROM cds_feedback
      WHERE ($1::text IS NULL OR service_id = $1)
        AND ($2::uuid IS NULL OR card_uuid = $2)
      ORDER BY id
      LIMIT $3`,
    [filter.serviceId ?? null, filter.cardUuid ?? null, filter.limit ?? 1000],
  );
  return res.rows.map(fromRow);
}
