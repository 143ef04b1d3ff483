/** Criterion-level judgement against a PatientContext built from FHIR: the judge's specification. */
import { describe, expect, it } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { parseCriteria, parseCriterion, splitEligibility, type CriterionKind } from '../../src/services/trials/matching/criteria-parse.js';
import { atLeastCount, criterionMinDurationDays, criterionWindowDays, judgeCriterion, judgeTrial, participantGroup, statedDurationDays, statedElapsedDays, type CriterionJudgement } from '../../src/services/trials/matching/judge.js';
import { profileFromContext, type PatientProfile } from '../../src/services/trials/matching/profile.js';
import { condition as conditionResource, note as noteResource, observation, patient, SCT, type Json } from '../support/fhir-builders.js';

const REF = new Date('2025-05-20T12:00:00Z');

function note(text: string, id = 'n1'): Json {
  return noteResource({ id, text, date: '2025-05-20T10:00:00Z' });
}

function obs(id: string, code: string, value: number, unit: string): Json {
  return observation({ id, code, date: '2025-05-19T08:00:00Z', value, unit });
}

function condition(id: string, code: string, display: string): Json {
  return conditionResource({ id, coding: { system: SCT, code, display }, onset: '2019-01-01' });
}

function profile(...resources: Json[]): PatientProfile {
  return profileFromContext(buildPatientContext({ resources, patientId: 'p1', referenceTime: REF }));
}

function judge(p: PatientProfile, text: string, kind: CriterionKind = 'inclusion', embedding?: number[]): CriterionJudgement {
  return judgeCriterion(p, { criterion: parseCriterion({ kind, text, origin: 'text' }), index: 0, ...(embedding && { embedding }) });
}

const summary = (j: CriterionJudgement) => [j.status, j.basis];

describe('age and sex', () => {
  const recorded = profile(patient({ birthDate: '1960-01-15', gender: 'female' }));
  it('from the record', () => {
    expect(summary(judge(recorded, 'Age 18 to 70 years'))).toEqual(['met', 'record']);
    expect(summary(judge(recorded, 'Age 18 to 60 years'))).toEqual(['not-met', 'record']);
    expect(judge(recorded, 'Age 18 to 60 years').evidence[0]?.source).toBe('Patient/p1');
    expect(summary(judge(recorded, 'Postmenopausal women'))).toEqual(['met', 'record']);
    expect(summary(judge(recorded, 'Men with prostate cancer'))).toEqual(['not-met', 'record']);
  });

  it('from the note when the record lacks them ("58-year-old woman", "74M")', () => {
    const p = profile(patient(), note('A 58-year-old African-American woman presents to the ER with chest pain.'));
    expect(p.age?.value).toBe(58);
    expect(p.sex?.value).toBe('female');
    const j = judge(p, 'Age 18 to 65 years');
    expect(summary(j)).toEqual(['met', 'note']);
    expect(j.evidence[0]).toMatchObject({ kind: 'note', source: 'DocumentReference/n1' });
    const m = profile(patient(), note('74M hx of CAD s/p CABG, HTN, DMII.'));
    expect([m.age?.value, m.sex?.value]).toEqual([74, 'male']);
  });

  it('unknown when neither says', () => {
    expect(summary(judge(profile(patient()), 'Age 18 to 65 years'))).toEqual(['unknown', 'none']);
  });
});

