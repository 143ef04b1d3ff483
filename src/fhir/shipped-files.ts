/**
 * Files shipped beside the code (fhir-profiles/, package.json) are found by walking up from the
 * module that reads them, so the same lookup works from src/ (tsx, tests) and from dist/ (npm start).
 */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** At most this many levels up: src/fhir/context to the root is three; dist adds one. */
const MAX_LEVELS = 8;

/** The first answer of `found`, asked of the module's directory and then of each parent in turn. */
export function nearestAbove<T>(moduleUrl: string, found: (dir: string) => T | undefined): T | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let i = 0; i < MAX_LEVELS; i++) {
    const answer = found(dir);
    if (answer !== undefined) return answer;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** The nearest directory `relative` (e.g. `fhir-profiles/valuesets`) above the module, if any. */
export function nearestDirectoryAbove(moduleUrl: string, relative: string): string | undefined {
  return nearestAbove(moduleUrl, (dir) => {
    const candidate = join(dir, relative);
    try {
      return statSync(candidate).isDirectory() ? candidate : undefined;
    } catch {
      return undefined; // not here; keep walking up
    }
  });
}
