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
import { assessAcuity, fittedScoreFeatures, type AcuityOptions } from '../../src/services/triage/acuity.js';
import { assessTriage, DEFAULT_ACUITY_OPTIONS, resourceEstimateFor } from '../../src/services/triage/assess.js';
import type { FeatureValue, TriageScoreModel } from '../../src/services/triage/fitted-score.js';
import { fitScore, pointsOf, type ScoreSpec } from '../eval/score-fit.js';
import { knowledgeBaseHighRiskMatcher } from '../../src/services/triage/high-risk-matcher.js';
import { DEFAULT_RESOURCE_OPTIONS, type ResourceEstimateOptions } from '../../src/services/triage/resources.js';
import { TRIAGE_EXTENSION } from '../../src/services/triage/card.js';
import { KTAS_REFERENCE_TIME, ktasRecordToBundle, parseKtasJsonl, type KtasRecord } from '../eval/ktas.js';
import { triageLogic } from '../../src/services/triage/service.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    limit: { type: 'string' },
    format: { type: 'string' },
    sweep: { type: 'boolean' },
    'sweep-d': { type: 'boolean' },
    out: { type: 'string' },
    fit: { type: 'string' },
    'score-features': { type: 'string' },
    'no-one-resource': { type: 'boolean' },
  },
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
  const scoreRows: ScoreRow[] = [];
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
    run: triageLogic({ search: kb.search, showInfoCards: true, fittedScore: config.triageFittedScore ?? false, now: () => KTAS_REFERENCE_TIME }),
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
      scoreRows.push(scoreRow(context, base.observations, base.highRisk, record.ktas_expert, record.ktas_rn));
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
  if (points.length > 0) sweep = { grid: reportSweep(points, sweepLevels, sweepRows, sweepMismatch), fittedScore: await reportScoreFit(scoreRows) };
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

// --- Cairn's fitted scores (src/services/triage/fitted-score.ts) ------------------------------------

/** The operating point the scores start from: the shipped options without a fitted score. */
const SCORE_BASE: AcuityOptions = { ...DEFAULT_ACUITY_OPTIONS, fittedScore: null };

/**
 * The small feature sets (default): a few named, clinically plausible features per score, fewer
 * weights to estimate from a few hundred records. `--score-features all` uses SCORE_SPECS_ALL.
 */
/** What each score decides, whichever features it is fitted with. */
const SCORE_QUESTIONS: Record<'danger-zone' | 'resources', Omit<ScoreSpec, 'features'>> = {
  'danger-zone': {
    name: 'danger-zone',
    question: 'A danger-zone heart or respiratory rate for age (ESI v4 decision point D; or severe pain with such a rate, ch. 4): level 2 (points at or above the threshold) or level 3',
    target: 'expert KTAS level 1 or 2',
  },
  resources: {
    name: 'resources',
    question:
      'Where the resource table decides between level 3 and 4 (one resource; or two or more without a danger-zone vital sign, ESI v4 decision point C): level 3 (points at or above the threshold) or level 4',
    target: 'expert KTAS level 1, 2 or 3',
  },
};

const SCORE_SPECS_SMALL: Record<'danger-zone' | 'resources', ScoreSpec> = {
  'danger-zone': {
    ...SCORE_QUESTIONS['danger-zone'],
    features: ['heart-rate-over-line', 'respiratory-rate-over-line', 'age-65-or-older', 'pain-7-or-more', 'temperature-38-or-more', 'systolic-bp-under-100'],
  },
  resources: {
    ...SCORE_QUESTIONS.resources,
    features: ['resource-kinds', 'needs-ecg', 'needs-advanced-imaging', 'age-65-or-older', 'pain-7-or-more', 'pain-4-to-6', 'temperature-38-or-more'],
  },
};