describe('labs and vitals, in canonical units', () => {
  it('a recorded creatinine in µmol/L against a criterion in mg/dL', () => {
    const p = profile(patient(), obs('cr1', '14682-9', 221, 'umol/L'));
    const j = judge(p, 'Creatinine no greater than 2.0 mg/dL');
    expect(summary(j)).toEqual(['not-met', 'record']);
    expect(j.evidence[0]?.source).toBe('Observation/cr1');
    expect(summary(judge(p, 'Serum creatinine < 3 mg/dL'))).toEqual(['met', 'record']);
  });

  it('a threshold named twice ("Body mass index (BMI) of 30 kg/m2 or more") is one measurement, met on the recorded value', () => {
    const p = profile(patient(), obs('bmi', '39156-5', 34, 'kg/m2'));
    expect(summary(judge(p, 'Body mass index (BMI) of 30 kg/m2 or more'))).toEqual(['met', 'record']);
    expect(summary(judge(p, 'Body mass index (BMI) of 35 kg/m2 or more'))).toEqual(['not-met', 'record']);
  });

  it('a value in the note when none is recorded', () => {
    const p = profile(patient(), note('Labs notable for creatinine of 1.1 and HbA1c 8.2%.'));
    expect(summary(judge(p, 'Creatinine <= 1.5 mg/dL'))).toEqual(['met', 'note']);
    expect(summary(judge(p, 'HbA1c between 7% and 10%'))).toEqual(['met', 'note']);
    expect(summary(judge(p, 'HbA1c >= 9%'))).toEqual(['not-met', 'note']);
  });

  it('blood pressure pairs: "> 170/100" is exceeded by either pressure', () => {
    const p = profile(patient(), note('On arrival BP 180/95, HR 88.'));
    expect(summary(judge(p, 'Hypertension of > 170/100 mm of Hg', 'exclusion'))).toEqual(['met', 'note']);
    expect(summary(judge(p, 'Blood pressure less than 160/90', 'inclusion'))).toEqual(['not-met', 'note']);
  });

  it('no value anywhere: a threshold alone is unknown, for an exclusion too (a lab is not assumed normal)', () => {
    const p = profile(patient(), note('Well appearing.'));
    expect(summary(judge(p, 'Platelet count at least 100,000/mm3'))).toEqual(['unknown', 'none']);
    expect(summary(judge(p, 'Serum creatinine > 2 mg/dL', 'exclusion'))).toEqual(['unknown', 'none']);
    expect(summary(judge(p, 'Body mass index > 40 kg/m2', 'exclusion'))).toEqual(['unknown', 'none']);
  });

  it('no value anywhere: a threshold tied to a condition the exclusion names follows the condition', () => {
    const p = profile(patient(), note('Well appearing.'));
    expect(summary(judge(p, 'Heart failure or ejection fraction < 30%', 'exclusion'))).toEqual(['not-met', 'assumed-absent']);
    // "Impaired renal function" names chronic kidney disease (lexicon synonym).
    expect(summary(judge(p, 'Impaired renal function (creatinine clearance < 20 ml/min).', 'exclusion'))).toEqual(['not-met', 'assumed-absent']);
    // The condition documented: the exclusion is met whatever the missing value.
    const hf = profile(patient(), note('Known heart failure.'));
    expect(summary(judge(hf, 'Heart failure or ejection fraction < 30%', 'exclusion'))).toEqual(['met', 'note']);
  });

  it('a multiple of the upper limit of normal is not checked against a value', () => {
    const p = profile(patient(), obs('cr1', '2160-0', 1.2, 'mg/dL'));
    expect(judge(p, 'Serum creatinine > 1.5 x ULN', 'exclusion').status).not.toBe('met');
  });
});

