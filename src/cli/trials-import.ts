import { parseArgs } from 'node:util';
import { configureCanonicalBase } from '../canonical.js';
import { ConfigError, DEFAULT_CTGOV, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import { closeEmbeddingThreads, createEmbeddings } from '../search/embeddings/index.js';
import { createLogger } from '../log.js';
import { isoDate, TrialImportError, type TrialRecord } from '../services/trials/matching/trial-record.js';
import { readTrialFile } from '../services/trials/store/trial-files.js';
import { importTrials, type TrialImportReport } from '../services/trials/store/trial-store.js';
import { CtgovQueryError, describeQuery, parseCtgovQuery } from '../services/trials/ctgov/api.js';
import { CtgovClient, CtgovError } from '../services/trials/ctgov/client.js';
import { CtgovImportError, importFromCtgov, type CtgovProgress } from '../services/trials/ctgov/import.js';

const USAGE = `Usage: npm run trials:import -- <file>... [--fetched-on YYYY-MM-DD]
       npm run trials:import -- --ctgov '<query>' [--status <statuses>|all] [--page-size N]
                                [--max-pages N] [--rate N] [--no-recheck]

Imports clinical trials into the trial store of DATABASE_URL, or of the embedded database in
CAIRN_DATA_DIR.

From files: each file is .json or JSON lines holding ClinicalTrials.gov API v2 studies (one, an
array, or an API page { "studies": [...] }), records of the TREC/SIGIR trial corpus
(corpus_judged_subset.jsonl), or Cairn ResearchStudy resources (or a Bundle of them). Every file is
parsed before anything is written; a malformed record stops the run, naming the file and line, and
changes nothing. Each trial's status is dated by the snapshot date its record names (the demo
trials: 3 February 2023), else by --fetched-on, else by the time of the import.

From ClinicalTrials.gov (--ctgov): reads the API v2 at CAIRN_CTGOV_BASE_URL (default
https://clinicaltrials.gov/api/v2). The query is plain words (the API's query.term: "heart
failure") or area=words pairs joined by & ('cond=hypertension&locn=Boston'; areas: cond, term,
locn, titles, intr, outc, spons, lead, id, patient). Only recruiting, not yet recruiting and
enrolling-by-invitation studies are listed unless --status says otherwise (a comma-separated list
of overall statuses, or all). Incremental: the listing reads only each study's id, status and
last-update date, and only new or changed studies are fetched and imported; the rest are dated as
read now. Stored ClinicalTrials.gov trials with a listed status that the query did not return are
looked up again (--no-recheck skips that), so a trial that closed does not stay "Recruiting".
  --status      overall statuses to list, comma-separated, or all (default RECRUITING,
                NOT_YET_RECRUITING,ENROLLING_BY_INVITATION)
  --page-size   studies per listing page (default 1000, the API's most)
  --max-pages   stop, writing nothing, if the query lists more pages than this (default 100)
  --rate        most requests a minute (default CAIRN_CTGOV_REQUESTS_PER_MINUTE, 50)
Failed requests (429, 5xx, time-outs, dropped connections) are retried with back-off, honouring
Retry-After. Progress goes to stderr.

Trials are written in batches, each in one transaction with its criteria: if the run stops (an
error, Ctrl-C, a crash), the batches written are kept and running it again finishes the rest.
Re-running on unchanged records embeds nothing. Import progress is logged every 5 s
(LOG_LEVEL=warn hides it).`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      ctgov: { type: 'string' },
      status: { type: 'string' },
      'page-size': { type: 'string' },
      'max-pages': { type: 'string' },
      rate: { type: 'string' },
      'no-recheck': { type: 'boolean', default: false },
      'fetched-on': { type: 'string' },
    },
    allowPositionals: true,
  });
  if (values.help || (positionals.length === 0 && values.ctgov === undefined)) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.ctgov !== undefined && positionals.length > 0) throw new UsageError('give either files or --ctgov, not both');
  const config = loadConfig();
  // The ResearchStudy stored with each trial names Cairn's extensions under the configured base.
  configureCanonicalBase(config.canonicalBase);
  // Info level: a first import embeds for a minute or more, and its progress lines say how far it is.
  const log = createLogger(config.logLevel);
  if (values.ctgov !== undefined) {
    const query = parseCtgovQuery(values.ctgov, values.status);
    const ctgov = config.ctgov ?? DEFAULT_CTGOV;
    const pageSize = positiveInt('--page-size', values['page-size']);
    const maxPages = positiveInt('--max-pages', values['max-pages']);
    const rate = positiveInt('--rate', values.rate) ?? ctgov.requestsPerMinute;
    const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrate(db);
      console.error(`ctgov: ${describeQuery(query)} from ${ctgov.baseUrl}, at most ${rate} requests a minute`);
      const client = new CtgovClient({
        baseUrl: ctgov.baseUrl,
        requestsPerMinute: rate,
        onRetry: (e) => console.error(`ctgov: ${e.reason}; retry ${e.attempt} in ${(e.waitMs / 1000).toFixed(1)} s${e.retryAfter ? ' (Retry-After)' : ''}`),
      });
      const r = await importFromCtgov(db, {
        client,
        query,
        embedder: createEmbeddings(config.embeddings),
        ...(pageSize !== undefined && { pageSize }),
        ...(maxPages !== undefined && { maxPages }),
        recheck: !values['no-recheck'],
        log,
        onProgress: (p) => console.error(progressLine(p)),
      });
      console.log(
        [
          `ClinicalTrials.gov: ${r.listed} studies listed for ${r.query}${r.rechecked > 0 ? `; ${r.rechecked} stored trials looked up again${r.gone.length > 0 ? ` (${r.gone.length} no longer at ClinicalTrials.gov: ${r.gone.slice(0, 5).join(', ')}${r.gone.length > 5 ? ' …' : ''})` : ''}` : ''}`,
          `trials: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged (${r.fetched} records fetched)${r.invalid.length > 0 ? `; ${r.invalid.length} skipped: ${r.invalid[0]?.reason}` : ''}`,
          `criteria: ${r.criteriaEmbedded} embedded; ${r.textsEmbedded} distinct texts sent to the model`,
          `requests: ${r.requests} (${r.retries} retried), ${r.pages} pages; time: ${(r.durationMs / 1000).toFixed(1)} s`,
        ].join('\n'),
      );
      return 0;
    } finally {
      await closeEmbeddingThreads();
      await db.close();
    }
  }
  const fetchedOn = values['fetched-on'];
  if (fetchedOn !== undefined && isoDate(fetchedOn) === undefined) throw new UsageError(`--fetched-on: "${fetchedOn}" is not a date (YYYY-MM-DD)`);
  const records: TrialRecord[] = [];
  for (const file of positionals) records.push(...(await readTrialFile(file)));
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    const r = await importTrials(db, records, createEmbeddings(config.embeddings), { log, ...(fetchedOn !== undefined && { fetchedAt: new Date(`${fetchedOn}T00:00:00Z`) }) });
    console.log(fileReport(r));
    return 0;
  } finally {
    await closeEmbeddingThreads();
    await db.close();
  }
}

