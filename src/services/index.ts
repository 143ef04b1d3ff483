import type { Config } from '../config.js';

/** The Cairn release the services' cards name, for the HTTP layer's documents too (the OpenAPI document). */
export { cairnVersion } from '../cards/provenance.js';
// The reasons a card offers for setting it aside, for apps that send feedback (src/http/api/cards.ts).
export { OVERRIDE_REASONS, overrideReasonSystem } from '../cards/override-reasons.js';
import type { ServiceLogic } from '../hooks/service.js';
import type { GuidelineSearch } from '../knowledge/guideline-search.js';
import type { HypothesisSource } from './diagnosis/hypothesis-source.js';
import { diagnosisLogic } from './diagnosis/service.js';
import { terminologyClient } from '../fhir/terminology/subsumption.js';
import { triageLogic } from './triage/service.js';
import type { TrialMatcher } from './trials/match.js';
import { TRIAL_MATCH_SERVICE_ID, trialMatchLogic } from './trials/service.js';

/**
 * The logic of each shipped CDS service, by the id of its definition in `cds-hooks/`. Built once
 * at start-up with what the services share (the guideline knowledge base, configuration).
 */
export interface ServiceDeps {
  search: GuidelineSearch;
  config: Pick<Config, 'triageInfoCards' | 'triageFittedScore' | 'diagnosisIndicator' | 'diagnosisHtnStage1' | 'smartAppUrl' | 'trialStaleDays' | 'terminology'>;
  /** Language-model diagnostic hypotheses, when CAIRN_LLM is set (read from their cache, never awaited). */
  hypotheses?: HypothesisSource;
  /** The trial store's matcher; without it (trials off) `trial-match` has no logic and is not served. */
  trials?: TrialMatcher;
}

export function createServiceLogic(deps: ServiceDeps): Readonly<Record<string, ServiceLogic>> {
  // Every card links to the Cairn app when its launch URL is configured.
  const smart = deps.config.smartAppUrl !== undefined ? { smartAppUrl: deps.config.smartAppUrl } : {};
  const triage = triageLogic({ search: deps.search, showInfoCards: deps.config.triageInfoCards ?? false, fittedScore: deps.config.triageFittedScore ?? false, ...smart });
  const diagnosis = diagnosisLogic({
    search: deps.search,
    ...smart,
    indicator: deps.config.diagnosisIndicator ?? 'warning',
    htnStage1: deps.config.diagnosisHtnStage1 ?? 'with-indication',
    ...(deps.hypotheses && { hypotheses: deps.hypotheses }),
    // One client (and so one cache) for every hook call.
    ...(deps.config.terminology && { terminology: terminologyClient({ baseUrl: deps.config.terminology.url, timeoutMs: deps.config.terminology.timeoutMs }) }),
  });
  return {
    triage,
    'triage-encounter': triage,
    diagnosis,
    ...(deps.trials && {
      [TRIAL_MATCH_SERVICE_ID]: trialMatchLogic({
        matcher: deps.trials,
        ...smart,
        ...(deps.config.trialStaleDays !== undefined && { staleAfterDays: deps.config.trialStaleDays }),
      }),
    }),
  };
}
