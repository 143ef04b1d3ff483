import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import type { Card } from '../../src/hooks/schema.js';
import { bindServices, loadServiceDefinitions } from '../../src/hooks/service-definitions.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { closeEmbeddingThreads, createEmbeddings } from '../../src/search/embeddings/index.js';
import { TrialMatcher } from '../../src/services/trials/match.js';
import { TRIAL_MATCH_SERVICE_ID, trialMatchLogic } from '../../src/services/trials/service.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { TrialRetriever, type TrialListWeights } from '../../src/services/trials/store/retriever.js';
import { Bm25Index, bm25TrialText } from '../eval/bm25.js';
import { mean } from '../eval/ranking-metrics.js';
import { bestOrder, cardTrials, eligibleOnly, topicNdcg, topicPatient } from '../eval/trials-hook.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { fittingTrials } from '../../src/services/trials/card.js';
import { RECRUITING_STATUSES } from '../../src/services/trials/matching/trial-record.js';
import { fittingOptions, TRIAL_CANDIDATES } from '../../src/services/trials/service.js';
import { EVAL_REFERENCE_TIME, EVAL_SETS, loadEvalData, type EvalSet } from '../eval/trials.js';

const USAGE = `Usage: npm run eval:trials-hook -- --data <dir> --set sigir|trec_2021|trec_2022 [--db <dir>] [--limit-topics <n>] [--card-trials <n>] [--candidates <n>] [--min-relevance <r>] [--min-shared-words <n>] [--lists <spec>] [--port <p>] [--verbose]

The trial-match hook through the HTTP app, as an EHR calls it (dev/eval/trials-hook.ts): the set's
judged trials that have text are imported into an in-memory PGlite (or the PGlite directory --db,
which keeps their embeddings between runs) and marked RECRUITING; each topic becomes a FHIR
Patient (age and sex from the text) with one note, sent as prefetch to POST
/cds-services/trial-match; the trials on the card, in order, are scored by NDCG@5 beside plain BM25
over the same store. Topics whose judged trials with text are all "not relevant" are skipped.

  --limit-topics  only the first n topics (quick iterations)
  --card-trials   trials the card shows (default: the service's)
  --candidates    trials retrieved per call (default: the service's TRIAL_CANDIDATES)
  --min-relevance a trial with no topical match counts from this retrieval relevance (0-1; default: the service's)
  --min-shared-words a trial with no topical match counts with this many counting words of the
                  record in its text (matching/shared-words.ts; default: the service's)
  --lists         the hybrid retrieval's lists and weights, e.g. vector=1,fulltext=0,bm25=2
                  (default: the retriever's TRIAL_LIST_WEIGHTS)
  --port          where the app listens (default 7301)
  --verbose       print each topic's card list and BM25's top 5 with their grades
  --stages        also score the stages behind the card, per topic through the same matcher: the
                  retrieval's top 5, the candidates not ranked excluded, the candidates with a
                  documented topical match (card rule 3 alone), and BM25's top 20 with that match;
                  the ceiling of each list (NDCG@5 of its best order: what no ordering of those
                  trials can beat); and NDCG@5 counting eligible trials only (excluded gain 0)`;

