export { startDevFhirServer } from './server.js';
export type { DevFhirServer, DevFhirServerOptions, RecordedRequest } from './server.js';
