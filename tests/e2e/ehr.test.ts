/**
 * Cairn driven as an EHR drives it: the server runs as its own process, configured only through
 * its environment, trusting a JWKS this test serves on loopback; data comes from prefetch or from
 * the dev FHIR server over HTTP. Every CDS response is checked against the response contract.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevFhirServer, type DevFhirServer } from '../../dev/fhir-server/index.js';
import { checkCdsResponse, checkDiscoveryResponse } from '../../dev/hooks-contract.js';
import { createPostgresTestDatabase, databaseKinds } from '../support/databases.js';
import { observation as observationResource } from '../support/fhir-builders.js';
import { createTestClient, hmacToken, unsignedToken, type TestClient } from '../support/jwt.js';
import { freePort, serveJwks, spawnServer, type SpawnedServer } from './support/processes.js';

const ORIGIN = 'https://sandbox.example.org';
const PATIENT = 'e2e-patient-1';

const observation = (id: string, loinc: string, value: number, unit: string, date: string) =>
  observationResource({ id, code: loinc, category: 'vital-signs', patient: PATIENT, date, value, unit });
const patientResource = { resourceType: 'Patient', id: PATIENT, gender: 'female', birthDate: '1960-04-02' };
const vitals = [
  observation('e2e-hr-1', '8867-4', 88, '/min', '2026-11-01T10:00:00Z'),
  observation('e2e-hr-2', '8867-4', 92, '/min', '2026-11-02T10:00:00Z'),
  observation('e2e-rr-1', '9279-1', 18, '/min', '2026-11-02T10:00:00Z'),
];

describe.each(databaseKinds)('Cairn as an EHR sees it (database: %s)', (kind) => {
  let es: TestClient; // signs ES384
  let rs: TestClient; // a second EHR, signs RS384
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  let fhir: DevFhirServer;
  let cairn: SpawnedServer;
  let dir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let deadFhirServer: string;

  const url = (path: string) => `${cairn.url}${path}`;
  /** The `aud` the EHR puts in the JWT: the exact public URL it calls. */
  const aud = (path: string) => url(path);
  const call = async (path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const res = await fetch(url(path), {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body !== undefined && { 'Content-Type': 'application/json' }),
        ...(init.token && { Authorization: `Bearer ${init.token}` }),
        ...init.headers,
      },
      ...(init.body !== undefined && { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes("json") && text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    return { status: res.status, headers: res.headers, text, json };
  };
  const hookRequest = (extra: Record<string, unknown> = {}) => ({
    hook: 'patient-view',
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/dr-e2e', patientId: PATIENT },
    ...extra,
  });
  const invoke = async (service: string, body: unknown, client: TestClient = es, alg: 'ES384' | 'RS384' = 'ES384') => {
    const path = `/cds-services/${service}`;
    return call(path, { token: await client.sign({ aud: aud(path), alg }), body });
  };

  beforeAll(async () => {
    es = await createTestClient('https://ehr-one.example.org');
    rs = await createTestClient('https://ehr-two.example.org');
    jwks = await serveJwks({ keys: [...es.jwks.keys, ...rs.jwks.keys] });
    dir = await mkdtemp(join(tmpdir(), 'cairn-e2e-'));
    fhir = await startDevFhirServer({ port: 0 });
    await fhir.loadBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [patientResource, ...vitals].map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })),
    });
    deadFhirServer = `http://127.0.0.1:${await freePort()}/fhir`;
    // Each EHR may name its own FHIR servers only (the SSRF allowlist); the dead one is the EHR's too.
    const issuersFile = join(dir, 'trusted-issuers.json');
    await writeFile(
      issuersFile,
      JSON.stringify([
        { iss: es.iss, jwksUrl: jwks.url, fhirServers: [fhir.baseUrl, deadFhirServer] },
        { iss: rs.iss, jwksUrl: jwks.url, fhirServers: [fhir.baseUrl] },
      ]),
    );

    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port),
      HOST: '127.0.0.1',
      CAIRN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      CAIRN_TRUSTED_ISSUERS: issuersFile,
      CAIRN_REQUIRE_AUTH: 'true',
      // The first EHR's client stands in for an operator reading the audit trail.
      CAIRN_AUDIT_ISSUERS: es.iss,
      CAIRN_CORS_ORIGINS: ORIGIN,
      CAIRN_SERVICES_DIR: 'tests/e2e/fixtures/services',
      CAIRN_HOOK_DEADLINE_MS: '1000',
      // A tiny corpus: these tests are about the protocol; the clinical e2e test ingests the real one.
      CAIRN_GUIDELINES_DIR: 'tests/fixtures/guidelines',
      // The test services do not match trials: no trial store.
      CAIRN_TRIALS: 'none',
      LOG_LEVEL: 'warn',
    };
    if (kind === 'postgres') {
      const database = await createPostgresTestDatabase();
      env.DATABASE_URL = database.url;
      dropDatabase = database.drop;
    } else {
      env.CAIRN_DATA_DIR = join(dir, 'pglite');
    }
    cairn = await spawnServer('tests/e2e/support/serve-test.ts', env);
  }, 60_000);

  afterAll(async () => {
    const code = await cairn?.stop();
    expect(code).toBe(0); // graceful shutdown on SIGTERM
    await fhir?.close();
    await jwks?.close();
    await dropDatabase?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves discovery to a signed client, generated from the service definitions', async () => {
    const res = await call('/cds-services', { token: await es.sign({ aud: aud('/cds-services') }) });
    expect(res.status).toBe(200);
    expect(checkDiscoveryResponse(res.json)).toEqual([]);
    const services = res.json?.services as Array<Record<string, unknown>>;
    expect(services.map((s) => s.id).sort()).toEqual(['record-summary', 'slow']);
    // Cairn's own requiredPrefetch is not part of discovery.
    expect(services.every((s) => !('requiredPrefetch' in s))).toBe(true);
  });

  it('uses full prefetch and calls no FHIR server', async () => {
    const before = fhir.requests.length;
    const res = await invoke(
      'record-summary',
      hookRequest({
        fhirServer: fhir.baseUrl,
        prefetch: {
          patient: patientResource,
          vitals: { resourceType: 'Bundle', type: 'searchset', entry: vitals.slice(0, 2).map((resource) => ({ resource })) },
        },
      }),
      rs,
      'RS384',
    );
    expect(res.status).toBe(200);
    expect(checkCdsResponse(res.json)).toEqual([]);
    const cards = res.json?.cards as Array<{ summary: string }>;
    expect(cards.map((c) => c.summary)).toEqual([`Patient ${PATIENT}: 2 vital-sign observations`]);
    expect(fhir.requests.length).toBe(before);
  });

  it('fetches missing prefetch from the FHIR server and forwards the bearer token', async () => {
    const token = `fhir-token-${randomUUID()}`;
    const res = await invoke(
      'record-summary',
      hookRequest({
        fhirServer: fhir.baseUrl,
        fhirAuthorization: { access_token: token, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cairn' },
      }),
    );
    expect(res.status).toBe(200);
    expect(checkCdsResponse(res.json)).toEqual([]);
    expect((res.json?.cards as Array<{ summary: string }>)[0]?.summary).toBe(`Patient ${PATIENT}: 3 vital-sign observations`);
    const seen = fhir.requests.filter((r) => r.authorization === `Bearer ${token}`).map((r) => r.url);
    expect(seen.some((u) => u.includes(`Patient/${PATIENT}`))).toBe(true);
    expect(seen.some((u) => u.includes('Observation?'))).toBe(true);
  });

  it('fetches without a token when the EHR sends no fhirAuthorization', async () => {
    const before = fhir.requests.length;
    const res = await invoke('record-summary', hookRequest({ fhirServer: fhir.baseUrl, prefetch: { patient: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] } } }));
    expect(res.status).toBe(200);
    expect((res.json?.cards as Array<{ summary: string }>)[0]?.summary).toBe(`Patient ${PATIENT}: 3 vital-sign observations`);
    const fresh = fhir.requests.slice(before);
    expect(fresh.length).toBe(2);
    expect(fresh.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('answers 412 with an OperationOutcome when required data cannot be had', async () => {
    const noServer = await invoke('record-summary', hookRequest());
    expect(noServer.status).toBe(412);
    expect(noServer.json?.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(noServer.json)).toMatch(/patient/);
    const deadServer = await invoke('record-summary', hookRequest({ fhirServer: deadFhirServer }));
    expect(deadServer.status).toBe(412);
    // The 412 names the key and a generic reason: nothing about the network (no port oracle).
    const [issue] = deadServer.json?.issue as Array<{ code: string; diagnostics: string }>;
    expect(issue?.diagnostics).toMatch(/"patient"/);
    expect(issue?.diagnostics).not.toMatch(/fetch failed|ECONNREFUSED|HTTP \d/);
    expect(issue?.code).toBe('not-found');
    // The same server named by an EHR whose list lacks it: refused before any request.
    const notItsServer = await invoke('record-summary', hookRequest({ fhirServer: deadFhirServer }), rs, 'RS384');
    expect(notItsServer.status).toBe(412);
    expect((notItsServer.json?.issue as Array<{ code: string }>)[0]?.code).toBe('forbidden');
  });

  it('answers 412 with an OperationOutcome, not an empty 200, for a patient the FHIR server does not have', async () => {
    const res = await invoke('record-summary', hookRequest({ fhirServer: fhir.baseUrl, context: { userId: 'Practitioner/dr-e2e', patientId: 'no-such-patient' } }));
    expect(res.status).toBe(412);
    expect(res.json?.resourceType).toBe('OperationOutcome');
    const [issue] = res.json?.issue as Array<{ code: string; diagnostics: string }>;
    expect(issue?.code).toBe('not-found');
    expect(issue?.diagnostics).toMatch(/required prefetch "patient" could not be had: the FHIR server has no such resource/);
    // The same call for a patient it has still answers 200.
    expect((await invoke('record-summary', hookRequest({ fhirServer: fhir.baseUrl }))).status).toBe(200);
  });

  it('answers 400 with an OperationOutcome for malformed requests, and 404 for unknown services', async () => {
    const bad = [
      await invoke('record-summary', { ...hookRequest(), hookInstance: undefined }),
      await invoke('record-summary', hookRequest({ hook: 'order-sign' })),
      await invoke('record-summary', hookRequest({ context: { userId: 'Practitioner/x' } })),
      await invoke('record-summary', hookRequest({ fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 1, scope: 's', subject: 'c' } })),
      await invoke('record-summary', '{"hook": '),
    ];
    for (const res of bad) {
      expect(res.status).toBe(400);
      expect(res.json?.resourceType).toBe('OperationOutcome');
    }
    const unknown = await invoke('no-such-service', hookRequest());
    expect(unknown.status).toBe(404);
    expect(unknown.json?.resourceType).toBe('OperationOutcome');
  });

  it('answers at the hook deadline with the cards that are ready', async () => {
    const started = Date.now();
    const res = await invoke('slow', hookRequest());
    expect(res.status).toBe(200);
    expect(checkCdsResponse(res.json)).toEqual([]);
    expect((res.json?.cards as Array<{ summary: string }>).map((c) => c.summary)).toEqual(['Ready at once']);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  type IssuedCard = { uuid: string; suggestions: Array<{ uuid: string }> };
  const issueCard = async (): Promise<IssuedCard> => {
    const res = await invoke(
      'record-summary',
      hookRequest({ fhirServer: fhir.baseUrl, prefetch: { patient: patientResource, vitals: { resourceType: 'Bundle', type: 'searchset', entry: [] } } }),
    );
    expect(res.status).toBe(200);
    return (res.json?.cards as IssuedCard[])[0]!;
  };

  it('stores feedback once per card, outcome and timestamp, for cards it issued only, and rejects malformed feedback', async () => {
    const path = '/cds-services/record-summary/feedback';
    const [accepted, overridden] = [await issueCard(), await issueCard()];
    const feedback = {
      feedback: [
        { card: accepted.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: accepted.suggestions[0]!.uuid }], outcomeTimestamp: '2026-11-24T10:00:00Z' },
        { card: overridden.uuid, outcome: 'overridden', overrideReason: { reason: { system: 'http://example.org/override', code: 'not-relevant', display: 'Not relevant' }, userComment: 'seen' }, outcomeTimestamp: '2026-11-24T10:01:00Z' },
      ],
    };
    const first = await call(path, { token: await es.sign({ aud: aud(path) }), body: feedback });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ stored: 2, duplicates: 0 });
    const again = await call(path, { token: await es.sign({ aud: aud(path) }), body: feedback });
    expect(again.json).toEqual({ stored: 0, duplicates: 2 });

    // A card this service never issued (or another service's): 404, and nothing of the batch stored.
    const never = randomUUID();
    const unknown = await call(path, {
      token: await es.sign({ aud: aud(path) }),
      body: { feedback: [{ card: overridden.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-24T11:00:00Z' }, { card: never, outcome: 'overridden', outcomeTimestamp: '2026-11-24T11:00:00Z' }] },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json?.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(unknown.json)).toContain(never);
    const slowPath = '/cds-services/slow/feedback';
    const elsewhere = await call(slowPath, { token: await es.sign({ aud: aud(slowPath) }), body: { feedback: [{ card: accepted.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-24T11:00:00Z' }] } });
    expect(elsewhere.status).toBe(404);
    // A suggestion the card did not carry: 400.
    const foreign = await call(path, {
      token: await es.sign({ aud: aud(path) }),
      body: { feedback: [{ card: accepted.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: randomUUID() }], outcomeTimestamp: '2026-11-24T12:00:00Z' }] },
    });
    expect(foreign.status).toBe(400);
    const resent = await call(path, { token: await es.sign({ aud: aud(path) }), body: feedback });
    expect(resent.json).toEqual({ stored: 0, duplicates: 2 });

    for (const body of [{ feedback: [{ card: 'not-a-uuid', outcome: 'accepted', outcomeTimestamp: 'yesterday' }] }, { feedback: [{ card: randomUUID(), outcome: 'ignored', outcomeTimestamp: '2026-11-24T10:00:00Z' }] }, {}]) {
      const res = await call(path, { token: await es.sign({ aud: aud(path) }), body });
      expect(res.status).toBe(400);
      expect(res.json?.resourceType).toBe('OperationOutcome');
    }
  });

  it('keeps an audit trail of hook and feedback calls, as AuditEvents, for the operator issuer only', async () => {
    const card = await issueCard();
    const path = '/cds-services/record-summary/feedback';
    const fb = await call(path, { token: await es.sign({ aud: aud(path) }), body: { feedback: [{ card: card.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-25T10:00:00Z' }] } });
    expect(fb.status).toBe(200);
    // Rows are written just after each response (audit-trail.ts): wait until both are there.
    type Event = {
      id: string;
      outcomeDesc?: string;
      entity?: Array<{ role?: { code?: string }; what?: { identifier?: { value?: string } } }>;
    };
    type Page = { resourceType: string; type: string; entry?: Array<{ resource: Event }>; link: Array<{ relation: string; url: string }> };
    let page: Page | undefined;
    const calls = (p: Page) => (p.entry ?? []).map((e) => e.resource).filter((r) => !r.outcomeDesc?.startsWith('GET /audit'));
    // Each poll is audited too, newest first: a page large enough that those reads cannot push the
    // feedback event off it, and up to 20 s, as the trail writes in gathered batches and a busy
    // machine (Jest's workers beside the server) may take seconds to run one.
    for (const until = Date.now() + 20_000; Date.now() < until; ) {
      const res = await call('/audit?_count=500', { token: await es.sign({ aud: aud('/audit') }) });
      expect(res.status).toBe(200);
      page = res.json as unknown as Page;
      // The trail's own reads are audited too (and come first once written): look past them. Wait
      // for THIS test's two calls: the test before sent refused feedback, whose events are the
      // newest until these rows are written.
      const [newest, before] = calls(page);
      if (newest?.outcomeDesc?.startsWith('POST /cds-services/:id/feedback 200') && before?.outcomeDesc === 'POST /cds-services/:id 200 cards') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(page?.type).toBe('searchset');
    const [feedbackEvent, hookEvent] = calls(page!);
    expect(feedbackEvent).toMatchObject({ resourceType: 'AuditEvent', action: 'C', outcome: '0', agent: [{ requestor: true, who: { identifier: { system: es.iss } } }] });
    expect(hookEvent).toMatchObject({ resourceType: 'AuditEvent', action: 'E', outcome: '0', outcomeDesc: 'POST /cds-services/:id 200 cards' });
    // The patient is a pseudonym: the same for both calls, never the FHIR id.
    const patientOf = (e: Event) => e.entity?.find((x) => x.role?.code === '1')?.what?.identifier?.value;
    expect(patientOf(hookEvent!)).toMatch(/^[0-9a-f]{32}$/);
    expect(patientOf(feedbackEvent!)).toBe(patientOf(hookEvent!));
    expect(JSON.stringify(page)).not.toContain(PATIENT);
    // Paged by id: the next page starts after this one's last record.
    const small = (await call('/audit?_count=2', { token: await es.sign({ aud: aud('/audit') }) })).json as unknown as Page;
    const next = small.link.find((l) => l.relation === 'next')!.url;
    const nextPage = await call(new URL(next).pathname + new URL(next).search, { token: await es.sign({ aud: aud('/audit') }) });
    expect((nextPage.json as unknown as Page).entry?.[0]?.resource.id).not.toBe(small.entry!.at(-1)!.resource.id);
    // Another EHR's client is not an operator.
    const other = await call('/audit', { token: await rs.sign({ aud: aud('/audit') }) });
    expect(other.status).toBe(403);
    const none = await call('/audit');
    expect(none.status).toBe(401);
  }, 60_000);

  it('answers a CORS preflight without a JWT, for allowlisted origins only', async () => {
    const preflight = (origin: string) =>
      call('/cds-services/record-summary', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
      });
    const allowed = await preflight(ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(allowed.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const other = await preflight('https://evil.example.org');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // The actual call from the allowed origin carries the header too.
    const actual = await call('/cds-services', { token: await es.sign({ aud: aud('/cds-services') }), headers: { Origin: ORIGIN } });
    expect(actual.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  describe('rejects every bad token with a bare 401, on discovery, services and feedback', () => {
    const paths = ['/cds-services', '/cds-services/record-summary', '/cds-services/record-summary/feedback'];
    const cases: Array<[string, (path: string) => Promise<string | undefined>]> = [
      ['no token', async () => undefined],
      ['a bad signature', async (path) => {
        const token = await es.sign({ aud: aud(path) });
        const [h, p] = token.split('.');
        return `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
      }],
      ['a wrong aud', async () => es.sign({ aud: aud('/cds-services/another') })],
      ['an expired token', async (path) => es.sign({ aud: aud(path), expiresInS: -300 })],
      ['an untrusted issuer', async (path) => (await createTestClient('https://stranger.example.org')).sign({ aud: aud(path) })],
      ['alg none', async (path) => unsignedToken({ iss: es.iss, aud: aud(path), exp: Math.floor(Date.now() / 1000) + 60, iat: Math.floor(Date.now() / 1000), jti: randomUUID() })],
      ['HS256', async (path) => hmacToken({ iss: es.iss, aud: aud(path), exp: Math.floor(Date.now() / 1000) + 60, iat: Math.floor(Date.now() / 1000), jti: randomUUID() })],
    ];
    it.each(cases)('%s', async (_name, makeToken) => {
      for (const path of paths) {
        const body = path === '/cds-services' ? undefined : path.endsWith('feedback') ? { feedback: [] } : hookRequest();
        const res = await call(path, { ...(body !== undefined && { body }), token: (await makeToken(path)) ?? '' });
        expect(res.status).toBe(401);
        expect(res.text).toBe('');
      }
    });

    it('a replayed jti', async () => {
      const token = await es.sign({ aud: aud('/cds-services') });
      expect((await call('/cds-services', { token })).status).toBe(200);
      const replay = await call('/cds-services', { token });
      expect(replay.status).toBe(401);
      expect(replay.text).toBe('');
    });
  });

  it('serves health, readiness and metrics without a JWT', async () => {
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/readyz')).json).toEqual({ status: 'ready' });
    const metrics = await call('/metrics');
    expect(metrics.text).toMatch(/cairn_hook_duration_seconds_bucket\{[^}]*service="record-summary"/);
    expect(metrics.text).toMatch(/cairn_fhir_fetch_duration_seconds_count/);
  });

  it('never writes tokens or patient data to its logs', () => {
    expect(cairn.output()).not.toMatch(/fhir-token-/);
    expect(cairn.output()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./); // no JWT
    expect(cairn.output()).not.toMatch(/1960-04-02/);
  });
});
