/**
 * USE-lite embedding: the main thread (as Cairn embedded before issue #15) against the thread pool.
 * `tsx bench/embeddings.ts [--texts 2000] [--threads 1,<cores>] [--probe-ms 500]`
 *
 * Texts: criterion-like sentences, the first `--texts` distinct non-empty lines of the demo trials'
 * eligibility text (trials/demo-trials.jsonl). For each way of embedding:
 *   - texts/s over all of them, after a warm-up that loads the model (in every thread);
 *   - the main thread's event-loop delay meanwhile (monitorEventLoopDelay: max and p99): what a
 *     hook arriving during an import would wait before Cairn even reads it;
 *   - the vectors against the main thread's, number for number.
 * Ways: `main` is the former UseLiteEmbeddings (model calls of 32 texts on the main thread);
 * `pool:N` is UseLiteEmbeddings on N threads, with the texts in one embedDocuments call (a large
 * ingest) and, for the default thread count, in consecutive calls of 64 (the trial store's import).
 *
 * Then "queries under import": while the texts are embedded, a query (a chief complaint) is sent
 * every `--probe-ms` and its latency recorded, on the main thread and on the pool.
 * Prints a table and, last, one line of JSON. Timing on a shared machine is noisy: the load
 * average is printed with the figures.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { embedBatch, loadUseLiteModel } from '../src/search/embeddings/use-lite-model.js';
import { UseLitePool } from '../src/search/embeddings/use-lite-pool.js';
import { UseLiteEmbeddings } from '../src/search/embeddings/use-lite.js';
import { repoPath } from '../tests/support/repo-root.js';

const { values } = parseArgs({
  options: {
    texts: { type: 'string', default: '2000' },
    threads: { type: 'string', default: `1,${os.availableParallelism()}` },
    'probe-ms': { type: 'string', default: '500' },
  },
});
const textCount = Number(values.texts);
const threadCounts = values.threads.split(',').map(Number);
const probeMs = Number(values['probe-ms']);

/** The former main-thread batch (UseLiteEmbeddings.batchSize before the pool). */
const MAIN_BATCH = 32;
/** trial-store.ts embeds an import in consecutive embedDocuments calls of this many texts. */
const TRIAL_STORE_CALL = 64;

const COMPLAINTS = [
  'chest pain radiating to the left arm',
  'shortness of breath on exertion',
  'fever and productive cough for three days',
  'sudden severe headache',
  'abdominal pain and vomiting',
  'dizziness and palpitations',
  'swollen painful left calf',
  'confusion and reduced urine output',
];

interface Run {
  way: string;
  texts: number;
  seconds: number;
  textsPerSecond: number;
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  /** Texts whose vector differs from the main thread's at all; and the largest difference. */
  differingTexts?: number;
  maxAbsDifference?: number;
  /** Distinct threads that embedded (pool runs). */
  threadsUsed?: number;
}

interface Probe {
  way: string;
  queries: number;
  p50Ms: number;
  maxMs: number;
  loopDelayMaxMs: number;
}

