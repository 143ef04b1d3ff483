/**
 * The ClinicalTrials.gov API v2 as data: what a query means, the URLs of its pages, what a page
 * holds, and which listed studies must be fetched whole. Pure; client.ts does the HTTP and
 * import.ts the sequence.
 *
 * An import reads `GET {base}/studies` twice over:
 *   1. the listing: every study the query matches (`query.*`, `filter.overallStatus`), with only
 *      its NCT id, overall status and last-update date (LISTING_FIELDS), big pages followed by
 *      `pageToken` — cheap however many studies match;
 *   2. the records: only the studies that are new or whose last-update date (or status) differs
 *      from the stored one, by `filter.ids`, with the fields the record mapping reads
 *      (CTGOV_V2_FIELDS in matching/trial-record.ts).
 * So a refresh of an unchanged query fetches no record at all.
 */
import { CTGOV_V2_FIELDS, isoDate, normaliseStatus, RECRUITING_STATUSES } from '../matching/trial-record.js';

/** The `query.*` areas of API v2 a query may set (https://clinicaltrials.gov/data-api/api). */
export const QUERY_AREAS = ['cond', 'term', 'locn', 'titles', 'intr', 'outc', 'spons', 'lead', 'id', 'patient'] as const;
export type QueryArea = (typeof QUERY_AREAS)[number];

/** What the listing asks of each study: enough to decide whether its record must be fetched. */
export const LISTING_FIELDS: readonly string[] = [
  'protocolSection.identificationModule.nctId',
  'protocolSection.statusModule.overallStatus',
  'protocolSection.statusModule.lastUpdatePostDateStruct',
];

/** API v2's largest page. */
export const MAX_PAGE_SIZE = 1000;

export class CtgovQueryError extends Error {
  override readonly name = 'CtgovQueryError';
}

export interface CtgovQuery {
  /** `query.<area>` parameters, in the order given. */
  areas: Array<[QueryArea, string]>;
  /** `filter.overallStatus`; `all`: no status filter. */
  statuses: readonly string[] | 'all';
}

/**
 * A query as the CLI (`--ctgov`) and CAIRN_CTGOV_REFRESH write it:
 *   - plain words ("heart failure"): the API's "other terms" search, `query.term`;
 *   - `area=words` pairs joined by `&` ("cond=hypertension&locn=Boston"): `query.<area>` for each
 *     area of QUERY_AREAS (`query.cond=` is accepted too), and `status=RECRUITING,COMPLETED` or
 *     `status=all` for the status filter. Values are URL-decoded ("heart+failure" or "heart%20failure").
 * The status filter is `statuses` (the CLI's --status) when given, else the `status=` pair, else
 * the recruiting statuses (RECRUITING_STATUSES): what the trial-match card can show.
 */
export function parseCtgovQuery(text: string, statuses?: string): CtgovQuery {
  const trimmed = text.trim();
  if (!trimmed) throw new CtgovQueryError('the ClinicalTrials.gov query is empty: give words to search for, or area=words pairs such as cond=hypertension');
  const areas: Array<[QueryArea, string]> = [];
  let statusPair: string | undefined;
  if (/^[a-z.]+=/i.test(trimmed)) {
    for (const [rawKey, rawValue] of new URLSearchParams(trimmed)) {
      const key = rawKey.trim().toLowerCase().replace(/^query\./, '');
      const value = rawValue.trim();
      if (key === 'status' || key === 'filter.overallstatus') {
        statusPair = value;
        continue;
      }
      if (!(QUERY_AREAS as readonly string[]).includes(key)) {
        throw new CtgovQueryError(`unknown query area "${rawKey}": use one of ${QUERY_AREAS.join(', ')} (as cond=hypertension), or status=…`);
      }
      if (!value) throw new CtgovQueryError(`"${rawKey}=" has no words`);
      areas.push([key as QueryArea, value]);
    }
    if (areas.length === 0) throw new CtgovQueryError('the query names no area to search (cond=…, term=…, intr=…): a status alone would import the whole registry');
  } else {
    areas.push(['term', trimmed]);
  }
  return { areas, statuses: parseStatuses(statuses ?? statusPair) };
}

/** "RECRUITING,not yet recruiting" → upper snake case; `all` → no filter; absent → RECRUITING_STATUSES. */
export function parseStatuses(raw: string | undefined): readonly string[] | 'all' {
  if (raw === undefined || !raw.trim()) return RECRUITING_STATUSES;
  if (raw.trim().toLowerCase() === 'all') return 'all';
  const list = [...new Set(raw.split(/[,|]/).map((s) => s.trim()).filter((s) => s.length > 0).map(normaliseStatus))];
  if (list.length === 0 || list.includes('UNKNOWN')) throw new CtgovQueryError(`"${raw}" is not a list of ClinicalTrials.gov overall statuses (e.g. RECRUITING,NOT_YET_RECRUITING) or all`);
  return list;
}

