/**
 * Imports trials from the ClinicalTrials.gov API v2, incrementally (see api.ts for the two
 * reads):
 *   1. list what the query matches (NCT id, status, last-update date), page after page, stopping
 *      before anything is written when it matches more than `maxPages` pages;
 *   2. re-check the stored ClinicalTrials.gov trials the card may show (recruiting statuses, or
 *      the query's) that the listing did not return: a trial that closed drops out of a
 *      recruiting-only listing, and must not stay "Recruiting" in the store;
 *   3. fetch the records of the studies that are new or changed (last-update date or status) and
 *      import them (trial-store.ts importTrials: parsed, embedded, written by batch), a page at a
 *      time, each with the time it was fetched;
 *   4. record that the unchanged ones were read now (their status is confirmed as of then).
 * The same function serves `npm run trials:import -- --ctgov` and the background refresh.
 */
import type { Database } from '../../../db/database.js';
import type { Logger } from '../../../log.js';
import type { CairnEmbeddings } from '../../../search/embeddings/types.js';
import { fromCtgovV2, RECRUITING_STATUSES, type TrialRecord } from '../matching/trial-record.js';
import { importTrials, markFetched, storedRegistryStates, storedRegistryTrials, type ImportOptions } from '../store/trial-store.js';
import { chunks, describeQuery, fetchNeed, idsParams, listedStudy, listingParams, MAX_PAGE_SIZE, type CtgovQuery, type ListedStudy } from './api.js';
import type { CtgovClient } from './client.js';

export interface CtgovImportOptions {
  client: CtgovClient;
  query: CtgovQuery;
  embedder: CairnEmbeddings;
  /** Studies per listing page (default 1000, the API's most: the listing fields are small). */
  pageSize?: number;
  /** Records per page of fetched studies, and per import call (default 100). */
  recordPageSize?: number;
  /** Listing pages at most (default 100); a query that matches more stops before anything is written. */
  maxPages?: number;
  /** Re-check stored trials the listing did not return (step 2; default true). */
  recheck?: boolean;
  /** Passed to importTrials. */
  importOptions?: Pick<ImportOptions, 'embedBatchSize' | 'batchTrials'>;
  log?: Logger;
  onProgress?: (p: CtgovProgress) => void;
  /** The clock (tests). */
  now?: () => Date;
}

export interface CtgovProgress {
  phase: 'listing' | 'rechecking' | 'fetching';
  pages: number;
  /** Studies listed (listing, re-checking) or records fetched (fetching) so far. */
  done: number;
  /** Out of: the query's total (listing), the re-checked or changed studies. */
  total?: number;
  requests: number;
  retries: number;
  /** Requests a second so far. */
  rate: number;
}

export interface CtgovImportReport {
  query: string;
  /** Studies the query listed. */
  listed: number;
  /** Stored trials outside the listing looked up again; `gone`: of those, the ones the API no longer has. */
  rechecked: number;
  gone: string[];
  unchanged: number;
  added: number;
  updated: number;
  /** Records fetched whole (added + updated, unless some were missing from their page). */
  fetched: number;
  /** Studies skipped for a record the mapping cannot read (no NCT id …), with the reason. */
  invalid: Array<{ nctId?: string; reason: string }>;
  criteriaEmbedded: number;
  textsEmbedded: number;
  pages: number;
  requests: number;
  retries: number;
  durationMs: number;
}

const DEFAULT_MAX_PAGES = 100;
/** Ids per re-check or record request: keeps the URL short (about 13 characters an id). */
const IDS_PER_REQUEST = 200;

export class CtgovImportError extends Error {
  override readonly name = 'CtgovImportError';
}

