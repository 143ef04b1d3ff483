/** The trial store and retriever on both backends: idempotent import, rollback, model change, hybrid retrieval. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromCorpusRecord } from '../../src/services/trials/matching/trial-record.js';
import { TrialRetriever } from '../../src/services/trials/store/retriever.js';
import { countTrials, importTrials, loadTrial } from '../../src/services/trials/store/trial-store.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { corpusRecord, TRIALS } from './trials-fixtures.js';

describe.each(databaseKinds)('trial store on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind, { migrate: true });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('imports trials with their criteria and embeddings, idempotently', async () => {
    const embedder = new HashingEmbeddings();
    const first = await importTrials(t.db, TRIALS, embedder);
    expect(first).toMatchObject({ trials: 3, added: 3, updated: 0, unchanged: 0, modelChanged: false, model: { id: 'test-hashing-64', dimension: 64 } });
    expect(first.criteriaEmbedded).toBe(first.criteria);
    const counts = await countTrials(t.db);
    expect(counts).toEqual({ trials: 3, criteria: first.criteria });

    embedder.resetCounts();
    const second = await importTrials(t.db, TRIALS, embedder);
    expect(second).toMatchObject({ added: 0, updated: 0, unchanged: 3, criteriaEmbedded: 0 });
    expect(embedder.documentsEmbedded).toBe(0);
    expect(await countTrials(t.db)).toEqual(counts);
  });

  it('an unchanged re-import (the fast path) still repairs a missing vector', async () => {
    const embedder = new HashingEmbeddings();
    expect(await importTrials(t.db, TRIALS, embedder)).toMatchObject({ unchanged: 3, criteriaEmbedded: 0 });
    await t.db.query("UPDATE trial_criteria SET embedding = NULL WHERE nct_id = 'NCT00000001' AND ordinal = 0");
    const repaired = await importTrials(t.db, TRIALS, embedder);
    expect(repaired.criteriaEmbedded).toBe(1);
    expect(embedder.documentsEmbedded).toBe(1);
  });

  it('re-embeds only what changed in a changed trial', async () => {
    const embedder = new HashingEmbeddings();
    const changed = TRIALS.map((r) => (r.nctId === 'NCT00000002' ? { ...r, exclusionText: `${r.exclusionText}\n- Heart failure` } : r));
    const report = await importTrials(t.db, changed, embedder);
    expect(report).toMatchObject({ added: 0, updated: 1, unchanged: 2, criteriaEmbedded: 1 });
    expect(report.criteriaReused).toBeGreaterThan(0);
    const trial = await loadTrial(t.db, 'NCT00000002');
    expect(trial?.criteria.map((c) => c.criterion.text)).toContain('Heart failure');
    expect(trial?.criteria.every((c) => c.embedding?.length === 64)).toBe(true);
    expect(trial?.researchStudy.identifier?.[0]?.value).toBe('NCT00000002');
    expect(trial?.criteria.find((c) => c.criterion.text === 'Creatinine > 1.5 mg/dL')?.criterion.structure.labs[0]).toMatchObject({ analyteId: 'creatinine', comparator: '>' });
  });

  it('a failing embedding model leaves the store as it was', async () => {
    const before = await countTrials(t.db);
    const failing = new HashingEmbeddings();
    failing.embedDocuments = () => Promise.reject(new Error('embedding service down'));
    const extra = fromCorpusRecord(corpusRecord('NCT00000009', 'Statins After Stroke', ['Stroke'], '- Ischaemic stroke', '- Liver disease'));
    await expect(importTrials(t.db, [...TRIALS, extra], failing)).rejects.toThrow('embedding service down');
    expect(await countTrials(t.db)).toEqual(before);
    expect(await loadTrial(t.db, 'NCT00000009')).toBeUndefined();
  });

  it('retrieves by hybrid search, within a pool and by status', async () => {
    const retriever = new TrialRetriever({ db: t.db, embeddings: new HashingEmbeddings() });
    const hits = await retriever.search('Type 2 diabetes on metformin, HbA1c 8.1%', { k: 3 });
    expect(hits[0]?.nctId).toBe('NCT00000002');
    expect(hits[0]?.ranks.fulltext).toBe(1);
    expect(hits[0]?.relevance).toBeGreaterThan(0);
    const pool = await retriever.search('sepsis', { nctIds: ['NCT00000001', 'NCT00000003'], k: 5 });
    expect(pool.map((h) => h.nctId).sort()).toEqual(['NCT00000001', 'NCT00000003']);
    expect(pool[0]?.nctId).toBe('NCT00000003');
    const recruiting = await retriever.search('sepsis', { statuses: ['RECRUITING'], k: 5 });
    expect(recruiting.map((h) => h.nctId)).not.toContain('NCT00000003');
    const fulltext = await retriever.search('blood pressure hypertension', { mode: 'fulltext', k: 1 });
    expect(fulltext.map((h) => h.nctId)).toEqual(['NCT00000001']);
  });

  it('a model change re-embeds every trial and criterion', async () => {
    const other = new HashingEmbeddings({ dimension: 32 });
    const report = await importTrials(t.db, TRIALS.slice(0, 1), other);
    expect(report.modelChanged).toBe(true);
    const { criteria } = await countTrials(t.db);
    expect(report.criteriaEmbedded).toBe(criteria);
    expect((await loadTrial(t.db, 'NCT00000003'))?.criteria.every((c) => c.embedding?.length === 32)).toBe(true);
    const retriever = new TrialRetriever({ db: t.db, embeddings: new HashingEmbeddings() });
    await expect(retriever.search('sepsis')).rejects.toThrow(/import the trials again/);
  });
});
