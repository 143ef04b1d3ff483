/** What the tests know of the stack the global setup started (tests/browser/support/stack.ts). */
import type { DemoPatient } from '../../../dev/fhir-server/demo-patients.js';

/** The environment variable that carries StackInfo, as JSON, from the global setup to the test workers. */
export const STACK_ENV = 'CAIRN_BROWSER_STACK';

export interface StackInfo {
  /** The EHR's FHIR base URL, e.g. http://127.0.0.1:41234/fhir (also the SMART `iss`). */
  fhirBase: string;
  /** Cairn's base URL, e.g. http://127.0.0.1:43210. */
  cairn: string;
  /** The app's launch page at Cairn. */
  appLaunch: string;
  /** The token that opens everything at the EHR (Cairn's screening credentials): for test set-up only. */
  fhirToken: string;
  patients: DemoPatient[];
  /** Seconds each start-up step took. */
  timings: Record<string, number>;
}

export function stackInfo(): StackInfo {
  const raw = process.env[STACK_ENV];
  if (!raw) throw new Error(`${STACK_ENV} is unset: run the browser tests with \`npm run test:browser\`, whose global setup starts Cairn and the EHR`);
  return JSON.parse(raw) as StackInfo;
}
