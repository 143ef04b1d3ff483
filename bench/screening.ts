/**
 * `npm run bench:screening`: a coordinator screening of synthetic patients against one trial,
 * through the real HTTP API of Cairn running as its own process (JWT authentication on), with a
 * crash midway: the process is killed with SIGKILL (no graceful shutdown, its claims stay held)
 * and started again on the same database, which must resume and finish. At the end every patient
 * must have exactly one result. Prints patients/s, and the CPU time per patient of Cairn's process
 * and of this one (the FHIR server) until the kill, with the load average: on a shared machine the
 * wall-clock rate follows the other jobs, the CPU time much less.
 *
 * The patients (made up in code, seeded) live on the dev FHIR server, in this process; the trial
 * is the hypertension fixture trial, imported with the configured (default) embedding model.
 *
 * Options: --patients <n> (1000), --db postgres|pglite (postgres), --concurrency <n> (4),
 *          --kill-at <fraction done> (0.4), --lease <s> (5), --seed <n> (42).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { startDevFhirServer } from '../dev/fhir-server/index.js';
import { createEmbeddings } from '../src/search/embeddings/index.js';
import { createLogger } from '../src/log.js';
import { importTrials } from '../src/services/trials/store/trial-store.js';
import { freePort, serveJwks, spawnServer, type SpawnedServer } from '../tests/e2e/support/processes.js';
import { TRIALS } from '../tests/integration/trials-fixtures.js';
import { createPostgresTestDatabase } from '../tests/support/databases.js';
import { createTestClient } from '../tests/support/jwt.js';
import { collection, syntheticCohort, syntheticPatient } from '../tests/support/synthetic-patients.js';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '1000' },
    db: { type: 'string', default: 'postgres' },
    concurrency: { type: 'string', default: '4' },
    'kill-at': { type: 'string', default: '0.4' },
    lease: { type: 'string', default: '5' },
    seed: { type: 'string', default: '42' },
  },
});
const N = Number(values.patients);
const dbKind = values.db === 'pglite' ? 'pglite' : 'postgres';
const killAt = Number(values['kill-at']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux); undefined elsewhere. */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

interface Progress {
  total: number;
  done: number;
  failed: number;
  pending: number;
}

