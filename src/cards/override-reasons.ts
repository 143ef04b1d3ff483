import { canonicalUrl } from '../canonical.js';
import type { OverrideReasonCoding } from '../hooks/schema.js';

/**
 * Why a clinician may set a card aside. Codes of Cairn's own CodeSystem (fhir-profiles/codesystems/
 * cds-override-reason.json), returned with feedback so overrides can be counted by reason. The
 * system is the CodeSystem's canonical URL under the configured base (src/canonical.ts), where
 * Cairn serves it by default (GET /fhir/CodeSystem/cds-override-reason).
 */
export const OVERRIDE_REASON_CODESYSTEM_ID = 'cds-override-reason';

/** The system of the override reasons on cards, and of the reasons feedback sends back. */
export function overrideReasonSystem(): string {
  return canonicalUrl(`CodeSystem/${OVERRIDE_REASON_CODESYSTEM_ID}`);
}

/** Code and display as in the CodeSystem file (tests/unit/override-reasons.test.ts keeps them in step). */
export const OVERRIDE_REASONS = {
  alreadyAssessed: { code: 'already-assessed', display: 'Already assessed or managed' },
  measurementError: { code: 'measurement-error', display: 'Values are wrong or out of date' },
  managedElsewhere: { code: 'managed-elsewhere', display: 'Managed by another clinician or service' },
  patientDeclined: { code: 'patient-declined', display: 'Patient declined' },
  notClinicallyRelevant: { code: 'not-relevant', display: 'Not clinically relevant for this patient' },
} as const;

export type OverrideReasonKey = keyof typeof OVERRIDE_REASONS;

/** The card's overrideReasons, in the order given, under the configured system (read when the card is built). */
export function overrideReasons(...keys: OverrideReasonKey[]): OverrideReasonCoding[] {
  const system = overrideReasonSystem();
  return keys.map((k) => ({ system, ...OVERRIDE_REASONS[k] }));
}
