/**
 * The authentication middleware's refusals as an operator reads them: a bare 401 to the client,
 * and one warn line saying why. A refused `aud` names the value received and the values accepted
 * (the usual fix is CAIRN_PUBLIC_URL), never the token.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryReplayCache } from '../../src/http/auth/replay-cache.js';
import { parseTrustedIssuers } from '../../src/http/auth/trusted-issuers.js';
import { createJwtVerifier } from '../../src/http/auth/verify-jwt.js';
import { authenticate } from '../../src/http/authenticate.js';
import { createLogger } from '../../src/log.js';
import { createTestClient, type TestClient } from '../support/jwt.js';

const PUBLIC_URLS = ['http://localhost:3000', 'https://cairn.example.org'];
const PATH = '/cds-services/triage';

let ehr: TestClient;
let server: Server;
let base: string;
const lines: Array<Record<string, unknown> & { raw: string }> = [];

beforeAll(async () => {
  ehr = await createTestClient('https://ehr.example.org');
  const verifier = createJwtVerifier({
    issuers: parseTrustedIssuers([{ iss: ehr.iss, jwks: ehr.jwks }]),
    replayCache: new MemoryReplayCache(),
    clockToleranceS: 60,
  });
  // The service's own logger (its redaction included), writing to this test instead of stdout.
  const log = createLogger('info', { write: (line: string) => void lines.push({ ...(JSON.parse(line) as Record<string, unknown>), raw: line }) });
  const app = express();
  app.use('/cds-services', authenticate({ verifier, publicUrls: PUBLIC_URLS, log }));
  app.post('/cds-services/:id', (_req, res) => void res.json({ cards: [] }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => void (lines.length = 0));

const call = (token: string) => fetch(`${base}${PATH}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });

describe('authenticate', () => {
  it('logs a refused aud with the value received and the values expected, and never the token', async () => {
    // What an EHR sends when it was given 127.0.0.1 while Cairn knows itself as localhost only.
    const received = `http://127.0.0.1:3000${PATH}`;
    const token = await ehr.sign({ aud: received });
    const res = await call(token);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('');

    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({ level: 40, msg: 'rejected CDS client', path: PATH, reason: 'verification failed: aud not accepted' });
    expect(line.aud).toEqual({
      received,
      expected: [`http://localhost:3000${PATH}`, `http://localhost:3000${PATH}/`, `https://cairn.example.org${PATH}`, `https://cairn.example.org${PATH}/`],
    });
    // Not the token, nor any of its three parts (the signature alone would do as a fingerprint).
    for (const part of [token, ...token.split('.')]) expect(line.raw).not.toContain(part);
  });

  it('logs an array aud as received', async () => {
    const received = ['https://elsewhere.example.org/cds-services/triage', 'urn:x'];
    expect((await call(await ehr.sign({ aud: received }))).status).toBe(401);
    expect(lines[0]?.aud).toMatchObject({ received });
  });

  it('accepts the path called under any of the public base URLs, and logs nothing', async () => {
    for (const publicUrl of PUBLIC_URLS) expect((await call(await ehr.sign({ aud: `${publicUrl}${PATH}` }))).status).toBe(200);
    expect(lines).toEqual([]);
  });
});
