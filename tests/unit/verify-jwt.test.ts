import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryReplayCache } from '../../src/http/auth/replay-cache.js';
import { parseTrustedIssuers } from '../../src/http/auth/trusted-issuers.js';
import { acceptedAudiences, AuthError, createJwtVerifier, type JwtVerifier } from '../../src/http/auth/verify-jwt.js';
import { createTestClient, hmacToken, unsignedToken, type TestClient } from '../support/jwt.js';

const base = 'https://cairn.example.org';
const path = '/cds-services/triage';
const aud = `${base}${path}`;

let ehr: TestClient;
let stranger: TestClient;
let verify: JwtVerifier;

beforeAll(async () => {
  ehr = await createTestClient('https://ehr.example.org');
  stranger = await createTestClient('https://stranger.example.org');
  const issuers = parseTrustedIssuers([
    { iss: ehr.iss, jwks: ehr.jwks, audAliases: ['https://epic-configured.example.org/cairn'], fhirServers: ['https://fhir.ehr.example.org/r4/'] },
    { iss: 'https://tenant-bound.example.org', jwks: ehr.jwks, tenants: ['t1'] },
  ]);
  verify = createJwtVerifier({ issuers, replayCache: new MemoryReplayCache(), clockToleranceS: 60 });
});

const rejects = (token: Promise<string> | string, reason: RegExp, url = path) =>
  expect(Promise.resolve(token).then((t) => verify(t, [base], url))).rejects.toThrow(reason);

describe('JWT verification of CDS clients', () => {
  it.each(['ES384', 'RS384'] as const)('accepts a valid %s token', async (alg) => {
    await expect(verify(await ehr.sign({ aud, alg }), [base], path)).resolves.toMatchObject({ iss: ehr.iss });
  });

  it("hands on the verified issuer's FHIR servers, for the allowlist of its hook calls", async () => {
    await expect(verify(await ehr.sign({ aud }), [base], path)).resolves.toMatchObject({ fhirServers: ['https://fhir.ehr.example.org/r4'] });
  });

  it('accepts aud as an array containing the URL, a trailing slash, and configured aliases', async () => {
    await expect(verify(await ehr.sign({ aud: ['x', aud] }), [base], path)).resolves.toBeDefined();
    await expect(verify(await ehr.sign({ aud: `${aud}/` }), [base], path)).resolves.toBeDefined();
    await expect(verify(await ehr.sign({ aud: `https://epic-configured.example.org/cairn${path}` }), [base], path)).resolves.toBeDefined();
    await expect(verify(await ehr.sign({ aud: 'https://epic-configured.example.org/cairn' }), [base], path)).resolves.toBeDefined();
  });

  it('rejects another endpoint as aud', () => rejects(ehr.sign({ aud: `${base}/cds-services/other` }), /verification failed/));
  it('rejects an expired token', () => rejects(ehr.sign({ aud, expiresInS: -120 }), /verification failed/));
  it('tolerates small clock skew', async () => {
    await expect(verify(await ehr.sign({ aud, expiresInS: -30 }), [base], path)).resolves.toBeDefined();
  });
  it('rejects iat far in the future', () => rejects(ehr.sign({ aud, iatOffsetS: 600 }), /verification failed/));
  it('rejects a token older than an hour', () => rejects(ehr.sign({ aud, iatOffsetS: -7200, expiresInS: 10_000 }), /verification failed/));
  it.each(['exp', 'iat', 'jti'] as const)('requires %s', (claim) => rejects(ehr.sign({ aud, omit: [claim] }), /verification failed|no jti/));
  it('rejects a replayed jti', async () => {
    const jti = randomUUID();
    await verify(await ehr.sign({ aud, jti }), [base], path);
    await rejects(ehr.sign({ aud, jti }), /replayed/);
  });
  it('rejects an untrusted issuer', () => rejects(stranger.sign({ aud }), /untrusted issuer/));
  it('rejects a trusted iss signed with another key', async () => {
    const forged = await createTestClient(ehr.iss);
    await rejects(forged.sign({ aud }), /verification failed/);
  });
  it('rejects alg none', () => rejects(unsignedToken({ iss: ehr.iss, aud, exp: 9e9, iat: Date.now() / 1000, jti: 'x' }), /algorithm none/));
  it('rejects HS256', () => rejects(hmacToken({ iss: ehr.iss, aud, exp: 9e9, iat: Math.floor(Date.now() / 1000), jti: 'y' }), /algorithm HS256/));
  it('rejects an aud naming Cairn by a name it was not given, saying what it got and what it accepts', async () => {
    const other = 'http://127.0.0.1:3000/cds-services/triage';
    const err = (await verify(await ehr.sign({ aud: other }), [base], path).catch((e: unknown) => e)) as AuthError;
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe('verification failed: aud not accepted');
    expect(err.detail).toEqual({ aud: { received: other, expected: expect.arrayContaining([aud, `${aud}/`]) as unknown } });
  });
  it('accepts the path called under any of several public base URLs', async () => {
    const bases = ['http://localhost:3000', 'http://127.0.0.1:3000', 'https://cairn.example.org'];
    for (const b of bases) await expect(verify(await ehr.sign({ aud: `${b}${path}` }), bases, path)).resolves.toMatchObject({ iss: ehr.iss });
    // The other bases do not stand in for the route: the path must still be the one called.
    await expect(verify(await ehr.sign({ aud: 'http://127.0.0.1:3000/cds-services/other' }), bases, path)).rejects.toThrow(/aud not accepted/);
  });
  it('rejects a typ other than JWT', () => rejects(ehr.sign({ aud, header: { typ: 'at+jwt' } }), /verification failed/));
  it('rejects garbage', () => rejects('not.a.jwt', /malformed/));
  it('enforces the tenant allowlist', async () => {
    const tenantClient = { ...ehr, iss: 'https://tenant-bound.example.org' };
    const sign = (claims: Record<string, unknown>) => ehr.sign({ aud, claims: { ...claims, iss: tenantClient.iss } });
    await expect(verify(await sign({ tenant: 't1' }), [base], path)).resolves.toMatchObject({ tenant: 't1' });
    await rejects(sign({ tenant: 't2' }), /tenant/);
    await rejects(sign({}), /tenant/);
  });
  it('raises AuthError, never another error type, for bad tokens', async () => {
    await expect(verify('a.b.c', [base], path)).rejects.toBeInstanceOf(AuthError);
  });
});

