/**
 * The EHR of the browser tests, in its own process: the dev FHIR server with the demo patients
 * (the edge cases shifted to now, as in `npm run demo`) and its SMART launcher. SMART is enforced,
 * so every FHIR read the app or Cairn makes for the app must carry the token the launch issued;
 * Cairn's screening worker reads with the fixed token of CAIRN_TEST_FHIR_TOKEN, as a hospital's
 * backend credentials would. Announces `{"listening": <base URL>}` on stdout, then `{"ready": <base URL>, "patients": [...]}`
 * once the patients are loaded.
 */
import { loadDemoPatients } from '../../../dev/fhir-server/demo-patients.js';
import { startDevFhirServer } from '../../../dev/fhir-server/index.js';

const token = process.env.CAIRN_TEST_FHIR_TOKEN;
if (!token) throw new Error('CAIRN_TEST_FHIR_TOKEN must be set: the token Cairn screens with');

const server = await startDevFhirServer({ host: '127.0.0.1', requireBearerToken: token, smart: { enforce: true } });
// Its address first: Cairn starts with it while the patients load.
process.stdout.write(`${JSON.stringify({ listening: server.baseUrl })}\n`);
const patients = await loadDemoPatients(server);
process.stdout.write(`${JSON.stringify({ ready: server.baseUrl, patients })}\n`);

const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
