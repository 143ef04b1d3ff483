import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { startCairn } from '../server.js';

/** `npm start`: reads the environment, starts Cairn, and shuts down gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const cairn = await startCairn(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.error('graceful shutdown took over 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    cairn.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: { message: (err as Error).message } }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(`Cairn failed to start: ${(err as Error).message}`);
  process.exit(1);
});
