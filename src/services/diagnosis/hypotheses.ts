/**
 * Diagnostic hypotheses from a language model (optional, CAIRN_LLM). The model reads the record
 * and names conditions the record suggests — chosen only from a closed list, the conditions
 * Cairn's criteria and guidelines cover — each resting on a sentence of the record. Cairn keeps a
 * hypothesis only when its condition is on the list and its sentence is found in the record
 * (llm/record.ts); what it keeps is the condition key and the record's own sentence. The model's
 * words are never shown: the display is ours (CONDITIONS), the sentence is the record's.
 *
 * A hypothesis is a retrieval query, not a finding: it decides which guideline passages are
 * fetched (guideline-basis.ts), and hypothesis-card.ts decides whether those, with the computed
 * findings, make a card.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { PatientContext } from '../../fhir/context/index.js';
import { askJson, findQuote, renderRecord, type ChatLlm, type LlmMessage, type RecordPassage, type RenderedRecord } from '../../llm/index.js';
import { CONDITION_KEYS, CONDITIONS, type Coding, type ConditionKey } from './finding.js';

/** The closed list: a model may name only these. */
export const HYPOTHESIS_CONDITIONS: readonly ConditionKey[] = CONDITION_KEYS;

/** Most hypotheses kept from one answer (a record rarely suggests more; more would be noise). */
export const MAX_HYPOTHESES = 5;

export interface RecordQuote {
  /** The record's sentence, exactly as recorded. */
  text: string;
  kind: RecordPassage['kind'];
  /** `DocumentReference/3`, `Condition/7`. */
  source: string;
  date: string | null;
  title: string | null;
}

export interface DiagnosisHypothesis {
  condition: ConditionKey;
  /** Cairn's name for the condition (CONDITIONS[condition].title), never the model's words. */
  display: string;
  code: Coding;
  quote: RecordQuote;
}

export interface CheckedHypotheses {
  hypotheses: DiagnosisHypothesis[];
  /** What was set aside, counted (for logs and evaluation; no content). */
  dropped: { notInList: number; quoteNotFound: number; repeated: number; overLimit: number };
}

export const hypothesisAnswerSchema = z.object({
  hypotheses: z.array(z.object({ condition: z.string(), quote: z.string() })).max(50),
});
export type HypothesisAnswer = z.infer<typeof hypothesisAnswerSchema>;

/** The question. Says what the answer is for, what may be named, and that the quote is checked. */
export function hypothesisMessages(record: RenderedRecord): LlmMessage[] {
  const list = HYPOTHESIS_CONDITIONS.map((k) => `- ${k}: ${CONDITIONS[k].title}`).join('\n');
  const system = [
    'You help a clinical decision support service decide which guideline passages to retrieve for a patient.',
    'Read the patient record and name the conditions from the LIST that the record suggests the patient may have and that are not already on the problem list.',
    'Rules:',
    '- Use only the keys of the LIST, exactly as written.',
    '- For each condition, copy into "quote" one sentence of the NOTES, PROBLEM LIST or ACTIVE MEDICATIONS that suggests it, character for character. KEY VALUES cannot be quoted. Quotes are checked against the record; a quote that is not found is discarded.',
    '- Do not name a condition the record says the patient does not have.',
    `- At most ${MAX_HYPOTHESES} conditions. An empty list is a valid answer.`,
    'Answer with JSON only, in this form: {"hypotheses":[{"condition":"<key>","quote":"<sentence copied from the record>"}]}',
    '',
    'LIST:',
    list,
  ].join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: `PATIENT RECORD\n\n${record.text}` },
  ];
}

/** Keeps the hypotheses that name a listed condition and quote the record; one per condition. Pure. */
export function checkHypotheses(answer: HypothesisAnswer, passages: readonly RecordPassage[]): CheckedHypotheses {
  const dropped = { notInList: 0, quoteNotFound: 0, repeated: 0, overLimit: 0 };
  const kept = new Map<ConditionKey, DiagnosisHypothesis>();
  for (const item of answer.hypotheses) {
    const key = item.condition.trim().toLowerCase();
    const condition = HYPOTHESIS_CONDITIONS.find((k) => k === key);
    if (!condition) {
      dropped.notInList++;
      continue;
    }
    const found = findQuote(item.quote, passages);
    if (!found) {
      dropped.quoteNotFound++;
      continue;
    }
    if (kept.has(condition)) {
      dropped.repeated++;
      continue;
    }
    if (kept.size >= MAX_HYPOTHESES) {
      dropped.overLimit++;
      continue;
    }
    const def = CONDITIONS[condition];
    const { passage } = found;
    kept.set(condition, {
      condition,
      display: def.title,
      code: def.snomed,
      quote: { text: found.text, kind: passage.kind, source: passage.source, date: passage.date, title: passage.title },
    });
  }
  return { hypotheses: [...kept.values()], dropped };
}

export interface ProposeOptions {
  timeoutMs: number;
  log: Logger;
  signal?: AbortSignal;
  /** The record already rendered (the caller hashed it); rendered from the context otherwise. */
  record?: RenderedRecord;
}

/**
 * Asks the model and checks its answer. Undefined when there is no usable answer (time-out,
 * error, malformed), which is not the same as an answer with no hypotheses.
 */
export async function proposeHypotheses(ctx: PatientContext, llm: ChatLlm, options: ProposeOptions): Promise<CheckedHypotheses | undefined> {
  const record = options.record ?? renderRecord(ctx);
  const answer = await askJson(llm, hypothesisMessages(record), hypothesisAnswerSchema, {
    task: 'diagnosis-hypotheses',
    timeoutMs: options.timeoutMs,
    log: options.log,
    ...(options.signal && { signal: options.signal }),
  });
  if (!answer.ok) return undefined;
  const checked = checkHypotheses(answer.value, record.passages);
  // Counts only: which conditions a patient may have is patient data.
  options.log.info({ task: 'diagnosis-hypotheses', model: llm.id, kept: checked.hypotheses.length, dropped: checked.dropped }, 'language-model hypotheses checked');
  return checked;
}
