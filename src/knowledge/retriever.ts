/**
 * Hybrid guideline retrieval: pgvector cosine search (HNSW) and PostgreSQL full-text search, each
 * taking its own top candidates, then fused. A hit carries the chunk text exactly as stored, so what
 * a card quotes is the guideline's own words, with its title, section, grade, URL and citation.
 *
 * Ranking the candidates of the two lists (`fusion` option):
 * - `learned` (default): a logistic model (ranker.ts, weights in ranker-model.ts) over each
 *   candidate's scaled scores and ranks in both lists, their relative-score blend, whether its
 *   stated ranges contain or contradict a value the query names (quantities.ts), and the best
 *   blend among the candidates of its section and of its document. Fitted by `npm run
 *   train:ranker` on the labelled query set; held out, it ranks better than relative-score fusion
 *   (docs/EVALUATION.md).
 * - `relative-score`: each list's scores scaled to [0, 1] (full text by its best score, cosine
 *   similarity min-max over the list) and added with the weights fulltext : vector = 1 : the
 *   model's fusionWeight. Unlike rank fusion it keeps how far apart two candidates are
 *   (Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval", ACM TOIS 2023, found
 *   convex score combination better than RRF). A chunk whose stated ranges contradict a value
 *   of the query ("BMI 36.4" against "BMI 30.0 to 34.9") is demoted.
 * - `rrf`: reciprocal rank fusion (k = 60, each list weighted), with the same demotion.
 * In all three, the chunks of documents with a preferred code are lifted.
 *
 * Full text: the query's words go through the index's own parser and English stemmer
 * (to_tsvector), are OR-ed, and matching chunks are scored by the inverse document frequency of
 * the words they contain (idfScore), with a bonus for words in the title or headings. On the
 * labelled query set this scores nDCG@10 0.75 where ts_rank_cd scores 0.56: ts_rank_cd weighs
 * "triage" in a triage handbook as much as "epistaxis". Term statistics come from
 * guideline_terms, refreshed by every ingest.
 *
 * This module owns the guideline tables' SQL, the idf scoring and the fusion choices above. The
 * machinery it shares with the trial retriever is in src/search: the embedding-model check
 * (embedding-model.ts), the query-embedding cache (query-embeddings.ts), the HNSW settings
 * (vector-list.ts), the full-text term budget (terms.ts) and RRF and relative-score fusion
 * (fusion.ts). The learned ranker stays here in knowledge (ranker.ts): its features read
 * guideline sections and stated quantities.
 *
 * Two faces: `search(query, options)` returns typed hits (the hot path for cards and the
 * evaluation); LangChain's `BaseRetriever` interface (`invoke(query)`) returns Documents whose
 * pageContent is that same text.
 *
 * Filters narrow to documents (any of the codes, any of the topics, any of the ids, one kind);
 * `preferCodes` only lifts the chunks of documents about those codes in the fused ranking, so a
 * coded finding favours its own guideline without hiding the rest.
 */
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { Document } from '@langchain/core/documents';
import { toVectorParam, type Database, type Queryable } from '../db/database.js';
import { expandAbbreviations } from '../text/abbreviations.js';
import { codeFilterKeys, type CodeFilter } from './codes.js';
import type { DocumentKind } from './corpus/metadata.js';
import { ModelCheck, vectorTypeFor, type VectorType } from '../search/embedding-model.js';
import type { CairnEmbeddings } from '../search/embeddings/types.js';
import { blendedScores, fuseRanks, RRF_K, type FusedRanks } from '../search/fusion.js';
import { QueryEmbeddingCache } from '../search/query-embeddings.js';
import { queryTerms, tsqueryOf, type TermSelection } from '../search/terms.js';
import { nearestNeighbours } from '../search/vector-list.js';
import { measuredValues, quantityConflicts, type MeasuredValue } from './quantities.js';
import { rankerFeatures, rankerScore, type RankerCandidate, type RankerModel } from './ranker.js';
import { SHIPPED_RANKER } from './ranker-model.js';
import { GUIDELINE_TERMS, GUIDELINE_VECTORS } from './store.js';

export type SearchMode = 'vector' | 'fulltext' | 'hybrid';
export type FusionMethod = 'learned' | 'relative-score' | 'rrf';

