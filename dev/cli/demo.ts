/**
 * `npm run demo`: starts the dev FHIR server with the demo patients and Cairn beside it, then fires
 * every CDS service for every demo patient as an EHR would (no prefetch: Cairn fetches from the
 * FHIR server) and prints the cards. The hand-made edge cases are shifted in time so their latest
 * reading is "now", as for a patient in front of the clinician (dev/fhir-server/demo-patients.ts).
 * It then prints the addresses that open the Cairn app through the dev SMART launcher and leaves
 * both servers running until Ctrl-C.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { loadDemoPatients, type DemoPatient } from '../fhir-server/demo-patients.js';
import { startDevFhirServer, type DevFhirServer } from '../fhir-server/index.js';
import type { Card } from '../../src/hooks/schema.js';
import { createLogger } from '../../src/log.js';
import { startCairn } from '../../src/server.js';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: 'fhir-profiles/examples' },
    'max-patients': { type: 'string' },
  },
});

/** A port nothing listens on now: Cairn's public URL, which its card links name, must carry its port before it starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function printCard(card: Card): void {
  const mark = { critical: '!!', warning: '! ', info: '  ' }[card.indicator];
  console.log(`  ${mark} [${card.indicator}] ${card.summary}`);
  if (card.detail) for (const line of card.detail.split('\n')) console.log(`       ${line}`);
  for (const s of card.suggestions ?? []) console.log(`       → suggestion: ${s.label}`);
  for (const l of card.links ?? []) console.log(`       → link: ${l.label} <${l.url}>`);
  console.log(`       source: ${card.source.label}${card.source.url ? ` <${card.source.url}>` : ''}`);
}

async function main(): Promise<void> {
  // The app the card links and the launch URLs below open: built every time (a second or two), so
  // it is current. In its own process, as `npm run build:app`: Vite sets NODE_ENV=production in
  // the process it builds in, which would turn Cairn's production defaults on here.
  await promisify(execFile)('npm', ['run', 'build:app']);
  const fhir = await startDevFhirServer({});
  const patients = await loadDemoPatients(fhir, values.patients);
  const limit = values['max-patients'] ? Number(values['max-patients']) : patients.length;

  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-demo-'));
  const port = process.env.PORT ? Number(process.env.PORT) : await freePort();
  // Start-up imports the recruiting demo trials only (39 of the 300): those a card can show.
  // Screenings (the coordinator workspace) read the demo patients from the same FHIR server.
  const env = {
    ...process.env,
    CAIRN_REQUIRE_AUTH: 'false',
    CAIRN_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    CAIRN_PUBLIC_URL: `http://127.0.0.1:${port}`,
    CAIRN_SCREENING_FHIR_URL: fhir.baseUrl,
  };
  const config = loadConfig(env, { appBuilt: true });
  const cairn = await startCairn(config, createLogger('warn'));
  const servicesWithCards = new Map<string, number>();
  try {
    await cairn.ready;
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
        if (body.cards?.length) servicesWithCards.set(patient.id, (servicesWithCards.get(patient.id) ?? 0) + 1);
        if (res.status !== 200) console.log(`   ${body.issue?.map((i) => i.diagnostics).join('; ') ?? ''}`);
        for (const card of body.cards ?? []) printCard(card);
      }
    }
    printAppUrls(config.publicUrl, fhir, showcase(patients, servicesWithCards));
  } catch (err) {
    await stop();
    throw err;
  }

  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Cairn and the FHIR server');
    void stop().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  async function stop(): Promise<void> {
    await cairn.close();
    await fhir.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The demo patient most services gave a card for: the one whose evidence viewer has the most to show. */
function showcase(patients: DemoPatient[], servicesWithCards: ReadonlyMap<string, number>): DemoPatient | undefined {
  return [...patients].sort((a, b) => (servicesWithCards.get(b.id) ?? 0) - (servicesWithCards.get(a.id) ?? 0))[0];
}

function printAppUrls(cairnUrl: string, fhir: DevFhirServer, patient: DemoPatient | undefined): void {
  const app = `${cairnUrl}/app/launch.html`;
  const iss = new URLSearchParams({ iss: fhir.baseUrl }).toString();
  console.log('\nThe Cairn app, opened through the dev SMART launcher (development only: no real sign-in):');
  if (patient) console.log(`  EHR launch, evidence of ${patient.name || patient.id}:\n    ${fhir.launchUrl({ app, patient: patient.id })}`);
  console.log(`  EHR launch, choosing the patient:\n    ${fhir.launchUrl({ app })}`);
  console.log(`  Standalone launch (the EHR's patient picker):\n    ${app}?${iss}`);
  console.log(`  Coordinator workspace (trial screening, feedback analytics):\n    ${app}?${iss}&workspace`);
  console.log(`  API for apps: ${cairnUrl}/openapi.json`);
  console.log('\nCairn and the FHIR server keep running: press Ctrl-C to stop them.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
