/**
 * `npm run guidelines:check`: is every guideline document still the one to quote? Parses the corpus
 * exactly as start-up does (so a missing or malformed review date fails here too), then lists each
 * document with its version, last review and next review, and the newer editions known
 * (src/knowledge/corpus/currency.ts has the rules). Runs in `npm test`, so CI fails once a document
 * is past its review date or a newer edition is recorded without saying why the old one stays.
 */
import { parseArgs } from 'node:util';
import { CorpusErrors, parseCorpus } from '../../src/knowledge/corpus/index.js';
import { isIsoDate } from '../../src/knowledge/corpus/metadata.js';
import { checkCurrency, formatCurrencyReport } from '../../src/knowledge/corpus/currency.js';

const USAGE = `Usage: npm run guidelines:check [-- --today YYYY-MM-DD] [files or directories]

Lists every guideline document (default: guidelines/) with its version, last review and next
review. Exits 1 when a document is past its next review, when a newer edition is recorded
(newerEdition) without an acknowledged reason, or when the corpus does not parse.

  --today  the day to check against (default: today, UTC)`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { today: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const today = values.today ?? new Date().toISOString().slice(0, 10);
  if (!isIsoDate(today)) {
    console.error(`--today must be a date written YYYY-MM-DD, not '${today}'\n\n${USAGE}`);
    return 2;
  }
  let documents;
  try {
    ({ documents } = await parseCorpus(positionals.length > 0 ? positionals : ['guidelines']));
  } catch (err) {
    if (err instanceof CorpusErrors) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const report = checkCurrency(
    documents.map((d) => d.meta),
    today,
  );
  console.log(formatCurrencyReport(report));
  return report.ok ? 0 : 1;
}

process.exitCode = await main();