export interface SearchFilters {
  /** Documents listing any of these codes (system: 'snomed' | 'icd10' | 'loinc' | … or a FHIR system URI). */
  codes?: CodeFilter;
  /** Documents with any of these topics. */
  topics?: readonly string[];
  documentIds?: readonly string[];
  kind?: DocumentKind;
}

export interface SearchOptions {
  /** Hits returned (default 5). */
  k?: number;
  mode?: SearchMode;
  filters?: SearchFilters;
  /** Hybrid only: chunks of documents listing any of these codes rank as if first in one more list. */
  preferCodes?: CodeFilter;
}

export interface GuidelineHit {
  chunkId: string;
  documentId: string;
  title: string;
  headingPath: string[];
  /** Exactly as stored: a verbatim substring of the document's body. */
  text: string;
  url?: string;
  citation: string;
  grade?: string;
  gradeSystem?: string;
  kind: DocumentKind;
  /**
   * SHA-256 of the whole document's body as ingested (guideline_documents.content_hash): which
   * edition of the document the passage was quoted from (card provenance, src/cards/provenance.ts).
   */
  documentHash: string;
  /** The document's version as its front matter states it, else its year of publication. */
  documentVersion?: string;
  /** hybrid: fused score; vector: cosine similarity; fulltext: IDF score (or ts_rank_cd). Higher is better. */
  score: number;
  /** 1-based rank in each candidate list the chunk was in. */
  ranks: { vector?: number; fulltext?: number };
}

export type GuidelineHitMetadata = Omit<GuidelineHit, 'text'>;

export interface GuidelineRetrieverOptions extends BaseRetrieverInput {
  db: Database;
  embeddings: CairnEmbeddings;
  /** Defaults for invoke(); search() takes its own. */
  k?: number;
  mode?: SearchMode;
  filters?: SearchFilters;
  /** Candidates each method contributes before fusion (default 40). */
  candidates?: number;
  /** HNSW search breadth (default 40, pgvector's own, and never below `candidates`): higher finds more true neighbours, slower. */
  efSearch?: number;
  /** Query embeddings kept (default 1,000). */
  queryCacheSize?: number;
  /** Append the long form of clinical abbreviations to queries, and vice versa (default true). */
  expandAbbreviations?: boolean;
  /**
   * Full-text search ranks at most this many chunks (default 400), which bounds its latency: a
   * query's commonest words are left out while the chunks containing its words would exceed it
   * (see selectTerms in search/terms.ts), and when every word is that common, the first
   * this-many matches are ranked.
   */
  termBudget?: number;
  /** Full-text ranking: IDF-weighted word matches (default) or PostgreSQL's ts_rank_cd. */
  textRanking?: 'idf' | 'cover-density';
  /** ts_rank_cd normalisation bits (default 1: divide by 1 + log(length)). */
  rankNormalization?: number;
  /** Weights of the lists in fusion (default: full text 1, vector the model's own). */
  fusionWeights?: { vector?: number; fulltext?: number };
  /** How hybrid search ranks the candidates of the two lists (default learned). */
  fusion?: FusionMethod;
  /** The learned ranker's model (default the one fitted on the labelled query set, ranker-model.ts). */
  ranker?: RankerModel;
}

/**
 * Demotion of a chunk whose stated ranges contradict a value of the query, and lift of a chunk
 * of a preferred code's document, in each fusion's units: relative-score sums scaled scores
 * (a perfect full-text match is 1), rrf sums 1/(k + rank) (a first rank is 1/61).
 */
const ADJUSTMENTS: Readonly<Record<Exclude<FusionMethod, 'learned'>, { conflict: number; preferred: number }>> = {
  'relative-score': { conflict: 0.1, preferred: 0.5 },
  rrf: { conflict: 0.1 / (RRF_K + 1), preferred: 1 / (RRF_K + 1) },
};
/**
 * The learned ranker's lift of a preferred code's chunks, as a share of the spread of the
 * candidates' scores: the same half of the range as relative-score's 0.5 on [0, 1]. Not fitted:
 * no labelled query carries a code.
 */
const LEARNED_PREFERRED_SHARE = 0.5;
const DEFAULT_K = 5;
const DEFAULT_CANDIDATES = 40;
/**
 * At 100k chunks on PostgreSQL, 40 instead of 100 cut hybrid p95 from 39 to 31 ms on a slow
 * 2-vCPU machine, for HNSW recall@10 0.37 instead of 0.39 on uniform random vectors (the worst
 * case; docs/BENCHMARKS.md). The vector list only feeds 40 candidates to the ranker.
 */
