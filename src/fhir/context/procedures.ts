/**
 * Procedures with status and performed time. entered-in-error is excluded; `not-done` is kept
 * with its status so a rule can see that a procedure was explicitly not done.
 */
import type { BuildEnv } from './env.js';
import { acceptTime } from './env.js';
import { choiceTime, codedText, prop, text } from './fhir-json.js';
import type { SourceItem } from './collect.js';
import type { ProcedureEntry } from './types.js';

export function summariseProcedure(item: SourceItem, env: BuildEnv): ProcedureEntry | undefined {
  const r = item.resource;
  const status = text(r, 'status');
  if (status === 'entered-in-error') {
    env.exclude(item.source, 'entered-in-error');
    return undefined;
  }
  const code = codedText(prop(r, 'code'));
  if (!code) {
    env.exclude(item.source, 'malformed-resource', 'Procedure has no code or text');
    return undefined;
  }
  const performed = choiceTime(r, 'performed');
  let performedRaw: string | null = null;
  let performedTime: number | null = null;
  if (performed === 'invalid') {
    env.exclude(item.source, 'invalid-time', 'performed[x] is not a valid dateTime; kept without date');
  } else if (performed !== undefined) {
    if (!acceptTime(env, item.source, 'performed time', performed)) return undefined;
    performedRaw = performed.raw;
    performedTime = performed.time;
  }
  return {
    source: item.source,
    codings: code.codings,
    text: code.text,
    status: status ?? 'unknown',
    performed: performedRaw,
    performedTime,
    valueSets: env.valueSets.valueSetsContaining(code.codings),
  };
}
