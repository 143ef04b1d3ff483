/**
 * The repository root, found from this file's own location rather than the working directory, so
 * a test finds its fixtures, scripts and data however Jest was started (`--projects <repo>` from
 * another folder, an editor plugin, CI).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file is tests/support/repo-root.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An absolute path inside the repository, from the root: `repoPath('tests/fixtures/guidelines')`. */
export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}
