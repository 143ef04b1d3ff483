/** How current a trial's status is (src/services/trials/status-date.ts): the date, its label, when it is stale. */
import { describe, expect, it } from '@jest/globals';
import { dayLabel, DEFAULT_TRIAL_STALE_DAYS, statusAsOfText, statusDate } from '../../src/services/trials/status-date.js';
import { fetchDateOf } from '../../src/services/trials/store/trial-store.js';

const NOW = new Date('2025-05-20T12:00:00Z');

describe('statusDate', () => {
  it.each([
    // fetched at, stale after (days), as of, age (days), stale
    ['2025-05-20T11:00:00Z', 30, '2025-05-20', 0, false],
    ['2025-05-10T08:00:00.000Z', 30, '2025-05-10', 10, false],
    ['2025-04-20T12:00:00Z', 30, '2025-04-20', 30, false], // exactly 30 days: not older
    ['2025-04-20T11:59:59Z', 30, '2025-04-20', 30, true], // a second more
    ['2025-04-19T12:00:00Z', 30, '2025-04-19', 31, true],
    ['2023-02-03T00:00:00Z', 30, '2023-02-03', 837, true], // the demo snapshot
    ['2025-05-19T00:00:00Z', 1, '2025-05-19', 1, true],
    ['2025-05-21T00:00:00Z', 30, '2025-05-21', -1, false], // a clock behind the stored date: not stale
    ['2025-05-19T23:30:00-05:00', 30, '2025-05-20', 0, false], // the day is the UTC day
  ])('read %s, stale after %i days → as of %s, %i days old, stale %s', (fetchedAt, days, asOf, ageDays, stale) => {
    expect(statusDate(fetchedAt, NOW, days)).toEqual({ asOf, ageDays, stale });
  });

  it('refuses what is not a date', () => {
    expect(() => statusDate('yesterday', NOW, 30)).toThrow('not a date');
  });

  it('defaults to 30 days', () => {
    expect(DEFAULT_TRIAL_STALE_DAYS).toBe(30);
  });
});

describe('dayLabel and statusAsOfText', () => {
  it.each([
    ['2023-02-03', '3 Feb 2023'],
    ['2025-12-31', '31 Dec 2025'],
    ['2024-01-01T00:00:00Z', '1 Jan 2024'],
  ])('%s → %s', (iso, label) => {
    expect(dayLabel(iso)).toBe(label);
  });

  it.each([
    [{ asOf: '2023-02-03', ageDays: 837, stale: true }, 'status as of 3 Feb 2023 — may be out of date'],
    [{ asOf: '2025-05-10', ageDays: 10, stale: false }, 'status as of 10 May 2025'],
  ])('%j → %s', (d, text) => {
    expect(statusAsOfText(d)).toBe(text);
  });
});

describe('fetchDateOf: the fetch date an import writes', () => {
  const now = new Date('2025-05-20T12:00:00Z');
  const given = new Date('2025-05-01T09:30:00Z');
  it.each([
    ['the importer\'s fetch time wins', { snapshotDate: '2023-02-03' }, given, given.toISOString()],
    ['else the snapshot date the record names', { snapshotDate: '2023-02-03' }, undefined, '2023-02-03T00:00:00.000Z'],
    ['else now', {}, undefined, now.toISOString()],
  ])('%s', (_name, record, fetchedAt, expected) => {
    expect(fetchDateOf(record, fetchedAt, now).toISOString()).toBe(expected);
  });
});
