/**
 * The version of the guideline corpus a search answers from: a hash of every stored document's
 * id and content hash, the recorded embedding model (id and dimension) and the model this process
 * embeds queries with. Two searches with the same version, query and options get the same hits,
 * so a result cached under a version is valid until the version changes (cached-search.ts).
 *
 * Read from the database, not recorded by the ingest: the ingest already stores exactly these
 * facts (guideline_documents.content_hash, guideline_embedding_model), so no migration and no
 * second record that could disagree with them. Reading it is one small aggregate over the
 * documents table (dozens of rows), and it is never read per hook:
 * - an ingest in this process announces itself (`announceCorpusChange`), and the next search
 *   reads the new version before answering: a corpus change made here is seen at once;
 * - otherwise the version is re-read in the background once it is `maxAgeMs` old, while searches
 *   go on with the one they have. Another instance ingesting into the same PostgreSQL is
 *   therefore seen within `maxAgeMs` plus one read (default 5 s).
 * Chunk texts, their vectors and the term statistics all change only with a document's content
 * hash or the model, so these two cover everything a search reads.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { GUIDELINE_VECTORS } from './store.js';

/** Where a cache asks which corpus version is current. */
export interface VersionSource {
  current(): Promise<string>;
}

/** How long a read version is trusted before it is re-read in the background. */
export const DEFAULT_VERSION_MAX_AGE_MS = 5_000;

/** The version as stored now (see the module comment). */
export async function readCorpusVersion(db: Queryable, queryModelId: string): Promise<string> {
  const res = await db.query<{ docs: string | null; model: string | null }>(
    `SELECT string_agg(id || ':' || content_hash, ',' ORDER BY id) AS docs,
            (SELECT model_id || ':' || dimension FROM ${GUIDELINE_VECTORS.modelTable}) AS model
     FROM guideline_documents`,
  );
  const row = res.rows[0];
  return createHash('sha256')
    .update(row?.docs ?? '')
    .update('\0')
    .update(row?.model ?? '')
    .update('\0')
    .update(queryModelId)
    .digest('hex')
    .slice(0, 32);
}

/** The versions watching each database, so an ingest into it can tell them. */
const watchers = new WeakMap<object, Set<CorpusVersion>>();

/** Called by the ingest after it committed a change: every version of this database is re-read before the next search. */
export function announceCorpusChange(db: Queryable): void {
  for (const v of watchers.get(db) ?? []) v.invalidate();
}

export class CorpusVersion implements VersionSource {
  readonly #db: Queryable;
  readonly #queryModelId: string;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #value: string | undefined;
  #readAt = 0;
  /** Bumped by invalidate(): a read begun before it must not store its (older) answer. */
  #generation = 0;
  #reading: Promise<string> | undefined;

  constructor(db: Queryable, options: { queryModelId: string; maxAgeMs?: number; now?: () => number }) {
    this.#db = db;
    this.#queryModelId = options.queryModelId;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_VERSION_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
    let set = watchers.get(db);
    if (!set) watchers.set(db, (set = new Set()));
    set.add(this);
  }

  current(): Promise<string> {
    if (this.#value === undefined) return this.#read();
    // Stale: answer with the version we have and re-read behind it (the hot path never waits).
    if (this.#now() - this.#readAt >= this.#maxAgeMs) this.#read().catch(() => undefined);
    return Promise.resolve(this.#value);
  }

  /** Forgets the version: the next search reads it before answering. */
  invalidate(): void {
    this.#generation++;
    this.#value = undefined;
    this.#reading = undefined;
  }

  /** Stops listening to this process's ingests (a closed knowledge base). */
  close(): void {
    watchers.get(this.#db)?.delete(this);
  }

  #read(): Promise<string> {
    if (this.#reading) return this.#reading;
    const generation = this.#generation;
    const reading = readCorpusVersion(this.#db, this.#queryModelId).then(
      (value) => {
        if (generation === this.#generation) {
          this.#value = value;
          this.#readAt = this.#now();
          this.#reading = undefined;
        }
        return value;
      },
      (err: unknown) => {
        if (generation === this.#generation) this.#reading = undefined;
        throw err;
      },
    );
    this.#reading = reading;
    return reading;
  }
}
