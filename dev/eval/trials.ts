/**
 * Evaluation on the TREC Clinical Trials 2021/2022 and SIGIR 2016 patient–trial judgements
 * (format of ../shared/data/trialmatch_trec_sigir_trialgpt: topics/*.jsonl, qrels/*.tsv,
 * corpus_judged_subset.jsonl, criterion_annotations/*.json).
 *
 * Trial level: each topic becomes a patient — a FHIR Patient and a DocumentReference holding the
 * topic text — read by buildPatientContext, then through the same matcher as a CDS hook
 * (retrieve over that topic's judged trials that have text → judge → rank). NDCG@10 and P@10 use
 * gains eligible 2 / excluded 1 / not relevant 0 (P@10: eligible counts); AUROC is eligible vs
 * excluded within each topic, averaged over topics with both. Topics whose judged trials with
 * text are all "not relevant" are skipped (NDCG is undefined there). The BM25 baseline ranks the
 * same pools by the topic text alone.
 *
 * Criterion level: each annotation's note becomes a patient the same way and its criterion is
 * parsed and judged. Our status maps to the annotators' labels (inclusion met → included, not met
 * → not included; exclusion met → excluded, not met → not excluded; unknown → not enough
 * information) and both are collapsed as the dataset README says: included / not excluded → MET,
 * not included / excluded → NOT_MET, not enough information / not applicable → UNKNOWN.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildPatientContext } from '../../src/fhir/context/build.js';
import type { PatientContext } from '../../src/fhir/context/types.js';
import type { CairnEmbeddings } from '../../src/search/embeddings/types.js';
import { Bm25Index, bm25Tokens, bm25TrialText } from './bm25.js';
import { parseCriterion, type CriterionKind } from '../../src/services/trials/matching/criteria-parse.js';
import { fromCorpusRecord, type TrialRecord } from '../../src/services/trials/matching/trial-record.js';
import { judgeCriterion, type CriterionJudgement, type JudgeOptions } from '../../src/services/trials/matching/judge.js';
import type { TrialMatcher } from '../../src/services/trials/match.js';
import { auroc, mean, ndcgAt, precisionAt } from './ranking-metrics.js';
import { profileFromContext, withSentenceEmbeddings, type PatientProfile } from '../../src/services/trials/matching/profile.js';
import { summariseJudgement, type CriterionCounts, type RankedTrial } from '../../src/services/trials/matching/rank.js';
import { criterionEmbeddingText } from '../../src/services/trials/store/trial-store.js';
import { contentWords } from '../../src/text/tokens.js';

export type EvalSet = 'sigir' | 'trec_2021' | 'trec_2022';
export const EVAL_SETS: readonly EvalSet[] = ['sigir', 'trec_2021', 'trec_2022'];

export interface CriterionAnnotation {
  annotation_id: number;
  patient_id: string;
  note: string;
  trial_id: string;
  criterion_type: CriterionKind;
  criterion_text: string;
  expert_eligibility: string;
  expert_sentences: string;
  training: boolean;
}

export interface EvalData {
  set: EvalSet;
  topics: Map<string, string>;
  /** topic → trial → grade (only trials that have text). */
  qrels: Map<string, Map<string, number>>;
  /** Judged trials of the set that have text. */
  trials: Map<string, TrialRecord>;
  /** Judgements in the qrels whose trial has no text. */
  judgementsWithoutText: number;
  annotations: CriterionAnnotation[];
}

async function readJsonLines(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch (err) {
        throw new Error(`${file}:${i + 1}: invalid JSON: ${(err as Error).message}`);
      }
    });
}

