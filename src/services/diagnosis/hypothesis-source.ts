/**
 * Language-model hypotheses as the diagnosis hook uses them: from a cache, never waited for. The
 * first hook call for a record starts, in the background, the model's question (hypotheses.ts)
 * and then the guideline retrieval for each kept hypothesis (so its query embeddings and passages
 * are computed off the hook's path too); the hook answers from the computed findings meanwhile.
 * A later call for the same record (same patient, same record text) finds them ready.
 *
 * Keyed by a hash of the patient id and the rendered record, so a new note or result makes a new
 * question, and the same record never makes two.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { QuotedPassage } from '../../cards/passages.js';
import type { PatientContext } from '../../fhir/context/index.js';
import { BackgroundResults, renderRecord, type ChatLlm } from '../../llm/index.js';
import type { GuidelineSearch } from '../../knowledge/guideline-search.js';
import { newFinding } from './finding.js';
import { diagnosisBasis } from './guideline-basis.js';
import { proposeHypotheses, type DiagnosisHypothesis } from './hypotheses.js';

export interface ReadyHypothesis extends DiagnosisHypothesis {
  /** Passages retrieved for the hypothesis, verbatim: its condition's criterion and next step. */
  basis: { criterion?: QuotedPassage; nextStep?: QuotedPassage };
}

export interface HypothesisSource {
  /** The hypotheses ready for this record; none (at once) while they are being computed. Never waits, never throws. */
  ready(patientId: string, ctx: PatientContext): readonly ReadyHypothesis[];
}

export interface LlmHypothesisOptions {
  llm: ChatLlm;
  search: GuidelineSearch;
  timeoutMs: number;
  /** Model calls at once (CAIRN_LLM_CONCURRENCY). */
  concurrency: number;
  log: Logger;
  /** Records whose hypotheses are kept (default 1,000). */
  capacity?: number;
}

export interface LlmHypothesisSource extends HypothesisSource {
  /** Resolves when no question is running or waiting (tests; shutdown). */
  idle(): Promise<void>;
  /** Abandons the questions in flight and asks no more (shutdown). */
  close(): Promise<void>;
}

export function llmHypothesisSource(options: LlmHypothesisOptions): LlmHypothesisSource {
  const results = new BackgroundResults<ReadyHypothesis[]>({
    task: 'diagnosis-hypotheses',
    log: options.log,
    concurrency: options.concurrency,
    ...(options.capacity !== undefined && { capacity: options.capacity }),
  });
  const shutdown = new AbortController();
  return {
    ready(patientId, ctx) {
      if (shutdown.signal.aborted) return [];
      try {
        const record = renderRecord(ctx);
        // Nothing quotable: no hypothesis could stand, so the model is not asked.
        if (record.passages.length === 0) return [];
        const key = createHash('sha256').update(patientId).update('\0').update(record.text).digest('hex');
        return (
          results.peek(key, async () => {
            const checked = await proposeHypotheses(ctx, options.llm, { timeoutMs: options.timeoutMs, log: options.log, record, signal: shutdown.signal });
            if (!checked) return undefined;
            return Promise.all(
              checked.hypotheses.map(async (h) => ({ ...h, basis: await diagnosisBasis(newFinding(h.condition, { status: 'not-enough-data', summary: '' }), options.search) })),
            );
          }) ?? []
        );
      } catch (err) {
        options.log.warn({ task: 'diagnosis-hypotheses', err: { name: (err as Error)?.name } }, 'hypotheses unavailable');
        return [];
      }
    },
    idle: () => results.idle(),
    async close() {
      shutdown.abort();
      await results.idle();
    },
  };
}