/** The query as one line for logs and progress: `cond=hypertension status=RECRUITING,…`. */
export function describeQuery(q: CtgovQuery): string {
  return [...q.areas.map(([k, v]) => `${k}=${v}`), `status=${q.statuses === 'all' ? 'all' : q.statuses.join(',')}`].join(' ');
}

/** Parameters of one listing page (the first asks for the total count, for progress and the page guard). */
export function listingParams(q: CtgovQuery, pageSize: number, pageToken?: string): URLSearchParams {
  const p = new URLSearchParams();
  for (const [area, value] of q.areas) p.append(`query.${area}`, value);
  if (q.statuses !== 'all') p.set('filter.overallStatus', q.statuses.join(','));
  p.set('fields', LISTING_FIELDS.join(','));
  p.set('pageSize', String(pageSize));
  if (pageToken) p.set('pageToken', pageToken);
  else p.set('countTotal', 'true');
  return p;
}

/** Parameters of a page of given studies: their records (`record`) or their listing fields (`listing`: a re-check). */
export function idsParams(nctIds: readonly string[], what: 'record' | 'listing', pageToken?: string): URLSearchParams {
  const p = new URLSearchParams();
  p.set('filter.ids', nctIds.join(','));
  p.set('fields', (what === 'record' ? CTGOV_V2_FIELDS : LISTING_FIELDS).join(','));
  p.set('pageSize', String(Math.min(Math.max(nctIds.length, 1), MAX_PAGE_SIZE)));
  if (pageToken) p.set('pageToken', pageToken);
  return p;
}

/** The URL of `GET /studies` under a base URL (the base's own path kept: a mirror may serve under a prefix). */
export function studiesUrl(baseUrl: string, params: URLSearchParams): string {
  return `${baseUrl.replace(/\/+$/, '')}/studies?${params.toString()}`;
}

export interface StudiesPage {
  studies: unknown[];
  nextPageToken?: string;
  totalCount?: number;
}

/** A `/studies` answer; anything else (an HTML error page from a proxy, a truncated body) throws. */
export function readStudiesPage(json: unknown): StudiesPage {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CtgovQueryError('the answer is not a JSON object');
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o.studies)) throw new CtgovQueryError('the answer has no "studies" list');
  const token = typeof o.nextPageToken === 'string' && o.nextPageToken ? o.nextPageToken : undefined;
  const total = typeof o.totalCount === 'number' && Number.isInteger(o.totalCount) ? o.totalCount : undefined;
  return { studies: o.studies, ...(token !== undefined && { nextPageToken: token }), ...(total !== undefined && { totalCount: total }) };
}

/** A study as the listing sees it. */
export interface ListedStudy {
  nctId: string;
  status: string;
  /** YYYY-MM-DD; undefined when the study has none. */
  lastUpdatePosted?: string;
}

/** The listing fields of a study; undefined when it has no valid NCT id (it is counted, not imported). */
export function listedStudy(study: unknown): ListedStudy | undefined {
  const p = field(study, 'protocolSection');
  const nctId = field(field(p, 'identificationModule'), 'nctId');
  if (typeof nctId !== 'string' || !/^NCT\d{8}$/.test(nctId.trim().toUpperCase())) return undefined;
  const status = field(p, 'statusModule');
  const overall = field(status, 'overallStatus');
  const date = field(field(status, 'lastUpdatePostDateStruct'), 'date');
  const lastUpdatePosted = isoDate(typeof date === 'string' ? date : undefined);
  return { nctId: nctId.trim().toUpperCase(), status: normaliseStatus(typeof overall === 'string' ? overall : undefined), ...(lastUpdatePosted !== undefined && { lastUpdatePosted }) };
}

function field(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined;
}

/** What the store holds of a listed study (trial-store.ts storedRegistryStates). */
export interface StoredState {
  status: string;
  lastUpdatePosted: string | null;
}

/**
 * Whether a listed study's record must be fetched: `added` when not stored, `updated` when its
 * last-update date or its status differs from the stored one (or either has no date: then it
 * cannot be known unchanged), undefined when unchanged.
 */
export function fetchNeed(listed: ListedStudy, stored: StoredState | undefined): 'added' | 'updated' | undefined {
  if (!stored) return 'added';
  if (listed.lastUpdatePosted === undefined || stored.lastUpdatePosted === null) return 'updated';
  if (listed.lastUpdatePosted !== stored.lastUpdatePosted || listed.status !== stored.status) return 'updated';
  return undefined;
}

/** `items` in consecutive groups of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
