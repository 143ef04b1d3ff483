/**
 * The small fixture guideline corpus (tests/fixtures/guidelines) for database tests that change
 * it: a private copy to edit, and an empty knowledge base to ingest it into.
 */
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Queryable } from '../../src/db/database.js';
import { repoPath } from './repo-root.js';

export const FIXTURE_GUIDELINES = repoPath('tests/fixtures/guidelines');

/** A copy of the fixture corpus in a new temporary directory (the caller removes it). */
export async function copyFixtureCorpus(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-corpus-'));
  await cp(FIXTURE_GUIDELINES, dir, { recursive: true });
  return dir;
}

/** Removes every guideline document (chunks go with them) and the recorded embedding model. */
export async function clearGuidelines(db: Queryable): Promise<void> {
  await db.query('DELETE FROM guideline_documents');
  await db.query('DELETE FROM guideline_embedding_model');
}
