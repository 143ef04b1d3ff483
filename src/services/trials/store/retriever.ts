/**
 * Hybrid trial retrieval: up to three lists fused by weighted reciprocal rank (TRIAL_LIST_WEIGHTS):
 * pgvector cosine search over trial vectors; PostgreSQL full-text search over the trials' focus
 * (weight A: title, conditions, keywords) and search text (weight B: summary, inclusion criteria);
 * and Okapi BM25 over each trial's whole record, from an in-memory index built once per store
 * version (store/trial-bm25.ts, search/bm25.ts). What this module owns is the trial
 * tables' SQL and scoring (ts_rank_cd with class weights); the machinery is the search layer's,
 * shared with the guideline retriever (src/search): the embedding-model check, the query-embedding
 * cache, the HNSW settings, the full-text term budget (which query words to keep, as a tsquery)
 * and rank fusion (`fuseRanks`).
 */
import { LRUCache } from 'lru-cache';
import { toVectorParam, type Database } from '../../../db/database.js';
import { expandAbbreviations } from '../../../text/abbreviations.js';
import { ModelCheck, vectorTypeFor } from '../../../search/embedding-model.js';
import type { CairnEmbeddings } from '../../../search/embeddings/types.js';
import { bestFusedScore, fuseRanks } from '../../../search/fusion.js';
import { QueryEmbeddingCache } from '../../../search/query-embeddings.js';
import { queryTerms, tsqueryOf } from '../../../search/terms.js';
import { nearestNeighbours } from '../../../search/vector-list.js';
import { TrialBm25Cache, trialStoreVersion, type TrialBm25 } from './trial-bm25.js';
import { TRIAL_RANK_NORMALISATION, TRIAL_RANK_WEIGHTS, TRIAL_TERMS, TRIAL_VECTORS } from './trial-store.js';

export interface TrialSearchOptions {
  /** Trials returned (default 20). */
  k?: number;
  /** Only these trials (the evaluation ranks each topic's judged pool). */
  nctIds?: readonly string[];
  /** Only trials with these ClinicalTrials.gov statuses (e.g. RECRUITING_STATUSES). */
  statuses?: readonly string[];
  /** One list alone, or the hybrid's fusion of the lists weighted by TrialRetrieverOptions.lists. */
  mode?: 'vector' | 'fulltext' | 'bm25' | 'hybrid';
}

/** The lists a hybrid search fuses and the weight of each in the fusion (0: not searched). */
export interface TrialListWeights {
  vector: number;
  fulltext: number;
  bm25: number;
}

/**
 * Vector ½, full text 1, BM25 2. Chosen on TREC CT 2021 (retrieval NDCG@5 of the top 5 over a grid
 * of 14 weightings: 0.496, against 0.292 for the vector + full-text fusion before and 0.439 for
 * BM25 alone on the topic text) and reported on SIGIR, where it scores 0.214 (BM25 0.227; SIGIR's
 * own best, vector 1 and BM25 2, scores 0.240 there and 0.355 on TREC 2021): npm run
 * eval:trials-hook, docs/EVALUATION.md "Trial matching through the hook" (2026-12-06).
 */
export const TRIAL_LIST_WEIGHTS: TrialListWeights = { vector: 0.5, fulltext: 1, bm25: 2 };

export interface TrialCandidate {
  nctId: string;
  title: string;
  status: string;
  /** RRF score (hybrid), cosine similarity (vector), ts_rank_cd (full text) or BM25 score (bm25). */
  score: number;
  /** The fused score over the best possible one (ranked first in every list): 0–1, for reading. */
  relevance: number;
  /** 1-based rank in each list the trial was in. */
  ranks: { vector?: number; fulltext?: number; bm25?: number };
  /** Cosine similarity of the trial vector to the query (when in the vector list). */
  similarity?: number;
}

export interface TrialRetrieverOptions {
  db: Database;
  embeddings: CairnEmbeddings;
  /** Candidates each list contributes before fusion (default 100). */
  candidates?: number;
  /** Full-text search ranks at most this many trials (default 2,000); see selectTerms in search/terms.ts. */
  termBudget?: number;
  queryCacheSize?: number;
  /** Searches kept per trial-store version (default 500; 0 turns the cache off). */
  searchCacheSize?: number;
  /** The hybrid's lists and weights (default TRIAL_LIST_WEIGHTS). */
  lists?: TrialListWeights;
}

/**
 * How long a cached search is answered without asking the store's version again is zero (every
 * call asks; the question is one index probe); how long it is kept at most, whatever the version
 * says: a bound on what a write the version cannot see (a transaction that started before the
 * last one and committed after it) could leave stale.
 */
const SEARCH_CACHE_TTL_MS = 5 * 60_000;