/** Features both scores are offered in SCORE_SPECS_ALL: the patient's state, then the resources expected. */
const PATIENT_FEATURES: ScoreSpec['features'] = ['age-65-or-older', 'pain-7-or-more', 'pain-4-to-6', 'temperature-38-or-more', 'systolic-bp-under-100'];
const RESOURCE_FEATURES: ScoreSpec['features'] = ['resource-kinds', 'needs-advanced-imaging', 'needs-parenteral-medication', 'needs-iv-fluids', 'needs-ecg'];

const SCORE_SPECS_ALL: Record<'danger-zone' | 'resources', ScoreSpec> = {
  'danger-zone': {
    ...SCORE_QUESTIONS['danger-zone'],
    features: ['heart-rate-over-line', 'respiratory-rate-over-line', 'both-rates-over-line', ...PATIENT_FEATURES, ...RESOURCE_FEATURES, 'high-risk-passage'],
  },
  resources: {
    ...SCORE_QUESTIONS.resources,
    features: [
      'heart-rate-over-line',
      'respiratory-rate-over-line',
      ...PATIENT_FEATURES,
      ...RESOURCE_FEATURES,
      'needs-specialty-consultation',
      'needs-procedure',
      'high-risk-passage',
    ],
  },
};

/**
 * A record for the score fit: its features and the levels the pure core gives for each answer of
 * the two scores (the danger-zone score urgent or not × the resource score off, urgent or not).
 * The answers do not depend on the weights, so each fold's fit only has to compute points.
 */
interface ScoreRow {
  gold: number;
  nurse: number | null;
  features: FeatureValue[];
  /** levels[u][r]: u 0 = danger-zone score says level 2, 1 = says 3; r 0 = resource score off, 1 = says 3, 2 = says 4. */
  levels: number[][];
  /** One resource expected (the resource score's one-resource threshold applies). */
  oneResource: boolean;
}

const PROBE = (u: boolean, r: boolean | null): TriageScoreModel => ({
  id: 'probe',
  label: 'probe',
  source: {},
  scores: {
    'danger-zone': { question: '', target: '', points: {}, coefficients: {}, fittedOn: 0, threshold: u ? -1e9 : 1e9 },
    resources: { question: '', target: '', points: {}, coefficients: {}, fittedOn: 0, threshold: r === null ? null : r ? -1e9 : 1e9, thresholdOneResource: r === null ? null : r ? -1e9 : 1e9 },
  },
});

function scoreRow(context: Parameters<typeof resourceEstimateFor>[0], observations: Parameters<typeof resourceEstimateFor>[1], highRisk: Parameters<typeof fittedScoreFeatures>[1], gold: number, nurse: number | null): ScoreRow {
  const resources = resourceEstimateFor(context, observations);
  const level = (u: boolean, r: boolean | null): number => assessAcuity({ observations, highRisk, resources, options: { ...SCORE_BASE, fittedScore: PROBE(u, r) } }).level;
  return {
    gold,
    nurse,
    features: fittedScoreFeatures(observations, highRisk, resources),
    levels: [true, false].map((u) => [null, true, false].map((r) => level(u, r))),
    oneResource: resources.status === 'estimated' && resources.count === 'one',
  };
}

const OFF = null;
/**
 * Thresholds tried (off: the handbook default; for the danger-zone score that is always level 2,
 * for the resource score the table's level 4 for one resource and 3 for two or more).
 */
const range = (from: number, to: number, step: number): number[] => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);
const DZ_THRESHOLDS: Array<number | null> = [OFF, ...range(-2, 8, 0.5)];
const RES_THRESHOLDS: Array<number | null> = [OFF, ...range(-4, 16, 1)];
/** `--no-one-resource`: the one-resource threshold is not tried (one resource stays level 4). */
const ONE_RES_THRESHOLDS: Array<number | null> = values['no-one-resource'] ? [OFF] : RES_THRESHOLDS;

/**
 * Points for the rows idx from weights fitted without them (inner k-fold): thresholds are chosen
 * on these, so they reflect how the weights do on records they were not fitted on.
 */
