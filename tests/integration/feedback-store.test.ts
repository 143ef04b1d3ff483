import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { InvalidFeedbackError, listFeedback, saveFeedback, type FeedbackItem } from '../../src/feedback/store.js';
import { MAX_FEEDBACK_ITEMS } from '../../src/hooks/schema.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.js';

const SERVICE = 'statin-primary-prevention';

function accepted(card: string = randomUUID(), outcomeTimestamp = '2026-11-20T10:15:00Z'): FeedbackItem {
  return { card, outcome: 'accepted', acceptedSuggestions: [{ id: randomUUID() }], outcomeTimestamp };
}

function overridden(card: string = randomUUID(), outcomeTimestamp = '2026-11-20T10:16:00Z'): FeedbackItem {
  return {
    card,
    outcome: 'overridden',
    overrideReason: {
      reason: { code: 'patient-refused', system: 'http://example.org/cds-services/fhir/CodeSystem/override-reasons', display: 'Patient refused' },
      userComment: 'Discussed; will revisit in 3 months',
    },
    outcomeTimestamp,
  };
}

describe.each(databaseKinds)('feedback store on %s', (kind) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrate: true });
  });
  afterAll(async () => {
    await t?.dispose();
  });
  beforeEach(async () => {
    await t.db.query('TRUNCATE cds_feedback');
  });

  it('stores a batch and lists it back', async () => {
    const a = accepted();
    const o = overridden();
    expect(await saveFeedback(t.db, SERVICE, [a, o])).toEqual({ stored: 2, duplicates: 0 });

    const rows = await listFeedback(t.db, { serviceId: SERVICE });
    expect(rows).toHaveLength(2);
    const byCard = new Map(rows.map((r) => [r.cardUuid, r]));
    expect(byCard.get(a.card)).toMatchObject({
      serviceId: SERVICE,
      outcome: 'accepted',
      outcomeTimestamp: new Date(a.outcomeTimestamp),
      acceptedSuggestions: a.acceptedSuggestions,
      overrideReason: null,
      hookInstance: null,
    });
    expect(byCard.get(o.card)).toMatchObject({ outcome: 'overridden', overrideReason: o.overrideReason, acceptedSuggestions: null });
    expect(typeof rows[0]?.id).toBe('string');
    expect(rows[0]?.receivedAt).toBeInstanceOf(Date);
  });

  it('is idempotent for the same card, outcome and timestamp', async () => {
    const a = accepted();
    expect(await saveFeedback(t.db, SERVICE, [a])).toEqual({ stored: 1, duplicates: 0 });
    expect(await saveFeedback(t.db, SERVICE, [a])).toEqual({ stored: 0, duplicates: 1 });
    // The same instant written differently, and an upper-case uuid, are still the same feedback.
    const same = { ...a, card: a.card.toUpperCase(), outcomeTimestamp: '2026-11-20T11:15:00+01:00' };
    expect(await saveFeedback(t.db, SERVICE, [same])).toEqual({ stored: 0, duplicates: 1 });
    // Duplicates inside one batch count once.
    expect(await saveFeedback(t.db, SERVICE, [accepted(a.card, '2026-11-21T08:00:00Z'), accepted(a.card, '2026-11-21T08:00:00Z')])).toEqual({
      stored: 1,
      duplicates: 1,
    });
    expect(await listFeedback(t.db, { cardUuid: a.card })).toHaveLength(2);
  });

  it('keeps different outcomes, timestamps and services apart', async () => {
    const card = randomUUID();
    await saveFeedback(t.db, SERVICE, [accepted(card, '2026-11-20T10:00:00Z'), overridden(card, '2026-11-20T10:00:00Z')]);
    await saveFeedback(t.db, SERVICE, [accepted(card, '2026-11-20T10:00:01Z')]);
    await saveFeedback(t.db, 'another-service', [accepted(card, '2026-11-20T10:00:00Z')]);
    expect(await listFeedback(t.db, { cardUuid: card })).toHaveLength(4);
    expect(await listFeedback(t.db, { cardUuid: card, serviceId: SERVICE })).toHaveLength(3);
    expect(await listFeedback(t.db, { serviceId: 'another-service' })).toHaveLength(1);
    expect(await listFeedback(t.db, { cardUuid: randomUUID() })).toEqual([]);
  });

  it('stores nothing from a batch with one invalid item', async () => {
    const good = accepted();
    const bad = { ...accepted(), outcome: 'ignored' } as unknown as FeedbackItem; // violates the CHECK constraint
    const err = await saveFeedback(t.db, SERVICE, [good, bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidFeedbackError);
    expect(err).toMatchObject({ index: 1, sqlState: '23514' });
    expect(await listFeedback(t.db, {})).toEqual([]);
  });

  it('reports malformed uuids and timestamps as invalid input', async () => {
    await expect(saveFeedback(t.db, SERVICE, [accepted('not-a-uuid')])).rejects.toMatchObject({ index: 0, sqlState: '22P02' });
    await expect(saveFeedback(t.db, SERVICE, [accepted(undefined, 'yesterday-ish')])).rejects.toBeInstanceOf(InvalidFeedbackError);
    expect(await listFeedback(t.db, {})).toEqual([]);
  });

  it('names the bad item of a full batch, and stores none of it', async () => {
    const items = Array.from({ length: MAX_FEEDBACK_ITEMS }, () => accepted());
    items[57] = accepted('not-a-uuid');
    await expect(saveFeedback(t.db, SERVICE, items)).rejects.toMatchObject({ index: 57, sqlState: '22P02' });
    expect(await listFeedback(t.db, {})).toEqual([]);
  });

  it('stores a full batch in one go and refuses a larger one', async () => {
    const items = Array.from({ length: MAX_FEEDBACK_ITEMS }, (_, i) => (i % 2 ? accepted() : overridden()));
    expect(await saveFeedback(t.db, SERVICE, items)).toEqual({ stored: MAX_FEEDBACK_ITEMS, duplicates: 0 });
    expect(await listFeedback(t.db, { serviceId: SERVICE })).toHaveLength(MAX_FEEDBACK_ITEMS);
    await expect(saveFeedback(t.db, SERVICE, [...items, accepted()])).rejects.toBeInstanceOf(RangeError);
  });

  it('accepts an empty batch', async () => {
    expect(await saveFeedback(t.db, SERVICE, [])).toEqual({ stored: 0, duplicates: 0 });
  });

  it('handles concurrent saves of the same item without errors', async () => {
    const a = accepted();
    const results = await Promise.all(Array.from({ length: 10 }, () => saveFeedback(t.db, SERVICE, [a])));
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(9);
  });

  it('does not deadlock when concurrent batches hold the same items in opposite orders', async () => {
    const a = accepted();
    const b = overridden();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => saveFeedback(t.db, SERVICE, i % 2 === 0 ? [a, b] : [b, a])),
    );
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(2);
    expect(await listFeedback(t.db, { serviceId: SERVICE })).toHaveLength(2);
  });
});
