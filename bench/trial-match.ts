/**
 * `npm run bench:trial-match`: the latency of the `trial-match` hook as an EHR sees it. Starts the
 * dev FHIR server with the demo patients and Cairn in process (the configured trial store,
 * CAIRN_TRIALS, default the recruiting demo trials: start-up imports no others), then fires `trial-match` for each demo patient
 * without prefetch (Cairn fetches from the FHIR server) several times: the first call embeds the
 * patient's note sentences, later ones find them cached.
 *
 * Options: --db <dir> (PGlite directory; default a fresh temporary one, so the first start
 * imports the trials: about a second each), --rounds <n> (default 3), --max-patients <n>.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { listBundleFiles } from '../dev/fhir-server/bundle-files.js';
import { startDevFhirServer } from '../dev/fhir-server/index.js';
import { shiftToNow } from '../dev/fhir-server/time-shift.js';
import type { Card } from '../src/hooks/schema.js';
import { createLogger } from '../src/log.js';
import { startCairn } from '../src/server.js';

const { values } = parseArgs({ options: { db: { type: 'string' }, rounds: { type: 'string', default: '3' }, 'max-patients': { type: 'string' } } });
const rounds = Number(values.rounds);

const fhir = await startDevFhirServer({});
const patients: string[] = [];
for (const file of await listBundleFiles(['fhir-profiles/examples'])) {
  let bundle = JSON.parse(await readFile(file, 'utf8')) as { entry?: Array<{ resource?: { resourceType?: string; id?: string } }> };
  if (file.includes('edge-cases')) bundle = shiftToNow(bundle) as typeof bundle;
  await fhir.loadBundle(bundle);
  const id = bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource?.id;
  if (id) patients.push(id);
}
const dataDir = values.db ?? (await mkdtemp(join(tmpdir(), 'cairn-bench-trials-')));
const config = { ...loadConfig({ ...process.env, CAIRN_REQUIRE_AUTH: 'false', CAIRN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }), port: 0, host: '127.0.0.1' };
const startedAt = performance.now();
const cairn = await startCairn(config, createLogger('warn'));
await cairn.ready;
console.log(`Cairn started in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (trials: ${config.trials?.join(', ') || 'none'}; database ${dataDir})`);
try {
  const selected = patients.slice(0, values['max-patients'] ? Number(values['max-patients']) : patients.length);
  const times: number[][] = Array.from({ length: rounds }, () => []);
  console.log(`patient                                   ${Array.from({ length: rounds }, (_, i) => `call ${i + 1} ms`.padStart(10)).join(' ')}  card`);
  for (const id of selected) {
    const row: string[] = [];
    let summary = '–';
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      const res = await fetch(`${cairn.url}/cds-services/trial-match`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), fhirServer: fhir.baseUrl, context: { userId: 'Practitioner/bench', patientId: id } }),
      });
      const body = (await res.json()) as { cards?: Card[] };
      const ms = performance.now() - t;
      times[r]!.push(ms);
      row.push(`${res.status === 200 ? '' : `${res.status} `}${ms.toFixed(0)}`.padStart(10));
      summary = body.cards?.[0]?.summary ?? '–';
    }
    console.log(`${id.slice(0, 40).padEnd(40)}  ${row.join(' ')}  ${summary}`);
  }
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
  times.forEach((xs, r) => console.log(`call ${r + 1}: median ${pct(xs, 0.5).toFixed(0)} ms, p90 ${pct(xs, 0.9).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`));
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
} finally {
  await cairn.close();
  await fhir.close();
  if (!values.db) await rm(dataDir, { recursive: true, force: true });
}
