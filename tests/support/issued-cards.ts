/**
 * Issued-card ledger rows written straight into the database with a chosen issue time, for tests
 * of what is computed over the ledger (analytics): the ledger itself always stamps `now()`.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/database.js';

export async function insertIssuedCard(db: Queryable, card: { serviceId: string; ruleId: string | null; issuedAt: string; uuid?: string }): Promise<string> {
  const uuid = card.uuid ?? randomUUID();
  await db.query(
    `INSERT INTO issued_cards (card_uuid, service_id, hook, hook_instance, issued_at, patient_key, summary, indicator, rule_id, rule_version, input_digest, card_digest)
     VALUES ($1, $2, 'patient-view', $3, $4::timestamptz, NULL, 'a card', 'info', $5, $6, 'digest', 'card-digest')`,
    [uuid, card.serviceId, randomUUID(), card.issuedAt, card.ruleId, card.ruleId === null ? null : '1'],
  );
  return uuid;
}
