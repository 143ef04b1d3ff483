/**
 * Retention of the issued-card ledger and the audit trail (CAIRN_CARD_RETENTION_DAYS,
 * CAIRN_AUDIT_RETENTION_DAYS): entries past it are deleted once at start-up and then every few
 * hours. A failed purge is logged and tried again at the next round; nothing else depends on it.
 */
import type { Logger } from 'pino';
import type { RecordsConfig } from '../config.js';

/** The ledger (issued-cards.ts) and the audit trail (src/audit/audit-trail.ts), as far as retention needs them. */
interface Purgeable {
  purgeOlderThan(days: number): Promise<number>;
}
type Records = { ledger: Purgeable; audit: Purgeable };

export const PURGE_INTERVAL_MS = 6 * 3600_000;

export async function purgeExpired(records: Records, config: RecordsConfig, log: Logger): Promise<void> {
  try {
    const cards = await records.ledger.purgeOlderThan(config.cardRetentionDays);
    const audit = await records.audit.purgeOlderThan(config.auditRetentionDays);
    if (cards + audit > 0) log.info({ cards, audit, cardRetentionDays: config.cardRetentionDays, auditRetentionDays: config.auditRetentionDays }, 'expired ledger and audit entries deleted');
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'purging expired ledger and audit entries failed; trying again later');
  }
}

/** Purges now and every PURGE_INTERVAL_MS; the returned function stops it. */
export function schedulePurge(records: Records, config: RecordsConfig, log: Logger): () => void {
  void purgeExpired(records, config, log);
  const timer = setInterval(() => void purgeExpired(records, config, log), PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
