/** Guideline currency (src/knowledge/corpus/currency.ts): review dates and known newer editions. */
import { describe, expect, it } from '@jest/globals';
import { checkCurrency, formatCurrencyReport } from '../../../src/knowledge/corpus/currency.js';

const doc = (over: Partial<Parameters<typeof checkCurrency>[0][number]> = {}) => ({
  id: 'doc-a',
  year: 2021,
  version: '2021-04-27',
  lastReviewed: '2026-12-06',
  nextReview: '2027-12-06',
  ...over,
});

describe('guideline currency', () => {
  it('passes a document within its review date, on the review day itself too', () => {
    for (const today of ['2026-12-06', '2027-12-06']) {
      const report = checkCurrency([doc()], today);
      expect(report.ok).toBe(true);
      expect(report.rows[0]).toMatchObject({ id: 'doc-a', version: '2021-04-27', problems: [] });
    }
    expect(checkCurrency([doc()], '2027-12-05').rows[0]?.daysToReview).toBe(1);
  });

  it('fails a document the day after its next review', () => {
    const report = checkCurrency([doc()], '2027-12-07');
    expect(report.ok).toBe(false);
    expect(report.rows[0]).toMatchObject({ daysToReview: -1, problems: ['past-review'] });
    expect(formatCurrencyReport(report)).toContain('PAST REVIEW by 1 days');
  });

  it('cites the year as the version when none is stated', () => {
    expect(checkCurrency([doc({ version: undefined })], '2027-01-01').rows[0]?.version).toBe('2021');
  });

  it('fails a known newer edition without a reason, and reports an acknowledged one without failing', () => {
    const newer = { title: 'Guideline, 2025 edition', year: 2025 };
    const unacknowledged = checkCurrency([doc({ newerEdition: newer })], '2027-01-01');
    expect(unacknowledged.ok).toBe(false);
    expect(unacknowledged.rows[0]?.problems).toEqual(['newer-edition-unacknowledged']);
    expect(formatCurrencyReport(unacknowledged)).toContain('NOT ACKNOWLEDGED');

    const acknowledged = checkCurrency([doc({ newerEdition: { ...newer, acknowledged: 'text not readable yet' } })], '2027-01-01');
    expect(acknowledged.ok).toBe(true);
    const text = formatCurrencyReport(acknowledged);
    expect(text).toContain('newer edition known: Guideline, 2025 edition (2025)');
    expect(text).toContain('acknowledged: text not readable yet');
  });

  it('reports both problems, and every document in id order', () => {
    const report = checkCurrency([doc({ id: 'doc-b', newerEdition: { title: 'N', year: 2030 } }), doc({ id: 'doc-a' })], '2028-01-01');
    expect(report.rows.map((r) => [r.id, r.problems])).toEqual([
      ['doc-a', ['past-review']],
      ['doc-b', ['past-review', 'newer-edition-unacknowledged']],
    ]);
    expect(formatCurrencyReport(report)).toContain('2 documents need review: doc-a, doc-b');
  });
});
