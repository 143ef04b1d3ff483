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
import { checkRecorded, recordedConditions } from './known.js';

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
}

/** The logic of the `diagnosis` service: one card per guideline-defined finding the record does not show. */
export function diagnosisLogic(options: DiagnosisServiceOptions): ServiceLogic {
  const now = options.now ?? (() => new Date());
  const smart = options.smartAppUrl !== undefined ? { smartAppUrl: options.smartAppUrl } : {};
  return async ({ context, prefetch }, emit) => {
    const patientId = String(context.patientId);
    const referenceTime = now();
    const resources = Object.values(prefetch).filter((r) => r !== null && r !== undefined);
    const ctx = buildPatientContext({ resources, referenceTime, patientId });
    const findings = evaluateCriteria(ctx);
    // Read now, never awaited: on the first call for a record this starts them in the background and returns none.
    const hypotheses = options.hypotheses?.ready(patientId, ctx) ?? [];
    const candidates = findingsToShow(findings, ctx, options.htnStage1 ?? 'with-indication')
      .map((finding) => ({ finding, record: checkRecorded(finding, ctx) }))
      .filter(({ record }) => record.status !== 'recorded-same-stage');
    // Each card is emitted when ready, so a slow retrieval never holds back the others.
    await Promise.all(
      candidates.map(async ({ finding, record }) => {
        const basis = await diagnosisBasis(finding, options.search);
        const card = diagnosisCard(finding, record, basis, { patientId, indicator: options.indicator, now: referenceTime.toISOString(), ...smart });
        if (card) emit([card]);
      }),
    );
    // After the computed cards: a hypothesis is the lesser evidence.
    const hypothesisCards = hypotheses
      .map((h) => hypothesisCard(h, { finding: findings.find((f) => f.condition === h.condition), recorded: recordedConditions(h.condition, ctx), ...smart }))
      .filter((c) => c !== undefined);
    if (hypothesisCards.length > 0) emit(hypothesisCards);
  };
}
