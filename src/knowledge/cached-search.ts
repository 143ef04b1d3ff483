/**
 * The GuidelineSearch the services are given: the retriever behind two caches keyed by corpus
 * version (corpus-version.ts), query and options.
 *
 * - Fixed questions (`searchFixed`: built only from finding keys and constants, e.g. "NEWS2
 *   aggregate score 7 or more …", a diagnosis criterion) are few, and each hook asks several: their
 *   hits are computed once per corpus version and then answered from memory, with no embedding,
 *   no database round trip and no ranking. With a FixedAnswerStore (fixed-answers.ts) they are
 *   also kept in the database, so a restart or another instance does not compute them again,
 *   and `warm` readies them before the first hook.
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
import type { FixedAnswerStore, FixedQuestion } from './fixed-answers.js';

export interface CachedSearchOptions {
  inner: GuidelineSearch;
  version: VersionSource;
  /**
   * Where fixed answers are kept between processes (fixed-answers.ts): a miss is written there
   * (not waited for), and `warm` loads them. Absent: kept in memory only.
   */
  answers?: FixedAnswerStore;
  /** A fixed answer that could not be written (it is still answered from memory). */
  onSaveError?: (err: unknown) => void;
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
  readonly #answers: FixedAnswerStore | undefined;
  readonly #onSaveError: (err: unknown) => void;
  readonly #saving = new Set<Promise<void>>();
  /** The corpus version of the last search, to see a change under a running process. */
  #versionSeen: string | undefined;
  #rewarming: Promise<unknown> = Promise.resolve();

  constructor(options: CachedSearchOptions) {
    this.#inner = options.inner;
    this.#version = options.version;
    this.#answers = options.answers;
    this.#onSaveError = options.onSaveError ?? (() => undefined);
    this.#fixed = new LRUCache({ max: options.fixedCapacity ?? 1000 });
    this.#freeText = new LRUCache({ max: options.freeTextCapacity ?? 500 });
  }

  search(query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
    return this.#cached(this.#freeText, query, options, (q, o) => this.#inner.search(q, o));
  }

  searchFixed(query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
    return this.#cached(this.#fixed, query, options, async (q, o, version, key) => {
      const hits = await (this.#inner.searchFixed ?? this.#inner.search).call(this.#inner, q, o);
      // Not waited for by the hook; `warm` waits for the writes it caused.
      const saved = this.#answers?.save(version, key, { query: q, ...(o && { options: o }) }, hits).catch(this.#onSaveError);
      if (saved) {
        this.#saving.add(saved);
        void saved.finally(() => this.#saving.delete(saved));
      }
      return hits;
    });
  }

  /**
   * Readies the fixed answers of the current corpus version before the first hook: those stored
   * under it are loaded; every other question known (asked under an earlier version, or given
   * in `questions`) is answered now and stored. Answers of other versions are then deleted.
   */
  async warm(questions: readonly FixedQuestion[] = []): Promise<{ version: string; loaded: number; answered: number }> {
    // Answers of this process still being written are read back below, not asked again.
    await Promise.all(this.#saving);
    const version = await this.#version.current();
    const loaded = new Set<string>();
    for (const a of (await this.#answers?.load(version)) ?? []) {
      this.#fixed.set(`${version}\u0000${a.key}`, Promise.resolve(a.hits));
      loaded.add(a.key);
    }
    const stored = loaded.size;
    const missing = new Map<string, FixedQuestion>();
    for (const q of [...((await this.#answers?.questions()) ?? []), ...questions]) {
      const key = questionKey(q.query, q.options);
      if (!loaded.has(key)) missing.set(key, q);
    }
    // All at once: the embedding threads and the database take them in turn.
    await Promise.all([...missing.values()].map((q) => this.searchFixed(q.query, q.options)));
    await Promise.all(this.#saving);
    await this.#answers?.keepOnly(version);
    return { version, loaded: stored, answered: missing.size };
  }

  /** Resolves once the background work begun so far (answers being stored, a re-warm after a corpus change) is done. */
  async settled(): Promise<void> {
    await this.#rewarming;
    await Promise.all(this.#saving);
  }

  /** Entries in each cache (tests, metrics). */
  get size(): { fixed: number; freeText: number } {
    return { fixed: this.#fixed.size, freeText: this.#freeText.size };
  }

  async #cached(
    cache: LRUCache<string, Promise<GuidelineHit[]>>,
    query: string,
    options: SearchOptions | undefined,
    compute: (query: string, options: SearchOptions | undefined, version: string, questionKey: string) => Promise<GuidelineHit[]>,
  ): Promise<GuidelineHit[]> {
    const version = await this.#version.current();
    if (version !== this.#versionSeen) {
      // The corpus changed under this process (an ingest here or by another instance): the
      // questions known are answered under the new version in the background, so that the next
      // hooks do not each wait for live searches.
      if (this.#versionSeen !== undefined && this.#answers) this.#rewarming = this.warm().catch(this.#onSaveError);
      this.#versionSeen = version;
    }
    const question = questionKey(query, options);
    const key = `${version}\u0000${question}`;
    let hits = cache.get(key);
    if (!hits) {
      hits = compute(query, options, version, question);
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

/**
 * A question's key within a corpus version: its options, then its text. A newline separates them
 * (the options' JSON holds none; PostgreSQL text cannot hold the NUL used elsewhere).
 */
function questionKey(query: string, options: SearchOptions | undefined): string {
  return `${optionsKey(options)}\n${query}`;
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
