import { ConfigError, loadConfig } from '../config.js';
import { builtAppDir } from '../http/app-static.js';
import { createLogger } from '../log.js';
import { startCairn } from '../server.js';

/**
 * `npm start`: reads the environment, starts Cairn, and shuts down gracefully on SIGTERM/SIGINT,
 * also during start-up. Misconfiguration stops it before it listens; a start-up step that fails
 * after it listens (a malformed corpus, the database gone) stops it too, with exit code 1, rather
 * than leave it answering 503 for ever.
 */
async function main(): Promise<void> {
  let config;
  try {
    // Cards link to Cairn's own app by default once it is built (npm run build:app).
    config = loadConfig(process.env, { appBuilt: builtAppDir() !== undefined });
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
  cairn.ready.catch(async (err: unknown) => {
    if (stopping) return;
    stopping = true;
    // start-up has logged the step and the error; this line is for a reader of the terminal.
    console.error(`Cairn failed to start: ${(err as Error).message}`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await cairn.close().catch(() => undefined);
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  console.error(`Cairn failed to start: ${(err as Error).message}`);
  process.exit(1);
});
