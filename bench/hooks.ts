/**
 * `npm run bench:hooks`: the shipped CDS services as an EHR calls them, beside their ceiling, in one
 * run. Cairn runs as its own process (bench/support/serve-bench.ts: real services, the shipped
 * guideline corpus and demo trials, NODE_ENV=production), on embedded PGlite and on PostgreSQL. Each
 * request carries a demo patient's full prefetch as the service definition's templates return it
 * from the dev FHIR server (bench/support/demo-prefetch.ts):
 *   - triage: the ED patient whose vitals deteriorate (one critical card),
 *   - diagnosis: the mixed-units patient (several cards),
 *   - trial-match: the patient with HIV infection whom recruiting demo trials study (one trial card).
 * The ceiling is a bare express server in a process of its own (bench/support/bare-express.ts)
 * parsing the same body. Before each measured run, one call prints the card count (a run that
 * measures an empty answer stops the benchmark) and a short unmeasured run warms the JIT.
 *
 * Two more scenarios, on PGlite:
 *   - overload: triage at its sustainable rate (closed loop, as many connections as Cairn admits),
 *     then open loop at twice that rate: every answer must come within CAIRN_HOOK_DEADLINE_MS +
 *     100 ms, with no 5xx but the deliberate 503s of admission control;
 *   - import: triage while the same process imports the 300 demo trials (SIGUSR2 to
 *     serve-bench.ts), against triage idle just before.
 *
 * The ceiling is measured right before each Cairn run on the same body, and the ratio is of that
 * pair: on this shared 2-core machine bare express's rate moved by 2× within the hour
 * (docs/BENCHMARKS.md), so a ceiling measured minutes earlier says little about the run it divides.
 * With --rounds <n>, each pair is measured n times, alternately, and the median ratio printed.
 *
 * With --only ledger, what the issued-card ledger costs a hook call: beside the shipped Cairn runs
 * a second one whose ledger records nothing (CAIRN_BENCH_LEDGER=off, serve-bench.ts), and triage and
 * diagnosis are measured on each in turn (the order alternating by round), --rounds times; the
 * median of the rates' ratio (on / off) is what recording costs (issue #17: within 10%).
 *
 * Options: --duration <s> (default 10), --connections <n> (default 10), --rounds <n> (default 1),
 * --db pglite|postgres|both (default both), --only services|overload|import|ledger (default all but
 * ledger),
 * --service triage|diagnosis|trial-match (comma-separated; default all three: the services run,
 * for a CPU profile of one alone), --auth (each request carries its own ES384 JWT, signed before the run; default off, as the
 * service figures are about the services, not JWT verification), --cpu-prof <dir> (Cairn's
 * processes write a V8 CPU profile there when they stop: where a call's time goes), --node-args
 * "<flags>" (Node options for Cairn's processes, e.g. a V8 heap setting to compare), --from-source
 * (run the servers through tsx instead of compiling them first, as before 2026-12-06).
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startDevFhirServer } from '../dev/fhir-server/index.js';
import { DEFAULT_HOOK_IN_FLIGHT_PER_CORE } from '../src/config.js';
import { freePort, serveJwks, spawnServer, type SpawnedServer } from '../tests/e2e/support/processes.js';
import { createTestClient, type TestClient } from '../tests/support/jwt.js';
import { HOOK_SCENARIOS, demoPrefetch, loadDemoPatient } from './support/demo-prefetch.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    db: { type: 'string', default: 'both' },
    only: { type: 'string' },
    service: { type: 'string' },
    auth: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'node-args': { type: 'string' },
    'from-source': { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a whole number of at least 1');
const only = values.only;
if (only !== undefined && !['services', 'overload', 'import', 'ledger'].includes(only)) throw new Error('--only takes services, overload, import or ledger');
if (!['pglite', 'postgres', 'both'].includes(values.db)) throw new Error('--db takes pglite, postgres or both');
// --service narrows the runs to one or more services (comma-separated): a CPU profile of one service alone.
const services = values.service?.split(',').map((s) => s.trim());
const unknownService = services?.find((s) => !HOOK_SCENARIOS.some((h) => h.service === s));
if (unknownService !== undefined) throw new Error(`--service takes ${HOOK_SCENARIOS.map((h) => h.service).join(', ')} (comma-separated), not ${unknownService}`);
const databases = values.db === 'both' ? (['pglite', 'postgres'] as const) : [values.db as 'pglite' | 'postgres'];
// The ledger pairs run only when asked: two Cairns a database, and several rounds to say anything.
const wants = (part: string) => (only === undefined && part !== 'ledger') || only === part;
/** The server's default (config.ts); the overload scenario checks the deadline against it. */
const DEADLINE_MS = 1500;
const MAX_IN_FLIGHT = DEFAULT_HOOK_IN_FLIGHT_PER_CORE * os.availableParallelism();
const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PG_DATABASE = 'cairn_bench_hooks';

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
  /** req/s over the bare express server's on the same body. */
  ratio?: number;
  /**
   * CPU time the server process spent per answered call (all its threads, user + system): what a
   * call costs, which unlike req/s hardly moves when other work shares the machine's cores.
   */
  cpuMs?: number;
  /**
   * The main thread's share of cpuMs: the thread that answers every call, so what bounds req/s
   * when the other threads (embedding, the embedded database) have cores of their own.
   */
  mainCpuMs?: number;
}

