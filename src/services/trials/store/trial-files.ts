/**
 * Trial files on disk: which files a configured path names, and the records a file holds. The
 * parsing itself is pure and lives in matching/trial-record.ts (`parseTrialFile`); this module is
 * only the file-system side, so that matching/ stays free of I/O.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTrialFile, type TrialRecord } from '../matching/trial-record.js';

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

/** The records of one trial file (.json or JSON lines); errors name the file and line. */
export async function readTrialFile(file: string): Promise<TrialRecord[]> {
  return parseTrialFile(await readFile(file, 'utf8'), file);
}
