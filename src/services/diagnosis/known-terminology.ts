/**
 * "Is it already on the problem list?" with a terminology server: a Condition coded with a SNOMED
 * CT concept more specific than any the shipped value sets list (e.g. a subtype of essential
 * hypertension) still records the condition. The I/O half of known.ts: it asks, known.ts decides.
 *
 * Only what could change a card is asked: the conditions of met findings whose value sets found
 * nothing on the record (plus diabetes and CKD when a stage 1 hypertension finding needs an
 * indication, alert-policy.ts), against the record's active SNOMED CT codes that the value sets do
 * not already place. Requests run concurrently (a few at a time); the caller's signal bounds the
 * whole batch (the service gives it the client's timeout, and the hook deadline): once it fires,
 * requests in flight are aborted and the rest are not sent. An unanswered pair simply leaves the
 * value sets to decide.
 */
import type { ConditionEntry, PatientContext } from '../../fhir/context/index.js';
import { SNOMED_CT, type SubsumptionChecker } from '../../fhir/terminology/subsumption.js';
import type { HtnStage1Policy } from './alert-policy.js';
import type { ConditionKey, Finding } from './finding.js';
import { RECORDING_CONCEPTS, recordedConditions, recordsByValueSet, type RecordedBySubsumption } from './known.js';

/** Requests in flight at once for one hook: enough to finish well within a deadline, gentle on the server. */
const CONCURRENCY = 8;

/** The conditions whose recording a terminology server could change the cards of. */
export function keysToLookUp(findings: readonly Finding[], ctx: PatientContext, htnStage1: HtnStage1Policy): ConditionKey[] {
  const keys = new Set<ConditionKey>();
  for (const f of findings) {
    if (f.status !== 'met' || recordedConditions(f.condition, ctx).length > 0) continue;
    keys.add(f.condition);
    if (f.condition === 'hypertension' && f.stage === 'stage 1' && htnStage1 === 'with-indication') {
      for (const k of ['diabetes', 'ckd'] as const) if (recordedConditions(k, ctx).length === 0) keys.add(k);
    }
  }
  return [...keys];
}

async function pool<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

function snomedCodes(c: ConditionEntry): string[] {
  return c.codings.filter((k) => k.system === SNOMED_CT).map((k) => k.code.trim());
}

/**
 * For each key, the Conditions (by `source`) whose SNOMED CT code the server places under the
 * key's concept, and how many pairs went unanswered. Never throws.
 */
export interface SubsumptionLookup {
  recorded: RecordedBySubsumption;
  /** Code pairs asked (cached answers included). */
  asked: number;
  /** Pairs the server did not answer (timeout, error): for those the value sets decided. */
  unanswered: number;
}

export async function recordedBySubsumption(
  keys: readonly ConditionKey[],
  ctx: PatientContext,
  checker: SubsumptionChecker,
  signal?: AbortSignal,
): Promise<SubsumptionLookup> {
  const found = new Map<ConditionKey, Set<string>>();
  let unanswered = 0;
  const tasks: Array<() => Promise<void>> = [];
  for (const key of keys) {
    for (const entry of ctx.conditions) {
      if (entry.activeAtReference === 'no' || recordsByValueSet(key, entry)) continue;
      for (const code of snomedCodes(entry)) {
        for (const concept of RECORDING_CONCEPTS[key]) {
          tasks.push(async () => {
            if (signal?.aborted) {
              unanswered++;
              return;
            }
            const answer = await checker.isA(SNOMED_CT, concept, code, signal);
            if (answer === undefined) unanswered++;
            if (answer === true) {
              const set = found.get(key) ?? new Set<string>();
              set.add(entry.source);
              found.set(key, set);
            }
          });
        }
      }
    }
  }
  await pool(tasks, CONCURRENCY);
  return { recorded: found, asked: tasks.length, unanswered };
}
