/**
 * The dev FHIR server's SMART App Launch endpoints, driven over plain HTTP the way a browser and
 * a SMART client (fhirclient) would: redirects are followed by hand, PKCE is computed here
 * independently of the server, and id_tokens are verified with jose against the served JWKS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Bundle, CapabilityStatement, Observation, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { parse } from 'node-html-parser';
import { startDevFhirServer } from '../../dev/fhir-server/index.js';
import type { DevFhirServer } from '../../dev/fhir-server/index.js';
import { encounter, observation, patient } from '../support/fhir-builders.js';

const APP_LAUNCH = 'http://localhost:9999/app/launch.html?mode=test';
const REDIRECT = 'http://localhost:9999/app/';
const CLIENT_ID = 'cairn-app';

const RESOURCES = [
  patient({ id: 'p1', name: [{ given: ['Alice'], family: 'Example' }], birthDate: '1970-01-02', gender: 'female' }),
  patient({ id: 'p2', name: [{ given: ['Bob'], family: 'Sample' }], birthDate: '1985-06-30', gender: 'male' }),
  { resourceType: 'Practitioner', id: 'dr-b', name: [{ family: 'Bee' }] },
  { resourceType: 'Practitioner', id: 'dr-a', name: [{ family: 'Ay' }] },
  { resourceType: 'Medication', id: 'med-1', code: { text: 'aspirin' } },
  encounter({ id: 'e1', classCode: 'AMB', start: '2024-03-01T09:00:00Z', patient: 'p1' }),
  encounter({ id: 'e2', classCode: 'AMB', start: '2024-03-02T09:00:00Z', patient: 'p2' }),
  observation({ id: 'o1', code: '8480-6', patient: 'p1', date: '2024-03-01T09:05:00Z', value: 120, unit: 'mm[Hg]' }),
  observation({ id: 'o2', code: '8480-6', patient: 'p1', date: '2024-03-01T09:10:00Z', value: 125, unit: 'mm[Hg]' }),
  observation({ id: 'o3', code: '8480-6', patient: 'p2', date: '2024-03-02T09:05:00Z', value: 140, unit: 'mm[Hg]' }),
];

async function startWith(options: Parameters<typeof startDevFhirServer>[0] = {}): Promise<DevFhirServer> {
  const server = await startDevFhirServer(options);
  await server.loadBundle({ resourceType: 'Bundle', type: 'collection', entry: RESOURCES.map((resource) => ({ resource })) });
  return server;
}

interface Pkce {
  verifier: string;
  challenge: string;
}

function pkce(): Pkce {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** One request without following redirects, as a browser step. */
async function step(url: string): Promise<{ status: number; location: URL | undefined; text: string; headers: Headers }> {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  return { status: res.status, location: location ? new URL(location) : undefined, text: await res.text(), headers: res.headers };
}

async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function json<T>(url: string, token?: string): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

interface SmartConfiguration {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint: string;
  token_endpoint: string;
  introspection_endpoint: string;
  capabilities: string[];
  code_challenge_methods_supported: string[];
  grant_types_supported: string[];
  scopes_supported: string[];
  response_types_supported: string[];
}

interface AuthorizeSpec {
  scope: string;
  launch?: string;
  state?: string;
  aud?: string;
  challenge?: string;
  extra?: Record<string, string | undefined>;
}

function authorizeUrl(config: SmartConfiguration, iss: string, spec: AuthorizeSpec): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: spec.scope,
    state: spec.state ?? 'state-123',
    aud: spec.aud ?? iss,
    code_challenge: spec.challenge,
    code_challenge_method: 'S256',
    ...(spec.launch !== undefined && { launch: spec.launch }),
    ...spec.extra,
  };
  const url = new URL(config.authorization_endpoint);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/** Opens the launcher for `patient`, as a newcomer would, and returns what the app receives. */
async function ehrLaunch(server: DevFhirServer, launch: { patient: string; encounter?: string; user?: string; appContext?: string }): Promise<{ iss: string; launch: string }> {
  const opened = await step(server.launchUrl({ app: APP_LAUNCH, ...launch }));
  expect(opened.status).toBe(302);
  const location = opened.location as URL;
  return { iss: location.searchParams.get('iss') ?? '', launch: location.searchParams.get('launch') ?? '' };
}

