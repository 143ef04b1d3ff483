export { startDevFhirServer } from './server.js';
export type { DevFhirServer, DevFhirServerOptions, LaunchRequest, RecordedRequest, SmartOptions } from './server.js';