async function main(): Promise<void> {
  const trial = TRIALS[0];
  if (!trial) throw new Error('no fixture trial');
  const dir = await mkdtemp(join(os.tmpdir(), 'cairn-bench-screening-'));
  const fhir = await startDevFhirServer();
  const cohort = syntheticCohort(N, Number(values.seed), 'bench');
  let started = performance.now();
  for (let i = 0; i < cohort.length; i += 100) await fhir.loadBundle(collection(cohort.slice(i, i + 100).flatMap(syntheticPatient)));
  console.error(`loaded ${N} patients (${fhir.resourceCount()} resources) on the dev FHIR server in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const pg = dbKind === 'postgres' ? await createPostgresTestDatabase() : undefined;
  const dbEnv: Record<string, string> = pg ? { DATABASE_URL: pg.url } : { CAIRN_DATA_DIR: join(dir, 'db') };
  const db = await openDatabase(pg ? { url: pg.url } : { dataDir: join(dir, 'db') });
  await migrate(db);
  await importTrials(db, [trial], createEmbeddings(), { log: createLogger('silent') });
  await db.close();

  const ehr = await createTestClient('https://bench-ehr.example.org');
  const jwks = await serveJwks(ehr.jwks);
  await writeFile(join(dir, 'issuers.json'), JSON.stringify([{ iss: ehr.iss, jwksUrl: jwks.url }]));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    CAIRN_PUBLIC_URL: base,
    CAIRN_TRUSTED_ISSUERS: join(dir, 'issuers.json'),
    CAIRN_REQUIRE_AUTH: 'true',
    ...dbEnv,
    CAIRN_SERVICES_DIR: 'tests/e2e/fixtures/services',
    CAIRN_GUIDELINES_DIR: 'tests/fixtures/guidelines',
    // The screened trial is imported above; the 300 demo trials would only slow the first start.
    CAIRN_TRIALS: 'none',
    CAIRN_SCREENING_FHIR_URL: fhir.baseUrl,
    CAIRN_SCREENING_CONCURRENCY: values.concurrency,
    CAIRN_SCREENING_LEASE_S: values.lease,
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
  };
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const url = `${base}${path}`;
    const token = await ehr.sign({ aud: url.split('?')[0] as string });
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  let cairn: SpawnedServer | undefined = await spawnServer('tests/e2e/support/serve-test.ts', env, 120_000);
  const loadBefore = load();
  try {
    const cairnCpu0 = processCpuMs(cairn.process.pid);
    const benchCpu0 = process.cpuUsage();
    started = performance.now();
    const created = await api('POST', `/trials/${trial.nctId}/screenings`, { patients: cohort.map((p) => `Patient/${p.id}`) });
    const id = String(created.id);
    const progress = async () => (await api('GET', `/screenings/${id}?limit=1`)) as { status: string; progress: Progress };

    // Crash midway.
    let p = await progress();
    while (p.progress.done + p.progress.failed < killAt * N && p.status !== 'completed') {
      await sleep(200);
      p = await progress();
    }
    const killedAt = performance.now();
    const doneAtKill = p.progress.done + p.progress.failed;
    const cairnCpu1 = processCpuMs(cairn.process.pid);
    const benchCpu = process.cpuUsage(benchCpu0);
    const perPatient = (ms: number | undefined) => (ms === undefined || doneAtKill === 0 ? undefined : Number((ms / doneAtKill).toFixed(1)));
    const exited = new Promise((resolve) => cairn?.process.once('exit', resolve));
    cairn.process.kill('SIGKILL');
    await exited;
    cairn = undefined;
    console.error(`killed Cairn (SIGKILL) at ${doneAtKill}/${N} patients, ${((killedAt - started) / 1000).toFixed(1)} s in`);
    cairn = await spawnServer('tests/e2e/support/serve-test.ts', env, 120_000);
    const restartedAt = performance.now();
    console.error(`restarted in ${((restartedAt - killedAt) / 1000).toFixed(1)} s`);

    p = await progress();
    const doneAfterRestart = p.progress.done + p.progress.failed;
    while (p.status !== 'completed') {
      await sleep(200);
      p = await progress();
    }
    const finished = performance.now();

    // Every patient exactly once, each done with a category.
    const seen = new Map<string, number>();
    const categories: Record<string, number> = {};
    let failed = 0;
    for (let offset = 0; ; offset += 500) {
      const page = (await api('GET', `/screenings/${id}?offset=${offset}&limit=500`)) as { results: Array<{ patient: string; status: string; category?: string }> };
      for (const r of page.results) {
        seen.set(r.patient, (seen.get(r.patient) ?? 0) + 1);
        if (r.status === 'done' && r.category) categories[r.category] = (categories[r.category] ?? 0) + 1;
        else failed++;
      }
      if (page.results.length < 500) break;
    }
    const expected = new Set(cohort.map((c) => `Patient/${c.id}`));
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    const missing = [...expected].filter((e) => !seen.has(e)).length;
    const ok = seen.size === N && duplicates === 0 && missing === 0 && failed === 0 && p.progress.done === N;
    if (!ok) throw new Error(`check failed: ${seen.size} results, ${duplicates} duplicated, ${missing} missing, ${failed} failed, progress ${JSON.stringify(p.progress)}`);

    const wallS = (finished - started) / 1000;
    const runningS = (killedAt - started + (finished - restartedAt)) / 1000;
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const row = {
      db: dbKind,
      patients: N,
      concurrency: Number(values.concurrency),
      wallS: Number(wallS.toFixed(1)),
      patientsPerS: Number((N / wallS).toFixed(1)),
      patientsPerSRunning: Number((N / runningS).toFixed(1)),
      killedAtDone: doneAtKill,
      doneRightAfterRestart: doneAfterRestart,
      restartS: Number(((restartedAt - killedAt) / 1000).toFixed(1)),
      // Until the kill; the bench process includes the polling and JWT signing, besides the FHIR server.
      cpuMsPerPatient: {
        cairn: perPatient(cairnCpu0 !== undefined && cairnCpu1 !== undefined ? cairnCpu1 - cairnCpu0 : undefined),
        benchAndFhir: perPatient((benchCpu.user + benchCpu.system) / 1000),
      },
      loadAverage: { before: loadBefore, after: load() },
      categories,
    };
    console.log(`\nbench:screening — ${new Date().toISOString()} — ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`);
    console.log('| DB | patients | concurrency | wall s (incl. crash + restart) | patients/s | patients/s while running | killed at | restart s | CPU ms/patient: Cairn, bench + FHIR | load average before / after | categories |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${row.db} | ${N} | ${row.concurrency} | ${row.wallS} | ${row.patientsPerS} | ${row.patientsPerSRunning} | ${doneAtKill} done | ${row.restartS} | ${row.cpuMsPerPatient.cairn ?? '-'}, ${row.cpuMsPerPatient.benchAndFhir ?? '-'} | ${row.loadAverage.before} / ${row.loadAverage.after} | ${Object.entries(categories).map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    );
    console.log(JSON.stringify({ bench: 'screening', date: new Date().toISOString(), ...row }));
  } finally {
    if (cairn) await cairn.stop();
    await jwks.close();
    await fhir.close();
    await pg?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
