export { CairnEmbeddings, checkVectors } from './types.js';
export { UseLiteEmbeddings, USE_LITE_DIMENSIONS, USE_LITE_MODEL_ID } from './use-lite.js';
export { closeEmbeddingThreads } from './use-lite-pool.js';
export { OpenAICompatibleEmbeddings, type OpenAICompatibleOptions } from './openai.js';
export { OllamaModelEmbeddings, OLLAMA_DEFAULT_BASE_URL, type OllamaOptions } from './ollama.js';
export { createEmbeddings } from './factory.js';
