import type { RuleRef } from '../../cards/provenance.js';
import type { ConditionEntry, PatientContext } from '../../fhir/context/index.js';
import { assessAcuity, assessHighRisk, type AcuityOptions, type AcuityResult, type HighRiskAssessment, type ResourceEstimate } from './acuity.js';
import { computeNews2, type News2Result } from './news2.js';
import { painScoresFromResources } from './pain.js';
import { computeQsofa, type QsofaResult } from './qsofa.js';
import { DEFAULT_RESOURCE_OPTIONS, estimateResources, type ResourceEstimateOptions } from './resources.js';
import { computeShockIndex, type ShockIndexResult } from './shock-index.js';
import { TRIAGE_SCORE_MODEL } from './fitted-score.js';
import { buildTriageObservations, complaintNotReadWords, type TriageObservations } from './triage-input.js';
import type { HighRiskMatcher } from './types.js';

/**
 * The rule a triage card follows (card provenance, src/cards/provenance.ts): NEWS2 (news2.ts),
 * qSOFA (qsofa.ts), the shock index (shock-index.ts), the ESI decision points (acuity.ts, with the
 * high-risk complaint match), the observation window (triage-input.ts) and the card's indicator
 * and suggestion thresholds (card.ts). Bump the version whenever any of that logic or a threshold
 * changes.
 */
export const TRIAGE_RULE: RuleRef = { id: 'triage/news2-qsofa-esi', version: '10' };

/**
 * The acuity options of the operating point chosen on the KTAS development split, with
 * DEFAULT_RESOURCE_OPTIONS (resources.ts): the rule and the trade-off curve are in
 * docs/EVALUATION.md; `npm run eval:triage -- --sweep` recomputes them. Decision point D upgrades
 * danger-zone vitals on the way to level 3 to level 2.
 *
 * Cairn's fitted score (fitted-score.ts, triage-score.json) is off by default (WITH_FITTED_SCORE,
 * CAIRN_TRIAGE_FITTED_SCORE turn it on). On KTAS held out it lowered over-triage by 1.6 points at
 * the same under-triage; but it was fitted on Korean expert KTAS levels, and on the US MIMIC-IV-ED
 * demo records, where it could run (before the unknown-age rule), under-triage against the
 * nurse's ESI rose from 38.0% to 46.8%: safety first, a change that may raise under-triage on the
 * population Cairn serves is not the default until checked there.
 */
export const DEFAULT_ACUITY_OPTIONS: AcuityOptions = {
  dangerZone: 'upgrade',
  dangerZoneWithFewerResources: 'consider',
  noResourceLevel: 5,
  highRiskSource: 'table-first',
  fittedScore: null,
};

/** DEFAULT_ACUITY_OPTIONS with Cairn's fitted score deciding ESI's two "consider" judgements. */
export const WITH_FITTED_SCORE: AcuityOptions = { ...DEFAULT_ACUITY_OPTIONS, fittedScore: TRIAGE_SCORE_MODEL };

/** Everything the triage card shows, computed from one patient's record. */
export interface TriageAssessment {
  observations: TriageObservations;
  news2: News2Result;
  qsofa: QsofaResult;
  shockIndex: ShockIndexResult;
  /** The chief complaint checked against the handbook's high-risk situations. */
  highRisk: HighRiskAssessment;
  acuity: AcuityResult;
}

export interface AssessTriageInput {
  context: PatientContext;
  /** The raw FHIR input, for what PatientContext does not carry (pain scores). */
  resources: readonly unknown[];
  matcher: HighRiskMatcher;
  /** Given: used as is. Otherwise estimated from the chief complaint and the record (resources.ts). */
  resourceEstimate?: ResourceEstimate;
  /**
   * False when the problem list could not be had (the EHR's prefetch of it failed and Cairn could
   * not fetch it): the record's conditions are then not known to be none. Default true.
   */
  problemListRead?: boolean;
  resourceOptions?: ResourceEstimateOptions;
  windowHours?: number;
  acuityOptions?: AcuityOptions;
}

/** The vitals whose absence leaves nothing to triage on. */
const CORE_VITALS = ['respiratoryRate', 'spo2', 'systolicBP', 'heartRate', 'temperature', 'consciousness'] as const;

export async function assessTriage(input: AssessTriageInput): Promise<TriageAssessment> {
  const { readings: painScores } = painScoresFromResources(input.resources, {
    referenceTime: new Date(input.context.referenceTime),
    ...(input.context.patient?.id && { patientId: input.context.patient.id }),
  });
  const observations = buildTriageObservations(input.context, {
    painScores,
    ...(input.windowHours !== undefined && { windowHours: input.windowHours }),
  });
  const highRisk = await assessHighRisk(observations.chiefComplaint, input.matcher);
  const resources = input.resourceEstimate ?? resourceEstimateFor(input.context, observations, input.resourceOptions, input.problemListRead ?? true);
  return {
    observations,
    news2: computeNews2(observations),
    qsofa: computeQsofa(observations),
    shockIndex: computeShockIndex(observations),
    highRisk,
    acuity: assessAcuity({
      observations,
      highRisk,
      resources,
      options: input.acuityOptions ?? DEFAULT_ACUITY_OPTIONS,
    }),
  };
}

/** True when no core vital sign and no complaint is known: there is nothing to triage on. */
export function nothingToTriage(a: TriageAssessment): boolean {
  const noVitals = CORE_VITALS.every((p) => a.observations.missing.includes(p));
  return noVitals && a.observations.chiefComplaint === null;
}

/** Decision point C from the chief complaint, age and the active problems on the record. */
export function resourceEstimateFor(
  context: PatientContext,
  observations: TriageObservations,
  options: ResourceEstimateOptions = DEFAULT_RESOURCE_OPTIONS,
  problemListRead = true,
): ResourceEstimate {
  const notRead = observations.chiefComplaintNotRead;
  if (notRead) return { status: 'unknown', reason: `the chief complaint was not read (${complaintNotReadWords(notRead)})` };
  const estimate = estimateResources(
    {
      complaint: observations.chiefComplaint?.text ?? null,
      ageYears: observations.patient.age?.years ?? null,
      activeProblems: problemListRead ? context.conditions.filter(isActiveProblem).length : null,
    },
    options,
  );
  return estimate.status === 'unknown' ? { status: 'unknown', reason: estimate.reason } : estimate;
}

/** An established problem active now; the diagnoses of this visit are not its history. */
function isActiveProblem(c: ConditionEntry): boolean {
  return c.activeAtReference === 'yes' && !c.tentative && !c.categories.includes('encounter-diagnosis');
}
