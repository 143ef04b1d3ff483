/**
 * SMART App Launch 2.0 through SMART's own client (fhirclient): PKCE (S256) and the state are
 * handled by fhirclient. An EHR launch arrives with `launch` and `iss`; a standalone launch with
 * only `iss` (the FHIR server to sign in to) and asks the server to pick a patient, or, for the
 * coordinator workspace (`?workspace`), asks for user-level access with no patient.
 */
import FHIR from 'fhirclient';
import { CLIENT_ID, scopesFor } from './smart';

const params = new URLSearchParams(window.location.search);
const iss = params.get('iss') ?? params.get('fhirServiceUrl');
const root = document.getElementById('root');

if (!iss) {
  if (root) root.innerHTML = '<h1>Cairn</h1><p>Open Cairn from your EHR, or add <code>?iss=&lt;FHIR server base URL&gt;</code> to this address for a standalone launch.</p>';
} else {
  const mode = params.has('launch') ? 'ehr' : params.has('workspace') ? 'workspace' : 'standalone';
  void FHIR.oauth2.authorize({
    clientId: CLIENT_ID,
    iss,
    scope: scopesFor(mode),
    redirectUri: 'index.html',
    pkceMode: 'required',
  });
}
