/**
 * Retrieval benchmark: `npm run bench:retrieval -- [--sizes 10000,100000] [--dbs pglite,postgres] [--queries 300]`
 *
 * For each database and size, on a fresh database:
 *   - synthetic guideline chunks: text sampled from the word frequencies of the real corpus
 *     (guidelines/, so full-text selectivity is realistic), random unit vectors of the model's
 *     dimension (embedding cost is measured apart, on a real sample, as passages/s);
 *   - first ingest through the real ingest path (ingestDocuments), one transaction that also
 *     builds the HNSW index; DB ingest throughput = chunks / (ingest time − index build time);
 *   - query latency of GuidelineRetriever.search (hybrid, k = 10) with precomputed query vectors,
 *     p50/p95/p99 after a warm-up; also vector-only, full-text-only and a filtered hybrid query;
 *   - HNSW recall@10 against exact search, as a check that the latency is not bought with misses.
 * PostgreSQL: a fresh database on TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * with the server's shared_buffers and the vector index's size reported beside the latencies:
 * latency at 100k chunks depends on whether the index fits (docs/BENCHMARKS.md).
 * Prints a table and, last, one line of JSON.
 */
import { readdir, readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { openDatabase, toVectorParam, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { chunkSections, sha256 } from '../src/knowledge/corpus/chunker.js';
import type { GuidelineDocument, Section } from '../src/knowledge/corpus/types.js';
import { metadataSchema } from '../src/knowledge/corpus/metadata.js';
import { sectionAnchor } from '../src/knowledge/corpus/ids.js';
import { CairnEmbeddings } from '../src/search/embeddings/types.js';
import { UseLiteEmbeddings, USE_LITE_DIMENSIONS } from '../src/search/embeddings/use-lite.js';
import { ingestDocuments } from '../src/knowledge/ingest.js';
import { vectorIndexMemory } from '../src/search/embedding-model.js';
import { GUIDELINE_VECTORS } from '../src/knowledge/store.js';
import { GuidelineRetriever, type SearchOptions } from '../src/knowledge/retriever.js';
import { createLogger } from '../src/log.js';
import { createPostgresTestDatabase } from '../tests/support/databases.js';

const log = createLogger('warn');

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function unitVector(rand: () => number, dim: number): number[] {
  const v = new Array<number>(dim);
  for (let i = 0; i < dim; i += 2) {
    // Box-Muller: Gaussian components give directions uniform on the sphere.
    const r = Math.sqrt(-2 * Math.log(rand() || 1e-12));
    const th = 2 * Math.PI * rand();
    v[i] = r * Math.cos(th);
    if (i + 1 < dim) v[i + 1] = r * Math.sin(th);
  }
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Random unit vectors for documents; precomputed vectors for the benchmark's queries. */
class RandomEmbeddings extends CairnEmbeddings {
  readonly modelId: string;
  readonly queries = new Map<string, number[]>();
  readonly #rand: () => number;

  constructor(readonly dim: number) {
    super({});
    this.modelId = `bench-random-${dim}`;
    this.#rand = mulberry32(42);
  }
  dimensions(): Promise<number> {
    return Promise.resolve(this.dim);
  }
  embedDocuments(texts: string[]): Promise<number[][]> {
    return Promise.resolve(texts.map(() => unitVector(this.#rand, this.dim)));
  }
  embedQuery(text: string): Promise<number[]> {
    let v = this.queries.get(text);
    if (!v) {
      v = unitVector(this.#rand, this.dim);
      this.queries.set(text, v);
    }
    return Promise.resolve(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Synthetic corpus with the real corpus's word distribution

/** The words of each real guideline document, in order (markdown marks and front matter left out). */
async function corpusTopics(): Promise<string[][]> {
  for (const dir of ['guidelines', 'tests/fixtures/guidelines']) {
    try {
      const files = (await readdir(dir)).filter((f) => f.endsWith('.md'));
      if (files.length === 0) continue;
      const texts = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
      return texts.map((t) => t.replace(/^---[\s\S]*?\n---\n/, '').match(/[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)?/g) ?? []);
    } catch {
      // try the next directory
    }
  }
  throw new Error('no corpus to take word frequencies from');
}

/**
 * Sentences like the corpus's: words drawn from one document's vocabulary (its topic) 70% of the
 * time and from the whole corpus otherwise, so a word is as common, and as clustered by topic,
 * as in real guidelines. Full-text search cost depends on exactly that.
 */
function sentenceMaker(topics: readonly string[][], rand: () => number): (n: number, topic: number) => string {
  const all = topics.flat();
  return (n, topic) => {
    const own = topics[topic % topics.length] as string[];
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const pool = rand() < 0.7 && own.length > 0 ? own : all;
      out.push(pool[Math.floor(rand() * pool.length)] as string);
    }
    return `${out.join(' ')}.`;
  };
}

const CHUNKS_PER_DOC = 100;

async function syntheticDocuments(size: number, topics: readonly string[][]): Promise<GuidelineDocument[]> {
  const rand = mulberry32(7);
  const sentence = sentenceMaker(topics, rand);
  const docs: GuidelineDocument[] = [];
  for (let d = 0; d * CHUNKS_PER_DOC < size; d++) {
    const id = `bench-doc-${d}`;
    const n = Math.min(CHUNKS_PER_DOC, size - d * CHUNKS_PER_DOC);
    let body = '';
    const sections: Section[] = [];
    for (let s = 0; s < n; s++) {
      const heading = `Section ${s} ${sentence(3, d).slice(0, -1)}`;
      body += `## ${heading}\n\n`;
      const start = body.length;
      // About 800 characters: what a chunk of the real corpus holds.
      for (let p = 0; p < 3; p++) body += `${Array.from({ length: 4 }, () => sentence(10, d)).join(' ')}\n\n`;
      sections.push({ anchor: sectionAnchor(id, [heading]), headingPath: [heading], start, end: body.length });
    }
    const meta = metadataSchema.parse({
      id,
      title: `Synthetic guideline ${d}`,
      publisher: 'Bench',
      year: 2024,
      licence: 'synthetic',
      kind: d % 2 === 0 ? 'summary' : 'verbatim',
      lastReviewed: '2026-12-06',
      nextReview: '2027-12-06',
      topics: [`topic-${d % 20}`],
      codes: { snomed: [String(100000 + (d % 50))] },
    });
    const chunks = await chunkSections({ documentId: id, title: meta.title, citation: 'bench', body }, sections);
    docs.push({ id, meta, format: 'markdown', sourcePath: `bench/${id}.md`, contentHash: sha256(body), body, chunks });
  }
  return docs;
}

// ---------------------------------------------------------------------------------------------
// Measurement

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Latency {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

async function latency(run: (q: string) => Promise<unknown>, queries: readonly string[]): Promise<Latency> {
  for (const q of queries.slice(0, 30)) await run(q); // warm-up: caches, plans, connections
  const times: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    await run(q);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    p99: round(percentile(times, 99)),
    mean: round(times.reduce((a, b) => a + b, 0) / times.length),
  };
}

async function recallAt10(db: Database, embeddings: RandomEmbeddings, queries: readonly string[], efSearch: number): Promise<number> {
  let found = 0;
  let total = 0;
  for (const q of queries) {
    const v = toVectorParam(await embeddings.embedQuery(q));
    const [approx, exact] = await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL hnsw.ef_search = ${efSearch}`);
      const a = await tx.query<{ id: string }>('SELECT id FROM guideline_chunks ORDER BY embedding <=> $1::vector LIMIT 10', [v]);
      await tx.query('SET LOCAL enable_indexscan = off');
      const e = await tx.query<{ id: string }>('SELECT id FROM guideline_chunks ORDER BY embedding <=> $1::vector LIMIT 10', [v]);
      return [a.rows.map((r) => r.id), e.rows.map((r) => r.id)];
    });
    const set = new Set(approx);
    found += exact.filter((id) => set.has(id)).length;
    total += exact.length;
  }
  return Math.round((found / total) * 1000) / 1000;
}

interface Result {
  db: string;
  chunks: number;
  ingestSeconds: number;
  indexBuildSeconds: number;
  ingestChunksPerSecond: number;
  hybrid: Latency;
  hybridFiltered: Latency;
  vector: Latency;
  fulltext: Latency;
  recall10: number;
  /** The HNSW index and shared_buffers, in MB: an index that does not fit is read from the OS on every query. */
  memory?: { vectorIndexMB: number; sharedBuffersMB: number };
}

async function benchOne(kind: 'pglite' | 'postgres', size: number, topics: readonly string[][], queryCount: number, dim: number, keep: boolean): Promise<Result> {
  let db: Database;
  let drop: (() => Promise<void>) | undefined;
  if (kind === 'pglite') db = await openDatabase({ dataDir: 'memory://' });
  else {
    const fresh = await createPostgresTestDatabase();
    if (keep) console.log(`keeping ${fresh.url}`);
    else drop = fresh.drop;
    db = await openDatabase({ url: fresh.url });
  }
  try {
    await migrate(db);
    const docs = await syntheticDocuments(size, topics);
    const embeddings = new RandomEmbeddings(dim);
    const report = await ingestDocuments(db, docs, embeddings, { log, embedBatchSize: 500 });
    if (report.chunksEmbedded !== size) throw new Error(`expected ${size} chunks, ingested ${report.chunksEmbedded}`);
    const ingestSeconds = report.durationMs / 1000;
    const indexBuildSeconds = report.indexBuildMs / 1000;

    // Steady state before timing queries: otherwise autovacuum and the checkpoint after a large
    // ingest run during the measurement (it doubled PostgreSQL's p95 at 100k chunks).
    await db.query('VACUUM ANALYZE guideline_chunks');
    if (kind === 'postgres') await db.query('CHECKPOINT').catch(() => undefined);

    return {
      ...(await queryLatencies(db, kind, size, topics, queryCount, dim)),
      ingestSeconds: Math.round(ingestSeconds * 10) / 10,
      indexBuildSeconds: Math.round(indexBuildSeconds * 10) / 10,
      ingestChunksPerSecond: Math.round(size / Math.max(0.001, ingestSeconds - indexBuildSeconds)),
    };
  } finally {
    await db.close();
    await drop?.();
  }
}

async function queryLatencies(
  db: Database,
  kind: string,
  size: number,
  topics: readonly string[][],
  queryCount: number,
  dim: number,
  tuning: { efSearch?: number; termBudget?: number } = {},
): Promise<Omit<Result, 'ingestSeconds' | 'indexBuildSeconds' | 'ingestChunksPerSecond'>> {
  const embeddings = new RandomEmbeddings(dim);
  // The model recorded by the ingest; the vectors themselves are random either way.
  const rand = mulberry32(99);
  const sentence = sentenceMaker(topics, rand);
  const queries = Array.from({ length: queryCount }, (_, i) => sentence(4 + (i % 8), Math.floor(rand() * topics.length)));
  for (const q of queries) await embeddings.embedQuery(q); // precomputed: only retrieval is timed
  const retriever = new GuidelineRetriever({ db, embeddings, k: 10, expandAbbreviations: false, ...tuning });
  const search = (opts: SearchOptions) => (q: string) => retriever.search(q, { k: 10, ...opts });
  const memory = db.kind === 'postgres' ? await vectorIndexMemory(db, GUIDELINE_VECTORS) : undefined;
  return {
    db: kind,
    chunks: size,
    hybrid: await latency(search({ mode: 'hybrid' }), queries),
    hybridFiltered: await latency(search({ mode: 'hybrid', filters: { kind: 'summary', topics: ['topic-2', 'topic-4', 'topic-6'] } }), queries),
    vector: await latency(search({ mode: 'vector' }), queries),
    fulltext: await latency(search({ mode: 'fulltext' }), queries),
    recall10: await recallAt10(db, embeddings, queries.slice(0, 30), retriever.efSearch),
    ...(memory && { memory: { vectorIndexMB: Math.round(memory.indexBytes / 2 ** 20), sharedBuffersMB: Math.round(memory.sharedBuffersBytes / 2 ** 20) } }),
  };
}

async function embeddingThroughput(): Promise<{ passagesPerSecond: number; sample: number }> {
  const topics = await corpusTopics();
  const sentence = sentenceMaker(topics, mulberry32(3));
  const passages = Array.from({ length: 64 }, (_, i) => Array.from({ length: 12 }, () => sentence(10, i)).join(' '));
  // One thread, as the figures in docs/BENCHMARKS.md were (bench/embeddings.ts measures the pool).
  const e = new UseLiteEmbeddings({ threads: 1 });
  await e.embedDocuments(passages.slice(0, 4)); // load the model
  const t0 = performance.now();
  await e.embedDocuments(passages);
  const s = (performance.now() - t0) / 1000;
  return { passagesPerSecond: Math.round((passages.length / s) * 10) / 10, sample: passages.length };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,100000' },
      dbs: { type: 'string', default: 'pglite,postgres' },
      queries: { type: 'string', default: '300' },
      dim: { type: 'string', default: String(USE_LITE_DIMENSIONS) },
      'skip-embedding': { type: 'boolean', default: false },
      /** Keep the PostgreSQL databases for inspection (their URLs are printed). */
      keep: { type: 'boolean', default: false },
      /** Only time queries, on a database a --keep run left (for tuning). */
      'query-only': { type: 'string' },
      /** With --query-only: HNSW ef_search and full-text term budget (the retriever's defaults when unset). */
      'ef-search': { type: 'string' },
      'term-budget': { type: 'string' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const dbs = values.dbs.split(',') as Array<'pglite' | 'postgres'>;
  const queryCount = Number(values.queries);
  const dim = Number(values.dim);
  const topics = await corpusTopics();

  const embedding = values['skip-embedding'] ? undefined : await embeddingThroughput();
  if (embedding) console.log(`USE-lite embedding: ${embedding.passagesPerSecond} passages/s (${embedding.sample} passages of ~800 characters, one thread)\n`);

  const results: Result[] = [];
  if (values['query-only']) {
    const db = await openDatabase({ url: values['query-only'] });
    try {
      const chunks = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM guideline_chunks')).rows[0]?.n);
      const r = await queryLatencies(db, 'postgres', chunks, topics, queryCount, dim, {
        ...(values['ef-search'] && { efSearch: Number(values['ef-search']) }),
        ...(values['term-budget'] && { termBudget: Number(values['term-budget']) }),
      });
      console.log(JSON.stringify(r));
    } finally {
      await db.close();
    }
    return;
  }
  console.log('db        chunks  ingest s  index s  rows/s   hybrid p50/p95  filtered p50/p95  vector p50/p95  fulltext p50/p95  recall@10');
  for (const size of sizes) {
    for (const kind of dbs) {
      const r = await benchOne(kind, size, topics, queryCount, dim, values.keep);
      results.push(r);
      const pair = (l: Latency) => `${l.p50.toFixed(2)}/${l.p95.toFixed(2)}`.padStart(12);
      console.log(
        `${r.db.padEnd(9)}${String(r.chunks).padStart(7)}${r.ingestSeconds.toFixed(1).padStart(10)}${r.indexBuildSeconds.toFixed(1).padStart(9)}` +
          `${String(r.ingestChunksPerSecond).padStart(8)}    ${pair(r.hybrid)}      ${pair(r.hybridFiltered)}    ${pair(r.vector)}      ${pair(r.fulltext)}${r.recall10.toFixed(3).padStart(11)}` +
          (r.memory ? `   (vector index ${r.memory.vectorIndexMB} MB, shared_buffers ${r.memory.sharedBuffersMB} MB)` : ''),
      );
    }
  }
  console.log(JSON.stringify({ dimension: dim, queries: queryCount, embedding, results }));
}

main().catch((err: unknown) => {
  console.error(`bench:retrieval failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
