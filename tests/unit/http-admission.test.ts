import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createAdmission } from '../../src/http/admission.js';
import { createApp } from '../../src/http/app.js';
import { memoryRecords } from '../support/memory-records.js';
import { createMetrics, type Metrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';

/**
 * Admission control in process: a service that stays busy past the deadline fills the in-flight
 * limit, and the test checks who is refused, who still answers, and that the count comes back to
 * zero. Ordering is asserted (the refusal arrives while the admitted calls are still pending),
 * never wall-clock durations.
 */
const records = memoryRecords();
const definition = (id: string) => ({ id, hook: 'patient-view', title: id, description: `test ${id}` });

/** Resolves when `count` calls of the slow service have started. */
let started: Array<() => void> = [];
const slowStarted = (count: number) =>
  new Promise<void>((resolve) => {
    let seen = 0;
    started.push(() => {
      if (++seen === count) resolve();
    });
  });

const services: CdsService[] = [
  {
    definition: definition('slow'),
    requiredPrefetch: [],
    run: async ({ signal }, emit) => {
      emit([{ summary: 'Ready at once', indicator: 'info', source: { label: 'test' } }]);
      for (const notify of started) notify();
      // Busy until well after the deadline; the deadline, not this, ends the call.
      await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      if (!signal.aborted) emit([{ summary: 'Too late', indicator: 'info', source: { label: 'test' } }]);
    },
  },
  {
    definition: definition('fails'),
    requiredPrefetch: [],
    run: async () => {
      throw new Error('boom');
    },
  },
];

const fakeDb = { kind: 'pglite', ping: async () => undefined } as unknown as Database;
const DEADLINE_MS = 400;
let eventLoopDelayMs = 0;
let metrics: Metrics;
let server: Server;
let base: string;
const config = {
  publicUrl: 'http://localhost',
  corsOrigins: [],
  hookDeadlineMs: DEADLINE_MS,
  hookMaxInFlight: 2,
  // Far above what a loaded CI machine takes to parse a small body: with 200 ms, one clean-clone
  // run shed an admitted call as queued, its service never started, and the first test hung.
  hookMaxWaitMs: 5_000,
  fhirTimeoutMs: 100,
  fhirConcurrency: 2,
  fhirMaxPages: 2,
  requireAuth: false,
  maxRequestBytes: 2048,
};

beforeAll(async () => {
  metrics = createMetrics();
  const app = createApp({
    config,
    services,
    db: fakeDb,
    records,
    metrics,
    log: createLogger('silent'),
    eventLoopDelayMs: () => eventLoopDelayMs,
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const request = () => JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'p' } });
const post = (id: string, body = request()) =>
  fetch(`${base}/cds-services/${id}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

async function metricValue(name: string, labels = '', from = metrics): Promise<number> {
  const text = await from.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** The in-flight gauge once the server has seen every close (a released slot is counted on 'close'). */
async function settledInFlight(from = metrics): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const value = await metricValue('cairn_hook_in_flight', '', from);
    if (value === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return metricValue('cairn_hook_in_flight', '', from);
}

async function expectShed(res: globalThis.Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('1');
  expect(res.headers.get('content-type')).toMatch(/application\/fhir\+json/);
  const body = (await res.json()) as { resourceType: string; issue: Array<{ code: string }> };
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue[0]?.code).toBe('throttled');
}

describe('hook admission control', () => {
  it('refuses the call over the in-flight limit at once, while the admitted calls answer by the deadline with the cards that are ready', async () => {
    const bothStarted = slowStarted(2);
    const admitted = [post('slow'), post('slow')];
    // Fails with the statuses, rather than hanging, if an admitted call answers without its service starting.
    let bothHaveStarted = false;
    void bothStarted.then(() => (bothHaveStarted = true));
    await Promise.race([
      bothStarted,
      Promise.all(admitted).then((r) => {
        if (!bothHaveStarted) throw new Error(`the admitted calls answered before both services started: ${r.map((x) => x.status).join(', ')}`);
      }),
    ]);
    let admittedDone = false;
    const admittedAll = Promise.all(admitted).then((r) => {
      admittedDone = true;
      return r;
    });

    const excess = await post('slow');
    // The refusal did not wait for the admitted calls (they hold their slots until the deadline).
    expect(admittedDone).toBe(false);
    await expectShed(excess);

    for (const res of await admittedAll) {
      expect(res.status).toBe(200);
      const body = (await res.json()) as { cards: Array<{ summary: string }> };
      expect(body.cards.map((c) => c.summary)).toEqual(['Ready at once']);
    }
    expect(await metricValue('cairn_hook_shed_total', '{reason="in-flight"}')).toBe(1);
    expect(await settledInFlight()).toBe(0);
    started = [];
  });

  it('releases the slot after service errors, bad requests, unknown services, oversized and malformed bodies', async () => {
    for (const [body, status] of [
      [undefined, 200],
      [JSON.stringify({ hook: 'patient-view' }), 400],
      ['{not json', 400],
      [JSON.stringify({ pad: 'x'.repeat(5000) }), 413],
    ] as const) {
      expect((await post(body === undefined ? 'fails' : 'slow', body)).status).toBe(status);
    }
    expect((await post('nothing-here')).status).toBe(404);
    expect(await settledInFlight()).toBe(0);
  });

  it('releases the slot of a call its client abandons, before the service itself has finished', async () => {
    // A deadline far beyond the test's own time-out: only the abort can release this slot in time.
    const heldMetrics = createMetrics();
    let releaseService = () => undefined as void;
    let serviceRunning = false;
    let serviceStarted = () => undefined as void;
    const started = new Promise<void>((resolve) => (serviceStarted = resolve));
    const held: CdsService = {
      definition: definition('held'),
      requiredPrefetch: [],
      run: async () => {
        serviceRunning = true;
        serviceStarted();
        await new Promise<void>((resolve) => (releaseService = resolve));
        serviceRunning = false;
      },
    };
    const app = createApp({
      config: { ...config, hookDeadlineMs: 60_000, hookMaxWaitMs: 30_000 },
      services: [held],
      db: fakeDb,
    records,
      metrics: heldMetrics,
      log: createLogger('silent'),
      eventLoopDelayMs: () => 0,
    });
    const heldServer = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => heldServer.once('listening', resolve));
    try {
      const client = new AbortController();
      const url = `http://127.0.0.1:${(heldServer.address() as AddressInfo).port}/cds-services/held`;
      const abandoned = fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: request(), signal: client.signal }).catch(
        (err: unknown) => err,
      );
      await started;
      expect(await metricValue('cairn_hook_in_flight', '', heldMetrics)).toBe(1);
      client.abort();
      expect(await abandoned).toMatchObject({ name: 'AbortError' });
      expect(await settledInFlight(heldMetrics)).toBe(0);
      expect(serviceRunning).toBe(true);
    } finally {
      releaseService();
      heldServer.closeAllConnections();
      await new Promise<void>((resolve) => heldServer.close(() => resolve()));
    }
  });

  it('refuses hook calls while the event loop is far behind, but not discovery, feedback, health or metrics', async () => {
    eventLoopDelayMs = config.hookMaxWaitMs + 50;
    try {
      await expectShed(await post('slow'));
      expect(await metricValue('cairn_hook_shed_total', '{reason="event-loop-delay"}')).toBe(1);
      expect((await fetch(`${base}/cds-services`)).status).toBe(200);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      // An invalid feedback body: 400 shows it reached its handler instead of being shed.
      const feedback = await fetch(`${base}/cds-services/slow/feedback`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(feedback.status).toBe(400);
    } finally {
      eventLoopDelayMs = 0;
    }
    expect(await settledInFlight()).toBe(0);
  });
});