export async function loadEvalData(dir: string, set: EvalSet): Promise<EvalData> {
  const topics = new Map<string, string>();
  for (const t of await readJsonLines(path.join(dir, 'topics', `${set}_queries.jsonl`))) {
    const o = t as { _id?: string; text?: string };
    if (o._id && o.text) topics.set(o._id, o.text);
  }
  const corpus = new Map<string, unknown>();
  for (const r of await readJsonLines(path.join(dir, 'corpus_judged_subset.jsonl'))) {
    const id = (r as { nct_id?: string }).nct_id;
    if (id) corpus.set(id, r);
  }
  const qrels = new Map<string, Map<string, number>>();
  const trials = new Map<string, TrialRecord>();
  let withoutText = 0;
  const lines = (await readFile(path.join(dir, 'qrels', `${set}_qrels.tsv`), 'utf8')).split('\n');
  for (const line of lines.slice(1)) {
    const [topic, nct, score] = line.trim().split('\t');
    if (!topic || !nct || score === undefined) continue;
    const raw = corpus.get(nct);
    if (!raw) {
      withoutText++;
      continue;
    }
    if (!trials.has(nct)) trials.set(nct, fromCorpusRecord(raw, `corpus ${nct}`));
    let m = qrels.get(topic);
    if (!m) qrels.set(topic, (m = new Map()));
    m.set(nct, Number(score));
  }
  let annotations: CriterionAnnotation[] = [];
  try {
    annotations = JSON.parse(await readFile(path.join(dir, 'criterion_annotations', 'trialgpt_criterion_annotations.json'), 'utf8')) as CriterionAnnotation[];
  } catch {
    annotations = [];
  }
  return { set, topics, qrels, trials, judgementsWithoutText: withoutText, annotations };
}

/** A fixed reference time: the notes are undated, so any time after "now" in the note works. */
export const EVAL_REFERENCE_TIME = new Date('2024-01-01T00:00:00Z');

/** The FHIR resources a topic becomes: a Patient with no demographics and its note. */
export function topicResources(id: string, text: string, referenceTime: Date = EVAL_REFERENCE_TIME): unknown[] {
  const fhirId = id.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64);
  return [
    { resourceType: 'Patient', id: fhirId },
    {
      resourceType: 'DocumentReference',
      id: `${fhirId}-note`.slice(0, 64),
      status: 'current',
      subject: { reference: `Patient/${fhirId}` },
      date: referenceTime.toISOString(),
      type: { text: 'Clinical note' },
      content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8').toString('base64') } }],
    },
  ];
}

export function topicContext(id: string, text: string): PatientContext {
  const resources = topicResources(id, text);
  const patientId = (resources[0] as { id: string }).id;
  return buildPatientContext({ resources, patientId, referenceTime: EVAL_REFERENCE_TIME });
}

// ---------------------------------------------------------------------------------------------
// Trial level

/**
 * What the ranking knows of one judged trial of a topic, with its gold grade: the inputs of
 * rank.ts's score, so a ranking rule can be re-scored on them without re-running the matcher.
 */
export interface TrialFeatures {
  nctId: string;
  grade: number;
  /** BM25 score of the trial's whole text for the topic text (the baseline's signal). */
  bm25: number;
  /** Absent when the retriever did not return the trial (no vector, no shared word). */
  matched?: {
    relevance: number;
    retrievalRank: number;
    category: string;
    decisive: number;
    topicalMet: number;
    inclusion: CriterionCounts;
    exclusion: CriterionCounts;
  };
}

export interface TopicResult {
  topic: string;
  pool: number;
  features: TrialFeatures[];
  system: { ndcg10: number; p10: number; auroc?: number; ranking: string[] };
  bm25: { ndcg10: number; p10: number; auroc?: number; ranking: string[] };
}

export interface RankingSummary {
  topics: number;
  skippedTopics: number;
  judgedPairs: number;
  system: { ndcg10: number; p10: number; auroc: number; aurocTopics: number };
  bm25: { ndcg10: number; p10: number; auroc: number; aurocTopics: number };
  /** How the system's categories line up with the gold labels (category → grade → count). */
  categories: Record<string, Record<string, number>>;
}

function topicMetrics(ranking: readonly string[], grades: ReadonlyMap<string, number>): { ndcg10: number; p10: number; auroc?: number } {
  const gains = ranking.map((id) => grades.get(id) ?? 0);
  const pool = [...grades.values()];
  const position = new Map(ranking.map((id, i) => [id, ranking.length - i]));
  const a = auroc(
    [...grades].filter(([, g]) => g === 2).map(([id]) => position.get(id) ?? 0),
    [...grades].filter(([, g]) => g === 1).map(([id]) => position.get(id) ?? 0),
  );
  return { ndcg10: ndcgAt(gains, pool, 10) ?? 0, p10: precisionAt(gains.map((g) => g === 2), 10), ...(a !== undefined && { auroc: a }) };
}

