/**
 * Cairn called the way the public CDS Hooks Sandbox calls a service: every request carries a JWT
 * signed with ES384 whose header names the sandbox's JWKS in `jku`, and whose `aud` is the URL
 * the user typed into the sandbox. Here that URL uses 127.0.0.1 while Cairn's first public base
 * URL is localhost, and the sandbox's keys are configured inline (an offline set-up), so the jku
 * URL, unreachable from here, must not be fetched.
 *
 * The whole server runs in this process, configured through its environment (loadConfig), with
 * the shipped services, their real logic and the real guideline corpus; only the embedding model
 * is the test's hashing one, so that start-up takes seconds.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import { loadConfig } from '../../src/config.js';
import type { Card } from '../../src/hooks/schema.js';
import { createLogger } from '../../src/log.js';
import { startCairn, type RunningCairn } from '../../src/server.js';
import { freePort } from '../e2e/support/processes.js';
import { observation, patient } from '../support/fhir-builders.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { repoPath } from '../support/repo-root.js';

const SANDBOX_ISS = 'https://sandbox.cds-hooks.org';
/** Where the sandbox says its keys are; never reachable from the test machine, and never to be fetched. */
const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';
const PATIENT_ID = 'sandbox-patient-1';

let privateKey: CryptoKey;
let kid: string;
let dir: string;
let port: number;
let cairn: RunningCairn;
const logLines: Array<Record<string, unknown>> = [];
let fetchSpy: ReturnType<typeof jest.spyOn>;

/** A token as the sandbox makes one for a call to `aud`: ES384, its kid and jku, a 5-minute life, a fresh jti. */
async function sandboxToken(aud: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: SANDBOX_ISS, sub: 'sandbox-client', aud, exp: now + 300, iat: now, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid, jku: SANDBOX_JKU })
    .sign(privateKey);
}

/** The sandbox's patient-view call, with the triage service's prefetch filled in. */
function hookRequest(): Record<string, unknown> {
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const vital = (id: string, code: string, value: number, unit: string) =>
    observation({ id, code, category: 'vital-signs', patient: PATIENT_ID, date: minutesAgo(10), value, unit });
  const observations = [
    vital('rr', '9279-1', 30, '/min'),
    vital('spo2', '59408-5', 86, '%'),
    vital('hr', '8867-4', 132, '/min'),
    vital('sbp', '8480-6', 84, 'mm[Hg]'),
    vital('temp', '8310-5', 39.4, 'Cel'),
  ];
  const bundle = (resources: unknown[]) => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });
  return {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    // The sandbox names its FHIR server; this issuer is allowed none, so Cairn works from prefetch alone.
    fhirServer: 'https://launch.smarthealthit.org/v/r4/fhir',
    context: { userId: 'Practitioner/sandbox-practitioner', patientId: PATIENT_ID },
    prefetch: {
      patient: patient({ id: PATIENT_ID, gender: 'female', birthDate: '1951-03-14' }),
      observations: bundle(observations),
      encounters: bundle([]),
      conditions: bundle([]),
    },
  };
}

beforeAll(async () => {
  const keys = await generateKeyPair('ES384', { extractable: true });
  privateKey = keys.privateKey;
  kid = randomUUID();
  // The sandbox's public key, copied into the trusted issuers file as an operator would.
  const publicJwk = { ...(await exportJWK(keys.publicKey)), kid, use: 'sig', alg: 'ES384' };
  dir = await mkdtemp(join(tmpdir(), 'cairn-sandbox-interop-'));
  const issuersFile = join(dir, 'trusted-issuers.json');
  await writeFile(issuersFile, JSON.stringify([{ iss: SANDBOX_ISS, jwks: { keys: [publicJwk] } }]));

  port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    // localhost first (what links are built on); the sandbox was given the 127.0.0.1 form.
    CAIRN_PUBLIC_URL: `http://localhost:${port}, http://127.0.0.1:${port}/`,
    CAIRN_REQUIRE_AUTH: 'true',
    CAIRN_TRUSTED_ISSUERS: issuersFile,
    CAIRN_DATA_DIR: 'memory://',
    CAIRN_SERVICES_DIR: repoPath('cds-hooks'),
    CAIRN_GUIDELINES_DIR: repoPath('guidelines'),
    CAIRN_VECTORS_DIR: 'none',
    CAIRN_TRIALS: 'none',
    // Generous: admission control (503 when the event loop lags) is not under test, and this
    // process runs jest too.
    CAIRN_HOOK_DEADLINE_MS: '10000',
    CAIRN_HOOK_MAX_WAIT_MS: '9000',
  });
  const log = createLogger('info', { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  cairn = await startCairn(config, log, { embeddings: new HashingEmbeddings() });
  await cairn.ready;
}, 60_000);

afterAll(async () => {
  await cairn?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  fetchSpy = jest.spyOn(globalThis, 'fetch');
});
afterEach(() => fetchSpy.mockRestore());

/** Every URL fetched in this process during the test, but the test's own calls to Cairn. */
const outboundFetches = () =>
  fetchSpy.mock.calls
    .map(([input]: unknown[]) => (input instanceof Request ? input.url : String(input)))
    .filter((url: string) => !url.startsWith(`http://127.0.0.1:${port}/`));

describe('a call signed as the CDS Hooks Sandbox signs it', () => {
  it('is accepted with inline keys (the jku is never fetched) and an aud under the second public base URL', async () => {
    const url = `http://127.0.0.1:${port}/cds-services/triage`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await sandboxToken(url)}` },
      body: JSON.stringify(hookRequest()),
    });
    const body = (await res.json()) as { cards: Card[] };
    expect(res.status).toBe(200);
    expect(checkCdsResponse(body)).toEqual([]);
    // The real triage logic ran on the prefetched vitals (RR 30, SpO2 86 %, SBP 84: NEWS2 far above 7).
    expect(body.cards.map((c) => c.indicator)).toContain('critical');
    expect(outboundFetches()).toEqual([]);
    expect(logLines.filter((l) => l.msg === 'rejected CDS client')).toEqual([]);
  });

  it('logged the accepted audience bases once at start-up', () => {
    const lines = logLines.filter((l) => Array.isArray(l.audienceBases));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.audienceBases).toEqual([`http://localhost:${port}`, `http://127.0.0.1:${port}`]);
  });

  it('refuses an aud under a base URL Cairn was not given, and logs what it received and expected', async () => {
    const url = `http://127.0.0.1:${port}/cds-services/triage`;
    const aud = `http://cairn.internal:${port}/cds-services/triage`;
    const token = await sandboxToken(aud);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(hookRequest()),
    });
    expect(res.status).toBe(401);
    const refusal = logLines.find((l) => l.msg === 'rejected CDS client');
    expect(refusal).toMatchObject({ reason: 'verification failed: aud not accepted', aud: { received: aud, expected: expect.arrayContaining([url]) as unknown } });
    expect(JSON.stringify(refusal)).not.toContain(token.split('.')[2]);
    expect(outboundFetches()).toEqual([]);
  });
});
