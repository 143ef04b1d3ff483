/**
 * `npm run demo`: starts the dev FHIR server with the demo patients and Cairn beside it, then fires
 * every CDS service for every demo patient as an EHR would (no prefetch: Cairn fetches from the
 * FHIR server) and prints the cards. The hand-made edge cases are shifted in time so their latest
 * reading is "now", as for a patient in front of the clinician.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { listBundleFiles } from '../fhir-server/bundle-files.js';
import { startDevFhirServer } from '../fhir-server/index.js';
import { shiftToNow } from '../fhir-server/time-shift.js';
import type { Card } from '../../src/hooks/schema.js';
import { createLogger } from '../../src/log.js';
import { startCairn } from '../../src/server.js';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: 'fhir-profiles/examples' },
    'max-patients': { type: 'string' },
  },
});

function printCard(card: Card): void {
  const mark = { critical: '!!', warning: '! ', info: '  ' }[card.indicator];
  console.log(`  ${mark} [${card.indicator}] ${card.summary}`);
  if (card.detail) for (const line of card.detail.split('\n')) console.log(`       ${line}`);
  for (const s of card.suggestions ?? []) console.log(`       → suggestion: ${s.label}`);
  for (const l of card.links ?? []) console.log(`       → link: ${l.label} <${l.url}>`);
  console.log(`       source: ${card.source.label}${card.source.url ? ` <${card.source.url}>` : ''}`);
}

async function main(): Promise<void> {
  const fhir = await startDevFhirServer({});
  const patients: Array<{ id: string; name: string; file: string }> = [];
  for (const file of await listBundleFiles([values.patients])) {
    let bundle = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (file.includes('edge-cases')) bundle = shiftToNow(bundle);
    await fhir.loadBundle(bundle);
    const entries = (bundle as { entry?: Array<{ resource?: { resourceType?: string; id?: string; name?: Array<{ given?: string[]; family?: string }> } }> }).entry ?? [];
    const patient = entries.find((e) => e.resource?.resourceType === 'Patient')?.resource;
    if (patient?.id) patients.push({ id: patient.id, name: `${patient.name?.[0]?.given?.join(' ') ?? ''} ${patient.name?.[0]?.family ?? ''}`.trim(), file });
  }
  const limit = values['max-patients'] ? Number(values['max-patients']) : patients.length;

  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-demo-'));
  // Start-up imports the recruiting demo trials only (39 of the 300): those a card can show.
  const config = { ...loadConfig({ ...process.env, CAIRN_REQUIRE_AUTH: 'false', CAIRN_DATA_DIR: dataDir, PORT: '3000' }), port: 0, host: '127.0.0.1' };
  const cairn = await startCairn(config, createLogger('warn'));
  await cairn.ready;
  try {
    const discovery = (await (await fetch(`${cairn.url}/cds-services`)).json()) as { services: Array<{ id: string; hook: string; title?: string }> };
    console.log(`\nFHIR server ${fhir.baseUrl} with ${patients.length} demo patients; Cairn ${cairn.url} with ${discovery.services.length} services.`);
    if (discovery.services.length === 0) console.log('No CDS services are registered yet: nothing to fire.');
    for (const patient of patients.slice(0, limit)) {
      console.log(`\n=== ${patient.name || patient.id} (Patient/${patient.id}) — ${patient.file}`);
      for (const service of discovery.services) {
        const context: Record<string, string> = { userId: 'Practitioner/demo', patientId: patient.id };
        if (service.hook.startsWith('encounter-')) {
          const encounters = (await (await fetch(`${fhir.baseUrl}/Encounter?patient=${patient.id}&_sort=-date&_count=1`)).json()) as { entry?: Array<{ resource: { id: string } }> };
          const encounterId = encounters.entry?.[0]?.resource.id;
          if (!encounterId) continue;
          context.encounterId = encounterId;
        }
        const started = performance.now();
        const res = await fetch(`${cairn.url}/cds-services/${service.id}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ hook: service.hook, hookInstance: randomUUID(), fhirServer: fhir.baseUrl, context }),
        });
        const ms = Math.round(performance.now() - started);
        const body = (await res.json()) as { cards?: Card[]; issue?: Array<{ diagnostics?: string }> };
        console.log(`-- ${service.id} (${service.hook}): HTTP ${res.status}, ${body.cards?.length ?? 0} card(s), ${ms} ms`);
        if (res.status !== 200) console.log(`   ${body.issue?.map((i) => i.diagnostics).join('; ') ?? ''}`);
        for (const card of body.cards ?? []) printCard(card);
      }
    }
  } finally {
    await cairn.close();
    await fhir.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
