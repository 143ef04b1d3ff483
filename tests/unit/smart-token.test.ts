/**
 * SMART access tokens for the API for apps: checked by introspection at the EHR named in the
 * request (and on the list), cached briefly, never logged; each refusal an OperationOutcome with
 * the status an app can act on.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { grantingContexts, hasUserContext, parseScopes, patientScopedOnly, permits, resourceScope } from '../../src/http/auth/smart-scopes.js';
import { CACHE_TTL_MS, DISCOVERY_TTL_MS, requireSmartScope, smartAccessToken, smartAuthenticate, smartCaller, SmartTokenVerifier } from '../../src/http/auth/smart-token.js';
import type { FhirServerAllowlist } from '../../src/fhir/server-allowlist.js';
import { createLogger } from '../../src/log.js';
import { startStandInEhr, type StandInEhr } from '../support/smart-ehr.js';

const TOKEN = 'app-token-5b2e9f0c7d1a';
let ehr: StandInEhr;
let clock = Date.now();
const lines: string[] = [];
const log = createLogger('info', { write: (line: string) => void lines.push(line) });

async function serve(allowlist: FhirServerAllowlist, opts: { client?: { id: string; secret: string }; timeoutMs?: number } = {}) {
  const verifier = new SmartTokenVerifier({ allowlist, timeoutMs: opts.timeoutMs ?? 2000, now: () => clock, log, ...(opts.client && { introspectionClient: opts.client }) });
  const app = express();
  app.use('/api', smartAuthenticate({ verifier, log }));
  app.get('/api/whoami', (req, res) => {
    // The token is kept apart from the caller, for handlers that read FHIR with it: serialising res.locals never shows it.
    res.json({ caller: smartCaller(res), locals: JSON.stringify(res.locals), tokenKept: smartAccessToken(res) === req.headers.authorization?.slice('Bearer '.length) });
  });
  app.get(
    '/api/observations',
    requireSmartScope((c) => (permits(c.scopes, 'Observation', 'search') ? undefined : { scope: 'patient/Observation.s', why: 'reading observations needs a scope that allows searching them' })),
    (_req, res) => void res.json({ ok: true }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    get: (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers }),
  };
}

let app: Awaited<ReturnType<typeof serve>>;
const withToken = (token = TOKEN, server = ehr.fhirBase) => ({ Authorization: `Bearer ${token}`, 'X-FHIR-Server': server });

beforeAll(async () => {
  ehr = await startStandInEhr();
});
afterAll(() => ehr.close());
beforeEach(async () => {
  clock = Date.now();
  ehr.tokens.clear();
  ehr.calls.discovery = 0;
  ehr.calls.introspection = 0;
  ehr.introspectionAuthorization.length = 0;
  ehr.introspectionBodies.length = 0;
  delete ehr.introspection;
  lines.length = 0;
  app = await serve({ kind: 'loopback' });
});
afterEach(() => app.close());

describe('SMART token authentication', () => {
  it('accepts an active token and exposes its caller: server, patient, scopes, user and client', async () => {
    ehr.tokens.set(TOKEN, { active: true, scope: 'launch openid fhirUser patient/*.rs', patient: 'p1', encounter: 'e1', sub: 'u-17', fhirUser: 'Practitioner/9', client_id: 'cairn-app', exp: Math.floor(clock / 1000) + 300 });
    const res = await app.get('/api/whoami', withToken());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { caller: unknown; locals: string; tokenKept: boolean };
    expect(body.tokenKept).toBe(true);
    expect(body.caller).toEqual({
      fhirServer: ehr.fhirBase,
      patient: 'p1',
      encounter: 'e1',
      scopes: ['launch', 'openid', 'fhirUser', 'patient/*.rs'],
      sub: 'u-17',
      fhirUser: 'Practitioner/9',
      clientId: 'cairn-app',
      expiresAt: Math.floor(clock / 1000) + 300,
    });
    expect(body.locals).not.toContain(TOKEN);
    // RFC 7662 §2.1: the token form-encoded, hinted as an access token.
    expect(ehr.introspectionBodies[0]?.get('token')).toBe(TOKEN);
    expect(ehr.introspectionBodies[0]?.get('token_type_hint')).toBe('access_token');
    expect(ehr.introspectionAuthorization[0]).toBeUndefined();
  });

  it('asks the EHR once per token for a minute, never past the token\'s exp, and reads the discovery document once', async () => {
    ehr.tokens.set(TOKEN, { active: true, scope: 'user/*.read', exp: Math.floor(clock / 1000) + 3600 });
    for (let i = 0; i < 3; i++) expect((await app.get('/api/whoami', withToken())).status).toBe(200);
    expect(ehr.calls.introspection).toBe(1);
    expect(ehr.calls.discovery).toBe(1);
    // Revoked at the EHR: still accepted from the cache until it is a minute old, then refused.
    ehr.tokens.set(TOKEN, { active: false });
    clock += CACHE_TTL_MS - 1000;
    expect((await app.get('/api/whoami', withToken())).status).toBe(200);
    clock += 2000;
    expect((await app.get('/api/whoami', withToken())).status).toBe(401);
    expect(ehr.calls.introspection).toBe(2);

    // A token expiring in 5 s is trusted for 5 s, not a minute.
    ehr.tokens.set('short', { active: true, exp: Math.floor(clock / 1000) + 5 });
    expect((await app.get('/api/whoami', withToken('short'))).status).toBe(200);
    clock += 6000;
    ehr.tokens.set('short', { active: false });
    expect((await app.get('/api/whoami', withToken('short'))).status).toBe(401);
    // The discovery document is read again only after its own time.
    expect(ehr.calls.discovery).toBe(1);
    clock += DISCOVERY_TTL_MS;
    await app.get('/api/whoami', withToken());
    expect(ehr.calls.discovery).toBe(2);
  });

  it('refuses a missing, inactive or expired token with 401, WWW-Authenticate: Bearer and an OperationOutcome', async () => {
    const none = await app.get('/api/whoami', { 'X-FHIR-Server': ehr.fhirBase });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.headers.get('content-type')).toMatch(/application\/fhir\+json/);
    expect(await none.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });

    const inactive = await app.get('/api/whoami', withToken('unknown-token'));
    expect(inactive.status).toBe(401);
    expect(inactive.headers.get('www-authenticate')).toContain('error="invalid_token"');

    // An EHR that says active with an exp already past is not believed.
    ehr.tokens.set(TOKEN, { active: true, exp: Math.floor(clock / 1000) - 10 });
    expect((await app.get('/api/whoami', withToken())).status).toBe(401);
    // "active" must be a boolean true, not a string.
    ehr.tokens.set(TOKEN, { active: 'true' as unknown as boolean });
    expect((await app.get('/api/whoami', withToken())).status).toBe(503);
  });

  it('refuses a FHIR server off the list (403, nothing fetched) and a malformed one (400), and asks for one when several are allowed', async () => {
    ehr.tokens.set(TOKEN, { active: true });
    const off = await app.get('/api/whoami', withToken(TOKEN, 'https://ehr.example.org/fhir'));
    expect(off.status).toBe(403);
    expect(await off.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
    const withPassword = await app.get('/api/whoami', withToken(TOKEN, 'http://user:hunter2@127.0.0.1/fhir'));
    expect(withPassword.status).toBe(400);
    expect(await withPassword.text()).not.toContain('hunter2');
    const unnamed = await app.get('/api/whoami', { Authorization: `Bearer ${TOKEN}` });
    expect(unnamed.status).toBe(400);
    expect(ehr.calls.discovery + ehr.calls.introspection).toBe(0);
  });

  it('takes the only configured server when none is named; another spelling of it is the same server', async () => {
    ehr.tokens.set(TOKEN, { active: true });
    const single = await serve({ kind: 'bases', bases: [ehr.fhirBase] });
    try {
      const unnamed = await single.get('/api/whoami', { Authorization: `Bearer ${TOKEN}` });
      expect(unnamed.status).toBe(200);
      expect(((await unnamed.json()) as { caller: { fhirServer: string } }).caller.fhirServer).toBe(ehr.fhirBase);
      const respelled = ehr.fhirBase.replace('127.0.0.1', '127.1').replace('/fhir', '/fhir/');
      expect((await single.get('/api/whoami', withToken(TOKEN, respelled))).status).toBe(200);
      // The same token is one cache entry for both spellings.
      expect(ehr.calls.introspection).toBe(1);
      expect((await single.get('/api/whoami', withToken(TOKEN, `${ehr.origin}/other`))).status).toBe(403);
    } finally {
      await single.close();
    }
  });

  it('sends Cairn\'s client credentials as HTTP Basic when configured', async () => {
    ehr.tokens.set(TOKEN, { active: true });
    const withClient = await serve({ kind: 'loopback' }, { client: { id: 'cairn api', secret: 's3cret:x' } });
    try {
      expect((await withClient.get('/api/whoami', withToken())).status).toBe(200);
      const sent = ehr.introspectionAuthorization[0] ?? '';
      expect(Buffer.from(sent.replace(/^Basic /, ''), 'base64').toString()).toBe('cairn%20api:s3cret%3Ax');
    } finally {
      await withClient.close();
    }
  });

  it('answers 503 with Retry-After when the EHR cannot say: introspection refused, redirected, down, or no endpoint named', async () => {
    ehr.tokens.set(TOKEN, { active: true });
    const cases: Array<() => void> = [
      () => {
        ehr.introspection = (_req, res) => {
          res.writeHead(401).end();
          return true;
        };
      },
      () => {
        // A redirect is not followed: the token would go to another address.
        ehr.introspection = (_req, res) => {
          res.writeHead(307, { location: 'http://127.0.0.1:9/steal' }).end();
          return true;
        };
      },
      () => {
        ehr.introspection = (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
          return true;
        };
      },
    ];
    for (const arrange of cases) {
      arrange();
      const res = await app.get('/api/whoami', withToken());
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] });
    }
    delete ehr.introspection;

    const original = ehr.discovery;
    try {
      ehr.discovery = () => ({ issuer: 'x' });
      const fresh = await serve({ kind: 'loopback' });
      expect((await fresh.get('/api/whoami', withToken())).status).toBe(503);
      await fresh.close();
      ehr.discovery = () => ({ status: 500 });
      const down = await serve({ kind: 'loopback' });
      expect((await down.get('/api/whoami', withToken())).status).toBe(503);
      await down.close();
    } finally {
      ehr.discovery = original;
    }
    // Nothing listening: a network error, still a 503 and not a hang.
    const nowhere = await serve({ kind: 'loopback' }, { timeoutMs: 500 });
    try {
      expect((await nowhere.get('/api/whoami', withToken(TOKEN, 'http://127.0.0.1:9/fhir'))).status).toBe(503);
    } finally {
      await nowhere.close();
    }
  });

  it('refuses a route whose scope the token lacks with 403 insufficient_scope, naming the scope', async () => {
    ehr.tokens.set(TOKEN, { active: true, scope: 'patient/Patient.r' });
    const res = await app.get('/api/observations', withToken());
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="cairn", error="insufficient_scope", scope="patient/Observation.s"');
    expect(await res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
    ehr.tokens.set('reader', { active: true, scope: 'patient/Observation.read' });
    expect((await app.get('/api/observations', withToken('reader'))).status).toBe(200);
  });

  it('never writes a token to the log', async () => {
    ehr.tokens.set(TOKEN, { active: true });
    await app.get('/api/whoami', withToken());
    await app.get('/api/whoami', withToken('inactive-token-77c1'));
    await app.get('/api/whoami', withToken(TOKEN, 'http://127.0.0.1:9/fhir'));
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('inactive-token-77c1');
  });
});

describe('SMART scopes', () => {
  it('reads 2.x and 1.0 resource scopes', () => {
    expect(resourceScope('patient/Observation.rs')).toEqual({ context: 'patient', resourceType: 'Observation', read: true, search: true });
    expect(resourceScope('user/*.read')).toEqual({ context: 'user', resourceType: '*', read: true, search: true });
    expect(resourceScope('system/Patient.*')).toEqual({ context: 'system', resourceType: 'Patient', read: true, search: true });
    expect(resourceScope('patient/Condition.cud')).toEqual({ context: 'patient', resourceType: 'Condition', read: false, search: false });
    expect(resourceScope('patient/Observation.rs?category=vital-signs')).toMatchObject({ read: true, search: true });
    for (const other of ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'patient/Observation.', 'patient/Observation.sr', 'admin/*.read']) {
      expect(resourceScope(other)).toBeUndefined();
    }
  });

  it('says in which contexts a read or search is allowed', () => {
    const scopes = parseScopes(' patient/Observation.s  user/Patient.r\tpatient/*.write ');
    expect(permits(scopes, 'Observation', 'search')).toBe(true);
    expect(permits(scopes, 'Observation', 'read')).toBe(false);
    expect(permits(scopes, 'Condition', 'search')).toBe(false);
    expect([...grantingContexts(scopes, 'Patient', 'read')]).toEqual(['user']);
    expect(patientScopedOnly(scopes, 'Observation', 'search')).toBe(true);
    expect(patientScopedOnly(scopes, 'Patient', 'read')).toBe(false);
    expect(hasUserContext(scopes)).toBe(true);
    expect(hasUserContext(parseScopes('patient/*.rs launch'))).toBe(false);
  });
});
