/**
 * Issued-card ledger rows written straight into the database with a chosen issue time, for tests
 * of what is computed over the ledger (analytics, an app's list of a patient's cards): the ledger
 * itself always stamps `now()`.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/db/database.js';

export interface TestIssuedCard {
  serviceId: string;
  ruleId: string | null;
  issuedAt: string;
  uuid?: string;
  /** The pseudonymous patient key; default none (a card without a patient). */
  patientKey?: string;
  summary?: string;
  indicator?: 'info' | 'warning' | 'critical';
  suggestionUuids?: string[];
}

export async function insertIssuedCard(db: Queryable, card: TestIssuedCard): Promise<string> {
  const uuid = card.uuid ?? randomUUID();
  await db.query(
    `INSERT INTO issued_cards (card_uuid, service_id, hook, hook_instance, issued_at, patient_key, summary, indicator, suggestion_uuids, rule_id, rule_version, input_digest, card_digest)
     VALUES ($1, $2, 'patient-view', $3, $4::timestamptz, $5, $6, $7, $8, $9, $10, 'digest', 'card-digest')`,
    [
      uuid,
      card.serviceId,
      randomUUID(),
      card.issuedAt,
      card.patientKey ?? null,
      card.summary ?? 'a card',
      card.indicator ?? 'info',
      JSON.stringify(card.suggestionUuids ?? []),
      card.ruleId,
      card.ruleId === null ? null : '1',
    ],
  );
  return uuid;
}
