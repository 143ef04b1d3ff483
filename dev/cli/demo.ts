/**
 * `npm run demo`: starts the dev FHIR server with the demo patients and Cairn beside it
 * (dev/demo/stack.ts), fires every CDS service for every demo patient as an EHR would, and prints
 * the cards as a table. It checks the hand-made patients' cards against
 * fhir-profiles/examples/expected-cards.yaml and the example requests of cds-hooks/examples/
 * against what they should answer, prints the addresses to try (discovery, a hook call with curl,
 * the Cairn app through the dev SMART launcher), and leaves both servers running until Ctrl-C.
 *
 * `npm run demo -- --check` does the same without building the app, on free ports, then prints one
 * JSON line (cards per service, patients without cards, what failed) and exits: 0 when every
 * service gave at least one card, every answer was 200, the expected cards came and the examples
 * answered as they should; 1 otherwise. Nothing is left running.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DemoPatient } from '../fhir-server/demo-patients.js';
import type { DevFhirServer } from '../fhir-server/index.js';
import { compareCards, expectationKey, loadExpectations, type Expectations } from '../demo/expected-cards.js';
import { runExamples, type ExampleResult } from '../demo/examples.js';
import { fireEveryService, hookRequest, type HookAnswer, type HookCall } from '../demo/hook-calls.js';
import { cardRows, checkSummary, formatTable, patientLabel } from '../demo/report.js';
import { EXAMPLES_FHIR_PORT, startDemoStack, type DemoStack } from '../demo/stack.js';
import type { Card } from '../../src/hooks/schema.js';
import { createLogger } from '../../src/log.js';

const USAGE = `Usage: npm run demo -- [--check] [--details] [--patients <dir>] [--max-patients <n>] [--fhir-port <port>]

  --check          print the cards, then one JSON line of card counts, and exit (non-zero when a
                   service gave no card, an answer was not 200, a hand-made patient did not get its
                   expected cards, or an example request did not answer as it should)
  --details        print every card in full after the table
  --patients       folder of demo patient Bundles (default fhir-profiles/examples)
  --max-patients   fire the services for the first n patients only
  --fhir-port      port of the dev FHIR server (default ${EXAMPLES_FHIR_PORT}, the one cds-hooks/examples/ names; a free one if taken)

PORT chooses Cairn's port (default 3000; a free one if taken). --check always uses free ports.`;

const EXAMPLES_DIR = 'cds-hooks/examples';

function printCard(card: Card): void {
  const mark = { critical: '!!', warning: '! ', info: '  ' }[card.indicator];
  console.log(`  ${mark} [${card.indicator}] ${card.summary}`);
  if (card.detail) for (const line of card.detail.split('\n')) console.log(`       ${line}`);
  for (const s of card.suggestions ?? []) console.log(`       → suggestion: ${s.label}`);
  for (const l of card.links ?? []) console.log(`       → link: ${l.label} <${l.url}>`);
  console.log(`       source: ${card.source.label}${card.source.url ? ` <${card.source.url}>` : ''}`);
}

/** Differences from the expected cards, each prefixed with the patient. */
function unexpectedCards(calls: readonly HookCall[], patients: readonly DemoPatient[], patientsDir: string, expectations: Expectations): string[] {
  const problems: string[] = [];
  for (const patient of patients) {
    const key = expectationKey(patientsDir, patient.file);
    const expected = expectations.get(key);
    if (!expected) continue;
    const answers = new Map<string, HookAnswer>(calls.filter((c) => c.patient === patient).map((c) => [c.service, c]));
    for (const p of compareCards(expected, answers)) problems.push(`${patientLabel(patient)} (${key}) · ${p}`);
  }
  return problems;
}

/** The demo patient most services gave a card: the one whose evidence viewer has the most to show. */
function showcase(patients: readonly DemoPatient[], calls: readonly HookCall[]): DemoPatient | undefined {
  const servicesWithCards = (p: DemoPatient) => calls.filter((c) => c.patient === p && c.cards.length > 0).length;
  return [...patients].sort((a, b) => servicesWithCards(b) - servicesWithCards(a))[0];
}

function printTryIt(stack: DemoStack, patient: DemoPatient | undefined, calls: readonly HookCall[]): void {
  const cairnUrl = stack.config.publicUrl;
  console.log('\nTry it:');
  console.log(`  CDS Hooks discovery:\n    curl ${cairnUrl}/cds-services`);
  const call = calls.find((c) => c.patient === patient && c.cards.length > 0 && !stack.services.find((s) => s.id === c.service)?.hook.startsWith('encounter-'));
  const service = stack.services.find((s) => s.id === call?.service);
  if (patient && service) {
    const body = JSON.stringify(hookRequest(service, stack.fhir.baseUrl, { patientId: patient.id }));
    console.log(`  The ${service.id} service for ${patientLabel(patient)}:`);
    console.log(`    curl -X POST ${cairnUrl}/cds-services/${service.id} -H 'Content-Type: application/json' -d '${body}'`);
  }
  const fhirPort = new URL(stack.fhir.baseUrl).port;
  if (fhirPort === String(EXAMPLES_FHIR_PORT)) {
    console.log(`  An example request (${EXAMPLES_DIR}/README.md says what each one answers):`);
    console.log(`    curl -X POST ${cairnUrl}/cds-services/diagnosis -H 'Content-Type: application/json' -d @${EXAMPLES_DIR}/diagnosis.json`);
  } else {
    console.log(`  (The requests in ${EXAMPLES_DIR}/ name the FHIR server at port ${EXAMPLES_FHIR_PORT}; this one is at port ${fhirPort}: use the request above.)`);
  }
  printAppUrls(cairnUrl, stack.fhir, patient);
}

