/**
 * A language model's judgement of the criteria the structured judge (judge.ts) left unknown
 * (optional, CAIRN_LLM). For each such criterion the model answers met / not-met / unknown and
 * copies the sentence of the record its verdict rests on. Cairn looks the sentence up in the
 * patient's record (llm/record.ts); a verdict whose sentence is not found is discarded and the
 * criterion stays unknown. A kept verdict has basis `llm` and the record's own sentence as its
 * evidence; its reason is Cairn's fixed wording, never the model's.
 *
 * For asynchronous paths (the coordinator's screening worker, the matcher's background refresh):
 * `refineUnknownCriteria` awaits the model. A hook may only read an earlier result from a cache
 * (`llmCriteriaRefiner(...).ready`), never wait for one.
 *
 * Ranking (rank.ts) counts only `record` and `note` judgements as documented, so a language
 * model's verdict alone never excludes a trial: it tells the screener where to look.
 *
 * Why this is in matching/ (the pure stages) although it asks a model: it does no I/O of its own.
 * The model comes in as a `ChatLlm` the caller built, like a function argument, so a unit test
 * passes a fake and gets the same answer every time; choosing the criteria to ask, the prompt and
 * checking the verdicts against the record (`applyVerdicts`) are pure. The refiner's in-memory
 * cache of background answers is state, not I/O.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { askJson, BackgroundResults, findQuote, normalise, renderRecord, type ChatLlm, type FoundQuote, type LlmMessage, type RenderedRecord } from '../../../llm/index.js';
import type { CriterionJudgement, CriterionStatus, Evidence, TrialJudgement } from './judge.js';
import type { PatientProfile } from './profile.js';

/** Most criteria put to the model in one question (the rest stay unknown): bounds the prompt. */
export const MAX_CRITERIA_PER_QUESTION = 30;

const statusSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase().replace(/[\s_]+/g, '-') : v),
  z.enum(['met', 'not-met', 'unknown']),
);

export const verdictAnswerSchema = z.object({
  verdicts: z
    .array(
      z.object({
        criterion: z.coerce.number().int(),
        status: statusSchema,
        quote: z.string().nullish(),
      }),
    )
    .max(200),
});
export type VerdictAnswer = z.infer<typeof verdictAnswerSchema>;

/**
 * Which criteria are put to the model: those the structured judge left unknown (not those that do
 * not apply to the patient); optionally also those it decided only by assuming an unmentioned fact
 * absent (a note may mention it in words the lexicon does not know).
 */
export function refinable(c: CriterionJudgement, options: { alsoAssumedAbsent?: boolean } = {}): boolean {
  if (c.status === 'unknown') return c.basis !== 'not-applicable';
  return options.alsoAssumedAbsent === true && c.basis === 'assumed-absent';
}

export function verdictMessages(record: RenderedRecord, criteria: readonly CriterionJudgement[]): LlmMessage[] {
  const system = [
    'You help a clinical trial coordinator screen a patient against eligibility criteria.',
    'For each numbered CRITERION, decide from the patient record whether its statement holds for the patient:',
    '- "met": the record shows the statement is true for the patient (an exclusion criterion that is met excludes the patient);',
    '- "not-met": the record shows the statement is false for the patient;',
    '- "unknown": the record does not say. Do not assume anything the record does not state.',
    'For "met" or "not-met", copy into "quote" the one sentence of the NOTES, PROBLEM LIST or ACTIVE MEDICATIONS that shows it, character for character. KEY VALUES cannot be quoted. Quotes are checked against the record; a verdict whose quote is not found is discarded.',
    'Answer with JSON only, in this form: {"verdicts":[{"criterion":<number>,"status":"met"|"not-met"|"unknown","quote":"<sentence copied from the record>"}]}',
  ].join('\n');
  const list = criteria.map((c) => `[${c.index}] (${c.kind}) ${c.text}`).join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: `PATIENT RECORD\n\n${record.text}\n\nCRITERIA\n${list}` },
  ];
}

export interface VerdictCheck {
  judgement: TrialJudgement;
  /** False when the model gave no usable answer (time-out, error, malformed): nothing was changed. */
  answered: boolean;
  /** Counts only (logs and evaluation). */
  counts: { asked: number; accepted: number; saidUnknown: number; quoteNotFound: number; notAsked: number };
}

