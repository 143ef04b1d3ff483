/**
 * The trial store as the server uses it: the configured trial files imported (idempotent: an
 * unchanged record is skipped and nothing is embedded; trial and criterion vectors are computed
 * here, never on a hook), then one TrialMatcher for everything that matches patients to trials —
 * the `trial-match` CDS service and anything else the server builds on the same store.
 */
import type { Logger } from 'pino';
import type { Database } from '../../../db/database.js';
import type { CairnEmbeddings } from '../../../search/embeddings/types.js';
import { normaliseStatus, RECRUITING_STATUSES, type TrialRecord } from '../matching/trial-record.js';
import { TrialMatcher } from '../match.js';
import { readTrialFile, trialFiles } from './trial-files.js';
import { importTrials, type TrialImportReport } from './trial-store.js';

export interface ImportedTrialFiles {
  /** Undefined when no trial file was found (the store holds what earlier imports left). */
  report: TrialImportReport | undefined;
  /** Records left out because their status is not one `statuses` admits. */
  skipped: number;
}

export interface OpenedTrials extends ImportedTrialFiles {
  matcher: TrialMatcher;
}

export interface OpenTrialsOptions {
  paths: readonly string[];
  log: Logger;
  /**
   * Which overall statuses start-up imports (default: recruiting, not yet recruiting, enrolling by
   * invitation, the only ones the trial-match card shows). Embedding a trial and its criteria costs
   * about 0.6 s with USE-lite in one thread (docs/BENCHMARKS.md), so importing the 261 closed demo
   * trials would add over two minutes to a first start for trials no card can show. `all` imports every record; `npm run trials:import`
   * always does.
   */
  statuses?: readonly string[] | 'all';
}

/**
 * Imports the trial files at `paths` into the store and returns the matcher over it. A path that
 * does not exist, or a malformed record, stops start-up (with the file and line): a half-imported
 * trial list would silently miss trials.
 */
export async function openTrials(db: Database, embeddings: CairnEmbeddings, options: OpenTrialsOptions): Promise<OpenedTrials> {
  const imported = await importTrialFiles(db, embeddings, options);
  return { ...imported, matcher: new TrialMatcher({ db, embeddings }) };
}

/** The import half of openTrials, for a server that built its matcher before the import (it listens first). */
export async function importTrialFiles(db: Database, embeddings: CairnEmbeddings, options: OpenTrialsOptions): Promise<ImportedTrialFiles> {
  const files = await trialFiles(options.paths);
  const all: TrialRecord[] = [];
  for (const file of files) all.push(...(await readTrialFile(file)));
  const statuses = options.statuses ?? RECRUITING_STATUSES;
  const records = statuses === 'all' ? all : all.filter((r) => statuses.includes(normaliseStatus(r.overallStatus)));
  const skipped = all.length - records.length;
  if (skipped > 0) options.log.info({ skipped }, 'trial records not recruiting were not imported at start-up (npm run trials:import imports them)');
  let report: TrialImportReport | undefined;
  if (records.length > 0) {
    report = await importTrials(db, records, embeddings, { log: options.log });
    const { trials, added, updated, unchanged, criteriaEmbedded, durationMs } = report;
    options.log.info({ files: files.length, trials, added, updated, unchanged, criteriaEmbedded, durationMs }, 'trial store ready');
  } else {
    options.log.warn({ paths: options.paths }, 'no trial records found: the trial store holds only what earlier imports left');
  }
  return { report, skipped };
}
