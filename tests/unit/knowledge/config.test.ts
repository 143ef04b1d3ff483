import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('knowledge base configuration', () => {
  it('defaults to the offline encoder and the guidelines/ corpus', () => {
    const c = loadConfig({});
    expect(c.embeddings).toEqual({ provider: 'use-lite' });
    expect(c.guidelinesDir).toBe('guidelines');
  });

  it('reads the OpenAI-compatible settings, CAIRN_ names first', () => {
    const c = loadConfig({
      CAIRN_EMBEDDINGS: 'openai',
      OPENAI_API_KEY: 'sk-x',
      OPENAI_BASE_URL: 'https://api.openai.com/v1',
      CAIRN_EMBEDDINGS_BASE_URL: 'http://tei.internal:8080/v1',
      CAIRN_EMBEDDINGS_DIMENSIONS: '256',
    });
    expect(c.embeddings).toEqual({
      provider: 'openai',
      model: 'text-embedding-3-small',
      baseUrl: 'http://tei.internal:8080/v1',
      apiKey: 'sk-x',
      dimensions: 256,
    });
  });

  it('reads the Ollama settings', () => {
    expect(loadConfig({ CAIRN_EMBEDDINGS: 'ollama', CAIRN_EMBEDDINGS_MODEL: 'mxbai-embed-large', CAIRN_EMBEDDINGS_BASE_URL: 'http://gpu:11434' }).embeddings).toEqual({
      provider: 'ollama',
      model: 'mxbai-embed-large',
      baseUrl: 'http://gpu:11434',
    });
  });

  it('refuses OpenAI without a key or a server, and unknown providers', () => {
    expect(() => loadConfig({ CAIRN_EMBEDDINGS: 'openai' })).toThrow(ConfigError);
    expect(() => loadConfig({ CAIRN_EMBEDDINGS: 'bert' })).toThrow(/CAIRN_EMBEDDINGS must be use-lite, openai or ollama/);
    expect(() => loadConfig({ CAIRN_EMBEDDINGS_DIMENSIONS: '-3' })).toThrow(/CAIRN_EMBEDDINGS_DIMENSIONS/);
  });

  it('reads the USE-lite thread count, which only the offline encoder has', () => {
    expect(loadConfig({ CAIRN_EMBEDDINGS_THREADS: '3' }).embeddings).toEqual({ provider: 'use-lite', threads: 3 });
    expect(loadConfig({ CAIRN_EMBEDDINGS: 'ollama', CAIRN_EMBEDDINGS_THREADS: '3' }).embeddings).not.toHaveProperty('threads');
    expect(() => loadConfig({ CAIRN_EMBEDDINGS_THREADS: '0' })).toThrow(/CAIRN_EMBEDDINGS_THREADS must be positive/);
    expect(() => loadConfig({ CAIRN_EMBEDDINGS_THREADS: 'many' })).toThrow(/CAIRN_EMBEDDINGS_THREADS must be a number/);
  });
});