describe('a jku header with inline keys', () => {
  let hits = 0;
  let attackerJwks: string;
  let server: Server;
  let fetchSpy: ReturnType<typeof jest.spyOn>;

  beforeAll(async () => {
    // Where a jku could send Cairn: a server that counts every request, and serves a key set.
    server = createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(stranger.jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    attackerJwks = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    hits = 0;
    fetchSpy = jest.spyOn(globalThis, 'fetch');
  });
  afterEach(() => fetchSpy.mockRestore());

  it('is ignored: the inline keys verify the token, and nothing is fetched', async () => {
    for (const jku of ['https://sandbox.cds-hooks.org/.well-known/jwks.json', attackerJwks]) {
      await expect(verify(await ehr.sign({ aud, header: { jku } }), [base], path)).resolves.toMatchObject({ iss: ehr.iss });
    }
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(hits).toBe(0);
  });

  it('cannot bring in a key: a token signed with the key the jku serves is refused, still without a fetch', async () => {
    // The stranger's key set is what the jku URL serves; the token claims a trusted issuer.
    const forged = await stranger.sign({ aud, header: { jku: attackerJwks }, claims: { iss: ehr.iss } });
    await expect(verify(forged, [base], path)).rejects.toThrow(/verification failed/);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(hits).toBe(0);
  });
});

describe('keys pinned beside a jwksUrl', () => {
  const ISS = 'https://pinned.example.org';
  const JWKS_URL = 'https://pinned.example.org/.well-known/jwks.json';
  let pinnedClient: TestClient;
  let fetchedClient: TestClient;
  let fetches: URL[];
  let verifyPinned: JwtVerifier;

  beforeAll(async () => {
    // One issuer, two key generations: one pinned in the file, one published at its jwksUrl.
    pinnedClient = await createTestClient(ISS);
    fetchedClient = await createTestClient(ISS);
  });
  beforeEach(() => {
    fetches = [];
    verifyPinned = createJwtVerifier({
      issuers: parseTrustedIssuers([{ iss: ISS, jwksUrl: JWKS_URL, jwks: pinnedClient.jwks }]),
      replayCache: new MemoryReplayCache(),
      clockToleranceS: 60,
      jwks: {
        fetchJwks: async (url) => {
          fetches.push(url);
          return fetchedClient.jwks;
        },
      },
    });
  });

  it('checks a token whose kid is pinned against the pinned key, without fetching', async () => {
    await expect(verifyPinned(await pinnedClient.sign({ aud }), [base], path)).resolves.toMatchObject({ iss: ISS });
    await expect(verifyPinned(await pinnedClient.sign({ aud, alg: 'RS384', header: { jku: JWKS_URL } }), [base], path)).resolves.toMatchObject({ iss: ISS });
    expect(fetches).toEqual([]);
  });

  it('checks any other kid against the keys at the jwksUrl', async () => {
    await expect(verifyPinned(await fetchedClient.sign({ aud }), [base], path)).resolves.toMatchObject({ iss: ISS });
    expect(fetches.map(String)).toEqual([JWKS_URL]);
  });

  it('does not fall back to the jwksUrl when a pinned kid fails its signature check', async () => {
    const pinnedKid = pinnedClient.jwks.keys[0]!.kid!;
    await expect(verifyPinned(await fetchedClient.sign({ aud, header: { kid: pinnedKid } }), [base], path)).rejects.toThrow(/verification failed/);
    expect(fetches).toEqual([]);
  });

  it('still refuses a jku other than the jwksUrl, even for a pinned kid', async () => {
    await expect(verifyPinned(await pinnedClient.sign({ aud, header: { jku: 'https://attacker.example.org/jwks' } }), [base], path)).rejects.toThrow(
      /jku not on the allowlist/,
    );
    expect(fetches).toEqual([]);
  });
});

describe('acceptedAudiences', () => {
  it('builds the URL called under every public base', () => {
    expect(acceptedAudiences(['http://localhost:3000', 'http://127.0.0.1:3000/'], '/cds-services/triage', [])).toEqual([
      'http://localhost:3000/cds-services/triage',
      'http://localhost:3000/cds-services/triage/',
      'http://127.0.0.1:3000/cds-services/triage',
      'http://127.0.0.1:3000/cds-services/triage/',
    ]);
  });

  it('builds the exact URL and alias variants', () => {
    expect(acceptedAudiences(['https://c.org/base'], '/cds-services', ['https://alias.org'])).toEqual([
      'https://c.org/base/cds-services',
      'https://c.org/base/cds-services/',
      'https://alias.org/cds-services',
      'https://alias.org/cds-services/',
      'https://alias.org',
    ]);
  });
});

describe('trusted issuers file', () => {
  it.each([
    [[], /empty/],
    [[{ iss: 'a' }], /needs jwksUrl, jwks, or both/],
    // Beside a jwksUrl the kid picks a pinned key or the fetched ones: a pinned key needs one.
    [[{ iss: 'a', jwksUrl: 'http://x/jwks', jwks: { keys: [{ kty: 'EC' }] } }], /\[0\.jwks\] keys pinned in jwks beside a jwksUrl each need a kid/],
    [[{ iss: 'a', jwksUrl: 'not a url' }], /jwksUrl/],
    [[{ iss: 'a', jwksUrl: 'http://x/j' }, { iss: 'a', jwksUrl: 'http://y/j' }], /listed twice/],
    [[{ iss: 'a', jwksUrl: 'http://x/j', fhirServers: ['ftp://ehr/fhir'] }], /fhirServers.*http or https/],
    [[{ iss: 'a', jwksUrl: 'http://x/j', fhirServers: ['https://ehr/fhir?tenant=1'] }], /fhirServers.*query/],
    [[{ iss: 'a', jwksUrl: 'http://x/j', fhirServers: ['/fhir'] }], /fhirServers.*absolute/],
  ])('rejects %j', (json, message) => {
    expect(() => parseTrustedIssuers(json)).toThrow(message);
  });

  it('refuses a fhirServers entry with credentials without repeating them', () => {
    const parse = () => parseTrustedIssuers([{ iss: 'a', jwksUrl: 'http://x/j', fhirServers: ['https://svc:p4ss@ehr.example.org/fhir'] }]);
    expect(parse).toThrow(/user name or password/);
    expect(parse).not.toThrow(/p4ss/);
  });

  it('normalises fhirServers, and gives an issuer without them none', () => {
    const [withServers, without] = parseTrustedIssuers([
      { iss: 'a', jwksUrl: 'http://x/j', fhirServers: ['HTTPS://EHR.Example.org:443/FHIR/R4/', 'http://0x7f000001:8090'] },
      { iss: 'b', jwksUrl: 'http://x/j' },
    ]);
    expect(withServers?.fhirServers).toEqual(['https://ehr.example.org/FHIR/R4', 'http://127.0.0.1:8090']);
    expect(without?.fhirServers).toEqual([]);
  });
});

describe('MemoryReplayCache', () => {
  it('answers true once per key within the TTL, again after expiry, and stays bounded', async () => {
    let now = 0;
    const cache = new MemoryReplayCache(10, () => now);
    expect(await cache.firstSeen('a', 1)).toBe(true);
    expect(await cache.firstSeen('a', 1)).toBe(false);
    now = 1500;
    expect(await cache.firstSeen('a', 1)).toBe(true);
    for (let i = 0; i < 100; i++) await cache.firstSeen(`k${i}`, 100);
    expect(await cache.firstSeen('k99', 100)).toBe(false);
  });
});
