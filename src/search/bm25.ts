/**
 * Okapi BM25 over a small corpus held in memory (Robertson & Zaragoza, "The Probabilistic
 * Relevance Framework: BM25 and Beyond", Foundations and Trends in IR 3:4, 2009; k1 = 1.2,
 * b = 0.75, the usual defaults; idf = ln(1 + (N − df + 0.5)/(df + 0.5)), Lucene's non-negative
 * form). A query word counts once, however often the query repeats it (a note says "pain" ten
 * times; the trial's words decide). Words are the shared tokenizer's (src/text/tokens.ts): ASCII
 * folded, lower case, stop words and one-letter words removed, plurals stemmed.
 *
 * Built once per corpus (the trial store builds one per store version, store/trial-bm25.ts) as an
 * inverted index, so a query touches only the postings of its own words: a note of 60 distinct
 * words over 2,000 trials is well under a millisecond. Pure: no I/O.
 */
import { isStopWord, stem, words } from '../text/tokens.js';

/** Okapi BM25's term-frequency saturation and length normalisation (Robertson & Zaragoza 2009, §3.4: the usual defaults). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export interface Bm25Options {
  k1?: number;
  b?: number;
}

export interface Bm25Hit {
  id: string;
  score: number;
}

export interface Bm25SearchOptions {
  /** Hits returned at most (default 20). */
  k?: number;
  /** Only documents this accepts (by id). */
  filter?: (id: string) => boolean;
}

/** The words BM25 indexes and queries: tokenizer words, no stop words or single letters, plurals stemmed. */
export function bm25Tokens(text: string): string[] {
  return words(text)
    .filter((w) => !isStopWord(w) && w.length > 1)
    .map(stem);
}

interface Postings {
  docs: number[];
  tfs: number[];
}

export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly #ids: string[] = [];
  readonly #byId = new Map<string, number>();
  readonly #lengths: number[] = [];
  readonly #postings = new Map<string, Postings>();
  readonly #avgLength: number;

  constructor(documents: Iterable<{ id: string; text: string }>, options: Bm25Options = {}) {
    this.k1 = options.k1 ?? BM25_K1;
    this.b = options.b ?? BM25_B;
    let total = 0;
    for (const d of documents) {
      if (this.#byId.has(d.id)) throw new Error(`BM25: document ${d.id} given twice`);
      const doc = this.#ids.length;
      this.#ids.push(d.id);
      this.#byId.set(d.id, doc);
      const tokens = bm25Tokens(d.text);
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, f] of tf) {
        let p = this.#postings.get(t);
        if (!p) this.#postings.set(t, (p = { docs: [], tfs: [] }));
        p.docs.push(doc);
        p.tfs.push(f);
      }
      this.#lengths.push(tokens.length);
      total += tokens.length;
    }
    this.#avgLength = this.#ids.length > 0 ? total / this.#ids.length : 0;
  }

  get size(): number {
    return this.#ids.length;
  }

  /** Documents containing the word (already a BM25 token). */
  df(term: string): number {
    return this.#postings.get(term)?.docs.length ?? 0;
  }

  idf(term: string): number {
    const n = this.#ids.length;
    const df = this.df(term);
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  #termScore(f: number, length: number): number {
    return (f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * length) / (this.#avgLength || 1)));
  }

  /**
   * The query's distinct words that occur in the corpus: what `matchedTerms` and `score` read of a
   * query. A caller comparing one query with many documents tokenizes it once with this.
   */
  queryTerms(query: string): string[] {
    return [...new Set(bm25Tokens(query))].filter((t) => this.#postings.has(t));
  }

  /** The word's frequency in the document, 0 when absent: postings list documents in index order, so a binary search finds it. */
  #tf(p: Postings, doc: number): number {
    let lo = 0;
    let hi = p.docs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const d = p.docs[mid] as number;
      if (d === doc) return p.tfs[mid] as number;
      if (d < doc) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** One document's score for the query (0 for an unknown id). */
  score(query: string, id: string): number {
    const doc = this.#byId.get(id);
    if (doc === undefined) return 0;
    let s = 0;
    for (const term of this.queryTerms(query)) {
      const f = this.#tf(this.#postings.get(term) as Postings, doc);
      if (f > 0) s += this.idf(term) * this.#termScore(f, this.#lengths[doc] as number);
    }
    return s;
  }

  /**
   * The query's words found in the document, with what each adds to its score, largest first:
   * what the document and the query share, to show a reader. The query is its text, or its
   * `queryTerms` when the caller compares it with many documents.
   */
  matchedTerms(query: string | readonly string[], id: string): Array<{ term: string; score: number }> {
    const doc = this.#byId.get(id);
    if (doc === undefined) return [];
    const out: Array<{ term: string; score: number }> = [];
    for (const term of typeof query === 'string' ? this.queryTerms(query) : query) {
      const p = this.#postings.get(term);
      const f = p ? this.#tf(p, doc) : 0;
      if (f > 0) out.push({ term, score: this.idf(term) * this.#termScore(f, this.#lengths[doc] as number) });
    }
    return out.sort((a, b) => b.score - a.score || a.term.localeCompare(b.term));
  }

  /** Every document (or those in `ids`) by score, best first; ties by id. Documents sharing no word score 0. */
  rank(query: string, ids?: readonly string[]): Bm25Hit[] {
    const scores = this.#scores(query);
    const pool = ids ?? this.#ids;
    return pool
      .map((id) => {
        const doc = this.#byId.get(id);
        return { id, score: doc === undefined ? 0 : (scores[doc] ?? 0) };
      })
      .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  }

  /** The best `k` documents sharing at least one word with the query (and accepted by `filter`), best first; ties by id. */
  search(query: string, options: Bm25SearchOptions = {}): Bm25Hit[] {
    const k = options.k ?? 20;
    if (k < 1) return [];
    const scores = this.#scores(query);
    const hits: Bm25Hit[] = [];
    for (let doc = 0; doc < scores.length; doc++) {
      const score = scores[doc] as number;
      if (score <= 0) continue;
      const id = this.#ids[doc] as string;
      if (options.filter && !options.filter(id)) continue;
      hits.push({ id, score });
    }
    hits.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    return hits.slice(0, k);
  }

  /** Every document's score, by document number: one pass over the postings of the query's words. */
  #scores(query: string): Float64Array {
    const scores = new Float64Array(this.#ids.length);
    for (const term of this.queryTerms(query)) {
      const p = this.#postings.get(term) as Postings;
      const idf = this.idf(term);
      for (let i = 0; i < p.docs.length; i++) {
        const doc = p.docs[i] as number;
        scores[doc] = (scores[doc] as number) + idf * this.#termScore(p.tfs[i] as number, this.#lengths[doc] as number);
      }
    }
    return scores;
  }
}
