import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFhirGateway, FhirFetchError } from '../../src/fhir/gateway.js';

/** A FHIR server that misbehaves on demand: slow answers, endless paging, next links elsewhere. */
let server: Server;
let base: string;
let inFlight = 0;
let maxInFlight = 0;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const url = new URL(req.url ?? '/', 'http://x');
    // Only searches count towards in-flight: an earlier test's abandoned slow read may still be open here.
    const counted = url.pathname.endsWith('/Observation');
    if (counted) inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const send = (status: number, body: unknown) => {
      if (counted) inFlight--;
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/fhir+json');
      res.end(JSON.stringify(body));
    };
    const page = Number(url.searchParams.get('page') ?? '1');
    if (url.pathname.endsWith('/Patient/slow')) return void setTimeout(() => send(200, { resourceType: 'Patient', id: 'slow' }), 800);
    if (url.pathname.endsWith('/Patient/gone')) return send(404, { resourceType: 'OperationOutcome', issue: [] });
    if (url.pathname.endsWith('/Patient/broken')) return send(500, { resourceType: 'OperationOutcome', issue: [] });
    if (url.pathname.endsWith('/Patient/text')) {
      return void res.end('not json');
    }
    if (url.pathname.endsWith('/Observation')) {
      const next = url.searchParams.get('elsewhere') ? 'http://203.0.113.9/fhir/Observation?page=2' : `${base}/Observation?page=${page + 1}${url.searchParams.get('malformed') ? '&malformed=1' : ''}`;
      return void setTimeout(
        () =>
          send(200, {
            resourceType: 'Bundle',
            type: 'searchset',
            // ?malformed: page 2 comes with an `entry` that is not an array.
            entry: url.searchParams.get('malformed') && page === 2 ? 'not entries' : [{ resource: { resourceType: 'Observation', id: `o${page}` } }],
            link: [{ relation: 'next', url: next }],
          }),
        50,
      );
    }
    send(200, { resourceType: 'Patient', id: url.pathname.split('/').pop() });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const gateway = (over: Partial<Parameters<typeof createFhirGateway>[0]> = {}) =>
  createFhirGateway({ baseUrl: base, timeoutMs: 300, concurrency: 2, maxPages: 3, ...over });

describe('FHIR gateway', () => {
  it('sends the bearer token only when one is given', async () => {
    await gateway({ accessToken: 'tok-1' }).get('Patient/a');
    await gateway().get('Patient/b');
    const auth = (id: string) => seen.find((r) => r.url?.endsWith(`Patient/${id}`))?.headers.authorization;
    expect(auth('a')).toBe('Bearer tok-1');
    expect(auth('b')).toBeUndefined();
  });

  it('times out a slow call', async () => {
    const err = await gateway().get('Patient/slow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FhirFetchError);
    expect((err as FhirFetchError).kind).toBe('timeout');
  });

  it('maps 404 to null and other failures to typed errors', async () => {
    expect(await gateway().get('Patient/gone')).toBeNull();
    await expect(gateway().get('Patient/broken')).rejects.toMatchObject({ kind: 'http', status: 500 });
    await expect(gateway().get('Patient/text')).rejects.toBeInstanceOf(FhirFetchError);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    maxInFlight = 0;
    const g = gateway({ concurrency: 2 });
    await Promise.all(Array.from({ length: 8 }, () => g.get('Observation?page=1')));
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(maxInFlight).toBeGreaterThan(0);
  });

  it('follows next links up to the page bound', async () => {
    const g = gateway({ maxPages: 3 });
    const first = await g.get('Observation?page=1');
    const all = await g.collectPages(first as never);
    expect(all.entry?.map((e) => e.resource?.id)).toEqual(['o1', 'o2', 'o3']);
    expect(all.link).toBeUndefined();
  });

  it("keeps a server's malformed `entry` for the PatientContext builder to report, instead of failing", async () => {
    const g = gateway({ maxPages: 3 });
    const all = await g.collectPages((await g.get('Observation?page=1&malformed=1')) as never);
    // Page 2's entry is not an array: its entries are skipped, page 3's kept.
    expect(all.entry?.map((e) => e.resource?.id)).toEqual(['o1', 'o3']);
    const notArray = { resourceType: 'Bundle', type: 'searchset', entry: 'x', link: [{ relation: 'next', url: `${base}/Observation?page=2` }] };
    expect(await g.collectPages(notArray as never)).toBe(notArray);
  });

  it('never follows a next link to another origin (the token would leak)', async () => {
    const g = gateway({ accessToken: 'secret' });
    const first = await g.get('Observation?page=1&elsewhere=1');
    const all = await g.collectPages(first as never);
    expect(all.entry).toHaveLength(1);
  });
});