const DEFAULT_EF_SEARCH = 40;
/** ts_rank_cd normalisation 1: divide by 1 + log(length), so long chunks do not win by length alone. */
const RANK_NORMALISATION = 1;
/**
 * 400 instead of 800 cut full-text p95 at 100k chunks from 25 to 16 ms and left the labelled
 * queries' figures as they were (P@3 0.787 against 0.785, nDCG@10 0.819 against 0.821).
 */
const DEFAULT_TERM_BUDGET = 400;
/** How long a checked embedding model is trusted before it is read again. */
const MODEL_CHECK_MS = 30_000;

interface ListQuery {
  n: number;
  documentIds: string[] | undefined;
  preferKeys: string[];
}

// The document's version as corpus/metadata.ts documentVersionOf gives it, from the stored front matter.
const HIT_COLUMNS =
  "c.id, c.document_id, c.heading_path, c.text, c.grade, c.grade_system, d.title, d.url, d.citation, d.kind, d.content_hash AS document_hash, COALESCE(d.metadata->>'version', d.metadata->>'year') AS document_version";

/**
 * A chunk's full-text score: for each query word it contains, the word's inverse document frequency
 * (BM25's IDF; term frequency counts once, chunks being short), and half as much again when the
 * word is in its title or headings (weight A). Rare, telling words ("epistaxis", "qSOFA") count
 * for more than words found all over the corpus ("patient", "triage"). Each check is a lookup in
 * the chunk's sorted tsvector, cheaper than ts_rank_cd's walk over positions.
 */
function idfScore(params: unknown[], selection: TermSelection, corpusChunks: number): string {
  return selection.terms
    .map((t) => {
      const idf = Math.log(1 + (corpusChunks - t.chunks + 0.5) / (t.chunks + 0.5));
      const single = tsqueryOf({ terms: [t], operator: '|' });
      return `${idf.toFixed(6)} * ((m.tsv @@ CAST(${param(params, single)} AS tsquery))::int + ${HEADING_BOOST} * (m.tsv @@ CAST(${param(params, `${single}:A`)} AS tsquery))::int)`;
    })
    .join(' + ');
}

const HEADING_BOOST = 0.5;

