import type { DataRequirements } from '../../fhir/context/data-requirements.js';
import { buildPatientContext } from '../../fhir/context/index.js';
import type { ServiceLogic } from '../../hooks/service.js';
import type { GuidelineSearch } from '../../knowledge/guideline-search.js';
import { findingsToShow, type HtnStage1Policy } from './alert-policy.js';
import { diagnosisCard } from './card.js';
import { evaluateCriteria } from './evaluate.js';
import { diagnosisBasis } from './guideline-basis.js';
import { hypothesisCard } from './hypothesis-card.js';
import type { HypothesisSource } from './hypothesis-source.js';
import { checkRecorded, recordedConditions, type RecordedBySubsumption } from './known.js';
import { keysToLookUp, recordedBySubsumption } from './known-terminology.js';
import type { SubsumptionChecker } from '../../fhir/terminology/subsumption.js';

/** What the criteria read: vitals (BP, BMI, qSOFA), glycaemia, kidney and haematology labs, conditions, medications, encounters. */
export const DIAGNOSIS_DATA_REQUIREMENTS: DataRequirements = {
  observationValueSets: ['cairn-vital-signs', 'cairn-consciousness', 'cairn-lab-glycaemia', 'cairn-lab-kidney', 'cairn-lab-haematology'],
  encounters: true,
  conditions: true,
  medications: true,
};

export interface DiagnosisServiceOptions {
  search: GuidelineSearch;
  indicator: 'warning' | 'info';
  /** When stage 1 hypertension gets a card (alert-policy.ts); default 'with-indication'. */
  htnStage1?: HtnStage1Policy;
  /** Launch URL of the Cairn app (CAIRN_SMART_APP_URL): every card links to it when set. */
  smartAppUrl?: string;
  now?: () => Date;
  /**
   * Language-model hypotheses (CAIRN_LLM), read from their cache without waiting. Absent: the
   * cards come from the computed findings alone.
   */
  hypotheses?: HypothesisSource;
  /**
   * A terminology server's SNOMED CT subsumption (CAIRN_TERMINOLOGY_URL): a more specific concept
   * on the problem list then records the condition too. Absent, or unanswered in time: the
   * shipped value sets decide.
   */
  terminology?: SubsumptionChecker;
}

/** The logic of the `diagnosis` service: one card per guideline-defined finding the record does not show. */
export function diagnosisLogic(options: DiagnosisServiceOptions): ServiceLogic {
  const now = options.now ?? (() => new Date());
  const smart = options.smartAppUrl !== undefined ? { smartAppUrl: options.smartAppUrl } : {};
  const htnStage1 = options.htnStage1 ?? 'with-indication';
  return async ({ context, prefetch, log, signal }, emit) => {
    const patientId = String(context.patientId);
    const referenceTime = now();
    const resources = Object.values(prefetch).filter((r) => r !== null && r !== undefined);
    const ctx = buildPatientContext({ resources, referenceTime, patientId });
    const findings = evaluateCriteria(ctx);
    // Read now, never awaited: on the first call for a record this starts them in the background and returns none.
    const hypotheses = options.hypotheses?.ready(patientId, ctx) ?? [];
    // Before deciding what is known: ask the terminology server only about what could change a card.
    let bySubsumption: RecordedBySubsumption | undefined;
    const keys = options.terminology ? keysToLookUp(findings, ctx, htnStage1) : [];
    if (options.terminology && keys.length > 0) {
      // One budget for all of this hook's lookups (not per request), and never past the hook deadline.
      const budget = AbortSignal.any([signal, AbortSignal.timeout(options.terminology.timeoutMs)]);
      const lookup = await recordedBySubsumption(keys, ctx, options.terminology, budget);
      bySubsumption = lookup.recorded;
      if (lookup.unanswered > 0) {
        log.warn({ asked: lookup.asked, unanswered: lookup.unanswered }, 'terminology server did not answer every subsumption lookup in time: the shipped value sets decided those');
      }
    }
    const candidates = findingsToShow(findings, ctx, htnStage1, bySubsumption)
      .map((finding) => ({ finding, record: checkRecorded(finding, ctx, bySubsumption) }))
      .filter(({ record }) => record.status !== 'recorded-same-stage');
    // Each card is emitted when ready, so a slow retrieval never holds back the others; at its
    // finding's position, so the answer's order does not depend on which search returned first.
    await Promise.all(
      candidates.map(async ({ finding, record }, position) => {
        const basis = await diagnosisBasis(finding, options.search);
        const card = diagnosisCard(finding, record, basis, { patientId, indicator: options.indicator, now: referenceTime.toISOString(), ...smart });
        if (card) emit([card], position);
      }),
    );
    // After the computed cards: a hypothesis is the lesser evidence.
    const hypothesisCards = hypotheses
      .map((h) => hypothesisCard(h, { finding: findings.find((f) => f.condition === h.condition), recorded: recordedConditions(h.condition, ctx, bySubsumption), ...smart }))
      .filter((c) => c !== undefined);
    if (hypothesisCards.length > 0) emit(hypothesisCards, candidates.length);
  };
}
