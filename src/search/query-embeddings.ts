/**
 * Query embeddings kept across searches, for every retriever (guidelines, trials): the same
 * question asked again (a card re-rendered, a patient seen twice) costs no embedding call, which
 * for a remote model is most of a search's latency.
 *
 * The promise is cached, not the vector, so concurrent identical queries share one embedding
 * call; a failed call is forgotten, so the next search asks again. Keys carry the model id: a
 * vector of one model is never answered for another.
 */
import { LRUCache } from 'lru-cache';
import type { CairnEmbeddings } from './embeddings/types.js';

export class QueryEmbeddingCache {
  readonly #cache: LRUCache<string, Promise<number[]>>;

  constructor(
    readonly embeddings: CairnEmbeddings,
    capacity: number,
  ) {
    this.#cache = new LRUCache({ max: capacity });
  }

  embed(text: string): Promise<number[]> {
    const key = `${this.embeddings.modelId}\u0000${text}`;
    let cached = this.#cache.get(key);
    if (!cached) {
      cached = this.embeddings.embedQuery(text);
      cached.catch(() => this.#cache.delete(key));
      this.#cache.set(key, cached);
    }
    return cached;
  }
}
