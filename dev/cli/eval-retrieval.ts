import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { createLogger } from '../../src/log.js';
import { CorpusErrors } from '../../src/knowledge/corpus/files.js';
import { closeEmbeddingThreads, createEmbeddings } from '../../src/search/embeddings/index.js';
import { evaluateRetrieval, loadJudgements, loadQueries, withJudgements, type EvaluationResult } from '../eval/retrieval.js';
import { ingestPaths } from '../../src/knowledge/ingest.js';
import { metricsTable } from '../eval/retrieval-metrics.js';
import { GuidelineRetriever, type SearchMode } from '../../src/knowledge/retriever.js';

const USAGE = `Usage: npm run eval:retrieval -- --queries <file.jsonl> [--judgements <file.jsonl>] [--corpus guidelines]... [--k 10] [--lines odd|even] [--misses]

Ingests the corpus into a fresh in-memory database (or into DATABASE_URL when it is set), runs
every labelled query in vector, full-text and hybrid mode, and prints P@1, P@3, nDCG@10 and MRR
per mode, then one line of JSON. The embedding model is the configured one (CAIRN_EMBEDDINGS).

  --judgements  pooled relevance judgements (dev/eval/retrieval-judgements.jsonl): prints the figures
             twice, with the labels alone and with the labels plus the chunks judged relevant
  --lines    only the queries on odd (1st, 3rd, …) or even (2nd, 4th, …) lines of the file: settings
             chosen on one half can be checked on the other
  --misses   list the queries whose hybrid top 3 holds no relevant chunk`;

const MODES: SearchMode[] = ['vector', 'fulltext', 'hybrid'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      queries: { type: 'string' },
      judgements: { type: 'string' },
      corpus: { type: 'string', multiple: true },
      k: { type: 'string', default: '10' },
      lines: { type: 'string' },
      misses: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.queries) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const k = Number(values.k);
  if (!Number.isInteger(k) || k < 1) throw new Error(`--k must be a positive integer (got ${values.k})`);
  const config = loadConfig();
  const log = createLogger('warn');
  if (values.lines !== undefined && values.lines !== 'odd' && values.lines !== 'even') throw new Error(`--lines must be odd or even (got ${values.lines})`);
  const parity = values.lines === 'odd' ? 0 : 1;
  const queries = (await loadQueries(values.queries)).filter((_, i) => values.lines === undefined || i % 2 === parity);
  const corpus = values.corpus && values.corpus.length > 0 ? values.corpus : [config.guidelinesDir ?? 'guidelines'];

  const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: 'memory://' });
  try {
    await migrate(db);
    const embeddings = createEmbeddings(config.embeddings);
    const ingest = await ingestPaths(db, corpus, embeddings, { log });
    const retriever = new GuidelineRetriever({ db, embeddings });
    const started = performance.now();
    const labelled = await evaluateRetrieval(db, retriever, queries, { k, modes: MODES });
    const pooled = values.judgements ? withJudgements(queries, await loadJudgements(values.judgements)) : undefined;
    const judged = pooled ? await evaluateRetrieval(db, retriever, pooled.queries, { k, modes: MODES }) : undefined;
    const seconds = (performance.now() - started) / 1000;

    for (const u of (judged ?? labelled).unknownLabels) console.warn(`warning: query ${u.query}: label '${u.label}' matches no chunk`);
    if (pooled) for (const id of pooled.unknownQueries) console.warn(`warning: judgements name query '${id}', which is not in ${values.queries}`);
    console.log(
      `${queries.length} queries${values.lines ? ` (${values.lines} lines)` : ''} · corpus ${corpus.join(', ')}: ${ingest.documents} documents, ` +
        `${ingest.chunksEmbedded + ingest.chunksUnchanged} chunks · model ${ingest.model.id} · ${seconds.toFixed(1)} s`,
    );
    printTable(pooled ? 'relevant = the labels' : undefined, labelled);
    if (pooled && judged) {
      const [g0, g1, g2] = pooled.labelledJudged.byGrade;
      printTable(`relevant = the labels + ${pooled.added} chunks judged relevant (grade 2) in ${values.judgements}`, judged);
      console.log(`\nlabelled chunks in the pools: ${pooled.labelledJudged.total}, judged 2: ${g2}, 1: ${g1}, 0: ${g0}`);
    }
    const final = judged ?? labelled;
    if (values.misses) {
      const misses = (final.perQuery.hybrid ?? []).filter((o) => o.metrics.hit3 === 0);
      console.log(`\nhybrid misses (no relevant chunk in the top 3): ${misses.length}`);
      for (const o of misses) console.log(`  ${o.id} "${o.query}"\n     wanted ${[...o.relevant, ...o.judgedRelevant].join(', ')}\n     got    ${o.retrieved.slice(0, 3).join(', ')}`);
    }
    console.log(
      JSON.stringify({
        queries: queries.length,
        ...(values.lines !== undefined && { lines: values.lines }),
        k,
        documents: ingest.documents,
        chunks: ingest.chunksEmbedded + ingest.chunksUnchanged,
        model: ingest.model.id,
        unknownLabels: final.unknownLabels.length,
        modes: rounded(labelled),
        ...(pooled && judged && { judged: { added: pooled.added, labelledJudged: pooled.labelledJudged, modes: rounded(judged) } }),
      }),
    );
  } finally {
    await closeEmbeddingThreads();
    await db.close();
  }
}

function printTable(title: string | undefined, result: EvaluationResult): void {
  console.log(title ? `\n${title}` : '');
  const rows = MODES.flatMap((mode) => (result.modes[mode] ? [[mode, result.modes[mode]] as const] : []));
  for (const line of metricsTable('mode', rows, 9)) console.log(line);
}

function rounded(result: EvaluationResult): Record<string, Record<string, number>> {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return Object.fromEntries(
    Object.entries(result.modes).map(([mode, m]) => [mode, { p1: round(m.p1), p3: round(m.p3), ndcg10: round(m.ndcg10), mrr: round(m.mrr), hit3: round(m.hit3) }]),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof CorpusErrors ? err.message : `eval:retrieval failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