describe('conditions: coded, noted, negated, unmentioned', () => {
  const coded = profile(patient(), condition('c1', '44054006', 'Diabetes mellitus type 2 (disorder)'));
  it('a coded condition (Cairn value sets), and the broader concept it implies', () => {
    const j = judge(coded, 'Type 2 diabetes mellitus');
    expect(summary(j)).toEqual(['met', 'record']);
    expect(j.evidence[0]?.source).toBe('Condition/c1');
    expect(summary(judge(coded, 'Diabetes mellitus'))).toEqual(['met', 'record']);
  });

  it('a broader coded condition does not establish a narrower one', () => {
    const p = profile(patient(), condition('c1', '73211009', 'Diabetes mellitus'));
    expect(summary(judge(p, 'Type 2 diabetes mellitus'))).toEqual(['unknown', 'none']);
  });

  it('negation in the note: "denies ... diabetes" makes a diabetes exclusion not met, on the note', () => {
    const p = profile(patient(), note('She is known to have hypertension and obesity. She denies smoking, diabetes, or a family history of heart disease.'));
    const j = judge(p, 'Diabetes mellitus', 'exclusion');
    expect(summary(j)).toEqual(['not-met', 'note']);
    expect(j.evidence[0]?.text).toContain('denies smoking');
    expect(summary(judge(p, 'Hypertension', 'inclusion'))).toEqual(['met', 'note']);
    expect(summary(judge(p, 'Current smoker', 'exclusion'))).toEqual(['not-met', 'note']);
    // Family history is not the patient's.
    expect(summary(judge(p, 'Coronary artery disease', 'exclusion'))).toEqual(['not-met', 'assumed-absent']);
  });

  it('an allergy criterion asks for an allergy to the drug it names, not for taking it', () => {
    const judgeWith = (criterion: string, ...resources: Json[]) => summary(judge(profile(patient(), ...resources), criterion, 'exclusion'));
    // Taking amoxicillin once made "Known allergy to penicillin" met ("antibiotic present").
    expect(judgeWith('Known allergy to penicillin', note('Currently taking amoxicillin for otitis media.'))).toEqual(['not-met', 'assumed-absent']);
    expect(judgeWith('Known allergy to penicillin', note('Allergic to penicillin (hives).'))).toEqual(['met', 'note']);
    expect(judgeWith('Known allergy to penicillin', note('No known drug allergies.'))).toEqual(['not-met', 'note']);
    // Another drug of the same lexicon concept is another allergy; the class named takes any of its drugs.
    expect(judgeWith('Known allergy to penicillin', note('Allergic to vancomycin.'))).toEqual(['not-met', 'assumed-absent']);
    expect(judgeWith('Hypersensitivity to antibiotics', note('Allergic to vancomycin.'))).toEqual(['met', 'note']);
    const recorded = { resourceType: 'AllergyIntolerance', id: 'pcn', clinicalStatus: { coding: [{ code: 'active' }] }, patient: { reference: 'Patient/p1' }, code: { text: 'Penicillin' } };
    expect(judgeWith('Known allergy to penicillin', recorded as Json)).toEqual(['met', 'record']);
  });

  it('a negative term is not its own word: "Non-smoker." makes a "current smoker" exclusion not met', () => {
    for (const text of ['Non-smoker.', 'She is a nonsmoker.', 'Never smoker, drinks socially.']) {
      const p = profile(patient(), note(text));
      expect(summary(judge(p, 'Current smoker', 'exclusion'))).toEqual(['not-met', 'note']);
    }
    expect(summary(judge(profile(patient(), note('Smoker, 20 pack-years.')), 'Current smoker', 'exclusion'))).toEqual(['met', 'note']);
    // Over by the note's words: not taken as a current smoker (it was met on this sentence); whether
    // past history answers the criterion stays the screener's, as for "history of asthma as a child".
    const quit = profile(patient(), note('He quit smoking in 2010.'));
    expect(summary(judge(quit, 'Current smoker', 'exclusion'))).toEqual(['unknown', 'none']);
  });

  it('dialysis is kidney failure treated, not kidney disease itself: "not on dialysis" says nothing of CKD, and CKD is not dialysis', () => {
    const notOn = profile(patient(), note('Stage 3 renal function monitored by nephrology. Not on dialysis.'));
    // The note's negation belongs to dialysis: CKD is unmentioned (the usual assumption for an
    // exclusion), never documented absent by it, and a CKD inclusion stays open.
    expect(summary(judge(notOn, 'Chronic kidney disease', 'exclusion'))).toEqual(['not-met', 'assumed-absent']);
    expect(summary(judge(notOn, 'Chronic kidney disease', 'inclusion'))).toEqual(['unknown', 'none']);
    expect(summary(judge(notOn, 'Patients on dialysis', 'exclusion'))).toEqual(['not-met', 'note']);
    const ckd = profile(patient(), condition('c1', '709044004', 'Chronic kidney disease'));
    expect(summary(judge(ckd, 'Chronic kidney disease', 'exclusion'))).toEqual(['met', 'record']);
    // CKD on the record does not make a dialysis exclusion met; dialysis does make a CKD one met.
    expect(judge(ckd, 'Patients on hemodialysis', 'exclusion').status).not.toBe('met');
    const onHd = profile(patient(), note('He is on hemodialysis three times a week.'));
    expect(summary(judge(onHd, 'Chronic kidney disease', 'exclusion'))).toEqual(['met', 'note']);
    expect(summary(judge(onHd, 'Patients on dialysis', 'exclusion'))).toEqual(['met', 'note']);
  });

  it('criteria of several participant groups: the patient needs to fit one group, not all', () => {
    const hiv = profile(patient({ gender: 'male', birthDate: '1985-01-01' }), note('41-year-old man with HIV infection on bictegravir, viral load undetectable.'));
    const trial = (...items: Array<[string | undefined, string]>) =>
      judgeTrial(hiv, { nctId: 'NCT0', criteria: items.map(([context, text]) => ({ criterion: parseCriterion({ kind: 'inclusion', text, ...(context && { context }), origin: 'text' }) })) }).criteria;
    const HIV_GROUP = 'INCLUSION CRITERIA > FOR HIV POSITIVE VOLUNTEERS:';
    const HEALTHY = 'INCLUSION CRITERIA > FOR HEALTHY VOLUNTEERS:';
    // He fits the HIV group, so the healthy volunteers' criterion does not exclude him.
    const [own, others] = trial([HIV_GROUP, 'HIV infection'], [HEALTHY, 'Absence of HIV infection as confirmed by negative ELISA']);
    expect(own!.status).toBe('met');
    expect(summary(others!)).toEqual(['unknown', 'not-applicable']);
    expect(others!.reason).toMatch(/^for one group of participants only \(FOR HEALTHY VOLUNTEERS\), and the patient may fit another/);
    // He fails both groups: the judgements stand.
    const both = trial([HIV_GROUP, 'Absence of HIV infection'], [HEALTHY, 'Absence of HIV infection as confirmed by negative ELISA']);
    expect(both.map((j) => j.status)).toEqual(['not-met', 'not-met']);
    // He fails the HIV group and the healthy volunteers' criteria say nothing against him: with HIV
    // infection he is no healthy volunteer, so the judgement against him stands.
    const ill = trial([HIV_GROUP, 'CD4 count below 200 (no antiretroviral therapy)'], [HIV_GROUP, 'Absence of HIV infection'], [HEALTHY, 'Age 18 or older']);
    expect(ill[1]!.status).toBe('not-met');
    // One group only is everyone; criteria outside the groups are everyone's.
    expect(trial([HEALTHY, 'Absence of HIV infection'])[0]!.status).toBe('not-met');
    expect(trial([undefined, 'Absence of HIV infection'], [HIV_GROUP, 'HIV infection'], [HEALTHY, 'Age 18 or older'])[0]!.status).toBe('not-met');
  });

  it('one group under two names (a heading over the inclusions, a lead-in over the exclusions) is one group', () => {
    const hcv = profile(patient({ gender: 'male', birthDate: '1974-05-01' }), note('Chronic hepatitis C, genotype 1a, treatment naive.'));
    const raw = [
      'INCLUSION CRITERIA:', '', 'Affected Subjects', '', 'In order to be eligible to participate in this study, an affected participant must meet all of the following criteria:', '',
      '1. Suspected or evidence of acute or chronic liver disease', '', 'Healthy Volunteers', '',
      'In order to be eligible to participate in this study, a healthy volunteer must meet all of the following criteria:', '', '1. In good general health', '',
      'EXCLUSION CRITERIA:', '', 'Affected Participants', '', 'An affected participant who meets any of the following criteria will be excluded from participation in this study:', '',
      '1. History of significant medical illnesses that might interfere with follow up', '', 'Healthy Volunteers', '',
      'A healthy volunteer who meets any of the following criteria will be excluded from participation in this study:', '', '1. History of liver disease',
    ].join('\n');
    const criteria = parseCriteria(splitEligibility(raw));
    // The group names are headings, never criteria.
    expect(criteria.map((c) => c.text)).not.toContain('Affected Subjects');
    expect(criteria.map((c) => c.text)).not.toContain('Healthy Volunteers');
    const judged = judgeTrial(hcv, { nctId: 'NCT0', criteria: criteria.map((criterion) => ({ criterion })) }).criteria;
    // The affected participants' criteria do not count against him, so the healthy volunteers' exclusion does not exclude him.
    const liver = judged.find((j) => j.text === 'History of liver disease');
    expect(summary(liver!)).toEqual(['unknown', 'not-applicable']);
  });

  it('what a criterion leaves out is no evidence for it: asthma does not meet "a pulmonary disorder other than asthma"', () => {
    const asthma = profile(patient({ gender: 'female', birthDate: '1991-02-01' }), note('Moderate persistent asthma since childhood, on fluticasone-salmeterol.'));
    expect(judge(asthma, 'Diagnosis of a pulmonary disorder other than asthma (e.g., chronic bronchitis, cystic fibrosis)', 'exclusion').status).not.toBe('met');
    // The concept named before the exception keeps its other narrower concepts.
    const type2 = profile(patient({ gender: 'male', birthDate: '1960-02-01' }), note('Type 2 diabetes on metformin.'));
    const type1 = profile(patient({ gender: 'male', birthDate: '1990-02-01' }), note('Type 1 diabetes on an insulin pump.'));
    expect(judge(type2, 'Diabetes mellitus other than type 1 diabetes', 'exclusion').status).toBe('met');
    expect(judge(type1, 'Diabetes mellitus other than type 1 diabetes', 'exclusion').status).not.toBe('met');
  });

  it('a piece of a criterion that only qualifies is not matched on its own: "chronic" is not "chronic lymphadenopathy"', () => {
    const hcv = profile(patient({ gender: 'male', birthDate: '1974-05-01' }), note('Chronic hepatitis C, genotype 1a, treatment naive.'));
    const j = judge(hcv, 'A history of chronic (>6 months), non-malignant, non-infectious lymphadenopathy and/or splenomegaly', 'inclusion');
    expect(j.status).not.toBe('met');
  });

  it('healthy volunteers named as the only group: the criteria outside their heading are the patients\', a group of their own', () => {
    const crohn = profile(patient({ gender: 'female', birthDate: '1992-03-01' }), note("Crohn's disease diagnosed 2019, ileocolonic, currently flaring."));
    // As the splitter leaves "EXCLUSION CRITERIA FOR HEALTHY VOLUNTEERS:" (the section words taken off).
    const HEALTHY = 'FOR HEALTHY VOLUNTEERS';
    const trial = (...items: Array<[string | undefined, 'inclusion' | 'exclusion', string]>) =>
      judgeTrial(crohn, { nctId: 'NCT0', criteria: items.map(([context, kind, text]) => ({ criterion: parseCriterion({ kind, text, ...(context && { context }), origin: 'text' }) })) }).criteria;
    // She fits the patients' criteria (no heading), so the healthy volunteers' exclusion does not exclude her.
    const [own, , healthy] = trial(
      [undefined, 'inclusion', 'Patients with a verifiable diagnosis of Crohn s disease or ulcerative colitis'],
      [HEALTHY, 'inclusion', 'Must be willing to undergo blood draw'],
      [HEALTHY, 'exclusion', 'History of inflammatory bowel disease.'],
    );
    expect(own!.status).not.toBe('not-met');
    expect(summary(healthy!)).toEqual(['unknown', 'not-applicable']);
    expect(healthy!.reason).toMatch(/^for one group of participants only \(FOR HEALTHY VOLUNTEERS\)/);
    // She fails the patients' criteria too: every judgement stands.
    const both = trial([undefined, 'inclusion', 'Age 60 years or older'], [HEALTHY, 'inclusion', 'Must be willing to undergo blood draw'], [HEALTHY, 'exclusion', 'History of inflammatory bowel disease.']);
    expect(both.map((j) => j.status)).toEqual(['not-met', 'unknown', 'met']);
    // A heading over exclusions alone is no group to fit: with it, she still fits only the patients'.
    const exclusionsOnly = trial([undefined, 'inclusion', 'Age 60 years or older'], [HEALTHY, 'exclusion', 'History of inflammatory bowel disease.']);
    expect(exclusionsOnly.map((j) => j.status)).toEqual(['not-met', 'met']);
    // The record's own age field is everyone's, whatever the groups.
    const structured = judgeTrial(crohn, {
      nctId: 'NCT0',
      criteria: [
        { criterion: parseCriterion({ kind: 'inclusion', text: 'Age 60 years or older', origin: 'structured-field' }) },
        { criterion: parseCriterion({ kind: 'exclusion', text: 'History of inflammatory bowel disease.', context: HEALTHY, origin: 'text' }) },
      ],
    }).criteria;
    expect(structured[0]!.status).toBe('not-met');
  });

  it.each([
    ['INCLUSION CRITERIA > FOR HEALTHY VOLUNTEERS:', 'FOR HEALTHY VOLUNTEERS:'],
    ['INCLUSION CRITERIA > FOR PATIENTS UNDERGOING BAL:', 'FOR PATIENTS UNDERGOING BAL:'],
    ['Inclusion > Healthy controls:', 'Healthy controls:'],
    ['Cohort B:', 'Cohort B:'],
    ['Affected Subjects > In order to be eligible to participate in this study, an affected participant must meet all of the following criteria', 'Affected Subjects'],
    ['Healthy Volunteers > A healthy volunteer who meets any of the following criteria will be excluded from participation in this study', 'A healthy volunteer who meets any of the following criteria will be excluded from participation in this study'],
    ['All patients', undefined],
    ['INCLUSION CRITERIA > ASTHMATICS', 'ASTHMATICS'],
    ['PATIENTS', 'PATIENTS'],
    // Two groups named together are both: everyone's criteria.
    ['EXCLUSION CRITERIA > CONTROLS AND PATIENTS', undefined],
    ['INCLUSION CRITERIA > For all patients:', undefined],
    ['PATIENT CHARACTERISTICS > Age', undefined],
    ['Inclusion criteria > Patients must have:', undefined],
  ])('participant group of %s: %s', (context, group) => expect(participantGroup(context)).toBe(group));

  it('unmentioned facts: assumed absent for exclusions and "no X" inclusions, unknown for inclusions', () => {
    const p = profile(patient(), note('A 60-year-old man with a cough.'));
    expect(summary(judge(p, 'History of stroke', 'exclusion'))).toEqual(['not-met', 'assumed-absent']);
    expect(summary(judge(p, 'No history of stroke', 'inclusion'))).toEqual(['met', 'assumed-absent']);
    expect(summary(judge(p, 'History of stroke', 'inclusion'))).toEqual(['unknown', 'none']);
    // An assumption never counts against the patient.
    expect(summary(judge(p, 'Patients without stroke', 'exclusion'))).toEqual(['unknown', 'none']);
  });

  it('a noted condition makes an exclusion met', () => {
    const p = profile(patient(), note('History of CVA in 2015 without residual deficits.'));
    const j = judge(p, 'History of stroke', 'exclusion');
    expect(summary(j)).toEqual(['met', 'note']);
  });

  it('qualifiers the record does not show: "uncontrolled hypertension" is not established by hypertension', () => {
    const p = profile(patient(), condition('c1', '38341003', 'Hypertensive disorder'));
    expect(summary(judge(p, 'Uncontrolled hypertension', 'exclusion'))).toEqual(['not-met', 'assumed-absent']);
    expect(summary(judge(p, 'Uncontrolled hypertension', 'inclusion'))).toEqual(['unknown', 'none']);
    const q = profile(patient(), note('He has uncontrolled hypertension despite three drugs.'));
    expect(summary(judge(q, 'Uncontrolled hypertension', 'exclusion'))).toEqual(['met', 'note']);
  });

  it.each([
    // [note, criterion, status, basis]
    ['He had an uncomplicated myocardial infarction 2 years earlier.', 'Myocardial infarction within 6 months', 'not-met', 'note'],
    ['He had a myocardial infarction 3 months ago.', 'Myocardial infarction within the last 6 months', 'met', 'note'],
    ['He had a myocardial infarction two weeks ago.', 'Myocardial infarction in the past year', 'met', 'note'],
    ['He had a stroke 18 months ago.', 'Stroke within the past year', 'not-met', 'note'],
    // Not dated: the qualified fact is not shown, the unmentioned-facts rule as before.
    ['He has a history of myocardial infarction.', 'Myocardial infarction within 6 months', 'not-met', 'assumed-absent'],
  ])('timing: %s / "%s" → %s (%s)', (text, criterion, status, basis) => {
    expect(summary(judge(profile(patient(), note(text)), criterion, 'exclusion'))).toEqual([status, basis]);
  });

  it('the window and the elapsed time are read as stated, in days', () => {
    expect(criterionWindowDays('Myocardial infarction within the last 6 months')).toBeCloseTo(182.64);
    expect(criterionWindowDays('Stroke in the past year')).toBeCloseTo(365.25);
    expect(criterionWindowDays('Chemotherapy 4 weeks prior to enrolment')).toBe(28);
    expect(criterionWindowDays('Fever for more than one week')).toBeUndefined();
    expect(statedElapsedDays('an MI three months ago')).toBeCloseTo(91.32);
    expect(statedElapsedDays('a transient ischemic attack 6 months ago')).toBeCloseTo(182.64);
    expect(statedElapsedDays('chest pain for 2 days')).toBeUndefined();
  });

  it.each([
    ['He has had fever and cough for 2 days.', 'Fever more than one week', 'inclusion', 'not-met'],
    ['He has had fever and cough for 10 days.', 'Fever more than one week', 'inclusion', 'met'],
    ['A 3-week history of cough.', 'Cough for at least 2 weeks', 'exclusion', 'met'],
    ['Cough for 3 days.', 'Cough for at least 2 weeks', 'exclusion', 'not-met'],
  ])('duration: %s / "%s" (%s) → %s, on the note', (text, criterion, kind, status) => {
    expect(summary(judge(profile(patient(), note(text)), criterion, kind as CriterionKind))).toEqual([status, 'note']);
  });

  it('duration: undated or twice dated, the qualified fact stays not shown', () => {
    expect(judge(profile(patient(), note('He has fever.')), 'Fever more than one week').status).toBe('unknown');
    // Two durations in the sentence: which one is the fever's is not read.
    expect(judge(profile(patient(), note('Fever for 2 days and cough for 3 weeks.')), 'Fever more than one week').status).toBe('unknown');
    expect(criterionMinDurationDays('Fever for more than one week')).toBe(7);
    expect(criterionMinDurationDays('Myocardial infarction within 6 months')).toBeUndefined();
    expect(statedDurationDays('fever, dyspnea and cough for 2 days')).toBe(2);
    expect(statedDurationDays('a 3-week history of cough')).toBe(21);
    expect(statedDurationDays('an MI three months ago')).toBeUndefined();
  });

  it('history is not the present: "history of asthma" does not meet "active asthma"', () => {
    const p = profile(patient(), note('A 60-year-old man with a history of asthma as a child.'));
    expect(summary(judge(p, 'Current asthma', 'exclusion'))).toEqual(['unknown', 'none']);
    expect(summary(judge(p, 'History of asthma', 'exclusion'))).toEqual(['met', 'note']);
    const now = profile(patient(), note('A 60-year-old man with asthma, on inhaled steroids.'));
    expect(summary(judge(now, 'Current asthma', 'exclusion'))).toEqual(['met', 'note']);
  });

  it('"at least two of the following": two listed items documented, not one', () => {
    const criterion = 'At least two of the following symptoms: cough, fever, headache, or purulent sputum';
    expect(atLeastCount(criterion)).toBe(2);
    expect(atLeastCount('Two or more of the following: A, B')).toBe(2);
    expect(atLeastCount('At least one of the following: A, B')).toBeUndefined();
    expect(summary(judge(profile(patient(), note('He has fever and a cough.')), criterion))).toEqual(['met', 'note']);
    expect(judge(profile(patient(), note('He has fever.')), criterion).status).toBe('unknown');
  });

  it('a family history is not the patient\'s', () => {
    const p = profile(patient(), note('A 60-year-old man. He has a family history of breast cancer. His mother had diabetes.'));
    expect(judge(p, 'History of breast cancer', 'exclusion').status).not.toBe('met');
    expect(judge(p, 'Diabetes mellitus', 'exclusion').status).not.toBe('met');
    expect(judge(p, 'Diabetes mellitus').status).not.toBe('met');
  });

  it('a criterion that says more than its structure needs the rest documented too', () => {
    const p = profile(patient(), note('64-year-old woman with diabetes mellitus.'));
    const j = judge(p, 'Patients with cutaneous leg ulcers due to diabetes mellitus');
    expect(j.status).toBe('unknown');
    expect(j.reason).toContain('not documented');
  });
});

