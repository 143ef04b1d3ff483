/**
 * The ClinicalTrials.gov importer's pure parts (src/services/trials/ctgov/api.ts: queries, URLs,
 * pages, what to fetch) and its HTTP client's rules (client.ts: pace, retries, Retry-After,
 * back-off, errors) over a fake transport, and the background refresh's schedule (refresh.ts).
 */
import { describe, expect, it, jest } from '@jest/globals';
import {
  chunks,
  CtgovQueryError,
  describeQuery,
  fetchNeed,
  idsParams,
  LISTING_FIELDS,
  listedStudy,
  listingParams,
  parseCtgovQuery,
  parseStatuses,
  readStudiesPage,
  studiesUrl,
} from '../../src/services/trials/ctgov/api.js';
import { CtgovClient, isRetryableStatus, networkReason, retryAfterMs, retryDelay, type CtgovError, type RetryEvent } from '../../src/services/trials/ctgov/client.js';
import type { CtgovImportReport } from '../../src/services/trials/ctgov/import.js';
import { startCtgovRefresh } from '../../src/services/trials/ctgov/refresh.js';
import { CTGOV_V2_FIELDS, RECRUITING_STATUSES } from '../../src/services/trials/matching/trial-record.js';
import { createLogger } from '../../src/log.js';

describe('parseCtgovQuery: the CLI and CAIRN_CTGOV_REFRESH syntax', () => {
  it.each([
    ['heart failure', [['term', 'heart failure']], RECRUITING_STATUSES],
    ['  AREA[Phase]PHASE3 AND diabetes ', [['term', 'AREA[Phase]PHASE3 AND diabetes']], RECRUITING_STATUSES],
    ['cond=hypertension', [['cond', 'hypertension']], RECRUITING_STATUSES],
    ['cond=heart+failure&locn=Boston', [['cond', 'heart failure'], ['locn', 'Boston']], RECRUITING_STATUSES],
    ['query.cond=heart%20failure&query.intr=sacubitril', [['cond', 'heart failure'], ['intr', 'sacubitril']], RECRUITING_STATUSES],
    ['cond=ckd&status=recruiting,Not yet recruiting', [['cond', 'ckd']], ['RECRUITING', 'NOT_YET_RECRUITING']],
    ['term=sepsis&status=all', [['term', 'sepsis']], 'all'],
  ])('%s', (text, areas, statuses) => {
    expect(parseCtgovQuery(text)).toEqual({ areas, statuses });
  });

  it('the --status option wins over a status= pair', () => {
    expect(parseCtgovQuery('cond=ckd&status=COMPLETED', 'RECRUITING').statuses).toEqual(['RECRUITING']);
  });

  it.each([
    ['', /empty/],
    ['sponsor=Pfizer', /unknown query area "sponsor"/],
    ['cond=', /"cond=" has no words/],
    ['status=RECRUITING', /names no area/],
  ])('refuses %j', (text, message) => {
    expect(() => parseCtgovQuery(text)).toThrow(CtgovQueryError);
    expect(() => parseCtgovQuery(text)).toThrow(message);
  });

  it.each([
    [undefined, RECRUITING_STATUSES],
    ['ALL', 'all'],
    ['completed|terminated', ['COMPLETED', 'TERMINATED']],
  ])('statuses %j', (raw, expected) => {
    expect(parseStatuses(raw)).toEqual(expected);
  });

  it('describes a query in one line', () => {
    expect(describeQuery(parseCtgovQuery('cond=ckd&locn=Leeds'))).toBe('cond=ckd locn=Leeds status=RECRUITING,NOT_YET_RECRUITING,ENROLLING_BY_INVITATION');
  });
});