interface RunOptions {
  body: string;
  tokens?: string[];
  connections?: number;
  /** Open loop: this many requests per second in all, whatever the answers' latency. */
  rate?: number;
  seconds?: number;
  /** The server's process id, to read its CPU time around the run (Linux /proc). */
  pid?: number;
}

/**
 * A process's CPU time so far (user + system, all threads) in ms, from /proc/<pid>/stat, or with
 * `mainThread` its main thread's alone (/proc/<pid>/task/<pid>/stat); undefined off Linux.
 */
async function processCpuMs(pid: number | undefined, mainThread = false): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux build Node runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_S = 100;

async function run(scenario: string, url: string, opts: RunOptions): Promise<Row> {
  let next = 0;
  const times: number[] = [];
  let shed = 0;
  let other5xx = 0;
  const cpuBefore = await processCpuMs(opts.pid);
  const mainBefore = await processCpuMs(opts.pid, true);
  const result = await autocannon({
    url,
    connections: opts.connections ?? connections,
    duration: opts.seconds ?? duration,
    ...(opts.rate !== undefined && { overallRate: opts.rate }),
    method: 'POST',
    body: opts.body,
    headers: { 'content-type': 'application/json' },
    // Every response time, so the percentiles are exact (autocannon's own summary has no p95).
    setupClient: (client) => {
      client.on('response', (status: number, _bytes: number, responseTime: number) => {
        times.push(responseTime);
        if (status === 503) shed++;
        else if (status >= 500) other5xx++;
      });
    },
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
  const cpuAfter = await processCpuMs(opts.pid);
  const mainAfter = await processCpuMs(opts.pid, true);
  times.sort((a, b) => a - b);
  const pct = (q: number) => Number((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN).toFixed(1));
  const row = {
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
    ...(cpuBefore !== undefined && cpuAfter !== undefined && times.length > 0 && { cpuMs: Number(((cpuAfter - cpuBefore) / times.length).toFixed(3)) }),
    ...(mainBefore !== undefined && mainAfter !== undefined && times.length > 0 && { mainCpuMs: Number(((mainAfter - mainBefore) / times.length).toFixed(3)) }),
  };
  // Each row as it is measured, so a run that stops early still shows what it measured.
  if (scenario !== 'warm-up') console.error(`  ${scenario}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, non-2xx ${row.non2xx}${row.cpuMs !== undefined ? `, ${row.cpuMs} CPU ms/call (main thread ${row.mainCpuMs ?? '?'})` : ''}`);
  return row;
}

interface Scenario {
  service: string;
  patient: string;
  body: string;
}

/** The hook requests, built once from the demo patients (a fresh hookInstance per body is enough: Cairn does not deduplicate hook calls). */
async function scenarios(): Promise<Scenario[]> {
  const fhir = await startDevFhirServer({});
  try {
    const out: Scenario[] = [];
    for (const s of HOOK_SCENARIOS) {
      // Triage is built always: the overload and import scenarios call it.
      if (services && !services.includes(s.service) && s.service !== 'triage') continue;
      const patientId = await loadDemoPatient(fhir, s.file);
      const body = JSON.stringify({
        hook: 'patient-view',
        hookInstance: randomUUID(),
        context: { userId: 'Practitioner/bench', patientId },
        prefetch: await demoPrefetch(fhir, s.service, patientId),
      });
      out.push({ service: s.service, patient: s.file.split('/').pop()!.replace(/\.json$/, ''), body });
    }
    return out;
  } finally {
    await fhir.close();
  }
}

async function waitReady(base: string, timeoutMs = 600_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) return;
      last = await res.text();
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Cairn at ${base} was not ready within ${timeoutMs} ms: ${last}`);
}

async function freshPostgresDatabase(suffix = ''): Promise<string> {
  const name = PG_DATABASE + suffix;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

interface Auth {
  client: TestClient;
  issuersFile: string;
  close(): Promise<void>;
}

async function presign(auth: Auth | undefined, aud: string, count: number): Promise<string[] | undefined> {
  if (!auth) return undefined;
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(await auth.client.sign({ aud, expiresInS: 900 }));
  return tokens;
}

/** Tokens for one run: enough distinct ones (each jti is accepted once) at well above the expected rate. */
const tokensFor = (auth: Auth | undefined, url: string, seconds = duration) => presign(auth, url, Math.max(2000, seconds * 2500));

/**
 * Cairn and the bare express ceiling as `npm start` runs code: compiled by tsc into .bench-build/
 * (bench/tsconfig.serve.json), then plain Node. Through tsx, every function is wrapped to keep its
 * name, which cost the hot path measurably (the wrappers showed in CPU profiles of this benchmark).
 */
function compileServers(): { cairn: string; bare: string } {
  const started = performance.now();
  console.error('compiling Cairn and the bare express server with tsc (as npm start runs them)…');
  execFileSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', join('bench', 'tsconfig.serve.json')], { stdio: 'inherit' });
  console.error(`compiled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { cairn: join('.bench-build', 'bench', 'support', 'serve-bench.js'), bare: join('.bench-build', 'bench', 'support', 'bare-express.js') };
}

async function main(): Promise<void> {
  const entries = values['from-source'] ? { cairn: 'bench/support/serve-bench.ts', bare: 'bench/support/bare-express.ts' } : compileServers();
  const requests = await scenarios();
  const dir = await mkdtemp(join(os.tmpdir(), 'cairn-bench-hooks-'));
  const rows: Row[] = [];
  const notes: string[] = [];
  const servers: SpawnedServer[] = [];
  let auth: Auth | undefined;
  try {
    if (values.auth) {
      const client = await createTestClient('https://bench-ehr.example.org');
      const jwks = await serveJwks(client.jwks);
      const issuersFile = join(dir, 'issuers.json');
      await writeFile(issuersFile, JSON.stringify([{ iss: client.iss, jwksUrl: jwks.url }]));
      auth = { client, issuersFile, close: () => jwks.close() };
    }
    const startCairn = async (name: string, env: Record<string, string> = {}) => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      console.error(`starting Cairn (${name})…`);
      const started = performance.now();
      const server = await spawnServer(
        entries.cairn,
        {
          PORT: String(port),
          HOST: '127.0.0.1',
          CAIRN_PUBLIC_URL: base,
          CAIRN_DATA_DIR: join(dir, `db-${name}`),
          CAIRN_HOOK_DEADLINE_MS: String(DEADLINE_MS),
          LOG_LEVEL: 'error',
          NODE_ENV: 'production',
          // The embedded database's thread (CAIRN_PGLITE_THREAD): passed on, to compare the two.
          ...(process.env.CAIRN_PGLITE_THREAD && { CAIRN_PGLITE_THREAD: process.env.CAIRN_PGLITE_THREAD }),
          ...(auth ? { CAIRN_REQUIRE_AUTH: 'true', CAIRN_TRUSTED_ISSUERS: auth.issuersFile } : { CAIRN_REQUIRE_AUTH: 'false' }),
          ...env,
        },
        600_000,
        [...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []), ...(values['node-args']?.split(' ').filter(Boolean) ?? [])],
      );
      servers.push(server);
      await waitReady(base);
      console.error(`Cairn (${name}) ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return { server, base };
    };

    // The ceiling, in its own process, idle while Cairn runs: each Cairn run is paired with a run of it just before.
    const bare = wants('services') ? await spawnServer(entries.bare, { NODE_ENV: 'production' }) : undefined;
    if (bare) {
      servers.push(bare);
      for (const s of requests) await run('warm-up', `${bare.url}/cds-services/${s.service}`, { body: s.body, seconds: 2 });
    }

    if (wants('ledger')) {
      for (const database of databases) rows.push(...(await ledgerPairs(database, startCairn, requests, notes)));
    }

    for (const database of databases) {
      const needsThisDb = wants('services') || (database === 'pglite' && (wants('overload') || wants('import')));
      if (!needsThisDb) continue;
      const env: Record<string, string> = database === 'postgres' ? { DATABASE_URL: await freshPostgresDatabase() } : {};
      const { server, base } = await startCairn(database, env);
      if (wants('services')) {
        for (const s of requests) {
          if (services && !services.includes(s.service)) continue;
          const url = `${base}/cds-services/${s.service}`;
          const [token] = (await presign(auth, url, 1)) ?? [];
          const first = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
            body: s.body,
          });
          const answer = (await first.json()) as { cards?: unknown[] };
          const cards = answer.cards?.length ?? 0;
          console.error(`${database} ${s.service} (${s.patient}): HTTP ${first.status}, ${cards} card(s)`);
          if (first.status !== 200 || cards === 0) throw new Error(`${s.service} gave no card for ${s.patient}: the run would measure an empty answer`);
          await run('warm-up', url, { body: s.body, seconds: 3, ...(auth && { tokens: await tokensFor(auth, url, 3) }) });
          const ratios: number[] = [];
          for (let round = 1; round <= rounds; round++) {
            const of = rounds > 1 ? `, round ${round} of ${rounds}` : '';
            const ceiling = await run(`bare express, ${s.service} body (${s.body.length} bytes)${of}`, `${bare!.url}/cds-services/${s.service}`, { body: s.body, pid: bare!.process.pid });
            rows.push(ceiling);
            const row = await run(`Cairn ${s.service} (${s.patient}, ${cards} card${cards === 1 ? '' : 's'}), ${database}${auth ? ', JWT' : ''}${of}`, url, {
              body: s.body,
              pid: server.process.pid,
              ...(auth && { tokens: await tokensFor(auth, url) }),
            });
            if (ceiling.rps > 0) {
              row.ratio = Number((row.rps / ceiling.rps).toFixed(2));
              ratios.push(row.ratio);
            }
            rows.push(row);
          }
          if (rounds > 1 && ratios.length > 0) {
            notes.push(`${s.service}, ${database}: × bare express by round ${ratios.join(', ')}; median ${median(ratios).toFixed(2)}${s.service === 'trial-match' ? '' : ' (issue #15 target: ≥ 0.25)'}.`);
          }
        }
      }
      if (database === 'pglite') {
        const triage = requests.find((s) => s.service === 'triage')!;
        if (wants('overload')) rows.push(...(await overload(`${base}/cds-services/triage`, triage.body, auth, notes)));
        if (wants('import')) rows.push(...(await duringImport(server, `${base}/cds-services/triage`, triage.body, auth, notes)));
      }
      await server.stop();
    }
  } finally {
    for (const server of servers) await server.stop();
    await auth?.close();
    await rm(dir, { recursive: true, force: true });
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`\nbench:hooks — ${new Date().toISOString()} — ${os.cpus().length} × ${cpu}, Node ${process.version}, ${connections} connections, ${duration} s each, load average ${load}\n`);
  console.log('| scenario | req/s | × bare | CPU ms/call (main thread) | p50 ms | p95 ms | p99 ms | max ms | errors | non-2xx | 503 shed | other 5xx |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${r.rps} | ${r.ratio ?? ''} | ${r.cpuMs ?? ''}${r.mainCpuMs !== undefined ? ` (${r.mainCpuMs})` : ''} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} | ${r.errors} | ${r.non2xx} | ${r.shed} | ${r.other5xx} |`);
  }
  for (const note of notes) console.log(`\n${note}`);
  console.log(JSON.stringify({ bench: 'hooks', date: new Date().toISOString(), connections, duration, deadlineMs: DEADLINE_MS, maxInFlight: MAX_IN_FLIGHT, auth: !!auth, rows }));
}

