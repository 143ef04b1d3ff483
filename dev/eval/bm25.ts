/**
 * A BM25-only baseline (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and
 * Beyond", 2009; k1 = 1.2, b = 0.75, the usual defaults; idf = ln(1 + (N − df + 0.5)/(df + 0.5)),
 * Lucene's non-negative form). It scores a trial's whole text (titles, conditions, keywords,
 * summary and the full eligibility text) against the patient's note: what the evaluation puts
 * beside the hybrid retrieval + criterion judgement pipeline. Words are the shared tokenizer's
 * (src/text/tokens.ts), stop words removed, plurals stemmed.
 */
import type { TrialRecord } from '../../src/services/trials/matching/trial-record.js';
import { isStopWord, stem, words } from '../../src/text/tokens.js';

export interface Bm25Options {
  k1?: number;
  b?: number;
}

export function bm25Tokens(text: string): string[] {
  return words(text)
    .filter((w) => !isStopWord(w) && w.length > 1)
    .map(stem);
}

/** The text BM25 sees for a trial: everything the record says. */
export function bm25TrialText(r: TrialRecord): string {
  return [r.title, r.officialTitle, r.conditions.join(' '), r.keywords.join(' '), r.interventions.map((i) => i.name).join(' '), r.summary, r.eligibilityText || `${r.inclusionText}\n${r.exclusionText}`]
    .filter(Boolean)
    .join('\n');
}

export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly #docs = new Map<string, { tf: Map<string, number>; length: number }>();
  readonly #df = new Map<string, number>();
  #avgLength = 0;

  constructor(documents: Iterable<{ id: string; text: string }>, options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    let total = 0;
    for (const d of documents) {
      const tokens = bm25Tokens(d.text);
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      this.#docs.set(d.id, { tf, length: tokens.length });
      for (const t of tf.keys()) this.#df.set(t, (this.#df.get(t) ?? 0) + 1);
      total += tokens.length;
    }
    this.#avgLength = this.#docs.size > 0 ? total / this.#docs.size : 0;
  }

  get size(): number {
    return this.#docs.size;
  }

  idf(term: string): number {
    const n = this.#docs.size;
    const df = this.#df.get(term) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  score(query: string, id: string): number {
    const doc = this.#docs.get(id);
    if (!doc) return 0;
    let s = 0;
    for (const term of new Set(bm25Tokens(query))) {
      const f = doc.tf.get(term);
      if (!f) continue;
      s += (this.idf(term) * f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * doc.length) / (this.#avgLength || 1)));
    }
    return s;
  }

  /** Documents (all, or those in `ids`) by score, best first; ties by id. */
  rank(query: string, ids?: readonly string[]): Array<{ id: string; score: number }> {
    const pool = ids ?? [...this.#docs.keys()];
    return pool.map((id) => ({ id, score: this.score(query, id) })).sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  }
}
