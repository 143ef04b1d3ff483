/**
 * `npx tsx bench/service-logic.ts [calls]`: the triage and diagnosis logic called in a loop with a
 * demo patient's full prefetch and an instant fake knowledge base, with no HTTP and no retrieval:
 * what each hook costs besides the guideline search. Run it under `node --cpu-prof --import tsx`
 * to see where that time goes.
 */
import { startDevFhirServer } from '../dev/fhir-server/index.js';
import type { HookInput, ServiceLogic } from '../src/hooks/service.js';
import type { GuidelineHit } from '../src/knowledge/retriever.js';
import { createLogger } from '../src/log.js';
import { diagnosisLogic } from '../src/services/diagnosis/service.js';
import { triageLogic } from '../src/services/triage/service.js';
import { HOOK_SCENARIOS, demoPrefetch, loadDemoPatient } from './support/demo-prefetch.js';

const calls = Number(process.argv[2] ?? 500);
const hit: GuidelineHit = { chunkId: 'c', documentId: 'd', title: 'T', headingPath: ['High-risk Situations', 'x'], text: 'text', citation: 'C', kind: 'verbatim', documentHash: 'd'.repeat(64), score: 1, ranks: {} };
const search = { search: () => Promise.resolve([hit]) };
const logic: Record<string, ServiceLogic> = {
  triage: triageLogic({ search, showInfoCards: false }),
  diagnosis: diagnosisLogic({ search, indicator: 'warning' }),
};
const log = createLogger('silent');

const fhir = await startDevFhirServer({});
const inputs = [];
for (const s of HOOK_SCENARIOS.filter((h) => h.service !== 'trial-match')) {
  const patientId = await loadDemoPatient(fhir, s.file);
  inputs.push({ service: s.service, patientId, prefetch: await demoPrefetch(fhir, s.service, patientId) });
}
await fhir.close();

for (const { service, patientId, prefetch } of inputs) {
  let cards = 0;
  const run = logic[service] as ServiceLogic;
  const call = () => run({ context: { patientId }, prefetch, log } as unknown as HookInput, (c) => (cards += c.length));
  for (let i = 0; i < 20; i++) await call();
  cards = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) await call();
  console.log(`${service}: ${((performance.now() - started) / calls).toFixed(2)} ms a call, ${cards / calls} card(s)`);
}
