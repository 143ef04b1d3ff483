/**
 * `npm run bench:ledger`: what the issued-card ledger costs one hook call, piece by piece, on the
 * embedded database (PGlite runs on the event loop, so its CPU time is the hook's). The cards are
 * a real diagnosis answer for the mixed-units demo patient (several cards); each step is timed in
 * CPU time (process.cpuUsage), which other load on the machine moves far less than wall time:
 *   - the input digest: of the hook, context and prefetch data read, and of the request body as
 *     sent (what a call whose data all came in the request digests),
 *   - the card digests (from each card's JSON as the answer sends it),
 *   - recording the entries (ledgerEntries + the group-committed insert), at 1, 10 and 30 calls
 *     in flight, the last two being how the hook benchmark's 10 connections load it.
 * `bench:hooks` measures the whole hook beside the build without the ledger (docs/BENCHMARKS.md).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { startDevFhirServer } from '../dev/fhir-server/index.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import type { Card } from '../src/hooks/schema.js';
import { CardLedger, cardJsonDigest, inputDigest, ledgerEntries, requestBodyDigest } from '../src/ledger/issued-cards.js';
import { createLogger } from '../src/log.js';
import { startCairn } from '../src/server.js';
import { freePort } from '../tests/e2e/support/processes.js';
import { demoPrefetch, HOOK_SCENARIOS, loadDemoPatient } from './support/demo-prefetch.js';

const CALLS = 3000;

/** CPU µs per iteration of `f`, over `n` iterations. */
function cpuMicros(n: number, f: () => void): number {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const dir = await mkdtemp(join(os.tmpdir(), 'cairn-bench-ledger-'));
try {
  const fhir = await startDevFhirServer({});
  const scenario = HOOK_SCENARIOS.find((s) => s.service === 'diagnosis')!;
  const patientId = await loadDemoPatient(fhir, scenario.file);
  const prefetch = await demoPrefetch(fhir, 'diagnosis', patientId);
  await fhir.close();

  // The cards, as the shipped service answers them.
  const port = await freePort();
  const config = loadConfig({ ...process.env, PORT: String(port), CAIRN_DATA_DIR: join(dir, 'cairn'), CAIRN_REQUIRE_AUTH: 'false', LOG_LEVEL: 'error' });
  const cairn = await startCairn(config, createLogger('error'));
  await cairn.ready;
  const request = { hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/bench', patientId }, prefetch };
  const answer = await fetch(`${cairn.url}/cds-services/diagnosis`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  const { cards } = (await answer.json()) as { cards: Card[] };
  await cairn.close();
  if (cards.length === 0) throw new Error('the diagnosis service gave no card: nothing to measure');
  const cardJson = cards.map((c) => JSON.stringify(c));
  console.log(`diagnosis answer: ${cards.length} cards, ${cardJson.join(',').length} bytes; request ${JSON.stringify(request).length} bytes`);

  console.log(`input digest of the data read (Cairn fetched some): ${cpuMicros(CALLS, () => inputDigest(request, prefetch)).toFixed(1)} µs CPU a call`);
  const body = Buffer.from(JSON.stringify(request));
  console.log(`input digest of the request body as sent (all data in it): ${cpuMicros(CALLS, () => requestBodyDigest(body)).toFixed(1)} µs CPU a call`);
  console.log(`card digests: ${cpuMicros(CALLS, () => cardJson.forEach(cardJsonDigest)).toFixed(1)} µs CPU a call (all ${cards.length} cards)`);

  const db = await openDatabase({ dataDir: join(dir, 'ledger') });
  try {
    await migrate(db);
    const ledger = new CardLedger(db);
    const entries = () => {
      const issued = cards.map((c) => ({ ...c, uuid: randomUUID() }));
      return ledgerEntries({ serviceId: 'diagnosis', request: { ...request, hookInstance: randomUUID() }, patientKey: 'bench', inputDigest: 'bench', cards: issued, cardJson: issued.map((c) => JSON.stringify(c)) });
    };
    for (const inFlight of [1, 10, 30]) {
      let started = 0;
      const cpu = process.cpuUsage();
      const wall = performance.now();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (started < CALLS / 2) {
            started++;
            await ledger.record(entries());
          }
        }),
      );
      const used = process.cpuUsage(cpu);
      console.log(
        `record (entries + insert), ${inFlight} in flight: ${((used.user + used.system) / 1000 / started).toFixed(3)} ms CPU a call, ${((performance.now() - wall) / started).toFixed(3)} ms wall a call`,
      );
    }
  } finally {
    await db.close();
  }
  console.log(`bench:ledger — ${new Date().toISOString()} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
