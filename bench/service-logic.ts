/**
 * `npx tsx bench/service-logic.ts [calls] [--shipped]`: each service's logic called in a loop
 * with a demo patient's full prefetch, with no HTTP: what a hook costs besides the web layer. Run
 * it under `node --cpu-prof --import tsx` to see where that time goes.
 *
 *   - default: triage and diagnosis with an instant fake knowledge base (no retrieval at all);
 *   - `--shipped`: the three services as `npm start` binds them (the shipped guideline corpus and
 *     its cached questions, the trial matcher over the recruiting demo trials), in this process,
 *     on a fresh embedded database in a temporary directory. Prints CPU time a call (all of the
 *     process's threads, the embedded database's included) beside wall time: CPU time moves far
 *     less with other load on the machine than req/s do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { startDevFhirServer } from '../dev/fhir-server/index.js';
import { freePort } from '../tests/e2e/support/processes.js';
import { loadConfig } from '../src/config.js';
import type { HookInput, ServiceLogic } from '../src/hooks/service.js';
import type { GuidelineHit } from '../src/knowledge/retriever.js';
import { createLogger } from '../src/log.js';
import { startCairn } from '../src/server.js';
import { diagnosisLogic } from '../src/services/diagnosis/service.js';
import { triageLogic } from '../src/services/triage/service.js';
import { HOOK_SCENARIOS, demoPrefetch, loadDemoPatient } from './support/demo-prefetch.js';

const args = process.argv.slice(2);
const shipped = args.includes('--shipped');
const calls = Number(args.find((a) => !a.startsWith('--')) ?? 500);
const log = createLogger('silent');

const fhir = await startDevFhirServer({});
const inputs = [];
for (const s of HOOK_SCENARIOS.filter((h) => shipped || h.service !== 'trial-match')) {
  const patientId = await loadDemoPatient(fhir, s.file);
  inputs.push({ service: s.service, patientId, prefetch: await demoPrefetch(fhir, s.service, patientId) });
}
await fhir.close();

let logic: Record<string, ServiceLogic>;
let stop = async () => {};
if (shipped) {
  const dir = await mkdtemp(join(os.tmpdir(), 'cairn-bench-logic-'));
  const cairn = await startCairn(
    loadConfig({ ...process.env, PORT: String(await freePort()), HOST: '127.0.0.1', CAIRN_DATA_DIR: dir, CAIRN_REQUIRE_AUTH: 'false', LOG_LEVEL: 'error', NODE_ENV: 'production' }),
    log,
  );
  await cairn.ready;
  // Start-up's last background work (the embedding threads, the first garbage collections) settles first.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  logic = Object.fromEntries(cairn.services.map((s): [string, ServiceLogic] => [s.definition.id, (input, emit) => s.run(input, emit)]));
  stop = async () => {
    await cairn.close();
    await rm(dir, { recursive: true, force: true });
  };
} else {
  const hit: GuidelineHit = { chunkId: 'c', documentId: 'd', title: 'T', headingPath: ['High-risk Situations', 'x'], text: 'text', citation: 'C', kind: 'verbatim', documentHash: 'd'.repeat(64), score: 1, ranks: {} };
  const search = { search: () => Promise.resolve([hit]) };
  logic = {
    triage: triageLogic({ search, showInfoCards: false }),
    diagnosis: diagnosisLogic({ search, indicator: 'warning' }),
  };
}

const signal = new AbortController().signal;
for (const { service, patientId, prefetch } of inputs) {
  let cards = 0;
  const run = logic[service] as ServiceLogic;
  const call = () => run({ context: { patientId }, prefetch, log, signal } as unknown as HookInput, (c) => (cards += c.length));
  for (let i = 0; i < 20; i++) await call();
  cards = 0;
  const n = service === 'trial-match' ? Math.max(1, Math.round(calls / 10)) : calls;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < n; i++) await call();
  const used = process.cpuUsage(cpu);
  const wall = (performance.now() - started) / n;
  console.log(`${service}: ${wall.toFixed(2)} ms a call, ${((used.user + used.system) / 1000 / n).toFixed(2)} CPU ms a call, ${cards / n} card(s)`);
}
await stop();
process.exit(0);
