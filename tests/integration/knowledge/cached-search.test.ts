/**
 * The corpus-versioned search cache on both databases, over the real retriever: a changed
 * guideline ingested in this process is what the very next search returns, a re-ingest with another
 * embedding model makes the cached hits be searched again, and an unchanged corpus is searched once.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CachedGuidelineSearch } from '../../../src/knowledge/cached-search.js';
import { CorpusVersion, readCorpusVersion } from '../../../src/knowledge/corpus-version.js';
import { databaseFixedAnswers, type FixedAnswerStore } from '../../../src/knowledge/fixed-answers.js';
import type { GuidelineSearch } from '../../../src/knowledge/guideline-search.js';
import { ingestPaths } from '../../../src/knowledge/ingest.js';
import { GuidelineRetriever, type SearchOptions } from '../../../src/knowledge/retriever.js';
import { createLogger } from '../../../src/log.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../../support/databases.js';
import { HashingEmbeddings } from '../../support/knowledge-embeddings.js';
import { clearGuidelines, copyFixtureCorpus } from '../../support/guideline-corpus.js';

const quiet = createLogger('silent');
const QUESTION = 'screening blood pressure adults at increased risk';
const OPTIONS: SearchOptions = { k: 1, filters: { documentIds: ['fixture-hypertension-screening'] } };

/** The retriever behind a counter, and swappable (another embedding model is another retriever). */
class CountingRetriever implements GuidelineSearch {
  calls = 0;
  constructor(public retriever: GuidelineRetriever) {}
  search(query: string, options?: SearchOptions) {
    this.calls++;
    return this.retriever.search(query, options);
  }
}

