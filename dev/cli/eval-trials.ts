import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { closeEmbeddingThreads, createEmbeddings } from '../../src/search/embeddings/index.js';
import { createLogger } from '../../src/log.js';
import { EVAL_SETS, evaluateCriteria, evaluateRanking, loadEvalData, type EvalSet } from '../eval/trials.js';
import { formatRanking, TrialMatcher } from '../../src/services/trials/match.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { DEFAULT_RANK_WEIGHTS, type RankWeights } from '../../src/services/trials/matching/rank.js';
import { bm25Ranker, categoryOrderRanker, scoreRanker, tuneWeights, weightedRanker, type RankingFigures, type TopicFeatures, type TopicRanker } from '../eval/rank-tuning.js';

const USAGE = `Usage: npm run eval:trials -- --data <dir> --set trec_2021|sigir|trec_2022 [--db <dir>] [--limit <n>] [--verbose] [--no-criteria] [--features-out <file>]
       npm run eval:trials -- --data <dir> --tune-on <set> --report-on <set> [--db <dir>] [--limit <n>]

Imports the set's judged trials that have text into a fresh in-memory database (or into the
PGlite directory --db, which keeps the embeddings between runs), turns each topic into a FHIR
Patient and note, and ranks that topic's judged trials through the same matcher as the CDS
service. Prints NDCG@10, P@10 (gains: eligible 2, excluded 1) and eligible-vs-excluded AUROC
beside a BM25-only baseline, then criterion-level accuracy on the criterion annotations (with
the unknown rate) beside a BM25 lexical baseline; the last line is JSON. Embedding model: the
configured one (CAIRN_EMBEDDINGS).

  --limit     evaluate only the first n topics (smoke test)
  --verbose   print each topic's ranking
  --no-criteria  skip the criterion-level evaluation
  --features-out write each topic's per-trial ranking features (JSON lines)
  --tune-on, --report-on
              leave-one-set-out check of the ranking weights (rank.ts RankWeights): ranks both sets
              (each in its own database: in memory, or <db>-<set>), chooses the weights with the
              best NDCG@10 on the --tune-on set over RANK_WEIGHT_GRID, and prints them on both sets
              beside the shipped default, the category order used before and BM25`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      set: { type: 'string' },
      db: { type: 'string' },
      limit: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'no-criteria': { type: 'boolean', default: false },
      'features-out': { type: 'string' },
      'tune-on': { type: 'string' },
      'report-on': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const tuning = values['tune-on'] !== undefined || values['report-on'] !== undefined;
  if (values.help || !values.data || (!values.set && !tuning)) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const limit = values.limit !== undefined ? Number(values.limit) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error(`--limit must be a positive integer (got ${values.limit})`);
  if (tuning) return tuneAndReport(values.data, values['tune-on'], values['report-on'], values.db, limit);
  const set = values.set as EvalSet;
  if (!EVAL_SETS.includes(set)) throw new Error(`--set must be one of ${EVAL_SETS.join(', ')} (got ${values.set})`);
  const config = loadConfig();
  const log = createLogger('warn');
  const started = performance.now();

  const data = await loadEvalData(values.data, set);
  const db = await openDatabase({ dataDir: values.db ?? 'memory://' });
  try {
    await migrate(db);
    const embeddings = createEmbeddings(config.embeddings);
    const imported = await importTrials(db, [...data.trials.values()], embeddings, { log });
    const importSeconds = (performance.now() - started) / 1000;
    const matcher = new TrialMatcher({ db, embeddings });
    const rankingStarted = performance.now();
    const { summary, topics } = await evaluateRanking(matcher, data, {
      ...(limit !== undefined && { limit }),
      ...(values.verbose && {
        onTopic: (topic, ranking, grades) => {
          console.log(`\n${topic}`);
          console.log(
            formatRanking(ranking)
              .split('\n')
              .map((line, i) => (i === 0 ? `gold  ${line}` : `${String(grades.get(ranking[i - 1]?.nctId ?? '') ?? '-').padStart(4)}  ${line}`))
              .join('\n'),
          );
        },
      }),
    });
    if (values['features-out']) await writeFile(values['features-out'], topics.map((t) => JSON.stringify({ set, topic: t.topic, features: t.features })).join('\n') + '\n');
    const rankingSeconds = (performance.now() - rankingStarted) / 1000;
    const criteriaStarted = performance.now();
    const criteria = values['no-criteria'] || data.annotations.length === 0 ? undefined : await evaluateCriteria(data.annotations, embeddings);
    const criteriaSeconds = (performance.now() - criteriaStarted) / 1000;
    const seconds = (performance.now() - started) / 1000;

    const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  n/a');
    console.log(
      `\n${set}: ${summary.topics} topics (${summary.skippedTopics} without a relevant judged trial that has text skipped), ` +
        `${summary.judgedPairs} judged pairs · ${data.trials.size} trials imported (${imported.added} added, ${imported.updated} updated, ` +
        `${imported.unchanged} unchanged; ${imported.criteria} criteria) · model ${imported.model.id}`,
    );
    console.log(`\n${'system'.padEnd(26)}${'NDCG@10'.padStart(9)}${'P@10'.padStart(8)}${'AUROC'.padStart(8)}`);
    console.log(`${'hybrid + criteria (Cairn)'.padEnd(26)}${f(summary.system.ndcg10).padStart(9)}${f(summary.system.p10).padStart(8)}${f(summary.system.auroc).padStart(8)}`);
    console.log(`${'BM25 baseline'.padEnd(26)}${f(summary.bm25.ndcg10).padStart(9)}${f(summary.bm25.p10).padStart(8)}${f(summary.bm25.auroc).padStart(8)}`);
    console.log(`(AUROC: eligible vs excluded within a topic, mean over ${summary.system.aurocTopics} topics with both)`);
    console.log(`categories vs gold grade: ${JSON.stringify(summary.categories)}`);
    if (criteria) {
      console.log(`\ncriterion level (${criteria.annotations} physician annotations, ${criteria.skipped} without text skipped; ${criteria.heldOut.annotations} held out):`);
      console.log(`${''.padEnd(26)}${'accuracy'.padStart(9)}${'unknown'.padStart(9)}`);
      console.log(`${'Cairn judge'.padEnd(26)}${f(criteria.accuracy).padStart(9)}${f(criteria.unknownRate).padStart(9)}`);
      console.log(`${'BM25 lexical baseline'.padEnd(26)}${f(criteria.baseline.accuracy).padStart(9)}${f(criteria.baseline.unknownRate).padStart(9)}`);
      console.log(`${'majority per kind'.padEnd(26)}${f(criteria.majority.accuracy).padStart(9)}`);
      console.log(
        `gold unknown rate ${f(criteria.goldUnknownRate)} · held-out accuracy ${f(criteria.heldOut.accuracy)} · inclusion ${f(criteria.byKind.inclusion.accuracy)} · ` +
          `exclusion ${f(criteria.byKind.exclusion.accuracy)} · evidence-sentence F1 ${f(criteria.evidenceF1)}`,
      );
      console.log(`unknown rate: inclusion ${f(criteria.byKind.inclusion.unknownRate)} · exclusion ${f(criteria.byKind.exclusion.unknownRate)}`);
      console.log(`confusion (gold → predicted): ${JSON.stringify(criteria.confusion)}`);
      console.log(`by physicians' label (→ predicted): ${JSON.stringify(criteria.byPhysicianLabel)}`);
    }
    console.log(
      `time: ${seconds.toFixed(1)} s (import ${importSeconds.toFixed(1)} s, ranking ${rankingSeconds.toFixed(1)} s, criteria ${criteriaSeconds.toFixed(1)} s)`,
    );
    const round = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);
    console.log(
      JSON.stringify({
        set,
        topics: summary.topics,
        judgedPairs: summary.judgedPairs,
        model: imported.model.id,
        system: { ndcg10: round(summary.system.ndcg10), p10: round(summary.system.p10), auroc: round(summary.system.auroc) },
        bm25: { ndcg10: round(summary.bm25.ndcg10), p10: round(summary.bm25.p10), auroc: round(summary.bm25.auroc) },
        ...(criteria && {
          criteria: {
            annotations: criteria.annotations,
            accuracy: round(criteria.accuracy),
            unknownRate: round(criteria.unknownRate),
            heldOutAccuracy: round(criteria.heldOut.accuracy),
            evidenceF1: round(criteria.evidenceF1),
            bm25: { accuracy: round(criteria.baseline.accuracy), unknownRate: round(criteria.baseline.unknownRate) },
            majorityAccuracy: round(criteria.majority.accuracy),
          },
        }),
        seconds: round(seconds),
      }),
    );
    return 0;
  } finally {
    await closeEmbeddingThreads();
    await db.close();
  }
}

