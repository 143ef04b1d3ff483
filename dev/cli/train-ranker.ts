import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { createLogger } from '../../src/log.js';
import { CorpusErrors } from '../../src/knowledge/corpus/files.js';
import { closeEmbeddingThreads, createEmbeddings } from '../../src/search/embeddings/index.js';
import { evaluateRetrieval, loadJudgements, loadQueries, withJudgements, type LabelledQuery, type QueryOutcome } from '../eval/retrieval.js';
import { ingestPaths } from '../../src/knowledge/ingest.js';
import { isRelevant, meanMetrics, metricsTable, type QueryMetrics } from '../eval/retrieval-metrics.js';
import { fitRanker, RANKER_FEATURES, type RankerModel, type TrainingQuery } from '../../src/knowledge/ranker.js';
import { GuidelineRetriever, type FusionMethod } from '../../src/knowledge/retriever.js';

const USAGE = `Usage: npm run train:ranker -- --queries <file.jsonl> [--judgements <file.jsonl>] [--corpus guidelines]... [--l2 0.01] [--write]

Fits the hybrid retriever's learned ranker (src/knowledge/ranker.ts) on a labelled query set:
ingests the corpus into a fresh in-memory database, takes each query's hybrid candidates and
their features, and fits a logistic model on all queries. It also fits one model on the queries
on odd lines and one on those on even lines, and ranks each half with the model fitted on the
other: those held-out figures are the ones to trust. Prints both, and the model.

  --judgements  pooled relevance judgements: chunks graded 2 count as relevant too
  --write       write the model fitted on all queries to src/knowledge/ranker-model.ts`;

const MODEL_FILE = 'src/knowledge/ranker-model.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      queries: { type: 'string' },
      judgements: { type: 'string' },
      corpus: { type: 'string', multiple: true },
      l2: { type: 'string', default: '0.01' },
      write: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.queries) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const l2 = Number(values.l2);
  if (!Number.isFinite(l2) || l2 < 0) throw new Error(`--l2 must be a number of 0 or more (got ${values.l2})`);
  const config = loadConfig();
  const labelled = await loadQueries(values.queries);
  const queries = values.judgements ? withJudgements(labelled, await loadJudgements(values.judgements)).queries : labelled;
  const corpus = values.corpus && values.corpus.length > 0 ? values.corpus : [config.guidelinesDir ?? 'guidelines'];

  const db = await openDatabase({ dataDir: 'memory://' });
  try {
    await migrate(db);
    const embeddings = createEmbeddings(config.embeddings);
    const ingest = await ingestPaths(db, corpus, embeddings, { log: createLogger('warn') });
    const probe = new GuidelineRetriever({ db, embeddings });
    const training = new Map<string, TrainingQuery>();
    for (const q of queries) {
      const exact = new Set(q.judgedRelevant ?? []);
      const candidates = await probe.rankerCandidates(q.query, { k: 10, ...(q.filters && { filters: q.filters }) });
      training.set(q.id, { candidates: candidates.map((c) => ({ features: c.features, relevant: isRelevant(c.chunkId, q.relevant, exact) })) });
    }
    const fit = (subset: readonly LabelledQuery[]) => fitRanker(subset.map((q) => training.get(q.id) as TrainingQuery), { l2 });
    const odd = queries.filter((_, i) => i % 2 === 0);
    const even = queries.filter((_, i) => i % 2 === 1);
    const onOdd = fit(odd);
    const onEven = fit(even);
    const all = fit(queries);

    const outcomes = async (subset: readonly LabelledQuery[], fusion: FusionMethod, ranker?: RankerModel): Promise<QueryOutcome[]> => {
      const retriever = new GuidelineRetriever({ db, embeddings, fusion, ...(ranker && { ranker }) });
      return (await evaluateRetrieval(db, retriever, subset, { k: 10, modes: ['hybrid'] })).perQuery.hybrid ?? [];
    };
    const mean = (o: readonly QueryOutcome[]): QueryMetrics => meanMetrics(o.map((x) => x.metrics));
    const heldOut = mean([...(await outcomes(even, 'learned', onOdd)), ...(await outcomes(odd, 'learned', onEven))]);
    const rows: Array<[string, QueryMetrics]> = [
      ['relative-score fusion', mean(await outcomes(queries, 'relative-score'))],
      ['learned, held out (2-fold)', heldOut],
      ['learned, fitted on all', mean(await outcomes(queries, 'learned', all))],
    ];
    console.log(`${queries.length} queries${values.judgements ? ` + judgements ${values.judgements}` : ''} · ${ingest.documents} documents · model ${ingest.model.id} · l2 ${l2}\n`);
    for (const line of metricsTable('hybrid ranking', rows, 28)) console.log(line);
    console.log(`\nmodel fitted on all queries: ${JSON.stringify(all)}`);
    console.log(`fitted on odd lines: ${JSON.stringify(onOdd)}\nfitted on even lines: ${JSON.stringify(onEven)}`);

    if (values.write) {
      await writeFile(MODEL_FILE, modelSource(all, {
        date: new Date().toISOString().slice(0, 10),
        queries: values.queries,
        count: queries.length,
        ...(values.judgements !== undefined && { judgements: values.judgements }),
        l2,
        embeddingModel: ingest.model.id,
        heldOut,
      }));
      console.log(`\nwrote ${MODEL_FILE}`);
    }
  } finally {
    await closeEmbeddingThreads();
    await db.close();
  }
}

function modelSource(
  model: RankerModel,
  p: { date: string; queries: string; count: number; judgements?: string; l2: number; embeddingModel: string; heldOut: QueryMetrics },
): string {
  const weights = RANKER_FEATURES.map((name) => `    ${name}: ${model.weights[name]},`).join('\n');
  const m = p.heldOut;
  return `/**
 * The learned ranker shipped with Cairn (see ranker.ts). Written by \`npm run train:ranker -- --write\`;
 * do not edit by hand: fit again instead.
 *
 * Fitted ${p.date} on ${p.count} queries of ${p.queries}${p.judgements ? ` with the pooled judgements of ${p.judgements}` : ''},
 * L2 ${p.l2}, over the shipped corpus with ${p.embeddingModel} vectors. Held out (each half of
 * the queries ranked by a model fitted on the other half): P@3 ${m.p3.toFixed(3)}, nDCG@10 ${m.ndcg10.toFixed(3)}.
 * With another embedding model, fit again: the vector features mean something else.
 */
import type { RankerModel } from './ranker.js';

export const SHIPPED_RANKER: { model: RankerModel; fittedOn: string } = {
  model: {
    bias: ${model.bias},
    weights: {
${weights}
    },
  },
  fittedOn: ${JSON.stringify(`${p.date}: ${p.count} queries of ${p.queries}${p.judgements ? ` + ${p.judgements}` : ''}, ${p.embeddingModel}`)},
};
`;
}

main().catch((err: unknown) => {
  console.error(err instanceof CorpusErrors ? err.message : `train:ranker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
