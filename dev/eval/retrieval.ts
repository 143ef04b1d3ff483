/**
 * Retrieval evaluation on a labelled query set, the same code path cards use (GuidelineRetriever).
 *
 * Query file: JSON lines, one query each:
 *   {"id": "q001", "query": "…", "relevant": ["<section anchor or chunk id>", …], "filters"?: {…}}
 * `filters` takes the retriever's filters: codes ({system: [codes]}), topics, documentIds, kind.
 *
 * Pooled judgements (optional, TREC style): the labels of a hand-written set miss relevant
 * passages nobody thought of. So the top 10 of each method were pooled and every pooled
 * (query, chunk) pair graded by an assessor who saw neither the method nor the labels:
 *   {"query": "q001", "chunk": "<chunk id>", "grade": 0 | 1 | 2, "reason"?: "…"}
 * 2 = relevant, 1 = on the topic but not answering it, 0 = not relevant. With judgements, a
 * query's relevant chunks are its labels plus the chunks graded 2; unjudged chunks count as not
 * relevant, as in TREC.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Queryable } from '../../src/db/database.js';
import { DOCUMENT_KINDS } from '../../src/knowledge/corpus/metadata.js';
import { isRelevant, meanMetrics, queryMetrics, type QueryMetrics } from './retrieval-metrics.js';
import type { GuidelineRetriever, SearchMode } from '../../src/knowledge/retriever.js';

const labelledQuerySchema = z
  .object({
    id: z.string().min(1),
    query: z.string().trim().min(1),
    relevant: z.array(z.string().min(1)).min(1),
    filters: z
      .object({
        codes: z.record(z.string(), z.array(z.string())).optional(),
        topics: z.array(z.string()).optional(),
        documentIds: z.array(z.string()).optional(),
        kind: z.enum(DOCUMENT_KINDS).optional(),
      })
      .strict()
      .optional(),
  })
  .passthrough();

export type LabelledQuery = z.infer<typeof labelledQuerySchema> & {
  /** Chunk ids judged relevant in the pooled judgements (each exactly that chunk, not a section). */
  judgedRelevant?: readonly string[];
};

/**
 * The records of a JSON-lines file, each checked by `schema` and then by `check` (a repeat, say),
 * blank lines skipped. Throws one error listing every bad line by number.
 */
async function readJsonLines<T>(file: string, what: string, schema: z.ZodType<T>, check: (item: T) => string | undefined): Promise<T[]> {
  const text = await readFile(file, 'utf8');
  const items: T[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      problems.push(`line ${i + 1}: not JSON (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      problems.push(`line ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.') || `(${what})`}: ${x.message}`).join('; ')}`);
      return;
    }
    const problem = check(parsed.data);
    if (problem) problems.push(`line ${i + 1}: ${problem}`);
    items.push(parsed.data);
  });
  if (problems.length > 0) throw new Error(`${file}: invalid ${what} file:\n  ${problems.join('\n  ')}`);
  return items;
}

export async function loadQueries(file: string): Promise<LabelledQuery[]> {
  const ids = new Set<string>();
  const queries = await readJsonLines(file, 'query', labelledQuerySchema, (q) => {
    const repeated = ids.has(q.id);
    ids.add(q.id);
    return repeated ? `duplicate query id '${q.id}'` : undefined;
  });
  if (queries.length === 0) throw new Error(`${file}: no queries`);
  return queries;
}

const judgementSchema = z
  .object({
    query: z.string().min(1),
    chunk: z.string().min(1),
    grade: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    reason: z.string().optional(),
  })
  .strict();

export type Judgement = z.infer<typeof judgementSchema>;

/** Grade at which a judged chunk counts as relevant. */
export const RELEVANT_GRADE = 2;

export async function loadJudgements(file: string): Promise<Judgement[]> {
  const seen = new Set<string>();
  return readJsonLines(file, 'judgement', judgementSchema, (j) => {
    const key = `${j.query}\0${j.chunk}`;
    const repeated = seen.has(key);
    seen.add(key);
    return repeated ? `query ${j.query} and chunk ${j.chunk} are judged twice` : undefined;
  });
}

