/**
 * Shipped vectors (vectors/*.vectors, src/search/embeddings/precomputed.ts) with the real USE-lite:
 * a start-up that copies them stores exactly the vectors a start-up that embeds would, so retrieval
 * gives the same answers; and the shipped files cover everything start-up embeds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knowledgeBase, type UnloadedKnowledgeBase } from '../../../src/knowledge/knowledge-base.js';
import { createLogger } from '../../../src/log.js';
import type { PrecomputedEmbeddings } from '../../../src/search/embeddings/precomputed.js';
import { CairnEmbeddings } from '../../../src/search/embeddings/types.js';
import { UseLiteEmbeddings, USE_LITE_DIMENSIONS, USE_LITE_MODEL_ID } from '../../../src/search/embeddings/use-lite.js';
import { encodeVectorFile } from '../../../src/search/embeddings/vector-file.js';
import { importTrialFiles } from '../../../src/services/trials/store/open.js';
import { openTestDatabase, type TestDatabase } from '../../support/databases.js';
import { repoPath } from '../../support/repo-root.js';

const log = createLogger('silent');

/** USE-lite, keeping what it gave for each text (as dev/cli/build-vectors.ts records them). */
class Recording extends UseLiteEmbeddings {
  readonly recorded = new Map<string, number[]>();
  override async embedDocuments(texts: string[]): Promise<number[][]> {
    const vectors = await super.embedDocuments(texts);
    texts.forEach((t, i) => this.recorded.set(t, vectors[i] as number[]));
    return vectors;
  }
}

/** USE-lite's id and size, and a refusal to embed anything: every text must come from the files. */
class NothingToEmbed extends CairnEmbeddings {
  readonly modelId = USE_LITE_MODEL_ID;
  dimensions(): Promise<number> {
    return Promise.resolve(USE_LITE_DIMENSIONS);
  }
  embedDocuments(texts: string[]): Promise<number[][]> {
    return Promise.reject(new Error(`not in vectors/ (run npm run vectors:build): ${texts.map((t) => JSON.stringify(t.slice(0, 80))).join(', ')}`));
  }
  embedQuery(): Promise<number[]> {
    return Promise.reject(new Error('not used'));
  }
}

describe('shipped vectors with USE-lite', () => {
  let embedded: TestDatabase;
  let copied: TestDatabase;
  let dir: string;
  let recording: Recording;
  let withFile: UnloadedKnowledgeBase;
  let withoutFile: UnloadedKnowledgeBase;
  const corpus = repoPath('tests/fixtures/guidelines');

  beforeAll(async () => {
    [embedded, copied] = await Promise.all([openTestDatabase('pglite', { migrate: true }), openTestDatabase('pglite', { migrate: true })]);
    dir = await mkdtemp(join(tmpdir(), 'cairn-vectors-'));
    // A first start without the file: the ingest embeds every chunk; the vectors it made become the file.
    recording = new Recording();
    withoutFile = knowledgeBase(embedded.db, { model: recording, guidelinesDir: corpus, log });
    await withoutFile.load();
    await writeFile(join(dir, 'guidelines.vectors'), encodeVectorFile(USE_LITE_MODEL_ID, USE_LITE_DIMENSIONS, recording.recorded));
    // A first start with it.
    withFile = knowledgeBase(copied.db, { guidelinesDir: corpus, vectorsDir: dir, log });
    await withFile.load();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([embedded?.dispose(), copied?.dispose()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('copies every chunk vector from the file, bit for bit what the model gave', async () => {
    const precomputed = withFile.embeddings as PrecomputedEmbeddings;
    expect(precomputed.stats).toEqual({ fromFiles: recording.recorded.size, embedded: 0 });
    const texts = [...recording.recorded.keys()].slice(0, 5);
    const fromFile = await precomputed.embedDocuments(texts);
    texts.forEach((t, i) => {
      const model = recording.recorded.get(t) as number[];
      expect(fromFile[i]).toHaveLength(USE_LITE_DIMENSIONS);
      expect((fromFile[i] as number[]).every((x, j) => Object.is(x, model[j]))).toBe(true);
    });
    const stored = async (t: TestDatabase) => (await t.db.query<{ id: string; v: string }>('SELECT id, embedding::text AS v FROM guideline_chunks ORDER BY id')).rows;
    const [a, b] = await Promise.all([stored(embedded), stored(copied)]);
    expect(b).toEqual(a);
    expect(a.length).toBe(recording.recorded.size);
  });

  it('retrieves the same passages with the same scores', async () => {
    for (const q of ['how often should a 25 year old with normal BP be rescreened', 'RR 24, confused, SBP 95 — sepsis risk score', 'eGFR 38: which kidney function category']) {
      for (const mode of ['vector', 'hybrid'] as const) {
        const [a, b] = await Promise.all([withoutFile.retriever.search(q, { mode, k: 5 }), withFile.retriever.search(q, { mode, k: 5 })]);
        expect(b.map((h) => [h.chunkId, h.score])).toEqual(a.map((h) => [h.chunkId, h.score]));
        expect(a.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('the shipped files', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('pglite', { migrate: true });
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
  });

  it('hold every text a first start embeds: the guideline corpus and the recruiting demo trials', async () => {
    const kb = knowledgeBase(t.db, { model: new NothingToEmbed(), guidelinesDir: repoPath('guidelines'), vectorsDir: repoPath('vectors'), log });
    const report = await kb.load();
    expect(report?.chunksEmbedded).toBeGreaterThan(300);
    const trials = await importTrialFiles(t.db, kb.embeddings, { paths: [repoPath('trials')], log });
    expect(trials.report?.trials).toBeGreaterThan(30);
    expect((kb.embeddings as PrecomputedEmbeddings).stats.embedded).toBe(0);
  }, 120_000);
});
