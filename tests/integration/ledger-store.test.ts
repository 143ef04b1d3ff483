/**
 * The issued-card ledger and the audit trail on both databases: entries are found by their
 * service only, concurrent records go in together, retention deletes what is past it, and the
 * pseudonym secret is made once and kept.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { createLogger } from '../../src/log.js';
import { migrate, migrations } from '../../src/db/migrations.js';
import { CardLedger, issuedCardsOfPatient, ledgerEntries } from '../../src/ledger/issued-cards.js';
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

  it('stores the cards of one answer in one row, apart from the next answer, and finds each card', async () => {
    const ledger = new CardLedger(t.db);
    const answer = (hookInstance: string, n: number) =>
      ledgerEntries({
        serviceId: 'diagnosis',
        request: { hook: 'patient-view', hookInstance },
        patientKey: null,
        inputDigest: 'c'.repeat(64),
        cards: Array.from({ length: n }, (_, i) => ({ uuid: randomUUID().toUpperCase(), summary: `card ${i}`, indicator: 'info' as const, source: { label: 'Cairn' } })),
      });
    const [first, second] = [answer(randomUUID(), 4), answer(randomUUID(), 2)];
    await ledger.record([...first, ...second]);
    const rows = await t.db.query<{ hook_instance: string; n: number }>(
      `SELECT hook_instance, cardinality(card_uuids) AS n FROM issued_answers WHERE hook_instance = ANY($1::text[]) ORDER BY n DESC`,
      [[first[0]!.hookInstance, second[0]!.hookInstance]],
    );
    expect(rows.rows).toEqual([
      { hook_instance: first[0]!.hookInstance, n: 4 },
      { hook_instance: second[0]!.hookInstance, n: 2 },
    ]);
    const found = await ledger.find('diagnosis', [first[2]!.cardUuid, second[1]!.cardUuid]);
    expect([...found.values()].map((c) => c.summary).sort()).toEqual(['card 1', 'card 2']);
    expect(found.get(first[2]!.cardUuid.toLowerCase())?.hookInstance).toBe(first[0]!.hookInstance);
  });

  it("keeps a card's provenance once, named by key from every card that shares it, and reads it back with each card", async () => {
    const provenance = (ruleVersion: string) => ({
      cairnVersion: '9.9.9-test',
      rule: { id: 'dx/test-rule', version: ruleVersion },
      guidelines: [{ documentId: `doc-${randomUUID()}`, version: '2021', contentHash: 'd'.repeat(64) }],
    });
    const [p1, p2] = [provenance('1'), provenance('2')];
    const answer = (p: ReturnType<typeof provenance>) =>
      ledgerEntries({
        serviceId: 'diagnosis',
        request: { hook: 'patient-view', hookInstance: randomUUID() },
        patientKey: null,
        inputDigest: 'e'.repeat(64),
        cards: [1, 2].map((i) => ({ uuid: randomUUID(), summary: `card ${i}`, indicator: 'info' as const, source: { label: 'Cairn' }, extension: { 'cairn-provenance': p } })),
      });
    // Two instances on one database (each remembers only what it stored itself), then one again.
    const [one, two] = [new CardLedger(t.db), new CardLedger(t.db)];
    const answers = [answer(p1), answer(p1), answer(p2), answer(p1)];
    await Promise.all([one.record(answers[0]!), two.record(answers[1]!), one.record(answers[2]!)]);
    await one.record(answers[3]!);

    const stored = await t.db.query<{ rule_version: string; n: number }>(
      `SELECT rule_version, count(*)::int AS n FROM card_provenance WHERE cairn_version = '9.9.9-test' GROUP BY rule_version ORDER BY rule_version`,
    );
    expect(stored.rows).toEqual([
      { rule_version: '1', n: 1 },
      { rule_version: '2', n: 1 },
    ]);
    const rows = await t.db.query<{ cards: string }>(`SELECT cards::text AS cards FROM issued_answers WHERE hook_instance = $1`, [answers[2]![0]!.hookInstance]);
    expect(rows.rows[0]!.cards).not.toContain(p2.guidelines[0]!.documentId);

    const all = answers.flat();
    const found = await one.find('diagnosis', all.map((e) => e.cardUuid));
    expect(found.size).toBe(8);
    for (const e of all) {
      const p = e.ruleVersion === '1' ? p1 : p2;
      expect(found.get(e.cardUuid)).toMatchObject({ cairnVersion: '9.9.9-test', ruleId: 'dx/test-rule', ruleVersion: p.rule.version, guidelines: p.guidelines });
    }
  });

  it('deletes ledger and audit entries past their retention, and keeps the rest', async () => {
    const ledger = new CardLedger(t.db);
    const audit = new AuditTrail(t.db, createLogger('silent'));
    const [old, recent] = [entry('triage'), entry('triage')];
    await ledger.record([old, recent]);
    await t.db.query(`UPDATE issued_answers SET issued_at = now() - interval '40 days' WHERE card_uuids @> ARRAY[$1::uuid]`, [old.cardUuid]);
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

describe('migration 011: cards recorded one row each before it', () => {
  it('keeps every card, found by its uuid and its patient, with the same fields, and purges by issue time', async () => {
    const t = await openTestDatabase('pglite');
    try {
      const upTo = migrations.findIndex((m) => m.name === '011_issued_answers');
      await migrate(t.db, migrations.slice(0, upTo));
      const [a, b] = [randomUUID(), randomUUID()];
      const guidelines = [{ id: 'uspstf-hypertension', version: '2021', contentHash: 'c'.repeat(64) }];
      for (const [uuid, issuedAt] of [[a, '2026-01-02T03:04:05Z'], [b, '2020-01-01T00:00:00Z']] as const) {
        await t.db.query(
          `INSERT INTO issued_cards (card_uuid, service_id, hook, hook_instance, issued_at, patient_key, summary, indicator, suggestion_uuids, cairn_version, rule_id, rule_version, guidelines, input_digest, card_digest)
           VALUES ($1, 'diagnosis', 'patient-view', 'hi-1', $2, $3, 'Stage 2 hypertension', 'warning', $4, '0.1.0', 'dx/hypertension', '2', $5, 'body:in', 'card')`,
          [uuid, issuedAt, 'p'.repeat(32), JSON.stringify([`${uuid.slice(0, 8)}-0000-4000-8000-000000000000`]), JSON.stringify(guidelines)],
        );
      }
      await migrate(t.db);
      const ledger = new CardLedger(t.db);
      const found = await ledger.find('diagnosis', [a.toUpperCase(), b]);
      expect(found.get(a)).toEqual({
        cardUuid: a,
        serviceId: 'diagnosis',
        hook: 'patient-view',
        hookInstance: 'hi-1',
        issuedAt: new Date('2026-01-02T03:04:05Z'),
        patientKey: 'p'.repeat(32),
        summary: 'Stage 2 hypertension',
        indicator: 'warning',
        suggestionUuids: [`${a.slice(0, 8)}-0000-4000-8000-000000000000`],
        cairnVersion: '0.1.0',
        ruleId: 'dx/hypertension',
        ruleVersion: '2',
        guidelines,
        inputDigest: 'body:in',
        cardDigest: 'card',
      });
      expect((await issuedCardsOfPatient(t.db, 'p'.repeat(32), { limit: 10 })).map((c) => c.cardUuid)).toEqual([a, b]);
      // Retention counts cards, as it did when they were rows.
      expect(await ledger.purgeOlderThan(365 * 3)).toBe(1);
      expect(await ledger.get(b)).toBeUndefined();
      expect(await ledger.get('not-a-uuid')).toBeUndefined();
    } finally {
      await t.dispose();
    }
  });
});
