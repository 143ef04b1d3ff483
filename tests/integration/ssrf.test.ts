import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createApp } from '../../src/http/app.js';
import { memoryRecords } from '../support/memory-records.js';
import { MemoryReplayCache } from '../../src/http/auth/replay-cache.js';
import { parseTrustedIssuers } from '../../src/http/auth/trusted-issuers.js';
import { createJwtVerifier } from '../../src/http/auth/verify-jwt.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { createTestClient, type TestClient } from '../support/jwt.js';

/**
 * The FHIR server a hook request names is the caller's choice; these tests play an attacker who
 * names addresses Cairn must not read (issue #16). A listener on loopback stands for whatever
 * lives there (an admin port, a metadata service): it must see no request at all. A fake FHIR
 * server is the one allowed server; it redirects, pages and fails on demand.
 */

interface Listener {
  base: string;
  port: number;
  requests: string[];
  close(): Promise<void>;
}

async function listen(handle: (req: IncomingMessage, res: ServerResponse, base: string) => void): Promise<Listener> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handle(req, res, base);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/fhir+json');
  res.end(JSON.stringify(body));
};

let victim: Listener;
let fhir: Listener;
let fhirBase: string;
let deadBase: string;

const patientOf = (id: string) => ({ resourceType: 'Patient', id });

/** One card naming the patient it was given: proof that data reached the service. */
const services: CdsService[] = [
  {
    definition: { id: 'needs-patient', hook: 'patient-view', title: 't', description: 'd', prefetch: { patient: 'Patient/{{context.patientId}}' } },
    requiredPrefetch: ['patient'],
    run: async ({ prefetch }, emit) => {
      emit([{ summary: `Patient ${String(prefetch.patient?.id)}`, indicator: 'info', source: { label: 'test' } }]);
    },
  },
  {
    definition: {
      id: 'patient-and-vitals',
      hook: 'patient-view',
      title: 't',
      description: 'd',
      prefetch: { patient: 'Patient/{{context.patientId}}', vitals: 'Observation?patient={{context.patientId}}' },
    },
    // Only the patient is required: vitals missing at the deadline must still give a 412, not `[]`.
    requiredPrefetch: ['patient'],
    run: async ({ prefetch }, emit) => {
      const n = prefetch.vitals?.resourceType === 'Bundle' ? (prefetch.vitals.entry ?? []).length : 0;
      emit([{ summary: `${n} vitals`, indicator: 'info', source: { label: 'test' } }]);
    },
  },
  {
    definition: {
      id: 'three-keys',
      hook: 'patient-view',
      title: 't',
      description: 'd',
      prefetch: { a: 'Condition?patient={{context.patientId}}', b: 'Encounter?patient={{context.patientId}}', c: 'Procedure?patient={{context.patientId}}' },
    },
    requiredPrefetch: ['a', 'b', 'c'],
    run: async () => undefined,
  },
];

const fakeDb = { kind: 'pglite', ping: async () => undefined } as unknown as Database;
const logLines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString());
    done();
  },
});

type AppConfig = Parameters<typeof createApp>[0]['config'];
const baseConfig: AppConfig = {
  publicUrl: 'http://cairn.test',
  corsOrigins: [],
  hookDeadlineMs: 1500,
  fhirTimeoutMs: 800,
  fhirConcurrency: 4,
  fhirMaxPages: 3,
  requireAuth: false,
  maxRequestBytes: 1 << 20,
};

