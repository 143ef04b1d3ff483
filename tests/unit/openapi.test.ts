/**
 * GET /openapi.json: a valid OpenAPI 3.1 document that names every route the app serves, and no
 * route it does not.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../../src/db/database.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { openApiDocument } from '../../src/http/openapi.js';
import { createLogger } from '../../src/log.js';
import { registeredRoutes } from '../support/express-routes.js';
import { validateOpenApi } from '../support/validate-openapi.js';
import { memoryRecords } from '../support/memory-records.js';

const config = { publicUrl: 'https://cairn.example.org', corsOrigins: [], hookDeadlineMs: 1000, fhirTimeoutMs: 500, fhirConcurrency: 2, fhirMaxPages: 2, requireAuth: false, maxRequestBytes: 100_000 };
const app = createApp({ config, services: [], db: { kind: 'pglite', ping: async () => undefined } as unknown as Database, records: memoryRecords(), metrics: createMetrics(), log: createLogger('silent') });
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let server: Server;
let base: string;
beforeAll(async () => {
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

type Doc = { openapi: string; servers: Array<{ url: string }>; paths: Record<string, Record<string, unknown>> };

describe('GET /openapi.json', () => {
  it('serves a valid OpenAPI 3.1 document with Cairn\'s public URL as its server', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'https://cairn.example.org' }]);
    // swagger-parser checks the document against the OpenAPI 3.1 schema and its semantics (path parameters, $refs…).
    expect(await validateOpenApi(doc)).toBeUndefined();
    // And it can fail: a reference to a schema the document does not define is refused.
    const broken = structuredClone(doc);
    broken.paths['/healthz'] = { get: { responses: { '200': { description: 'x', content: { 'application/json': { schema: { $ref: '#/components/schemas/Nowhere' } } } } } } };
    expect(await validateOpenApi(broken)).toMatch(/invalid/);
  });

  it('documents every route the app registers, and nothing else', () => {
    const doc = openApiDocument('http://localhost:3000') as unknown as Doc;
    const served = new Set(registeredRoutes(app).map((r) => `${r.method.toUpperCase()} ${r.path}`));
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    // The walk must see the app's routes at all (mounted routers included), or the comparison says nothing.
    expect(served).toContain('POST /cds-services/{id}');
    expect(served).toContain('GET /screenings/{id}');
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
  });

  it('puts every operation under a security requirement: a SMART token, a CDS client JWT, or none stated', () => {
    const doc = openApiDocument('http://localhost:3000') as unknown as Doc;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const security = (op as { security?: unknown }).security;
        expect({ path, method, hasSecurity: Array.isArray(security) }).toEqual({ path, method, hasSecurity: true });
        if (path.startsWith('/api/')) expect(security).toEqual([{ smartToken: [] }]);
      }
    }
  });
});
