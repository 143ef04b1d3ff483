/**
 * Any OpenAI-compatible embeddings endpoint (OpenAI, Azure-style gateways, a hospital's own vLLM or
 * TEI server), through LangChain's OpenAIEmbeddings.
 */
import { OpenAIEmbeddings } from '@langchain/openai';
import { CairnEmbeddings, checkVectors } from './types.js';

export interface OpenAICompatibleOptions {
  model: string;
  /** e.g. https://api.openai.com/v1 or http://tei.internal:8080/v1; unset: OpenAI's. */
  baseUrl?: string;
  apiKey?: string;
  /** Requested output size (text-embedding-3 models can shorten vectors); unset: the model's own. */
  dimensions?: number;
  batchSize?: number;
  /** For tests: the fetch the OpenAI client uses. */
  fetch?: typeof fetch;
}

export class OpenAICompatibleEmbeddings extends CairnEmbeddings {
  readonly modelId: string;
  readonly #inner: OpenAIEmbeddings;
  readonly #configured: number | undefined;
  #probed: Promise<number> | undefined;

  constructor(options: OpenAICompatibleOptions) {
    super({});
    this.modelId = `openai:${options.model}${options.dimensions ? `:${options.dimensions}` : ''}`;
    this.#configured = options.dimensions;
    this.#inner = new OpenAIEmbeddings({
      model: options.model,
      // The OpenAI client refuses to start without a key; local OpenAI-compatible servers need none.
      apiKey: options.apiKey ?? 'not-needed',
      ...(options.dimensions !== undefined && { dimensions: options.dimensions }),
      batchSize: options.batchSize ?? 128,
      maxRetries: 2,
      configuration: {
        ...(options.baseUrl !== undefined && { baseURL: options.baseUrl }),
        ...(options.fetch !== undefined && { fetch: options.fetch }),
      },
    });
  }

  dimensions(): Promise<number> {
    if (this.#configured !== undefined) return Promise.resolve(this.#configured);
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
