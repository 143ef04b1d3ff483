/** Hybrid retrieval on both databases, over the fixture corpus with the hashing embedder. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ingestPaths } from '../../../src/knowledge/ingest.js';
import { rankerScore } from '../../../src/knowledge/ranker.js';
import { SHIPPED_RANKER } from '../../../src/knowledge/ranker-model.js';
import { GuidelineRetriever } from '../../../src/knowledge/retriever.js';
import { createLogger } from '../../../src/log.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../../support/databases.js';
import { HashingEmbeddings } from '../../support/knowledge-embeddings.js';
import { repoPath } from '../../support/repo-root.js';

const FIXTURES = repoPath('tests/fixtures/guidelines');

describe.each(databaseKinds)('guideline retriever on %s', (kind) => {
  let t: TestDatabase;
  let embedder: HashingEmbeddings;
  let retriever: GuidelineRetriever;
  let relative: GuidelineRetriever;

  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrate: true });
    embedder = new HashingEmbeddings();
    await ingestPaths(t.db, [FIXTURES], embedder, { log: createLogger('silent') });
    retriever = new GuidelineRetriever({ db: t.db, embeddings: embedder });
    relative = new GuidelineRetriever({ db: t.db, embeddings: embedder, fusion: 'relative-score' });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('finds the section a clinician asks about, in every mode, with its citation and grade', async () => {
    for (const mode of ['vector', 'fulltext', 'hybrid'] as const) {
      const [top] = await retriever.search('qSOFA: respiratory rate, altered mentation and systolic blood pressure', { mode, k: 3 });
      expect(top?.chunkId).toBe('fixture-sepsis-qsofa#bedside-criteria');
    }
    const [hit] = await retriever.search('how often to rescreen adults with normal blood pressure', { k: 3 });
    expect(hit).toMatchObject({
      chunkId: 'fixture-hypertension-screening#screening-interval',
      documentId: 'fixture-hypertension-screening',
      title: 'Hypertension in Adults: Screening (test fixture)',
      headingPath: ['Screening Interval'],
      url: 'https://example.org/fixtures/hypertension-screening',
      citation: 'Cairn test fixture modelled on a screening recommendation',
      kind: 'verbatim',
    });
    expect(hit?.ranks.vector).toBeDefined();
    expect(hit?.ranks.fulltext).toBeDefined();
    const graded = await retriever.search('screen for hypertension with office blood pressure measurement', { k: 1 });
    expect(graded[0]).toMatchObject({ chunkId: 'fixture-hypertension-screening#recommendation-summary', grade: 'A', gradeSystem: 'USPSTF' });
  });

  it('gives each hit its document\'s stored content hash and version (the stated one, else the year), in every mode', async () => {
    const stored = new Map((await t.db.query<{ id: string; content_hash: string }>('SELECT id, content_hash FROM guideline_documents')).rows.map((r) => [r.id, r.content_hash]));
    const seen = new Set<string>();
    for (const mode of ['vector', 'fulltext', 'hybrid'] as const) {
      for (const h of await retriever.search('blood pressure screening, kidney function and sepsis criteria', { mode, k: 10 })) {
        expect(h.documentHash).toBe(stored.get(h.documentId));
        expect(h.documentHash).toMatch(/^[0-9a-f]{64}$/);
        seen.add(h.documentId);
      }
    }
    expect(seen.size).toBe(3);
    const version = async (query: string) => (await retriever.search(query, { k: 1 }))[0]?.documentVersion;
    // hypertension-screening.md states `version: "2021-04-27"`; sepsis-qsofa.md states only `year: 2016`.
    expect(await version('how often to rescreen adults with normal blood pressure')).toBe('2021-04-27');
    expect(await version('qSOFA: respiratory rate, altered mentation and systolic blood pressure')).toBe('2016');
  });

  it('returns the text exactly as written in the source file', async () => {
    const hits = await retriever.search('kidney function categories glomerular filtration', { k: 8 });
    expect(hits.length).toBeGreaterThan(2);
    const sources = await Promise.all(['ckd-staging.md', 'hypertension-screening.md', 'sepsis-qsofa.md'].map((f) => readFile(path.join(FIXTURES, f), 'utf8')));
    for (const h of hits) expect(sources.some((s) => s.includes(h.text))).toBe(true);
  });

  /** The relative-score fusion of a chunk, recomputed from the two single-method lists. */
  async function relativeScore(query: string, chunkId: string): Promise<number> {
    const byText = await retriever.search(query, { k: 40, mode: 'fulltext' });
    const byVector = await retriever.search(query, { k: 40, mode: 'vector' });
    const textMax = Math.max(...byText.map((h) => h.score));
    const [simMin, simMax] = [Math.min(...byVector.map((h) => h.score)), Math.max(...byVector.map((h) => h.score))];
    const text = byText.find((x) => x.chunkId === chunkId)?.score ?? 0;
    const sim = byVector.find((x) => x.chunkId === chunkId)?.score;
    const vector = sim === undefined ? 0 : (sim - simMin) / (simMax - simMin);
    const w = embedder.fusionWeight;
    return (w * vector + text / textMax) / (w + 1);
  }

  it('ranks hybrid candidates by the learned model: each hit scored from its features, best first', async () => {
    const query = 'blood pressure screening adults, SBP 150';
    const hits = await retriever.search(query, { k: 8 });
    const candidates = await retriever.rankerCandidates(query, { k: 8 });
    expect(hits.length).toBeGreaterThan(2);
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const h of hits) {
      const c = candidates.find((x) => x.chunkId === h.chunkId);
      expect(c).toBeDefined();
      expect(h.score).toBeCloseTo(rankerScore(SHIPPED_RANKER.model, c?.features ?? []), 9);
    }
    // No candidate left out of the ranking scores above the last hit.
    const last = scores[scores.length - 1] as number;
    const outside = candidates.filter((c) => !hits.some((h) => h.chunkId === c.chunkId));
    for (const c of outside) expect(rankerScore(SHIPPED_RANKER.model, c.features)).toBeLessThanOrEqual(last + 1e-9);
  });

  it('fuses by relative score when asked: each list scaled to [0, 1], weighted, summed', async () => {
    const query = 'blood pressure screening adults';
    const hits = await relative.search(query, { k: 8 });
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const h of hits) expect(h.score).toBeCloseTo(await relativeScore(query, h.chunkId), 6);
  });

  it('fuses by reciprocal rank when asked: a chunk high in both lists outranks one high in one', async () => {
    const rrf = new GuidelineRetriever({ db: t.db, embeddings: embedder, fusion: 'rrf' });
    const hits = await rrf.search('blood pressure screening adults', { k: 8 });
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const h of hits) {
      const expected = (h.ranks.vector ? 1 / (60 + h.ranks.vector) : 0) + (h.ranks.fulltext ? 1 / (60 + h.ranks.fulltext) : 0);
      expect(h.score).toBeCloseTo(expected, 10);
    }
  });

  it('demotes a passage whose stated range contradicts a value the query names', async () => {
    // The qSOFA passage states "a systolic blood pressure of 100 mmHg or less".
    const qsofa = 'fixture-sepsis-qsofa#bedside-criteria';
    const scoreOf = async (query: string) => (await relative.search(query, { k: 10 })).find((h) => h.chunkId === qsofa)?.score;
    const inside = 'qSOFA respiratory rate and systolic blood pressure, SBP 95 mmHg';
    const outside = 'qSOFA respiratory rate and systolic blood pressure, SBP 140 mmHg';
    expect(await scoreOf(inside)).toBeCloseTo(await relativeScore(inside, qsofa), 6);
    expect(await scoreOf(outside)).toBeCloseTo((await relativeScore(outside, qsofa)) - 0.1, 6);
  });

  it('filters by codes (FHIR system URIs, ICD-10 subcodes), topics, documents and kind', async () => {
    const q = 'blood pressure';
    const docs = async (filters: Parameters<GuidelineRetriever['search']>[1]) =>
      [...new Set((await retriever.search(q, { k: 10, ...filters })).map((h) => h.documentId))].sort();
    expect(await docs({ filters: { codes: { 'http://hl7.org/fhir/sid/icd-10-cm': ['N18.4'] } } })).toEqual(['fixture-ckd-staging']);
    expect(await docs({ filters: { codes: { loinc: ['8480-6'], snomed: ['91302008'] } } })).toEqual(['fixture-hypertension-screening', 'fixture-sepsis-qsofa']);
    expect(await docs({ filters: { topics: ['Sepsis'] } })).toEqual(['fixture-sepsis-qsofa']);
    expect(await docs({ filters: { documentIds: ['fixture-ckd-staging'] }, mode: 'vector' })).toEqual(['fixture-ckd-staging']);
    expect(await docs({ filters: { kind: 'verbatim' } })).toEqual(['fixture-hypertension-screening']);
    expect(await docs({ filters: { kind: 'summary', topics: ['hypertension'] } })).toEqual([]);
    expect(await docs({ filters: { codes: { snomed: ['0000'] } } })).toEqual([]);
  });

  it('lifts the guidelines of preferred codes without hiding the rest, in every fusion', async () => {
    const prefer = { 'http://snomed.info/sct': ['709044004'] };
    const bestCkdRank = (hits: Awaited<ReturnType<GuidelineRetriever['search']>>) => hits.findIndex((h) => h.documentId === 'fixture-ckd-staging');
    for (const r of [retriever, relative]) {
      const plain = await r.search('blood pressure', { k: 8 });
      const preferred = await r.search('blood pressure', { k: 8, preferCodes: prefer });
      expect(bestCkdRank(plain)).toBeGreaterThan(0);
      expect(bestCkdRank(preferred)).toBeLessThan(bestCkdRank(plain));
      expect(bestCkdRank(preferred)).toBeLessThanOrEqual(1);
      expect(new Set(preferred.map((h) => h.documentId)).size).toBeGreaterThan(1);
    }
    // Relative-score fusion adds half its [0, 1] range: enough to lead here.
    expect((await relative.search('blood pressure', { k: 8, preferCodes: prefer }))[0]?.documentId).toBe('fixture-ckd-staging');
  });

  it('embeds a repeated query once (LRU cache)', async () => {
    embedder.resetCounts();
    await retriever.search('a query asked twice about sepsis', { mode: 'vector' });
    await Promise.all([retriever.search('a query asked twice about sepsis'), retriever.search('a query asked twice about sepsis')]);
    expect(embedder.queriesEmbedded).toBe(1);
    await retriever.search('full text needs no embedding', { mode: 'fulltext' });
    expect(embedder.queriesEmbedded).toBe(1);
  });

  it('works as a LangChain retriever', async () => {
    const r = new GuidelineRetriever({ db: t.db, embeddings: embedder, k: 2, filters: { topics: ['kidney'] } });
    const docs = await r.invoke('GFR category G3a');
    expect(docs).toHaveLength(2);
    expect(docs[0]?.metadata.documentId).toBe('fixture-ckd-staging');
    expect(docs[0]?.id).toBe(docs[0]?.metadata.chunkId);
    expect(typeof docs[0]?.pageContent).toBe('string');
  });

  it('answers nothing for an empty query and survives punctuation-only text', async () => {
    expect(await retriever.search('   ')).toEqual([]);
    expect(await retriever.search('?!… —', { mode: 'fulltext' })).toEqual([]);
    expect((await retriever.search("what's BP & (SBP)? | !", { k: 1 })).length).toBe(1);
  });
});
