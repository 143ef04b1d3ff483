/**
 * `npm run eval:diagnosis -- --data <dir>`: for each patient Bundle of a dx_synthea_smart_r4-style
 * set and each target condition (hypertension, diabetes, prediabetes, CKD), the target's Conditions
 * are hidden and the record goes through the same path as a hook call (request validation,
 * prefetch, PatientContext, criteria, the knowledge base, the cards) at the date of the last
 * Encounter. The condition counts as raised when a card for it comes back. Prints sensitivity and
 * specificity per condition, overall and on the subset whose data meet the guideline's criteria,
 * and the grounding rate (quoted passages found verbatim in the corpus). Last line JSON.
 *
 * `--shift-to-today` moves every dateTime of each record by one offset so its latest one falls
 * just before now (the dev FHIR server's time shift, dev/fhir-server/time-shift.ts; birth dates
 * stay), and evaluates at the wall-clock time, as a live hook would on a record whose last visit
 * is today. `--timepoints <n>` evaluates each record at up to n dates (Encounter times spread over
 * the record, the last one included): more, though correlated, cases from the same patients.
 * `--misses` lists each patient whose data meet the criteria but who got no card.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FhirResource } from 'fhir/r4.js';
import { PASSAGES_EXTENSION } from '../../src/cards/passages.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { invokeService } from '../../src/hooks/invoke.js';
import { prefetchFromRecord } from '../../src/hooks/prefetch/from-record.js';
import { loadServiceDefinitions } from '../../src/hooks/service-definitions.js';
import { createLogger } from '../../src/log.js';
import { DIAGNOSIS_EXTENSION } from '../../src/services/diagnosis/card.js';
import { dataMeetCriteria, goldLabel, lastEncounterTime, rates, TARGETS, withoutTarget, type Bundle } from '../eval/diagnosis.js';
import { diagnosisLogic } from '../../src/services/diagnosis/service.js';
import { openKnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { shiftToNow } from '../fhir-server/time-shift.js';

const { values } = parseArgs({
  options: { data: { type: 'string' }, 'htn-stage1': { type: 'string' }, 'shift-to-today': { type: 'boolean' }, misses: { type: 'boolean' }, timepoints: { type: 'string' } },
});
const shiftToToday = values['shift-to-today'] === true;
const timepoints = Number(values.timepoints ?? 1);
if (!Number.isInteger(timepoints) || timepoints < 1) {
  console.error('--timepoints must be a whole number of at least 1');
  process.exit(2);
}

/**
 * Up to `n` evaluation dates for one record: Encounter end (else start) times spread evenly over
 * the record, always including `last`. The service reads only what is dated up to each one
 * (PatientContext leaves out later results), and the gold label is read at it.
 */