function param(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

function preferredColumn(params: unknown[], keys: readonly string[]): string {
  return keys.length > 0 ? `d.code_keys && ${param(params, [...keys])}::text[] AS preferred` : 'false AS preferred';
}

interface CandidateRow {
  id: string;
  document_id: string;
  heading_path: string[];
  text: string;
  grade: string | null;
  grade_system: string | null;
  title: string;
  url: string | null;
  citation: string;
  kind: DocumentKind;
  document_hash: string;
  document_version: string | null;
  distance: number | null;
  rank: number | null;
  preferred: boolean;
}

export class GuidelineRetriever extends BaseRetriever<GuidelineHitMetadata> {
  lc_namespace = ['cairn', 'knowledge', 'guideline_retriever'];

  readonly db: Database;
  readonly embeddings: CairnEmbeddings;
  readonly defaults: SearchOptions;
  readonly candidates: number;
  readonly efSearch: number;
  readonly expand: boolean;
  readonly rankNormalization: number;
  readonly termBudget: number;
  readonly textRanking: 'idf' | 'cover-density';
  readonly weights: { vector: number; fulltext: number };
  readonly fusion: FusionMethod;
  readonly ranker: RankerModel;
  readonly #queryEmbeddings: QueryEmbeddingCache;
  readonly #model: ModelCheck;

  constructor(options: GuidelineRetrieverOptions) {
    // Only LangChain's own fields go to the base class: it would try to serialise the rest.
    super({
      ...(options.callbacks !== undefined && { callbacks: options.callbacks }),
      ...(options.tags !== undefined && { tags: options.tags }),
      ...(options.metadata !== undefined && { metadata: options.metadata }),
      ...(options.verbose !== undefined && { verbose: options.verbose }),
    });
    this.db = options.db;
    this.embeddings = options.embeddings;
    this.defaults = {
      k: options.k ?? DEFAULT_K,
      mode: options.mode ?? 'hybrid',
      ...(options.filters !== undefined && { filters: options.filters }),
    };
    this.candidates = options.candidates ?? DEFAULT_CANDIDATES;
    this.efSearch = Math.max(options.efSearch ?? DEFAULT_EF_SEARCH, this.candidates);
    this.#queryEmbeddings = new QueryEmbeddingCache(options.embeddings, options.queryCacheSize ?? 1000);
    this.#model = new ModelCheck(options.db, GUIDELINE_VECTORS, options.embeddings, MODEL_CHECK_MS);
    this.expand = options.expandAbbreviations ?? true;
    this.rankNormalization = options.rankNormalization ?? RANK_NORMALISATION;
    this.termBudget = options.termBudget ?? DEFAULT_TERM_BUDGET;
    this.textRanking = options.textRanking ?? 'idf';
    this.weights = {
      vector: options.fusionWeights?.vector ?? options.embeddings.fusionWeight,
      fulltext: options.fusionWeights?.fulltext ?? 1,
    };
    this.fusion = options.fusion ?? 'learned';
    this.ranker = options.ranker ?? SHIPPED_RANKER.model;
  }

  override async _getRelevantDocuments(query: string): Promise<Document<GuidelineHitMetadata>[]> {
    const hits = await this.search(query, this.defaults);
    return hits.map(({ text, ...metadata }) => new Document({ pageContent: text, metadata, id: metadata.chunkId }));
  }

  async search(query: string, options: SearchOptions = {}): Promise<GuidelineHit[]> {
    const found = await this.#candidateRows(query, options);
    if (!found) return [];
    return fuse(found.rows, found.mode, found.k, { weights: this.weights, fusion: this.fusion, values: found.values, ranker: this.ranker });
  }

  /**
   * The hybrid candidates of a query with the learned ranker's features (RANKER_FEATURES order),
   * as `search` would rank them: what `npm run train:ranker` fits the model on.
   */
  async rankerCandidates(query: string, options: Omit<SearchOptions, 'mode'> = {}): Promise<Array<{ chunkId: string; features: number[] }>> {
    const found = await this.#candidateRows(query, { ...options, mode: 'hybrid' });
    if (!found) return [];
    const candidates = rankerCandidatesOf(found.rows, fusedLists(found.rows, this.weights));
    const features = rankerFeatures(candidates, found.values, this.weights);
    return candidates.map((c, i) => ({ chunkId: c.chunkId, features: features[i] as number[] }));
  }

  async #candidateRows(query: string, options: SearchOptions): Promise<{ rows: CandidateRow[]; mode: SearchMode; k: number; values: MeasuredValue[] } | undefined> {
    const k = options.k ?? this.defaults.k ?? DEFAULT_K;
    const mode = options.mode ?? this.defaults.mode ?? 'hybrid';
    const filters = options.filters ?? this.defaults.filters;
    const trimmed = query.trim();
    if (!trimmed || k < 1) return undefined;
    const text = this.expand ? expandAbbreviations(trimmed) : trimmed;

    // The query is embedded before any transaction: a remote model must not hold the database.
    // Undefined when nothing is ingested yet: full-text search then finds nothing either.
    const model = mode !== 'fulltext' ? await this.#model.current() : undefined;
    const vector = model ? await this.#queryEmbeddings.embed(text) : undefined;
    const documentIds = filters !== undefined && hasFilters(filters) ? await resolveFilters(this.db, filters) : undefined;
    if (documentIds && documentIds.length === 0) return undefined;
    const list: ListQuery = {
      n: Math.max(this.candidates, k),
      documentIds,
      preferKeys: mode === 'hybrid' && options.preferCodes ? codeFilterKeys(options.preferCodes) : [],
    };
    // The two lists are independent: on PostgreSQL they run at once, on two connections.
    const [byVector, byText] = await Promise.all([
      vector && model ? this.#vectorList(list, vector, vectorTypeFor(model.dimension)) : [],
      mode !== 'vector' ? this.#fullTextList(list, text) : [],
    ]);
    const rows = new Map<string, CandidateRow>();
    for (const r of byVector) rows.set(r.id, { ...r, rank: null });
    for (const r of byText) {
      const seen = rows.get(r.id);
      rows.set(r.id, seen ? { ...seen, rank: r.rank } : { ...r, distance: null });
    }
    return { rows: [...rows.values()], mode, k, values: mode === 'hybrid' ? measuredValues(text) : [] };
  }

  #vectorList(q: ListQuery, vector: number[], vectorType: VectorType): Promise<CandidateRow[]> {
    const params: unknown[] = [q.n, toVectorParam(vector)];
    const scope = q.documentIds ? `WHERE c.document_id = ANY(${param(params, q.documentIds)}::text[])` : '';
    const sql = `SELECT ${HIT_COLUMNS}, ${preferredColumn(params, q.preferKeys)}, l.distance, NULL::float4 AS rank
      FROM (SELECT c.id, c.embedding <=> $2::${vectorType} AS distance FROM guideline_chunks c ${scope}
            ORDER BY c.embedding <=> $2::${vectorType} LIMIT $1) l
      JOIN guideline_chunks c ON c.id = l.id JOIN guideline_documents d ON d.id = c.document_id`;
    // With a filter, relaxed order: the list is sorted by distance afterwards anyway.
    const search = { efSearch: this.efSearch, candidates: q.n, iterativeScan: q.documentIds ? 'relaxed_order' : 'off' } as const;
    return nearestNeighbours<CandidateRow>(this.db, search, sql, params).then((r) => r.rows);
  }

  async #fullTextList(q: ListQuery, text: string): Promise<CandidateRow[]> {
    // No transaction: at READ COMMITTED it would not give the two statements one snapshot anyway.
    // An ingest committing in between changes at most the term statistics a score is weighed with.
    const terms = await queryTerms(this.db, GUIDELINE_TERMS, text, this.termBudget);
    if (!terms) return [];
    const { selection, corpusSize } = terms;
    const params: unknown[] = [q.n, tsqueryOf(selection)];
    const scope = q.documentIds ? `AND c.document_id = ANY(${param(params, q.documentIds)}::text[])` : '';
    // GUIDELINE_TERMS names the corpus table, so its size is always read.
    const rank = this.textRanking === 'idf' ? idfScore(params, selection, corpusSize as number) : `ts_rank_cd(m.tsv, m.query, ${Math.trunc(this.rankNormalization)})`;
    // OR-ed words match at most `termBudget` chunks (selectTerms adds up their chunk counts, which
    // ts_stat counted exactly at the last ingest), so they need no LIMIT; with one, the planner
    // expects to meet enough matches early and scans every chunk instead of using the GIN index
    // (22 ms instead of 4 ms at 10k chunks). AND-ed common words can match most of the corpus:
    // there the first `termBudget` matches are ranked.
    const limit = selection.operator === '&' ? `LIMIT ${Math.trunc(this.termBudget)}` : '';
    const sql = `SELECT ${HIT_COLUMNS}, ${preferredColumn(params, q.preferKeys)}, NULL::float8 AS distance, l.rank
      FROM (SELECT m.id, ${rank} AS rank
            FROM (SELECT c.id, c.tsv, query FROM guideline_chunks c, CAST($2 AS tsquery) query
                  WHERE c.tsv @@ query ${scope} ${limit}) m
            ORDER BY rank DESC, m.id LIMIT $1) l
      JOIN guideline_chunks c ON c.id = l.id JOIN guideline_documents d ON d.id = c.document_id`;
    return (await this.db.query<CandidateRow>(sql, params)).rows;
  }

  /** Forgets the checked model (call after re-ingesting with another model in this process). */
  resetModelCheck(): void {
    this.#model.reset();
  }
}

