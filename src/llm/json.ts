/**
 * One question to the language model whose answer must be a JSON object of a known shape. The
 * answer is parsed with zod; anything else — a time-out, a transport error, prose, JSON of the
 * wrong shape — is "no answer", returned as a value and logged with its reason only (never the
 * prompt or the reply: both carry patient data).
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ChatLlm, LlmMessage } from './types.js';

export type NoAnswerReason = 'timeout' | 'aborted' | 'failed' | 'not-json' | 'wrong-shape';

export type LlmAnswer<T> = { ok: true; value: T } | { ok: false; reason: NoAnswerReason };

export interface AskOptions {
  /** What the question is for, in logs (e.g. 'diagnosis-hypotheses'). */
  task: string;
  timeoutMs: number;
  log: Logger;
  /** Stops the call early (shutdown). */
  signal?: AbortSignal;
}

export async function askJson<S extends z.ZodType>(llm: ChatLlm, messages: readonly LlmMessage[], schema: S, options: AskOptions): Promise<LlmAnswer<z.output<S>>> {
  const started = Date.now();
  const noAnswer = (reason: NoAnswerReason, extra: Record<string, unknown> = {}): LlmAnswer<z.output<S>> => {
    options.log.warn({ task: options.task, model: llm.id, reason, ms: Date.now() - started, ...extra }, 'language model gave no usable answer');
    return { ok: false, reason };
  };
  const text = await complete(llm, messages, options);
  if (typeof text !== 'string') return noAnswer(text.reason);
  const json = parseJsonObject(text);
  if (json === undefined) return noAnswer('not-json', { chars: text.length });
  const parsed = schema.safeParse(json);
  // Issue paths are field names and indices: no patient data.
  if (!parsed.success) return noAnswer('wrong-shape', { issues: parsed.error.issues.slice(0, 5).map((i) => i.path.join('.')) });
  options.log.debug({ task: options.task, model: llm.id, ms: Date.now() - started }, 'language model answered');
  return { ok: true, value: parsed.data };
}

/**
 * The completion, or why there is none. The time-out does not rely on the model honouring the
 * signal: a call that ignores it is abandoned all the same (its late answer is dropped).
 */
async function complete(llm: ChatLlm, messages: readonly LlmMessage[], options: AskOptions): Promise<string | { reason: NoAnswerReason }> {
  if (options.signal?.aborted) return { reason: 'aborted' };
  const controller = new AbortController();
  let stop: ((reason: NoAnswerReason) => void) | undefined;
  const stopped = new Promise<{ reason: NoAnswerReason }>((resolve) => {
    stop = (reason) => {
      controller.abort();
      resolve({ reason });
    };
  });
  const onAbort = () => stop?.('aborted');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => stop?.('timeout'), options.timeoutMs);
  // A pending time-out never keeps the process alive.
  timer.unref();
  const call = llm.complete(messages, controller.signal).then(
    (text) => text,
    (): { reason: NoAnswerReason } => ({ reason: 'failed' }),
  );
  try {
    return await Promise.race([call, stopped]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The JSON object in a reply: the whole reply, or the first {...} span (models wrap JSON in prose or ``` fences). */
export function parseJsonObject(text: string): unknown {
  const trimmed = text.trim();
  for (const candidate of [trimmed, trimmed.slice(trimmed.indexOf('{'), trimmed.lastIndexOf('}') + 1)]) {
    if (!candidate.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(candidate);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // not JSON: try the next candidate
    }
  }
  return undefined;
}
