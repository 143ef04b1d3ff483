/**
 * The trial store's BM25 index (store/trial-bm25.ts) and the words a trial shares with a record
 * (matching/shared-words.ts, from one statement of the patient's): what text of a record is indexed, one build per store version (a
 * new version, from an import, a status change or a deletion, builds a new one; concurrent calls
 * share a build; a failed build is retried), and which shared words count.
 */
import { describe, expect, it } from '@jest/globals';
import type { Queryable } from '../../src/db/database.js';
import { Bm25Index } from '../../src/search/bm25.js';
import { sharedWords, statementMatcher, type SharedStatement } from '../../src/services/trials/matching/shared-words.js';
import { fromCorpusRecord, type TrialRecord } from '../../src/services/trials/matching/trial-record.js';
import { TrialBm25Cache, trialAboutText, trialBm25Text, trialStoreVersion } from '../../src/services/trials/store/trial-bm25.js';
import { corpusRecord } from '../integration/trials-fixtures.js';

const record = (nctId: string, title: string, conditions: string[], inclusion: string, exclusion = 'Pregnancy'): TrialRecord =>
  fromCorpusRecord(corpusRecord(nctId, title, conditions, inclusion, exclusion));

/** A store of trials behind the two statements the index reads; `fail` makes the next read of the trials throw. */
function fakeStore(trials: TrialRecord[]) {
  const state = { trials, at: new Date('2026-12-01T00:00:00Z'), reads: 0, fail: false };
  const db: Queryable = {
    query: async <R,>(sql: string) => {
      if (sql.includes('max(imported_at)')) return { rows: [{ at: state.at, n: state.trials.length }] as R[], rowCount: 1 };
      state.reads++;
      if (state.fail) {
        state.fail = false;
        throw new Error('connection lost');
      }
      return { rows: state.trials.map((r) => ({ nct_id: r.nctId, status: r.overallStatus, record: r })) as R[], rowCount: state.trials.length };
    },
  } as Queryable;
  return { db, state };
}

describe('trialBm25Text', () => {
  it('is everything the record says, exclusions included', () => {
    const text = trialBm25Text(record('NCT00000001', 'Kawasaki disease and IVIG', ['Kawasaki Disease'], 'Fever for 5 days', 'Prior coronary aneurysm'));
    for (const w of ['Kawasaki disease and IVIG', 'Fever for 5 days', 'Prior coronary aneurysm']) expect(text).toContain(w);
  });
});

describe('trialAboutText', () => {
  it('is what the trial is about: titles, conditions, keywords and summary, no eligibility text', () => {
    const text = trialAboutText(record('NCT00000001', 'Kawasaki disease and IVIG', ['Kawasaki Disease'], 'Fever for 5 days', 'Prior coronary aneurysm'));
    expect(text).toContain('Kawasaki disease and IVIG');
    expect(text).not.toContain('Fever for 5 days');
    expect(text).not.toContain('aneurysm');
  });
});

describe('TrialBm25Cache', () => {
  const kawasaki = record('NCT00000001', 'Kawasaki disease', ['Kawasaki Disease'], 'Fever, conjunctivitis, strawberry tongue');
  const sepsis = record('NCT00000002', 'Sepsis fluids', ['Sepsis'], 'Fever and hypotension');

  it('builds once per store version, shares a build between concurrent calls, and rebuilds when the version moves', async () => {
    const { db, state } = fakeStore([kawasaki]);
    const cache = new TrialBm25Cache(db);
    const [a, b] = await Promise.all([cache.current(), cache.current()]);
    expect(a).toBe(b);
    expect(state.reads).toBe(1);
    expect(a.index.size).toBe(1);
    expect((await cache.current()).index).toBe(a.index);
    expect(state.reads).toBe(1);
    // An import: a later imported_at and one more trial.
    state.trials = [kawasaki, sepsis];
    state.at = new Date('2026-12-02T00:00:00Z');
    const c = await cache.current();
    expect(state.reads).toBe(2);
    expect(c.index.size).toBe(2);
    expect(c.statuses.get('NCT00000002')).toBe(sepsis.overallStatus);
    expect(c.index.search('hypotension').map((h) => h.id)).toEqual(['NCT00000002']);
    expect(c.about.get('NCT00000002')?.has('sepsis')).toBe(true);
    expect(c.about.get('NCT00000002')?.has('hypotension')).toBe(false);
    // A deletion that leaves the latest imported_at where it was still changes the version.
    state.trials = [sepsis];
    expect((await cache.current()).index.size).toBe(1);
    expect(state.reads).toBe(3);
  });

  it('forgets a failed build, so the next call tries again', async () => {
    const { db, state } = fakeStore([kawasaki]);
    const cache = new TrialBm25Cache(db);
    state.fail = true;
    await expect(cache.current()).rejects.toThrow('connection lost');
    expect((await cache.current()).index.size).toBe(1);
  });

  it('labels the version with the latest import and the number of trials', async () => {
    const { db } = fakeStore([kawasaki, sepsis]);
    expect(await trialStoreVersion(db)).toBe('2026-12-01T00:00:00.000Z/2');
  });
});

