/** An Ollama server's embedding model (e.g. nomic-embed-text, mxbai-embed-large), through LangChain. */
import { OllamaEmbeddings } from '@langchain/ollama';
import { ProviderEmbeddings } from './provider.js';

export interface OllamaOptions {
  model: string;
  /** Default http://127.0.0.1:11434. */
  baseUrl?: string;
  dimensions?: number;
  /** For tests: the fetch the Ollama client uses. */
  fetch?: typeof fetch;
}

export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

export class OllamaModelEmbeddings extends ProviderEmbeddings {
  constructor(options: OllamaOptions) {
    super(
      `ollama:${options.model}${options.dimensions ? `:${options.dimensions}` : ''}`,
      new OllamaEmbeddings({
        model: options.model,
        baseUrl: options.baseUrl ?? OLLAMA_DEFAULT_BASE_URL,
        ...(options.dimensions !== undefined && { dimensions: options.dimensions }),
        // Texts longer than the model's context are cut rather than failing the whole ingest.
        truncate: true,
        maxRetries: 2,
        ...(options.fetch !== undefined && { fetch: options.fetch }),
      }),
      options.dimensions,
    );
  }
}
