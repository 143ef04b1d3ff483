/**
 * A deterministic, fast stand-in for a real embedding model in database tests: a hashed bag of
 * words (64 dimensions by default), L2-normalised. Texts sharing words get similar vectors, which
 * is enough for the retrieval tests, and it counts what it embeds so tests can assert that an
 * unchanged corpus embeds nothing.
 */
import { CairnEmbeddings } from '../../src/search/embeddings/types.js';

export class HashingEmbeddings extends CairnEmbeddings {
  readonly modelId: string;
  readonly dimension: number;
  /** Texts embedded through embedDocuments. */
  documentsEmbedded = 0;
  /** Calls to embedQuery. */
  queriesEmbedded = 0;

  constructor(options: { dimension?: number; modelId?: string } = {}) {
    super({});
    this.dimension = options.dimension ?? 64;
    this.modelId = options.modelId ?? `test-hashing-${this.dimension}`;
  }

  dimensions(): Promise<number> {
    return Promise.resolve(this.dimension);
  }

  resetCounts(): void {
    this.documentsEmbedded = 0;
    this.queriesEmbedded = 0;
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    this.documentsEmbedded += texts.length;
    return Promise.resolve(texts.map((t) => this.vector(t)));
  }

  embedQuery(text: string): Promise<number[]> {
    this.queriesEmbedded++;
    return Promise.resolve(this.vector(text));
  }

  vector(text: string): number[] {
    const v = new Array<number>(this.dimension).fill(0);
    // Never the zero vector: its cosine distance is undefined.
    v[0] = 0.01;
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      const stem = word.length > 3 ? word.replace(/s$/, '') : word;
      let h = 2166136261;
      for (let i = 0; i < stem.length; i++) h = Math.imul(h ^ stem.charCodeAt(i), 16777619);
      const index = (h >>> 0) % this.dimension;
      v[index] = (v[index] as number) + ((h >>> 31) & 1 ? 1 : -1);
    }
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  }
}