/** Applies the model's verdicts whose quote is in the record; everything else stays as the judge left it. Pure. */
export function applyVerdicts(profile: PatientProfile, judgement: TrialJudgement, asked: readonly CriterionJudgement[], answer: VerdictAnswer, model: string, record: RenderedRecord): VerdictCheck {
  const counts = { asked: asked.length, accepted: 0, saidUnknown: 0, quoteNotFound: 0, notAsked: 0 };
  const askedIndex = new Set(asked.map((c) => c.index));
  const decided = new Map<number, { status: Exclude<CriterionStatus, 'unknown'>; found: FoundQuote }>();
  const seen = new Set<number>();
  for (const v of answer.verdicts) {
    if (!askedIndex.has(v.criterion)) {
      counts.notAsked++;
      continue;
    }
    // The first verdict for a criterion counts; a model changing its mind is not a second opinion.
    if (seen.has(v.criterion)) continue;
    seen.add(v.criterion);
    if (v.status === 'unknown') {
      counts.saidUnknown++;
      continue;
    }
    const found = v.quote ? findQuote(v.quote, record.passages) : undefined;
    if (!found) {
      counts.quoteNotFound++;
      continue;
    }
    counts.accepted++;
    decided.set(v.criterion, { status: v.status, found });
  }
  const criteria = judgement.criteria.map((c): CriterionJudgement => {
    const d = decided.get(c.index);
    if (!d) return c;
    const { passage } = d.found;
    const evidence: Evidence = {
      kind: passage.kind === 'note' ? 'note' : 'record',
      source: passage.source,
      text: d.found.text,
      ...sentenceIndex(profile, passage.source, d.found.text),
    };
    return { ...c, status: d.status, basis: 'llm', evidence: [evidence], reason: `language model (${model}) verdict, citing ${passage.source}; to be confirmed by the screener` };
  });
  return { judgement: { ...judgement, criteria }, answered: true, counts };
}

/** The profile sentence the quote falls in, when it is a note sentence the profile has. */
function sentenceIndex(profile: PatientProfile, source: string, text: string): { sentence?: number } {
  const quoted = normalise(text).text;
  const s = profile.sentences.find((x) => x.source === source && quoted.includes(normalise(x.text).text));
  return s ? { sentence: s.index } : {};
}

export interface RefineOptions {
  timeoutMs: number;
  log: Logger;
  signal?: AbortSignal;
  /** The record already rendered (the caller hashed it); rendered from the profile's context otherwise. */
  record?: RenderedRecord;
  /** Also ask about criteria decided only by the unmentioned-facts assumption (default false). */
  alsoAssumedAbsent?: boolean;
}

/**
 * Asks the model about the criteria the judge left unknown and applies the verdicts it can check.
 * With nothing to ask, or no usable answer, the judgement comes back as it was.
 */
export async function refineUnknownCriteria(profile: PatientProfile, judgement: TrialJudgement, llm: ChatLlm, options: RefineOptions): Promise<VerdictCheck> {
  const asked = judgement.criteria.filter((c) => refinable(c, options)).slice(0, MAX_CRITERIA_PER_QUESTION);
  const none: VerdictCheck = { judgement, answered: true, counts: { asked: 0, accepted: 0, saidUnknown: 0, quoteNotFound: 0, notAsked: 0 } };
  const record = options.record ?? renderRecord(profile.context);
  if (asked.length === 0 || record.passages.length === 0) return none;
  const answer = await askJson(llm, verdictMessages(record, asked), verdictAnswerSchema, {
    task: 'trial-criteria',
    timeoutMs: options.timeoutMs,
    log: options.log,
    ...(options.signal && { signal: options.signal }),
  });
  if (!answer.ok) return { ...none, answered: false, counts: { ...none.counts, asked: asked.length } };
  const checked = applyVerdicts(profile, judgement, asked, answer.value, llm.id, record);
  options.log.info({ task: 'trial-criteria', model: llm.id, nctId: judgement.nctId, ...checked.counts }, 'language-model criterion verdicts checked');
  return checked;
}

export interface CriteriaRefinerOptions {
  llm: ChatLlm;
  timeoutMs: number;
  concurrency: number;
  log: Logger;
  capacity?: number;
  alsoAssumedAbsent?: boolean;
}

/**
 * Refinements kept for hooks: `ready` returns an earlier result for the same patient record and
 * trial judgement, or undefined at once (starting it in the background); `refine` is for workers,
 * which may wait.
 */
export function llmCriteriaRefiner(options: CriteriaRefinerOptions) {
  const results = new BackgroundResults<TrialJudgement>({
    task: 'trial-criteria',
    log: options.log,
    concurrency: options.concurrency,
    ...(options.capacity !== undefined && { capacity: options.capacity }),
  });
  const refine = (profile: PatientProfile, judgement: TrialJudgement, record?: RenderedRecord) =>
    refineUnknownCriteria(profile, judgement, options.llm, {
      timeoutMs: options.timeoutMs,
      log: options.log,
      ...(record && { record }),
      ...(options.alsoAssumedAbsent !== undefined && { alsoAssumedAbsent: options.alsoAssumedAbsent }),
    });
  return {
    refine,
    /** Never waits, never throws. */
    ready(patientId: string, profile: PatientProfile, judgement: TrialJudgement): TrialJudgement | undefined {
      try {
        const record = renderRecord(profile.context);
        const asked = judgement.criteria.filter((c) => refinable(c, options)).map((c) => `${c.index}\0${c.text}`);
        if (asked.length === 0) return judgement;
        const key = createHash('sha256').update(patientId).update('\0').update(judgement.nctId).update('\0').update(asked.join('\n')).update('\0').update(record.text).digest('hex');
        // A question that got no usable answer is remembered as failed (retried later), not as a result.
        return results.peek(key, async () => {
          const r = await refine(profile, judgement, record);
          return r.answered ? r.judgement : undefined;
        });
      } catch (err) {
        options.log.warn({ task: 'trial-criteria', err: { name: (err as Error)?.name } }, 'criterion refinement unavailable');
        return undefined;
      }
    },
    idle: () => results.idle(),
  };
}
