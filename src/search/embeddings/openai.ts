/**
 * Any OpenAI-compatible embeddings endpoint (OpenAI, Azure-style gateways, a hospital's own vLLM or
 * TEI server), through LangChain's OpenAIEmbeddings.
 */
import { OpenAIEmbeddings } from '@langchain/openai';
import { ProviderEmbeddings } from './provider.js';

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

export class OpenAICompatibleEmbeddings extends ProviderEmbeddings {
  constructor(options: OpenAICompatibleOptions) {
    super(
      `openai:${options.model}${options.dimensions ? `:${options.dimensions}` : ''}`,
      new OpenAIEmbeddings({
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
      }),
      options.dimensions,
    );
  }
}