const closers: Array<() => Promise<void>> = [];
async function startApp(config: AppConfig, verifier?: Parameters<typeof createApp>[0]['verifier']): Promise<string> {
  const app = createApp({ config, services, db: fakeDb, records: memoryRecords(), metrics: createMetrics(), log: createLogger('debug', logStream), ...(verifier && { verifier }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Answer {
  status: number;
  text: string;
  body: { cards?: Array<{ summary: string }>; issue?: Array<{ code: string; diagnostics?: string }> };
}

async function hook(app: string, service: string, fields: Record<string, unknown>, token?: string): Promise<Answer> {
  const res = await fetch(`${app}/cds-services/${service}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token && { Authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/x', patientId: 'p1' }, ...fields }),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Answer['body'] };
}

const withPatient = (patientId: string) => ({ context: { userId: 'Practitioner/x', patientId } });

let open: string; // authentication off, CAIRN_FHIR_SERVERS = the fake FHIR server and a dead one
let production: string; // authentication off, production, no CAIRN_FHIR_SERVERS
let development: string; // authentication off, development, no CAIRN_FHIR_SERVERS
let shortDeadline: string; // a deadline shorter than the FHIR time-out
let oneAtATime: string; // CAIRN_FHIR_CONCURRENCY=1 and a short deadline
let authed: string;
let clientA: TestClient;
let clientB: TestClient;
let clientC: TestClient;

beforeAll(async () => {
  // Answers every read as a FHIR server would: if anything reached it, the hook would succeed.
  victim = await listen((req, res) => json(res, 200, patientOf(req.url?.split('/').pop() ?? '')));
  fhir = await listen((req, res, base) => {
    const url = new URL(req.url ?? '/', base);
    const patient = url.searchParams.get('patient');
    if (url.pathname === '/fhir/Patient/bounce') {
      res.statusCode = 302;
      res.setHeader('Location', `${victim.base}/stolen`);
      return void res.end();
    }
    if (url.pathname === '/fhir/Patient/hang' || patient === 'hang') return; // never answers
    if (url.pathname === '/fhir/Patient/broken') return json(res, 500, { resourceType: 'OperationOutcome', issue: [] });
    if (url.pathname === '/fhir/Patient/not-fhir') return void res.end('<html>a login page</html>');
    if (url.pathname.startsWith('/fhir/Patient/')) return json(res, 200, patientOf(url.pathname.split('/').pop() ?? ''));
    if (patient === 'slowish') return void setTimeout(() => json(res, 200, { resourceType: 'Bundle', type: 'searchset' }), 250);
    if (url.pathname === '/fhir/Observation') {
      return json(res, 200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [{ resource: { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${patient}` } } }],
        // A next link to another server ends the paging: the token and the request stay here.
        link: [{ relation: 'next', url: `${victim.base}/fhir/Observation?page=2` }],
      });
    }
    json(res, 404, { resourceType: 'OperationOutcome', issue: [] });
  });
  fhirBase = `${fhir.base}/fhir`;
  // A port that stays ours but answers nothing (every connection is dropped): a port merely found
  // free could be taken by another test's server running in parallel, which would then answer.
  const dead = createNetServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => dead.close(() => resolve())));
  deadBase = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/fhir`;

  open = await startApp({ ...baseConfig, fhirServers: [fhirBase, deadBase] });
  production = await startApp({ ...baseConfig, production: true });
  development = await startApp({ ...baseConfig, production: false });
  shortDeadline = await startApp({ ...baseConfig, fhirServers: [fhirBase], hookDeadlineMs: 300, fhirTimeoutMs: 5000 });
  oneAtATime = await startApp({ ...baseConfig, fhirServers: [fhirBase], hookDeadlineMs: 300, fhirConcurrency: 1 });

  clientA = await createTestClient('https://ehr-a.example.org');
  clientB = await createTestClient('https://ehr-b.example.org');
  clientC = await createTestClient('https://ehr-c.example.org');
  const issuers = parseTrustedIssuers([
    { iss: clientA.iss, jwks: clientA.jwks, fhirServers: [`${fhirBase}/`] },
    // B's EHR really does live on the victim's origin: an origin entry allows any path there.
    { iss: clientB.iss, jwks: clientB.jwks, fhirServers: [victim.base] },
    { iss: clientC.iss, jwks: clientC.jwks },
  ]);
  const verifier = createJwtVerifier({ issuers, replayCache: new MemoryReplayCache(), clockToleranceS: 60 });
  authed = await startApp({ ...baseConfig, requireAuth: true } satisfies Partial<Config> as AppConfig, verifier);
});

afterAll(async () => {
  for (const close of closers) await close();
  await victim.close();
  await fhir.close();
});

/** Nothing in a 412 may tell the caller what happened on the network. */
function expectNoNetworkDetail(answer: Answer): void {
  expect(answer.text).not.toMatch(/fetch failed|ECONN|HTTP \d|\d+ ms|answer within|socket|refused/i);
  expect(answer.text).not.toContain(String(victim.port));
  expect(answer.text).not.toContain(String(fhir.port));
}

describe('fhirServer allowlist (SSRF)', () => {
  it.each([
    ['hexadecimal', () => `http://0x7f000001:${victim.port}/hex`],
    ['a single decimal number', () => `http://2130706433:${victim.port}/`],
    ['a shortened dotted quad', () => `http://127.1:${victim.port}`],
    ['octal', () => `http://0177.0.0.1:${victim.port}/`],
    ['localhost', () => `http://localhost:${victim.port}/fhir`],
    ['the plain address', () => `http://127.0.0.1:${victim.port}`],
    ['IPv6 loopback', () => `http://[::1]:${victim.port}/`],
    ["the allowed server's port, another path", () => `http://0x7f000001:${fhir.port}/admin`],
    ["the allowed server's base as a prefix of another path", () => `${fhirBase}x`],
  ])('refuses a fhirServer not on the list (%s) without sending any request', async (_name, fhirServer) => {
    const before = fhir.requests.length;
    const answer = await hook(open, 'needs-patient', { fhirServer: fhirServer() });
    expect(answer.status).toBe(412);
    expect(answer.body.issue).toEqual([expect.objectContaining({ code: 'forbidden', diagnostics: expect.stringContaining('"patient"') })]);
    expectNoNetworkDetail(answer);
    expect(victim.requests).toEqual([]);
    expect(fhir.requests.length).toBe(before);
  });

  it('reads an allowed server however its base URL is spelled', async () => {
    for (const spelling of [`http://0x7f000001:${fhir.port}/fhir/`, `HTTP://127.1:${fhir.port}/fhir`, `http://127.0.0.1:${fhir.port}/fhir/../fhir`]) {
      const answer = await hook(open, 'needs-patient', { fhirServer: spelling });
      expect(answer.status).toBe(200);
      expect(answer.body.cards?.[0]?.summary).toBe('Patient p1');
    }
    expect(victim.requests).toEqual([]);
  });

  it('does not follow a redirect from the allowed server to another origin', async () => {
    const answer = await hook(open, 'needs-patient', { fhirServer: fhirBase, ...withPatient('bounce') });
    expect(answer.status).toBe(412);
    expectNoNetworkDetail(answer);
    expect(fhir.requests).toContain('GET /fhir/Patient/bounce');
    expect(victim.requests).toEqual([]);
  });

  it('does not follow a next link to another origin', async () => {
    const answer = await hook(open, 'patient-and-vitals', { fhirServer: fhirBase });
    expect(answer.status).toBe(200);
    expect(answer.body.cards?.[0]?.summary).toBe('1 vitals');
    expect(victim.requests).toEqual([]);
  });

  it('refuses a fhirServer carrying credentials with 400, without echoing them or sending anything', async () => {
    const before = fhir.requests.length;
    const answer = await hook(open, 'needs-patient', { fhirServer: `http://cairn-user:s3cret-pw@127.0.0.1:${fhir.port}/fhir` });
    expect(answer.status).toBe(400);
    expect(answer.text).not.toMatch(/s3cret|cairn-user/);
    expect(answer.text).toMatch(/fhirServer/);
    expect(fhir.requests.length).toBe(before);
  });

  it('answers a dead server, an HTTP error and a non-FHIR answer with the same 412: no port or status oracle', async () => {
    const dead = await hook(open, 'needs-patient', { fhirServer: deadBase });
    const broken = await hook(open, 'needs-patient', { fhirServer: fhirBase, ...withPatient('broken') });
    const notFhir = await hook(open, 'needs-patient', { fhirServer: fhirBase, ...withPatient('not-fhir') });
    for (const answer of [dead, broken, notFhir]) {
      expect(answer.status).toBe(412);
      expectNoNetworkDetail(answer);
    }
    expect(broken.body).toEqual(dead.body);
    expect(notFhir.body).toEqual(dead.body);
  });

  it('in production without CAIRN_FHIR_SERVERS fetches from no server, but uses the prefetch it is sent', async () => {
    const before = fhir.requests.length;
    const refused = await hook(production, 'needs-patient', { fhirServer: fhirBase });
    expect(refused.status).toBe(412);
    expect(refused.body.issue?.[0]?.code).toBe('forbidden');
    const prefetched = await hook(production, 'needs-patient', { fhirServer: fhirBase, prefetch: { patient: patientOf('p1') } });
    expect(prefetched.status).toBe(200);
    expect(prefetched.body.cards?.[0]?.summary).toBe('Patient p1');
    expect(fhir.requests.length).toBe(before);
  });

  it('in development without CAIRN_FHIR_SERVERS reads loopback servers only', async () => {
    const local = await hook(development, 'needs-patient', { fhirServer: fhirBase });
    expect(local.status).toBe(200);
    // TEST-NET-3: refused before any connection is tried (a connection attempt would time out, not be forbidden).
    const remote = await hook(development, 'needs-patient', { fhirServer: 'http://203.0.113.7/fhir' });
    expect(remote.status).toBe(412);
    expect(remote.body.issue?.[0]?.code).toBe('forbidden');
  });

  describe('with authentication, per trusted issuer', () => {
    const sign = (client: TestClient, service = 'needs-patient') => client.sign({ aud: `http://cairn.test/cds-services/${service}` });

    it("reads the issuer's own FHIR server", async () => {
      const answer = await hook(authed, 'needs-patient', { fhirServer: fhirBase }, await sign(clientA));
      expect(answer.status).toBe(200);
      expect(answer.body.cards?.[0]?.summary).toBe('Patient p1');
    });

    it("refuses another issuer's server, and a server when the issuer lists none, sending nothing", async () => {
      const beforeFhir = fhir.requests.length;
      const aToVictim = await hook(authed, 'needs-patient', { fhirServer: `${victim.base}/fhir` }, await sign(clientA));
      const cToFhir = await hook(authed, 'needs-patient', { fhirServer: fhirBase }, await sign(clientC));
      for (const answer of [aToVictim, cToFhir]) {
        expect(answer.status).toBe(412);
        expect(answer.body.issue?.[0]?.code).toBe('forbidden');
        expectNoNetworkDetail(answer);
      }
      expect(victim.requests).toEqual([]);
      expect(fhir.requests.length).toBe(beforeFhir);
    });

    it("lets an issuer whose list names an origin read any path there (the lists are per issuer, not pooled)", async () => {
      const answer = await hook(authed, 'needs-patient', { fhirServer: `${victim.base}/r4` }, await sign(clientB));
      expect(answer.status).toBe(200);
      expect(victim.requests).toEqual(['GET /r4/Patient/p1']);
      victim.requests.length = 0;
    });
  });
});

