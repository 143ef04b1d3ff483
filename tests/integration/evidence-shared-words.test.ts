/**
 * The evidence API (what the Cairn app shows) says why a trial fits when no condition it studies
 * is documented: the patient's words its text also uses, with the statement they come from, as
 * the trial-match card does (issue #20; src/services/evidence.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { evidenceEngine } from '../../src/services/evidence.js';
import { TrialMatcher } from '../../src/services/trials/match.js';
import { importTrials } from '../../src/services/trials/store/trial-store.js';
import { fromCorpusRecord } from '../../src/services/trials/matching/trial-record.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { corpusRecord, noteDocument, TRIALS } from './trials-fixtures.js';

const WORDS_TRIAL = fromCorpusRecord(
  corpusRecord('NCT00000009', 'Apheresis Collection of Stem Cells in Granulomatous Inflammation', ['Stem Cell Donation'], '- Age 18 years or older', '- Pregnancy'),
);
// Enough other trials that a word in one of them is rare in the store (shared-words.ts: at most 20%).
const OTHERS = [4, 5, 6].map((n) => fromCorpusRecord(corpusRecord(`NCT0000000${n}`, `Exercise Training Study ${n}`, ['Healthy Volunteers'], '- Healthy adults', '- Pregnancy')));

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  await importTrials(t.db, [...TRIALS, ...OTHERS, WORDS_TRIAL], new HashingEmbeddings());
});
afterAll(async () => {
  await t.dispose();
});

describe('evidence API: a trial that fits by the words of a note sentence', () => {
  it('gives the words and the sentence, verbatim, beside fits: true; a trial fitting by a studied condition has none', async () => {
    const note = 'Recurrent granulomatous inflammation; apheresis collection planned next week.';
    const resources = [{ resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1980-02-01' }, noteDocument('n1', note)];
    const engine = evidenceEngine({ search: { search: () => Promise.resolve([]) }, config: {}, trials: new TrialMatcher({ db: t.db, embeddings: new HashingEmbeddings() }) });
    const evidence = await engine.assess({ resources, patientId: 'p1', referenceTime: new Date('2025-05-21T09:00:00Z') });
    expect(evidence.trials.status).toBe('matched');
    const matches = evidence.trials.status === 'matched' ? evidence.trials.matches : [];
    const trial = matches.find((m) => m.nctId === 'NCT00000009');
    expect(trial?.fits).toBe(true);
    expect(trial?.sharedWords?.words).toEqual(expect.arrayContaining(['granulomatous', 'apheresis', 'collection']));
    expect(trial?.sharedWords?.statement).toMatchObject({ kind: 'note', source: 'DocumentReference/n1' });
    expect(note).toContain(trial?.sharedWords?.statement.text ?? '(none)');
    for (const m of matches.filter((x) => !x.fits)) expect(m.sharedWords).toBeUndefined();
  });
});
