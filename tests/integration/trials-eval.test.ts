/**
 * Evaluation smoke test on a few topics of the TREC/SIGIR data (trialmatch_trec_sigir_trialgpt
 * under CAIRN_DATASETS_DIR, or TRIALS_EVAL_DATA: see tests/support/datasets.ts; skipped with a
 * warning when missing), and the trials:import command as an operator runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { evaluateCriteria, evaluateRanking, loadEvalData, topicContext, topicResources, type EvalData } from '../../dev/eval/trials.js';
import { TrialMatcher } from '../../src/services/trials/match.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { corpusRecord } from './trials-fixtures.js';
import { trialsEvalDataset, withDataset } from '../support/datasets.js';
import { REPO_ROOT } from '../support/repo-root.js';

const TRIALS_EVAL = trialsEvalDataset();
const DATA = TRIALS_EVAL.path ?? '';
const run = promisify(execFile);

describe('topics as patients', () => {
  it('a topic becomes a FHIR Patient and note, read by buildPatientContext like a hook request', () => {
    const [p, doc] = topicResources('sigir-20141', 'A 58-year-old woman with chest pain.') as Array<Record<string, unknown>>;
    expect(p).toEqual({ resourceType: 'Patient', id: 'sigir-20141' });
    expect(doc).toMatchObject({ resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/sigir-20141' } });
    const ctx = topicContext('sigir-20141', 'A 58-year-old woman with chest pain.');
    expect(ctx.notes.map((n) => n.text)).toEqual(['A 58-year-old woman with chest pain.']);
    expect(ctx.exclusions).toEqual([]);
  });
});

withDataset(TRIALS_EVAL).describe('eval:trials smoke (first topics of SIGIR)', () => {
  let t: TestDatabase;
  let data: EvalData;
  beforeAll(async () => {
    data = await loadEvalData(DATA, 'sigir');
    // Only the pools of the first three topics: the whole set takes minutes to embed.
    const topics = [...data.qrels.entries()].filter(([, g]) => [...g.values()].some((x) => x > 0)).slice(0, 3);
    const ids = new Set(topics.flatMap(([, g]) => [...g.keys()]));
    data = { ...data, qrels: new Map(topics), trials: new Map([...data.trials].filter(([id]) => ids.has(id))) };
    t = await openTestDatabase('pglite', { migrate: true });
    await importTrials(t.db, [...data.trials.values()], new HashingEmbeddings());
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
  });

  it('ranks each topic pool and reports NDCG@10, P@10 and AUROC beside BM25', async () => {
    const matcher = new TrialMatcher({ db: t.db, embeddings: new HashingEmbeddings() });
    const { summary, topics } = await evaluateRanking(matcher, data, { limit: 3 });
    expect(summary.topics).toBe(3);
    for (const side of [summary.system, summary.bm25]) {
      expect(side.ndcg10).toBeGreaterThan(0);
      expect(side.ndcg10).toBeLessThanOrEqual(1);
      expect(side.p10).toBeGreaterThanOrEqual(0);
    }
    for (const topic of topics) expect([...topic.system.ranking].sort()).toEqual([...(data.qrels.get(topic.topic)?.keys() ?? [])].sort());
  });

  it('scores criterion judgements against the physician annotations, with the unknown rate', async () => {
    const s = await evaluateCriteria(data.annotations.slice(0, 40), undefined);
    expect(s.annotations).toBe(40);
    expect(s.accuracy).toBeGreaterThan(0.3);
    expect(s.unknownRate).toBeGreaterThanOrEqual(0);
    expect(s.unknownRate).toBeLessThanOrEqual(1);
    const total = Object.values(s.confusion).reduce((a, row) => a + Object.values(row).reduce((x, y) => x + y, 0), 0);
    expect(total).toBe(40);
  });
});

describe('npm run trials:import', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cairn-trials-cli-'));
    env = { PATH: process.env.PATH, HOME: process.env.HOME, CAIRN_DATA_DIR: path.join(dir, 'db'), LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function importCli(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/trials-import.ts', file], { cwd: REPO_ROOT, env, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('imports, is idempotent, and refuses a malformed line by file and line without changing anything', async () => {
    const file = path.join(dir, 'trials.jsonl');
    await writeFile(file, `${JSON.stringify(corpusRecord('NCT00000011', 'Salt Reduction in Hypertension', ['Hypertension'], '- Hypertension', '- Pregnancy'))}\n`);
    const first = await importCli(file);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('trials: 1 (1 added, 0 updated, 0 unchanged)');
    const second = await importCli(file);
    expect(second.stdout).toContain('trials: 1 (0 added, 0 updated, 1 unchanged)');
    expect(second.stdout).toMatch(/criteria: \d+ \(0 embedded, 0 reused\)/);
    await writeFile(file, `${JSON.stringify(corpusRecord('NCT00000012', 'Other', ['Sepsis'], '- Sepsis', '- None'))}\n{oops\n`);
    const broken = await importCli(file);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${file}:2: invalid JSON`);
    expect(broken.stderr).toContain('Nothing was changed.');
  }, 60_000);
});
