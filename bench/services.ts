/**
 * `npm run bench:services`: autocannon against the shipped `triage` and `diagnosis` services
 * (real logic, real guideline corpus, embedded PGlite database, auth off), each called with a demo
 * patient's full prefetch: the ED patient whose vitals deteriorate (triage) and the mixed-units
 * patient (diagnosis), shifted so their latest times are now (support/demo-prefetch.ts). The
 * prefetch is what the service definitions' templates return from the dev FHIR server, so the
 * services fetch nothing. Before
 * the runs, each service is called once and its card count printed, so a run that measures an
 * empty answer is visible.
 *
 * Options: --duration <s> (default 10), --connections <n> (default 10).
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDevFhirServer } from '../dev/fhir-server/index.js';
import { freePort, spawnServer } from '../tests/e2e/support/processes.js';
import { DEMO_SCENARIOS, demoPrefetch, loadDemoPatient } from './support/demo-prefetch.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);

interface Row { scenario: string; rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function run(scenario: string, url: string, body: string): Promise<Row> {
  const times: number[] = [];
  const result = await autocannon({
    url,
    connections,
    duration,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    setupClient: (client) => {
      client.on('response', (_status: number, _bytes: number, responseTime: number) => times.push(responseTime));
    },
  });
  times.sort((a, b) => a - b);
  const pct = (q: number) => Number((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN).toFixed(1));
  return { scenario, rps: Math.round(result.requests.average), p50: pct(0.5), p99: pct(0.99), errors: result.errors, non2xx: result.non2xx };
}

async function main(): Promise<void> {
  const fhir = await startDevFhirServer({});
  const dir = await mkdtemp(join(os.tmpdir(), 'cairn-bench-services-'));
  const port = await freePort();
  const rows: Row[] = [];
  console.error('starting Cairn (the first start embeds the corpus)…');
  const cairn = await spawnServer(
    'tests/e2e/support/serve-real.ts',
    { PORT: String(port), HOST: '127.0.0.1', CAIRN_REQUIRE_AUTH: 'false', CAIRN_DATA_DIR: join(dir, 'db'), CAIRN_TRIALS: 'none', LOG_LEVEL: 'error' },
    300_000,
  );
  try {
    for (const s of DEMO_SCENARIOS) {
      const patientId = await loadDemoPatient(fhir, s.file);
      const body = JSON.stringify({
        hook: 'patient-view',
        hookInstance: randomUUID(),
        context: { userId: 'Practitioner/bench', patientId },
        prefetch: await demoPrefetch(fhir, s.service, patientId),
      });
      const url = `${cairn.url}/cds-services/${s.service}`;
      const first = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { cards?: unknown[] };
      console.error(`${s.service}: ${first.cards?.length ?? 0} card(s), body ${body.length} bytes`);
      rows.push(await run(`${s.service} (${s.file.split('/').pop()})`, url, body));
    }
  } finally {
    await cairn.stop();
    await fhir.close();
    await rm(dir, { recursive: true, force: true });
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nbench:services — ${new Date().toISOString()} — ${os.cpus().length} × ${cpu}, Node ${process.version}, ${connections} connections, ${duration} s each\n`);
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | non-2xx |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`);
  console.log(JSON.stringify({ bench: 'services', date: new Date().toISOString(), connections, duration, rows }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
