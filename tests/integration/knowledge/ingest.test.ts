/**
 * Ingest on both databases: idempotent, incremental, atomic. A counting fake embedder shows what
 * was embedded; a snapshot of the tables shows what changed.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../../../src/db/database.js';
import { vectorIndexMemory } from '../../../src/search/embedding-model.js';
import { GUIDELINE_VECTOR_INDEX as VECTOR_INDEX, GUIDELINE_VECTORS } from '../../../src/knowledge/store.js';
import { ensureDefaultCorpus, ingestPaths } from '../../../src/knowledge/ingest.js';
import { GuidelineRetriever } from '../../../src/knowledge/retriever.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../../support/databases.js';
import { HashingEmbeddings } from '../../support/knowledge-embeddings.js';
import { makePdf } from '../../support/knowledge-pdf.js';
import { createLogger } from '../../../src/log.js';
import { clearGuidelines, copyFixtureCorpus } from '../../support/guideline-corpus.js';

const quiet = createLogger('silent');

async function snapshot(db: Database): Promise<unknown> {
  const docs = await db.query('SELECT id, content_hash, source_path, body FROM guideline_documents ORDER BY id');
  const chunks = await db.query('SELECT id, document_id, content_hash, text, embedding::text AS e FROM guideline_chunks ORDER BY id');
  const model = await db.query('SELECT model_id, dimension FROM guideline_embedding_model');
  return { docs: docs.rows, chunks: chunks.rows, model: model.rows };
}

describe.each(databaseKinds)('guideline ingest on %s', (kind) => {
  let t: TestDatabase;
  let dir: string;
  let embedder: HashingEmbeddings;

  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrate: true });
  });
  afterAll(async () => {
    await t?.dispose();
  });
  beforeEach(async () => {
    await clearGuidelines(t.db);
    dir = await copyFixtureCorpus();
    embedder = new HashingEmbeddings();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ingests a corpus, and a second run on the unchanged corpus embeds nothing and writes nothing', async () => {
    const first = await ingestPaths(t.db, [dir], embedder, { log: quiet });
    expect(first).toMatchObject({ documents: 3, documentsAdded: 3, chunksEmbedded: 8, chunksUnchanged: 0, chunksRemoved: 0 });
    expect(embedder.documentsEmbedded).toBe(8);
    const before = await snapshot(t.db);

    embedder.resetCounts();
    const second = await ingestPaths(t.db, [dir], embedder, { log: quiet });
    expect(second).toMatchObject({ documents: 3, documentsUnchanged: 3, chunksEmbedded: 0, chunksUnchanged: 8, chunksRemoved: 0, modelChanged: false });
    expect(embedder.documentsEmbedded).toBe(0);
    expect(embedder.queriesEmbedded).toBe(0);
    expect(await snapshot(t.db)).toEqual(before);
    const index = await t.db.query('SELECT 1 FROM pg_indexes WHERE indexname = $1', [VECTOR_INDEX]);
    expect(index.rowCount).toBe(1);
  });

  it('measures the vector index against shared_buffers (what the ingest warns about on PostgreSQL)', async () => {
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const memory = await vectorIndexMemory(t.db, GUIDELINE_VECTORS);
    expect(memory?.indexBytes).toBeGreaterThan(0);
    expect(memory?.sharedBuffersBytes).toBeGreaterThanOrEqual(128 * 1024); // PostgreSQL's minimum
  });

  it('stores every chunk as an exact substring of the stored body and of the source file', async () => {
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const rows = await t.db.query<{ id: string; text: string; start_offset: number; end_offset: number; body: string; source_path: string }>(
      `SELECT c.id, c.text, c.start_offset, c.end_offset, d.body, d.source_path
       FROM guideline_chunks c JOIN guideline_documents d ON d.id = c.document_id`,
    );
    expect(rows.rowCount).toBe(8);
    for (const r of rows.rows) {
      expect(r.body.slice(r.start_offset, r.end_offset)).toBe(r.text);
      expect(await readFile(r.source_path, 'utf8')).toContain(r.text);
    }
  });

  it('re-embeds only the changed chunks of a changed document, and removes its deleted sections', async () => {
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const file = path.join(dir, 'hypertension-screening.md');
    const text = await readFile(file, 'utf8');
    const edited = text
      .replace('should be screened every year.', 'should be screened every year, with office measurement.')
      .replace(/## Screening Interval[\s\S]*$/, '## Follow-up\n\nRepeat the measurement.\n');
    await writeFile(file, edited);

    embedder.resetCounts();
    const r = await ingestPaths(t.db, [dir], embedder, { log: quiet });
    // Changed: the subsection's text; new: Follow-up; gone: Screening Interval.
    expect(r).toMatchObject({ documentsUpdated: 1, documentsUnchanged: 2, chunksEmbedded: 2, chunksRemoved: 1, chunksUnchanged: 6 });
    expect(embedder.documentsEmbedded).toBe(2);
    const ids = (await t.db.query<{ id: string }>("SELECT id FROM guideline_chunks WHERE document_id = 'fixture-hypertension-screening' ORDER BY ordinal")).rows.map((x) => x.id);
    expect(ids).toEqual([
      'fixture-hypertension-screening#recommendation-summary',
      'fixture-hypertension-screening#recommendation-summary-adults-at-increased-risk',
      'fixture-hypertension-screening#follow-up',
    ]);
  });

  it('updates a grade without re-embedding', async () => {
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const file = path.join(dir, 'sepsis-qsofa.md');
    await writeFile(file, (await readFile(file, 'utf8')).replace('grade: "strong"', 'grade: "weak"'));
    embedder.resetCounts();
    const r = await ingestPaths(t.db, [dir], embedder, { log: quiet });
    expect(r).toMatchObject({ documentsUpdated: 1, chunksEmbedded: 0 });
    const g = await t.db.query<{ grade: string }>("SELECT grade FROM guideline_chunks WHERE id = 'fixture-sepsis-qsofa#bedside-criteria'");
    expect(g.rows[0]?.grade).toBe('weak');
  });

  it('removes a deleted document with --prune only', async () => {
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    await rm(path.join(dir, 'sepsis-qsofa.md'));
    const kept = await ingestPaths(t.db, [dir], embedder, { log: quiet });
    expect(kept).toMatchObject({ documents: 2, documentsRemoved: 0 });
    const pruned = await ingestPaths(t.db, [dir], embedder, { prune: true, log: quiet });
    expect(pruned).toMatchObject({ documents: 2, documentsRemoved: 1, chunksRemoved: 2, chunksEmbedded: 0 });
    const left = await t.db.query<{ id: string }>('SELECT id FROM guideline_documents ORDER BY id');
    expect(left.rows.map((r) => r.id)).toEqual(['fixture-ckd-staging', 'fixture-hypertension-screening']);
  });

  it.each([
    ['bad front matter', 'bad.md', Buffer.from('---\nid: Bad Id\ntitle: x\n---\n## A\n\ntext\n'), "bad.md: invalid front matter: field 'id' must be kebab-case"],
    ['an empty PDF', 'empty.pdf', makePdf({ pages: [[]] }), 'empty.pdf: the PDF has no extractable text'],
    ['binary junk', 'junk.md', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x01]), 'junk.md: is a binary file'],
    ['binary junk named .pdf', 'junk.pdf', Buffer.from([0x00, 0x01, 0x02, 0xff, 0x13, 0x37]), 'junk.pdf: not a readable PDF'],
  ])('fails on %s, naming the file, and leaves the knowledge base as it was', async (_what, name, bytes, message) => {
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const before = await snapshot(t.db);
    // A real change next to the malformed file must not be applied either.
    await writeFile(path.join(dir, 'sepsis-qsofa.md'), (await readFile(path.join(dir, 'sepsis-qsofa.md'), 'utf8')).replace('altered mentation', 'confusion'));
    await writeFile(path.join(dir, name), bytes);
    if (name.endsWith('.pdf')) await writeFile(path.join(dir, `${name}.meta.yaml`), `id: ${name.replace('.', '-')}\npublisher: p\nyear: 2020\nlicence: l\nkind: verbatim\ntitle: t\nlastReviewed: "2026-12-06"\nnextReview: "2027-12-06"\n`);
    embedder.resetCounts();
    await expect(ingestPaths(t.db, [dir], embedder, { log: quiet })).rejects.toThrow(message);
    expect(embedder.documentsEmbedded).toBe(0);
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('rolls back everything when the embedding service fails half way', async () => {
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    const before = await snapshot(t.db);
    const failing = new HashingEmbeddings();
    failing.embedDocuments = () => Promise.reject(new Error('embedding service unavailable'));
    await writeFile(path.join(dir, 'extra.md'), (await readFile(path.join(dir, 'sepsis-qsofa.md'), 'utf8')).replace('id: fixture-sepsis-qsofa', 'id: extra-doc'));
    await expect(ingestPaths(t.db, [dir], failing, { log: quiet })).rejects.toThrow('embedding service unavailable');
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('re-embeds every chunk when the model changes, and retypes the vector column', async () => {
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
    // A document outside this ingest must be re-embedded too: no vectors of two models.
    const other = await copyFixtureCorpus();
    await writeFile(path.join(other, 'other.md'), (await readFile(path.join(other, 'ckd-staging.md'), 'utf8')).replace('id: fixture-ckd-staging', 'id: other-doc'));
    await ingestPaths(t.db, [path.join(other, 'other.md')], embedder, { log: quiet });

    const small = new HashingEmbeddings({ dimension: 32 });
    const r = await ingestPaths(t.db, [dir], small, { log: quiet });
    expect(r).toMatchObject({ modelChanged: true, model: { id: 'test-hashing-32', dimension: 32 }, chunksEmbedded: 11 });
    expect(small.documentsEmbedded).toBe(11);
    const dims = await t.db.query<{ n: number; d: number }>('SELECT count(*)::int AS n, min(vector_dims(embedding)) AS d FROM guideline_chunks');
    expect(dims.rows[0]).toEqual({ n: 11, d: 32 });
    const type = await t.db.query<{ t: string }>(
      "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'guideline_chunks'::regclass AND attname = 'embedding'",
    );
    expect(type.rows[0]?.t).toBe('vector(32)');

    // The retriever refuses to mix: a query embedded by the old model is an error, not a wrong answer.
    const stale = new GuidelineRetriever({ db: t.db, embeddings: new HashingEmbeddings() });
    await expect(stale.search('blood pressure', { mode: 'vector' })).rejects.toThrow(/made by test-hashing-32 but the configured embedding model is test-hashing-64/);
    await rm(other, { recursive: true, force: true });
  });

  it('ensureDefaultCorpus ingests once, then is a cheap no-op', async () => {
    const first = await ensureDefaultCorpus(t.db, embedder, { dir, log: quiet });
    expect(first).toMatchObject({ documentsAdded: 3, chunksEmbedded: 8 });
    embedder.resetCounts();
    const again = await ensureDefaultCorpus(t.db, embedder, { dir, log: quiet });
    expect(again).toMatchObject({ documentsUnchanged: 3, chunksEmbedded: 0 });
    expect(embedder.documentsEmbedded).toBe(0);
    expect(await ensureDefaultCorpus(t.db, embedder, { dir: path.join(dir, 'missing'), log: quiet })).toBeUndefined();
  });
});