describe('the URLs of an import', () => {
  const q = parseCtgovQuery('cond=hypertension&term=salt');

  it('a first listing page: query areas, status filter, small fields, page size, the total asked for', () => {
    expect(Object.fromEntries(listingParams(q, 1000))).toEqual({
      'query.cond': 'hypertension',
      'query.term': 'salt',
      'filter.overallStatus': 'RECRUITING,NOT_YET_RECRUITING,ENROLLING_BY_INVITATION',
      fields: LISTING_FIELDS.join(','),
      pageSize: '1000',
      countTotal: 'true',
    });
  });

  it('a next page: the token, no total', () => {
    const p = listingParams({ ...q, statuses: 'all' }, 10, 'abc');
    expect(p.get('pageToken')).toBe('abc');
    expect(p.has('countTotal')).toBe(false);
    expect(p.has('filter.overallStatus')).toBe(false);
  });

  it('records by id, with the fields the mapping reads; a re-check with the listing fields', () => {
    expect(Object.fromEntries(idsParams(['NCT00000001', 'NCT00000002'], 'record'))).toEqual({ 'filter.ids': 'NCT00000001,NCT00000002', fields: CTGOV_V2_FIELDS.join(','), pageSize: '2' });
    expect(idsParams(['NCT00000001'], 'listing').get('fields')).toBe(LISTING_FIELDS.join(','));
  });

  it.each([
    ['https://clinicaltrials.gov/api/v2', 'https://clinicaltrials.gov/api/v2/studies?pageSize=1'],
    ['https://mirror.hospital.example/ctgov/api/v2/', 'https://mirror.hospital.example/ctgov/api/v2/studies?pageSize=1'],
  ])('under %s', (base, url) => {
    expect(studiesUrl(base, new URLSearchParams({ pageSize: '1' }))).toBe(url);
  });
});

describe('pages and listed studies', () => {
  it('reads a page', () => {
    expect(readStudiesPage({ studies: [{}], nextPageToken: 'x', totalCount: 7 })).toEqual({ studies: [{}], nextPageToken: 'x', totalCount: 7 });
    expect(readStudiesPage({ studies: [] })).toEqual({ studies: [] });
  });

  it.each([['<html>'], [{ error: 'x' }], [[]]])('refuses %j', (json) => {
    expect(() => readStudiesPage(json)).toThrow(CtgovQueryError);
  });

  const study = (nctId: unknown, status?: string, date?: string) => ({
    protocolSection: { identificationModule: { nctId }, statusModule: { overallStatus: status, ...(date && { lastUpdatePostDateStruct: { date } }) } },
  });
  it.each([
    [study('NCT01234567', 'RECRUITING', '2025-03-14'), { nctId: 'NCT01234567', status: 'RECRUITING', lastUpdatePosted: '2025-03-14' }],
    [study('nct01234567', 'Recruiting'), { nctId: 'NCT01234567', status: 'RECRUITING' }],
    [study('NCT0123'), undefined],
    [{}, undefined],
  ])('listed study %#', (s, expected) => {
    expect(listedStudy(s)).toEqual(expected);
  });

  const listed = { nctId: 'NCT01234567', status: 'RECRUITING', lastUpdatePosted: '2025-03-14' };
  it.each([
    ['not stored', listed, undefined, 'added'],
    ['same date and status', listed, { status: 'RECRUITING', lastUpdatePosted: '2025-03-14' }, undefined],
    ['a later date', listed, { status: 'RECRUITING', lastUpdatePosted: '2025-01-01' }, 'updated'],
    ['another status (a record from elsewhere)', listed, { status: 'COMPLETED', lastUpdatePosted: '2025-03-14' }, 'updated'],
    ['stored without a date (a corpus record)', listed, { status: 'RECRUITING', lastUpdatePosted: null }, 'updated'],
    ['listed without a date', { nctId: 'NCT01234567', status: 'RECRUITING' }, { status: 'RECRUITING', lastUpdatePosted: '2025-03-14' }, 'updated'],
  ] as const)('fetchNeed: %s → %s', (_name, l, stored, need) => {
    expect(fetchNeed(l, stored)).toBe(need);
  });

  it('chunks', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 2)).toEqual([]);
  });
});

