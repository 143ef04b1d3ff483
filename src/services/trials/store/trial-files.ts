/**
 * Trial files on disk: which files a configured path names, and the records a file holds. The
 * parsing itself is pure and lives in matching/trial-record.ts (`parseTrialFile`); this module is
 * only the file-system side, so that matching/ stays free of I/O.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isJsonDocument, parseTrialFile, parseTrialLine, type TrialRecord } from '../matching/trial-record.js';
import { mapInSlices } from '../../../slices.js';

const TRIAL_FILE = /\.(?:json|jsonl)$/i;

/** The trial files under each path: a file as given, a directory's .json / .jsonl files (sorted, recursively). */
export async function trialFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (TRIAL_FILE.test(entry.name)) out.push(path);
    }
  };
  for (const p of paths) {
    const s = await stat(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new Error(`CAIRN_TRIALS: ${p} does not exist`, { cause: err });
      throw err;
    });
    if (s.isDirectory()) await walk(p);
    else out.push(p);
  }
  return out;
}

/**
 * The records of one trial file (.json or JSON lines); errors name the file and line. JSON lines
 * are parsed a slice at a time (slices.ts): an import in Cairn's own process (the hooks' process)
 * parsed the 1.5 MB of the demo trials in one 75 ms stretch.
 */
export async function readTrialFile(file: string): Promise<TrialRecord[]> {
  const text = await readFile(file, 'utf8');
  if (!text.trim() || isJsonDocument(text, file)) return parseTrialFile(text, file);
  return (await mapInSlices(text.split('\n'), (line, i) => parseTrialLine(line, i, file))).flat();
}
