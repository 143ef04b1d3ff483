/**
 * The vector list's nearest-neighbour search settings, for every retriever (guidelines, trials).
 * Each retriever writes its own SQL over its own tables; what pgvector's HNSW index needs to
 * answer it is the same and set here, through `db.queryWithSettings` (one statement with the
 * settings in force, without a transaction's round trips).
 */
import type { Database, QueryResultRows } from '../db/database.js';

export interface HnswSearch {
  /**
   * HNSW returns at most ef_search neighbours: the search breadth, raised to `candidates` when
   * the list asks for more (higher finds more true neighbours, slower).
   */
  efSearch: number;
  candidates: number;
  /**
   * With a filter, HNSW keeps scanning the graph until enough matching rows are found
   * ('relaxed_order' is twice as fast as 'strict_order' when the caller sorts afterwards anyway);
   * 'off' without a filter.
   */
  iterativeScan: 'off' | 'relaxed_order' | 'strict_order';
}

/** Runs a nearest-neighbour statement with the HNSW settings of `search` in force. */
export function nearestNeighbours<R>(db: Database, search: HnswSearch, sql: string, params: unknown[]): Promise<QueryResultRows<R>> {
  const settings = { 'hnsw.ef_search': String(Math.max(search.efSearch, search.candidates)), 'hnsw.iterative_scan': search.iterativeScan };
  return db.queryWithSettings<R>(settings, sql, params);
}