describe('the client: retry rules', () => {
  it.each([
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [400, false],
    [404, false],
    [501, false],
  ])('HTTP %i retryable: %s', (status, retryable) => {
    expect(isRetryableStatus(status)).toBe(retryable);
  });

  const NOW = Date.parse('2025-05-20T12:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 3 ', 3000],
    ['Tue, 20 May 2025 12:00:30 GMT', 30_000],
    ['Tue, 20 May 2025 11:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    [null, undefined],
  ])('Retry-After %j → %s ms', (header, ms) => {
    expect(retryAfterMs(header, NOW)).toBe(ms);
  });

  it.each([
    // attempt, base, max, random → delay: half the cap for sure, half at random
    [1, 1000, 60_000, 0, 500],
    [1, 1000, 60_000, 1, 1000],
    [2, 1000, 60_000, 0.5, 1500],
    [3, 1000, 60_000, 0, 2000],
    [7, 1000, 60_000, 1, 60_000], // capped
    [10, 1000, 60_000, 0, 30_000],
  ])('retryDelay(%i, base %i, max %i, random %f) = %i', (attempt, base, max, random, delay) => {
    expect(retryDelay(attempt, base, max, random)).toBe(delay);
  });

  it.each([
    [Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }), 'network: ECONNREFUSED'],
    [new DOMException('timed out', 'TimeoutError'), 'time-out'],
    [new Error('other side closed'), 'network: other side closed'],
  ])('networkReason %#', (err, reason) => {
    expect(networkReason(err)).toBe(reason);
  });
});

type FakeAnswer = { status: number; body?: string; headers?: Record<string, string> } | 'network' | 'hang';

/** A transport answering from a script, one entry per request (the last repeats). */
function fakeFetch(script: FakeAnswer[]): { fetch: typeof fetch; calls: number[] } {
  const calls: number[] = [];
  const f = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push(performance.now());
    const a = script[Math.min(calls.length - 1, script.length - 1)] as FakeAnswer;
    if (a === 'network') return Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }));
    if (a === 'hang') return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)));
    return Promise.resolve(new Response(a.body ?? '{"studies":[]}', { status: a.status, headers: a.headers ?? { 'content-type': 'application/json' } }));
  };
  return { fetch: f as typeof fetch, calls };
}