export interface PooledQueries {
  queries: LabelledQuery[];
  /** Judgements naming a query that is not in the set. */
  unknownQueries: string[];
  /** Chunks graded relevant that no label matched: what the pooling added. */
  added: number;
  /** Label agreement: chunks matching a query's labels that were judged, and the grades they got. */
  labelledJudged: { total: number; byGrade: [number, number, number] };
}

/** Each query with the chunks judged relevant added to its labels. */
export function withJudgements(queries: readonly LabelledQuery[], judgements: readonly Judgement[]): PooledQueries {
  const byQuery = new Map<string, Judgement[]>();
  for (const j of judgements) byQuery.set(j.query, [...(byQuery.get(j.query) ?? []), j]);
  const known = new Set(queries.map((q) => q.id));
  const unknownQueries = [...byQuery.keys()].filter((id) => !known.has(id));
  let added = 0;
  const byGrade: [number, number, number] = [0, 0, 0];
  const pooled = queries.map((q) => {
    const extra: string[] = [];
    for (const j of byQuery.get(q.id) ?? []) {
      if (isRelevant(j.chunk, q.relevant)) byGrade[j.grade] += 1;
      else if (j.grade >= RELEVANT_GRADE) extra.push(j.chunk);
    }
    added += extra.length;
    return extra.length > 0 ? { ...q, judgedRelevant: extra } : q;
  });
  return { queries: pooled, unknownQueries, added, labelledJudged: { total: byGrade[0] + byGrade[1] + byGrade[2], byGrade } };
}

export interface QueryOutcome {
  id: string;
  query: string;
  relevant: string[];
  /** Chunks judged relevant besides the labels (pooled judgements). */
  judgedRelevant: string[];
  /** Relevant chunks in the knowledge base (|R|). */
  relevantTotal: number;
  retrieved: string[];
  metrics: QueryMetrics;
}

export interface EvaluationResult {
  queries: number;
  k: number;
  modes: Partial<Record<SearchMode, QueryMetrics>>;
  perQuery: Partial<Record<SearchMode, QueryOutcome[]>>;
  /** Labels that match no chunk in the knowledge base (a typo, or a section that was renamed). */
  unknownLabels: Array<{ query: string; label: string }>;
}

export async function evaluateRetrieval(
  db: Queryable,
  retriever: GuidelineRetriever,
  queries: readonly LabelledQuery[],
  options: { k?: number; modes?: readonly SearchMode[] } = {},
): Promise<EvaluationResult> {
  const k = options.k ?? 10;
  const modes = options.modes ?? (['vector', 'fulltext', 'hybrid'] as const);
  const chunkIds = (await db.query<{ id: string }>('SELECT id FROM guideline_chunks')).rows.map((r) => r.id);
  const unknownLabels: EvaluationResult['unknownLabels'] = [];
  const totals = new Map<string, number>();
  const judged = new Map(queries.map((q) => [q.id, new Set(q.judgedRelevant ?? [])]));
  for (const q of queries) {
    for (const label of q.relevant) {
      if (!chunkIds.some((id) => isRelevant(id, [label]))) unknownLabels.push({ query: q.id, label });
    }
    const exact = judged.get(q.id) as Set<string>;
    for (const id of exact) if (!chunkIds.includes(id)) unknownLabels.push({ query: q.id, label: id });
    totals.set(q.id, chunkIds.filter((id) => isRelevant(id, q.relevant, exact)).length);
  }
  const result: EvaluationResult = { queries: queries.length, k, modes: {}, perQuery: {}, unknownLabels };
  for (const mode of modes) {
    const outcomes: QueryOutcome[] = [];
    for (const q of queries) {
      const hits = await retriever.search(q.query, { k, mode, ...(q.filters && { filters: q.filters }) });
      const retrieved = hits.map((h) => h.chunkId);
      const relevantTotal = totals.get(q.id) ?? 0;
      const exact = judged.get(q.id) as Set<string>;
      const metrics = queryMetrics(retrieved, q.relevant, relevantTotal, exact);
      outcomes.push({ id: q.id, query: q.query, relevant: q.relevant, judgedRelevant: [...exact], relevantTotal, retrieved, metrics });
    }
    result.perQuery[mode] = outcomes;
    result.modes[mode] = meanMetrics(outcomes.map((o) => o.metrics));
  }
  return result;
}
