import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { closeEmbeddingThreads, createEmbeddings } from '../../src/search/embeddings/index.js';
import { createLogger } from '../../src/log.js';
import { EVAL_SETS, evaluateCriteria, evaluateRanking, loadEvalData, type EvalSet } from '../eval/trials.js';
import { formatRanking, TrialMatcher } from '../../src/services/trials/match.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';

const USAGE = `Usage: npm run eval:trials -- --data <dir> --set trec_2021|sigir|trec_2022 [--db <dir>] [--limit <n>] [--verbose] [--no-criteria]

Imports the set's judged trials that have text into a fresh in-memory database (or into the
PGlite directory --db, which keeps the embeddings between runs), turns each topic into a FHIR
Patient and note, and ranks that topic's judged trials through the same matcher as the CDS
service. Prints NDCG@10, P@10 (gains: eligible 2, excluded 1) and eligible-vs-excluded AUROC
beside a BM25-only baseline, then criterion-level accuracy on the criterion annotations (with
the unknown rate) beside a BM25 lexical baseline; the last line is JSON. Embedding model: the
configured one (CAIRN_EMBEDDINGS).

  --limit     evaluate only the first n topics (smoke test)
  --verbose   print each topic's ranking
  --no-criteria  skip the criterion-level evaluation`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      set: { type: 'string' },
      db: { type: 'string' },
      limit: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'no-criteria': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.data || !values.set) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const set = values.set as EvalSet;
  if (!EVAL_SETS.includes(set)) throw new Error(`--set must be one of ${EVAL_SETS.join(', ')} (got ${values.set})`);
  const limit = values.limit !== undefined ? Number(values.limit) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error(`--limit must be a positive integer (got ${values.limit})`);
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
    const { summary } = await evaluateRanking(matcher, data, {
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
      console.log(`confusion (gold → predicted): ${JSON.stringify(criteria.confusion)}`);
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

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`eval:trials failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
