/**
 * "Is it already on the problem list?" with a terminology server (CAIRN_TERMINOLOGY_URL): a more
 * specific SNOMED CT concept than the shipped value sets list suppresses the card when the server
 * says it is a descendant; without a server, or when it is slow or failing, the value sets decide;
 * answers are cached so a second hook does not ask again. Against a stand-in server
 * (tests/support/terminology-standin.ts) with a tiny hand-written hierarchy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { PrefetchData } from '../../src/hooks/prefetch/resolve.js';
import type { Card, HookRequest } from '../../src/hooks/schema.js';
import type { GuidelineHit, SearchOptions } from '../../src/knowledge/retriever.js';
import { loadConfig } from '../../src/config.js';
import { TtlCache, subsumptionOutcome, terminologyClient } from '../../src/fhir/terminology/subsumption.js';
import { DIAGNOSIS_EXTENSION } from '../../src/services/diagnosis/card.js';
import { diagnosisLogic } from '../../src/services/diagnosis/service.js';
import { createServiceLogic } from '../../src/services/index.js';
import { bp, condition, daysAgo, patient, REF, SCT, type Json } from '../unit/diagnosis-fixtures.js';
import { documentHash } from '../support/provenance.js';
import { startTerminologyStandin, subsumes, type TerminologyStandin } from '../support/terminology-standin.js';

/** A knowledge base that answers every query with one passage of the filtered guideline. */
const search = {
  async search(_query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
    const doc = options?.filters?.documentIds?.[0] ?? 'doc';
    return [
      {
        chunkId: `${doc}#s1`, documentId: doc, title: `Guideline ${doc}`, headingPath: ['Section 1'], text: `Passage of ${doc}.`,
        url: 'https://example.org/guideline', citation: 'Source 2025', kind: 'summary', documentHash: documentHash(doc), score: 1, ranks: {},
      },
    ];
  },
};

/** A logger whose warnings the test can read. */
function capturingLog() {
  const lines: Array<{ level: number; msg: string; unanswered?: number }> = [];
  const log = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } }));
  return { log, warnings: () => lines.filter((l) => l.level === 40) };
}

async function runHook(logic: ReturnType<typeof diagnosisLogic>, resources: Json[], log = capturingLog().log): Promise<Card[]> {
  const cards: Card[] = [];
  const prefetch = Object.fromEntries(resources.map((r, i) => [`r${i}`, r])) as unknown as PrefetchData;
  await logic(
    { request: {} as HookRequest, context: { patientId: 'p1', userId: 'Practitioner/1' }, prefetch, log, signal: new AbortController().signal },
    (c) => cards.push(...c),
  );
  return cards;
}

const conditionsCarded = (cards: Card[]) => cards.map((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition?: string } | undefined)?.condition);

/** Stage 2 hypertension by the readings (two visits ≥140/90), with one Condition on the problem list. */
const record = (code: string, ref: Date = REF) => [patient(), bp(152, 96, daysAgo(60, ref)), bp(150, 94, daysAgo(5, ref)), condition(SCT, code, { onset: daysAgo(400, ref) })];
// 712832005 supine hypertension: a descendant of 38341003, and in no shipped value set
// (fhir-profiles/valuesets/cairn-hypertension.json lists the common subtypes, such as 1201005).
const MORE_SPECIFIC = '712832005';

let server: TerminologyStandin;
beforeAll(async () => {
  server = await startTerminologyStandin();
});
afterAll(async () => server.close());
beforeEach(() => {
  server.requests.subsumes = 0;
  server.delayMs = 0;
  server.failWith = undefined;
});

const withServer = (timeoutMs = 500) =>
  diagnosisLogic({ search, indicator: 'warning', now: () => REF, terminology: terminologyClient({ baseUrl: server.base, timeoutMs }) });
const offline = () => diagnosisLogic({ search, indicator: 'warning', now: () => REF });

describe('the stand-in hierarchy', () => {
  it('answers as SNOMED CT would for the pairs used here', () => {
    expect(subsumes('38341003', MORE_SPECIFIC)).toBe('subsumes');
    expect(subsumes('59621000', '1201005')).toBe('subsumes');
    expect(subsumes('59621000', MORE_SPECIFIC)).toBe('not-subsumed');
    expect(subsumes(MORE_SPECIFIC, '38341003')).toBe('subsumed-by');
    expect(subsumes('38341003', '195967001')).toBe('not-subsumed');
  });
});