export async function importFromCtgov(db: Database, options: CtgovImportOptions): Promise<CtgovImportReport> {
  const started = performance.now();
  const { client, query } = options;
  const now = options.now ?? (() => new Date());
  const pageSize = Math.min(options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  const recordPageSize = Math.min(options.recordPageSize ?? 100, IDS_PER_REQUEST);
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const invalid: CtgovImportReport['invalid'] = [];
  let pages = 0;
  const progress = (phase: CtgovProgress['phase'], done: number, total?: number) => {
    const s = client.stats;
    options.onProgress?.({ phase, pages, done, ...(total !== undefined && { total }), requests: s.requests, retries: s.retries, rate: s.rate });
  };

  // 1. The listing.
  const listedAt = now();
  const listed = new Map<string, ListedStudy>();
  let token: string | undefined;
  let total: number | undefined;
  do {
    if (pages >= maxPages) {
      throw new CtgovImportError(`the query (${describeQuery(query)}) lists more than ${maxPages} pages of ${pageSize} studies${total !== undefined ? ` (${total} in all)` : ''}: narrow it, or raise the page limit (--max-pages)`);
    }
    const page = await client.studies(listingParams(query, pageSize, token));
    pages++;
    total ??= page.totalCount;
    if (pages === 1 && total !== undefined && total > maxPages * pageSize) {
      throw new CtgovImportError(`the query (${describeQuery(query)}) matches ${total} studies, more than ${maxPages} pages of ${pageSize}: narrow it, or raise the page limit (--max-pages)`);
    }
    for (const study of page.studies) {
      const s = listedStudy(study);
      if (s) listed.set(s.nctId, s);
      else invalid.push({ reason: 'listed study without a valid NCT id' });
    }
    progress('listing', listed.size, total);
    token = page.nextPageToken;
  } while (token);
  const listedByQuery = listed.size;

  // 2. Stored trials the card may show that the listing did not confirm.
  const recheckIds: string[] = [];
  const gone: string[] = [];
  if (options.recheck ?? true) {
    const statuses = query.statuses === 'all' ? RECRUITING_STATUSES : query.statuses;
    for (const id of await storedRegistryTrials(db, statuses)) if (!listed.has(id)) recheckIds.push(id);
    let found = 0;
    for (const ids of chunks(recheckIds, IDS_PER_REQUEST)) {
      const seen = new Set<string>();
      let next: string | undefined;
      do {
        const page = await client.studies(idsParams(ids, 'listing', next));
        pages++;
        for (const study of page.studies) {
          const s = listedStudy(study);
          if (s && ids.includes(s.nctId)) {
            listed.set(s.nctId, s);
            seen.add(s.nctId);
          }
        }
        next = page.nextPageToken;
      } while (next);
      found += seen.size;
      gone.push(...ids.filter((id) => !seen.has(id)));
      progress('rechecking', found, recheckIds.length);
    }
    if (gone.length > 0) options.log?.warn({ trials: gone.slice(0, 20), count: gone.length }, 'stored ClinicalTrials.gov trials the API no longer has: kept as they were, their status date ages');
  }

  // 3. The records of new and changed studies.
  const stored = await storedRegistryStates(db, [...listed.keys()]);
  const toFetch: string[] = [];
  const unchanged: string[] = [];
  for (const s of listed.values()) (fetchNeed(s, stored.get(s.nctId)) ? toFetch : unchanged).push(s.nctId);
  options.log?.info({ query: describeQuery(query), listed: listed.size, rechecked: recheckIds.length, toFetch: toFetch.length, unchanged: unchanged.length }, 'ClinicalTrials.gov listing read');
  let added = 0;
  let updated = 0;
  let unchangedCount = unchanged.length;
  let fetched = 0;
  let criteriaEmbedded = 0;
  let textsEmbedded = 0;
  for (const ids of chunks(toFetch, recordPageSize)) {
    const records: TrialRecord[] = [];
    let next: string | undefined;
    let fetchedAt = now();
    do {
      fetchedAt = now();
      const page = await client.studies(idsParams(ids, 'record', next));
      pages++;
      for (const [i, study] of page.studies.entries()) {
        try {
          const record = fromCtgovV2(study, `ClinicalTrials.gov study ${i + 1} of page ${pages}`);
          if (ids.includes(record.nctId)) records.push(record);
        } catch (err) {
          const nctId = listedStudy(study)?.nctId;
          invalid.push({ ...(nctId !== undefined && { nctId }), reason: (err as Error).message });
        }
      }
      next = page.nextPageToken;
    } while (next);
    fetched += records.length;
    if (records.length > 0) {
      const r = await importTrials(db, records, options.embedder, { ...options.importOptions, fetchedAt, ...(options.log && { log: options.log }) });
      added += r.added;
      updated += r.updated;
      criteriaEmbedded += r.criteriaEmbedded;
      textsEmbedded += r.textsEmbedded;
      // A record fetched because a date was unknown may turn out identical: importTrials counts it unchanged (and dates it).
      unchangedCount += r.unchanged;
    }
    progress('fetching', fetched, toFetch.length);
  }

  // 4. The unchanged studies were read too.
  await markFetched(db, unchanged, listedAt);
  const s = client.stats;
  return {
    query: describeQuery(query),
    listed: listedByQuery,
    rechecked: recheckIds.length,
    gone,
    unchanged: unchangedCount,
    added,
    updated,
    fetched,
    invalid,
    criteriaEmbedded,
    textsEmbedded,
    pages,
    requests: s.requests,
    retries: s.retries,
    durationMs: Math.round(performance.now() - started),
  };
}
