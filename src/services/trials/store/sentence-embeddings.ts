/**
 * Note-sentence embeddings for the hook's hot path. Trial and criterion vectors are computed at
 * import; a patient's note sentences can only be embedded when the patient is seen, and USE-lite
 * takes about 16 ms a sentence on 2 vCPUs (measured: 64 sentences in batches of 32), so a record
 * with 100 sentences would take most of the 1500 ms hook deadline on every call.
 *
 * So: one vector per distinct sentence text, kept in an LRU across calls (a patient's notes do not
 * change between two views, and the same sentence in two notes is embedded once); new sentences
 * are embedded in small batches, and no new batch starts once the caller's signal has aborted —
 * the batches done so far stay cached, so the next call for the patient starts where this one
 * stopped instead of from nothing.
 */
import type { CairnEmbeddings } from '../../../search/embeddings/types.js';
import { checkVectors } from '../../../search/embeddings/types.js';
import { LRUCache } from 'lru-cache';

/** 4,096 sentences × 512 dimensions is about 17 MB of numbers: the notes of many patients. */
export const DEFAULT_SENTENCE_CACHE_SIZE = 4096;
/** Small batches: the signal is checked between them, so an aborted call stops within ~250 ms. */
const BATCH = 16;

export interface SentenceEmbeddingResult {
  /** Aligned with the texts; undefined where the embedding was not made (aborted). */
  vectors: Array<number[] | undefined>;
  /** Texts found in the cache. */
  reused: number;
  /** Texts embedded by this call. */
  embedded: number;
}

export class SentenceEmbeddingCache {
  readonly #cache: LRUCache<string, number[]>;
  /** Batches in flight, by text: two concurrent calls for one patient embed each sentence once. */
  readonly #inFlight = new Map<string, Promise<number[] | undefined>>();

  constructor(
    readonly embeddings: CairnEmbeddings,
    capacity = DEFAULT_SENTENCE_CACHE_SIZE,
  ) {
    this.#cache = new LRUCache({ max: capacity });
  }

  #key(text: string): string {
    return `${this.embeddings.modelId}\u0000${text}`;
  }

  /** Embeds `texts`, reusing cached vectors; stops starting batches once `signal` aborts. */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<SentenceEmbeddingResult> {
    const vectors: Array<number[] | undefined> = texts.map((t) => this.#cache.get(this.#key(t)));
    const reused = vectors.filter((v) => v !== undefined).length;
    const waiting: Array<{ i: number; p: Promise<number[] | undefined> }> = [];
    const missing: string[] = [];
    const seen = new Set<string>();
    texts.forEach((t, i) => {
      if (vectors[i] !== undefined) return;
      const pending = this.#inFlight.get(this.#key(t));
      if (pending) waiting.push({ i, p: pending });
      else if (!seen.has(t)) {
        seen.add(t);
        missing.push(t);
      }
    });
    let embedded = 0;
    for (let start = 0; start < missing.length; start += BATCH) {
      if (signal?.aborted) break;
      const batch = missing.slice(start, start + BATCH);
      const run = this.embeddings.embedDocuments(batch).then((out) => {
        checkVectors(this.embeddings.modelId, out, batch.length);
        return out;
      });
      batch.forEach((t, j) => {
        const key = this.#key(t);
        this.#inFlight.set(
          key,
          run.then(
            (out) => out[j],
            () => undefined,
          ),
        );
      });
      try {
        const out = await run;
        batch.forEach((t, j) => this.#cache.set(this.#key(t), out[j] as number[]));
        embedded += batch.length;
      } finally {
        for (const t of batch) this.#inFlight.delete(this.#key(t));
      }
    }
    for (const { i, p } of waiting) vectors[i] = await p;
    texts.forEach((t, i) => {
      vectors[i] ??= this.#cache.get(this.#key(t));
    });
    return { vectors, reused, embedded };
  }
}