function outOfFoldPoints(rows: ScoreRow[], idx: number[], k = 5): ScoreFit {
  const pu = rows.map(() => Number.NaN);
  const pr = rows.map(() => Number.NaN);
  for (let f = 0; f < k; f++) {
    const inner = idx.filter((i) => foldOf(`inner-${i}`, k) === f);
    const fit = fitOn(rows, idx.filter((i) => foldOf(`inner-${i}`, k) !== f));
    for (const i of inner) {
      pu[i] = fit.pu[i]!;
      pr[i] = fit.pr[i]!;
    }
  }
  return { model: fitOn(rows, idx).model, pu, pr };
}

interface Thresholds {
  tu: number | null;
  tr: number | null;
  t1: number | null;
}

interface ScoreFit {
  model: TriageScoreModel;
  /** Points per row (NaN where the score does not apply). */
  pu: number[];
  pr: number[];
}

const SCORE_SPECS = values['score-features'] === 'all' ? SCORE_SPECS_ALL : SCORE_SPECS_SMALL;

function fitOn(rows: ScoreRow[], idx: number[]): ScoreFit {
  const inU = (r: ScoreRow) => r.levels[0]![0] !== r.levels[1]![0];
  const inR = (r: ScoreRow) => r.levels[0]![1] !== r.levels[0]![2];
  const u = fitScore(SCORE_SPECS['danger-zone'], idx.map((i) => rows[i]!).filter(inU).map((r) => ({ features: r.features, y: r.gold <= 2 ? 1 : 0 })));
  const rr = fitScore(SCORE_SPECS.resources, idx.map((i) => rows[i]!).filter(inR).map((r) => ({ features: r.features, y: r.gold <= 3 ? 1 : 0 })));
  const model: TriageScoreModel = { id: 'cairn-triage-score', label: '', source: {}, scores: { 'danger-zone': u, resources: rr } };
  return { model, pu: rows.map((r) => pointsOf('danger-zone', u, r.features)), pr: rows.map((r) => pointsOf('resources', rr, r.features)) };
}

function levelAt(r: ScoreRow, pu: number, pr: number, t: Thresholds): number {
  const u = t.tu === null || pu >= t.tu ? 0 : 1;
  const tr = r.oneResource ? t.t1 : t.tr;
  const rr = tr === null ? 0 : pr >= tr ? 1 : 2;
  return r.levels[u]![rr]!;
}

/** The stated rule on the rows idx: lowest over-triage with under-triage ≤ the nurse's and ≤ before (no score); ties by exact. */
function chooseThresholds(rows: ScoreRow[], fit: ScoreFit, idx: number[]): Thresholds & { curve: Array<Thresholds & { a: TriageAgreement }> } {
  const nurse = triageAgreement(idx.filter((i) => rows[i]!.nurse !== null).map((i) => ({ assigned: rows[i]!.nurse!, gold: rows[i]!.gold })));
  const before = triageAgreement(idx.map((i) => ({ assigned: rows[i]!.levels[0]![0]!, gold: rows[i]!.gold })));
  const limit = Math.min(nurse.underTriage, before.underTriage);
  const curve: Array<Thresholds & { a: TriageAgreement }> = [];
  for (const tu of DZ_THRESHOLDS) {
    for (const tr of RES_THRESHOLDS) {
      for (const t1 of ONE_RES_THRESHOLDS) {
        const t = { tu, tr, t1 };
        const a = triageAgreement(idx.map((i) => ({ assigned: levelAt(rows[i]!, fit.pu[i]!, fit.pr[i]!, t), gold: rows[i]!.gold })));
        curve.push({ ...t, a });
      }
    }
  }
  const ok = curve.filter((c) => c.a.underTriage <= limit + 1e-12);
  ok.sort((x, y) => x.a.overTriage - y.a.overTriage || y.a.exact - x.a.exact || x.a.underTriage - y.a.underTriage);
  const best = ok[0] ?? { tu: null, tr: null, t1: null };
  return { tu: best.tu, tr: best.tr, t1: best.t1, curve };
}

