/** The three stages end to end on PGlite: a FHIR patient → candidates → criterion tables → ranking. */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { formatCandidates, formatCriterionTable, formatRanking, TrialMatcher, type MatchResult } from '../../src/services/trials/match.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { RECRUITING_STATUSES } from '../../src/services/trials/matching/trial-record.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { hypertensivePatient, TRIALS } from './trials-fixtures.js';

const REF = new Date('2025-05-20T12:00:00Z');


describe('trial matching stages', () => {
  let t: TestDatabase;
  let matcher: TrialMatcher;
  let result: MatchResult;
  beforeAll(async () => {
    t = await openTestDatabase('pglite', { migrate: true });
    const embeddings = new HashingEmbeddings();
    await importTrials(t.db, TRIALS, embeddings);
    matcher = new TrialMatcher({ db: t.db, embeddings });
    const ctx = buildPatientContext({
      resources: hypertensivePatient('Seen for hypertension. Blood pressure 162/94 despite amlodipine. She has type 1 diabetes since childhood, on insulin. No history of sepsis.'),
      patientId: 'p1',
      referenceTime: REF,
    });
    result = await matcher.match(ctx, { k: 3 });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('stage 1 retrieves the hypertension trial first', () => {
    expect(result.candidates[0]?.nctId).toBe('NCT00000001');
    expect(formatCandidates(result.candidates)).toMatch(/^rank {2}nct_id {8}relevance/);
  });

  it('stage 2 judges each criterion with its evidence and source', () => {
    const htn = result.judgements.find((j) => j.nctId === 'NCT00000001');
    const byText = new Map(htn?.criteria.map((c) => [c.text, c]));
    expect(byText.get('Essential hypertension')).toMatchObject({ status: 'met', basis: 'record', evidence: [{ source: 'Condition/htn' }] });
    expect(byText.get('Systolic blood pressure >= 140 mmHg')).toMatchObject({ status: 'met', basis: 'note' });
    expect(byText.get('Type 1 diabetes')).toMatchObject({ kind: 'exclusion', status: 'met', basis: 'note' });
    expect(byText.get('eGFR < 30 mL/min/1.73m2')).toMatchObject({ status: 'not-met', basis: 'record', evidence: [{ source: 'Observation/egfr' }] });
    expect(byText.get('Pregnant or breastfeeding')).toMatchObject({ status: 'not-met', basis: 'assumed-absent' });
    const trial = result.trials.find((x) => x.nctId === 'NCT00000001');
    const table = formatCriterionTable(trial as NonNullable<typeof trial>, htn as NonNullable<typeof htn>);
    expect(table).toContain('[EX] MET');
    expect(table).toContain('evidence Observation/egfr');
  });

  it('stage 3 ranks: the excluding type 1 diabetes sends the hypertension trial below the eligible ones', () => {
    const htn = result.ranking.find((r) => r.nctId === 'NCT00000001');
    expect(htn?.category).toBe('excluded');
    expect(htn?.decisive.map((d) => d.text)).toEqual(['Type 1 diabetes']);
    expect(result.ranking[result.ranking.length - 1]?.category).not.toBe('eligible');
    expect(formatRanking(result.ranking).split('\n')).toHaveLength(result.ranking.length + 1);
  });

  it('judges no further trial once the signal (a hook deadline) has aborted, and rejects', async () => {
    const controller = new AbortController();
    const judge = jest.spyOn(matcher, 'judge').mockImplementation(function (this: TrialMatcher, ...args) {
      controller.abort(new Error('hook deadline'));
      return TrialMatcher.prototype.judge.apply(this, args);
    });
    try {
      await expect(matcher.match(result.patient, { k: 3, signal: controller.signal })).rejects.toThrow('hook deadline');
      expect(judge).toHaveBeenCalledTimes(1);
    } finally {
      judge.mockRestore();
    }
    // Without a signal, the same call judges every candidate.
    expect((await matcher.match(result.patient, { k: 3 })).judgements).toHaveLength(result.candidates.length);
  });

  it('warm() loads the recruiting trials\' criteria before the first call, and only those', async () => {
    const statements: string[] = [];
    // The same database, with every statement it is sent written down.
    const db = new Proxy(t.db, {
      get(target, key, receiver) {
        if (key === 'query') return (sql: string, ...rest: unknown[]) => (statements.push(sql), (target.query as (...a: unknown[]) => unknown).call(target, sql, ...rest));
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const fresh = new TrialMatcher({ db, embeddings: matcher.embeddings });
    expect(await fresh.warm({ statuses: RECRUITING_STATUSES })).toEqual({ trials: 2 });
    statements.length = 0;
    const criteriaReads = () => statements.filter((sql) => sql.includes('FROM trial_criteria')).length;
    expect((await fresh.loadTrials(['NCT00000001', 'NCT00000002'])).map((x) => x.nctId)).toEqual(['NCT00000001', 'NCT00000002']);
    expect(criteriaReads()).toBe(0);
    // The completed trial was not loaded: asking for it reads it.
    await fresh.loadTrials(['NCT00000003']);
    expect(criteriaReads()).toBe(1);
  });

  it('keeps loaded trials between calls, and reloads one that was re-imported with changes', async () => {
    const first = await matcher.loadTrials(['NCT00000002', 'NCT00000001', 'NCT09999999']);
    expect(first.map((x) => x.nctId)).toEqual(['NCT00000002', 'NCT00000001']);
    const again = await matcher.loadTrials(['NCT00000002']);
    expect(again[0]).toBe(first[0]); // the same object: not read again
    const changed = TRIALS.map((r) => (r.nctId === 'NCT00000002' ? { ...r, exclusionText: `${r.exclusionText}\n- Heart failure` } : r));
    await importTrials(t.db, changed, matcher.embeddings);
    const reloaded = await matcher.loadTrials(['NCT00000002', 'NCT00000001']);
    expect(reloaded[0]).not.toBe(first[0]);
    expect(reloaded[0]?.criteria.map((c) => c.criterion.text)).toContain('Heart failure');
    expect(reloaded[1]).toBe(first[1]);
  });
});
