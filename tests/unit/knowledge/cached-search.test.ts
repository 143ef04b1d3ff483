/**
 * The corpus-versioned search caches, on a counting fake retriever and a settable version: a fixed
 * question is searched once per version however often it is asked, free text is cached apart from
 * it, and a new version (a changed corpus or embedding model) asks again.
 */
import { describe, expect, it } from '@jest/globals';
import { CachedGuidelineSearch } from '../../../src/knowledge/cached-search.js';
import { CorpusVersion } from '../../../src/knowledge/corpus-version.js';
import type { Queryable } from '../../../src/db/database.js';
import type { GuidelineSearch } from '../../../src/knowledge/guideline-search.js';
import type { GuidelineHit, SearchOptions } from '../../../src/knowledge/retriever.js';
import type { FixedAnswerStore, FixedQuestion } from '../../../src/knowledge/fixed-answers.js';

function hit(text: string): GuidelineHit {
  return { chunkId: `c-${text}`, documentId: 'd', title: 'T', headingPath: ['H'], text, citation: 'C', kind: 'verbatim', documentHash: 'd'.repeat(64), score: 1, ranks: { vector: 1 } };
}

class CountingSearch implements GuidelineSearch {
  calls: Array<{ query: string; options: SearchOptions | undefined }> = [];
  answer = 'first';
  failNext = false;
  async search(query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
    this.calls.push({ query, options });
    await new Promise((r) => setTimeout(r, 1));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database down');
    }
    return [hit(`${this.answer}:${query}`)];
  }
}

function setup() {
  const inner = new CountingSearch();
  const version = { value: 'v1', current: () => Promise.resolve(version.value) };
  return { inner, version, cached: new CachedGuidelineSearch({ inner, version }) };
}

const OPTIONS: SearchOptions = { k: 1, filters: { documentIds: ['summary-rcp-news2-2017'] } };

describe('CachedGuidelineSearch', () => {
  it('searches a fixed question once across many calls, including concurrent ones', async () => {
    const { inner, cached } = setup();
    const answers = await Promise.all(Array.from({ length: 50 }, () => cached.searchFixed('NEWS2 aggregate score 7 or more', OPTIONS)));
    for (let i = 0; i < 50; i++) await cached.searchFixed('NEWS2 aggregate score 7 or more', { filters: { documentIds: ['summary-rcp-news2-2017'] }, k: 1 });
    expect(inner.calls).toHaveLength(1);
    expect(answers.every((a) => a[0]?.text === 'first:NEWS2 aggregate score 7 or more')).toBe(true);
  });

  it('keeps questions with other options or text apart', async () => {
    const { inner, cached } = setup();
    await cached.searchFixed('q', { k: 1 });
    await cached.searchFixed('q', { k: 5 });
    await cached.searchFixed('q', { k: 1, mode: 'vector' });
    await cached.searchFixed('q2', { k: 1 });
    await cached.searchFixed('q', { k: 1, filters: { codes: { snomed: ['38341003'] } } });
    await cached.searchFixed('q', { k: 1, filters: { codes: { snomed: ['44054006'] } } });
    await cached.searchFixed('q', { k: 1, preferCodes: { snomed: ['38341003'] } });
    await cached.searchFixed('q', { k: 1, filters: { topics: ['sepsis'] } });
    await cached.searchFixed('q', { k: 1, filters: { kind: 'summary' } });
    expect(inner.calls).toHaveLength(9);
    await cached.searchFixed('q', { k: 1, filters: { codes: { snomed: ['44054006'] } } });
    expect(inner.calls).toHaveLength(9);
  });

  it('asks again under a new corpus version (a changed document or embedding model)', async () => {
    const { inner, version, cached } = setup();
    expect((await cached.searchFixed('q', OPTIONS))[0]?.text).toBe('first:q');
    inner.answer = 'second';
    version.value = 'v2';
    expect((await cached.searchFixed('q', OPTIONS))[0]?.text).toBe('second:q');
    expect(inner.calls).toHaveLength(2);
  });

  it('answers the known questions under a new corpus version in the background, once it sees the change', async () => {
    const inner = new CountingSearch();
    const version = { value: 'v1', current: () => Promise.resolve(version.value) };
    const rows = new Map<string, { version: string; key: string; question: FixedQuestion; hits: GuidelineHit[] }>();
    const store: FixedAnswerStore = {
      load: async (v) => [...rows.values()].filter((r) => r.version === v).map((r) => ({ key: r.key, hits: r.hits })),
      save: async (v, key, question, hits) => void rows.set(`${v}|${key}`, { version: v, key, question, hits: [...hits] }),
      questions: async () => [...new Map([...rows.values()].map((r) => [r.key, { key: r.key, ...r.question }])).values()],
      keepOnly: async (v) => [...rows.keys()].filter((k) => !k.startsWith(`${v}|`)).map((k) => rows.delete(k)).length,
    };
    const cached = new CachedGuidelineSearch({ inner, version, answers: store });
    await cached.searchFixed('q1', OPTIONS);
    await cached.searchFixed('q2', OPTIONS);
    await cached.settled();
    expect(inner.calls).toHaveLength(2);

    version.value = 'v2';
    inner.answer = 'second';
    // A hook asks q1 under v2; q2, asked under v1 only, is answered too, without a hook asking it.
    expect((await cached.searchFixed('q1', OPTIONS))[0]?.text).toBe('second:q1');
    await cached.settled();
    expect(inner.calls.map((c) => c.query).sort()).toEqual(['q1', 'q1', 'q2', 'q2']);
    expect((await cached.searchFixed('q2', OPTIONS))[0]?.text).toBe('second:q2');
    expect(inner.calls).toHaveLength(4);
    expect([...rows.values()].every((r) => r.version === 'v2')).toBe(true);
  });

  it('caches free text apart from fixed questions', async () => {
    const { inner, cached } = setup();
    await cached.search('chest pain', OPTIONS);
    await cached.search('chest pain', OPTIONS);
    expect(inner.calls).toHaveLength(1);
    // The same words as a fixed question are not answered from the free-text cache.
    await cached.searchFixed('chest pain', OPTIONS);
    expect(inner.calls).toHaveLength(2);
    expect(cached.size).toEqual({ fixed: 1, freeText: 1 });
  });

  it('forgets a failed search, so the next call asks again', async () => {
    const { inner, cached } = setup();
    inner.failNext = true;
    await expect(cached.searchFixed('q', OPTIONS)).rejects.toThrow('database down');
    expect((await cached.searchFixed('q', OPTIONS))[0]?.text).toBe('first:q');
    expect(inner.calls).toHaveLength(2);
  });

  it('gives each caller its own copy of the hits', async () => {
    const { cached } = setup();
    const a = await cached.searchFixed('q', OPTIONS);
    (a[0] as GuidelineHit).headingPath.push('changed');
    a.pop();
    const b = await cached.searchFixed('q', OPTIONS);
    expect(b[0]?.headingPath).toEqual(['H']);
  });
});