async function criterionTexts(n: number): Promise<string[]> {
  const seen = new Set<string>();
  for (const line of (await readFile(repoPath('trials/demo-trials.jsonl'), 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as { eligibility_criteria_raw?: string };
    for (const raw of (record.eligibility_criteria_raw ?? '').split('\n')) {
      const text = raw.replace(/^\s*[-*•]\s*/, '').trim();
      if (text.length > 2) seen.add(text);
      if (seen.size >= n) return [...seen];
    }
  }
  return [...seen];
}

/** Runs `work` with the main thread's event-loop delay recorded. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; maxMs: number; p99Ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  // The histogram's first tick only starts its clock (reset() starts it over): let it pass, or a
  // loop blocked from the start is never seen.
  await new Promise((resolve) => setTimeout(resolve, 3 * 10));
  const t0 = performance.now();
  const result = await work();
  const seconds = (performance.now() - t0) / 1000;
  // One turn of the loop, so that a timer held back by the work is recorded before the count stops.
  await new Promise((resolve) => setTimeout(resolve, 2 * 10));
  h.disable();
  return { result, seconds, maxMs: round(h.max / 1e6), p99Ms: round(h.percentile(99) / 1e6) };
}

/**
 * Sends a query every probeMs while `work` runs. A query's latency runs from when it was due, so
 * the time its timer was held back by a blocked event loop (a hook not even read yet) counts.
 */
async function probed(way: string, work: () => Promise<unknown>, query: (text: string) => Promise<unknown>): Promise<Probe> {
  const latencies: number[] = [];
  const pending: Promise<unknown>[] = [];
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const due = performance.now() + probeMs;
    timer = setTimeout(() => {
      pending.push(query(`${COMPLAINTS[i++ % COMPLAINTS.length]} (${i})`).then(() => latencies.push(performance.now() - due)));
      schedule();
    }, probeMs);
  };
  schedule();
  const { maxMs } = await timed(async () => {
    await work();
    clearTimeout(timer);
    await Promise.all(pending);
  });
  const sorted = [...latencies].sort((a, b) => a - b);
  return { way, queries: sorted.length, p50Ms: round(sorted[Math.floor(sorted.length / 2)] ?? 0), maxMs: round(sorted.at(-1) ?? 0), loopDelayMaxMs: maxMs };
}

function compare(vectors: number[][], reference: number[][]): { differingTexts: number; maxAbsDifference: number } {
  let differingTexts = 0;
  let maxAbsDifference = 0;
  vectors.forEach((v, i) => {
    const r = reference[i] as number[];
    let d = 0;
    for (let j = 0; j < v.length; j++) d = Math.max(d, Math.abs((v[j] as number) - (r[j] as number)));
    if (d > 0) differingTexts++;
    maxAbsDifference = Math.max(maxAbsDifference, d);
  });
  return { differingTexts, maxAbsDifference };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

async function main(): Promise<void> {
  const texts = await criterionTexts(textCount);
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`${texts.length} criterion texts (mean ${Math.round(texts.reduce((s, t) => s + t.length, 0) / texts.length)} characters); ${os.availableParallelism()} cores; load average ${load()}`);

  // The former way: the model on the main thread, calls of 32 texts one after another.
  const model = await loadUseLiteModel();
  await embedBatch(model, texts.slice(0, MAIN_BATCH));
  const mainEmbed = async (xs: readonly string[]) => {
    const out: number[][] = [];
    for (let i = 0; i < xs.length; i += MAIN_BATCH) out.push(...(await embedBatch(model, xs.slice(i, i + MAIN_BATCH))));
    return out;
  };
  // An import embeds in calls of 64 with database writes between them: the loop turns between calls.
  const inCalls = async (embed: (xs: string[]) => Promise<number[][]>) => {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += TRIAL_STORE_CALL) {
      out.push(...(await embed(texts.slice(i, i + TRIAL_STORE_CALL))));
      await new Promise((resolve) => setImmediate(resolve));
    }
    return out;
  };
  const runs: Run[] = [];
  const main = await timed(() => mainEmbed(texts));
  const reference = main.result;
  runs.push({ way: 'main', texts: texts.length, seconds: round(main.seconds), textsPerSecond: round(texts.length / main.seconds), loopDelayMaxMs: main.maxMs, loopDelayP99Ms: main.p99Ms });
  const mainCalls = await timed(() => inCalls(mainEmbed));
  runs.push({
    way: `main, calls of ${TRIAL_STORE_CALL}`,
    texts: texts.length,
    seconds: round(mainCalls.seconds),
    textsPerSecond: round(texts.length / mainCalls.seconds),
    loopDelayMaxMs: mainCalls.maxMs,
    loopDelayP99Ms: mainCalls.p99Ms,
    ...compare(mainCalls.result, reference),
  });

  const pools = new Map<number, UseLiteEmbeddings>();
  for (const threads of threadCounts) {
    const pool = new UseLitePool({ threads });
    const e = new UseLiteEmbeddings({ pool });
    pools.set(threads, e);
    // Warm-up: enough batches queued that every thread starts and loads its model.
    await e.embedDocuments(texts.slice(0, 16 * 4 * threads));
    const ways: Array<[string, () => Promise<{ vectors: number[][]; threadIds: Set<number> }>]> = [
      [
        `pool:${threads}`,
        async () => {
          const batches = await pool.embedBatches(texts, { kind: 'documents', batchSize: e.batchSize });
          return { vectors: batches.flatMap((b) => b.vectors), threadIds: new Set(batches.map((b) => b.threadId)) };
        },
      ],
    ];
    if (threads === os.availableParallelism()) {
      ways.push([
        `pool:${threads}, calls of ${TRIAL_STORE_CALL}`,
        async () => {
          const vectors: number[][] = [];
          const threadIds = new Set<number>();
          for (let i = 0; i < texts.length; i += TRIAL_STORE_CALL) {
            const batches = await pool.embedBatches(texts.slice(i, i + TRIAL_STORE_CALL), { kind: 'documents', batchSize: e.batchSize });
            for (const b of batches) {
              vectors.push(...b.vectors);
              threadIds.add(b.threadId);
            }
            await new Promise((resolve) => setImmediate(resolve));
          }
          return { vectors, threadIds };
        },
      ]);
    }
    for (const [way, work] of ways) {
      const r = await timed(work);
      runs.push({
        way,
        texts: texts.length,
        seconds: round(r.seconds),
        textsPerSecond: round(texts.length / r.seconds),
        loopDelayMaxMs: r.maxMs,
        loopDelayP99Ms: r.p99Ms,
        ...compare(r.result.vectors, reference),
        threadsUsed: r.result.threadIds.size,
      });
    }
  }

  console.log('\nway                         texts/s  seconds  loop delay max/p99 ms  threads  texts ≠ main (max |Δ|)');
  for (const r of runs) {
    console.log(
      `${r.way.padEnd(26)}${String(r.textsPerSecond).padStart(9)}${String(r.seconds).padStart(9)}${`${r.loopDelayMaxMs} / ${r.loopDelayP99Ms}`.padStart(23)}` +
        `${String(r.threadsUsed ?? 'main').padStart(9)}  ${r.differingTexts === undefined ? '–' : `${r.differingTexts} (${r.maxAbsDifference?.toExponential(1)})`}`,
    );
  }

  // Queries while an import (calls of 64) runs: one complaint every probeMs.
  const probes: Probe[] = [];
  probes.push(
    await probed(
      'main',
      () => inCalls(mainEmbed),
      (q) => embedBatch(model, [q]),
    ),
  );
  const biggest = Math.max(...threadCounts);
  const e = pools.get(biggest) as UseLiteEmbeddings;
  probes.push(
    await probed(
      `pool:${biggest}`,
      () => inCalls((xs) => e.embedDocuments(xs)),
      (q) => e.embedQuery(q),
    ),
  );
  console.log(`\nqueries under import, calls of ${TRIAL_STORE_CALL} (one every ${probeMs} ms)  queries  latency p50 / max ms  loop delay max ms`);
  for (const p of probes) console.log(`${p.way.padEnd(44)}${String(p.queries).padStart(8)}${`${p.p50Ms} / ${p.maxMs}`.padStart(22)}${String(p.loopDelayMaxMs).padStart(19)}`);
  console.log(`load average ${load()}, node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}`);

  for (const p of pools.values()) await p.pool.close();
  console.log(JSON.stringify({ texts: texts.length, cores: os.availableParallelism(), runs, probes, loadAverage: os.loadavg() }));
}

main().catch((err: unknown) => {
  console.error(`bench:embeddings failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
