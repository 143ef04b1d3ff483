/**
 * `npm run eval:triage -- --data <ktas.jsonl | triage_mimic_iv_ed_demo folder or triage_public.csv> [--sweep]`:
 * each record (KTAS, Moon et al. 2019, CC BY 4.0; or a MIMIC-IV-ED demo triage row, ODbL)
 * becomes FHIR resources and goes through the same path as a hook call (request validation,
 * prefetch resolution, PatientContext, the triage logic with the knowledge base, the card). The
 * level is read back from the card. Prints agreement with the gold level (KTAS: ktas_expert;
 * MIMIC: the nurse's acuity) for Cairn and, for KTAS, the triage nurse (ktas_rn), and the 5×5
 * confusion matrices; the last line is JSON.
 *
 * `--sweep` (KTAS only): the trade-off curve of the decision point C operating point (the grid
 * below) on the whole split, and a 5-fold cross-validation that picks the point on four folds by
 * the rule stated in docs/EVALUATION.md and scores it on the fifth.
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
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
import { confusionTable, triageAgreement, type TriageAgreement } from '../eval/triage-agreement.js';
import { mimicTriageRecords } from '../eval/mimic-ed.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { assessAcuity, type AcuityOptions } from '../../src/services/triage/acuity.js';
import { assessTriage, resourceEstimateFor } from '../../src/services/triage/assess.js';
import { knowledgeBaseHighRiskMatcher } from '../../src/services/triage/high-risk-matcher.js';
import { DEFAULT_RESOURCE_OPTIONS, type ResourceEstimateOptions } from '../../src/services/triage/resources.js';
import { TRIAGE_EXTENSION } from '../../src/services/triage/card.js';
import { KTAS_REFERENCE_TIME, ktasRecordToBundle, parseKtasJsonl, type KtasRecord } from '../eval/ktas.js';
import { triageLogic } from '../../src/services/triage/service.js';

const { values } = parseArgs({
  options: { data: { type: 'string' }, limit: { type: 'string' }, format: { type: 'string' }, sweep: { type: 'boolean' }, 'sweep-d': { type: 'boolean' }, out: { type: 'string' } },
});
if (!values.data) {
  console.error('usage: npm run eval:triage -- --data <ktas.jsonl | mimic folder | triage_public.csv> [--format ktas|mimic] [--limit N] [--sweep [--sweep-d]] [--out per-record.jsonl]');
  process.exit(2);
}

/** KTAS JSONL, or the MIMIC-IV-ED demo (its folder, or triage_public.csv with edstays.csv beside it). */
async function loadRecords(path: string): Promise<{ format: 'ktas' | 'mimic'; records: KtasRecord[]; notes: string[] }> {
  const isDir = (await stat(path)).isDirectory();
  const format = values.format ?? (isDir || path.endsWith('.csv') ? 'mimic' : 'ktas');
  if (format === 'ktas') {
    const { records, errors } = parseKtasJsonl(await readFile(path, 'utf8'));
    return { format, records, notes: errors.map((e) => `line ${e.line}: ${e.message}`) };
  }
  if (format !== 'mimic') throw new Error(`unknown --format ${format}`);
  const triagePath = isDir ? join(path, 'triage_public.csv') : path;
  const staysPath = join(isDir ? path : join(path, '..'), 'edstays.csv');
  const stays = await readFile(staysPath, 'utf8').catch(() => null);
  const { records, excluded } = mimicTriageRecords(await readFile(triagePath, 'utf8'), stays);
  return { format, records, notes: excluded };
}

// --- the operating-point sweep ---------------------------------------------------------------------

/** Cairn before decision point C: no resource estimate, the acuity options of the time. */
const BEFORE = 'before: resources unknown';

interface OperatingPoint {
  name: string;
  resources: ResourceEstimateOptions;
  acuity: AcuityOptions;
}

/**
 * The grid: the knobs of decision point C that the handbook leaves to judgement, and which route
 * decides a high-risk complaint. Decision point D is kept as it was (danger-zone vitals on the way
 * to level 3 → level 2): `--sweep-d` adds its `consider` setting, for the record (docs/EVALUATION.md
 * says why it is not a candidate).
 */
function grid(): OperatingPoint[] {
  const points: OperatingPoint[] = [];
  for (const olderAdultAge of [null, 80, 70, 65, 60, 50]) {
    for (const dangerZone of values['sweep-d'] ? (['upgrade', 'consider'] as const) : (['upgrade'] as const)) {
      for (const dangerZoneWithFewerResources of ['consider', 'level-3'] as const) {
        for (const noResourceLevel of [5, 4] as const) {
          for (const highRiskSource of ['either', 'table-first'] as const) {
            points.push({
              name: `older≥${olderAdultAge ?? 'off'} D:${dangerZone} D<2res:${dangerZoneWithFewerResources} none→${noResourceLevel} B:${highRiskSource}`,
              resources: { olderAdultAge, multipleProblemsAtLeast: DEFAULT_RESOURCE_OPTIONS.multipleProblemsAtLeast },
              acuity: { dangerZone, dangerZoneWithFewerResources, noResourceLevel, highRiskSource },
            });
          }
        }
      }
    }
  }
  return points;
}