describe('a more specific concept on the problem list', () => {
  it('offline (no server) the value sets decide: a concept they do not list does not suppress the card', async () => {
    expect(conditionsCarded(await runHook(offline(), record(MORE_SPECIFIC)))).toContain('hypertension');
  });

  it('offline, a concept the value sets list still suppresses it (the fallback holds)', async () => {
    expect(conditionsCarded(await runHook(offline(), record('59621000')))).not.toContain('hypertension');
  });

  it('with the server, a descendant of 38341003 on the problem list suppresses the card', async () => {
    const cards = await runHook(withServer(), record(MORE_SPECIFIC));
    expect(conditionsCarded(cards)).not.toContain('hypertension');
    expect(server.requests.subsumes).toBeGreaterThan(0);
  });

  it('wired from the setting: CAIRN_TERMINOLOGY_URL reaches the diagnosis service', async () => {
    const config = loadConfig({ CAIRN_TERMINOLOGY_URL: server.base, CAIRN_REQUIRE_AUTH: 'false' });
    const logic = createServiceLogic({ search, config })['diagnosis'] as ReturnType<typeof diagnosisLogic>;
    // The wired service runs at the wall clock: a record dated from now.
    const cards = await runHook(logic, record(MORE_SPECIFIC, new Date()));
    expect(conditionsCarded(cards)).not.toContain('hypertension');
    expect(server.requests.subsumes).toBeGreaterThan(0);
  });

  it('with the server, an unrelated concept does not suppress it', async () => {
    expect(conditionsCarded(await runHook(withServer(), record('195967001')))).toContain('hypertension');
  });

  it('a code the value sets already place is not asked about', async () => {
    await runHook(withServer(), record('59621000'));
    expect(server.requests.subsumes).toBe(0);
  });
});

describe('cache, timeout and failure', () => {
  it('a second hook for the same record does not call the server again', async () => {
    const logic = withServer();
    expect(conditionsCarded(await runHook(logic, record(MORE_SPECIFIC)))).not.toContain('hypertension');
    const first = server.requests.subsumes;
    expect(first).toBeGreaterThan(0);
    expect(conditionsCarded(await runHook(logic, record(MORE_SPECIFIC)))).not.toContain('hypertension');
    expect(server.requests.subsumes).toBe(first);
  });

  it('a slow server: the hook does not wait past the timeout, the value sets decide, and it is logged', async () => {
    server.delayMs = 2000;
    const { log, warnings } = capturingLog();
    const started = Date.now();
    const cards = await runHook(withServer(100), record(MORE_SPECIFIC), log);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(conditionsCarded(cards)).toContain('hypertension');
    expect(warnings().some((w) => /terminology server/.test(w.msg) && (w.unanswered ?? 0) > 0)).toBe(true);
  });

  it('many lookups on a slow server are bounded as a whole by the timeout, not one timeout each', async () => {
    server.delayMs = 2000;
    // 40 more Conditions with SNOMED CT codes the value sets do not place: 40+ pairs, 8 at a time.
    const many = Array.from({ length: 40 }, (_, i) => condition(SCT, String(900000 + i * 11)));
    const started = Date.now();
    const cards = await runHook(withServer(150), [...record(MORE_SPECIFIC), ...many]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(conditionsCarded(cards)).toContain('hypertension');
    expect(server.requests.subsumes).toBeLessThanOrEqual(8);
  });

  it('a failing server: the value sets decide, it is logged, and the failure is not cached', async () => {
    server.failWith = 500;
    const logic = withServer();
    const { log, warnings } = capturingLog();
    expect(conditionsCarded(await runHook(logic, record(MORE_SPECIFIC), log))).toContain('hypertension');
    expect(warnings()).toHaveLength(1);
    server.failWith = undefined;
    // The server is back: the next hook asks again and now suppresses the card.
    expect(conditionsCarded(await runHook(logic, record(MORE_SPECIFIC)))).not.toContain('hypertension');
  });

  it('the hook deadline aborts lookups still waiting', async () => {
    server.delayMs = 2000;
    const client = terminologyClient({ baseUrl: server.base, timeoutMs: 1500 });
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 50);
    const started = Date.now();
    expect(await client.isA(SCT, '38341003', MORE_SPECIFIC, deadline.signal)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('client parts', () => {
  it('reads the outcome of a $subsumes answer, and nothing else', () => {
    expect(subsumptionOutcome({ resourceType: 'Parameters', parameter: [{ name: 'outcome', valueCode: 'subsumes' }] })).toBe('subsumes');
    expect(subsumptionOutcome({ resourceType: 'Parameters', parameter: [{ name: 'outcome', valueCode: 'maybe' }] })).toBeUndefined();
    expect(subsumptionOutcome({ resourceType: 'OperationOutcome' })).toBeUndefined();
  });

  it('the cache is bounded (least recently used goes first) and entries expire', () => {
    let now = 0;
    const cache = new TtlCache<boolean>(2, 1000, () => now);
    cache.set('a', true);
    cache.set('b', false);
    expect(cache.get('a')).toBe(true); // a is now the most recently used
    cache.set('c', true);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(true);
    now = 1001;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBeUndefined();
  });

  it('configuration: the setting turns it on, and its timeout must leave time before the hook deadline', () => {
    expect(loadConfig({}).terminology).toBeUndefined();
    expect(loadConfig({ CAIRN_TERMINOLOGY_URL: 'https://tx.example.org/fhir/' }).terminology).toEqual({ url: 'https://tx.example.org/fhir', timeoutMs: 300 });
    expect(() => loadConfig({ CAIRN_TERMINOLOGY_URL: 'https://tx.example.org/fhir', CAIRN_TERMINOLOGY_TIMEOUT_MS: '1500' })).toThrow(/CAIRN_TERMINOLOGY_TIMEOUT_MS/);
  });
});
