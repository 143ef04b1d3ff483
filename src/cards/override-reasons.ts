import { CAIRN_CANONICAL_BASE } from '../fhir/context/value-sets.js';

/**
 * Why a clinician may set a card aside. Codes of Cairn's own CodeSystem (fhir-profiles/codesystems/
 * cds-override-reason.json), returned with feedback so overrides can be counted by reason.
 */
export const OVERRIDE_REASON_SYSTEM = `${CAIRN_CANONICAL_BASE}/CodeSystem/cds-override-reason`;

export const OVERRIDE_REASONS = {
  alreadyAssessed: { system: OVERRIDE_REASON_SYSTEM, code: 'already-assessed', display: 'Already assessed or managed' },
  measurementError: { system: OVERRIDE_REASON_SYSTEM, code: 'measurement-error', display: 'Values are wrong or out of date' },
  managedElsewhere: { system: OVERRIDE_REASON_SYSTEM, code: 'managed-elsewhere', display: 'Managed by another clinician or service' },
  patientDeclined: { system: OVERRIDE_REASON_SYSTEM, code: 'patient-declined', display: 'Patient declined' },
  notClinicallyRelevant: { system: OVERRIDE_REASON_SYSTEM, code: 'not-relevant', display: 'Not clinically relevant for this patient' },
} as const;