describe('pregnancy, contraception, consent', () => {
  it('pregnancy criteria do not apply to a man', () => {
    const p = profile(patient({ gender: 'male' }));
    expect(summary(judge(p, 'Pregnant or breastfeeding women', 'exclusion'))).toEqual(['unknown', 'not-applicable']);
    expect(summary(judge(p, 'Women of childbearing potential must use contraception'))).toEqual(['unknown', 'not-applicable']);
  });

  it('substance use and military service do not apply to a young child; they do from the age they can', () => {
    const child = profile(patient({ gender: 'male', birthDate: '2020-03-01' })); // 5 years at REF
    for (const text of ['alcoholism (drunk at least once a week)', 'Cigarette smoking > 1 pack per month.', 'army recruit']) {
      const j = judge(child, text, 'exclusion');
      expect(summary(j)).toEqual(['unknown', 'not-applicable']);
      expect(j.reason).toMatch(/^applies from age (9|17) years; the patient is 5/);
      expect(j.evidence[0]?.kind).toBe('record');
    }
    // Not about the state itself, or about anything else too: judged as before.
    expect(judge(child, 'Non-smoker', 'inclusion').basis).not.toBe('not-applicable');
    expect(judge(child, 'Asthma or smoking', 'exclusion').basis).not.toBe('not-applicable');
    const ten = profile(patient({ gender: 'male', birthDate: '2015-01-01' }));
    expect(summary(judge(ten, 'Recent history of alcohol abuse', 'exclusion'))).toEqual(['not-met', 'assumed-absent']);
    expect(judge(ten, 'army recruit', 'exclusion').basis).toBe('not-applicable');
    const adult = profile(patient({ gender: 'male', birthDate: '1990-01-01' }));
    expect(judge(adult, 'army recruit', 'exclusion').basis).not.toBe('not-applicable');
    // Age unknown: no assumption about it.
    expect(judge(profile(patient({ gender: 'male' })), 'alcoholism', 'exclusion').basis).not.toBe('not-applicable');
  });

  it('a negation after who the criterion is about is the criterion\'s own', () => {
    const p = profile(patient({ gender: 'female', birthDate: '1980-01-01' }), note('She presents with a goitre.'));
    // Nothing mentions it: an inclusion asking for its absence is met by the unmentioned-facts rule…
    expect(summary(judge(p, 'Patients who have never received radioiodine therapy', 'inclusion'))).toEqual(['met', 'assumed-absent']);
    // …and an exclusion for its absence is never met by assumption.
    expect(judge(p, 'Patient who is not registered with social security', 'exclusion').status).toBe('unknown');
  });

  it('a woman with no mention of pregnancy: not excluded, by assumption; a recorded pregnancy excludes', () => {
    const p = profile(patient({ gender: 'female', birthDate: '1990-01-01' }));
    expect(summary(judge(p, 'Pregnant or breastfeeding', 'exclusion'))).toEqual(['not-met', 'assumed-absent']);
    const q = profile(patient({ gender: 'female' }), note('She is currently 20 weeks pregnant.'));
    expect(summary(judge(q, 'Pregnant or breastfeeding', 'exclusion'))).toEqual(['met', 'note']);
    expect(summary(judge(q, 'Not pregnant or nursing', 'inclusion'))).toEqual(['not-met', 'note']);
    // A pregnancy in the history list is not a current one.
    const r = profile(patient({ gender: 'female' }), note('Past history:\nHypertension with pregnancy'));
    expect(judge(r, 'Pregnancy', 'exclusion').status).toBe('unknown');
  });

  it('consent and compliance only from a note that states them', () => {
    const p = profile(patient(), note('The patient will provide informed consent, and will comply with the trial protocol without any practical issues.'));
    expect(summary(judge(p, 'Able to provide written informed consent'))).toEqual(['met', 'note']);
    expect(summary(judge(p, 'Inability to give consent', 'exclusion'))).toEqual(['not-met', 'note']);
    expect(summary(judge(profile(patient()), 'Signed informed consent'))).toEqual(['unknown', 'none']);
  });

  it('consent, voluntariness and compliance worded outside the administrative category', () => {
    const p = profile(patient(), note('The patient will provide informed consent, and will comply with the trial protocol without any practical issues.'));
    for (const text of ['signed inform consent', 'patient is voluntary', 'Patient compliant with study procedures.']) {
      const j = judge(p, text);
      expect(summary(j)).toEqual(['met', 'note']);
      expect(j.evidence[0]?.text).toContain('informed consent');
    }
    // "Participation in this study" is not consent: a previous enrolment is not settled by it.
    expect(judge(p, 'Prior participation in this study', 'exclusion').status).not.toBe('met');
  });

  it('a test result the note does not report is not assumed, negative or positive', () => {
    const p = profile(patient(), note('A 30-year-old woman with wheezing.'));
    expect(summary(judge(p, 'Negative allergy skin test'))).toEqual(['unknown', 'none']);
    expect(summary(judge(p, 'Positive result on screening for hepatitis B surface antigen or HIV antibodies', 'exclusion'))).toEqual(['unknown', 'none']);
    // A condition the note denies still decides.
    const hiv = profile(patient(), note('HIV negative. No hepatitis.'));
    expect(judge(hiv, 'Positive result on screening for HIV antibodies', 'exclusion').status).not.toBe('met');
  });
});

