/**
 * The ClinicalTrials.gov importer against a local stand-in of API v2 (tests/support/ctgov-standin.ts)
 * that pages with pageToken and fails now and then (a 503 with Retry-After, a 429, a dropped
 * connection), into PGlite: the first run lists, fetches and imports every study, surviving the
 * failures; the second, after the registry changed two studies (one revised, one closed), fetches
 * and re-embeds only those two and dates the rest as read again. Also: an unreachable API, a query
 * that lists too many pages, a refused request.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseCtgovQuery } from '../../src/services/trials/ctgov/api.js';
import { CtgovClient, CtgovError, type RetryEvent } from '../../src/services/trials/ctgov/client.js';
import { CtgovImportError, importFromCtgov, type CtgovProgress } from '../../src/services/trials/ctgov/import.js';
import { countTrials, loadTrial } from '../../src/services/trials/store/trial-store.js';
import { TrialMatcher } from '../../src/services/trials/match.js';
import { createLogger } from '../../src/log.js';
import { startCtgovStandIn, updateStudy, v2Study, type CtgovStandIn, type Failure } from '../support/ctgov-standin.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';

const HTN_INCLUSION = '* Essential hypertension\n* Systolic blood pressure >= 140 mmHg';
const STUDIES = [
  v2Study('NCT05000001', { title: 'Salt Substitution in Hypertension', conditions: ['Hypertension'], lastUpdate: '2025-01-10', inclusion: HTN_INCLUSION, exclusion: '* Pregnant' }),
  v2Study('NCT05000002', { title: 'Home Blood Pressure Telemonitoring', conditions: ['Hypertension'], lastUpdate: '2025-02-11', inclusion: HTN_INCLUSION, exclusion: '* Dialysis' }),
  v2Study('NCT05000003', { title: 'Renal Denervation for Resistant Hypertension', conditions: ['Resistant Hypertension'], lastUpdate: '2025-03-12', inclusion: HTN_INCLUSION, exclusion: '* eGFR < 45 mL/min/1.73m2' }),
  v2Study('NCT05000004', { title: 'Chlorthalidone in CKD and Hypertension', conditions: ['Hypertension', 'Chronic Kidney Disease'], status: 'NOT_YET_RECRUITING', lastUpdate: '2025-04-13', inclusion: HTN_INCLUSION, exclusion: '* Gout' }),
  v2Study('NCT05000005', { title: 'Pharmacist-Led Hypertension Care', conditions: ['Hypertension'], lastUpdate: '2025-04-14', inclusion: HTN_INCLUSION, exclusion: '* Heart failure' }),
  // Not listed by the query: completed, or another condition.
  v2Study('NCT05000006', { title: 'A Completed Hypertension Trial', conditions: ['Hypertension'], status: 'COMPLETED', lastUpdate: '2020-01-01', inclusion: HTN_INCLUSION, exclusion: '* None' }),
  v2Study('NCT05000007', { title: 'Metformin in Prediabetes', conditions: ['Prediabetes'], lastUpdate: '2025-01-01', inclusion: '* HbA1c 5.7% to 6.4%', exclusion: '* Diabetes' }),
];
const QUERY = parseCtgovQuery('cond=hypertension');
const FIRST_RUN = new Date('2025-05-20T10:00:00Z');
const SECOND_RUN = new Date('2025-05-27T10:00:00Z');

let t: TestDatabase;
let api: CtgovStandIn;
const log = createLogger('silent');

/** A client that retries quickly (back-off 5-10 ms; the stand-in's Retry-After is honoured as given). */
function client(baseUrl: string, retries: RetryEvent[] = [], extra: { retries?: number } = {}): CtgovClient {
  return new CtgovClient({ baseUrl, requestsPerMinute: 6000, backoffBaseMs: 10, backoffMaxMs: 50, timeoutMs: 2000, random: () => 0.5, onRetry: (e) => retries.push(e), ...extra });
}

beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  // Request 2 (the second listing page): 503 with Retry-After 1 s; 4: 429 without; 6: the connection drops.
  api = await startCtgovStandIn(STUDIES, new Map<number, Failure>([[2, { status: 503, retryAfter: '1' }], [4, { status: 429 }], [6, 'drop']]));
}, 60_000);
afterAll(async () => {
  await api?.close();
  await t?.dispose();
});

describe('importing from ClinicalTrials.gov (a stand-in of API v2)', () => {
  const embedder = new HashingEmbeddings();
  // The hook's matcher, alive across the runs as in a server: its cache of loaded trials must see new dates.
  let matcher: TrialMatcher;

  it('first run: pages through the listing, survives a 503, a 429 and a dropped connection, fetches and imports every listed study', async () => {
    const retries: RetryEvent[] = [];
    const progress: CtgovProgress[] = [];
    const r = await importFromCtgov(t.db, { client: client(api.baseUrl, retries), query: QUERY, embedder, pageSize: 2, recordPageSize: 3, log, now: () => FIRST_RUN, onProgress: (p) => progress.push(p) });
    expect(r).toMatchObject({ listed: 5, rechecked: 0, added: 5, updated: 0, unchanged: 0, fetched: 5, invalid: [], retries: 3 });
    // 3 listing pages and 2 record pages, 3 of the 8 requests failed and were retried.
    expect(r.pages).toBe(5);
    expect(r.requests).toBe(8);
    expect(retries.map((e) => [e.reason.replace(/^network: .*/, 'network'), e.retryAfter])).toEqual([
      ['HTTP 503', true],
      ['HTTP 429', false],
      ['network', false],
    ]);
    expect(retries[0]?.waitMs).toBe(1000);
    expect(retries[1]?.waitMs).toBe(8); // equal jitter of the first back-off (10 ms) at random 0.5
    // The listing asked for the status filter and small fields only; records by id with the mapping's fields.
    const first = api.requests[0]!.params;
    expect(first.get('query.cond')).toBe('hypertension');
    expect(first.get('filter.overallStatus')).toBe('RECRUITING,NOT_YET_RECRUITING,ENROLLING_BY_INVITATION');
    expect(first.get('countTotal')).toBe('true');
    expect(first.get('fields')).not.toContain('eligibilityModule');
    expect(api.requests.filter((q) => q.outcome === 'ok' && q.params.has('pageToken'))).toHaveLength(2);
    expect(api.recordRequests().flatMap((q) => q.nctIds).sort()).toEqual(['NCT05000001', 'NCT05000002', 'NCT05000003', 'NCT05000004', 'NCT05000005']);
    expect(progress.filter((p) => p.phase === 'listing').map((p) => [p.done, p.total])).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    expect(progress.at(-1)).toMatchObject({ phase: 'fetching', done: 5, total: 5 });

    expect(await countTrials(t.db)).toMatchObject({ trials: 5 });
    const trial = await loadTrial(t.db, 'NCT05000003');
    expect(trial).toMatchObject({ status: 'RECRUITING', lastUpdatePosted: '2025-03-12', fetchedAt: FIRST_RUN.toISOString() });
    // The record as asked for: no sponsor, no data version (it would change daily and make every record look changed).
    expect(trial?.record.snapshotDate).toBeUndefined();
    expect(trial?.criteria.map((c) => c.criterion.text)).toContain('eGFR < 45 mL/min/1.73m2');
    matcher = new TrialMatcher({ db: t.db, embeddings: embedder });
    expect((await matcher.loadTrials(['NCT05000001']))[0]?.fetchedAt).toBe(FIRST_RUN.toISOString());
  }, 30_000);

  it('second run: only the two studies the registry changed are fetched and re-embedded; the closed one is found by re-checking', async () => {
    const before = api.requests.length;
    api.failures.clear();
    const revised = 'NCT05000002';
    const closed = 'NCT05000005';
    api.studies.set(revised, updateStudy(api.studies.get(revised)!, { lastUpdate: '2025-05-21', exclusion: '* Atrial fibrillation' }));
    api.studies.set(closed, updateStudy(api.studies.get(closed)!, { lastUpdate: '2025-05-22', status: 'ACTIVE_NOT_RECRUITING' }));
    embedder.resetCounts();

    const r = await importFromCtgov(t.db, { client: client(api.baseUrl), query: QUERY, embedder, pageSize: 2, log, now: () => SECOND_RUN });
    expect(r).toMatchObject({ listed: 4, rechecked: 1, gone: [], added: 0, updated: 2, unchanged: 3, fetched: 2, retries: 0 });
    const records = api.requests.slice(before).filter((q) => q.outcome === 'ok' && (q.params.get('fields') ?? '').includes('eligibilityModule'));
    expect(records.flatMap((q) => q.nctIds).sort()).toEqual([revised, closed]);
    // One new criterion text; the closed trial's texts and every other trial's are kept.
    expect(embedder.documentsEmbedded).toBe(1);

    expect(await loadTrial(t.db, closed)).toMatchObject({ status: 'ACTIVE_NOT_RECRUITING', lastUpdatePosted: '2025-05-22', fetchedAt: SECOND_RUN.toISOString() });
    expect((await loadTrial(t.db, revised))?.criteria.map((c) => c.criterion.text)).toContain('Atrial fibrillation');
    // The unchanged ones were read again: their status is as of the second run.
    expect(await loadTrial(t.db, 'NCT05000001')).toMatchObject({ lastUpdatePosted: '2025-01-10', fetchedAt: SECOND_RUN.toISOString() });
    expect((await matcher.loadTrials(['NCT05000001']))[0]?.fetchedAt).toBe(SECOND_RUN.toISOString());
  }, 30_000);

  it('a third run with nothing changed fetches no record and embeds nothing', async () => {
    const before = api.requests.length;
    embedder.resetCounts();
    const r = await importFromCtgov(t.db, { client: client(api.baseUrl), query: QUERY, embedder, log });
    expect(r).toMatchObject({ listed: 4, rechecked: 0, added: 0, updated: 0, unchanged: 4, fetched: 0 });
    expect(api.requests.slice(before).every((q) => !(q.params.get('fields') ?? '').includes('eligibilityModule'))).toBe(true);
    expect(embedder.documentsEmbedded).toBe(0);
  });

  it('an unreachable API: a clear error after the retries, nothing written', async () => {
    const closedPort = await startCtgovStandIn([]);
    const url = closedPort.baseUrl;
    await closedPort.close();
    const before = await countTrials(t.db);
    const err = await importFromCtgov(t.db, { client: client(url, [], { retries: 2 }), query: QUERY, embedder, log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtgovError);
    expect((err as CtgovError).kind).toBe('unreachable');
    expect((err as Error).message).toMatch(/ClinicalTrials\.gov API at http:\/\/127\.0\.0\.1:\d+\/api\/v2 is unreachable \(network: ECONNREFUSED\) after 3 attempts/);
    expect(await countTrials(t.db)).toEqual(before);
  });

  it('a query that lists more pages than allowed stops before writing anything', async () => {
    const before = await countTrials(t.db);
    const wide = parseCtgovQuery('cond=hypertension', 'all');
    await expect(importFromCtgov(t.db, { client: client(api.baseUrl), query: wide, embedder, pageSize: 2, maxPages: 2, log })).rejects.toThrow(CtgovImportError);
    await expect(importFromCtgov(t.db, { client: client(api.baseUrl), query: wide, embedder, pageSize: 2, maxPages: 2, log })).rejects.toThrow(/matches 6 studies, more than 2 pages of 2/);
    expect(await countTrials(t.db)).toEqual(before);
  });

  it('a request the API refuses (400) fails at once with its message, without retrying', async () => {
    const bad = new CtgovClient({ baseUrl: api.baseUrl, requestsPerMinute: 6000 });
    const before = api.requests.length;
    await expect(bad.studies(new URLSearchParams({ fields: 'sponsor.name' }))).rejects.toThrow('ClinicalTrials.gov API refused the request (HTTP 400): Unknown field: sponsor.name');
    expect(api.requests.length - before).toBe(1);
  });
});