/** A database answering the version query with a settable document list. */
function fakeDb(state: { docs: string; model: string; reads: number }): Queryable {
  return {
    query: <R>() => {
      state.reads++;
      return Promise.resolve({ rows: [{ docs: state.docs, model: state.model }] as R[], rowCount: 1 });
    },
  } as unknown as Queryable;
}

describe('CorpusVersion', () => {
  it('reads once, then answers from memory until it is old, then re-reads behind the answer', async () => {
    const state = { docs: 'a:1', model: 'm:64', reads: 0 };
    let now = 0;
    const v = new CorpusVersion(fakeDb(state), { queryModelId: 'm', maxAgeMs: 1000, now: () => now });
    const first = await v.current();
    for (let i = 0; i < 20; i++) expect(await v.current()).toBe(first);
    expect(state.reads).toBe(1);
    state.docs = 'a:2';
    now = 1000;
    // Stale: the old version is answered while the new one is read.
    expect(await v.current()).toBe(first);
    await new Promise((r) => setImmediate(r));
    expect(await v.current()).not.toBe(first);
    expect(state.reads).toBe(2);
  });

  it('changes with the recorded model and with the model queries are embedded with', async () => {
    const state = { docs: 'a:1', model: 'm:64', reads: 0 };
    const base = await new CorpusVersion(fakeDb(state), { queryModelId: 'm' }).current();
    expect(await new CorpusVersion(fakeDb(state), { queryModelId: 'other' }).current()).not.toBe(base);
    state.model = 'other:64';
    expect(await new CorpusVersion(fakeDb(state), { queryModelId: 'm' }).current()).not.toBe(base);
  });

  it('re-reads before the next answer after invalidate (an ingest in this process)', async () => {
    const state = { docs: 'a:1', model: 'm:64', reads: 0 };
    const v = new CorpusVersion(fakeDb(state), { queryModelId: 'm', maxAgeMs: 60_000 });
    const first = await v.current();
    state.docs = 'a:2';
    v.invalidate();
    expect(await v.current()).not.toBe(first);
  });
});