describe('performance status', () => {
  it('ECOG from the note, converted to Karnofsky when the criterion uses it', () => {
    const p = profile(patient(), note('ECOG performance status 1, ambulatory.'));
    expect(summary(judge(p, 'ECOG performance status 0-2'))).toEqual(['met', 'note']);
    expect(summary(judge(p, 'Karnofsky >= 70%'))).toEqual(['met', 'note']);
    expect(summary(judge(p, 'Karnofsky >= 90%'))).toEqual(['not-met', 'note']);
  });
});

function embeddedAt(p: PatientProfile, cos: number): PatientProfile {
  return { ...p, sentenceEmbeddings: p.sentences.map(() => [cos, Math.sqrt(1 - cos * cos)]) };
}

describe('free text: lexical and semantic support with thresholds', () => {
  const p = profile(patient(), note('Two weeks ago she returned from a vacation in Colorado. She has loose stools.'));
  it('a sentence holding at least half of the criterion words supports it', () => {
    expect(summary(judge(p, 'Recent vacation in Colorado'))).toEqual(['met', 'note']);
  });
  it('similarity below the threshold vetoes a lexical match', () => {
    const embedded: PatientProfile = { ...p, sentenceEmbeddings: p.sentences.map(() => [1, 0]) };
    expect(summary(judge(embedded, 'Recent vacation in Colorado', 'inclusion', [0, 1]))).toEqual(['unknown', 'none']);
    expect(summary(judge(embedded, 'Recent vacation in Colorado', 'inclusion', [1, 0]))).toEqual(['met', 'note']);
  });
  it('every criterion word in the sentence: a lower similarity suffices (0.40, not 0.55)', () => {
    const q = profile(patient(), note('On examination he is in respiratory distress and has bronchial sounds on the left.'));
    const j = judge(embeddedAt(q, 0.45), 'Respiratory distress', 'exclusion', [1, 0]);
    expect(summary(j)).toEqual(['met', 'note']);
    expect(j.evidence[0]?.text).toContain('respiratory distress');
    expect(judge(embeddedAt(q, 0.35), 'Respiratory distress', 'exclusion', [1, 0]).basis).not.toBe('note');
    // Half the words: the 0.55 threshold still applies.
    expect(summary(judge(embeddedAt(p, 0.45), 'Skiing vacation in Colorado', 'inclusion', [1, 0]))).toEqual(['unknown', 'none']);
  });
  it('one shared word of several is not a match', () => {
    expect(summary(judge(p, 'Travel to an area endemic for malaria'))).toEqual(['unknown', 'none']);
  });
});

