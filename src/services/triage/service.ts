import type { DataRequirements } from '../../fhir/context/data-requirements.js';
import { buildPatientContext } from '../../fhir/context/index.js';
import type { ServiceLogic } from '../../hooks/service.js';
import { assessTriage, nothingToTriage, WITH_FITTED_SCORE } from './assess.js';
import { triageCard } from './card.js';
import { guidelineBasis } from './guideline-basis.js';
import type { GuidelineSearch } from '../../knowledge/guideline-search.js';
import { knowledgeBaseHighRiskMatcher } from './high-risk-matcher.js';

/** What the triage logic reads; the service definitions' prefetch is derived from it (see tests). */
export const TRIAGE_DATA_REQUIREMENTS: DataRequirements = {
  observationValueSets: ['cairn-vital-signs', 'cairn-consciousness'],
  // LOINC 72514-3 |Pain severity 0-10 verbal numeric rating|: read by pain.ts, in no value set.
  extraObservationCodes: ['http://loinc.org|72514-3'],
  encounters: true,
  conditions: true,
};

export interface TriageServiceOptions {
  search: GuidelineSearch;
  showInfoCards: boolean;
  /** Cairn's fitted score decides ESI's "consider" judgements (CAIRN_TRIAGE_FITTED_SCORE; default off). */
  fittedScore?: boolean;
  /** Launch URL of the Cairn app (CAIRN_SMART_APP_URL): every card links to it when set. */
  smartAppUrl?: string;
  now?: () => Date;
}

/** The logic of the `triage` (patient-view) and `triage-encounter` (encounter-start) services. */
export function triageLogic(options: TriageServiceOptions): ServiceLogic {
  const matcher = knowledgeBaseHighRiskMatcher(options.search);
  const now = options.now ?? (() => new Date());
  return async ({ context, prefetch, log }, emit) => {
    const patientId = String(context.patientId);
    const encounterId = typeof context.encounterId === 'string' ? context.encounterId : undefined;
    const resources = Object.values(prefetch).filter((r) => r !== null && r !== undefined);
    const referenceTime = now();
    const patientContext = buildPatientContext({ resources, referenceTime, patientId, ...(encounterId && { encounterId }) });
    // A key that is declared but undefined could not be had (a null from the EHR means "no conditions").
    const problemListRead = !('conditions' in prefetch) || prefetch.conditions !== undefined;
    const assessment = await assessTriage({
      context: patientContext,
      resources,
      matcher,
      problemListRead,
      ...(options.fittedScore && { acuityOptions: WITH_FITTED_SCORE }),
    });
    if (nothingToTriage(assessment)) {
      log.debug('triage: no vital signs or complaint in the window; no card');
      return;
    }
    const passages = await guidelineBasis(assessment, options.search);
    const card = triageCard(assessment, passages, {
      showInfo: options.showInfoCards,
      patientId,
      ...(encounterId && { encounterId }),
      now: referenceTime.toISOString(),
      ...(options.smartAppUrl !== undefined && { smartAppUrl: options.smartAppUrl }),
    });
    if (card) emit([card]);
  };
}