export interface RankingEvalOptions {
  /** Evaluate only the first n eligible topics (smoke tests). */
  limit?: number;
  judge?: JudgeOptions;
  /** Called per topic with its ranking (for --verbose). */
  onTopic?: (topic: string, ranking: RankedTrial[], grades: ReadonlyMap<string, number>) => void;
}

export async function evaluateRanking(matcher: TrialMatcher, data: EvalData, options: RankingEvalOptions = {}): Promise<{ summary: RankingSummary; topics: TopicResult[] }> {
  const bm25 = new Bm25Index([...data.trials.values()].map((r) => ({ id: r.nctId, text: bm25TrialText(r) })));
  const results: TopicResult[] = [];
  const categories: Record<string, Record<string, number>> = {};
  let skipped = 0;
  let pairs = 0;
  for (const [topic, grades] of data.qrels) {
    const text = data.topics.get(topic);
    if (!text || ![...grades.values()].some((g) => g > 0)) {
      skipped++;
      continue;
    }
    if (options.limit !== undefined && results.length >= options.limit) break;
    pairs += grades.size;
    const pool = [...grades.keys()];
    const result = await matcher.match(topicContext(topic, text), { nctIds: pool, k: pool.length, ...(options.judge && { judge: options.judge }) });
    const rankedIds = result.ranking.map((r) => r.nctId);
    // A trial the retriever did not return (no vector, no shared word) goes last, in id order.
    const missing = pool.filter((id) => !rankedIds.includes(id)).sort();
    const systemRanking = [...rankedIds, ...missing];
    for (const r of result.ranking) {
      const g = String(grades.get(r.nctId) ?? 0);
      const c = (categories[r.category] ??= {});
      c[g] = (c[g] ?? 0) + 1;
    }
    options.onTopic?.(topic, result.ranking, grades);
    const bm25Scored = bm25.rank(text, pool);
    const bm25Ranking = bm25Scored.map((x) => x.id);
    const bm25Score = new Map(bm25Scored.map((x) => [x.id, x.score]));
    const judgements = new Map(result.judgements.map((j) => [j.nctId, j]));
    const ranked = new Map(result.ranking.map((r) => [r.nctId, r]));
    const features: TrialFeatures[] = pool.map((id) => {
      const r = ranked.get(id);
      const j = judgements.get(id);
      return {
        nctId: id,
        grade: grades.get(id) ?? 0,
        bm25: bm25Score.get(id) ?? 0,
        ...(r &&
          j && {
            matched: {
              relevance: r.relevance,
              retrievalRank: r.retrievalRank,
              category: r.category,
              decisive: r.decisive.length,
              topicalMet: summariseJudgement(j).topicalMet.length,
              inclusion: r.inclusion,
              exclusion: r.exclusion,
            },
          }),
      };
    });
    results.push({
      topic,
      pool: pool.length,
      features,
      system: { ...topicMetrics(systemRanking, grades), ranking: systemRanking },
      bm25: { ...topicMetrics(bm25Ranking, grades), ranking: bm25Ranking },
    });
  }
  const side = (f: (r: TopicResult) => { ndcg10: number; p10: number; auroc?: number }) => {
    const a = results.map((r) => f(r).auroc).filter((x): x is number => x !== undefined);
    return { ndcg10: mean(results.map((r) => f(r).ndcg10)), p10: mean(results.map((r) => f(r).p10)), auroc: mean(a), aurocTopics: a.length };
  };
  return {
    summary: { topics: results.length, skippedTopics: skipped, judgedPairs: pairs, system: side((r) => r.system), bm25: side((r) => r.bm25), categories },
    topics: results,
  };
}

// ---------------------------------------------------------------------------------------------
// Criterion level

export type Collapsed = 'MET' | 'NOT_MET' | 'UNKNOWN';

export function collapseLabel(label: string): Collapsed {
  switch (label) {
    case 'included':
    case 'not excluded':
      return 'MET';
    case 'not included':
    case 'excluded':
      return 'NOT_MET';
    default:
      return 'UNKNOWN';
  }
}