/** Deterministic fold of a record (FNV-1a of its position in the file), so every run uses the same folds. */
function foldOf(id: string, k: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h % k;
}

/**
 * The rule: the lowest over-triage among the points whose under-triage is at most the nurse's AND
 * at most Cairn's before decision point C (resources unknown: levels 4 and 5 never assigned) on
 * the same records, so that lowering over-triage never raises under-triage; ties broken by higher
 * exact agreement. If no point qualifies, the lowest under-triage. (The first version of the rule
 * compared with the nurse only; docs/EVALUATION.md gives both.)
 */
function choose(points: OperatingPoint[], levels: Map<string, number[]>, rows: Array<{ gold: number; nurse: number | null; i: number }>): OperatingPoint {
  const nurse = triageAgreement(rows.filter((r) => r.nurse !== null).map((r) => ({ assigned: r.nurse!, gold: r.gold })));
  const before = triageAgreement(rows.map((r) => ({ assigned: levels.get(BEFORE)![r.i]!, gold: r.gold })));
  const limit = Math.min(nurse.underTriage, before.underTriage);
  const scored = points.map((p) => ({ p, a: triageAgreement(rows.map((r) => ({ assigned: levels.get(p.name)![r.i]!, gold: r.gold }))) }));
  const ok = scored.filter((s) => s.a.underTriage <= limit);
  const pool = ok.length > 0 ? ok : scored;
  pool.sort((x, y) => (ok.length > 0 ? x.a.overTriage - y.a.overTriage || y.a.exact - x.a.exact : x.a.underTriage - y.a.underTriage || x.a.overTriage - y.a.overTriage));
  return pool[0]!.p;
}

