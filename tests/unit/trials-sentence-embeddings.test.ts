/** The hot path's note-sentence embeddings: cached by text, bounded by the caller's signal. */
import { describe, expect, it } from '@jest/globals';
import { SentenceEmbeddingCache } from '../../src/services/trials/store/sentence-embeddings.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';

const sentences = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => `${prefix} sentence number ${i}`);

/** Aborts its signal once `after` texts have been embedded (the deadline passing mid-way). */
class AbortingEmbeddings extends HashingEmbeddings {
  constructor(
    readonly controller: AbortController,
    readonly after: number,
  ) {
    super();
  }

  override async embedDocuments(texts: string[]): Promise<number[][]> {
    const out = await super.embedDocuments(texts);
    if (this.documentsEmbedded >= this.after) this.controller.abort();
    return out;
  }
}

describe('SentenceEmbeddingCache', () => {
  it('embeds each distinct sentence once, and reuses it on the next call', async () => {
    const e = new HashingEmbeddings();
    const cache = new SentenceEmbeddingCache(e);
    const texts = [...sentences(20), 's sentence number 3'];
    const first = await cache.embed(texts);
    expect(first).toMatchObject({ reused: 0, embedded: 20 });
    expect(first.vectors[20]).toEqual(first.vectors[3]);
    expect(first.vectors.every((v) => v !== undefined)).toBe(true);
    const second = await cache.embed(texts);
    expect(second).toMatchObject({ reused: 21, embedded: 0 });
    expect(second.vectors).toEqual(first.vectors);
    expect(e.documentsEmbedded).toBe(20);
  });

  it('starts no new batch once the signal has aborted, and resumes from the cached batches', async () => {
    const controller = new AbortController();
    const e = new AbortingEmbeddings(controller, 16);
    const cache = new SentenceEmbeddingCache(e);
    const texts = sentences(50);
    const aborted = await cache.embed(texts, controller.signal);
    expect(aborted.embedded).toBe(16); // one batch, then the signal stopped it
    expect(aborted.vectors.filter((v) => v === undefined)).toHaveLength(34);
    const resumed = await cache.embed(texts);
    expect(resumed).toMatchObject({ reused: 16, embedded: 34 });
    expect(resumed.vectors.every((v) => v !== undefined)).toBe(true);
    expect(e.documentsEmbedded).toBe(50);
  });

  it('embeds nothing when the signal is already aborted', async () => {
    const e = new HashingEmbeddings();
    const cache = new SentenceEmbeddingCache(e);
    const result = await cache.embed(sentences(5), AbortSignal.abort());
    expect(result.embedded).toBe(0);
    expect(e.documentsEmbedded).toBe(0);
  });

  it('shares the batches in flight between concurrent calls', async () => {
    const e = new HashingEmbeddings();
    const cache = new SentenceEmbeddingCache(e);
    const [a, b] = await Promise.all([cache.embed(sentences(10)), cache.embed(sentences(10))]);
    expect(b.vectors).toEqual(a.vectors);
    expect(e.documentsEmbedded).toBe(10);
  });

  it('evicts the least recently used sentences beyond its capacity', async () => {
    const e = new HashingEmbeddings();
    const cache = new SentenceEmbeddingCache(e, 10);
    await cache.embed(sentences(10, 'a'));
    await cache.embed(sentences(5, 'b'));
    const again = await cache.embed(sentences(10, 'a'));
    expect(again.reused).toBe(5);
  });
});