describe('coded conditions that are over', () => {
  const ended = (id: string, code: string, display: string): Json => ({
    ...condition(id, code, display),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] },
    abatementDateTime: '2021-03-01',
  });

  it('a pregnancy that ended is not a current pregnancy: the exclusion stays unknown, with the record shown', () => {
    const j = judge(profile(patient({ gender: 'female', birthDate: '1990-01-01' }), ended('c1', '72892002', 'Normal pregnancy')), 'Pregnant or breastfeeding', 'exclusion');
    expect(j.status).toBe('unknown');
    expect(j.reason).toMatch(/resolved or inactive/);
    expect(j.evidence[0]?.source).toBe('Condition/c1');
  });

  it('a current pregnancy on the problem list still meets the exclusion', () => {
    const j = judge(profile(patient({ gender: 'female', birthDate: '1990-01-01' }), condition('c1', '72892002', 'Normal pregnancy')), 'Pregnant or breastfeeding', 'exclusion');
    expect(summary(j)).toEqual(['met', 'record']);
  });

  it('a resolved diagnosis neither meets nor fails an inclusion criterion naming it', () => {
    const active = judge(profile(patient(), condition('c2', '44054006', 'Diabetes mellitus type 2')), 'Type 2 diabetes');
    const resolved = judge(profile(patient(), ended('c2', '44054006', 'Diabetes mellitus type 2')), 'Type 2 diabetes');
    expect(summary(active)).toEqual(['met', 'record']);
    expect(resolved.status).toBe('unknown');
  });
});