/**
 * Triage's sustainable rate (closed loop, as many connections as calls admitted), then twice that
 * rate, open loop, with enough connections that the open loop never runs short while answers are slow.
 */
async function overload(url: string, body: string, auth: Auth | undefined, notes: string[]): Promise<Row[]> {
  const sustained = await run(`triage, sustainable: ${MAX_IN_FLIGHT} connections, closed loop`, url, {
    body,
    connections: MAX_IN_FLIGHT,
    ...(auth && { tokens: await tokensFor(auth, url) }),
  });
  const rate = 2 * sustained.rps;
  const count = Math.ceil(rate * duration * 1.5) + 100;
  const doubled = await run(`triage at 2× (${rate} req/s open loop), admission control on (defaults)`, url, {
    body,
    connections: 8 * MAX_IN_FLIGHT,
    rate,
    ...(auth && { tokens: await presign(auth, url, count) }),
  });
  const held = doubled.p99 <= DEADLINE_MS + 100 && doubled.other5xx === 0 && doubled.errors === 0;
  notes.push(
    `Deadline at 2× load: ${held ? 'held' : 'NOT held'}: p99 ${doubled.p99} ms against CAIRN_HOOK_DEADLINE_MS + 100 = ${DEADLINE_MS + 100} ms, ` +
      `${doubled.shed} deliberate 503s, ${doubled.other5xx} other 5xx, ${doubled.errors} connection errors.`,
  );
  return [sustained, doubled];
}

