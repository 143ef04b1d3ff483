/**
 * The full-text list's term budget, for every retriever (guidelines, trials): which of a query's
 * words to search for, as a tsquery. Each retriever keeps its own tables and scoring (guidelines
 * by inverse document frequency, trials by ts_rank_cd with class weights); what words they score
 * is chosen here, from the term statistics each ingest or import refreshes (ts_stat counts, per
 * lexeme, the rows containing it).
 *
 * Words are OR-ed, so a clinician's sentence matches passages that share some of its words (the
 * scoring then favours those sharing more, and rarer, words). Every row matching is ranked, so the
 * commonest words are left out once the rows containing the kept words would exceed `budget`: on
 * a small corpus little is left out; on a large one, words found everywhere, which barely tell
 * passages apart, no longer make a query rank half the corpus. When even the rarest word is that
 * common, all of them are AND-ed instead. Words in no row are dropped (they cannot match).
 */
import type { Queryable } from '../db/database.js';

/** A query word (lexeme) and how many rows of the corpus (chunks, trials) contain it. */
export interface TermCount {
  lexeme: string;
  chunks: number;
}

export interface TermSelection {
  terms: TermCount[];
  /** OR normally; AND when every word is too common to OR. */
  operator: '|' | '&';
}

/** Where a corpus keeps its term statistics. Names are trusted constants, inlined in SQL. */
export interface TermStatistics {
  /** The table of lexemes and counts (guideline_terms, trial_terms). */
  table: string;
  /** Its column counting the rows that contain the lexeme. */
  countColumn: string;
  /** The table of the rows counted: when given, its size is read too (inverse document frequency needs it). */
  corpus?: string;
}

export function selectTerms(terms: readonly TermCount[], budget: number): TermSelection | undefined {
  const present = [...new Map(terms.filter((t) => t.chunks > 0).map((t) => [t.lexeme, { lexeme: t.lexeme, chunks: t.chunks }])).values()].sort(
    (a, b) => a.chunks - b.chunks || a.lexeme.localeCompare(b.lexeme),
  );
  const first = present[0];
  if (!first) return undefined;
  if (first.chunks > budget) return { terms: present.slice(0, 8), operator: '&' };
  const kept: TermCount[] = [];
  let total = 0;
  for (const t of present) {
    if (kept.length > 0 && total + t.chunks > budget) break;
    kept.push(t);
    total += t.chunks;
  }
  return { terms: kept, operator: '|' };
}

/** The selection as a tsquery: each lexeme quoted, so no character in it can be query syntax. */
export function tsqueryOf(selection: TermSelection, weight = ''): string {
  return selection.terms.map((t) => `${quoteLexeme(t.lexeme)}${weight}`).join(` ${selection.operator} `);
}

/** A lexeme as a tsquery operand: quoted, so no character in it can be query syntax. */
function quoteLexeme(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * The query's lexemes (the same parser and English stemmer as the index, to_tsvector), chosen by
 * how common they are (selectTerms). With `stats.corpus`, also the corpus size: the planner's
 * row estimate (exact after the ingest's ANALYZE; inverse document frequency needs no more),
 * never below a selected word's count.
 */
export async function queryTerms(
  db: Queryable,
  stats: TermStatistics,
  text: string,
  budget: number,
): Promise<{ selection: TermSelection; corpusSize: number | undefined } | undefined> {
  const total = stats.corpus ? `,\n            (SELECT greatest(reltuples, 1)::float8 FROM pg_class WHERE oid = '${stats.corpus}'::regclass) AS total` : '';
  const res = await db.query<{ lexeme: string; chunks: number; total?: number }>(
    `SELECT l.lexeme, coalesce(t.${stats.countColumn}, 0)::int AS chunks${total}
     FROM unnest(tsvector_to_array(to_tsvector('english', $1))) AS l(lexeme)
     LEFT JOIN ${stats.table} t ON t.lexeme = l.lexeme`,
    [text],
  );
  const selection = selectTerms(res.rows, budget);
  if (!selection) return undefined;
  const corpusSize = stats.corpus ? Math.max(Number(res.rows[0]?.total ?? 1), ...selection.terms.map((t) => t.chunks)) : undefined;
  return { selection, corpusSize };
}