function checkSet(name: string, value: string | undefined): EvalSet {
  if (!value || !EVAL_SETS.includes(value as EvalSet)) throw new Error(`${name} must be one of ${EVAL_SETS.join(', ')} (got ${value})`);
  return value as EvalSet;
}

/** One set's per-topic ranking features, from a database of its own (so full-text statistics are the set's). */
async function rankingFeatures(dir: string, set: EvalSet, dbDir: string | undefined, limit: number | undefined): Promise<{ topics: TopicFeatures[]; systemNdcg10: number }> {
  const config = loadConfig();
  const data = await loadEvalData(dir, set);
  const db = await openDatabase({ dataDir: dbDir ? `${dbDir}-${set}` : 'memory://' });
  try {
    await migrate(db);
    const embeddings = createEmbeddings(config.embeddings);
    await importTrials(db, [...data.trials.values()], embeddings, { log: createLogger('warn') });
    const { summary, topics } = await evaluateRanking(new TrialMatcher({ db, embeddings }), data, { ...(limit !== undefined && { limit }) });
    return { topics, systemNdcg10: summary.system.ndcg10 };
  } finally {
    await db.close();
  }
}

async function tuneAndReport(dir: string, tuneOnRaw: string | undefined, reportOnRaw: string | undefined, dbDir: string | undefined, limit: number | undefined): Promise<number> {
  const tuneOn = checkSet('--tune-on', tuneOnRaw);
  const reportOn = checkSet('--report-on', reportOnRaw);
  if (tuneOn === reportOn) throw new Error('--tune-on and --report-on must be different sets');
  const started = performance.now();
  try {
    const tune = await rankingFeatures(dir, tuneOn, dbDir, limit);
    const report = await rankingFeatures(dir, reportOn, dbDir, limit);
    // The features must reproduce the live ranking: the shipped weights re-scored from them give
    // the matcher's own figure (otherwise the tuning would optimise something else).
    for (const [set, r] of [[tuneOn, tune], [reportOn, report]] as const) {
      const replay = scoreRanker(r.topics, weightedRanker(DEFAULT_RANK_WEIGHTS)).ndcg10;
      if (Math.abs(replay - r.systemNdcg10) > 1e-9) throw new Error(`${set}: features re-rank to NDCG@10 ${replay}, the matcher gave ${r.systemNdcg10}`);
    }
    const tuned = tuneWeights(tune.topics);
    const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  n/a');
    const w = (x: RankWeights) => `excluded ${x.excluded}, untopical ${x.untopical}`;
    console.log(`\nweights chosen on ${tuneOn} (best NDCG@10 of ${tuned.tried.length} pairs on RANK_WEIGHT_GRID): ${w(tuned.weights)}`);
    console.log(`shipped default (rank.ts DEFAULT_RANK_WEIGHTS): ${w(DEFAULT_RANK_WEIGHTS)}`);
    const rows: Array<[string, TopicRanker]> = [
      [`chosen on ${tuneOn}`, weightedRanker(tuned.weights)],
      ['shipped default', weightedRanker(DEFAULT_RANK_WEIGHTS)],
      ['category order (before)', categoryOrderRanker],
      ['BM25 baseline', bm25Ranker],
    ];
    const out: Record<string, Record<string, RankingFigures>> = {};
    for (const [set, r, role] of [[tuneOn, tune, 'tuned on'], [reportOn, report, 'reported on']] as const) {
      console.log(`\n${role} ${set} (${r.topics.length} topics)`);
      console.log(`${'ranking'.padEnd(28)}${'NDCG@10'.padStart(9)}${'P@10'.padStart(8)}${'AUROC'.padStart(8)}`);
      out[set] = {};
      for (const [name, ranker] of rows) {
        const x = scoreRanker(r.topics, ranker);
        out[set][name] = x;
        console.log(`${name.padEnd(28)}${f(x.ndcg10).padStart(9)}${f(x.p10).padStart(8)}${f(x.auroc).padStart(8)}`);
      }
    }
    console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const round = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);
    console.log(
      JSON.stringify({
        tuneOn,
        reportOn,
        chosen: tuned.weights,
        shipped: DEFAULT_RANK_WEIGHTS,
        figures: Object.fromEntries(
          Object.entries(out).map(([set, byRow]) => [set, Object.fromEntries(Object.entries(byRow).map(([k, v]) => [k, { ndcg10: round(v.ndcg10), p10: round(v.p10), auroc: round(v.auroc) }]))]),
        ),
      }),
    );
    return 0;
  } finally {
    await closeEmbeddingThreads();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`eval:trials failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
