/** Picks the embedding model from configuration (CAIRN_EMBEDDINGS and friends, see the README). */
import type { EmbeddingsConfig } from '../../config.js';
import { OllamaModelEmbeddings } from './ollama.js';
import { OpenAICompatibleEmbeddings } from './openai.js';
import type { CairnEmbeddings } from './types.js';
import { UseLiteEmbeddings } from './use-lite.js';

export function createEmbeddings(config: EmbeddingsConfig = { provider: 'use-lite' }): CairnEmbeddings {
  switch (config.provider) {
    case 'use-lite':
      return new UseLiteEmbeddings({ ...(config.threads !== undefined && { threads: config.threads }) });
    case 'openai':
      return new OpenAICompatibleEmbeddings({
        model: config.model ?? 'text-embedding-3-small',
        ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
        ...(config.apiKey !== undefined && { apiKey: config.apiKey }),
        ...(config.dimensions !== undefined && { dimensions: config.dimensions }),
      });
    case 'ollama':
      return new OllamaModelEmbeddings({
        model: config.model ?? 'nomic-embed-text',
        ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
        ...(config.dimensions !== undefined && { dimensions: config.dimensions }),
      });
  }
}