/** `--lists vector=1,fulltext=0,bm25=2`: the hybrid retrieval's lists and weights (unnamed lists 0). */
function parseLists(spec: string): TrialListWeights {
  const out: TrialListWeights = { vector: 0, fulltext: 0, bm25: 0 };
  for (const part of spec.split(',')) {
    const [name, w] = part.split('=');
    if (!name || !(name in out) || w === undefined || !(Number(w) >= 0)) throw new Error(`--lists: expected e.g. vector=1,fulltext=0,bm25=2 (got ${spec})`);
    out[name as keyof TrialListWeights] = Number(w);
  }
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      set: { type: 'string' },
      db: { type: 'string' },
      'limit-topics': { type: 'string' },
      'card-trials': { type: 'string' },
      candidates: { type: 'string' },
      'min-relevance': { type: 'string' },
      'min-shared-words': { type: 'string' },
      lists: { type: 'string' },
      port: { type: 'string', default: '7301' },
      verbose: { type: 'boolean', default: false },
      stages: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.data || !values.set) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const set = values.set as EvalSet;
  if (!EVAL_SETS.includes(set)) throw new Error(`--set must be one of ${EVAL_SETS.join(', ')} (got ${values.set})`);
  const positive = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer (got ${v})`);
    return n;
  };
  const limit = positive('limit-topics', values['limit-topics']);
  const cardTrialsShown = positive('card-trials', values['card-trials']);
  const candidates = positive('candidates', values.candidates);
  const minRelevance = values['min-relevance'] !== undefined ? Number(values['min-relevance']) : undefined;
  if (minRelevance !== undefined && !(minRelevance >= 0 && minRelevance <= 1)) throw new Error(`--min-relevance must be between 0 and 1 (got ${values['min-relevance']})`);
  const minSharedWords = positive('min-shared-words', values['min-shared-words']);
  const lists = values.lists !== undefined ? parseLists(values.lists) : undefined;
  const port = positive('port', values.port) as number;
  const config = loadConfig();
  const log = createLogger('warn');
  const started = performance.now();

  const data = await loadEvalData(values.data, set);
  // The check's premise: every trial in the store is recruiting, so status never decides.
  const records = [...data.trials.values()].map((r) => ({ ...r, overallStatus: 'RECRUITING' }));
  const db = await openDatabase({ dataDir: values.db ?? 'memory://' });
  let server: Server | undefined;
  try {
    await migrate(db);
    const embeddings = createEmbeddings(config.embeddings);
    const imported = await importTrials(db, records, embeddings, { log });
    const importSeconds = (performance.now() - started) / 1000;
    const matcher = new TrialMatcher({ db, embeddings, ...(lists && { retriever: new TrialRetriever({ db, embeddings, lists }) }) });
    const declared = (await loadServiceDefinitions(new URL('../../cds-hooks', import.meta.url).pathname)).filter((d) => d.definition.id === TRIAL_MATCH_SERVICE_ID);
    const services = bindServices(declared, {
      [TRIAL_MATCH_SERVICE_ID]: trialMatchLogic({ matcher, now: () => EVAL_REFERENCE_TIME, ...(cardTrialsShown !== undefined && { maxTrials: cardTrialsShown }), ...(candidates !== undefined && { candidates }), ...(minRelevance !== undefined && { minRelevance }), ...(minSharedWords !== undefined && { minSharedWords }) }),
    });
    const app = createApp({
      // A generous deadline: the first call embeds the note sentences with the configured model; the check is about the card, not latency.
      config: { publicUrl: 'http://localhost', corsOrigins: [], hookDeadlineMs: 60_000, fhirTimeoutMs: 1000, fhirConcurrency: 2, fhirMaxPages: 2, requireAuth: false, maxRequestBytes: 4 << 20 },
      services,
      db,
      metrics: createMetrics(),
      log: createLogger('silent'),
    });
    server = app.listen(port, '127.0.0.1');
    await new Promise((resolve, reject) => {
      server?.once('listening', resolve);
      server?.once('error', reject);
    });
    const bm25 = new Bm25Index(records.map((r) => ({ id: r.nctId, text: bm25TrialText(r) })));

    const hookStarted = performance.now();
    const rows: Array<{ topic: string; card: number; bm25: number; fitting: number; shown: number }> = [];
    const stages: Record<'retrieval' | 'notExcluded' | 'topicalOnly' | 'bm25Topical', number[]> = { retrieval: [], notExcluded: [], topicalOnly: [], bm25Topical: [] };
    // Ceilings: NDCG@5 of the best order of each list (no ordering of those trials can do better).
    const ceilings: Record<'candidates' | 'notExcluded' | 'fitting' | 'bm25Top20', number[]> = { candidates: [], notExcluded: [], fitting: [], bm25Top20: [] };
    const orders: Record<'ranking' | 'bm25' | 'retrieval', number[]> = { ranking: [], bm25: [], retrieval: [] };
    // Eligible trials only (gain 1; excluded and not relevant 0): the card's list and BM25's top 5.
    const eligible: Record<'card' | 'bm25', number[]> = { card: [], bm25: [] };
    let skipped = 0;
    let withAge = 0;
    let withSex = 0;
    for (const [topic, grades] of data.qrels) {
      const text = data.topics.get(topic);
      if (!text || ![...grades.values()].some((g) => g > 0)) {
        skipped++;
        continue;
      }
      if (limit !== undefined && rows.length >= limit) break;
      const patient = topicPatient(topic, text);
      if (patient.age !== undefined) withAge++;
      if (patient.sex !== undefined) withSex++;
      const res = await fetch(`http://127.0.0.1:${port}/cds-services/${TRIAL_MATCH_SERVICE_ID}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/eval', patientId: patient.patientId }, prefetch: patient.prefetch }),
      });
      if (res.status !== 200) throw new Error(`${topic}: the hook answered ${res.status}: ${await res.text()}`);
      const { cards } = (await res.json()) as { cards: Card[] };
      const card = cardTrials(cards);
      const storeRanking = bm25.rank(text);
      const top5 = storeRanking.slice(0, 5).map((x) => x.id);
      const row = { topic, card: topicNdcg(card.shown, grades) ?? 0, bm25: topicNdcg(top5, grades) ?? 0, fitting: card.fitting, shown: card.shown.length };
      rows.push(row);
      if (values.stages) {
        const resources = Object.values(patient.prefetch).flatMap((r) => {
          const b = r as { resourceType: string; entry?: Array<{ resource: unknown }> };
          return b.resourceType === 'Bundle' ? (b.entry ?? []).map((e) => e.resource) : [r];
        });
        const ctx = buildPatientContext({ resources, patientId: patient.patientId, referenceTime: EVAL_REFERENCE_TIME });
        const { profile } = await matcher.prepare(ctx);
        const k = candidates ?? TRIAL_CANDIDATES;
        const result = await matcher.match(profile, { k, statuses: RECRUITING_STATUSES });
        const excluded = new Set(result.ranking.filter((r) => r.category === 'excluded').map((r) => r.nctId));
        stages.retrieval.push(topicNdcg(result.candidates.map((c) => c.nctId), grades) ?? 0);
        stages.notExcluded.push(topicNdcg(result.candidates.map((c) => c.nctId).filter((id) => !excluded.has(id)), grades) ?? 0);
        stages.topicalOnly.push(topicNdcg(fittingTrials(result, {}).map((f) => f.trial.nctId), grades) ?? 0);
        const top = storeRanking.slice(0, k).map((x) => x.id);
        const judged = await matcher.match(profile, { k, statuses: RECRUITING_STATUSES, nctIds: top });
        const topical = new Set(fittingTrials(judged, {}).map((f) => f.trial.nctId));
        stages.bm25Topical.push(topicNdcg(top.filter((id) => topical.has(id)), grades) ?? 0);
        const candidateIds = result.candidates.map((c) => c.nctId);
        const fitting = fittingTrials(result, fittingOptions(minRelevance, minSharedWords)).map((f) => f.trial.nctId);
        ceilings.candidates.push(topicNdcg(bestOrder(candidateIds, grades), grades) ?? 0);
        ceilings.notExcluded.push(topicNdcg(bestOrder(candidateIds.filter((id) => !excluded.has(id)), grades), grades) ?? 0);
        ceilings.fitting.push(topicNdcg(bestOrder(fitting, grades), grades) ?? 0);
        // The same trials in other orders (no card size limit): the matcher's ranking, BM25's rank over the store, the retrieval's.
        const storeRank = new Map(storeRanking.map((x, i) => [x.id, i]));
        const byStore = [...fitting].sort((a, b) => (storeRank.get(a) ?? Infinity) - (storeRank.get(b) ?? Infinity));
        const retrievalRank = new Map(candidateIds.map((id, i) => [id, i]));
        const byRetrieval = [...fitting].sort((a, b) => (retrievalRank.get(a) ?? Infinity) - (retrievalRank.get(b) ?? Infinity));
        orders.ranking.push(topicNdcg(fitting, grades) ?? 0);
        orders.bm25.push(topicNdcg(byStore, grades) ?? 0);
        orders.retrieval.push(topicNdcg(byRetrieval, grades) ?? 0);
        ceilings.bm25Top20.push(topicNdcg(bestOrder(top, grades), grades) ?? 0);
        // Topics with no eligible judged trial have no eligible-only NDCG: left out of both means.
        const onlyEligible = eligibleOnly(grades);
        const cardEligible = topicNdcg(card.shown, onlyEligible);
        if (cardEligible !== undefined) {
          eligible.card.push(cardEligible);
          eligible.bm25.push(topicNdcg(top5, onlyEligible) ?? 0);
        }
      }
      if (values.verbose) {
        const g = (id: string) => `${id}:${grades.get(id) ?? '-'}`;
        console.log(`${topic} age ${patient.age ?? '?'} sex ${patient.sex ?? '?'} · card (${card.fitting} fit) ${card.shown.map(g).join(' ') || '—'} · ndcg@5 ${row.card.toFixed(3)} | bm25 ${top5.map(g).join(' ')} · ${row.bm25.toFixed(3)}`);
      }
    }
    const hookSeconds = (performance.now() - hookStarted) / 1000;
    const seconds = (performance.now() - started) / 1000;
    const f = (x: number) => x.toFixed(3);
    const summary = {
      set,
      topics: rows.length,
      skippedTopics: skipped,
      storeTrials: records.length,
      topicsWithAge: withAge,
      topicsWithSex: withSex,
      topicsWithCard: rows.filter((r) => r.shown > 0).length,
      trialsPerPatient: { fitting: mean(rows.map((r) => r.fitting)), shown: mean(rows.map((r) => r.shown)) },
      card: { ndcg5: mean(rows.map((r) => r.card)) },
      bm25: { ndcg5: mean(rows.map((r) => r.bm25)) },
      cardBeatsBm25Topics: rows.filter((r) => r.card > r.bm25).length,
      bm25BeatsCardTopics: rows.filter((r) => r.bm25 > r.card).length,
      model: imported.model.id,
      seconds: { total: Number(seconds.toFixed(1)), import: Number(importSeconds.toFixed(1)), hooks: Number(hookSeconds.toFixed(1)) },
    };
    console.log(
      `\n${set}: ${rows.length} topics (${skipped} without a relevant judged trial with text skipped) · store ${records.length} trials, all marked recruiting · ` +
        `age read for ${withAge}, sex for ${withSex}`,
    );
    console.log(`cards: ${summary.topicsWithCard}/${rows.length} topics · trials per patient: ${f(summary.trialsPerPatient.fitting)} may fit, ${f(summary.trialsPerPatient.shown)} shown`);
    console.log(`NDCG@5: card ${f(summary.card.ndcg5)} · BM25 over the store ${f(summary.bm25.ndcg5)} (card better on ${summary.cardBeatsBm25Topics} topics, BM25 on ${summary.bm25BeatsCardTopics})`);
    if (values.stages) {
      console.log(
        `stages (NDCG@5): retrieval top 5 ${f(mean(stages.retrieval))} · candidates not ranked excluded ${f(mean(stages.notExcluded))} · ` +
          `candidates with a documented topical match ${f(mean(stages.topicalOnly))} · BM25 top ${candidates ?? TRIAL_CANDIDATES} with a documented topical match ${f(mean(stages.bm25Topical))}`,
      );
      console.log(
        `ceilings (NDCG@5 of the best order of each list): candidates ${f(mean(ceilings.candidates))} · candidates not ranked excluded ${f(mean(ceilings.notExcluded))} · ` +
          `the trials the card counts ("may fit") ${f(mean(ceilings.fitting))} · BM25 top ${candidates ?? TRIAL_CANDIDATES} ${f(mean(ceilings.bm25Top20))}`,
      );
      console.log(`the trials the card counts, every one of them (no size limit), NDCG@5 in the matcher's order ${f(mean(orders.ranking))} · in BM25's order over the store ${f(mean(orders.bm25))} · in retrieval's order ${f(mean(orders.retrieval))}`);
      console.log(`eligible trials only (gain 1, excluded 0), ${eligible.card.length} topics with an eligible judged trial: card ${f(mean(eligible.card))} · BM25 top 5 ${f(mean(eligible.bm25))}`);
    }
    console.log(`time: ${seconds.toFixed(1)} s (import ${importSeconds.toFixed(1)} s, hook calls ${hookSeconds.toFixed(1)} s)`);
    console.log(JSON.stringify(summary));
    return 0;
  } finally {
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    await closeEmbeddingThreads();
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`eval:trials-hook failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