async function resolveFilters(db: Queryable, filters: SearchFilters): Promise<string[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filters.codes) {
      params.push(codeFilterKeys(filters.codes));
      where.push(`code_keys && $${params.length}::text[]`);
    }
    if (filters.topics) {
      params.push(filters.topics.map((t) => t.toLowerCase()));
      where.push(`topics && $${params.length}::text[]`);
    }
    if (filters.documentIds) {
      params.push([...filters.documentIds]);
      where.push(`id = ANY($${params.length}::text[])`);
    }
    if (filters.kind) {
      params.push(filters.kind);
      where.push(`kind = $${params.length}`);
    }
    const res = await db.query<{ id: string }>(`SELECT id FROM guideline_documents WHERE ${where.join(' AND ')}`, params);
    return res.rows.map((r) => r.id);
}


function hasFilters(f: SearchFilters): boolean {
  return f.codes !== undefined || f.topics !== undefined || f.documentIds !== undefined || f.kind !== undefined;
}

/**
 * The candidates' chunk ids in each list, best first (ties by id), fused by reciprocal rank:
 * each candidate's 1-based rank in the lists it is in, and its RRF score.
 */
function fusedLists(rows: readonly CandidateRow[], weights: { vector: number; fulltext: number }): Map<string, FusedRanks> {
  const vector = rows
    .filter((r) => r.distance !== null)
    .sort((a, b) => (a.distance as number) - (b.distance as number) || a.id.localeCompare(b.id))
    .map((r) => r.id);
  const fulltext = rows
    .filter((r) => r.rank !== null)
    .sort((a, b) => (b.rank as number) - (a.rank as number) || a.id.localeCompare(b.id))
    .map((r) => r.id);
  return fuseRanks({ vector, fulltext }, weights);
}

