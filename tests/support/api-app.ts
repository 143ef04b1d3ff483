/**
 * Cairn's HTTP app for the tests of the API for apps (/api/*): createApp with no CDS service, the
 * SMART token check pointed at the stand-in EHR's FHIR server(s), listening on a free loopback
 * port. The suites differ only in what they pass here (the screening backend, the evidence
 * engine, the body limit, where the log goes).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Database } from '../../src/db/database.js';
import { createApp, type AppDeps, type AppRecords } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';

export interface ApiAppOptions {
  db: Database;
  records: AppRecords;
  /** The FHIR servers whose SMART tokens the API accepts (CAIRN_SMART_FHIR_SERVERS). */
  fhirServers: string[];
  /** Time-out of each call to the EHR (discovery, introspection, FHIR reads); default 2000 ms. */
  smartTimeoutMs?: number;
  maxRequestBytes?: number;
  screening?: AppDeps['screening'];
  evidence?: AppDeps['evidence'];
  log?: Logger;
}

export interface ListeningApiApp {
  /** http://127.0.0.1:<port> */
  base: string;
  close(): Promise<void>;
}

/** The settings createApp needs in a test: a short deadline and small FHIR limits, authentication off; `over` replaces any. */
export function testAppConfig(over: Partial<AppDeps['config']> = {}): AppDeps['config'] {
  return {
    publicUrl: 'http://localhost',
    corsOrigins: [],
    hookDeadlineMs: 1000,
    fhirTimeoutMs: 500,
    fhirConcurrency: 2,
    fhirMaxPages: 2,
    requireAuth: false,
    maxRequestBytes: 100_000,
    ...over,
  };
}

export async function listenApiApp(o: ApiAppOptions): Promise<ListeningApiApp> {
  const app = createApp({
    config: testAppConfig({
      maxRequestBytes: o.maxRequestBytes ?? 100_000,
      smart: { fhirServers: o.fhirServers, timeoutMs: o.smartTimeoutMs ?? 2000 },
    }),
    services: [],
    db: o.db,
    records: o.records,
    ...(o.screening && { screening: o.screening }),
    ...(o.evidence && { evidence: o.evidence }),
    metrics: createMetrics(),
    log: o.log ?? createLogger('silent'),
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
