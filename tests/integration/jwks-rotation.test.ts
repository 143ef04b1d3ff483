import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { createRemoteJwks, type RemoteJwksOptions } from '../../src/http/auth/remote-jwks.js';
import { MemoryReplayCache } from '../../src/http/auth/replay-cache.js';
import { parseTrustedIssuers } from '../../src/http/auth/trusted-issuers.js';
import { createJwtVerifier } from '../../src/http/auth/verify-jwt.js';
import { createTestClient, type TestClient } from '../support/jwt.js';

/**
 * A CDS client rotates its signing key: the JWKS it publishes changes, and its next token names
 * the new kid. Cairn must accept it at once (jose's shared 30 s cooldown refused it for up to
 * 30 s), while tokens with made-up kids cannot make it fetch the JWKS URL over and over.
 */
const ISS = 'https://ehr.example.org';
const aud = 'https://cairn.example.org/cds-services/triage';

let server: Server;
let jwksUrl: URL;
let published: TestClient['jwks'];
let fetches = 0;
let before: TestClient;
let after: TestClient;

beforeAll(async () => {
  // Same issuer, two key generations (createTestClient gives each its own kids).
  before = await createTestClient(ISS);
  after = await createTestClient(ISS);
  published = before.jwks;
  server = createServer((_req, res) => {
    fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(published));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  jwksUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A fresh key set on the server's URL, a clock the test moves, and a verify helper. */
function keySet(options: RemoteJwksOptions = {}) {
  published = before.jwks;
  fetches = 0;
  let clock = 1_000_000;
  const getKey = createRemoteJwks(jwksUrl, { now: () => clock, ...options });
  return {
    advance: (ms: number) => void (clock += ms),
    verify: async (client: TestClient, header: Record<string, unknown> = {}) => {
      const token = await client.sign({ aud, header });
      return jwtVerify(token, getKey, { audience: aud }).then(
        () => 'accepted',
        (err: { code?: string }) => err.code ?? 'error',
      );
    },
  };
}

describe('JWKS refetch per kid', () => {
  it('accepts a rotated key at once, right after another refetch', async () => {
    const jwks = keySet();
    expect(await jwks.verify(before)).toBe('accepted');
    expect(fetches).toBe(1);
    // A stranger's made-up kid refetches first (this started jose's shared cooldown)…
    expect(await jwks.verify(before, { kid: 'made-up' })).toBe('ERR_JWKS_NO_MATCHING_KEY');
    expect(fetches).toBe(2);
    // …then the client rotates: the new kid is fetched and accepted with no wait.
    published = after.jwks;
    expect(await jwks.verify(after)).toBe('accepted');
    expect(fetches).toBe(3);
    // Known now: no further fetch.
    expect(await jwks.verify(after)).toBe('accepted');
    expect(fetches).toBe(3);
  });

  it('refetches for one unknown kid at most once per interval', async () => {
    const jwks = keySet({ perKidIntervalMs: 60_000 });
    await jwks.verify(before);
    for (let i = 0; i < 5; i++) expect(await jwks.verify(before, { kid: 'ghost' })).toBe('ERR_JWKS_NO_MATCHING_KEY');
    expect(fetches).toBe(2);
    jwks.advance(60_000);
    expect(await jwks.verify(before, { kid: 'ghost' })).toBe('ERR_JWKS_NO_MATCHING_KEY');
    expect(fetches).toBe(3);
  });

  it('caps refetches for random kids, and a real rotation gets through once the cap refills', async () => {
    const jwks = keySet({ unknownKidBurst: 3, unknownKidRefillMs: 5_000 });
    await jwks.verify(before);
    for (let i = 0; i < 50; i++) expect(await jwks.verify(before, { kid: `random-${i}` })).toBe('ERR_JWKS_NO_MATCHING_KEY');
    expect(fetches).toBe(1 + 3);
    published = after.jwks;
    // The bucket is empty: the genuine new kid is refused too, but only until one refill.
    expect(await jwks.verify(after)).toBe('ERR_JWKS_NO_MATCHING_KEY');
    expect(fetches).toBe(4);
    jwks.advance(5_000);
    expect(await jwks.verify(after)).toBe('accepted');
    expect(fetches).toBe(5);
  });

  it('shares one fetch between concurrent tokens with the same new kid', async () => {
    const jwks = keySet();
    await jwks.verify(before);
    published = after.jwks;
    const results = await Promise.all(Array.from({ length: 10 }, () => jwks.verify(after)));
    expect(results).toEqual(Array(10).fill('accepted'));
    expect(fetches).toBe(2);
  });

  it('refetches the whole set once it is older than its maximum age (a revoked key stops working)', async () => {
    const jwks = keySet({ cacheMaxAgeMs: 600_000 });
    expect(await jwks.verify(before)).toBe('accepted');
    published = after.jwks; // `before` revoked
    jwks.advance(599_000);
    expect(await jwks.verify(before)).toBe('accepted');
    expect(fetches).toBe(1);
    jwks.advance(1_000);
    expect(await jwks.verify(before)).toBe('ERR_JWKS_NO_MATCHING_KEY');
  });

  it('the CDS client verifier accepts a rotated key on its first token', async () => {
    published = before.jwks;
    const verify = createJwtVerifier({
      issuers: parseTrustedIssuers([{ iss: ISS, jwksUrl: jwksUrl.toString() }]),
      replayCache: new MemoryReplayCache(),
      clockToleranceS: 60,
    });
    const base = 'https://cairn.example.org';
    const path = '/cds-services/triage';
    await expect(verify(await before.sign({ aud }), [base], path)).resolves.toMatchObject({ iss: ISS });
    await expect(verify(await before.sign({ aud, header: { kid: 'made-up' } }), [base], path)).rejects.toThrow(/verification failed/);
    published = after.jwks;
    await expect(verify(await after.sign({ aud }), [base], path)).resolves.toMatchObject({ iss: ISS });
  });

  it('accepts a jku equal to the jwksUrl, refuses any other before fetching, and fetches only the jwksUrl', async () => {
    published = before.jwks;
    fetches = 0;
    const verify = createJwtVerifier({
      issuers: parseTrustedIssuers([{ iss: ISS, jwksUrl: jwksUrl.toString() }]),
      replayCache: new MemoryReplayCache(),
      clockToleranceS: 60,
    });
    const base = 'https://cairn.example.org';
    const path = '/cds-services/triage';
    // Served by the same server under another path: refused all the same, and not fetched.
    const elsewhere = new URL('/other-jwks.json', jwksUrl).toString();
    await expect(verify(await before.sign({ aud, header: { jku: elsewhere } }), [base], path)).rejects.toThrow(/jku not on the allowlist/);
    expect(fetches).toBe(0);
    await expect(verify(await before.sign({ aud, header: { jku: jwksUrl.toString() } }), [base], path)).resolves.toMatchObject({ iss: ISS });
    expect(fetches).toBe(1);
  });
});