function rankerCandidatesOf(rows: readonly CandidateRow[], fused: ReadonlyMap<string, FusedRanks>): RankerCandidate[] {
  return rows.map((r) => {
    const ranks = fused.get(r.id)?.ranks;
    return {
      chunkId: r.id,
      documentId: r.document_id,
      text: r.text,
      ...(r.rank !== null && { textScore: r.rank }),
      ...(r.distance !== null && { similarity: 1 - r.distance }),
      ...(ranks?.fulltext !== undefined && { textRank: ranks.fulltext }),
      ...(ranks?.vector !== undefined && { vectorRank: ranks.vector }),
    };
  });
}

/**
 * Ranks each list and fuses them (or keeps one). Hybrid search ranks by the learned model
 * (ranker.ts), or by relative-score or reciprocal-rank fusion, which demote chunks whose stated
 * ranges contradict a value of the query. In every hybrid method the chunks of documents with a
 * preferred code are lifted.
 */
function fuse(
  rows: readonly CandidateRow[],
  mode: SearchMode,
  k: number,
  how: { weights: { vector: number; fulltext: number }; fusion: FusionMethod; values: readonly MeasuredValue[]; ranker: RankerModel },
): GuidelineHit[] {
  const { weights, fusion, values } = how;
  const fused = fusedLists(rows, weights);
  const candidates = mode === 'hybrid' && fusion !== 'rrf' ? rankerCandidatesOf(rows, fused) : [];
  const learned = fusion === 'learned' && candidates.length > 0 ? rankerFeatures(candidates, values, weights).map((f) => rankerScore(how.ranker, f)) : undefined;
  const relative = fusion === 'relative-score' && candidates.length > 0 ? blendedScores(candidates, weights) : undefined;
  const learnedLift = learned && learned.length > 1 ? LEARNED_PREFERRED_SHARE * (Math.max(...learned) - Math.min(...learned)) : 0;

  const scored = rows.map((r, i) => {
    const f = fused.get(r.id);
    const rv = f?.ranks.vector;
    const rf = f?.ranks.fulltext;
    let score: number;
    if (mode === 'vector') score = 1 - (r.distance ?? 2);
    else if (mode === 'fulltext') score = r.rank ?? 0;
    else if (learned) {
      score = learned[i] as number;
      if (r.preferred) score += learnedLift;
    } else {
      const adjust = ADJUSTMENTS[fusion === 'rrf' ? 'rrf' : 'relative-score'];
      score = fusion === 'rrf' ? (f?.score ?? 0) : (relative?.[i]?.blended ?? 0);
      if (r.preferred) score += adjust.preferred;
      if (values.length > 0 && quantityConflicts(values, r.text) > 0) score -= adjust.conflict;
    }
    const ranks: GuidelineHit['ranks'] = { ...(rv !== undefined && { vector: rv }), ...(rf !== undefined && { fulltext: rf }) };
    return { r, score, ranks };
  });
  scored.sort((a, b) => b.score - a.score || a.r.id.localeCompare(b.r.id));
  return scored.slice(0, k).map(({ r, score, ranks }) => ({
    chunkId: r.id,
    documentId: r.document_id,
    title: r.title,
    headingPath: r.heading_path,
    text: r.text,
    ...(r.url !== null && { url: r.url }),
    citation: r.citation,
    ...(r.grade !== null && { grade: r.grade }),
    ...(r.grade_system !== null && { gradeSystem: r.grade_system }),
    kind: r.kind,
    documentHash: r.document_hash,
    ...(r.document_version !== null && { documentVersion: r.document_version }),
    score,
    ranks,
  }));
}
