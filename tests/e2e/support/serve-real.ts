// The shipped server (real services, real corpus) in its own process, announcing its URL for the tests.
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { startCairn } from '../../../src/server.js';

const config = loadConfig();
const cairn = await startCairn(config, createLogger(config.logLevel));
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
