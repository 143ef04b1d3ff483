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
  const stored = {
    card_uuid: uuid,
    summary: card.summary ?? 'a card',
    indicator: card.indicator ?? 'info',
    suggestion_uuids: card.suggestionUuids ?? [],
    cairn_version: null,
    rule_id: card.ruleId,
    rule_version: card.ruleId === null ? null : '1',
    guidelines: [],
    card_digest: 'card-digest',
  };
  await db.query(
    `INSERT INTO issued_answers (card_uuids, service_id, hook, hook_instance, issued_at, patient_key, input_digest, cards)
     VALUES (ARRAY[$1::uuid], $2, 'patient-view', $3, $4::timestamptz, $5, 'digest', $6::jsonb)`,
    [uuid, card.serviceId, randomUUID(), card.issuedAt, card.patientKey ?? null, JSON.stringify([stored])],
  );
  return uuid;
}
