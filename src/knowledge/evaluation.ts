/**
 * Retrieval evaluation on a labelled query set, the same code path cards use (GuidelineRetriever).
 *
 * Query file: JSON lines, one query each:
 *   {"id": "q001", "query": "…", "relevant": ["<section anchor or chunk id>", …], "filters"?: {…}}
 * `filters` takes the retriever's filters: codes ({system: [codes]}), topics, documentIds, kind.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { DOCUMENT_KINDS } from './corpus/metadata.js';
import { isRelevant, meanMetrics, queryMetrics, type QueryMetrics } from './metrics.js';
import type { GuidelineRetriever, SearchMode } from './retriever.js';

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

export type LabelledQuery = z.infer<typeof labelledQuerySchema>;

export async function loadQueries(file: string): Promise<LabelledQuery[]> {
  const text = await readFile(file, 'utf8');
  const queries: LabelledQuery[] = [];
  const ids = new Set<string>();
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
    const parsed = labelledQuerySchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(`line ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.') || '(query)'}: ${x.message}`).join('; ')}`);
      return;
    }
    if (ids.has(parsed.data.id)) problems.push(`line ${i + 1}: duplicate query id '${parsed.data.id}'`);
    ids.add(parsed.data.id);
    queries.push(parsed.data);
  });
  if (problems.length > 0) throw new Error(`${file}: invalid query file:\n  ${problems.join('\n  ')}`);
  if (queries.length === 0) throw new Error(`${file}: no queries`);
  return queries;
}

export interface QueryOutcome {
  id: string;
  query: string;
  relevant: string[];
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
  for (const q of queries) {
    for (const label of q.relevant) {
      if (!chunkIds.some((id) => isRelevant(id, [label]))) unknownLabels.push({ query: q.id, label });
    }
    totals.set(q.id, chunkIds.filter((id) => isRelevant(id, q.relevant)).length);
  }
  const result: EvaluationResult = { queries: queries.length, k, modes: {}, perQuery: {}, unknownLabels };
  for (const mode of modes) {
    const outcomes: QueryOutcome[] = [];
    for (const q of queries) {
      const hits = await retriever.search(q.query, { k, mode, ...(q.filters && { filters: q.filters }) });
      const retrieved = hits.map((h) => h.chunkId);
      const relevantTotal = totals.get(q.id) ?? 0;
      outcomes.push({ id: q.id, query: q.query, relevant: q.relevant, relevantTotal, retrieved, metrics: queryMetrics(retrieved, q.relevant, relevantTotal) });
    }
    result.perQuery[mode] = outcomes;
    result.modes[mode] = meanMetrics(outcomes.map((o) => o.metrics));
  }
  return result;
}
