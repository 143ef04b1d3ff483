/**
 * `npm run bench:hooks`: autocannon against Cairn running as its own process (auth on, PGlite),
 * for discovery and for one service call with a ~36 KB prefetch, beside a bare express server
 * answering the same request (the ceiling on this machine). JWTs are signed before the run, one
 * per request (each jti is accepted once), so signing cost stays out of the measurement.
 *
 * The overload scenario: the test-only `busy` service (BUSY_CPU_MS of CPU per call, like the real
 * services' context building and retrieval) first at its sustainable rate (closed loop, as many
 * connections as Cairn admits calls), then open loop at twice that rate, with admission control
 * (the defaults) and without it (limits out of reach), to show that the hook deadline holds only
 * with it: every answer within CAIRN_HOOK_DEADLINE_MS + 100 ms, no 5xx but the deliberate 503s.
 *
 * Options: --duration <s> (default 10), --connections <n> (default 10),
 * --only baseline|overload (default both).
 */
import autocannon from 'autocannon';
import express from 'express';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HOOK_IN_FLIGHT_PER_CORE } from '../src/config.js';
import { freePort, serveJwks, spawnServer, type SpawnedServer } from '../tests/e2e/support/processes.js';
import { BUSY_CPU_MS } from '../tests/e2e/support/test-services.js';
import { createTestClient, type TestClient } from '../tests/support/jwt.js';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' }, only: { type: 'string' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const only = values.only;
if (only !== undefined && only !== 'baseline' && only !== 'overload') throw new Error('--only takes baseline or overload');
/** The server's default (config.ts); the overload scenario checks the deadline against it. */
const DEADLINE_MS = 1500;
const MAX_IN_FLIGHT = DEFAULT_HOOK_IN_FLIGHT_PER_CORE * os.availableParallelism();

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

interface Row {
  scenario: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  /** Deliberate refusals (admission control). */
  shed: number;
  /** Any other 5xx: must stay 0. */
  other5xx: number;
  /** p99 of the 200 answers and of the 503 refusals alone. */
  p99ok: number;
  p99shed: number;
}

interface RunOptions {
  method?: 'GET' | 'POST';
  body?: string;
  tokens?: string[];
  connections?: number;
  /** Open loop: this many requests per second in all, whatever the answers' latency. */
  rate?: number;
}

