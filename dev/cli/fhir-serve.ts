import { parseArgs } from 'node:util';
import { startDevFhirServer } from '../fhir-server/index.js';

const USAGE = `Usage: npm run fhir:serve -- [--port 8090] [--host 127.0.0.1] [--load <file or dir>...] [--require-token <token>]

Starts the in-memory FHIR R4 dev server. --load takes transaction, batch or collection Bundle
JSON files or directories of them (searched recursively); resources keep their ids.`;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid --port: ${value}`);
  return port;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      port: { type: 'string', default: '8090' },
      host: { type: 'string', default: '127.0.0.1' },
      load: { type: 'string', multiple: true, default: [] },
      'require-token': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    // `--load a b c` leaves b and c as positionals; they are bundles too.
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const started = performance.now();
  const token = values['require-token'];
  const server = await startDevFhirServer({
    port: parsePort(values.port),
    host: values.host,
    bundles: [...values.load, ...positionals],
    ...(token === undefined ? {} : { requireBearerToken: token }),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`FHIR R4 dev server at ${server.baseUrl}`);
  console.log(`${server.resourceCount()} resources loaded in ${seconds} s${token ? '; bearer token required' : ''}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.error(USAGE);
  process.exit(1);
});