describe('sharedWords', () => {
  // Ten trials: "fever" in half of them, "conjunctivitis" and "tongue" in one.
  const docs = Array.from({ length: 10 }, (_, i) => ({
    id: `NCT0000000${i}`,
    text: i === 0 ? 'Kawasaki disease: fever, conjunctivitis, strawberry tongue. Patients with a history of treatment.' : `${i % 2 === 0 ? 'fever ' : ''}trial number ${i} of something else`,
  }));
  const index = new Bm25Index(docs);

  it('counts the rare content words, as the record writes them, largest contribution first', () => {
    const words = sharedWords(index, 'Fever, Conjunctivitis and strawberry tongues; history of disease, treatment.', 'NCT00000000', { maxShare: 0.2 });
    // "fever" is in half the trials; "history" is trial boilerplate, "disease" and "treatment" generic.
    expect(words.map((w) => w.word).sort()).toEqual(['conjunctivitis', 'strawberry', 'tongues']);
    expect(words.every((w) => w.trials === 1)).toBe(true);
  });

  it('lets common words count only as far as the share allows', () => {
    expect(sharedWords(index, 'fever', 'NCT00000000', { maxShare: 0.5 }).map((w) => w.word)).toEqual(['fever']);
    expect(sharedWords(index, 'fever', 'NCT00000000', { maxShare: 0.4 })).toEqual([]);
  });

  it('finds nothing for a trial the index does not hold or a record sharing no word', () => {
    expect(sharedWords(index, 'fever conjunctivitis', 'NCT99999999')).toEqual([]);
    expect(sharedWords(index, 'hypertension on amlodipine', 'NCT00000000')).toEqual([]);
  });

  it('takes the words of the one statement sharing the most, not words gathered across the record', () => {
    const statements = [
      { kind: 'record' as const, source: 'record', text: 'Conjunctivitis' },
      { kind: 'note' as const, source: 'DocumentReference/1', text: 'Fever for six days.', sentence: 0 },
      { kind: 'note' as const, source: 'DocumentReference/1', text: 'Red eyes: conjunctivitis, strawberry tongue.', sentence: 1 },
      { kind: 'note' as const, source: 'DocumentReference/1', text: 'Strawberry tongue.', sentence: 2 },
    ];
    const found = statementMatcher(index, statements)('NCT00000000', { maxShare: 0.2 });
    expect(found?.statement.sentence).toBe(1);
    expect(found?.words.map((w) => w.word).sort()).toEqual(['conjunctivitis', 'strawberry', 'tongue']);
    expect(statementMatcher(index, statements.slice(1, 2))('NCT00000000', { maxShare: 0.2 })).toBeUndefined();
  });

  it('reads the statements once for many trials and finds for each what comparing every statement text anew finds', () => {
    const statements = [
      { kind: 'note' as const, source: 'DocumentReference/1', text: 'Fever for six days.', sentence: 0 },
      { kind: 'note' as const, source: 'DocumentReference/1', text: 'Red eyes: conjunctivitis, strawberry tongue.', sentence: 1 },
    ];
    // The same rule read off sharedWords on each statement's text, tokenized for every comparison.
    const anew = (id: string, maxShare: number): SharedStatement | undefined => {
      let best: SharedStatement | undefined;
      for (const statement of statements) {
        const words = sharedWords(index, statement.text, id, { maxShare });
        if (words.length > (best?.words.length ?? 0)) best = { words, statement };
      }
      return best;
    };
    const matcher = statementMatcher(index, statements);
    for (const { id } of docs) {
      for (const maxShare of [0.2, 0.6]) expect(matcher(id, { maxShare })).toEqual(anew(id, maxShare));
    }
    expect(matcher('NCT00000000', { maxShare: 0.2 })?.statement.sentence).toBe(1);
  });

  it('counts only the words of what the trial is about, when told them', () => {
    const about = new Set(['conjunctivitis', 'kawasaki']);
    expect(sharedWords(index, 'conjunctivitis, strawberry tongue', 'NCT00000000', { maxShare: 0.2, about }).map((w) => w.word)).toEqual(['conjunctivitis']);
  });
});