describe('the client over a fake transport', () => {
  const fast = { baseUrl: 'https://ctgov.test/api/v2', requestsPerMinute: 60_000, backoffBaseMs: 2, backoffMaxMs: 4, random: () => 0 };

  it('retries a 503, a reset and a time-out, then answers', async () => {
    const t = fakeFetch([{ status: 503 }, 'network', 'hang', { status: 200, body: '{"studies":[{"a":1}],"nextPageToken":"n"}' }]);
    const events: RetryEvent[] = [];
    const c = new CtgovClient({ ...fast, timeoutMs: 50, fetch: t.fetch, onRetry: (e) => events.push(e) });
    expect(await c.studies(new URLSearchParams())).toEqual({ studies: [{ a: 1 }], nextPageToken: 'n' });
    expect(events.map((e) => e.reason)).toEqual(['HTTP 503', 'network: ECONNRESET', 'time-out']);
    expect(c.stats).toMatchObject({ requests: 4, retries: 3 });
  });

  it('gives up after its retries, saying what the API kept answering', async () => {
    const c = new CtgovClient({ ...fast, retries: 2, fetch: fakeFetch([{ status: 502 }]).fetch });
    await expect(c.studies(new URLSearchParams())).rejects.toThrow('ClinicalTrials.gov API at https://ctgov.test/api/v2 still answered HTTP 502 after 3 attempts: run the import again later');
  });

  it('does not wait a Retry-After longer than it may: it stops and says so', async () => {
    const c = new CtgovClient({ ...fast, maxRetryAfterMs: 60_000, fetch: fakeFetch([{ status: 429, headers: { 'retry-after': '3600' } }]).fetch });
    const err = (await c.studies(new URLSearchParams()).catch((e: unknown) => e)) as CtgovError;
    expect(err.kind).toBe('gave-up');
    expect(err.message).toContain('asks to wait 3600 s (Retry-After), more than 60 s');
  });

  it('an answer that is not JSON (a proxy\'s page) is an error naming the base URL setting', async () => {
    const c = new CtgovClient({ ...fast, fetch: fakeFetch([{ status: 200, body: '<html>login</html>', headers: { 'content-type': 'text/html' } }]).fetch });
    await expect(c.studies(new URLSearchParams())).rejects.toThrow(/not JSON \(text\/html\): is CAIRN_CTGOV_BASE_URL the API v2 base/);
  });

  it('keeps its pace: request starts at least 60 s / requestsPerMinute apart, retries included', async () => {
    const t = fakeFetch([{ status: 500 }, { status: 200 }, { status: 200 }]);
    const c = new CtgovClient({ ...fast, requestsPerMinute: 1200, fetch: t.fetch }); // 50 ms apart
    await c.studies(new URLSearchParams());
    await c.studies(new URLSearchParams());
    const gaps = t.calls.slice(1).map((at, i) => at - (t.calls[i] as number));
    expect(gaps).toHaveLength(2);
    // The client paces the moments it decides to start; this fake notes when fetch is reached,
    // which a loaded machine delays by a few milliseconds (clean-clone CI runs saw gaps of 47.8 and
    // 46.7 ms at this 50 ms pace). Unpaced, the gaps would be about 0.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(40);
  });

  it('counts the pace from when a request really started: a timer that fired late does not let the next follow at once', async () => {
    const t = fakeFetch([{ status: 200 }, { status: 200 }, { status: 200 }]);
    const c = new CtgovClient({ ...fast, requestsPerMinute: 1200, fetch: t.fetch }); // 50 ms apart
    await c.studies(new URLSearchParams());
    // The machine is busy for 150 ms while the second request waits for its turn: its timer fires late.
    setTimeout(() => {
      const until = performance.now() + 150;
      while (performance.now() < until);
    }, 5);
    await c.studies(new URLSearchParams());
    await c.studies(new URLSearchParams());
    const [first, second, third] = t.calls as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(140);
    expect(third - second).toBeGreaterThanOrEqual(40);
  });

  it('stops waiting when aborted', async () => {
    const abort = new AbortController();
    const c = new CtgovClient({ ...fast, backoffBaseMs: 10_000, backoffMaxMs: 10_000, signal: abort.signal, fetch: fakeFetch([{ status: 503 }]).fetch });
    const pending = c.studies(new URLSearchParams());
    setTimeout(() => abort.abort(new Error('shutting down')), 20);
    await expect(pending).rejects.toThrow('shutting down');
  });
});

describe('the background refresh', () => {
  const report = (query: string): CtgovImportReport => ({
    query,
    listed: 1,
    rechecked: 0,
    gone: [],
    unchanged: 1,
    added: 0,
    updated: 0,
    fetched: 0,
    invalid: [],
    criteriaEmbedded: 0,
    textsEmbedded: 0,
    pages: 1,
    requests: 1,
    retries: 0,
    durationMs: 1,
  });

  it('runs at once, in the background; a failure is logged, not thrown; stop aborts the run in progress and waits for it', async () => {
    const log = createLogger('silent');
    const warn = jest.spyOn(log, 'warn');
    let runs = 0;
    const failing = startCtgovRefresh({ everyHours: 0, log, run: () => Promise.reject(new Error(`run ${++runs} failed`)) });
    await failing.current;
    expect(runs).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ err: { message: 'run 1 failed' } }), expect.stringContaining('the trial store keeps what it had'));
    await failing.stop();

    let aborted = false;
    const slow = startCtgovRefresh({
      everyHours: 24,
      log,
      run: (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(report('cond=x'));
          });
        }),
    });
    expect(slow.current).toBeDefined();
    await slow.stop();
    expect(aborted).toBe(true);
    expect(slow.current).toBeUndefined();
  });
});
