// The real server entry point plus the test-only services, run in its own process by the e2e tests.
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { startCairn } from '../../../src/server.js';
import { testServiceLogic } from './test-services.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
const cairn = await startCairn(config, log, { logic: testServiceLogic });
process.stdout.write(`${JSON.stringify({ listening: cairn.url })}\n`);
const stop = () => {
  void cairn.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Tests start calling once start-up is done (hooks answer 503 before).
await cairn.ready.then(
  () => process.stdout.write(`${JSON.stringify({ ready: cairn.url })}\n`),
  (err: unknown) => {
    console.error(`start-up failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