function fileReport(r: TrialImportReport): string {
  return [
    `trials: ${r.trials} (${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged${r.duplicates > 0 ? `, ${r.duplicates} duplicate records: last kept` : ''})`,
    `criteria: ${r.criteria} (${r.criteriaEmbedded} embedded, ${r.criteriaReused} reused); ${r.textsEmbedded} distinct texts sent to the model`,
    `model: ${r.model.id} (${r.model.dimension} dimensions)${r.modelChanged ? ' (changed: every trial re-embedded)' : ''}`,
    `time: ${(r.durationMs / 1000).toFixed(1)} s (embedding ${(r.embeddingMs / 1000).toFixed(1)} s), ${r.batches} transaction${r.batches === 1 ? '' : 's'}`,
  ].join('\n');
}

function progressLine(p: CtgovProgress): string {
  const what = p.phase === 'listing' ? 'studies listed' : p.phase === 'rechecking' ? 'stored trials looked up again' : 'records fetched and imported';
  return `ctgov: ${p.done}${p.total !== undefined ? ` of ${p.total}` : ''} ${what}; ${p.pages} pages, ${p.requests} requests (${p.retries} retried), ${(p.rate * 60).toFixed(1)} requests a minute`;
}

class UsageError extends Error {}

function positiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: "${raw}" is not a positive whole number`);
  return n;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof TrialImportError || err instanceof ConfigError || err instanceof UsageError || err instanceof CtgovQueryError) {
      console.error(err.message);
      console.error('Nothing was changed.');
    } else if (err instanceof CtgovError || err instanceof CtgovImportError) {
      console.error(`trials:import --ctgov: ${err.message}`);
      console.error('Trials written before the failure are kept; run the import again to finish (unchanged trials are skipped).');
    } else {
      console.error(`trials:import failed: ${err instanceof Error ? err.message : String(err)}`);
      console.error('Trials written before the failure are kept; run the import again to finish (unchanged trials are skipped).');
    }
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
