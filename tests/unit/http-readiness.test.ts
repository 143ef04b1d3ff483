/** The HTTP adapter while start-up runs behind the port (http/readiness.ts), with a fake database. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database, Transaction } from '../../src/db/database.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createApp } from '../../src/http/app.js';
import { memoryRecords } from '../support/memory-records.js';
import { createMetrics } from '../../src/http/metrics.js';
import { STARTING_RETRY_AFTER_S, StartupTracker } from '../../src/http/readiness.js';
import { createLogger } from '../../src/log.js';
import { testAppConfig } from '../support/api-app.js';

let hookRuns = 0;
const records = memoryRecords();
const services: CdsService[] = [
  {
    definition: { id: 'summary', hook: 'patient-view', title: 'summary', description: 'test' },
    requiredPrefetch: [],
    run: async (_input, emit) => {
      hookRuns++;
      emit([{ summary: 'from a loaded knowledge base', indicator: 'info', source: { label: 'test' } }]);
    },
  },
];

/** Counts what reaches the database; every insert "stores" one row. */
let dbCalls = 0;
let dbUp = true;
const fakeDb = {
  kind: 'pglite',
  ping: async () => {
    dbCalls++;
    if (!dbUp) throw new Error('down');
  },
  transaction: async <T>(fn: (tx: Transaction) => Promise<T>) => {
    dbCalls++;
    return fn({ query: async () => ({ rows: [], rowCount: 1 }), exec: async () => undefined } as unknown as Transaction);
  },
} as unknown as Database;

const readiness = new StartupTracker();
let server: Server;
let base: string;

beforeAll(async () => {
  const app = createApp({
    config: testAppConfig({ maxRequestBytes: 4096 }),
    services,
    db: fakeDb,
    records,
    metrics: createMetrics(),
    log: createLogger('silent'),
    readiness,
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const hook = () => post('/cds-services/summary', { hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'p' } });
const feedback = () => {
  // A card the service issued before (feedback names only issued cards).
  const card = randomUUID();
  records.ledger.issue('summary', card);
  return post('/cds-services/summary/feedback', { feedback: [{ card, outcome: 'overridden', outcomeTimestamp: '2026-11-24T10:00:00Z' }] });
};
const readyz = async () => {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

async function expectTurnedAway(res: Response, says: RegExp): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe(String(STARTING_RETRY_AFTER_S));
  expect(res.headers.get('content-type')).toMatch(/application\/fhir\+json/);
  const body = (await res.json()) as { resourceType: string; issue: Array<{ code: string; diagnostics: string }> };
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue[0]?.code).toBe('transient');
  expect(body.issue[0]?.diagnostics).toMatch(says);
}

describe('while Cairn starts up behind its port', () => {
  it('is alive, says which step runs, lists its services, and turns everything else away before the database is migrated', async () => {
    readiness.step('migrating', 'applying schema migrations');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await readyz()).toEqual({ status: 503, body: { status: 'starting', step: 'migrating', reason: 'applying schema migrations' } });
    const discovery = await fetch(`${base}/cds-services`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { services: Array<{ id: string }> }).services.map((s) => s.id)).toEqual(['summary']);
    await expectTurnedAway(await hook(), /Cairn is starting \(migrating: applying schema migrations\)/);
    await expectTurnedAway(await feedback(), /starting/);
    expect(hookRuns).toBe(0);
    // Nothing touched the database: it may not even be open yet.
    expect(dbCalls).toBe(0);
  });

  it('an unknown service is still a 404', async () => {
    expect((await post('/cds-services/nothing', {})).status).toBe(404);
  });

  it('takes feedback once migrated, and reports embedding progress, but still no hook calls', async () => {
    readiness.step('ingesting-guidelines', 'ingesting the guideline corpus');
    readiness.progress('guideline chunks embedded: 120 of 307');
    expect(await readyz()).toEqual({ status: 503, body: { status: 'starting', step: 'ingesting-guidelines', reason: 'guideline chunks embedded: 120 of 307' } });
    const fb = await feedback();
    expect(fb.status).toBe(200);
    expect(await fb.json()).toEqual({ stored: 1, duplicates: 0 });
    await expectTurnedAway(await hook(), /guideline chunks embedded: 120 of 307/);
    expect(hookRuns).toBe(0);
  });

  it('serves hooks once ready, and /readyz then follows the database', async () => {
    readiness.markReady();
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });
    const res = await hook();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cards: Array<{ summary: string }> }).cards.map((c) => c.summary)).toEqual(['from a loaded knowledge base']);
    dbUp = false;
    expect((await readyz()).body).toMatchObject({ status: 'database-unreachable' });
    dbUp = true;
  });

  it('after a failed start-up, says so and turns hooks away', async () => {
    readiness.fail('guidelines/bad.md: front matter is not YAML');
    expect(await readyz()).toEqual({ status: 503, body: { status: 'failed', reason: 'guidelines/bad.md: front matter is not YAML' } });
    await expectTurnedAway(await hook(), /failed to start/);
  });
});

describe('the first hook calls after start-up', () => {
  it('are not shed for the event-loop delay start-up itself caused', async () => {
    const tracker = new StartupTracker();
    const app = createApp({
      config: testAppConfig({ hookMaxWaitMs: 300, maxRequestBytes: 4096 }),
      services,
      db: fakeDb,
    records,
      metrics: createMetrics(),
      log: createLogger('silent'),
      readiness: tracker,
    });
    const s = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => s.once('listening', resolve));
    try {
      // Start-up's synchronous work (initdb, an embedding batch) holds the loop past the admission limit...
      const until = performance.now() + 600;
      while (performance.now() < until) {
        // busy
      }
      tracker.markReady();
      // ...and a call that arrives after it did not queue behind it.
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/cds-services/summary`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'p' } }),
      });
      expect(res.status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});
