/**
 * The issued-card ledger and the audit trail on both databases: entries are found by their
 * service only, concurrent records go in together, retention deletes what is past it, and the
 * pseudonym secret is made once and kept.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { createLogger } from '../../src/log.js';
import { CardLedger, ledgerEntries } from '../../src/ledger/issued-cards.js';
import { storedSecret } from '../../src/ledger/pseudonym.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.js';

describe.each(databaseKinds)('card ledger and audit trail on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrate: true });
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
  });

  const entry = (serviceId: string) =>
    ledgerEntries({
      serviceId,
      request: { hook: 'patient-view', hookInstance: randomUUID() },
      patientKey: 'a'.repeat(32),
      inputDigest: 'b'.repeat(64),
      cards: [{ uuid: randomUUID(), summary: 'S', indicator: 'info', source: { label: 'Cairn' }, suggestions: [{ label: 'x', uuid: randomUUID() }] }],
    })[0]!;

  it('records concurrent hook answers and finds each card under its own service only', async () => {
    const ledger = new CardLedger(t.db);
    const entries = Array.from({ length: 30 }, (_, i) => entry(i % 2 === 0 ? 'triage' : 'diagnosis'));
    await Promise.all(entries.map((e) => ledger.record([e])));
    const triage = entries.filter((e) => e.serviceId === 'triage').map((e) => e.cardUuid.toUpperCase());
    const found = await ledger.find('triage', [...triage, entries[1]!.cardUuid, randomUUID()]);
    expect([...found.keys()].sort()).toEqual(triage.map((u) => u.toLowerCase()).sort());
    const one = found.get(triage[0]!.toLowerCase())!;
    expect(one).toMatchObject({ hook: 'patient-view', patientKey: 'a'.repeat(32), summary: 'S', suggestionUuids: entries[0]!.suggestionUuids });
    expect(one.cardDigest).toBe(entries[0]!.cardDigest);
    expect(one.issuedAt).toBeInstanceOf(Date);
  });

  it('deletes ledger and audit entries past their retention, and keeps the rest', async () => {
    const ledger = new CardLedger(t.db);
    const audit = new AuditTrail(t.db, createLogger('silent'));
    const [old, recent] = [entry('triage'), entry('triage')];
    await ledger.record([old, recent]);
    await t.db.query(`UPDATE issued_cards SET issued_at = now() - interval '40 days' WHERE card_uuid = $1`, [old.cardUuid]);
    for (const outcome of ['old', 'new']) audit.record({ action: 'hook', method: 'POST', route: '/cds-services/:id', status: 200, outcome, durationMs: 3 });
    await audit.flush();
    await t.db.query(`UPDATE audit_events SET recorded_at = now() - interval '40 days' WHERE outcome = 'old'`);
    expect(await ledger.purgeOlderThan(30)).toBeGreaterThanOrEqual(1);
    expect(await ledger.get(old.cardUuid)).toBeUndefined();
    expect(await ledger.get(recent.cardUuid)).toBeDefined();
    expect(await audit.purgeOlderThan(30)).toBe(1);
    expect((await audit.page({ count: 10 })).map((r) => r.outcome)).toEqual(['new']);
  });

  it('pages the audit trail newest first, by id', async () => {
    const audit = new AuditTrail(t.db, createLogger('silent'));
    for (let i = 0; i < 5; i++) audit.record({ action: 'feedback', method: 'POST', route: '/cds-services/:id/feedback', status: 200, outcome: `n${i}`, durationMs: 1 });
    await audit.flush();
    const first = await audit.page({ count: 2 });
    const second = await audit.page({ count: 2, before: first[1]!.id });
    expect([...first, ...second].map((r) => r.outcome)).toEqual(['n4', 'n3', 'n2', 'n1']);
  });

  it('makes the pseudonym secret once and returns the same one to every caller', async () => {
    const secrets = await Promise.all([storedSecret(t.db), storedSecret(t.db), storedSecret(t.db)]);
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]!.length).toBeGreaterThanOrEqual(40);
  });
});
