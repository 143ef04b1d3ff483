/**
 * The port through which the clinical services ask the knowledge base for guideline passages.
 * It lives here, beside the retriever that implements it, so that a service depends on the
 * knowledge layer's own contract and never on another service (triage and diagnosis both use it).
 * Tests give the services a table-driven fake of this one method.
 */
import type { GuidelineHit, SearchOptions } from './retriever.js';

export interface GuidelineSearch {
  search(query: string, options?: SearchOptions): Promise<GuidelineHit[]>;
}
