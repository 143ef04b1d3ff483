/**
 * What `npm run demo` runs, in this one process: the dev FHIR server holding the demo patients
 * (the hand-made ones shifted to now, dev/fhir-server/demo-patients.ts) and Cairn beside it, on an
 * embedded database in a temporary directory (copied from an empty one, dev/pglite-template.ts).
 * `stop()` closes both and removes the directory; nothing else is left running.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { startCairn, type RunningCairn } from '../../src/server.js';
import { loadDemoPatients, type DemoPatient } from '../fhir-server/demo-patients.js';
import { startDevFhirServer, type DevFhirServer } from '../fhir-server/index.js';
import { freshDataDir } from '../pglite-template.js';

/** The FHIR server of the example requests in cds-hooks/examples/ (their `fhirServer`). */
export const EXAMPLES_FHIR_PORT = 8090;

export interface DiscoveredService {
  id: string;
  hook: string;
}

export interface DemoStack {
  fhir: DevFhirServer;
  cairn: RunningCairn;
  config: Config;
  patients: DemoPatient[];
  /** The services discovery lists, in its order. */
  services: DiscoveredService[];
  stop(): Promise<void>;
}

export interface DemoStackOptions {
  /** The folder of demo patient Bundles. */
  patientsDir: string;
  /** Ports to try first; taken, or unset: a free one. */
  fhirPort?: number;
  cairnPort?: number;
  /** Build the Cairn app first, so card links and launch URLs open it (a second or two). */
  buildApp: boolean;
  log: Logger;
  /** Settings over the demo's own (process.env, say): CAIRN_TRIALS, CAIRN_HOOK_DEADLINE_MS… */
  env?: NodeJS.ProcessEnv;
}

/** `preferred` when nothing listens on it, else a port nothing listens on now. */
async function portFor(preferred: number | undefined): Promise<number> {
  const probe = createServer();
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      probe.once('error', () => resolve(undefined));
      probe.listen(port, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port));
    });
  const port = (preferred !== undefined ? await tryPort(preferred) : undefined) ?? (await tryPort(0));
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (port === undefined) throw new Error('no free port');
  return port;
}

async function startFhir(preferred: number | undefined): Promise<DevFhirServer> {
  if (preferred !== undefined) {
    try {
      return await startDevFhirServer({ port: preferred });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  return startDevFhirServer({ port: 0 });
}

export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  // In its own process, as `npm run build:app`: Vite sets NODE_ENV=production in the process it
  // builds in, which would turn Cairn's production defaults on here.
  const build = options.buildApp ? promisify(execFile)('npm', ['run', 'build:app']) : Promise.resolve();
  build.catch(() => undefined); // awaited below
  const [fhir, dataDir] = await Promise.all([startFhir(options.fhirPort), freshDataDir('cairn-demo-')]);
  // However the process ends (Ctrl-C during start-up, an error), the temporary database goes with it.
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', removeDataDir);
  let cairn: RunningCairn | undefined;
  const stop = async (): Promise<void> => {
    await cairn?.close();
    await fhir.close();
    await rm(dataDir, { recursive: true, force: true });
    process.off('exit', removeDataDir);
  };
  try {
    // Cairn needs the FHIR server's address, not its patients: both load at once.
    const loading = loadDemoPatients(fhir, options.patientsDir);
    loading.catch(() => undefined); // awaited below
    const [port] = await Promise.all([portFor(options.cairnPort), build]);
    const env: NodeJS.ProcessEnv = {
      // A busy machine (first calls load the embedding model) must not cut a card off: the demo
      // shows what the services find. The production default is 1500 ms.
      CAIRN_HOOK_DEADLINE_MS: '10000',
      ...options.env,
      // Nothing is exposed: the demo's callers are this process and the person at the keyboard.
      CAIRN_REQUIRE_AUTH: 'false',
      // The embedded database in the temporary directory, whatever the shell says.
      DATABASE_URL: undefined,
      CAIRN_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      CAIRN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      // Screenings (the coordinator workspace) read the demo patients from the same FHIR server.
      CAIRN_SCREENING_FHIR_URL: fhir.baseUrl,
    };
    const config = loadConfig(env, { appBuilt: options.buildApp });
    cairn = await startCairn(config, options.log);
    const [patients] = await Promise.all([loading, cairn.ready]);
    const discovery = (await (await fetch(`${cairn.url}/cds-services`)).json()) as { services: DiscoveredService[] };
    const services = discovery.services.map(({ id, hook }) => ({ id, hook }));
    return { fhir, cairn, config, patients, services, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
