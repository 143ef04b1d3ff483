/**
 * Screens one patient against one trial: fetch the record from the FHIR server, build the
 * PatientContext, prepare the profile, judge every criterion, and turn the criterion table into a
 * result. The same stages as a hook (prefetch templates derived from data requirements, resolved
 * through the FHIR gateway), so a screened patient is judged on what a hook would read.
 *
 * Errors are values: `transient` ones (time-outs, network, 5xx) may succeed on a later attempt;
 * `permanent` ones (no such patient) will not.
 */
import type { FhirResource } from 'fhir/r4.js';
import { derivePrefetchTemplates } from '../../../fhir/context/data-requirements.js';
import { buildPatientContext, defaultValueSetIndex } from '../../../fhir/context/index.js';
import type { FhirGateway } from '../../../fhir/gateway.js';
import { resolvePrefetch } from '../../../hooks/prefetch/resolve.js';
import type { TrialJudgement } from '../matching/judge.js';
import type { TrialMatcher } from '../match.js';
import { TRIAL_MATCH_DATA_REQUIREMENTS } from '../service.js';
import type { PatientProfile } from '../matching/profile.js';
import type { StoredTrial } from '../store/trial-store.js';
import { screeningResult, type PatientScreeningResult } from './result.js';

let templates: Record<string, string> | undefined;
function screeningTemplates(): Record<string, string> {
  // What the trial-match hook reads, so a screened patient is judged on what a hook would see.
  templates ??= derivePrefetchTemplates(TRIAL_MATCH_DATA_REQUIREMENTS, defaultValueSetIndex());
  return templates;
}

export type ScreenOutcome =
  | { ok: true; result: PatientScreeningResult }
  | { ok: false; kind: 'transient' | 'permanent'; error: string };

export interface ScreenPatientInput {
  patientId: string;
  trial: StoredTrial;
  gateway: FhirGateway;
  matcher: Pick<TrialMatcher, 'preparePatient' | 'judge'>;
  /**
   * Optional second look at the criteria the structured judge left unknown (the language model,
   * CAIRN_LLM: src/services/trials/matching/llm-refine.ts). Screening is asynchronous, so it may wait.
   */
  refine?: CriterionRefiner;
  signal?: AbortSignal;
  now?: Date;
}

export type CriterionRefiner = (profile: PatientProfile, judgement: TrialJudgement, signal?: AbortSignal) => Promise<TrialJudgement>;

export async function screenPatient(input: ScreenPatientInput): Promise<ScreenOutcome> {
  const outcomes = await resolvePrefetch({
    templates: screeningTemplates(),
    context: { patientId: input.patientId },
    provided: undefined,
    gateway: input.gateway,
    ...(input.signal && { signal: input.signal }),
  });
  const failed = outcomes.filter((o) => o.source === 'failed');
  if (failed.length > 0) {
    // The coordinator sees what went wrong on Cairn's own FHIR server; details are redacted (no ids, no query strings).
    return { ok: false, kind: 'transient', error: failed.map((o) => `${o.key}: ${o.source === 'failed' ? (o.detail ?? o.reason) : ''}`).join('; ') };
  }
  const patient = outcomes.find((o) => o.key === 'patient');
  if (!patient?.value) return { ok: false, kind: 'permanent', error: `Patient/${input.patientId} was not found on the FHIR server` };
  const resources = outcomes.map((o) => o.value).filter((v): v is FhirResource => v !== null && v !== undefined);
  const ctx = buildPatientContext({ resources, patientId: input.patientId, referenceTime: input.now ?? new Date() });
  // As the trial-match hook: no trial enrols a patient the record says has died. Said, not judged.
  if (ctx.patient?.deceased.status === 'deceased') {
    const when = ctx.patient.deceased.dateTime ? ` (${ctx.patient.deceased.dateTime})` : '';
    return { ok: false, kind: 'permanent', error: `Patient/${input.patientId} is recorded as deceased${when}: not screened` };
  }
  const profile = await input.matcher.preparePatient(ctx);
  const judged = input.matcher.judge(profile, input.trial);
  const judgement = input.refine ? await input.refine(profile, judged, input.signal) : judged;
  return { ok: true, result: screeningResult(judgement, ctx) };
}
