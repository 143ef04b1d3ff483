/**
 * The GuidelineSearch the services are given: the retriever behind two caches keyed by corpus
 * version (corpus-version.ts), query and options.
 *
 * - Fixed questions (`searchFixed`: built only from finding keys and constants, e.g. "NEWS2
 *   aggregate score 7 or more …", a diagnosis criterion) are few, and each hook asks several: their
 *   hits are computed once per corpus version and then answered from memory, with no embedding,
 *   no database round trip and no ranking.
 * - Free text (`search`: a chief complaint, a hypothesis) costs a live search, but the same text
 *   under the same version within a short while (a chart reopened, a retried hook) is answered
 *   from a smaller cache of its own, so patient text never crowds out the fixed questions.
 *
 * A cached promise is shared, so concurrent misses for one key make one search; a failed search
 * is forgotten so the next call asks again. A new corpus version makes new keys: old entries are
 * never answered again and age out of the LRU. Each caller gets its own copy of the hits, so no
 * card can alter what the next hook is given.
 */
import { LRUCache } from 'lru-cache';
import { codeFilterKeys } from './codes.js';
import type { GuidelineSearch } from './guideline-search.js';
import type { GuidelineHit, SearchFilters, SearchOptions } from './retriever.js';
import type { VersionSource } from './corpus-version.js';

export interface CachedSearchOptions {
  inner: GuidelineSearch;
  version: VersionSource;
  /** Fixed questions kept (default 1,000; the shipped services ask a few dozen). */
  fixedCapacity?: number;
  /** Free-text searches kept (default 500). */
  freeTextCapacity?: number;
}

export class CachedGuidelineSearch implements GuidelineSearch {
  readonly #inner: GuidelineSearch;
  readonly #version: VersionSource;
  readonly #fixed: LRUCache<string, Promise<GuidelineHit[]>>;
  readonly #freeText: LRUCache<string, Promise<GuidelineHit[]>>;

  constructor(options: CachedSearchOptions) {
    this.#inner = options.inner;
    this.#version = options.version;
    this.#fixed = new LRUCache({ max: options.fixedCapacity ?? 1000 });
    this.#freeText = new LRUCache({ max: options.freeTextCapacity ?? 500 });
  }

  search(query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
    return this.#cached(this.#freeText, query, options, (q, o) => this.#inner.search(q, o));
  }

  searchFixed(query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
    return this.#cached(this.#fixed, query, options, (q, o) => (this.#inner.searchFixed ?? this.#inner.search).call(this.#inner, q, o));
  }

  /** Entries in each cache (tests, metrics). */
  get size(): { fixed: number; freeText: number } {
    return { fixed: this.#fixed.size, freeText: this.#freeText.size };
  }

  async #cached(
    cache: LRUCache<string, Promise<GuidelineHit[]>>,
    query: string,
    options: SearchOptions | undefined,
    compute: (query: string, options: SearchOptions | undefined) => Promise<GuidelineHit[]>,
  ): Promise<GuidelineHit[]> {
    const version = await this.#version.current();
    const key = `${version}\u0000${optionsKey(options)}\u0000${query}`;
    let hits = cache.get(key);
    if (!hits) {
      hits = compute(query, options);
      const stored = hits;
      // Only the failed promise is dropped: a newer entry under the same key stays.
      stored.catch(() => {
        if (cache.get(key) === stored) cache.delete(key);
      });
      cache.set(key, stored);
    }
    return (await hits).map(copyHit);
  }
}

function copyHit(h: GuidelineHit): GuidelineHit {
  return { ...h, headingPath: [...h.headingPath], ranks: { ...h.ranks } };
}

/** Every option and filter field is in optionsKey: a field added to either type fails to compile here until it is. */
const KEYED_FIELDS = { k: true, mode: true, filters: true, preferCodes: true, documentIds: true, topics: true, kind: true, codes: true } as const;

/**
 * The options as a key: every field a search reads, in a fixed order, code filters as their
 * normalised keys. Written out rather than a key-sorting JSON.stringify, which cost more per
 * hook than the rest of a cache hit.
 */
function optionsKey(o: SearchOptions | undefined): string {
  KEYED_FIELDS satisfies Record<keyof SearchOptions | keyof SearchFilters, true>;
  const f = o?.filters;
  return JSON.stringify([
    o?.k,
    o?.mode,
    f?.documentIds,
    f?.topics,
    f?.kind,
    f?.codes && codeFilterKeys(f.codes).sort(),
    o?.preferCodes && codeFilterKeys(o.preferCodes).sort(),
  ]);
}