/** Our criterion status as the annotators' label for that kind of criterion. */
export function annotationLabel(kind: CriterionKind, status: CriterionJudgement['status']): string {
  if (status === 'unknown') return 'not enough information';
  if (kind === 'inclusion') return status === 'met' ? 'included' : 'not included';
  return status === 'met' ? 'excluded' : 'not excluded';
}

/** The annotation's note: "0. sentence\n1. sentence" → the sentences, in order. */
export function annotationSentences(note: string): string[] {
  return note
    .split('\n')
    .map((l) => l.replace(/^\s*\d+\.\s*/, '').trim())
    .filter(Boolean);
}

export interface CriterionEvalSummary {
  annotations: number;
  /** Annotations without a criterion text or note (not scored). */
  skipped: number;
  accuracy: number;
  /** Share of our judgements that are UNKNOWN, and of the gold labels. */
  unknownRate: number;
  goldUnknownRate: number;
  /** Held-out split (training == false). */
  heldOut: { annotations: number; accuracy: number };
  byKind: Record<CriterionKind, { annotations: number; accuracy: number; unknownRate: number }>;
  /** The physicians' own label → our collapsed prediction → count ("not excluded" → MET …). */
  byPhysicianLabel: Record<string, Record<Collapsed, number>>;
  /** gold collapsed → predicted collapsed → count. */
  confusion: Record<Collapsed, Record<Collapsed, number>>;
  /** Evidence sentences vs the experts' (annotations where both cite some), micro F1. */
  evidenceF1: number;
  baseline: { name: string; accuracy: number; unknownRate: number };
  majority: { name: string; accuracy: number };
}

/**
 * The BM25-only criterion baseline: the note sentence with the highest BM25 score for the
 * criterion's words decides — present when it holds at least half of them — with no negation,
 * no structure and no embeddings; otherwise an inclusion criterion is unknown and an exclusion
 * criterion is not met (the same unmentioned-facts rule as the system, so that the comparison
 * isolates what structure, negation and meaning add).
 */
export function lexicalBaseline(sentences: readonly string[], kind: CriterionKind, criterion: string): CriterionJudgement['status'] {
  const index = new Bm25Index(sentences.map((s, i) => ({ id: String(i), text: s })));
  const best = index.rank(criterion)[0];
  const terms = [...new Set(contentWords(criterion))];
  if (best && best.score > 0 && terms.length > 0) {
    const words = new Set(bm25Tokens(sentences[Number(best.id)] ?? ''));
    const covered = terms.filter((t) => words.has(t)).length / terms.length;
    if (covered >= 0.5) return 'met';
  }
  return kind === 'inclusion' ? 'unknown' : 'not-met';
}