export class TrialRetriever {
  readonly db: Database;
  readonly embeddings: CairnEmbeddings;
  readonly candidates: number;
  readonly termBudget: number;
  readonly lists: TrialListWeights;
  /** The in-memory BM25 index of the store's current version (store/trial-bm25.ts). */
  readonly #bm25: TrialBm25Cache;
  readonly #queryEmbeddings: QueryEmbeddingCache;
  /** Read on every search (no trust period, unlike the guideline retriever's 30 s). */
  readonly #model: ModelCheck;
  /**
   * The hook asks the same question of the same store again and again (a patient's chart opened
   * twice, a cohort of alike patients): the candidates are kept, keyed by the store's version
   * (latest imported_at: any import or status change moves it), the model and the question, so a
   * repeat costs one index probe instead of a vector and a full-text search (about 16 ms on the
   * embedded database). Promises are shared, so concurrent misses make one search; a failed one is
   * forgotten. Each caller gets its own copy of the candidates.
   */
  readonly #searches: LRUCache<string, Promise<TrialCandidate[]>> | undefined;

  constructor(options: TrialRetrieverOptions) {
    this.db = options.db;
    this.embeddings = options.embeddings;
    this.candidates = options.candidates ?? 100;
    this.termBudget = options.termBudget ?? 2000;
    this.lists = { ...(options.lists ?? TRIAL_LIST_WEIGHTS) };
    this.#bm25 = new TrialBm25Cache(options.db);
    this.#queryEmbeddings = new QueryEmbeddingCache(options.embeddings, options.queryCacheSize ?? 500);
    this.#model = new ModelCheck(options.db, TRIAL_VECTORS, options.embeddings);
    const size = options.searchCacheSize ?? 500;
    this.#searches = size > 0 ? new LRUCache({ max: size, ttl: SEARCH_CACHE_TTL_MS }) : undefined;
  }

  async search(query: string, options: TrialSearchOptions = {}): Promise<TrialCandidate[]> {
    const version = await trialStoreVersion(this.db);
    if (!this.#searches) return this.#search(query, options, version);
    const key = JSON.stringify([
      version,
      this.embeddings.modelId,
      query,
      options.k ?? 20,
      options.mode ?? 'hybrid',
      options.statuses ?? null,
      options.nctIds ?? null,
    ]);
    let hits = this.#searches.get(key);
    if (!hits) {
      hits = this.#search(query, options, version);
      this.#searches.set(key, hits);
      hits.catch(() => this.#searches?.delete(key));
    }
    return (await hits).map((c) => ({ ...c, ranks: { ...c.ranks } }));
  }

  async #search(query: string, options: TrialSearchOptions, version: string): Promise<TrialCandidate[]> {
    const k = options.k ?? 20;
    const mode = options.mode ?? 'hybrid';
    const text = expandAbbreviations(query.trim());
    if (!text || k < 1) return [];
    const n = Math.max(this.candidates, k, options.nctIds?.length ?? 0);
    const wanted = (list: keyof TrialListWeights) => mode === list || (mode === 'hybrid' && this.lists[list] > 0);
    const model = wanted('vector') ? await this.#model.current() : undefined;
    const vector = model ? await this.#queryEmbeddings.embed(text) : undefined;
    const [byVector, byText, byBm25] = await Promise.all([
      vector && model ? this.#vectorList(vector, model.dimension, n, options) : Promise.resolve([]),
      wanted('fulltext') ? this.#fullTextList(text, n, options) : Promise.resolve([]),
      wanted('bm25') ? this.#bm25List(text, n, options, version) : Promise.resolve([]),
    ]);
    const info = new Map<string, { title: string; status: string; similarity?: number; rank?: number }>();
    for (const r of byVector) info.set(r.nct_id, { title: r.title, status: r.status, similarity: 1 - r.distance });
    for (const r of byText) info.set(r.nct_id, { ...(info.get(r.nct_id) ?? { title: r.title, status: r.status }), rank: r.rank });
    for (const r of byBm25) if (!info.has(r.nct_id)) info.set(r.nct_id, { title: r.title, status: r.status });
    let scored: TrialCandidate[];
    if (mode === 'hybrid') {
      const lists = { vector: byVector.map((r) => r.nct_id), fulltext: byText.map((r) => r.nct_id), bm25: byBm25.map((r) => r.nct_id) };
      const weights = { ...this.lists };
      const fused = fuseRanks(lists, weights);
      const best = bestFusedScore(lists, weights);
      scored = [...fused].map(([id, f]) => {
        const i = info.get(id) as { title: string; status: string; similarity?: number };
        return {
          nctId: id,
          title: i.title,
          status: i.status,
          score: f.score,
          relevance: best > 0 ? f.score / best : 0,
          ranks: f.ranks as TrialCandidate['ranks'],
          ...(i.similarity !== undefined && { similarity: i.similarity }),
        };
      });
    } else {
      const list =
        mode === 'vector'
          ? byVector.map((r) => ({ id: r.nct_id, score: 1 - r.distance }))
          : mode === 'bm25'
            ? byBm25.map((r) => ({ id: r.nct_id, score: r.score }))
            : byText.map((r) => ({ id: r.nct_id, score: r.rank }));
      const top = list[0]?.score ?? 0;
      scored = list.map((x, i) => {
        const inf = info.get(x.id) as { title: string; status: string; similarity?: number };
        return {
          nctId: x.id,
          title: inf.title,
          status: inf.status,
          score: x.score,
          relevance: top > 0 ? x.score / top : 0,
          ranks: { [mode]: i + 1 },
          ...(inf.similarity !== undefined && { similarity: inf.similarity }),
        };
      });
    }
    scored.sort((a, b) => b.score - a.score || a.nctId.localeCompare(b.nctId));
    return scored.slice(0, k);
  }

  #where(params: unknown[], options: TrialSearchOptions, alias = 't'): string {
    const clauses: string[] = [];
    if (options.nctIds) {
      params.push([...options.nctIds]);
      clauses.push(`${alias}.nct_id = ANY($${params.length}::text[])`);
    }
    if (options.statuses) {
      params.push([...options.statuses]);
      clauses.push(`${alias}.status = ANY($${params.length}::text[])`);
    }
    return clauses.join(' AND ');
  }

