export { BackgroundResults, type BackgroundOptions } from './background.js';
export { createChatModel, createLlm, type ChatModelOptions } from './factory.js';
export { askJson, parseJsonObject, type AskOptions, type LlmAnswer, type NoAnswerReason } from './json.js';
export { LangChainLlm } from './langchain.js';
export { findQuote, normalise, recordPassages, renderRecord, type FoundQuote, type RecordPassage, type RenderedRecord } from './record.js';
export type { ChatLlm, LlmMessage } from './types.js';