function printAppUrls(cairnUrl: string, fhir: DevFhirServer, patient: DemoPatient | undefined): void {
  const app = `${cairnUrl}/app/launch.html`;
  const iss = new URLSearchParams({ iss: fhir.baseUrl }).toString();
  console.log('\nThe Cairn app, opened through the dev SMART launcher (development only: no real sign-in):');
  if (patient) console.log(`  EHR launch, evidence of ${patientLabel(patient)}:\n    ${fhir.launchUrl({ app, patient: patient.id })}`);
  console.log(`  EHR launch, choosing the patient:\n    ${fhir.launchUrl({ app })}`);
  console.log(`  Standalone launch (the EHR's patient picker):\n    ${app}?${iss}`);
  console.log(`  Coordinator workspace (trial screening, feedback analytics):\n    ${app}?${iss}&workspace`);
  console.log(`  API for apps: ${cairnUrl}/openapi.json`);
}

function printExamples(results: readonly ExampleResult[]): void {
  const failed = results.filter((r) => r.problems.length > 0);
  if (failed.length === 0) {
    console.log(`\nThe ${results.length} example requests in ${EXAMPLES_DIR}/ answer as they should.`);
    return;
  }
  console.log(`\n${failed.length} of the ${results.length} example requests in ${EXAMPLES_DIR}/ do not answer as they should:`);
  for (const r of failed) console.log(`  ${r.file} (expected ${r.expected}): ${r.problems.join('; ')}`);
}

async function main(): Promise<number | undefined> {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      details: { type: 'boolean', default: false },
      patients: { type: 'string', default: 'fhir-profiles/examples' },
      'max-patients': { type: 'string' },
      'fhir-port': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const check = values.check;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  console.log(
    check
      ? 'Checking the demo: the dev FHIR server with the demo patients, and Cairn on an empty embedded database…'
      : 'Starting the dev FHIR server with the demo patients, and Cairn on an empty embedded database (in a temporary directory)…',
  );

  // Ctrl-C stops the servers; during start-up, exiting is enough (the process holds them, and the
  // temporary database goes on exit).
  const running: { stack?: DemoStack } = {};
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Cairn and the FHIR server');
    void (running.stack?.stop() ?? Promise.resolve()).then(() => process.exit(check ? 130 : 0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const stack = await startDemoStack({
    patientsDir: values.patients,
    fhirPort: check ? undefined : Number(values['fhir-port'] ?? EXAMPLES_FHIR_PORT),
    cairnPort: process.env.PORT ? Number(process.env.PORT) : check ? undefined : 3000,
    buildApp: !check,
    // Quiet: Cairn's own log shows errors only unless LOG_LEVEL says otherwise.
    log: createLogger(process.env.LOG_LEVEL ?? 'error'),
    env: process.env,
  });
  running.stack = stack;
  try {
    const { fhir, cairn, services } = stack;
    const limit = values['max-patients'] ? Number(values['max-patients']) : stack.patients.length;
    const patients = stack.patients.slice(0, limit);
    console.log(
      `Ready in ${seconds().toFixed(1)} s: FHIR server ${fhir.baseUrl} with ${stack.patients.length} demo patients; ` +
        `Cairn ${cairn.url} with ${services.length} services (${services.map((s) => s.id).join(', ')}). Authentication is off (development only).`,
    );

    const firing = performance.now();
    const calls = await fireEveryService({ cairnUrl: cairn.url, fhirBase: fhir.baseUrl, services, patients });
    const rows = cardRows(calls);
    const firedIn = ((performance.now() - firing) / 1000).toFixed(1);
    console.log(`\nCards for ${patients.length} demo patients, from ${calls.length} hook calls in ${firedIn} s (no prefetch: Cairn read each record from the FHIR server):\n`);
    for (const line of formatTable(rows, Math.max(80, process.stdout.columns ?? 120))) console.log(line);
    const withCards = new Set(calls.filter((c) => c.cards.length > 0).map((c) => c.patient));
    const without = patients.filter((p) => !withCards.has(p));
    if (without.length > 0) console.log(`\nNo card for ${without.length} patients: ${without.map(patientLabel).join(', ')}.`);
    if (values.details) {
      for (const call of calls.filter((c) => c.cards.length > 0)) {
        console.log(`\n=== ${patientLabel(call.patient)} · ${call.service}`);
        for (const card of call.cards) printCard(card);
      }
    }

    const expectationsFile = join(values.patients, 'expected-cards.yaml');
    const expectations: Expectations = existsSync(expectationsFile) ? await loadExpectations(expectationsFile) : new Map();
    const unexpected = unexpectedCards(calls, patients, values.patients, expectations);
    if (unexpected.length > 0) {
      console.log(`\n${unexpected.length} difference(s) from ${expectationsFile}:`);
      for (const u of unexpected) console.log(`  ${u}`);
    } else if (expectations.size > 0) {
      console.log(`\nEvery hand-made patient got the cards ${expectationsFile} expects.`);
    }
    const examples = await runExamples({ dir: EXAMPLES_DIR, cairnUrl: cairn.url, fhirBase: fhir.baseUrl, patients: stack.patients, patientsDir: values.patients, expectations });
    printExamples(examples);

    if (check) {
      const summary = checkSummary({ calls, services: services.map((s) => s.id), patients, unexpected, examples, seconds: seconds() });
      await stack.stop();
      console.log(JSON.stringify(summary));
      return summary.ok ? 0 : 1;
    }
    printTryIt(stack, showcase(patients, calls), calls);
    console.log('\nCairn and the FHIR server keep running: press Ctrl-C to stop them.');
    return undefined;
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
