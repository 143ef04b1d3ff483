import { describe, expect, it } from '@jest/globals';
import { embeddingOrder, embedTexts } from '../../src/search/embed-texts.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';

/** A model that records its calls, answers after a tick, and can be told to fail on the nth call. */
class RecordingEmbeddings extends HashingEmbeddings {
  readonly calls: string[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  failOnCall: number | undefined;

  override async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls.push(texts);
    const call = this.calls.length;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 5));
      if (call === this.failOnCall) throw new Error('model down');
      return await super.embedDocuments(texts);
    } finally {
      this.inFlight--;
    }
  }
}

describe('embedding the texts of a bulk job', () => {
  it('embeds each distinct text once, longest first, in chunks, and gives every text its own vector', async () => {
    const model = new RecordingEmbeddings();
    const texts = ['Age 18 or over', 'Pregnant or breastfeeding', 'Age 18 or over', 'A trial summary that is much longer than any criterion', 'HbA1c > 7%', 'Pregnant or breastfeeding'];
    const counted: number[] = [];
    const { vectors } = await embedTexts(model, texts, { chunkSize: 2, dimension: 64, onEmbedded: (n) => counted.push(n) });
    expect(model.calls.flat()).toHaveLength(4);
    expect(new Set(model.calls.flat())).toEqual(new Set(texts));
    // Longest first across calls, so each call holds texts of similar length.
    expect(model.calls.flat()).toEqual(embeddingOrder(texts));
    expect(model.calls.flat().map((t) => t.length)).toEqual([...model.calls.flat().map((t) => t.length)].sort((a, b) => b - a));
    expect(model.calls.every((c) => c.length <= 2)).toBe(true);
    expect(counted.reduce((a, b) => a + b, 0)).toBe(4);
    for (const t of texts) expect(vectors.get(t)).toEqual(model.vector(t));
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    const model = new RecordingEmbeddings();
    const texts = Array.from({ length: 20 }, (_, i) => `criterion number ${i}`);
    await embedTexts(model, texts, { chunkSize: 2, concurrency: 2 });
    expect(model.calls).toHaveLength(10);
    expect(model.maxInFlight).toBe(2);
  });

  it('rejects when a call fails, starts no call after it, and checks every answer', async () => {
    const model = new RecordingEmbeddings();
    model.failOnCall = 2;
    const texts = Array.from({ length: 20 }, (_, i) => `criterion number ${i}`);
    await expect(embedTexts(model, texts, { chunkSize: 2, concurrency: 2 })).rejects.toThrow('model down');
    // Calls 1 and 2 started together; once 2 failed, only the one already running (1) could start another.
    expect(model.calls.length).toBeLessThanOrEqual(3);
    expect(model.inFlight).toBe(0);

    const wrong = new HashingEmbeddings({ dimension: 8 });
    await expect(embedTexts(wrong, ['a text'], { chunkSize: 4, dimension: 64 })).rejects.toThrow(/8 dimensions, expected 64/);
  });

  it('starts no new call once its signal aborts', async () => {
    const model = new RecordingEmbeddings();
    const abort = new AbortController();
    const texts = Array.from({ length: 20 }, (_, i) => `criterion number ${i}`);
    const run = embedTexts(model, texts, { chunkSize: 2, concurrency: 1, signal: abort.signal, onEmbedded: () => abort.abort() });
    await expect(run).rejects.toThrow();
    expect(model.calls).toHaveLength(1);
  });
});
