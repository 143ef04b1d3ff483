/**
 * Which patients a SMART token may see through the API for apps, shared by every route about one
 * patient (its evidence, the cards Cairn issued about it):
 * - the token must allow reading the Patient and searching Observations and Conditions, what the
 *   evidence is computed from: without them the app could not show the patient's record anyway
 *   (403 insufficient_scope);
 * - a token that reads these only in the patient context (patient/…) is for its launch patient:
 *   another patient id gets 403.
 */
import type { RequestHandler } from 'express';
import { grantingContexts, hasUserContext, permits, scopeFor, type ReadInteraction } from '../auth/smart-scopes.js';
import { requireSmartScope, type SmartCaller } from '../auth/smart-token.js';

/** Without these there is nothing to compute on; each is [resource type, interaction]. */
export const PATIENT_RECORD_READS: ReadonlyArray<readonly [string, ReadInteraction]> = [
  ['Patient', 'read'],
  ['Observation', 'search'],
  ['Condition', 'search'],
];

/** 403 (insufficient_scope, naming the scope to ask for) unless the token reads the patient's record. */
export const requirePatientRecordScopes: RequestHandler = requireSmartScope((caller) => {
  for (const [type, interaction] of PATIENT_RECORD_READS) {
    if (!permits(caller.scopes, type, interaction)) {
      // The context the token already reads in: a patient's launch asks for patient/…, a user's for user/….
      const context = hasUserContext(caller.scopes) || caller.patient === undefined ? 'user' : 'patient';
      return { scope: scopeFor(context, type, interaction), why: `the evidence is computed from the patient's record: the token must allow ${interaction === 'read' ? 'reading' : 'searching'} ${type} resources` };
    }
  }
  return undefined;
});

/** True when the token reads the record only in the patient context: it is bound to its launch patient. */
export function patientBound(caller: SmartCaller): boolean {
  return PATIENT_RECORD_READS.some(([type, interaction]) => {
    const contexts = grantingContexts(caller.scopes, type, interaction);
    return !contexts.has('user') && !contexts.has('system');
  });
}

/** Why this token may not see this patient, or undefined when it may (the scopes were checked already). */
export function otherPatientRefusal(caller: SmartCaller, patientId: string): string | undefined {
  return patientBound(caller) && caller.patient !== patientId ? 'this token reads patient data only for its launch patient, and this is another patient' : undefined;
}
