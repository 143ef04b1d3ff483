/**
 * The card ledger and the audit trail in memory, for HTTP tests that run createApp over a fake
 * database. They keep the same contract as the database-backed ones (src/ledger/issued-cards.ts,
 * src/audit/audit-trail.ts); tests of those run against real databases.
 */
import type { AuditRecord, StoredAuditRecord } from '../../src/audit/audit-event.js';
import type { AuditPageQuery, AuditSink } from '../../src/audit/audit-trail.js';
import type { AppRecords } from '../../src/http/app.js';
import type { IssuedCard, IssuedCardStore, StoredIssuedCard } from '../../src/ledger/issued-cards.js';
import { patientKey } from '../../src/ledger/pseudonym.js';

export class MemoryLedger implements IssuedCardStore {
  readonly entries = new Map<string, StoredIssuedCard>();
  /** What each record call said of other hook calls under way, in order. */
  readonly othersInProgress: (boolean | undefined)[] = [];
  async record(entries: readonly IssuedCard[], options: { othersInProgress?: boolean } = {}): Promise<void> {
    this.othersInProgress.push(options.othersInProgress);
    for (const e of entries) if (!this.entries.has(e.cardUuid)) this.entries.set(e.cardUuid, { ...e, issuedAt: new Date() });
  }
  async find(serviceId: string, cardUuids: readonly string[]): Promise<Map<string, StoredIssuedCard>> {
    const out = new Map<string, StoredIssuedCard>();
    for (const uuid of cardUuids) {
      const e = this.entries.get(uuid.toLowerCase());
      if (e && e.serviceId === serviceId) out.set(e.cardUuid, e);
    }
    return out;
  }
  /** A card as if issued by `serviceId` in an earlier hook call, so feedback may name it. */
  issue(serviceId: string, cardUuid: string, suggestionUuids: string[] = []): void {
    const uuid = cardUuid.toLowerCase();
    this.entries.set(uuid, {
      cardUuid: uuid,
      serviceId,
      hook: 'patient-view',
      hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
      patientKey: null,
      summary: 'a card',
      indicator: 'info',
      suggestionUuids: suggestionUuids.map((s) => s.toLowerCase()),
      cairnVersion: null,
      ruleId: null,
      ruleVersion: null,
      guidelines: [],
      inputDigest: '',
      cardDigest: '',
      issuedAt: new Date(),
    });
  }
}

export class MemoryAudit implements AuditSink {
  readonly records: StoredAuditRecord[] = [];
  record(r: AuditRecord): void {
    this.records.push({ ...r, id: String(this.records.length + 1), recordedAt: new Date() });
  }
  async page(query: AuditPageQuery): Promise<StoredAuditRecord[]> {
    return this.records
      .filter((r) => query.before === undefined || Number(r.id) < Number(query.before))
      .reverse()
      .slice(0, query.count);
  }
}

export function memoryRecords(): AppRecords & { ledger: MemoryLedger; audit: MemoryAudit } {
  return { ledger: new MemoryLedger(), audit: new MemoryAudit(), patientKey: async (p) => patientKey('test-secret', p) };
}
