import { parseArgs } from 'node:util';
import { startDevFhirServer } from '../fhir-server/index.js';
import type { DevFhirServer } from '../fhir-server/index.js';

const USAGE = `Usage: npm run fhir:serve -- [--port 8090] [--host 127.0.0.1] [--load <file or dir>...] [--require-token <token>]
         [--app <SMART app launch URL>] [--smart-enforce] [--allow-origin <origin>...] [--token-lifetime <seconds>]

Starts the in-memory FHIR R4 dev server. --load takes transaction, batch or collection Bundle
JSON files or directories of them (searched recursively); resources keep their ids.

SMART App Launch (development only: no login, every request approved):
  --app             print the launch URL that opens this SMART app as an EHR would
  --smart-enforce   FHIR requests need an access token from this server; patient-level
                    tokens read only their patient's compartment (off by default)
  --allow-origin    an origin, besides localhost, that redirect and launch URLs may use
  --token-lifetime  access token lifetime in seconds (default 3600)`;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid --port: ${value}`);
  return port;
}

function parseLifetime(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`Invalid --token-lifetime: ${value} (whole seconds, at least 1)`);
  return seconds;
}

function printSmart(server: DevFhirServer, app: string | undefined, enforced: boolean): void {
  console.log(`\nSMART App Launch (dev only: no real authentication, never expose this server); tokens ${enforced ? 'enforced' : 'issued but not enforced'}`);
  console.log(`  discovery   ${server.baseUrl}/.well-known/smart-configuration`);
  if (app) {
    console.log(`  EHR launch  ${server.launchUrl({ app })}`);
    console.log('              (choose a patient, or add &patient=<id>; &encounter=<id> and &user=Practitioner/<id> too)');
  } else {
    console.log(`  EHR launch  ${server.baseUrl}/launch?app=<your app's launch URL>&patient=<id>   (without patient: a picker)`);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      port: { type: 'string', default: '8090' },
      host: { type: 'string', default: '127.0.0.1' },
      load: { type: 'string', multiple: true, default: [] },
      'require-token': { type: 'string' },
      app: { type: 'string' },
      'smart-enforce': { type: 'boolean', default: false },
      'allow-origin': { type: 'string', multiple: true, default: [] },
      'token-lifetime': { type: 'string' },
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
  const lifetime = values['token-lifetime'];
  const server = await startDevFhirServer({
    port: parsePort(values.port),
    host: values.host,
    bundles: [...values.load, ...positionals],
    ...(token === undefined ? {} : { requireBearerToken: token }),
    smart: {
      enforce: values['smart-enforce'],
      allowedOrigins: values['allow-origin'],
      ...(lifetime === undefined ? {} : { accessTokenLifetimeSeconds: parseLifetime(lifetime) }),
    },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`FHIR R4 dev server at ${server.baseUrl}`);
  console.log(`${server.resourceCount()} resources loaded in ${seconds} s${token ? '; bearer token required' : ''}`);
  printSmart(server, values.app, values['smart-enforce']);

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