export async function evaluateCriteria(all: readonly CriterionAnnotation[], embeddings: CairnEmbeddings | undefined, options: JudgeOptions = {}): Promise<CriterionEvalSummary> {
  // One annotation in the published file has no criterion text: it cannot be judged or scored.
  const annotations = all.filter((a) => typeof a.criterion_text === 'string' && a.criterion_text.trim() && typeof a.note === 'string');
  const profiles = new Map<string, PatientProfile>();
  const criteria = annotations.map((a) => parseCriterion({ kind: a.criterion_type, text: a.criterion_text, origin: 'text' }));
  const vectors = embeddings ? await embeddings.embedDocuments(criteria.map((c) => criterionEmbeddingText(c))) : [];
  const confusion: CriterionEvalSummary['confusion'] = { MET: { MET: 0, NOT_MET: 0, UNKNOWN: 0 }, NOT_MET: { MET: 0, NOT_MET: 0, UNKNOWN: 0 }, UNKNOWN: { MET: 0, NOT_MET: 0, UNKNOWN: 0 } };
  let correct = 0;
  let unknown = 0;
  let goldUnknown = 0;
  let baselineCorrect = 0;
  let baselineUnknown = 0;
  let majorityCorrect = 0;
  const held = { n: 0, correct: 0 };
  const byKind: Record<CriterionKind, { n: number; correct: number; unknown: number }> = { inclusion: { n: 0, correct: 0, unknown: 0 }, exclusion: { n: 0, correct: 0, unknown: 0 } };
  const byPhysicianLabel: Record<string, Record<Collapsed, number>> = {};
  let evTp = 0;
  let evPred = 0;
  let evGold = 0;
  for (const [i, a] of annotations.entries()) {
    const sentences = annotationSentences(a.note);
    const key = `${a.patient_id}\u0000${a.note}`;
    let profile = profiles.get(key);
    if (!profile) {
      const ctx = topicContext(a.patient_id, sentences.join('\n'));
      profile = profileFromContext(ctx);
      // One embedDocuments call for the note's sentences, as before the profile builder became
      // pure (not the matcher's cache, which embeds in batches of 16), so the figures stay put.
      if (embeddings && profile.sentences.length > 0) profile = withSentenceEmbeddings(profile, await embeddings.embedDocuments(profile.sentences.map((s) => s.text)));
      profiles.set(key, profile);
    }
    const judgement = judgeCriterion(profile, { criterion: criteria[i] as NonNullable<(typeof criteria)[number]>, index: 0, ...(vectors[i] && { embedding: vectors[i] }) }, options);
    const predicted = collapseLabel(annotationLabel(a.criterion_type, judgement.status));
    const gold = collapseLabel(a.expert_eligibility);
    confusion[gold][predicted]++;
    if (predicted === gold) correct++;
    if (predicted === 'UNKNOWN') unknown++;
    if (gold === 'UNKNOWN') goldUnknown++;
    byKind[a.criterion_type].n++;
    if (predicted === gold) byKind[a.criterion_type].correct++;
    if (predicted === 'UNKNOWN') byKind[a.criterion_type].unknown++;
    const physicians = (byPhysicianLabel[`${a.criterion_type}: ${a.expert_eligibility}`] ??= { MET: 0, NOT_MET: 0, UNKNOWN: 0 });
    physicians[predicted]++;
    if (!a.training) {
      held.n++;
      if (predicted === gold) held.correct++;
    }
    const base = collapseLabel(annotationLabel(a.criterion_type, lexicalBaseline(sentences, a.criterion_type, a.criterion_text)));
    if (base === gold) baselineCorrect++;
    if (base === 'UNKNOWN') baselineUnknown++;
    // Majority per kind: inclusion → not enough information, exclusion → not excluded.
    if ((a.criterion_type === 'inclusion' ? 'UNKNOWN' : 'MET') === gold) majorityCorrect++;
    // Evidence sentences: the note lines our evidence came from, vs the experts'.
    let goldIds: number[] = [];
    try {
      goldIds = (JSON.parse(a.expert_sentences) as unknown[]).filter((x): x is number => typeof x === 'number');
    } catch {
      goldIds = [];
    }
    const ours = new Set<number>();
    for (const ev of judgement.evidence) {
      if (ev.kind !== 'note') continue;
      const line = sentences.findIndex((s) => s.includes(ev.text) || ev.text.includes(s));
      if (line >= 0) ours.add(line);
    }
    if (goldIds.length > 0 && ours.size > 0) {
      evGold += goldIds.length;
      evPred += ours.size;
      evTp += goldIds.filter((g) => ours.has(g)).length;
    }
  }
  const n = Math.max(1, annotations.length);
  const p = evPred > 0 ? evTp / evPred : 0;
  const r = evGold > 0 ? evTp / evGold : 0;
  return {
    annotations: annotations.length,
    skipped: all.length - annotations.length,
    accuracy: correct / n,
    unknownRate: unknown / n,
    goldUnknownRate: goldUnknown / n,
    heldOut: { annotations: held.n, accuracy: held.n > 0 ? held.correct / held.n : Number.NaN },
    byKind: {
      inclusion: { annotations: byKind.inclusion.n, accuracy: byKind.inclusion.correct / (byKind.inclusion.n || Number.NaN), unknownRate: byKind.inclusion.unknown / (byKind.inclusion.n || Number.NaN) },
      exclusion: { annotations: byKind.exclusion.n, accuracy: byKind.exclusion.correct / (byKind.exclusion.n || Number.NaN), unknownRate: byKind.exclusion.unknown / (byKind.exclusion.n || Number.NaN) },
    },
    byPhysicianLabel,
    confusion,
    evidenceF1: p + r > 0 ? (2 * p * r) / (p + r) : 0,
    baseline: { name: 'bm25-lexical', accuracy: baselineCorrect / n, unknownRate: baselineUnknown / n },
    majority: { name: 'majority per kind', accuracy: majorityCorrect / n },
  };
}
