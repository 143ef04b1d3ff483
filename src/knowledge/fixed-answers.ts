/**
 * The answers to fixed guideline questions (cached-search.ts), kept in the database per corpus
 * version, so that a question is answered once per version rather than once per process: after a
 * restart, or on a second instance, the first hooks find their passages ready instead of each
 * waiting for live searches (the first diagnosis call after a start missed its 1.5 s deadline
 * and answered with three of its four cards). The questions answered under earlier versions are
 * the list a new version is warmed with at start-up, so a corpus change does not make the first
 * hooks after it slow either.
 *
 * Only fixed questions are kept (built from finding keys and constants): no patient text is ever
 * written here.
 */
import type { Queryable } from '../db/database.js';
import type { GuidelineHit, SearchOptions } from './retriever.js';

export interface FixedQuestion {
  query: string;
  options?: SearchOptions;
}

export interface StoredAnswer {
  /** The question's key within a version (query and options, see cached-search.ts). */
  key: string;
  hits: GuidelineHit[];
}

export interface FixedAnswerStore {
  /** Every answer stored under `version`. */
  load(version: string): Promise<StoredAnswer[]>;
  /** Keeps an answer (a second instance's answer to the same question is kept instead: the same hits). */
  save(version: string, key: string, question: FixedQuestion, hits: readonly GuidelineHit[]): Promise<void>;
  /** Every question answered under any version, each once. */
  questions(): Promise<Array<FixedQuestion & { key: string }>>;
  /** Deletes the answers of every other version; returns how many. */
  keepOnly(version: string): Promise<number>;
}

export function databaseFixedAnswers(db: Queryable): FixedAnswerStore {
  return {
    async load(version) {
      const res = await db.query<{ question_key: string; hits: GuidelineHit[] }>(
        'SELECT question_key, hits FROM fixed_guideline_answers WHERE corpus_version = $1',
        [version],
      );
      return res.rows.map((r) => ({ key: r.question_key, hits: r.hits }));
    },
    async save(version, key, question, hits) {
      await db.query(
        `INSERT INTO fixed_guideline_answers (corpus_version, question_key, query, options, hits)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb) ON CONFLICT DO NOTHING`,
        [version, key, question.query, JSON.stringify(question.options ?? {}), JSON.stringify(hits)],
      );
    },
    async questions() {
      const res = await db.query<{ question_key: string; query: string; options: SearchOptions }>(
        'SELECT DISTINCT ON (question_key) question_key, query, options FROM fixed_guideline_answers ORDER BY question_key, answered_at DESC',
      );
      return res.rows.map((r) => ({ key: r.question_key, query: r.query, options: r.options }));
    },
    async keepOnly(version) {
      // The question list survives in the rows kept: every question is answered under `version` first (warm).
      const res = await db.query('DELETE FROM fixed_guideline_answers WHERE corpus_version <> $1', [version]);
      return res.rowCount;
    },
  };
}