async function run(scenario: string, url: string, opts: RunOptions): Promise<Row> {
  let next = 0;
  const times: number[] = [];
  const okTimes: number[] = [];
  const shedTimes: number[] = [];
  let shed = 0;
  let other5xx = 0;
  const result = await autocannon({
    url,
    connections: opts.connections ?? connections,
    duration,
    ...(opts.rate !== undefined && { overallRate: opts.rate }),
    method: opts.method ?? 'GET',
    // Every response time, so the percentiles are exact (autocannon's own summary has no p95).
    setupClient: (client) => {
      client.on('response', (status: number, _bytes: number, responseTime: number) => {
        times.push(responseTime);
        if (status === 200) okTimes.push(responseTime);
        if (status === 503) shedTimes.push(responseTime);
        if (status === 503) shed++;
        else if (status >= 500) other5xx++;
      });
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
  for (const list of [times, okTimes, shedTimes]) list.sort((a, b) => a - b);
  const pct = (q: number, list = times) => Number((list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? NaN).toFixed(1));
  return {
    scenario,
    rps: Math.round(result.requests.average),
    p50: pct(0.5),
    p95: pct(0.95),
    p99: pct(0.99),
    max: Number((times.at(-1) ?? NaN).toFixed(1)),
    errors: result.errors,
    non2xx: result.non2xx,
    shed,
    other5xx,
    p99ok: pct(0.99, okTimes),
    p99shed: pct(0.99, shedTimes),
  };
}

async function main(): Promise<void> {
  const body = hookBody();
  const rows: Row[] = [];

  if (only !== 'overload') {
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
  }

  const ehr = await createTestClient('https://bench-ehr.example.org');
  const jwks = await serveJwks(ehr.jwks);
  const dir = await mkdtemp(join(os.tmpdir(), 'cairn-bench-'));
  await writeFile(join(dir, 'issuers.json'), JSON.stringify([{ iss: ehr.iss, jwksUrl: jwks.url }]));
  // The e2e services plus `busy`, which only this benchmark declares.
  await mkdir(join(dir, 'services'));
  await copyFile('tests/e2e/fixtures/services/record-summary.json', join(dir, 'services', 'record-summary.json'));
  await writeFile(
    join(dir, 'services', 'busy.json'),
    JSON.stringify({ id: 'busy', hook: 'patient-view', title: 'Busy service (bench only)', description: `${BUSY_CPU_MS} ms of CPU per call.` }),
  );
  const startCairn = async (name: string, env: Record<string, string> = {}) => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = await spawnServer('tests/e2e/support/serve-test.ts', {
      PORT: String(port),
      HOST: '127.0.0.1',
      CAIRN_PUBLIC_URL: base,
      CAIRN_TRUSTED_ISSUERS: join(dir, 'issuers.json'),
      CAIRN_REQUIRE_AUTH: 'true',
      CAIRN_DATA_DIR: join(dir, `db-${name}`),
      CAIRN_SERVICES_DIR: join(dir, 'services'),
      // The test services quote nothing; a tiny corpus keeps start-up short.
      CAIRN_GUIDELINES_DIR: 'tests/fixtures/guidelines',
      CAIRN_TRIALS: 'none',
      CAIRN_HOOK_DEADLINE_MS: String(DEADLINE_MS),
      LOG_LEVEL: 'error',
      NODE_ENV: 'production',
      ...env,
    });
    return { server, base };
  };
  const servers: SpawnedServer[] = [];
  try {
    const { server: cairn, base } = await startCairn('admission');
    servers.push(cairn);
    if (only !== 'overload') {
      // Enough distinct tokens for the whole run at well above the expected rate.
      const perRun = Math.max(2000, duration * 3000);
      console.error(`signing ${perRun * 2} tokens…`);
      const discoveryTokens = await presign(ehr, `${base}/cds-services`, perRun);
      const hookTokens = await presign(ehr, `${base}/cds-services/record-summary`, perRun);
      rows.push(await run('Cairn discovery (JWT)', `${base}/cds-services`, { tokens: discoveryTokens }));
      rows.push(await run('Cairn hook, 36 KB prefetch (JWT)', `${base}/cds-services/record-summary`, { method: 'POST', body, tokens: hookTokens }));
    }
    if (only !== 'baseline') rows.push(...(await overload(ehr, base, body, startCairn, servers)));
  } finally {
    for (const server of servers) await server.stop();
    await jwks.close();
    await rm(dir, { recursive: true, force: true });
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nbench:hooks — ${new Date().toISOString()} — ${os.cpus().length} × ${cpu}, Node ${process.version}, ${connections} connections, ${duration} s each, body ${body.length} bytes\n`);
  console.log('| scenario | req/s | p50 ms | p95 ms | p99 ms | max ms | p99 of 200s | p99 of 503s | errors | non-2xx | 503 shed | other 5xx |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} | ${r.p99ok} | ${r.p99shed} | ${r.errors} | ${r.non2xx} | ${r.shed} | ${r.other5xx} |`,
    );
  }
  console.log(JSON.stringify({ bench: 'hooks', date: new Date().toISOString(), connections, duration, bodyBytes: body.length, deadlineMs: DEADLINE_MS, maxInFlight: MAX_IN_FLIGHT, rows }));
}

/**
 * The sustainable rate of the busy service (closed loop, as many connections as calls admitted),
 * then twice that rate, open loop, with and without admission control. Enough connections that
 * the open loop is never short of one while answers are slow.
 */
async function overload(
  ehr: TestClient,
  base: string,
  body: string,
  startCairn: (name: string, env?: Record<string, string>) => Promise<{ server: SpawnedServer; base: string }>,
  servers: SpawnedServer[],
): Promise<Row[]> {
  const rows: Row[] = [];
  const path = '/cds-services/busy';
  const sustainTokens = await presign(ehr, `${base}${path}`, duration * 1000);
  const sustained = await run(`busy (${BUSY_CPU_MS} ms CPU), sustainable: ${MAX_IN_FLIGHT} connections`, `${base}${path}`, {
    method: 'POST',
    body,
    tokens: sustainTokens,
    connections: MAX_IN_FLIGHT,
  });
  rows.push(sustained);
  const rate = 2 * sustained.rps;
  const overloadConnections = 8 * MAX_IN_FLIGHT;
  const count = Math.ceil(rate * duration * 1.5) + 100;
  console.error(`overload at ${rate} req/s: signing ${count * 2} tokens…`);
  const tokens = await presign(ehr, `${base}${path}`, count);
  rows.push(await run(`busy at 2× (${rate} req/s), admission on (defaults)`, `${base}${path}`, { method: 'POST', body, tokens, connections: overloadConnections, rate }));

  const { server, base: baseOff } = await startCairn('no-admission', {
    CAIRN_HOOK_MAX_IN_FLIGHT: '10000',
    CAIRN_HOOK_MAX_WAIT_MS: String(DEADLINE_MS - 1),
  });
  servers.push(server);
  const tokensOff = await presign(ehr, `${baseOff}${path}`, count);
  rows.push(
    await run(`busy at 2× (${rate} req/s), admission off`, `${baseOff}${path}`, { method: 'POST', body, tokens: tokensOff, connections: overloadConnections, rate }),
  );

  // The server's own view: why calls were shed, and how many admitted calls it answered within the
  // deadline (its histogram bucket), which tells queueing inside Cairn from queueing before it.
  const exposition = (await (await fetch(`${base}/metrics`)).text()).split('\n');
  const shedLines = exposition.filter((l) => l.startsWith('cairn_hook_shed_total{'));
  console.error(`shed by reason (admission on): ${shedLines.join(', ') || 'none'}`);
  const bucket = (le: string) =>
    exposition
      .filter((l) => l.startsWith('cairn_hook_duration_seconds_bucket{') && l.includes(`le="${le}"`) && l.includes('service="busy"'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  const lag = exposition.filter((l) => /^cairn_nodejs_eventloop_lag_(max|p99)_seconds /.test(l));
  console.error(`event-loop delay since start (admission on): ${lag.join(', ')}`);
  console.error(`server side (admission on): ${bucket('1.5')} of ${bucket('+Inf')} admitted busy calls answered within ${DEADLINE_MS / 1000} s of reaching Cairn`);
  const held = rows[1];
  if (held) {
    const ok = held.p99 <= DEADLINE_MS + 100 && held.other5xx === 0 && held.errors === 0;
    console.error(`deadline ${ok ? 'held' : 'NOT held'} with admission on: p99 ${held.p99} ms (limit ${DEADLINE_MS + 100}), other 5xx ${held.other5xx}, errors ${held.errors}`);
  }
  return rows;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
