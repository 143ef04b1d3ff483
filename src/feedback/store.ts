/**
 * CDS Hooks feedback (POST {baseUrl}/cds-services/{id}/feedback) persisted in `cds_feedback`.
 *
 * Idempotent: the same card, outcome and outcome timestamp for a service is stored once, so a
 * client may safely retry. One request is all or nothing.
 */
import { sqlState, type Database, type Queryable } from '../db/database.js';

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

const INSERT_SQL = `
  INSERT INTO cds_feedback
    (service_id, card_uuid, outcome, outcome_timestamp, accepted_suggestions, override_reason)
  VALUES ($1, $2, $3, $4, $5, $6)
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

async function insertOne(tx: Queryable, serviceId: string, item: FeedbackItem, index: number): Promise<number> {
  try {
    const res = await tx.query(INSERT_SQL, [
      serviceId,
      item.card,
      item.outcome,
      item.outcomeTimestamp,
      // Strings, not objects: node-postgres would send an array as a PostgreSQL array literal.
      item.acceptedSuggestions === undefined ? null : JSON.stringify(item.acceptedSuggestions),
      item.overrideReason === undefined ? null : JSON.stringify(item.overrideReason),
    ]);
    return res.rowCount;
  } catch (err) {
    const code = sqlState(err);
    // Class 22 (bad uuid, timestamp…) and 23 (check constraint, not null): the input's fault.
    if (code && (code.startsWith('22') || code.startsWith('23'))) {
      throw new InvalidFeedbackError(index, code, err instanceof Error ? err.message : String(err), { cause: err });
    }
    throw err;
  }
}

export async function saveFeedback(db: Database, serviceId: string, items: FeedbackItem[]): Promise<SaveFeedbackResult> {
  if (items.length === 0) return { stored: 0, duplicates: 0 };
  const stored = await db.transaction(async (tx) => {
    let count = 0;
    for (const { item, index } of lockOrder(items)) count += await insertOne(tx, serviceId, item, index);
    return count;
  });
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
  return res.rows.map((r) => ({
    id: r.id,
    serviceId: r.service_id,
    cardUuid: r.card_uuid,
    outcome: r.outcome,
    outcomeTimestamp: r.outcome_timestamp,
    acceptedSuggestions: r.accepted_suggestions,
    overrideReason: r.override_reason,
    receivedAt: r.received_at,
    hookInstance: r.hook_instance,
  }));
}