/**
 * The ledger's cost: the shipped Cairn and one whose ledger records nothing, both up (the idle one
 * costs nothing), measured alternately on the same body, on, off then off, on, and so on.
 */
async function ledgerPairs(
  database: 'pglite' | 'postgres',
  startCairn: (name: string, env?: Record<string, string>) => Promise<{ server: SpawnedServer; base: string }>,
  requests: readonly Scenario[],
  notes: string[],
): Promise<Row[]> {
  const dbEnv = async (): Promise<Record<string, string>> => (database === 'postgres' ? { DATABASE_URL: await freshPostgresDatabase() } : {});
  const on = await startCairn(`${database}-ledger-on`, await dbEnv());
  // PostgreSQL: one database each (freshPostgresDatabase drops and makes its database anew).
  const off = await startCairn(`${database}-ledger-off`, { ...(database === 'postgres' ? { DATABASE_URL: await freshPostgresDatabase('_off') } : {}), CAIRN_BENCH_LEDGER: 'off' });
  const rows: Row[] = [];
  try {
    for (const s of requests.filter((r) => r.service !== 'trial-match' && (!services || services.includes(r.service)))) {
      const ratios: number[] = [];
      const cpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
      for (const server of [on, off]) {
        await run('warm-up', `${server.base}/cds-services/${s.service}`, { body: s.body, seconds: 3 });
      }
      for (let round = 1; round <= rounds; round++) {
        const order = round % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const);
        const got: Partial<Record<'on' | 'off', Row>> = {};
        for (const which of order) {
          const server = which === 'on' ? on : off;
          const row = await run(`Cairn ${s.service}, ${database}, ledger ${which}, round ${round} of ${rounds}`, `${server.base}/cds-services/${s.service}`, {
            body: s.body,
            pid: server.server.process.pid,
          });
          got[which] = row;
          if (row.cpuMs !== undefined) cpu[which].push(row.cpuMs);
          rows.push(row);
        }
        if (got.on && got.off && got.off.rps > 0) {
          got.on.ratio = Number((got.on.rps / got.off.rps).toFixed(2));
          ratios.push(got.on.ratio);
        }
      }
      const cpuNote = cpu.on.length > 0 && cpu.off.length > 0 ? `; CPU ms a call, median, on ${median(cpu.on).toFixed(2)} against off ${median(cpu.off).toFixed(2)} (${((median(cpu.on) / median(cpu.off) - 1) * 100).toFixed(0)}%)` : '';
      notes.push(
        `Ledger, ${s.service}, ${database}: req/s on / off by round ${ratios.join(', ')}; median ${median(ratios).toFixed(2)}, ` +
          `the ledger's cost ${((1 - median(ratios)) * 100).toFixed(0)}% (issue #17: ≤ 10%)${cpuNote}.`,
      );
    }
  } finally {
    await on.server.stop();
    await off.server.stop();
  }
  return rows;
}

