/**
 * A condition written in a clinical note makes a trial a candidate for the trial-match card as a
 * coded one does (card.ts rule 3, matching/studied-condition.ts), and the card says so, quoting the
 * sentence with the note's date. A negated, family, uncertain or past mention does not.
 */
import { describe, expect, it } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { fittingTrials, TRIAL_MATCH_EXTENSION, trialMatchCard } from '../../src/services/trials/card.js';
import { judgeTrial } from '../../src/services/trials/matching/judge.js';
import { profileFromContext, type PatientProfile } from '../../src/services/trials/matching/profile.js';
import { rankTrials } from '../../src/services/trials/matching/rank.js';
import { conditionKeyStems, studiedConditionMatch } from '../../src/services/trials/matching/studied-condition.js';
import { fromCorpusRecord, type TrialRecord } from '../../src/services/trials/matching/trial-record.js';
import { corpusRecord, hypertensivePatient, storedTrial } from '../integration/trials-fixtures.js';

const REF = new Date('2025-05-20T12:00:00Z');

/** The fixture patient with nothing coded: demographics, an eGFR and the note (dated 2025-05-20). */
function notePatient(note: string): PatientProfile {
  const resources = hypertensivePatient(note).filter((r) => (r as { resourceType: string }).resourceType !== 'Condition');
  return profileFromContext(buildPatientContext({ resources, patientId: 'p1', referenceTime: REF }));
}


function match(profile: PatientProfile, records: readonly TrialRecord[]) {
  const trials = records.map((r) => storedTrial(r));
  const judgements = trials.map((t) => judgeTrial(profile, { nctId: t.nctId, criteria: t.criteria }));
  const ranking = rankTrials(trials.map((t, i) => ({ nctId: t.nctId, title: t.title, relevance: 1 - i / (trials.length + 1), retrievalRank: i + 1, judgement: judgements[i]! })));
  return { patient: profile, trials, judgements, ranking };
}

const sickleCell = fromCorpusRecord(
  corpusRecord('NCT00000011', 'Hydroxyurea Dosing in Adults With Sickle Cell Disease', ['Sickle Cell Disease'], '- Adults with sickle cell disease (HbSS or HbSbeta0)', '- Blood transfusion within 3 months'),
);
const postInfarction = fromCorpusRecord(
  corpusRecord('NCT00000012', 'Cardiac Rehabilitation After Myocardial Infarction', ['Myocardial Infarction'], '- Myocardial infarction within the last 4 weeks', '- Unstable angina'),
);

describe('a condition stated in a note makes a trial a candidate', () => {
  it.each([
    { note: 'She has sickle cell disease with two pain crises this year.', trial: sickleCell, fits: true },
    { note: 'Known sickle cell disease, on folic acid.', trial: sickleCell, fits: true },
    { note: 'No history of sickle cell disease.', trial: sickleCell, fits: false },
    { note: 'Her mother had sickle cell disease.', trial: sickleCell, fits: false },
    { note: 'Sickle cell disease was ruled out by electrophoresis.', trial: sickleCell, fits: false },
    { note: 'Possible sickle cell disease, electrophoresis pending.', trial: sickleCell, fits: false },
    { note: 'Admitted today with an acute myocardial infarction.', trial: postInfarction, fits: true },
    { note: 'History of myocardial infarction in 2010, no symptoms since.', trial: postInfarction, fits: false },
    { note: 'Prior myocardial infarction; now seen for knee pain.', trial: postInfarction, fits: false },
  ])('"$note" → $fits', ({ note, trial, fits }) => {
    const m = match(notePatient(note), [trial]);
    expect(fittingTrials(m).map((f) => f.trial.nctId)).toEqual(fits ? [trial.nctId] : []);
    expect(trialMatchCard(m, { now: REF }) !== undefined).toBe(fits);
  });

  it('the card says the match rests on a note, quoting the sentence with the note date', () => {
    const sentence = 'She has sickle cell disease with two pain crises this year.';
    const card = trialMatchCard(match(notePatient(`Seen in clinic. ${sentence}`), [sickleCell]), { now: REF })!;
    expect(card.detail).toContain(`Studies Sickle Cell Disease — note of 20 May 2025: “${sentence}”`);
    const ext = card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ match: unknown }> };
    expect(ext.trials[0]!.match).toEqual({
      what: 'Sickle Cell Disease',
      via: 'studied condition',
      evidence: { kind: 'note', text: sentence, source: 'DocumentReference/note', date: '2025-05-20' },
    });
  });

  it('a coded condition is preferred to a note as the evidence', () => {
    const profile = profileFromContext(buildPatientContext({ resources: hypertensivePatient('She has hypertension.'), patientId: 'p1', referenceTime: REF }));
    const found = studiedConditionMatch(['Hypertension'], profile);
    expect(found?.evidence.kind).toBe('record');
  });
});

