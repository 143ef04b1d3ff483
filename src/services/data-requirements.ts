import type { DataRequirements } from '../fhir/context/data-requirements.js';
import { DIAGNOSIS_DATA_REQUIREMENTS } from './diagnosis/service.js';
import { TRIAGE_DATA_REQUIREMENTS } from './triage/service.js';
import { TRIAL_MATCH_DATA_REQUIREMENTS } from './trials/service.js';

/**
 * What each shipped service reads, by service id. The prefetch templates in `cds-hooks/<id>.json`
 * must equal what derivePrefetchTemplates makes of these (a test checks it; `npm run prefetch`
 * prints them), so discovery stays static and reviewable while following the logic.
 */
export const SERVICE_DATA_REQUIREMENTS: Readonly<Record<string, DataRequirements>> = {
  triage: TRIAGE_DATA_REQUIREMENTS,
  'triage-encounter': TRIAGE_DATA_REQUIREMENTS,
  diagnosis: DIAGNOSIS_DATA_REQUIREMENTS,
  'trial-match': TRIAL_MATCH_DATA_REQUIREMENTS,
};