describe('412 rather than an empty answer when data cannot be had by the deadline', () => {
  it('names the required key when the FHIR server hangs past the deadline', async () => {
    const answer = await hook(shortDeadline, 'needs-patient', { fhirServer: fhirBase, ...withPatient('hang') });
    expect(answer.status).toBe(412);
    expect(answer.body.issue).toEqual([
      expect.objectContaining({ code: 'timeout', diagnostics: expect.stringMatching(/required prefetch "patient".*deadline/) }),
    ]);
  });

  it('names an optional key still missing at the deadline: the service never ran', async () => {
    const answer = await hook(shortDeadline, 'patient-and-vitals', { fhirServer: fhirBase, ...withPatient('hang'), prefetch: { patient: patientOf('hang') } });
    expect(answer.status).toBe(412);
    expect(answer.body.issue).toEqual([expect.objectContaining({ code: 'timeout', diagnostics: expect.stringMatching(/^prefetch "vitals"/) })]);
  });

  it('answers 412 when more keys than CAIRN_FHIR_CONCURRENCY cannot all be fetched in time', async () => {
    const answer = await hook(oneAtATime, 'three-keys', { fhirServer: fhirBase, ...withPatient('slowish') });
    expect(answer.status).toBe(412);
    const named = (answer.body.issue ?? []).map((i) => /prefetch "(\w+)"/.exec(i.diagnostics ?? '')?.[1]);
    expect(named.length).toBeGreaterThan(0);
    for (const key of named) expect(['a', 'b', 'c']).toContain(key);
  });
});