function row(name: string, a: TriageAgreement): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return `| ${name} | ${a.n} | ${pct(a.exact)} | ${pct(a.withinOne)} | ${a.quadraticKappa.toFixed(3)} | ${pct(a.underTriage)} | ${pct(a.overTriage)} |`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = createLogger('warn');
  const config = loadConfig({ ...process.env, CAIRN_REQUIRE_AUTH: 'false' });
  const { format, records, notes } = await loadRecords(values.data!);
  const selected = values.limit ? records.slice(0, Number(values.limit)) : records;
  const points = values.sweep ? grid() : [];
  const sweepLevels = new Map<string, number[]>([[BEFORE, []], ...points.map((p): [string, number[]] => [p.name, []])]);
  const sweepRows: Array<{ gold: number; nurse: number | null; i: number }> = [];
  let sweepMismatch = 0;
  const perRecord: unknown[] = [];

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
  const matcher = knowledgeBaseHighRiskMatcher(kb.search);

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
    const triage = card?.extension?.[TRIAGE_EXTENSION] as { esiLevel: number; setBy: string; resources?: unknown } | undefined;
    if (record.ktas_rn !== null) nurse.push({ assigned: record.ktas_rn, gold: record.ktas_expert });
    if (!triage) {
      noCard++;
      continue;
    }
    setBy[triage.setBy] = (setBy[triage.setBy] ?? 0) + 1;
    cairn.push({ assigned: triage.esiLevel, gold: record.ktas_expert });
    // Per-record rows for error analysis (outside the repository: they are evaluation data).
    perRecord.push({ id: record.id, complaint: record.chief_complaint, age: record.age, gold: record.ktas_expert, nurse: record.ktas_rn, cairn: triage.esiLevel, setBy: triage.setBy, resources: triage.resources });
    if (points.length > 0) {
      // The same record through the pure core once per operating point; the knowledge-base match is made once.
      const resources = (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
      const context = buildPatientContext({ resources, referenceTime: KTAS_REFERENCE_TIME, patientId: prefetch.patient!.id! });
      const base = await assessTriage({ context, resources, matcher });
      if (base.acuity.level !== triage.esiLevel) sweepMismatch++;
      sweepLevels.get(BEFORE)!.push(assessAcuity({ observations: base.observations, highRisk: base.highRisk, resources: { status: 'unknown', reason: 'before' } }).level);
      for (const p of points) {
        const estimate = resourceEstimateFor(context, base.observations, p.resources);
        sweepLevels.get(p.name)!.push(assessAcuity({ observations: base.observations, highRisk: base.highRisk, resources: estimate, options: p.acuity }).level);
      }
      sweepRows.push({ gold: record.ktas_expert, nurse: record.ktas_rn, i: sweepRows.length });
    }
  }
  await db.close();
  if (values.out) await writeFile(values.out, perRecord.map((r) => JSON.stringify(r)).join('\n') + '\n');

  const cairnAgreement = triageAgreement(cairn);
  const nurseAgreement = triageAgreement(nurse);
  const goldName = format === 'ktas' ? 'expert KTAS' : 'nurse ESI (acuity)';
  console.log(`\neval:triage — ${values.data} (${format}) — ${selected.length} records (${notes.length} values or lines left out), ${noCard} without a card`);
  for (const n of notes.slice(0, 20)) console.log(`  left out: ${n}`);
  console.log(`\ngold: ${goldName}\n\n| assigned by | n | exact | within one | quadratic kappa | under-triage | over-triage |`);
  console.log('|---|---|---|---|---|---|---|');
  console.log(row('Cairn (ESI v4 decision points)', cairnAgreement));
  if (nurse.length > 0) console.log(row('Triage nurse (ktas_rn)', nurseAgreement));
  console.log(`\nCairn:\n\n${confusionTable(cairn, goldName)}`);
  if (nurse.length > 0) console.log(`\nTriage nurse:\n\n${confusionTable(nurse, goldName)}`);
  console.log(`\nlevels set by decision point: ${JSON.stringify(setBy)}; run time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  let sweep: unknown;
  if (points.length > 0) sweep = reportSweep(points, sweepLevels, sweepRows, sweepMismatch);
  console.log(JSON.stringify({ eval: 'triage', data: values.data, format, records: selected.length, noCard, cairn: cairnAgreement, nurse: nurseAgreement, setBy, sweep }));
}

function reportSweep(points: OperatingPoint[], levels: Map<string, number[]>, rows: Array<{ gold: number; nurse: number | null; i: number }>, mismatch: number): unknown {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`\n## Trade-off curve (whole development split, ${rows.length} records; pure-core levels differing from the card's at the shipped point: ${mismatch})\n`);
  console.log('| operating point | exact | under-triage | over-triage |');
  console.log('|---|---|---|---|');
  const curve = [BEFORE, ...points.map((p) => p.name)].map((name) => ({ name, a: triageAgreement(rows.map((r) => ({ assigned: levels.get(name)![r.i]!, gold: r.gold }))) }));
  for (const c of [...curve].sort((x, y) => x.a.underTriage - y.a.underTriage || x.a.overTriage - y.a.overTriage)) {
    console.log(`| ${c.name} | ${pct(c.a.exact)} | ${pct(c.a.underTriage)} | ${pct(c.a.overTriage)} |`);
  }
  const k = 5;
  const heldOut: Array<{ assigned: number; gold: number }> = [];
  const nurseHeldOut: Array<{ assigned: number; gold: number }> = [];
  const chosen: string[] = [];
  console.log(`\n## ${k}-fold cross-validation: point chosen on four folds by the stated rule, scored on the fifth\n`);
  console.log('| fold | n | chosen on the other folds | exact | under-triage | over-triage | nurse under-triage | before C under-triage |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (let f = 0; f < k; f++) {
    const ids = (r: { i: number }) => foldOf(String(r.i), k);
    const train = rows.filter((r) => ids(r) !== f);
    const test = rows.filter((r) => ids(r) === f);
    const p = choose(points, levels, train);
    chosen.push(p.name);
    const pairs = test.map((r) => ({ assigned: levels.get(p.name)![r.i]!, gold: r.gold }));
    const nursePairs = test.filter((r) => r.nurse !== null).map((r) => ({ assigned: r.nurse!, gold: r.gold }));
    heldOut.push(...pairs);
    nurseHeldOut.push(...nursePairs);
    const a = triageAgreement(pairs);
    const beforeC = triageAgreement(test.map((r) => ({ assigned: levels.get(BEFORE)![r.i]!, gold: r.gold })));
    console.log(`| ${f + 1} | ${test.length} | ${p.name} | ${pct(a.exact)} | ${pct(a.underTriage)} | ${pct(a.overTriage)} | ${pct(triageAgreement(nursePairs).underTriage)} | ${pct(beforeC.underTriage)} |`);
  }
  const pooled = triageAgreement(heldOut);
  const nursePooled = triageAgreement(nurseHeldOut);
  console.log(`\nheld-out folds pooled (n ${pooled.n}): exact ${pct(pooled.exact)}, under-triage ${pct(pooled.underTriage)} (nurse ${pct(nursePooled.underTriage)}), over-triage ${pct(pooled.overTriage)}, kappa ${pooled.quadraticKappa.toFixed(3)}`);
  const all = choose(points, levels, rows);
  console.log(`chosen on the whole split by the same rule: ${all.name}`);
  return { heldOut: pooled, nurseHeldOut: nursePooled, chosenPerFold: chosen, chosenOnAll: all.name, mismatch };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
