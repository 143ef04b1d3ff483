/**
 * Where the tests find the evaluation data sets, which are not part of this repository.
 *
 * Settings (environment variables):
 * - `CAIRN_DATASETS_DIR`: the folder that holds one sub-folder per data set (dx_synthea_smart_r4,
 *   triage_ktas_moon2019, trialmatch_trec_sigir_trialgpt). Default: `../shared/data` beside the
 *   repository root, the root being found from this file's location, so the default does not
 *   depend on the working directory. A relative value is taken from the working directory, like
 *   any path given on a command line.
 * - `TRIALS_EVAL_DATA`: the trial-matching data set folder alone (the older setting, also read by
 *   `npm run eval:trials`); when set it overrides `CAIRN_DATASETS_DIR` for that one data set.
 * - `CAIRN_TEST_REQUIRE_DATASETS=1`: a suite whose data set is missing fails instead of being
 *   skipped. CI sets it, so that data moved or not mounted cannot pass as green skipped suites.
 *
 * Without the flag a suite lacking its data is skipped with one warning that names the path looked
 * for and the setting to change, never silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from '@jest/globals';
import { REPO_ROOT } from './repo-root.js';

export const DATASETS_DIR = path.resolve(process.env.CAIRN_DATASETS_DIR || path.join(REPO_ROOT, '..', 'shared', 'data'));

export const REQUIRE_DATASETS = process.env.CAIRN_TEST_REQUIRE_DATASETS === '1';

/** A data set found (its path), or not (why not). */
export type DatasetLookup = { name: string; path: string; reason?: undefined } | { name: string; path: undefined; reason: string };

/** Looks for `probe` (a file the data set must contain) under `dir`; returns `dir` itself, or `file` when the test reads one file. */
function lookup(name: string, dir: string, probe: string, setting: string, file?: string): DatasetLookup {
  const probed = path.join(dir, probe);
  if (existsSync(probed)) return { name, path: file === undefined ? dir : path.join(dir, file) };
  return { name, path: undefined, reason: `data set ${name} not found: ${probed} does not exist (set ${setting})` };
}

/** dx_synthea_smart_r4: 53 Synthea FHIR bundles (`bundles/`) with their ground truth (`index.jsonl`). The folder. */
export function syntheaDataset(): DatasetLookup {
  return lookup('dx_synthea_smart_r4', path.join(DATASETS_DIR, 'dx_synthea_smart_r4'), 'index.jsonl', 'CAIRN_DATASETS_DIR');
}

/** triage_ktas_moon2019: the KTAS emergency triage records. The JSONL file itself. */
export function ktasDataset(): DatasetLookup {
  return lookup('triage_ktas_moon2019', path.join(DATASETS_DIR, 'triage_ktas_moon2019'), 'ktas.jsonl', 'CAIRN_DATASETS_DIR', 'ktas.jsonl');
}

/** trialmatch_trec_sigir_trialgpt: TREC/SIGIR trial-matching topics, corpus, qrels and criterion annotations. The folder. */
export function trialsEvalDataset(): DatasetLookup {
  const override = process.env.TRIALS_EVAL_DATA;
  const dir = override ? path.resolve(override) : path.join(DATASETS_DIR, 'trialmatch_trec_sigir_trialgpt');
  return lookup('trialmatch_trec_sigir_trialgpt', dir, path.join('qrels', 'sigir_qrels.tsv'), override ? 'TRIALS_EVAL_DATA' : 'CAIRN_DATASETS_DIR');
}

/** The records of a JSON Lines file of the data set (blank lines skipped); none when the data set is missing. */
export function readJsonLines<T>(found: DatasetLookup, file: string): T[] {
  if (found.path === undefined) return [];
  return readFileSync(path.join(found.path, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);
}

/** `describe` and `it` for the tests that read one data set. */
export interface DatasetGate {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => void | Promise<unknown>, timeout?: number) => void;
}

const warned = new Set<string>();

/**
 * The real `describe`/`it` when the data set was found. When it was not: skipped ones, after one
 * warning per data set and test file; or, under CAIRN_TEST_REQUIRE_DATASETS=1, an error thrown
 * while Jest loads the file, which fails the suite.
 *
 * A skipped suite's body is not run (`describe.skip` would run it to collect its tests, and
 * bodies that read records at collection time would throw); one skipped test stands for it.
 */
export function withDataset(found: DatasetLookup): DatasetGate {
  if (found.path !== undefined) return { describe, it };
  if (REQUIRE_DATASETS) throw new Error(`${found.reason}; CAIRN_TEST_REQUIRE_DATASETS=1 makes a missing data set a failure`);
  if (!warned.has(found.name)) {
    warned.add(found.name);
    console.warn(`Skipping the tests that need ${found.name}: ${found.reason}. Set CAIRN_TEST_REQUIRE_DATASETS=1 to fail instead.`);
  }
  const placeholder = `needs data set ${found.name}`;
  return {
    describe: (name) => describe.skip(name, () => it.skip(placeholder, () => undefined)),
    it: (name, fn, timeout) => it.skip(name, fn, timeout),
  };
}
