import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { ChatLlm, LlmMessage } from './types.js';

/** A LangChain chat model (ChatOpenAI, ChatOllama, or a fake one in tests) as a ChatLlm. */
export class LangChainLlm implements ChatLlm {
  constructor(
    readonly model: BaseChatModel,
    readonly id: string = `langchain:${model._llmType()}`,
  ) {}

  async complete(messages: readonly LlmMessage[], signal: AbortSignal): Promise<string> {
    const reply = await this.model.invoke(
      messages.map((m) => [m.role === 'system' ? 'system' : 'human', m.content] as [string, string]),
      { signal },
    );
    // Content is a string for text replies; some providers return content blocks, whose text `.text` joins.
    return typeof reply.content === 'string' ? reply.content : reply.text;
  }
}