/** Triage idle, then while the same process imports the 300 demo trials. */
async function duringImport(server: SpawnedServer, url: string, body: string, auth: Auth | undefined, notes: string[]): Promise<Row[]> {
  // Warm first: with --only import nothing ran before, and a cold start (JIT, the first calls shed
  // while start-up's event-loop delay is forgotten) would inflate the idle p99 this is divided by.
  await run('warm-up', url, { body, seconds: 3, ...(auth && { tokens: await tokensFor(auth, url, 3) }) });
  const idle = await run('triage, idle (before the import)', url, { body, ...(auth && { tokens: await tokensFor(auth, url) }) });
  const tokens = await tokensFor(auth, url);
  const outputBefore = server.output().length;
  server.process.kill('SIGUSR2');
  const during = await run('triage while the same process imports the 300 demo trials', url, { body, ...(tokens && { tokens }) });
  // The import must still have been running at the end of the run, or the figure covers idle time too.
  const finished = /\{"imported":(\d+)[^}]*"ms":(\d+)\}/.exec(server.output().slice(outputBefore));
  const failed = /\{"importFailed":"([^"]*)"\}/.exec(server.output().slice(outputBefore));
  if (failed) throw new Error(`the in-process import failed: ${failed[1]}`);
  notes.push(
    `Import beside the hooks: triage p99 ${during.p99} ms while importing against ${idle.p99} ms idle (${(during.p99 / idle.p99).toFixed(2)}×; target ≤ 2×). ` +
      (finished ? `The import finished within the run (${finished[2]} ms), so part of the run was idle.` : 'The import was still running when the run ended.'),
  );
  return [idle, during];
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
