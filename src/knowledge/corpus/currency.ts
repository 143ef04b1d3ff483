/**
 * Guideline currency: is each document of the corpus still the one to quote? Two questions, both
 * answered from the front matter alone (corpus/metadata.ts), so that the answer is the same on any
 * machine and offline:
 *   - is it past its `nextReview` date (relative to a given day)?
 *   - is a newer edition known (`newerEdition`), and if so has the team said why the older one is
 *     still shipped (`newerEdition.acknowledged`)?
 * A document that is overdue, or has an unacknowledged newer edition, fails the check
 * (`npm run guidelines:check`, part of `npm test`). An acknowledged newer edition is reported
 * but does not fail: its text may be unreadable for now, and the cards say which version they quote.
 */
import { documentVersionOf, type GuidelineMetadata, type NewerEdition } from './metadata.js';

export type CurrencyProblem = 'past-review' | 'newer-edition-unacknowledged';

export interface CurrencyRow {
  id: string;
  version: string;
  lastReviewed: string;
  nextReview: string;
  /** Whole days from `today` to the next review; negative once it is past. */
  daysToReview: number;
  newerEdition?: NewerEdition;
  problems: CurrencyProblem[];
}

export interface CurrencyReport {
  today: string;
  rows: CurrencyRow[];
  /** True when no document has a problem. */
  ok: boolean;
}

type CurrencyFields = Pick<GuidelineMetadata, 'id' | 'version' | 'year' | 'lastReviewed' | 'nextReview' | 'newerEdition'>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** `today` is YYYY-MM-DD; a document is past review on the day after its `nextReview`. */
export function checkCurrency(documents: readonly CurrencyFields[], today: string): CurrencyReport {
  const rows = [...documents]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((meta): CurrencyRow => {
      const daysToReview = Math.round((Date.parse(`${meta.nextReview}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / DAY_MS);
      const problems: CurrencyProblem[] = [];
      if (daysToReview < 0) problems.push('past-review');
      if (meta.newerEdition && !meta.newerEdition.acknowledged) problems.push('newer-edition-unacknowledged');
      return {
        id: meta.id,
        version: documentVersionOf(meta),
        lastReviewed: meta.lastReviewed,
        nextReview: meta.nextReview,
        daysToReview,
        ...(meta.newerEdition && { newerEdition: meta.newerEdition }),
        problems,
      };
    });
  return { today, rows, ok: rows.every((r) => r.problems.length === 0) };
}

/** The report as plain text for a terminal or a CI log: one block per document, problems first. */
export function formatCurrencyReport(report: CurrencyReport): string {
  const lines: string[] = [`Guideline currency on ${report.today}: ${report.rows.length} documents`, ''];
  for (const row of report.rows) {
    const mark = row.problems.length > 0 ? 'FAIL' : row.newerEdition ? 'note' : 'ok  ';
    lines.push(`${mark} ${row.id}`);
    lines.push(`     version: ${row.version}`);
    const due = row.daysToReview < 0 ? `PAST REVIEW by ${-row.daysToReview} days` : `in ${row.daysToReview} days`;
    lines.push(`     last reviewed ${row.lastReviewed}; next review ${row.nextReview} (${due})`);
    if (row.newerEdition) {
      const e = row.newerEdition;
      lines.push(`     newer edition known: ${e.title} (${e.year})${e.url ? ` <${e.url}>` : ''}`);
      lines.push(e.acknowledged ? `     acknowledged: ${e.acknowledged}` : '     NOT ACKNOWLEDGED: update the document, or say why it stays (newerEdition.acknowledged)');
    }
  }
  const failing = report.rows.filter((r) => r.problems.length > 0);
  const newer = report.rows.filter((r) => r.newerEdition);
  lines.push(
    '',
    failing.length === 0
      ? `All ${report.rows.length} documents are within their review dates; ${newer.length} have an acknowledged newer edition.`
      : `${failing.length} document${failing.length === 1 ? '' : 's'} need review: ${failing.map((r) => r.id).join(', ')}`,
  );
  return lines.join('\n');
}