async function reportScoreFit(rows: ScoreRow[]): Promise<unknown> {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const th = (t: number | null) => (t === null ? 'off' : String(t));
  const k = 5;
  const all = rows.map((_, i) => i);
  console.log(`\n## Fitted scores: ${k}-fold cross-validation (weights fitted and thresholds chosen on four folds, scored on the fifth)
`);
  console.log('| fold | n | thresholds: danger-zone / resources ≥2 / one resource | exact | under-triage | over-triage | nurse under | before under |');
  console.log('|---|---|---|---|---|---|---|---|');
  const heldOut: Array<{ assigned: number; gold: number }> = [];
  const perFold: unknown[] = [];
  for (let f = 0; f < k; f++) {
    const train = all.filter((i) => foldOf(String(i), k) !== f);
    const test = all.filter((i) => foldOf(String(i), k) === f);
    const fit = fitOn(rows, train);
    const { tu, tr, t1 } = chooseThresholds(rows, outOfFoldPoints(rows, train), train);
    const pairs = test.map((i) => ({ assigned: levelAt(rows[i]!, fit.pu[i]!, fit.pr[i]!, { tu, tr, t1 }), gold: rows[i]!.gold }));
    heldOut.push(...pairs);
    const a = triageAgreement(pairs);
    const nurse = triageAgreement(test.filter((i) => rows[i]!.nurse !== null).map((i) => ({ assigned: rows[i]!.nurse!, gold: rows[i]!.gold })));
    const before = triageAgreement(test.map((i) => ({ assigned: rows[i]!.levels[0]![0]!, gold: rows[i]!.gold })));
    perFold.push({ fold: f + 1, n: test.length, tu, tr, t1, points: { u: fit.model.scores['danger-zone'].points, r: fit.model.scores.resources.points }, heldOut: a });
    console.log(`| ${f + 1} | ${test.length} | ${th(tu)} / ${th(tr)} / ${th(t1)} | ${pct(a.exact)} | ${pct(a.underTriage)} | ${pct(a.overTriage)} | ${pct(nurse.underTriage)} | ${pct(before.underTriage)} |`);
    console.log(`|   | points | danger-zone ${JSON.stringify(fit.model.scores['danger-zone'].points)}; resources ${JSON.stringify(fit.model.scores.resources.points)} | | | | | |`);
  }
  const pooled = triageAgreement(heldOut);
  const beforePooled = triageAgreement(rows.map((r) => ({ assigned: r.levels[0]![0]!, gold: r.gold })));
  console.log(
    `\nheld-out folds pooled (n ${pooled.n}): exact ${pct(pooled.exact)}, under-triage ${pct(pooled.underTriage)}, over-triage ${pct(pooled.overTriage)}, kappa ${pooled.quadraticKappa.toFixed(3)} (before, no score: ${pct(beforePooled.exact)} / ${pct(beforePooled.underTriage)} / ${pct(beforePooled.overTriage)})`,
  );
  console.log(`\nheld-out confusion (pooled):\n\n${confusionTable(heldOut, 'expert KTAS')}`);

  const fit = fitOn(rows, all);
  const oof = outOfFoldPoints(rows, all);
  const { tu, tr, t1, curve } = chooseThresholds(rows, oof, all);
  // The trade-off curve on the whole split: the points no other point beats on both error rates.
  const front = curve
    .filter((c) => !curve.some((o) => o.a.underTriage <= c.a.underTriage && o.a.overTriage <= c.a.overTriage && (o.a.underTriage < c.a.underTriage || o.a.overTriage < c.a.overTriage)))
    .sort((x, y) => x.a.underTriage - y.a.underTriage || x.a.overTriage - y.a.overTriage);
  const seen = new Set<string>();
  console.log(`\n## Fitted scores: trade-off curve on the whole split (out-of-fold points, inner 5-fold; Pareto front of ${curve.length} threshold combinations)
`);
  console.log('| thresholds: danger-zone / resources ≥2 / one resource | exact | under-triage | over-triage |');
  console.log('|---|---|---|---|');
  for (const c of front) {
    const key = `${c.a.underTriage}/${c.a.overTriage}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const mark = c.tu === tu && c.tr === tr && c.t1 === t1 ? ' (chosen)' : '';
    console.log(`| ${th(c.tu)} / ${th(c.tr)} / ${th(c.t1)}${mark} | ${pct(c.a.exact)} | ${pct(c.a.underTriage)} | ${pct(c.a.overTriage)} |`);
  }
  const chosen = triageAgreement(rows.map((r, i) => ({ assigned: levelAt(r, fit.pu[i]!, fit.pr[i]!, { tu, tr, t1 }), gold: r.gold })));
  console.log(`\nchosen on the whole split: thresholds danger-zone ${th(tu)}, resources ≥2 ${th(tr)}, one resource ${th(t1)}: exact ${pct(chosen.exact)}, under ${pct(chosen.underTriage)}, over ${pct(chosen.overTriage)}`);
  console.log(`danger-zone points ${JSON.stringify(fit.model.scores['danger-zone'].points)}; resource points ${JSON.stringify(fit.model.scores.resources.points)}`);
  const summary = { pooledHeldOut: pooled, perFold, chosenOnAll: { tu, tr, t1, agreement: chosen } };
  if (values.fit) {
    const model: TriageScoreModel = {
      id: 'cairn-triage-score',
      label: "Cairn's fitted score, KTAS development 2026",
      source: {
        data: 'KTAS development split, triage_ktas_moon2019/ktas.jsonl (Moon S-H et al., PLOS ONE 2019;14(9):e0216972, CC BY 4.0): 618 records; gold ktas_expert',
        date: '2026-12-06',
        command: 'npm run eval:triage -- --data <ktas.jsonl> --sweep --fit src/services/triage/triage-score.json',
        method: `L2 logistic regression (lambda 1, Newton) per score on the records where it changes the level; points = round(${2} x coefficient); thresholds chosen by the rule of docs/EVALUATION.md (lowest over-triage with under-triage at most the nurse's and at most Cairn's without the score, ties by exact agreement), applied to points computed out of fold (inner 5-fold, each record scored by weights fitted without it); the weights shipped are fitted on all 618. Features: a small set named before fitting; signs constrained (a feature fitted negative is dropped and the rest refitted)`,
        startingPoint: 'DEFAULT_ACUITY_OPTIONS without the score, DEFAULT_RESOURCE_OPTIONS',
        featuresNotUsed: 'arrival mode, injury (in KTAS, not read from FHIR by Cairn)',
        domain: 'KTAS records are aged 16-94, all with an age, and none has a heart rate of 150/min or more (AHA ACLS 2020: the rate at which tachycardia itself is likely the problem); outside (younger, age unknown, HR 150/min or more), the handbook defaults decide. The unknown-age rule was added after seeing the MIMIC-IV-ED demo (no ages), see docs/EVALUATION.md',
        crossValidation: {
          folds: k,
          foldRule: 'FNV-1a of the record position mod 5 (dev/cli/eval-triage.ts foldOf)',
          pooledHeldOut: { exact: round(pooled.exact), underTriage: round(pooled.underTriage), overTriage: round(pooled.overTriage), quadraticKappa: round(pooled.quadraticKappa) },
        },
        wholeSplit: { exact: round(chosen.exact), underTriage: round(chosen.underTriage), overTriage: round(chosen.overTriage) },
      },
      domain: { ageYearsAtLeast: 16, heartRateBelow: 150 },
      scores: {
        'danger-zone': { ...fit.model.scores['danger-zone'], threshold: tu },
        resources: { ...fit.model.scores.resources, threshold: tr, thresholdOneResource: t1 },
      },
    };
    await writeFile(values.fit, JSON.stringify(model, null, 2) + '\n');
    console.log(`weights written to ${values.fit}`);
  }
  return summary;
}

const round = (x: number): number => Math.round(x * 10000) / 10000;

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
