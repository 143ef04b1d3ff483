/** An Ollama server's embedding model (e.g. nomic-embed-text, mxbai-embed-large), through LangChain. */
import { OllamaEmbeddings } from '@langchain/ollama';
import { CairnEmbeddings, checkVectors } from './types.js';

export interface OllamaOptions {
  model: string;
  /** Default http://127.0.0.1:11434. */
  baseUrl?: string;
  dimensions?: number;
  /** For tests: the fetch the Ollama client uses. */
  fetch?: typeof fetch;
}

export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

export class OllamaModelEmbeddings extends CairnEmbeddings {
  readonly modelId: string;
  readonly #inner: OllamaEmbeddings;
  readonly #configured: number | undefined;
  #probed: Promise<number> | undefined;

  constructor(options: OllamaOptions) {
    super({});
    this.modelId = `ollama:${options.model}${options.dimensions ? `:${options.dimensions}` : ''}`;
    this.#configured = options.dimensions;
    this.#inner = new OllamaEmbeddings({
      model: options.model,
      baseUrl: options.baseUrl ?? OLLAMA_DEFAULT_BASE_URL,
      ...(options.dimensions !== undefined && { dimensions: options.dimensions }),
      // Texts longer than the model's context are cut rather than failing the whole ingest.
      truncate: true,
      maxRetries: 2,
      ...(options.fetch !== undefined && { fetch: options.fetch }),
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
