import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FhirRouter, makeSimpleRequest } from '@medplum/fhir-router';
import pLimit from 'p-limit';
import { listBundleFiles, readJsonFile } from './bundle-files.js';
import { runTransaction } from './bundles.js';
import { loadFhirDefinitions } from './definitions.js';
import { createRequestListener } from './http.js';
import type { RecordedRequest } from './http.js';
import { toLoadTransaction } from './load.js';
import { DevRepository } from './repository.js';
import { installDevRoutes } from './routes.js';
import { SmartAuthServer } from './smart/auth-server.js';
import type { SmartOptions } from './smart/auth-server.js';
import { smartEndpoints } from './smart/discovery.js';

export type { RecordedRequest } from './http.js';
export type { SmartOptions } from './smart/auth-server.js';

/** What an EHR launch carries; see DevFhirServer.launchUrl. */
export interface LaunchRequest {
  /** The app's launch URL, which receives `iss` and `launch`. */
  app: string;
  /** A Patient id on this server; without it the launcher shows a patient picker. */
  patient?: string;
  /** An Encounter id of that patient. */
  encounter?: string;
  /** The user (fhirUser): `Practitioner/id`, a bare Practitioner id, or another user type's `Type/id`. */
  user?: string;
  /** A CDS Hooks card link's appContext, returned to the app in the token response. */
  appContext?: string;
}

export interface DevFhirServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Files or directories (searched recursively for *.json) of transaction, batch or collection Bundles. */
  bundles?: string[];
  /**
   * When set, every FHIR request except CORS preflights needs `Authorization: Bearer <this token>`
   * (the SMART endpoints stay open). With `smart.enforce`, this token may do anything.
   */
  requireBearerToken?: string;
  /** The dev SMART authorization server; its endpoints are always served, its tokens checked only with `enforce`. */
  smart?: SmartOptions;
}

export interface DevFhirServer {
  /** e.g. http://127.0.0.1:8090/fhir */
  baseUrl: string;
  /** Every request received, in order, including rejected ones. */
  requests: RecordedRequest[];
  /** Loads a transaction, batch or collection Bundle atomically, keeping the resources' ids. */
  loadBundle(bundle: unknown): Promise<void>;
  /** How many resources (current versions) the server holds. */
  resourceCount(): number;
  /**
   * The dev launcher's URL for an EHR launch (`{base}/launch?app=…&patient=…`). Opening it mints a
   * launch token and redirects the browser to the app with `iss` and `launch`, as an EHR would.
   */
  launchUrl(launch: LaunchRequest): string;
  close(): Promise<void>;
}

const BASE_PATH = '/fhir';

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts an in-memory FHIR R4 server (Medplum's FhirRouter and MemoryRepository behind
 * node:http) for development and integration tests.
 */
export async function startDevFhirServer(options: DevFhirServerOptions = {}): Promise<DevFhirServer> {
  loadFhirDefinitions();
  const host = options.host ?? '127.0.0.1';
  const repo = new DevRepository();
  const router = new FhirRouter();
  // Writes run one at a time, in call order: a transaction's rollback journal must not interleave
  // with another request's writes.
  const writes = pLimit(1);
  const requests: RecordedRequest[] = [];
  let baseUrl = '';
  const smart = new SmartAuthServer(repo, options.smart);
  installDevRoutes(router, {
    baseUrl: () => baseUrl,
    security: { fixedToken: options.requireBearerToken !== undefined, smartEnforced: smart.enforce },
  });

  const server = createServer(
    createRequestListener({
      basePath: BASE_PATH,
      baseUrl: () => baseUrl,
      router,
      repo,
      requests,
      writes,
      smart,
      ...(options.requireBearerToken === undefined ? {} : { requireBearerToken: options.requireBearerToken }),
    }),
  );
  const address = await listen(server, options.port ?? 0, host);
  baseUrl = `http://${urlHost(host)}:${address.port}${BASE_PATH}`;

  const close = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // fetch() keeps connections alive; without this close() waits for them to time out.
      server.closeAllConnections();
    });

  const loadBundle = async (bundle: unknown): Promise<void> => {
    const transaction = toLoadTransaction(bundle);
    if (!transaction.entry?.length) return;
    await writes(() => runTransaction(makeSimpleRequest('POST', '/', transaction), repo, router, transaction));
  };

  try {
    for (const file of await listBundleFiles(options.bundles ?? [])) {
      const bundle = await readJsonFile(file);
      await loadBundle(bundle).catch((err: unknown) => {
        throw new Error(`Loading ${file} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
    }
  } catch (err) {
    await close();
    throw err;
  }

  const launchUrl = (launch: LaunchRequest): string => {
    const params = new URLSearchParams({ app: launch.app });
    if (launch.patient !== undefined) params.set('patient', launch.patient);
    if (launch.encounter !== undefined) params.set('encounter', launch.encounter);
    if (launch.user !== undefined) params.set('user', launch.user);
    if (launch.appContext !== undefined) params.set('appContext', launch.appContext);
    return `${smartEndpoints(baseUrl).launch}?${params.toString()}`;
  };

  return { baseUrl, requests, loadBundle, resourceCount: () => repo.resourceCount(), launchUrl, close };
}
