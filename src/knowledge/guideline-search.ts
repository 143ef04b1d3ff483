/**
 * The port through which the clinical services ask the knowledge base for guideline passages.
 * It lives here, beside the retriever that implements it, so that a service depends on the
 * knowledge layer's own contract and never on another service (triage and diagnosis both use it).
 * Tests give the services a table-driven fake of this one method.
 *
 * A caller says which of two kinds its question is, because they are cached differently
 * (cached-search.ts): `searchFixed` for a question built only from finding keys and constants
 * (the same finding always asks it), answered once per corpus version; `search` for anything
 * holding patient text (a chief complaint, a hypothesis), which costs a live search.
 */
import type { GuidelineHit, SearchOptions } from './retriever.js';

export interface GuidelineSearch {
  search(query: string, options?: SearchOptions): Promise<GuidelineHit[]>;
  /** A fixed question (no patient text); absent, `search` answers it. */
  searchFixed?(query: string, options?: SearchOptions): Promise<GuidelineHit[]>;
}

/** Asks a fixed question (built only from finding keys and constants, never patient text). */
export function searchFixed(port: GuidelineSearch, query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
  return port.searchFixed ? port.searchFixed(query, options) : port.search(query, options);
}
