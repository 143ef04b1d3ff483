/**
 * The example hook requests in cds-hooks/examples/, sent to the demo's Cairn and judged: a file
 * `<service>.json` (or `<service>.<what>.json`) is posted to /cds-services/<service>; for a demo
 * patient the answer must be 200 with exactly the cards expected-cards.yaml gives that patient
 * for that service, and for a patient the FHIR server does not have, 412 with an OperationOutcome.
 * Each file's `fhirServer` is replaced by the demo's (the files name http://127.0.0.1:8090/fhir,
 * where `npm run demo` serves when it can).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DemoPatient } from '../fhir-server/demo-patients.js';
import { compareCards, expectationKey, type Expectations } from './expected-cards.js';
import { callService, type HookAnswer } from './hook-calls.js';

export interface ExampleResult {
  file: string;
  service: string;
  /** What the answer should be, in words. */
  expected: string;
  /** Why the answer is not that; empty when it is. */
  problems: string[];
}

/** The service a file is for: its name up to the first dot. */
export function serviceOfExample(file: string): string {
  return basename(file).split('.')[0] as string;
}

export function describeAnswer(answer: HookAnswer): string {
  if (answer.status !== 200) return `HTTP ${answer.status} ${answer.resourceType ?? ''}${answer.problem ? `: ${answer.problem}` : ''}`.trim();
  const cards = answer.cards.map((c) => `${c.indicator} "${c.summary}"`);
  return `HTTP 200, ${cards.length} card(s)${cards.length > 0 ? `: ${cards.join('; ')}` : ''}`;
}

export async function runExamples(options: {
  dir: string;
  cairnUrl: string;
  fhirBase: string;
  patients: readonly DemoPatient[];
  /** The folder the patients were loaded from: expectations are keyed by file relative to it. */
  patientsDir: string;
  expectations: Expectations;
}): Promise<ExampleResult[]> {
  const files = (await readdir(options.dir)).filter((f) => f.endsWith('.json')).sort();
  const results: ExampleResult[] = [];
  for (const file of files) {
    const request = JSON.parse(await readFile(join(options.dir, file), 'utf8')) as { fhirServer?: string; context?: { patientId?: string } };
    const service = serviceOfExample(file);
    const patientId = request.context?.patientId;
    const patient = options.patients.find((p) => p.id === patientId);
    const answer = await callService(options.cairnUrl, service, { ...request, fhirServer: options.fhirBase });
    if (!patient) {
      const ok = answer.status === 412 && answer.resourceType === 'OperationOutcome';
      results.push({
        file,
        service,
        expected: `412 with an OperationOutcome (Patient/${patientId ?? '?'} is not on the FHIR server)`,
        problems: ok ? [] : [`got ${describeAnswer(answer)}`],
      });
      continue;
    }
    const key = expectationKey(options.patientsDir, patient.file);
    const expected = options.expectations.get(key);
    if (!expected) {
      results.push({ file, service, expected: '200 with the cards expected-cards.yaml lists', problems: [`${key} has no entry in expected-cards.yaml`] });
      continue;
    }
    const cards = expected[service] ?? [];
    results.push({
      file,
      service,
      expected: `200 with ${cards.length} card(s) for ${patient.name || patient.id}${cards.map((c, i) => `${i === 0 ? ': ' : '; '}${c.indicator} "${c.summaryStartsWith}…"`).join('')}`,
      problems: compareCards({ [service]: cards }, new Map([[service, answer]])),
    });
  }
  return results;
}