/** Authorizes and exchanges the code, returning the token response; fails the test on any other outcome. */
async function obtainToken(server: DevFhirServer, scope: string, launch: { patient: string; encounter?: string }): Promise<Record<string, unknown>> {
  const { iss, launch: handle } = await ehrLaunch(server, launch);
  const config = (await json<SmartConfiguration>(`${iss}/.well-known/smart-configuration`)).body;
  const { verifier, challenge } = pkce();
  const authorized = await step(authorizeUrl(config, iss, { scope, launch: handle, challenge }));
  const code = authorized.location?.searchParams.get('code');
  expect(code).toBeTruthy();
  const token = await postForm(config.token_endpoint, { grant_type: 'authorization_code', code: code ?? '', redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier });
  expect(token.status).toBe(200);
  return token.body;
}

describe('dev FHIR server: SMART App Launch', () => {
  let server: DevFhirServer;
  let config: SmartConfiguration;

  beforeAll(async () => {
    server = await startWith();
    config = (await json<SmartConfiguration>(`${server.baseUrl}/.well-known/smart-configuration`)).body;
  });
  afterAll(() => server.close());

  it('publishes smart-configuration (SMART 2.0 fields) and the same endpoints in the CapabilityStatement', async () => {
    const origin = new URL(server.baseUrl).origin;
    expect(config).toMatchObject({
      issuer: server.baseUrl,
      jwks_uri: `${server.baseUrl}/.well-known/jwks.json`,
      authorization_endpoint: `${origin}/auth/authorize`,
      token_endpoint: `${origin}/auth/token`,
      introspection_endpoint: `${origin}/auth/introspect`,
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code'],
      response_types_supported: ['code'],
    });
    expect(config.capabilities).toEqual(
      expect.arrayContaining(['launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient', 'context-standalone-patient', 'sso-openid-connect', 'permission-v1', 'permission-v2']),
    );
    expect(config.scopes_supported).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'launch', 'launch/patient', 'patient/*.read']));

    const metadata = await json<CapabilityStatement>(`${server.baseUrl}/metadata`);
    const oauth = metadata.body.rest?.[0]?.security?.extension?.find((e) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
    const uris = Object.fromEntries((oauth?.extension ?? []).map((e) => [e.url, e.valueUri]));
    expect(uris).toEqual({ authorize: config.authorization_endpoint, token: config.token_endpoint, introspect: config.introspection_endpoint });

    const openid = await json<{ issuer: string; jwks_uri: string }>(`${server.baseUrl}/.well-known/openid-configuration`);
    expect(openid.body).toMatchObject({ issuer: config.issuer, jwks_uri: config.jwks_uri });
  });

  it('runs an EHR launch end to end: launcher, authorize, token, id_token, introspection', async () => {
    const { iss, launch } = await ehrLaunch(server, { patient: 'p1', encounter: 'e1' });
    expect(iss).toBe(server.baseUrl);
    expect(launch).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const { verifier, challenge } = pkce();
    const authorized = await step(
      authorizeUrl(config, iss, { scope: 'openid fhirUser launch launch/patient launch/encounter patient/*.read', launch, challenge, extra: { nonce: 'n-1' } }),
    );
    expect(authorized.status).toBe(302);
    const back = authorized.location as URL;
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('state-123');
    const code = back.searchParams.get('code') ?? '';

    const token = await postForm(config.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier });
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toBe('no-store');
    expect(token.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'openid fhirUser launch launch/patient launch/encounter patient/*.read',
      patient: 'p1',
      encounter: 'e1',
      need_patient_banner: true,
    });
    expect(typeof token.body.access_token).toBe('string');

    // The user defaults to the Practitioner with the smallest id: dr-a, not the first loaded.
    const jwks = createRemoteJWKSet(new URL(config.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(String(token.body.id_token), jwks, { issuer: iss, audience: CLIENT_ID });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ fhirUser: `${server.baseUrl}/Practitioner/dr-a`, sub: 'Practitioner/dr-a', nonce: 'n-1' });

    const introspection = await postForm(config.introspection_endpoint, { token: String(token.body.access_token) });
    expect(introspection.status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    expect(introspection.body).toMatchObject({
      active: true,
      scope: token.body.scope,
      client_id: CLIENT_ID,
      patient: 'p1',
      encounter: 'e1',
      sub: 'Practitioner/dr-a',
      fhirUser: `${server.baseUrl}/Practitioner/dr-a`,
      iss: server.baseUrl,
    });
    expect(introspection.body.exp).toBeGreaterThan(now + 3500);
    expect(introspection.body.iat).toBeLessThanOrEqual(now + 1);
  });

  it('carries the launcher-chosen user and leaves out what the launch cannot give', async () => {
    const { iss, launch } = await ehrLaunch(server, { patient: 'p2', user: 'Practitioner/dr-b' });
    const { verifier, challenge } = pkce();
    // No encounter in the launch, and no refresh tokens on this server: both scopes are dropped.
    const authorized = await step(authorizeUrl(config, iss, { scope: 'launch launch/encounter openid fhirUser offline_access patient/Observation.rs', launch, challenge }));
    const code = authorized.location?.searchParams.get('code') ?? '';
    const token = await postForm(config.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier });
    expect(token.body.scope).toBe('launch openid fhirUser patient/Observation.rs');
    expect(token.body.patient).toBe('p2');
    expect(token.body).not.toHaveProperty('encounter');
    const { payload } = await jwtVerify(String(token.body.id_token), createRemoteJWKSet(new URL(config.jwks_uri)), { issuer: iss, audience: CLIENT_ID });
    expect(payload.fhirUser).toBe(`${server.baseUrl}/Practitioner/dr-b`);
  });

  it('returns a card link\'s appContext in the token response, as given, and only for that launch (CDS Hooks 2.0)', async () => {
    const appContext = JSON.stringify({ service: 'diagnosis', rule: 'diagnosis/hypertension', condition: 'hypertension', note: 'a & b = "c"' });
    const { iss, launch } = await ehrLaunch(server, { patient: 'p1', appContext });
    const { verifier, challenge } = pkce();
    const authorized = await step(authorizeUrl(config, iss, { scope: 'launch openid fhirUser patient/*.rs', launch, challenge }));
    const code = authorized.location?.searchParams.get('code') ?? '';
    const token = await postForm(config.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier });
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ patient: 'p1', appContext });
    // Not a token property: introspection does not repeat it.
    expect((await postForm(config.introspection_endpoint, { token: String(token.body.access_token) })).body).not.toHaveProperty('appContext');

    // A launch without one gives none; the picker keeps it on its links; an overlong one is refused.
    expect(await obtainToken(server, 'launch patient/*.rs', { patient: 'p2' })).not.toHaveProperty('appContext');
    const picker = await step(server.launchUrl({ app: APP_LAUNCH, appContext: '{"service":"triage"}' }));
    const link = parse(picker.text).querySelector('tbody a')?.getAttribute('href') ?? '';
    expect(new URL(link, server.baseUrl).searchParams.get('appContext')).toBe('{"service":"triage"}');
    const tooLong = await step(server.launchUrl({ app: APP_LAUNCH, patient: 'p1', appContext: 'x'.repeat(2001) }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain('appContext');
  });

  it('runs a standalone launch through the patient picker, which lists the server patients', async () => {
    const { verifier, challenge } = pkce();
    const picker = await step(authorizeUrl(config, server.baseUrl, { scope: 'launch/patient patient/*.rs openid fhirUser', challenge }));
    expect(picker.status).toBe(200);
    expect(picker.headers.get('content-type')).toContain('text/html');
    const rows = parse(picker.text).querySelectorAll('tbody tr').map((tr) => tr.querySelectorAll('td').map((td) => td.text.trim()));
    expect(rows).toEqual([
      ['Alice Example', '1970-01-02', 'female', 'p1'],
      ['Bob Sample', '1985-06-30', 'male', 'p2'],
    ]);

    const link = parse(picker.text).querySelectorAll('tbody a')[1]?.getAttribute('href') ?? '';
    const chosen = await step(new URL(link, server.baseUrl).toString());
    expect(chosen.status).toBe(302);
    expect(chosen.location?.searchParams.get('state')).toBe('state-123');
    const code = chosen.location?.searchParams.get('code') ?? '';
    const token = await postForm(config.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier });
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ patient: 'p2', scope: 'launch/patient patient/*.rs openid fhirUser' });
    expect(token.body).not.toHaveProperty('encounter');
  });

  it('approves a standalone launch without patient scopes at once, with no patient', async () => {
    const { challenge } = pkce();
    const authorized = await step(authorizeUrl(config, server.baseUrl, { scope: 'openid fhirUser user/*.rs', challenge }));
    expect(authorized.status).toBe(302);
    expect(authorized.location?.searchParams.get('code')).toBeTruthy();
  });

  it('refuses a wrong PKCE verifier at the token endpoint, and the code is spent', async () => {
    const { iss, launch } = await ehrLaunch(server, { patient: 'p1' });
    const { verifier, challenge } = pkce();
    const authorized = await step(authorizeUrl(config, iss, { scope: 'launch patient/*.read', launch, challenge }));
    const code = authorized.location?.searchParams.get('code') ?? '';
    const exchange = (codeVerifier: string) =>
      postForm(config.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: codeVerifier });
    const wrong = await exchange(pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect(String(wrong.body.error_description)).toContain('code_verifier');
    expect((await exchange(verifier)).body.error).toBe('invalid_grant');
  });

  it('refuses a code used twice and revokes the token issued for it', async () => {
    const { iss, launch } = await ehrLaunch(server, { patient: 'p1' });
    const { verifier, challenge } = pkce();
    const authorized = await step(authorizeUrl(config, iss, { scope: 'launch patient/*.read', launch, challenge }));
    const form = { grant_type: 'authorization_code', code: authorized.location?.searchParams.get('code') ?? '', redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier };
    const first = await postForm(config.token_endpoint, form);
    expect(first.status).toBe(200);
    expect((await postForm(config.introspection_endpoint, { token: String(first.body.access_token) })).body.active).toBe(true);
    const again = await postForm(config.token_endpoint, form);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    expect((await postForm(config.introspection_endpoint, { token: String(first.body.access_token) })).body).toEqual({ active: false });
  });

  it.each([
    ['another redirect_uri', { redirect_uri: 'http://localhost:9999/other' }, 'redirect_uri'],
    ['another client', { client_id: 'someone-else' }, 'another client'],
  ])('refuses a token request with %s', async (_label, change, message) => {
    const { iss, launch } = await ehrLaunch(server, { patient: 'p1' });
    const { verifier, challenge } = pkce();
    const authorized = await step(authorizeUrl(config, iss, { scope: 'launch patient/*.read', launch, challenge }));
    const form = { grant_type: 'authorization_code', code: authorized.location?.searchParams.get('code') ?? '', redirect_uri: REDIRECT, client_id: CLIENT_ID, code_verifier: verifier, ...change };
    const res = await postForm(config.token_endpoint, form);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(String(res.body.error_description)).toContain(message);
  });

  it('takes the client id from a Basic header when the form has none', async () => {
    const { iss, launch } = await ehrLaunch(server, { patient: 'p1' });
    const { verifier, challenge } = pkce();
    const authorized = await step(authorizeUrl(config, iss, { scope: 'launch patient/*.read', launch, challenge }));
    const form = { grant_type: 'authorization_code', code: authorized.location?.searchParams.get('code') ?? '', redirect_uri: REDIRECT, code_verifier: verifier };
    const res = await postForm(config.token_endpoint, form, { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:`).toString('base64')}` });
    expect(res.status).toBe(200);
    expect(res.body.patient).toBe('p1');
  });

  it('introspects an unknown token as inactive, and accepts a Basic header without checking it', async () => {
    const res = await postForm(config.introspection_endpoint, { token: 'not-a-token' }, { authorization: `Basic ${Buffer.from('cairn:secret').toString('base64')}` });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
    expect((await postForm(config.introspection_endpoint, {})).status).toBe(400);
    // Form-encoded, as the spec asks: JSON is refused.
    const asJson = await fetch(config.introspection_endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x"}' });
    expect(asJson.status).toBe(400);
  });

  it.each<[string, AuthorizeSpec['extra'] & object, string]>([
    ['a token response type', { response_type: 'token' }, 'unsupported_response_type'],
    ['no PKCE challenge', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['the plain PKCE method', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['another audience', { aud: 'http://localhost:1/fhir' }, 'invalid_request'],
    ['no scope', { scope: '' }, 'invalid_scope'],
    ['an unknown launch', { launch: 'no-such-launch' }, 'invalid_request'],
    ['no state', { state: '' }, 'invalid_request'],
  ])('sends an OAuth error back to the app for %s', async (_label, extra, error) => {
    const { challenge } = pkce();
    const url = new URL(authorizeUrl(config, server.baseUrl, { scope: 'openid user/*.rs', challenge }));
    for (const [key, value] of Object.entries(extra)) {
      if (value === undefined) url.searchParams.delete(key);
      else url.searchParams.set(key, value);
    }
    const res = await step(url.toString());
    expect(res.status).toBe(302);
    expect(`${res.location?.origin}${res.location?.pathname}`).toBe(REDIRECT);
    expect(res.location?.searchParams.get('error')).toBe(error);
    expect(res.location?.searchParams.get('error_description')).toBeTruthy();
    expect(res.location?.searchParams.has('code')).toBe(false);
  });

  it('shows an error page, never a redirect, when the redirect_uri cannot be trusted', async () => {
    const { challenge } = pkce();
    for (const redirect of ['https://evil.example/cb', 'not a url', 'javascript:alert(1)']) {
      const res = await step(authorizeUrl(config, server.baseUrl, { scope: 'openid', challenge, extra: { redirect_uri: redirect } }));
      expect(res.status).toBe(400);
      expect(res.location).toBeUndefined();
      expect(res.text).toContain('redirect_uri');
    }
  });

  it('checks what the launcher is asked to launch', async () => {
    expect((await step(server.launchUrl({ app: 'https://evil.example/launch', patient: 'p1' }))).status).toBe(400);
    expect((await step(server.launchUrl({ app: APP_LAUNCH, patient: 'nobody' }))).status).toBe(404);
    expect((await step(server.launchUrl({ app: APP_LAUNCH, patient: 'p1', encounter: 'e2' }))).status).toBe(400);
    for (const user of ['Practitioner/nobody', 'Medication/med-1', 'Practitioner/dr-a/x']) {
      expect((await step(server.launchUrl({ app: APP_LAUNCH, patient: 'p1', user }))).status).toBe(400);
    }
    expect((await step(server.launchUrl({ app: APP_LAUNCH, patient: 'p1', user: 'dr-a' }))).status).toBe(302);
    // Without a patient, the launcher offers the picker; its links launch.
    const picker = await step(server.launchUrl({ app: APP_LAUNCH }));
    expect(picker.status).toBe(200);
    const link = parse(picker.text).querySelector('tbody a')?.getAttribute('href') ?? '';
    const launched = await step(link);
    expect(launched.status).toBe(302);
    expect(launched.location?.searchParams.get('mode')).toBe('test');
    expect(launched.location?.searchParams.get('iss')).toBe(server.baseUrl);
  });

  it('serves the SMART endpoints with CORS and the FHIR API stays open without enforcement', async () => {
    const res = await fetch(`${server.baseUrl}/.well-known/smart-configuration`, { headers: { origin: 'http://localhost:9999' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:9999');
    expect((await json<Bundle>(`${server.baseUrl}/Observation`)).body.total).toBe(3);
  });
});

describe('dev FHIR server: SMART lifetimes', () => {
  let server: DevFhirServer;
  let config: SmartConfiguration;

  beforeAll(async () => {
    server = await startWith({ smart: { accessTokenLifetimeSeconds: 1, codeLifetimeSeconds: 1 } });
    config = (await json<SmartConfiguration>(`${server.baseUrl}/.well-known/smart-configuration`)).body;
  });
  afterAll(() => server.close());

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('introspects a token as active until it expires, then inactive', async () => {
    const token = await obtainToken(server, 'launch patient/*.read', { patient: 'p1' });
    expect(token.expires_in).toBe(1);
    const introspect = () => postForm(config.introspection_endpoint, { token: String(token.access_token) });
    expect((await introspect()).body.active).toBe(true);
    await sleep(1100);
    expect((await introspect()).body).toEqual({ active: false });
  });

  it('refuses an expired code', async () => {
    const { iss, launch } = await ehrLaunch(server, { patient: 'p1' });
    const { verifier, challenge } = pkce();
    const authorized = await step(authorizeUrl(config, iss, { scope: 'launch patient/*.read', launch, challenge }));
    await sleep(1100);
    const res = await postForm(config.token_endpoint, {
      grant_type: 'authorization_code',
      code: authorized.location?.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
      client_id: CLIENT_ID,
      code_verifier: verifier,
    });
    expect(res.body.error).toBe('invalid_grant');
  });
});

describe('dev FHIR server: SMART enforcement', () => {
  let server: DevFhirServer;
  let patientToken = '';
  let userToken = '';

  beforeAll(async () => {
    server = await startWith({ smart: { enforce: true }, requireBearerToken: 'fixed' });
    patientToken = String((await obtainToken(server, 'launch patient/*.rs', { patient: 'p1' })).access_token);
    userToken = String((await obtainToken(server, 'launch user/*.read', { patient: 'p1' })).access_token);
  });
  afterAll(() => server.close());

  it('keeps discovery public and asks for a token everywhere else', async () => {
    expect((await json(`${server.baseUrl}/metadata`)).status).toBe(200);
    const none = await json<OperationOutcome>(`${server.baseUrl}/Patient/p1`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const bad = await json<OperationOutcome>(`${server.baseUrl}/Patient/p1`, 'forged');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
    // The fixed token of requireBearerToken still opens everything.
    expect((await json<Bundle>(`${server.baseUrl}/Observation`, 'fixed')).body.total).toBe(3);
  });

  it('confines a patient-level token to its patient compartment', async () => {
    expect((await json<Patient>(`${server.baseUrl}/Patient/p1`, patientToken)).status).toBe(200);
    const other = await json<OperationOutcome>(`${server.baseUrl}/Patient/p2`, patientToken);
    expect(other.status).toBe(403);
    expect((await json(`${server.baseUrl}/Observation/o3`, patientToken)).status).toBe(403);
    expect((await json(`${server.baseUrl}/Observation/o3/_history`, patientToken)).status).toBe(403);
    const own = await json<Observation>(`${server.baseUrl}/Observation/o1`, patientToken);
    expect(own.status).toBe(200);
    expect((await json(`${server.baseUrl}/Observation/o1/_history/${own.body.meta?.versionId}`, patientToken)).status).toBe(200);
    expect((await json<Bundle>(`${server.baseUrl}/Observation?subject=Patient/p2`, patientToken)).body.total).toBe(0);

    const observations = await json<Bundle<Observation>>(`${server.baseUrl}/Observation?_include=Observation:subject`, patientToken);
    expect(observations.body.total).toBe(2);
    const ids = (observations.body.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
    expect(ids).toEqual(['Observation/o1', 'Observation/o2', 'Patient/p1']);
    expect((await json<Bundle>(`${server.baseUrl}/Patient`, patientToken)).body.total).toBe(1);
    // A type that is never patient data is readable through references.
    expect((await json(`${server.baseUrl}/Medication/med-1`, patientToken)).status).toBe(200);
  });

  it('refuses writes to a patient-level token and anything its scopes do not name', async () => {
    const res = await fetch(`${server.baseUrl}/Observation`, {
      method: 'POST',
      headers: { authorization: `Bearer ${patientToken}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(observation({ id: 'o9', code: '8480-6', patient: 'p1', value: 1, unit: 'mm[Hg]' })),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const narrow = String((await obtainToken(server, 'launch patient/Observation.rs', { patient: 'p1' })).access_token);
    expect((await json(`${server.baseUrl}/Encounter?patient=p1`, narrow)).status).toBe(403);
    expect((await json(`${server.baseUrl}/Observation?patient=p1`, narrow)).status).toBe(200);
  });

  it('lets a user-level token read every patient', async () => {
    expect((await json<Bundle>(`${server.baseUrl}/Observation`, userToken)).body.total).toBe(3);
    expect((await json(`${server.baseUrl}/Patient/p2`, userToken)).status).toBe(200);
  });
});
