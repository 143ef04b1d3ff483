import type { Embeddings } from '@langchain/core/embeddings';
import { CairnEmbeddings, checkVectors } from './types.js';

/**
 * A remote embedding model behind a LangChain client (OpenAI-compatible, Ollama). Checks every
 * answer before it reaches the database, and learns the vector size from one probe when it was
 * not configured.
 */
export abstract class ProviderEmbeddings extends CairnEmbeddings {
  readonly modelId: string;
  readonly #inner: Embeddings;
  readonly #configured: number | undefined;
  #probed: Promise<number> | undefined;

  protected constructor(modelId: string, inner: Embeddings, configuredDimensions: number | undefined) {
    super({});
    this.modelId = modelId;
    this.#inner = inner;
    this.#configured = configuredDimensions;
  }

  dimensions(): Promise<number> {
    if (this.#configured !== undefined) return Promise.resolve(this.#configured);
    // A failed probe is forgotten, so the next call tries again.
    this.#probed ??= this.#inner.embedQuery('dimension probe').then(
      (v) => v.length,
      (err: unknown) => {
        this.#probed = undefined;
        throw err;
      },
    );
    return this.#probed;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const vectors = await this.#inner.embedDocuments(texts);
    checkVectors(this.modelId, vectors, texts.length, this.#configured);
    return vectors;
  }

  async embedQuery(text: string): Promise<number[]> {
    const vector = await this.#inner.embedQuery(text);
    checkVectors(this.modelId, [vector], 1, this.#configured);
    return vector;
  }
}
