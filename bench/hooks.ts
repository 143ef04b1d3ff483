/**
 * `npm run bench:hooks`: autocannon against Cairn running as its own process (auth on, PGlite),
 * for discovery and for one service call with a ~36 KB prefetch, beside a bare express server
 * answering the same request (the ceiling on this machine). JWTs are signed before the run, one
 * per request (each jti is accepted once), so signing cost stays out of the measurement.
 *
 * Options: --duration <s> (default 10), --connections <n> (default 10).
 */
import autocannon from 'autocannon';
import express from 'express';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, serveJwks, spawnServer } from '../tests/e2e/support/processes.js';
import { createTestClient, type TestClient } from '../tests/support/jwt.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);

/** A patient-view request whose prefetch (patient + vital signs) is about 36 KB of JSON. */
function hookBody(): string {
  const entries = [];
  for (let i = 0; entries.length < 1000; i++) {
    entries.push({
      resource: {
        resourceType: 'Observation',
        id: `bench-obs-${i}`,
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
        subject: { reference: 'Patient/bench-1' },
        effectiveDateTime: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
        valueQuantity: { value: 60 + (i % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      },
    });
    const body = JSON.stringify(makeRequest(entries));
    if (body.length >= 36 * 1024) return body;
  }
  throw new Error('unreachable');
}
function makeRequest(entries: unknown[]) {
  return {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/bench', patientId: 'bench-1' },
    prefetch: {
      patient: { resourceType: 'Patient', id: 'bench-1', gender: 'female', birthDate: '1970-01-01' },
      vitals: { resourceType: 'Bundle', type: 'searchset', entry: entries },
    },
  };
}

async function presign(client: TestClient, aud: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(await client.sign({ aud, expiresInS: 600 }));
  return tokens;
}

interface Row { scenario: string; rps: number; p50: number; p95: number; p99: number; errors: number; non2xx: number }

async function run(scenario: string, url: string, opts: { method?: 'GET' | 'POST'; body?: string; tokens?: string[] }): Promise<Row> {
  let next = 0;
  const times: number[] = [];
  const result = await autocannon({
    url,
    connections,
    duration,
    method: opts.method ?? 'GET',
    // Every response time, so the percentiles are exact (autocannon's own summary has no p95).
    setupClient: (client) => {
      client.on('response', (_status: number, _bytes: number, responseTime: number) => times.push(responseTime));
    },
    ...(opts.body !== undefined && { body: opts.body, headers: { 'content-type': 'application/json' } }),
    requests: [
      {
        setupRequest: (req) => {
          if (!opts.tokens) return req;
          const token = opts.tokens[next++ % opts.tokens.length];
          return { ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } };
        },
      },
    ],
  });
  times.sort((a, b) => a - b);
  const pct = (q: number) => Number((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN).toFixed(1));
  return {
    scenario,
    rps: Math.round(result.requests.average),
    p50: pct(0.5),
    p95: pct(0.95),
    p99: pct(0.99),
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const body = hookBody();
  const rows: Row[] = [];

  // Ceiling: a bare express server parsing and answering the same 36 KB request.
  const bare = express();
  bare.use(express.json({ limit: '10mb' }));
  bare.post('/cds-services/x', (req, res) => {
    res.json({ cards: [], received: Object.keys(req.body as object).length });
  });
  const barePort = await freePort();
  const bareServer = bare.listen(barePort, '127.0.0.1');
  rows.push(await run('bare express, 36 KB POST', `http://127.0.0.1:${barePort}/cds-services/x`, { method: 'POST', body }));
  bareServer.close();

  const ehr = await createTestClient('https://bench-ehr.example.org');
  const jwks = await serveJwks(ehr.jwks);
  const dir = await mkdtemp(join(os.tmpdir(), 'cairn-bench-'));
  await writeFile(join(dir, 'issuers.json'), JSON.stringify([{ iss: ehr.iss, jwksUrl: jwks.url }]));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const cairn = await spawnServer('tests/e2e/support/serve-test.ts', {
    PORT: String(port),
    HOST: '127.0.0.1',
    CAIRN_PUBLIC_URL: base,
    CAIRN_TRUSTED_ISSUERS: join(dir, 'issuers.json'),
    CAIRN_REQUIRE_AUTH: 'true',
    CAIRN_DATA_DIR: join(dir, 'db'),
    CAIRN_SERVICES_DIR: 'tests/e2e/fixtures/services',
    // The test services quote nothing; a tiny corpus keeps start-up short.
    CAIRN_GUIDELINES_DIR: 'tests/fixtures/guidelines',
    CAIRN_TRIALS: 'none',
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
  });
  try {
    // Enough distinct tokens for the whole run at well above the expected rate.
    const perRun = Math.max(2000, duration * 3000);
    console.error(`signing ${perRun * 2} tokens…`);
    const discoveryTokens = await presign(ehr, `${base}/cds-services`, perRun);
    const hookTokens = await presign(ehr, `${base}/cds-services/record-summary`, perRun);
    rows.push(await run('Cairn discovery (JWT)', `${base}/cds-services`, { tokens: discoveryTokens }));
    rows.push(await run('Cairn hook, 36 KB prefetch (JWT)', `${base}/cds-services/record-summary`, { method: 'POST', body, tokens: hookTokens }));
  } finally {
    await cairn.stop();
    await jwks.close();
    await rm(dir, { recursive: true, force: true });
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nbench:hooks — ${new Date().toISOString()} — ${os.cpus().length} × ${cpu}, Node ${process.version}, ${connections} connections, ${duration} s each, body ${body.length} bytes\n`);
  console.log('| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | non-2xx |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.errors} | ${r.non2xx} |`);
  console.log(JSON.stringify({ bench: 'hooks', date: new Date().toISOString(), connections, duration, bodyBytes: body.length, rows }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