describe('createAdmission', () => {
  /** Just enough of express's Response to record what was sent. */
  function fakeResponse() {
    const sent: { status?: number; headers: Record<string, string>; body?: string } = { headers: {} };
    const res = {
      setHeader: (name: string, value: string) => {
        sent.headers[name.toLowerCase()] = value;
        return res;
      },
      status: (code: number) => {
        sent.status = code;
        return res;
      },
      type: () => res,
      send: (body: string) => {
        sent.body = body;
        return res;
      },
    };
    return { res: res as unknown as Response, sent };
  }

  it('sheds a call that waited past maxWaitMs before its service started, and starts one that did not', () => {
    const shed: string[] = [];
    const admission = createAdmission({
      maxInFlight: 4,
      maxWaitMs: 500,
      deadlineMs: 2500,
      eventLoopDelayMs: () => 0,
      onShed: (reason) => shed.push(reason),
      onInFlight: () => undefined,
      log: createLogger('silent'),
    });
    const late = fakeResponse();
    expect(admission.stillInTime(late.res, performance.now() - 600)).toBe(false);
    expect(late.sent.status).toBe(503);
    expect(late.sent.headers['retry-after']).toBe('3');
    expect(JSON.parse(late.sent.body ?? '{}')).toMatchObject({ issue: [{ severity: 'error', code: 'throttled' }] });
    expect(shed).toEqual(['queued']);

    const fresh = fakeResponse();
    expect(admission.stillInTime(fresh.res, performance.now())).toBe(true);
    expect(fresh.sent.status).toBeUndefined();
  });

  it('sheds nothing when no limits are configured', () => {
    const admission = createAdmission({
      maxInFlight: undefined,
      maxWaitMs: undefined,
      deadlineMs: 1500,
      eventLoopDelayMs: () => 10_000,
      onShed: () => {
        throw new Error('shed without limits');
      },
      onInFlight: () => undefined,
      log: createLogger('silent'),
    });
    expect(admission.stillInTime(fakeResponse().res, performance.now() - 60_000)).toBe(true);
  });
});