  async #vectorList(vector: number[], dimension: number, n: number, options: TrialSearchOptions): Promise<Array<{ nct_id: string; title: string; status: string; distance: number }>> {
    const type = vectorTypeFor(dimension);
    const params: unknown[] = [n, toVectorParam(vector)];
    const where = this.#where(params, options);
    const filtered = where.length > 0;
    const res = await nearestNeighbours<{ nct_id: string; title: string; status: string; distance: number }>(
      this.db,
      { efSearch: 100, candidates: n, iterativeScan: filtered ? 'strict_order' : 'off' },
      `SELECT t.nct_id, t.title, t.status, t.embedding <=> $2::${type} AS distance FROM trials t
       WHERE t.embedding IS NOT NULL ${filtered ? `AND ${where}` : ''}
       ORDER BY t.embedding <=> $2::${type}, t.nct_id LIMIT $1`,
      params,
    );
    return res.rows.map((r) => ({ ...r, distance: Number(r.distance) }));
  }

  /** The store's BM25 index (built once per store version) over the query, filtered as the SQL lists are; titles read for the hits only. */
  async #bm25List(text: string, n: number, options: TrialSearchOptions, version: string): Promise<Array<{ nct_id: string; title: string; status: string; score: number }>> {
    const { index, statuses } = await this.#bm25.forVersion(version);
    const only = options.nctIds ? new Set(options.nctIds) : undefined;
    const status = options.statuses ? new Set(options.statuses) : undefined;
    const hits = index.search(text, { k: n, filter: (id) => (!only || only.has(id)) && (!status || status.has(statuses.get(id) ?? '')) });
    if (hits.length === 0) return [];
    const res = await this.db.query<{ nct_id: string; title: string; status: string }>('SELECT nct_id, title, status FROM trials WHERE nct_id = ANY($1::text[])', [hits.map((h) => h.id)]);
    const rows = new Map(res.rows.map((r) => [r.nct_id, r]));
    return hits.flatMap((h) => {
      const r = rows.get(h.id);
      return r ? [{ ...r, score: h.score }] : [];
    });
  }

  /** The BM25 index of the store as it is now (built when the store changed since the last one): for reading what a query shares with a trial. */
  async bm25Index(): Promise<TrialBm25> {
    return this.#bm25.current();
  }

  async #fullTextList(text: string, n: number, options: TrialSearchOptions): Promise<Array<{ nct_id: string; title: string; status: string; rank: number }>> {
    // No transaction, as for guidelines: at READ COMMITTED it would not give the two statements
    // one snapshot anyway, only two more round trips.
    const terms = await queryTerms(this.db, TRIAL_TERMS, text, this.termBudget);
    if (!terms) return [];
    const params: unknown[] = [n, tsqueryOf(terms.selection)];
    const where = this.#where(params, options);
    const res = await this.db.query<{ nct_id: string; title: string; status: string; rank: number }>(
      `SELECT t.nct_id, t.title, t.status, ts_rank_cd('${TRIAL_RANK_WEIGHTS}'::float4[], t.tsv, q, ${TRIAL_RANK_NORMALISATION}) AS rank
       FROM trials t, CAST($2 AS tsquery) q
       WHERE t.tsv @@ q ${where.length > 0 ? `AND ${where}` : ''}
       ORDER BY rank DESC, t.nct_id LIMIT $1`,
      params,
    );
    return res.rows.map((r) => ({ ...r, rank: Number(r.rank) }));
  }
}
