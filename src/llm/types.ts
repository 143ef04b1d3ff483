/**
 * The one face of a language model the rest of Cairn depends on: messages in, text out, with an
 * abort signal. Production wraps a LangChain chat model (factory.ts); tests wrap LangChain's fake
 * chat models or write a fake of their own (one that never answers, one that answers late).
 *
 * A language model is never on a hook's path: its answers are computed in the background and used
 * from a cache (background.ts), and nothing it writes is shown to a clinician (see json.ts: only
 * checked, structured fields are used).
 */
export interface LlmMessage {
  role: 'system' | 'user';
  content: string;
}

export interface ChatLlm {
  /** `provider:model`, for logs. */
  readonly id: string;
  /** The text of one completion. Rejects on transport errors; stops when the signal aborts. */
  complete(messages: readonly LlmMessage[], signal: AbortSignal): Promise<string>;
}