function encounterTimes(bundle: Bundle, n: number, last: Date): Date[] {
  const times = [
    ...new Set(
      bundle.entry
        .filter(({ resource }) => resource['resourceType'] === 'Encounter')
        .map(({ resource }) => {
          const period = resource['period'] as { start?: string; end?: string } | undefined;
          return Date.parse(period?.end ?? period?.start ?? '');
        })
        .filter((t) => Number.isFinite(t) && t < last.getTime()),
    ),
  ].sort((a, b) => a - b);
  const step = times.length / (n - 1);
  const picked = new Set<number>();
  for (let i = 0; i < n - 1 && times.length > 0; i++) picked.add(times[Math.floor(i * step)] as number);
  return [...[...picked].map((t) => new Date(t)), last];
}
if (!values.data) {
  console.error(
    'usage: npm run eval:diagnosis -- --data <dir with bundles/ and index.jsonl> [--htn-stage1 with-indication|always|never] [--shift-to-today] [--timepoints <n>] [--misses]\n' +
      '  --htn-stage1      when stage 1 hypertension gets a card (default: CAIRN_DIAGNOSIS_HTN_STAGE1, else with-indication)\n' +
      '  --shift-to-today  move each record in time so its latest dateTime is just before now, and evaluate now\n' +
      '  --timepoints <n>  evaluate each record at up to n dates (Encounter times spread over the record, the last included); default 1\n' +
      '  --misses          list the patients whose data meet the criteria but who got no card',
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = createLogger('warn');
  const config = loadConfig({
    ...process.env,
    CAIRN_REQUIRE_AUTH: 'false',
    ...(values['htn-stage1'] !== undefined && { CAIRN_DIAGNOSIS_HTN_STAGE1: values['htn-stage1'] }),
  });
  const htnStage1 = config.diagnosisHtnStage1 ?? 'with-indication';
  const dir = values.data!;
  const index = (await readFile(join(dir, 'index.jsonl'), 'utf8')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { file: string });
  const corpus = await Promise.all((await readdir(config.guidelinesDir ?? 'guidelines')).filter((f) => f.endsWith('.md')).map((f) => readFile(join(config.guidelinesDir ?? 'guidelines', f), 'utf8')));

  const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: 'memory://' });
  await migrate(db);
  const kb = await openKnowledgeBase(db, {
    ...(config.embeddings && { embeddings: config.embeddings }),
    guidelinesDir: config.guidelinesDir ?? 'guidelines',
    ...(config.vectorsDir !== undefined && { vectorsDir: config.vectorsDir }),
    log,
  });
  const declared = (await loadServiceDefinitions(config.servicesDir)).find((d) => d.definition.id === 'diagnosis');
  if (!declared) throw new Error('cds-hooks/diagnosis.json not found');

  const outcomes: Array<{ file: string; key: string; gold: boolean; raised: boolean; dataMeet: boolean }> = [];
  let quoted = 0;
  let grounded = 0;
  for (const row of index) {
    const raw = JSON.parse(await readFile(join(dir, row.file), 'utf8')) as Bundle;
    // Shifted: the latest dateTime lands 5 minutes before now and the hook runs now.
    const bundle = shiftToToday ? shiftToNow(raw) : raw;
    const last = shiftToToday ? new Date() : lastEncounterTime(bundle);
    for (const referenceTime of timepoints > 1 ? encounterTimes(bundle, timepoints, last) : [last]) {
      const service = { definition: declared.definition, requiredPrefetch: declared.requiredPrefetch, run: diagnosisLogic({ search: kb.search, indicator: 'warning', htnStage1, now: () => referenceTime }) };
      for (const { key, valueSet } of TARGETS) {
        const hidden = withoutTarget(bundle, valueSet);
        const prefetch = prefetchFromRecord(hidden.entry.map((e) => e.resource as unknown as FhirResource), declared.definition.prefetch ?? {});
        const request = { hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/eval', patientId: prefetch.patient!.id }, prefetch };
        const result = await invokeService(service, request, { deadlineMs: 60_000, gatewayFor: () => undefined, log });
        const cards = result.status === 200 ? result.body.cards : [];
        for (const card of cards) {
          for (const p of (card.extension?.[PASSAGES_EXTENSION] as Array<{ text: string }> | undefined) ?? []) {
            quoted++;
            if (corpus.some((doc) => doc.includes(p.text))) grounded++;
          }
        }
        const raised = cards.some((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition?: string } | undefined)?.condition === key);
        const ctx = buildPatientContext({ resources: [hidden], referenceTime });
        outcomes.push({ file: timepoints > 1 ? `${row.file} @ ${referenceTime.toISOString()}` : row.file, key, gold: goldLabel(bundle, valueSet, referenceTime), raised, dataMeet: dataMeetCriteria(key, ctx, htnStage1) });
      }
    }
  }
  await db.close();

  const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
  const result: Record<string, unknown> = {};
  const when =
    (shiftToToday ? 'records shifted so the latest dateTime is just before now, evaluated now' : 'evaluated at the last Encounter') +
    (timepoints > 1 ? ` and at up to ${timepoints - 1} earlier Encounter times (${outcomes.length / TARGETS.length} patient-dates)` : '');
  console.log(`\neval:diagnosis — ${dir} — ${index.length} patients × ${TARGETS.length} conditions — stage 1 hypertension cards: ${htnStage1} — ${when}\n`);
  console.log('| condition | sensitivity (TP/P) | specificity (TN/N) | sensitivity, data meet criteria (TP/P) | specificity, data do not meet (TN/N) |');
  console.log('|---|---|---|---|---|');
  for (const { key } of TARGETS) {
    const mine = outcomes.filter((o) => o.key === key);
    const all = rates(mine);
    const meet = rates(mine.filter((o) => o.dataMeet));
    const notMeet = rates(mine.filter((o) => !o.dataMeet));
    console.log(
      `| ${key} | ${fmt(all.sensitivity)} (${all.truePositives}/${all.positives}) | ${fmt(all.specificity)} (${all.trueNegatives}/${all.negatives}) | ${fmt(meet.sensitivity)} (${meet.truePositives}/${meet.positives}) | ${fmt(notMeet.specificity)} (${notMeet.trueNegatives}/${notMeet.negatives}) |`,
    );
    result[key] = { overall: all, dataMeetCriteria: meet, dataDoNotMeet: notMeet };
  }
  if (values.misses) {
    console.log('\nmisses (data meet the criteria, condition active, no card):');
    for (const o of outcomes.filter((x) => x.gold && x.dataMeet && !x.raised)) console.log(`  ${o.key}\t${o.file}`);
  }
  const groundingRate = quoted === 0 ? null : grounded / quoted;
  console.log(`\ngrounding: ${grounded}/${quoted} quoted passages found verbatim in the corpus (${fmt(groundingRate)}); run time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify({ eval: 'diagnosis', data: dir, htnStage1, shiftToToday, timepoints, patients: index.length, conditions: result, grounding: { quoted, grounded, rate: groundingRate } }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
