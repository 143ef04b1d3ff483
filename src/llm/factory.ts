/**
 * Picks the chat model from configuration (CAIRN_LLM and friends, see the README). Mirrors the
 * embedding models' factory (search/embeddings/factory.ts): `openai` is any OpenAI-compatible
 * chat-completions endpoint (OpenAI, a hospital's own vLLM or llama.cpp server), `ollama` an
 * Ollama server. Unset: no language model, and every service works from computed findings alone.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAICompletions } from '@langchain/openai';
import type { LlmConfig } from '../config.js';
import { OLLAMA_DEFAULT_BASE_URL } from '../search/embeddings/ollama.js';
import { LangChainLlm } from './langchain.js';
import type { ChatLlm } from './types.js';

export interface ChatModelOptions {
  /** For tests: the fetch the provider's client uses. */
  fetch?: typeof fetch;
}

export function createChatModel(config: LlmConfig, options: ChatModelOptions = {}): BaseChatModel {
  switch (config.provider) {
    case 'openai':
      // The chat-completions API, not the Responses API: it is the one OpenAI-compatible servers implement.
      return new ChatOpenAICompletions({
        model: config.model,
        // The OpenAI client refuses to start without a key; local OpenAI-compatible servers need none.
        apiKey: config.apiKey ?? 'not-needed',
        // Answers are checked, not creative: the same record should give the same answer.
        temperature: 0,
        timeout: config.timeoutMs,
        maxRetries: 1,
        ...(config.jsonMode && { modelKwargs: { response_format: { type: 'json_object' } } }),
        configuration: {
          ...(config.baseUrl !== undefined && { baseURL: config.baseUrl }),
          ...(options.fetch !== undefined && { fetch: options.fetch }),
        },
      });
    case 'ollama':
      return new ChatOllama({
        model: config.model,
        baseUrl: config.baseUrl ?? OLLAMA_DEFAULT_BASE_URL,
        temperature: 0,
        maxRetries: 1,
        ...(config.jsonMode && { format: 'json' }),
        ...(options.fetch !== undefined && { fetch: options.fetch }),
      });
  }
}

/** The configured language model, or undefined when CAIRN_LLM is unset. */
export function createLlm(config: LlmConfig | undefined, options: ChatModelOptions = {}): ChatLlm | undefined {
  if (!config) return undefined;
  return new LangChainLlm(createChatModel(config, options), `${config.provider}:${config.model}`);
}
