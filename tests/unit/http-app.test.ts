import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createApp } from '../../src/http/app.js';
import { memoryRecords } from '../support/memory-records.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { testAppConfig } from '../support/api-app.js';

/** The HTTP adapter in process, with services that misbehave on purpose and a database that can go down. */
const records = memoryRecords();
const definition = (id: string, extra: Partial<CdsService['definition']> = {}) => ({ id, hook: 'patient-view', title: id, description: `test ${id}`, ...extra });
const services: CdsService[] = [
  {
    definition: definition('no-uuids'),
    requiredPrefetch: [],
    run: async (_input, emit) => {
      emit([
        {
          summary: 'A card its service left without uuids',
          indicator: 'info',
          source: { label: 'test' },
          selectionBehavior: 'any',
          suggestions: [{ label: 'Do nothing' }],
        },
      ]);
    },
  },
  {
    definition: definition('fails-after-one'),
    requiredPrefetch: [],
    run: async (_input, emit) => {
      emit([{ summary: 'Ready before the failure', indicator: 'info', source: { label: 'test' } }]);
      throw new Error('boom');
    },
  },
];

let dbUp = true;
const fakeDb = {
  kind: 'pglite',
  ping: async () => {
    if (!dbUp) throw new Error('down');
  },
} as unknown as Database;

let server: Server;
let base: string;

beforeAll(async () => {
  const app = createApp({
    config: testAppConfig({ maxRequestBytes: 2048 }),
    services,
    db: fakeDb,
    records,
    metrics: createMetrics(),
    log: createLogger('silent'),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (path: string, body: string, contentType = 'application/json') =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
const request = () => JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'p' } });

describe('HTTP adapter', () => {
  it('gives every card and suggestion a uuid so feedback can name them', async () => {
    const res = await post('/cds-services/no-uuids', request());
    const body = (await res.json()) as { cards: Array<{ uuid?: string; suggestions?: Array<{ uuid?: string }> }> };
    expect(checkCdsResponse(body)).toEqual([]);
    expect(body.cards[0]?.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.cards[0]?.suggestions?.[0]?.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers with the cards that were ready when a service fails', async () => {
    const res = await post('/cds-services/fails-after-one', request());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cards: Array<{ summary: string }> };
    expect(body.cards.map((c) => c.summary)).toEqual(['Ready before the failure']);
  });

  it.each([
    ['a body over the size limit', () => post('/cds-services/no-uuids', JSON.stringify({ pad: 'x'.repeat(5000) })), 413],
    ['a non-JSON content type', () => post('/cds-services/no-uuids', request(), 'text/plain'), 400],
    ['a JSON array body', () => post('/cds-services/no-uuids', '[]'), 400],
    ['GET on a service', () => fetch(`${base}/cds-services/no-uuids`), 405],
    ['an unknown path', () => fetch(`${base}/nothing-here`), 404],
  ])('answers %s with an OperationOutcome', async (_name, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/fhir\+json/);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it.each([
    ['null', 'null'],
    ['"text"', 'a string'],
    ['5', 'a number'],
    ['{"hook":', undefined],
  ])('says what is wrong with the JSON body %s', async (text, kind) => {
    const res = await post('/cds-services/no-uuids', text);
    expect(res.status).toBe(400);
    const outcome = (await res.json()) as { issue: Array<{ diagnostics: string }> };
    expect(outcome.issue[0]?.diagnostics).toBe(kind ? `the request body must be a JSON object, not ${kind}` : 'the request body is not valid JSON');
  });

  it('sends no CORS headers to an origin that is not allowlisted', async () => {
    const res = await fetch(`${base}/cds-services`, { headers: { Origin: 'https://elsewhere.example.org' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('reports not ready when the database is unreachable', async () => {
    dbUp = false;
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    dbUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
