/**
 * Card analytics over the issued-card ledger and the feedback table, on PGlite and PostgreSQL: a
 * card's outcome is its latest feedback, cards without feedback are counted as such, override
 * reasons are counted by coding, and every day of the range has its point.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { feedbackAnalytics } from '../../src/feedback/analytics.js';
import { saveFeedback, type FeedbackItem } from '../../src/feedback/store.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { insertIssuedCard } from '../support/issued-cards.js';

const REASONS = 'https://cairn.example.org/fhir/CodeSystem/cds-override-reason';
const reason = (code: string, display: string) => ({ reason: { system: REASONS, code, display }, userComment: 'Patient Zephyrine declined, see note' });
const accepted = (card: string, at: string): FeedbackItem => ({ card, outcome: 'accepted', outcomeTimestamp: at });
const overridden = (card: string, at: string, why?: FeedbackItem['overrideReason']): FeedbackItem => ({ card, outcome: 'overridden', outcomeTimestamp: at, ...(why && { overrideReason: why }) });

describe.each(databaseKinds)('feedback analytics on %s', (kind) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrate: true });
    const card = (serviceId: string, ruleId: string | null, issuedAt: string) => insertIssuedCard(t.db, { serviceId, ruleId, issuedAt });
    // Triage, three days.
    const a = await card('triage', 'triage/news2-qsofa-esi', '2026-03-01T08:00:00Z');
    const b = await card('triage', 'triage/news2-qsofa-esi', '2026-03-01T23:59:59Z');
    const c = await card('triage', 'triage/news2-qsofa-esi', '2026-03-02T00:00:00Z');
    const d = await card('triage', 'triage/news2-qsofa-esi', '2026-03-02T12:00:00Z');
    const e = await card('triage', 'triage/news2-qsofa-esi', '2026-03-02T13:00:00Z');
    await card('triage', 'triage/news2-qsofa-esi', '2026-03-03T09:00:00Z');
    // Diagnosis: two kinds, one card without provenance.
    await card('diagnosis', null, '2026-03-02T10:00:00Z');
    const h = await card('diagnosis', 'diagnosis/ckd', '2026-03-03T10:00:00Z');
    // Outside the range, with feedback: not counted.
    const early = await card('triage', 'triage/news2-qsofa-esi', '2026-02-28T23:59:59Z');
    const late = await card('triage', 'triage/news2-qsofa-esi', '2026-03-04T00:00:00Z');

    await saveFeedback(t.db, 'triage', [
      accepted(a, '2026-03-01T08:05:00Z'),
      // Overridden, then accepted: the latest outcome counts.
      overridden(b, '2026-03-02T00:10:00Z', reason('already-addressed', 'Already addressed')),
      accepted(b, '2026-03-02T00:20:00Z'),
      overridden(c, '2026-03-02T00:05:00Z', reason('already-addressed', 'Already addressed')),
      overridden(d, '2026-03-02T12:05:00Z', reason('not-applicable', 'Not applicable to this patient')),
      overridden(e, '2026-03-02T13:05:00Z'),
      accepted(early, '2026-03-01T00:00:00Z'),
      accepted(late, '2026-03-04T00:01:00Z'),
    ]);
    await saveFeedback(t.db, 'diagnosis', [overridden(h, '2026-03-03T11:00:00Z', reason('already-addressed', 'Already addressed'))]);
    // Feedback stored under another service for a triage card is not that card's feedback.
    await saveFeedback(t.db, 'diagnosis', [accepted(await card('triage', 'triage/news2-qsofa-esi', '2026-03-03T12:00:00Z'), '2026-03-03T12:01:00Z')]);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('counts each kind of card by its latest outcome, with override reasons and a point for every day', async () => {
    const result = await feedbackAnalytics(t.db, { from: '2026-03-01', to: '2026-03-03' });
    expect(result.from).toBe('2026-03-01');
    expect(result.bucket).toBe('day');
    expect(result.totals).toEqual({ issued: 9, accepted: 2, overridden: 4, noFeedback: 3 });
    expect(result.kinds.map((k) => [k.serviceId, k.ruleId])).toEqual([
      ['diagnosis', 'diagnosis/ckd'],
      ['diagnosis', null],
      ['triage', 'triage/news2-qsofa-esi'],
    ]);
    const triage = result.kinds[2]!;
    expect(triage).toMatchObject({ issued: 7, accepted: 2, overridden: 3, noFeedback: 2 });
    expect(triage.overrideReasons).toEqual([
      { system: REASONS, code: 'already-addressed', display: 'Already addressed', count: 1 },
      { system: REASONS, code: 'not-applicable', display: 'Not applicable to this patient', count: 1 },
      { count: 1 },
    ]);
    expect(triage.series).toEqual([
      { day: '2026-03-01', issued: 2, accepted: 2, overridden: 0, noFeedback: 0 },
      { day: '2026-03-02', issued: 3, accepted: 0, overridden: 3, noFeedback: 0 },
      { day: '2026-03-03', issued: 2, accepted: 0, overridden: 0, noFeedback: 2 },
    ]);
    expect(result.kinds[0]).toMatchObject({ issued: 1, overridden: 1, overrideReasons: [{ code: 'already-addressed', count: 1 }] });
    expect(result.kinds[0]!.series.map((p) => p.issued)).toEqual([0, 0, 1]);
    expect(result.kinds[1]).toMatchObject({ issued: 1, noFeedback: 1, overrideReasons: [] });
    // Override comments are free text that may name the patient: never part of the answer.
    expect(JSON.stringify(result)).not.toContain('Zephyrine');
  });

  it('filters by service and range; an empty range has no kinds', async () => {
    const diagnosis = await feedbackAnalytics(t.db, { from: '2026-03-01', to: '2026-03-03', serviceId: 'diagnosis' });
    expect(diagnosis.totals).toEqual({ issued: 2, accepted: 0, overridden: 1, noFeedback: 1 });
    const oneDay = await feedbackAnalytics(t.db, { from: '2026-03-04', to: '2026-03-04' });
    expect(oneDay.totals).toEqual({ issued: 1, accepted: 1, overridden: 0, noFeedback: 0 });
    const none = await feedbackAnalytics(t.db, { from: '2025-01-01', to: '2025-01-31' });
    expect(none).toEqual({ from: '2025-01-01', to: '2025-01-31', bucket: 'day', totals: { issued: 0, accepted: 0, overridden: 0, noFeedback: 0 }, kinds: [] });
  });
});
