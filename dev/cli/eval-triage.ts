/**
 * `npm run eval:triage -- --data <ktas.jsonl>`: each KTAS record (Moon et al. 2019, CC BY 4.0)
 * becomes FHIR resources and goes through the same path as a hook call (request validation,
 * prefetch resolution, PatientContext, the triage logic with the knowledge base, the card). The
 * level is read back from the card. Prints agreement with the expert level (ktas_expert) for
 * Cairn and for the triage nurse (ktas_rn); the last line is JSON.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Bundle } from 'fhir/r4.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { invokeService } from '../../src/hooks/invoke.js';
import { prefetchFromRecord } from '../../src/hooks/prefetch/from-record.js';
import { loadServiceDefinitions } from '../../src/hooks/service-definitions.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createLogger } from '../../src/log.js';
import { openKnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { triageAgreement, type TriageAgreement } from '../eval/triage-agreement.js';
import { TRIAGE_EXTENSION } from '../../src/services/triage/card.js';
import { KTAS_REFERENCE_TIME, ktasRecordToBundle, parseKtasJsonl } from '../eval/ktas.js';
import { triageLogic } from '../../src/services/triage/service.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, limit: { type: 'string' } } });
if (!values.data) {
  console.error('usage: npm run eval:triage -- --data <ktas.jsonl> [--limit N]');
  process.exit(2);
}

function row(name: string, a: TriageAgreement): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return `| ${name} | ${a.n} | ${pct(a.exact)} | ${pct(a.withinOne)} | ${a.quadraticKappa.toFixed(3)} | ${pct(a.underTriage)} | ${pct(a.overTriage)} |`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = createLogger('warn');
  const config = loadConfig({ ...process.env, CAIRN_REQUIRE_AUTH: 'false' });
  const { records, errors } = parseKtasJsonl(await readFile(values.data!, 'utf8'));
  const selected = values.limit ? records.slice(0, Number(values.limit)) : records;

  const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: 'memory://' });
  await migrate(db);
  const kb = await openKnowledgeBase(db, {
    ...(config.embeddings && { embeddings: config.embeddings }),
    guidelinesDir: config.guidelinesDir ?? 'guidelines',
    ...(config.vectorsDir !== undefined && { vectorsDir: config.vectorsDir }),
    log,
  });
  const definition = (await loadServiceDefinitions(config.servicesDir)).find((d) => d.definition.id === 'triage');
  if (!definition) throw new Error('cds-hooks/triage.json not found');
  const service: CdsService = {
    definition: definition.definition,
    requiredPrefetch: definition.requiredPrefetch,
    // Info cards on, so every record with data yields a level; the clock at the records' time.
    run: triageLogic({ search: kb.search, showInfoCards: true, now: () => KTAS_REFERENCE_TIME }),
  };

  const cairn: Array<{ assigned: number; gold: number }> = [];
  const nurse: Array<{ assigned: number; gold: number }> = [];
  const setBy: Record<string, number> = {};
  let noCard = 0;
  for (const record of selected) {
    if (record.ktas_expert === null) continue;
    const bundle = ktasRecordToBundle(record);
    const prefetch = prefetchFromRecord(((bundle as Bundle).entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])), definition.definition.prefetch ?? {});
    const request = {
      hook: 'patient-view',
      hookInstance: randomUUID(),
      context: { userId: 'Practitioner/eval', patientId: prefetch.patient!.id },
      prefetch,
    };
    const result = await invokeService(service, request, { deadlineMs: 30_000, gatewayFor: () => undefined, log });
    const card = result.status === 200 ? result.body.cards[0] : undefined;
    const triage = card?.extension?.[TRIAGE_EXTENSION] as { esiLevel: number; setBy: string } | undefined;
    if (record.ktas_rn !== null) nurse.push({ assigned: record.ktas_rn, gold: record.ktas_expert });
    if (!triage) {
      noCard++;
      continue;
    }
    setBy[triage.setBy] = (setBy[triage.setBy] ?? 0) + 1;
    cairn.push({ assigned: triage.esiLevel, gold: record.ktas_expert });
  }
  await db.close();

  const cairnAgreement = triageAgreement(cairn);
  const nurseAgreement = triageAgreement(nurse);
  console.log(`\neval:triage — ${values.data} — ${selected.length} records (${errors.length} unparseable lines), ${noCard} without a card`);
  console.log('\n| assigned by | n | exact | within one | quadratic kappa | under-triage | over-triage |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(row('Cairn (ESI v4 decision points)', cairnAgreement));
  console.log(row('Triage nurse (ktas_rn)', nurseAgreement));
  console.log(`\nlevels set by decision point: ${JSON.stringify(setBy)}; run time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify({ eval: 'triage', data: values.data, records: selected.length, noCard, cairn: cairnAgreement, nurse: nurseAgreement, setBy }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