describe('studiedConditionMatch: the whole name, not a part of it', () => {
  it.each([
    // "fever" alone is not enteric fever; "children" is who is studied, not a condition.
    [['Enteric Fever'], 'Fever up to 39 C for two days.', undefined],
    [['Children'], 'The child is drowsy.', undefined],
    [['Heart Failure, Congestive'], 'Congestive heart failure with an ejection fraction of 30%.', 'Heart Failure, Congestive'],
    [['Chronic Subdural Hematoma'], 'CT shows a chronic subdural hematoma on the left.', 'Chronic Subdural Hematoma'],
    // The words far apart in one sentence are not the condition.
    [['Heart Failure'], 'Heart sounds are normal; renal failure was noted on admission last year by the team.', undefined],
    // A broad class is not the condition a trial is for: "Infections" does not match HIV infection by words.
    [['Infections'], 'HIV infection diagnosed this year, on antiretroviral therapy.', undefined],
    [['Infections', 'HIV Infections'], 'HIV infection diagnosed this year, on antiretroviral therapy.', 'HIV Infections'],
    // A name is its narrowest concept: pneumonia, not also "some infection".
    [['Pneumonia'], 'HIV infection diagnosed this year, on antiretroviral therapy.', undefined],
    // An abbreviation in parentheses is another name for it, not a word the note must also hold.
    [['Diffuse Large B-Cell Lymphoma (DLBCL)'], 'Newly diagnosed diffuse large B-cell lymphoma, stage III.', 'Diffuse Large B-Cell Lymphoma (DLBCL)'],
    [['Diffuse Large B-Cell Lymphoma (DLBCL)'], 'DLBCL, two cycles of R-CHOP so far.', 'Diffuse Large B-Cell Lymphoma (DLBCL)'],
    [['Diffuse Large B-Cell Lymphoma (DLBCL)'], 'Follicular lymphoma, grade 2.', undefined],
  ])('%j in "%s" → %s', (conditions, note, expected) => {
    expect(studiedConditionMatch(conditions, notePatient(note))?.condition).toBe(expected);
  });

  it('what a name says is kept between calls, never whom it matched: each patient gets their own answer', () => {
    const has = notePatient('Known sickle cell disease, on folic acid.');
    const hasNot = notePatient('No history of sickle cell disease.');
    for (let i = 0; i < 3; i++) {
      expect(studiedConditionMatch(['Sickle Cell Disease'], has)?.evidence.text).toBe('Known sickle cell disease, on folic acid.');
      expect(studiedConditionMatch(['Sickle Cell Disease'], hasNot)).toBeUndefined();
    }
  });

  it('key words leave out generic and population words', () => {
    expect(conditionKeyStems('Infant, Newborn, Diseases')).toEqual([]);
    expect(conditionKeyStems('Sickle Cell Disease')).toEqual(['sickle', 'cell']);
  });
});

describe('a trial close to the record by retrieval alone (minRelevance)', () => {
  const note = 'Two days of fever, conjunctivitis and a strawberry tongue.';
  const kawasaki = fromCorpusRecord(corpusRecord('NCT00000013', 'IVIG Timing in Kawasaki Disease', ['Kawasaki Disease'], '- Fever for at least 5 days', '- Prior IVIG'));

  it('does not count without the option: no condition it studies is documented', () => {
    expect(trialMatchCard(match(notePatient(note), [kawasaki]), { now: REF })).toBeUndefined();
  });

  it('counts from the given relevance, and the card says it rests on retrieval, not on a documented condition', () => {
    const matched = match(notePatient(note), [kawasaki]);
    const m = { ...matched, ranking: matched.ranking.map((r) => ({ ...r, relevance: 0.5 })) };
    expect(m.ranking[0]?.category).not.toBe('excluded');
    expect(trialMatchCard(m, { now: REF, minRelevance: 0.6 })).toBeUndefined();
    const card = trialMatchCard(m, { now: REF, minRelevance: 0.5 })!;
    expect(card.detail).toContain('Close to the record by retrieval (relevance 0.50); no condition it studies documented.');
    const ext = card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ match?: unknown; relevance: number }> };
    expect(ext.trials[0]!.match).toBeUndefined();
  });
});
