/** The SMART client side: which scopes the app asks for, and the client once the launch has completed. */
import FHIR from 'fhirclient';

export type Client = Awaited<ReturnType<typeof FHIR.oauth2.ready>>;

/** The app's client id at the EHR (the dev launcher accepts any; a real EHR registers it). */
export const CLIENT_ID = 'cairn-app';

/** What the evidence is computed from (the patient's record), read with the user's own rights. */
const PATIENT_READS = ['Patient', 'Observation', 'Condition', 'Encounter', 'MedicationRequest', 'MedicationStatement', 'DocumentReference', 'DiagnosticReport', 'AllergyIntolerance'];
/** What a screening reads of each patient, which the coordinator must be allowed to search. */
const USER_READS = ['Patient', 'Condition', 'Observation'];

/**
 * SMART App Launch 2.0 scopes: `openid fhirUser` (who the user is: screenings and analytics are
 * per user), patient-level reads for the evidence viewer, user-level reads for the workspace.
 */
export function scopesFor(mode: 'ehr' | 'standalone' | 'workspace'): string {
  const identity = ['openid', 'fhirUser'];
  if (mode === 'workspace') return [...identity, ...USER_READS.map((t) => `user/${t}.rs`)].join(' ');
  const patient = PATIENT_READS.map((t) => `patient/${t}.rs`);
  const launch = mode === 'ehr' ? ['launch'] : ['launch/patient'];
  return [...identity, ...launch, ...patient].join(' ');
}

/** Completes the launch (the authorization code exchange) or resumes the session of this tab. */
export function ready(): Promise<Client> {
  return FHIR.oauth2.ready();
}

/** The access token Cairn's API checks with the EHR. */
export function accessToken(client: Client): string {
  const token = client.state.tokenResponse?.access_token;
  if (!token) throw new Error('the EHR issued no access token');
  return token;
}
