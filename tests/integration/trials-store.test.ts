/** The trial store and retriever on both backends: idempotent import, rollback, model change, hybrid retrieval. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromCorpusRecord } from '../../src/services/trials/matching/trial-record.js';
import { TrialRetriever } from '../../src/services/trials/store/retriever.js';
import { countTrials, criterionEmbeddingText, importTrials, listTrials, loadTrial } from '../../src/services/trials/store/trial-store.js';
import { migrate, migrations } from '../../src/db/migrations.js';
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
    // Criterion 0 ("Age 18 Years to any") is word for word in the other two trials; criterion 3 is its own.
    await t.db.query("UPDATE trial_criteria SET embedding = NULL WHERE nct_id = 'NCT00000001' AND ordinal IN (0, 3)");
    const repaired = await importTrials(t.db, TRIALS, embedder);
    expect(repaired).toMatchObject({ criteriaEmbedded: 1, criteriaReused: 1, textsEmbedded: 1 });
    expect(embedder.documentsEmbedded).toBe(1);
    const missing = await t.db.query('SELECT count(*) AS n FROM trial_criteria WHERE embedding IS NULL');
    expect(Number(missing.rows[0]?.n)).toBe(0);
    // The shared criterion got the other trials' vector.
    const [repairedTrial, other] = await Promise.all([loadTrial(t.db, 'NCT00000001'), loadTrial(t.db, 'NCT00000002')]);
    expect(repairedTrial?.criteria[0]?.criterion.text).toBe(other?.criteria[0]?.criterion.text);
    expect(repairedTrial?.criteria[0]?.embedding).toEqual(other?.criteria[0]?.embedding);
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

  it('embeds a criterion text shared by several trials once, and gives each criterion its vector', async () => {
    const embedder = new HashingEmbeddings();
    const shared = '- Known hypersensitivity to the study drug';
    const trials = ['NCT00000011', 'NCT00000012', 'NCT00000013'].map((id, i) =>
      fromCorpusRecord(corpusRecord(id, `Shared Criteria Trial ${i}`, ['Asthma'], `- Asthma for ${i + 1} years`, `${shared}\n- Pregnant or breastfeeding`)),
    );
    const stored = new Set((await Promise.all(TRIALS.map((r) => loadTrial(t.db, r.nctId)))).flatMap((trial) => (trial?.criteria ?? []).map((c) => criterionEmbeddingText(c.criterion))));
    const report = await importTrials(t.db, trials, embedder);
    expect(report).toMatchObject({ added: 3 });
    const loaded = await Promise.all(trials.map((r) => loadTrial(t.db, r.nctId)));
    const criteria = loaded.flatMap((trial) => trial?.criteria ?? []);
    const texts = criteria.map((c) => criterionEmbeddingText(c.criterion));
    // Texts already in the store ("Pregnant or breastfeeding", the age range) keep their vectors.
    const reused = texts.filter((tx) => stored.has(tx));
    expect(reused.length).toBeGreaterThanOrEqual(6);
    expect(report).toMatchObject({ criteria: criteria.length, criteriaReused: reused.length, criteriaEmbedded: criteria.length - reused.length });
    // The others are embedded once each, with the three trial texts: the shared exclusion once, not three times.
    const distinctNew = new Set(texts.filter((tx) => !stored.has(tx)));
    expect(texts.filter((tx) => tx.endsWith('Known hypersensitivity to the study drug'))).toHaveLength(3);
    expect(embedder.documentsEmbedded).toBe(3 + distinctNew.size);
    expect(report.textsEmbedded).toBe(embedder.documentsEmbedded);
    // Every criterion has the vector of its own text (stored as 4-byte floats).
    for (const c of criteria) {
      const want = embedder.vector(criterionEmbeddingText(c.criterion));
      expect(c.embedding?.map((x) => Math.round(x * 1e5))).toEqual(want.map((x) => Math.round(x * 1e5)));
    }
  });

  it('writes trials in batches, each whole or not at all, and a failed import resumes where it stopped', async () => {
    const embedder = new HashingEmbeddings();
    const trials = ['NCT00000021', 'NCT00000022', 'NCT00000023'].map((id, i) =>
      fromCorpusRecord(corpusRecord(id, `Batched Import Trial ${i} on ${['gout', 'psoriasis', 'migraine'][i]}`, ['Other'], `- Adults with condition ${i}`, '- Active cancer')),
    );
    // The second batch (one trial each) fails in the middle of its transaction, after its trial row was written.
    await t.db.exec(`
      CREATE FUNCTION fail_second_batch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.nct_id = 'NCT00000022' THEN RAISE EXCEPTION 'disk full'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_second_batch BEFORE INSERT ON trial_criteria FOR EACH ROW EXECUTE FUNCTION fail_second_batch();`);
    try {
      await expect(importTrials(t.db, trials, embedder, { batchTrials: 1 })).rejects.toThrow('disk full');
    } finally {
      await t.db.exec('DROP TRIGGER fail_second_batch ON trial_criteria; DROP FUNCTION fail_second_batch();');
    }
    // The first batch is in whole; the second left nothing, not even its trial row; the third never started.
    const first = await loadTrial(t.db, 'NCT00000021');
    expect(first?.criteria.length).toBeGreaterThan(0);
    expect(first?.criteria.every((c) => c.embedding !== undefined)).toBe(true);
    expect(await loadTrial(t.db, 'NCT00000022')).toBeUndefined();
    expect(await loadTrial(t.db, 'NCT00000023')).toBeUndefined();
    const terms = async () => (await t.db.query<{ lexeme: string }>("SELECT lexeme FROM trial_terms WHERE lexeme IN ('gout', 'psoriasi', 'migrain')")).rows.map((r) => r.lexeme).sort();
    // Term statistics are refreshed by the last batch only.
    expect(await terms()).toEqual([]);

    embedder.resetCounts();
    const resumed = await importTrials(t.db, trials, embedder, { batchTrials: 1 });
    expect(resumed).toMatchObject({ unchanged: 1, added: 2, batches: 2 });
    expect((await loadTrial(t.db, 'NCT00000022'))?.criteria.length).toBeGreaterThan(0);
    expect((await loadTrial(t.db, 'NCT00000023'))?.criteria.length).toBeGreaterThan(0);
    expect(await terms()).toEqual(['gout', 'migrain', 'psoriasi']);
    expect(await importTrials(t.db, trials, embedder)).toMatchObject({ unchanged: 3, batches: 0 });
  });

  it('a model failing on a later batch keeps the batches written and stops embedding', async () => {
    const embedder = new HashingEmbeddings();
    const trials = ['NCT00000031', 'NCT00000032', 'NCT00000033', 'NCT00000034'].map((id, i) =>
      fromCorpusRecord(corpusRecord(id, `Failing Model Trial ${i}`, ['Other'], `- Adults with finding ${i}`, `- Exclusion number ${i}`)),
    );
    let calls = 0;
    const failing = new HashingEmbeddings();
    failing.embedDocuments = async (texts) => {
      calls++;
      // The second batch is embedded while the first is written; it fails.
      if (calls === 2) throw new Error('embedding service down');
      return embedder.embedDocuments(texts);
    };
    await expect(importTrials(t.db, trials, failing, { batchTrials: 1, embedBatchSize: 100 })).rejects.toThrow('embedding service down');
    expect(calls).toBe(2);
    expect((await loadTrial(t.db, 'NCT00000031'))?.criteria.length).toBeGreaterThan(0);
    expect(await loadTrial(t.db, 'NCT00000032')).toBeUndefined();
    expect(await importTrials(t.db, trials, embedder, { batchTrials: 1 })).toMatchObject({ unchanged: 1, added: 3 });
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

  it('answers a repeated search from its cache, and the next search after an import sees the new trial', async () => {
    // Statements the retriever sends, counted through a proxy of the database.
    let statements = 0;
    const counted = new Proxy(t.db, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (prop === 'query' || prop === 'queryWithSettings') return (...args: unknown[]) => (statements++, (value as (...a: unknown[]) => unknown).apply(target, args));
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    const embedder = new HashingEmbeddings();
    const retriever = new TrialRetriever({ db: counted, embeddings: embedder });
    const query = 'Asthma, inhaled corticosteroids';
    const first = await retriever.search(query, { k: 5, statuses: ['RECRUITING'] });
    const searched = statements;
    statements = 0;
    const again = await retriever.search(query, { k: 5, statuses: ['RECRUITING'] });
    expect(again).toEqual(first);
    // Only the store's version was asked: no vector or full-text search again.
    expect(statements).toBe(1);
    expect(searched).toBeGreaterThan(1);
    // A copy each time: what one caller changes, the next does not see.
    again[0]!.ranks.vector = 999;
    expect((await retriever.search(query, { k: 5, statuses: ['RECRUITING'] }))[0]?.ranks.vector).not.toBe(999);

    const asthma = fromCorpusRecord(corpusRecord('NCT00000041', 'Inhaled Corticosteroids in Asthma', ['Asthma'], '- Asthma on inhaled corticosteroids', '- Smoker'));
    await importTrials(t.db, [asthma], embedder);
    const after = await retriever.search(query, { k: 5, statuses: ['RECRUITING'] });
    expect(after.map((h) => h.nctId)).toContain('NCT00000041');
    expect(first.map((h) => h.nctId)).not.toContain('NCT00000041');
  });

  it('lists trials for the API: keyword search best first, an NCT id, status filters, counts and pages', async () => {
    const all = await listTrials(t.db, { offset: 0, limit: 100 });
    expect(all.total).toBe(all.trials.length);
    expect(all.trials.map((tr) => tr.nctId)).toEqual([...all.trials.map((tr) => tr.nctId)].sort());
    const sepsis = await listTrials(t.db, { text: 'sepsis', offset: 0, limit: 5 });
    expect(sepsis.trials[0]).toMatchObject({ nctId: 'NCT00000003', status: 'COMPLETED' });
    expect((await listTrials(t.db, { text: 'sepsis', statuses: ['RECRUITING'], offset: 0, limit: 5 })).trials.map((tr) => tr.nctId)).not.toContain('NCT00000003');
    expect((await listTrials(t.db, { text: 'NCT00000002', offset: 0, limit: 5 })).trials.map((tr) => tr.nctId)).toEqual(['NCT00000002']);
    // Web-search syntax: a minus excludes.
    expect((await listTrials(t.db, { text: 'blood pressure -hypertension', offset: 0, limit: 5 })).trials.map((tr) => tr.nctId)).not.toContain('NCT00000001');
    const past = await listTrials(t.db, { offset: all.total + 5, limit: 5 });
    expect(past).toEqual({ total: all.total, trials: [] });
  });

  it('dates each status: the snapshot date the record names, a given fetch time (unchanged trials too), else the import time', async () => {
    // The fixtures are corpus records of the 3 February 2023 export ("ctgov_xml_2023-02-03").
    expect(await loadTrial(t.db, 'NCT00000001')).toMatchObject({ lastUpdatePosted: null, fetchedAt: '2023-02-03T00:00:00.000Z' });
    const embedder = new HashingEmbeddings();
    const readAgain = new Date('2025-05-20T09:00:00Z');
    // NCT00000002 was changed by an earlier test: re-imported as given here, the others unchanged; all read again.
    expect(await importTrials(t.db, TRIALS, embedder, { fetchedAt: readAgain })).toMatchObject({ updated: 1, unchanged: 2 });
    expect((await loadTrial(t.db, 'NCT00000003'))?.fetchedAt).toBe(readAgain.toISOString());
    expect((await loadTrial(t.db, 'NCT00000002'))?.fetchedAt).toBe(readAgain.toISOString());
    // An earlier date never replaces a later one.
    await importTrials(t.db, TRIALS, embedder, { fetchedAt: new Date('2024-01-01T00:00:00Z') });
    expect((await loadTrial(t.db, 'NCT00000002'))?.fetchedAt).toBe(readAgain.toISOString());
    // A record with no snapshot date, imported without a fetch time: dated by the import; its last-update date kept.
    const undated = { ...fromCorpusRecord(corpusRecord('NCT00000031', 'Undated Trial', ['Asthma'], '- Asthma', '- Smoker', { source: 'manual' })), lastUpdatePosted: '2024-12-01' };
    const before = Date.now();
    await importTrials(t.db, [undated], embedder);
    const stored = await loadTrial(t.db, 'NCT00000031');
    expect(stored?.lastUpdatePosted).toBe('2024-12-01');
    expect(Date.parse(stored!.fetchedAt)).toBeGreaterThanOrEqual(before - 1000);
    const listed = (await listTrials(t.db, { text: 'NCT00000031', offset: 0, limit: 1 })).trials[0];
    expect(listed).toMatchObject({ lastUpdatePosted: '2024-12-01', fetchedAt: stored!.fetchedAt });
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

describe('migration 009: the status dates of trials imported before it', () => {
  it('dates them by the snapshot their source names, else by when they were imported', async () => {
    const t = await openTestDatabase('pglite');
    try {
      const upTo = migrations.findIndex((m) => m.name === '009_trial_status_dates');
      await migrate(t.db, migrations.slice(0, upTo));
      const row = (nctId: string, source: string) =>
        t.db.query(
          `INSERT INTO trials (nct_id, title, status, sex, research_study, record, source, content_hash, focus_text, search_text, imported_at)
           VALUES ($1, 'x', 'RECRUITING', 'all', '{}', $2, $3, 'h', 'x', 'x', '2024-06-01T10:00:00Z')`,
          [nctId, JSON.stringify({ lastUpdatePosted: '2022-12-01' }), source],
        );
      await row('NCT00000041', 'trec-sigir-corpus:ctgov_xml_2023-02-03');
      await row('NCT00000042', 'ctgov-api-v2');
      await migrate(t.db);
      const [snapshot, imported] = await Promise.all([loadTrial(t.db, 'NCT00000041'), loadTrial(t.db, 'NCT00000042')]);
      expect(snapshot).toMatchObject({ fetchedAt: '2023-02-03T00:00:00.000Z', lastUpdatePosted: '2022-12-01' });
      expect(imported).toMatchObject({ fetchedAt: '2024-06-01T10:00:00.000Z' });
    } finally {
      await t.dispose();
    }
  });
});