describe('prefetch of the wrong type', () => {
  it.each([
    ['an Observation', { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } }],
    ['a Patient with another id', patientOf('someone-else')],
  ])('is treated as absent and fetched: patient holding %s', async (_name, value) => {
    const answer = await hook(open, 'needs-patient', { fhirServer: fhirBase, prefetch: { patient: value } });
    expect(answer.status).toBe(200);
    expect(answer.body.cards?.[0]?.summary).toBe('Patient p1');
  });

  it('gives 412 when it cannot be replaced, saying the value was not what the template asks for', async () => {
    const answer = await hook(production, 'needs-patient', { prefetch: { patient: patientOf('someone-else') } });
    expect(answer.status).toBe(412);
    expect(answer.body.issue?.[0]?.diagnostics).toMatch(/not what the prefetch template asks for/);
  });
});

describe('the log', () => {
  it('keeps the network detail of failures, redacted: no patient ids, no credentials', () => {
    const log = logLines.join('');
    expect(log).toMatch(/HTTP 500/); // the detail the 412 leaves out is here, for the operator
    expect(log).toMatch(/Patient\/\[id\]/);
    expect(log).toMatch(/is not in CAIRN_FHIR_SERVERS/);
    for (const id of ['Patient/broken', 'Patient/bounce', 'Patient/hang', 'Patient/p1', 'patient=slowish', 'someone-else']) expect(log).not.toContain(id);
    expect(log).not.toMatch(/s3cret/);
  });
});