describe.each(databaseKinds)('corpus-versioned guideline search on %s', (kind) => {
  let t: TestDatabase;
  let dir: string;
  let version: CorpusVersion;

  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrate: true });
  });
  afterAll(async () => {
    await t?.dispose();
  });
  beforeEach(async () => {
    await clearGuidelines(t.db);
    dir = await copyFixtureCorpus();
  });
  afterEach(async () => {
    version?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function cachedOver(embedder: HashingEmbeddings, maxAgeMs = 60_000, answers?: FixedAnswerStore) {
    const inner = new CountingRetriever(new GuidelineRetriever({ db: t.db, embeddings: embedder }));
    version = new CorpusVersion(t.db, { queryModelId: embedder.modelId, maxAgeMs });
    return { inner, cached: new CachedGuidelineSearch({ inner, version, ...(answers && { answers }) }) };
  }

  it('answers a fixed question once per corpus version across processes: stored, loaded by the next, asked anew after a corpus change', async () => {
    const embedder = new HashingEmbeddings();
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    await t.db.query('DELETE FROM fixed_guideline_answers');
    const answers = databaseFixedAnswers(t.db);
    // The first process: its warm-up answers the question it is given, and stores the answer.
    const first = cachedOver(embedder, 60_000, answers);
    expect(await first.cached.warm([{ query: QUESTION, options: OPTIONS }])).toMatchObject({ loaded: 0, answered: 1 });
    const hits = await first.cached.searchFixed(QUESTION, OPTIONS);
    expect(first.inner.calls).toBe(1);
    version.close();

    // A restart (or a second instance): loaded, never searched.
    const second = cachedOver(embedder, 60_000, answers);
    expect(await second.cached.warm()).toMatchObject({ loaded: 1, answered: 0 });
    expect(await second.cached.searchFixed(QUESTION, OPTIONS)).toEqual(hits);
    expect(second.inner.calls).toBe(0);
    version.close();

    // The corpus changes: the next start answers the known question under the new version, quoting the new text.
    const file = path.join(dir, 'hypertension-screening.md');
    await writeFile(file, (await readFile(file, 'utf8')).replace('should be screened every year.', 'should be screened every six months.'));
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const third = cachedOver(embedder, 60_000, answers);
    expect(await third.cached.warm()).toMatchObject({ loaded: 0, answered: 1 });
    expect((await third.cached.searchFixed(QUESTION, OPTIONS))[0]?.text).toContain('should be screened every six months.');
    expect(third.inner.calls).toBe(1);
    // Only the current version's answers are kept.
    const versions = await t.db.query<{ n: number }>('SELECT count(DISTINCT corpus_version)::int AS n FROM fixed_guideline_answers');
    expect(versions.rows[0]?.n).toBe(1);
  });

  it('stores an answer computed on a hook, without the hook waiting for the write', async () => {
    const embedder = new HashingEmbeddings();
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    await t.db.query('DELETE FROM fixed_guideline_answers');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const real = databaseFixedAnswers(t.db);
    // A store whose write does not finish until released: the search must answer anyway.
    const slow: FixedAnswerStore = { ...real, save: async (...args) => (await held, real.save(...args)) };
    const { cached } = cachedOver(embedder, 60_000, slow);
    expect((await cached.searchFixed(QUESTION, OPTIONS))[0]?.text).toContain('should be screened every year');
    expect((await t.db.query('SELECT 1 FROM fixed_guideline_answers')).rowCount).toBe(0);
    release();
    // warm waits for the write pending from the hook, and reads the answer back rather than asking again.
    expect(await cached.warm()).toMatchObject({ loaded: 1, answered: 0 });
    expect((await t.db.query('SELECT query FROM fixed_guideline_answers')).rows).toEqual([{ query: QUESTION }]);
  });

  it('searches a fixed question once while the corpus is unchanged, even across an unchanged re-ingest', async () => {
    const embedder = new HashingEmbeddings();
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const { inner, cached } = cachedOver(embedder);
    const first = await cached.searchFixed(QUESTION, OPTIONS);
    expect(first[0]?.text).toContain('should be screened every year');
    for (let i = 0; i < 20; i++) expect(await cached.searchFixed(QUESTION, OPTIONS)).toEqual(first);
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    expect(await cached.searchFixed(QUESTION, OPTIONS)).toEqual(first);
    expect(inner.calls).toBe(1);
    expect(embedder.queriesEmbedded).toBe(1);
  });

  it('returns a changed guideline text on the very next search after an ingest in this process', async () => {
    const embedder = new HashingEmbeddings();
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const { inner, cached } = cachedOver(embedder);
    expect((await cached.searchFixed(QUESTION, OPTIONS))[0]?.text).not.toContain('every six months');

    const file = path.join(dir, 'hypertension-screening.md');
    await writeFile(file, (await readFile(file, 'utf8')).replace('should be screened every year.', 'should be screened every six months.'));
    await ingestPaths(t.db, [dir], embedder, { log: quiet });

    expect((await cached.searchFixed(QUESTION, OPTIONS))[0]?.text).toContain('should be screened every six months.');
    expect(inner.calls).toBe(2);
  });

  it('sees another writer’s change once the version is older than its bound', async () => {
    const embedder = new HashingEmbeddings();
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const { cached } = cachedOver(embedder, 0);
    const before = await version.current();
    // Another instance's ingest: the stored corpus changes without this process being told.
    await t.db.query("UPDATE guideline_documents SET content_hash = 'elsewhere' WHERE id = 'fixture-hypertension-screening'");
    const stored = await readCorpusVersion(t.db, embedder.modelId);
    expect(stored).not.toBe(before);
    // The re-read runs behind the answers (the bound here is 0 ms): a later search sees it.
    let seen = before;
    for (let i = 0; i < 100 && seen !== stored; i++) {
      await cached.searchFixed(QUESTION, OPTIONS);
      await new Promise((r) => setTimeout(r, 10));
      seen = await version.current();
    }
    expect(seen).toBe(stored);
  });

  it('searches again after a re-ingest with another embedding model', async () => {
    const first = new HashingEmbeddings({ modelId: 'model-a' });
    await ingestPaths(t.db, [dir], first, { log: quiet });
    const { inner, cached } = cachedOver(first);
    await cached.searchFixed(QUESTION, OPTIONS);
    await cached.searchFixed(QUESTION, OPTIONS);
    expect(inner.calls).toBe(1);

    // Same words and dimension, another model: only the recorded model changes.
    const second = new HashingEmbeddings({ modelId: 'model-b' });
    const report = await ingestPaths(t.db, [dir], second, { log: quiet });
    expect(report.modelChanged).toBe(true);
    inner.retriever = new GuidelineRetriever({ db: t.db, embeddings: second });
    const hits = await cached.searchFixed(QUESTION, OPTIONS);
    expect(inner.calls).toBe(2);
    expect(second.queriesEmbedded).toBe(1);
    expect(hits[0]?.text).toContain('should be screened every year');
  });
});
