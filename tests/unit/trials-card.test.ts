/**
 * The trial-match card from the pure stages (record → criteria, patient → profile, judge, rank),
 * with no database: which trials count, the summary, the short detail, the verbatim criteria and
 * the patient's evidence (in the card's extension), the links. Checked against the CDS Hooks
 * response contract.
 */
import { describe, expect, it } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import type { Card } from '../../src/hooks/schema.js';
import { readProvenance } from '../../src/cards/provenance.js';
import { criterionTable, CTGOV_STUDY_URL, fittingTrials, isLeadIn, phaseLabel, shortTitle, statusLabel, TRIAL_MATCH_EXTENSION, TRIAL_MATCH_RULE, trialMatchCard, verbatimIn, type CriterionRow, type TrialCardOptions } from '../../src/services/trials/card.js';
import { fromCorpusRecord, prepareTrial, type TrialRecord } from '../../src/services/trials/matching/trial-record.js';
import { judgeTrial } from '../../src/services/trials/matching/judge.js';
import { profileFromContext, type PatientProfile } from '../../src/services/trials/matching/profile.js';
import { rankTrials } from '../../src/services/trials/matching/rank.js';
import { asciiFold } from '../../src/text/tokens.js';
import { observation } from '../support/fhir-builders.js';
import { provenanceProblems } from '../support/provenance.js';
import { corpusRecord, hypertensivePatient, storedTrial } from '../integration/trials-fixtures.js';

const REF = new Date('2025-05-20T12:00:00Z');
/** When the test trials' statuses were read: 10 days before REF, so not stale by default. */
const HTN_NOTE = 'Seen for hypertension. Blood pressure 162/94 despite amlodipine. No history of sepsis.';

function patient(note: string): PatientProfile {
  return profileFromContext(buildPatientContext({ resources: hypertensivePatient(note), patientId: 'p1', referenceTime: REF }));
}

const htnTrial = (nctId: string, extra: Record<string, unknown> = {}): TrialRecord =>
  fromCorpusRecord(
    corpusRecord(
      nctId,
      'Intensive Blood Pressure Lowering in Hypertension',
      ['Hypertension'],
      '- Essential hypertension\n- Systolic blood pressure >= 140 mmHg',
      '- Pregnant or breastfeeding\n- Type 1 diabetes\n- eGFR < 30 mL/min/1.73m2',
      extra,
    ),
  );
const sepsisTrial = fromCorpusRecord(
  corpusRecord('NCT00000003', 'Early Antibiotics in Sepsis', ['Sepsis', 'Septic Shock'], '- Suspected sepsis in the emergency department', '- Do not resuscitate order'),
);

const labOnlyTrial = fromCorpusRecord(
  corpusRecord('NCT00000004', 'Stem Cell Collection in Immunodeficiency', ['Chronic Granulomatous Disease'], '- eGFR >= 60 mL/min/1.73m2\n- Genetically defined primary immunodeficiency', '- Active infection'),
);


/** The matcher's stages 2 and 3 without the database: retrieval order = the order given. */
function match(profile: PatientProfile, records: readonly TrialRecord[]) {
  const trials = records.map((r) => storedTrial(r));
  const judgements = trials.map((t) => judgeTrial(profile, { nctId: t.nctId, criteria: t.criteria }));
  const ranking = rankTrials(
    trials.map((t, i) => ({ nctId: t.nctId, title: t.title, relevance: 1 - i / (trials.length + 1), retrievalRank: i + 1, judgement: judgements[i]! })),
  );
  return { patient: profile, trials, judgements, ranking };
}

/** The card as the service makes it at REF (the status dates are read against that clock). */
const cardAt = (input: Parameters<typeof trialMatchCard>[0], options: TrialCardOptions = {}) => trialMatchCard(input, { now: REF, ...options });
const withUuid = (card: Card): Card => ({ ...card, uuid: '6f1c8a0e-5b1d-4c2a-9e3f-7a8b9c0d1e2f' });
/** The criteria the card's extension carries for one trial. */
const criteriaOf = (card: Card, nctId: string): CriterionRow[] =>
  (card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ nctId: string; criteria?: CriterionRow[] }> }).trials.find((t) => t.nctId === nctId)?.criteria ?? [];
const notListedOf = (card: Card, nctId: string): string[] =>
  (card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ nctId: string; notListed?: string[] }> }).trials.find((t) => t.nctId === nctId)?.notListed ?? [];
const squash = (s: string) => asciiFold(s).replace(/\s+/g, ' ').trim();

describe('trial-match card: which trials count', () => {
  it.each([
    { name: 'a recruiting trial the patient fits', note: HTN_NOTE, records: [htnTrial('NCT00000001')], fits: ['NCT00000001'] },
    {
      name: 'each recruiting status counts',
      note: HTN_NOTE,
      records: [htnTrial('NCT00000001', { overall_status: 'Not yet recruiting' }), htnTrial('NCT00000002', { overall_status: 'Enrolling by invitation' })],
      fits: ['NCT00000001', 'NCT00000002'],
    },
    { name: 'a completed trial does not', note: HTN_NOTE, records: [htnTrial('NCT00000001', { overall_status: 'Completed' })], fits: [] },
    { name: 'an active, not recruiting trial does not', note: HTN_NOTE, records: [htnTrial('NCT00000001', { overall_status: 'Active, not recruiting' })], fits: [] },
    { name: 'an exclusion met in the note (type 1 diabetes) excludes', note: `${HTN_NOTE} She has type 1 diabetes since childhood, on insulin.`, records: [htnTrial('NCT00000001')], fits: [] },
    // Nothing documented matches what a sepsis trial studies: "eligible" by ranking, but no reason to show it.
    { name: 'a trial with no documented topical match does not', note: HTN_NOTE, records: [sepsisTrial], fits: [] },
    // A met lab limit alone says nothing about whether the trial is for this patient.
    { name: 'a trial whose only documented match is a lab limit does not', note: HTN_NOTE, records: [labOnlyTrial], fits: [] },
    { name: 'of a mix, only the fitting one', note: HTN_NOTE, records: [sepsisTrial, htnTrial('NCT00000001'), htnTrial('NCT00000009', { overall_status: 'Terminated' })], fits: ['NCT00000001'] },
  ])('$name', ({ note, records, fits }) => {
    const m = match(patient(note), records);
    expect(fittingTrials(m).map((f) => f.trial.nctId).sort()).toEqual(fits);
    const card = cardAt(m);
    if (fits.length === 0) {
      expect(card).toBeUndefined();
    } else {
      expect(card?.summary).toBe(`${fits.length} recruiting trial${fits.length === 1 ? '' : 's'} may fit`);
      expect(checkCdsResponse({ cards: [withUuid(card!)] })).toEqual([]);
    }
  });
});

describe('trial-match card: rule 3 (a documented condition or medication match)', () => {
  it('leaves out an eligible trial whose only documented match is a lab limit', () => {
    const m = match(patient(HTN_NOTE), [labOnlyTrial]);
    expect(m.ranking[0]?.category).toBe('eligible');
    expect(m.judgements[0]!.criteria.find((c) => c.text === 'eGFR >= 60 mL/min/1.73m2')).toMatchObject({ status: 'met', basis: 'record' });
    expect(cardAt(m)).toBeUndefined();
  });
});

describe('trial-match card: the words a trial shares with the record (FittingOptions.minSharedWords)', () => {
  const m = match(patient(HTN_NOTE), [labOnlyTrial]);
  const words = (...ws: string[]) =>
    new Map([[labOnlyTrial.nctId, { words: ws.map((word) => ({ word, trials: 1 })), statement: { kind: 'note' as const, source: 'DocumentReference/n1', text: `Note: ${ws.join(', ')}.`, sentence: 0 } }]]);

  it('lets a trial with no topical match count with at least that many counting words, and quotes them', () => {
    const card = cardAt({ ...m, sharedWords: words('granulomatous', 'apheresis', 'collection') }, { minSharedWords: 3 })!;
    expect(card.summary).toBe('1 recruiting trial may fit');
    expect(card.detail).toContain('No condition it studies is documented; words of a sentence of the note in its text: granulomatous, apheresis, collection.');
    const [trial] = (card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ sharedWords?: unknown; match?: unknown }> }).trials;
    expect(trial?.sharedWords).toEqual({
      words: ['granulomatous', 'apheresis', 'collection'],
      evidence: { kind: 'note', text: 'Note: granulomatous, apheresis, collection.', source: 'DocumentReference/n1' },
    });
    expect(trial?.match).toBeUndefined();
  });

  it('gives no card with fewer words, with the rule off, or with no words known', () => {
    expect(cardAt({ ...m, sharedWords: words('granulomatous', 'apheresis') }, { minSharedWords: 3 })).toBeUndefined();
    expect(cardAt({ ...m, sharedWords: words('granulomatous', 'apheresis', 'collection') })).toBeUndefined();
    expect(cardAt(m, { minSharedWords: 1 })).toBeUndefined();
  });

  it('never counts a trial ranked excluded, whatever words it shares', () => {
    const ruledOut = match(patient(`${HTN_NOTE} She is pregnant.`), [htnTrial('NCT00000001')]);
    expect(ruledOut.ranking[0]?.category).toBe('excluded');
    const shared = { words: [{ word: 'amlodipine', trials: 1 }], statement: { kind: 'record' as const, source: 'record', text: 'amlodipine' } };
    expect(cardAt({ ...ruledOut, sharedWords: new Map([['NCT00000001', shared]]) }, { minSharedWords: 1 })).toBeUndefined();
  });
});

describe('trial-match card: content', () => {
  const profile = patient(HTN_NOTE);
  const m = match(profile, [htnTrial('NCT00000001')]);
  const card = cardAt(m, { smartAppUrl: 'https://cairn.example.org/app/launch.html' })!;

  it('gives each trial one line: NCT id, title verbatim, record status in words, why it is there, the deciding criteria counted', () => {
    const criteria = m.judgements[0]!.criteria;
    const decided = (kind: string, status: string) => criteria.filter((c) => c.kind === kind && c.status === status && c.basis !== 'assumed-absent').length;
    const assumed = criteria.filter((c) => c.basis === 'assumed-absent').length;
    expect(assumed).toBe(2);
    expect([decided('inclusion', 'met'), decided('inclusion', 'not-met'), decided('inclusion', 'unknown')]).toEqual([4, 0, 0]);
    expect([decided('exclusion', 'met'), decided('exclusion', 'not-met'), decided('exclusion', 'unknown')]).toEqual([0, 1, 0]);
    expect(card.detail).toContain(
      `- **NCT00000001**: Intensive Blood Pressure Lowering in Hypertension — Recruiting, phase 3 (status as of 10 May 2025). ` +
        `Studies Hypertension — recorded: Essential hypertension. ` +
        `Inclusion criteria: 4 met. Exclusion criteria: 1 not met, 2 not documented in the record.`,
    );
    expect(card.indicator).toBe('info');
    // No criterion table on the card: the criteria are in its extension and the Cairn app.
    expect(card.detail).not.toContain('|');
  });

  it('carries every text criterion judged on the record or a note, as the record states it, and counts those assumed absent', () => {
    const record = m.trials[0]!.record;
    const rows = criteriaOf(card, 'NCT00000001');
    expect(rows).toEqual(criterionTable(profile, m.judgements[0]!.criteria, 8, verbatimIn(record.eligibilityText)).rows);
    const textCriteria = m.judgements[0]!.criteria.filter((c) => c.origin === 'text');
    const assumed = textCriteria.filter((c) => c.basis === 'assumed-absent');
    const listed = textCriteria.filter((c) => c.basis !== 'assumed-absent');
    expect(listed.length).toBeGreaterThanOrEqual(3);
    expect(assumed.map((c) => c.text)).toEqual(['Pregnant or breastfeeding', 'Type 1 diabetes']);
    for (const c of listed) {
      expect(rows.map((r) => r.criterion)).toContain(c.text);
      expect(squash(record.eligibilityText)).toContain(squash(c.text));
    }
    // Criteria judged only by assuming an unmentioned fact absent are one line, not rows.
    for (const c of assumed) expect(rows.map((r) => r.criterion)).not.toContain(c.text);
    expect(notListedOf(card, 'NCT00000001')).toEqual(['2 exclusions not documented in the record.']);
    // Criteria made from the record's fields (age limits, condition studied) say so.
    expect(rows.map((r) => r.criterion)).toContain('Condition studied: Hypertension (record field)');
  });

  it("carries the patient's evidence: the value with its UCUM unit and time, the note sentence exactly", () => {
    const rows = criteriaOf(card, 'NCT00000001');
    expect(rows.find((r) => r.criterion === 'eGFR < 30 mL/min/1.73m2')).toEqual({
      criterion: 'eGFR < 30 mL/min/1.73m2',
      kind: 'exclusion',
      status: 'not-met',
      basis: 'record',
      evidence: { kind: 'record', value: 72, unit: 'mL/min/{1.73_m2}', time: '2025-05-01T09:00:00.000Z', source: expect.stringMatching(/^Observation\//) as unknown as string },
    });
    expect(rows.find((r) => r.criterion === 'Systolic blood pressure >= 140 mmHg')).toMatchObject({
      kind: 'inclusion',
      status: 'met',
      basis: 'note',
      evidence: { kind: 'note', value: 'Blood pressure 162/94 despite amlodipine.', time: expect.stringMatching(/^2025-05-20/) as unknown as string },
    });
    expect(HTN_NOTE).toContain('Blood pressure 162/94 despite amlodipine.');
    expect(rows.find((r) => r.criterion === 'Essential hypertension')).toMatchObject({ kind: 'inclusion', status: 'met', basis: 'record', evidence: { kind: 'record', value: 'Essential hypertension' } });
  });

  it('links to the Cairn app, when configured, naming the trials shown, and to each trial on ClinicalTrials.gov', () => {
    expect(card.links).toEqual([
      {
        label: 'Open evidence in Cairn',
        url: 'https://cairn.example.org/app/launch.html',
        type: 'smart',
        appContext: '{"service":"trial-match","rule":"trial-match/criteria","nctIds":["NCT00000001"]}',
      },
      { label: 'NCT00000001 on ClinicalTrials.gov', url: `${CTGOV_STUDY_URL}NCT00000001`, type: 'absolute' },
    ]);
    expect(cardAt(m)!.links).toEqual([{ label: 'NCT00000001 on ClinicalTrials.gov', url: 'https://clinicaltrials.gov/study/NCT00000001', type: 'absolute' }]);
    expect(checkCdsResponse({ cards: [withUuid(card)] })).toEqual([]);
  });

  it('attributes the records to ClinicalTrials.gov and carries the ranking figures in its extension', () => {
    expect(card.detail).toContain('Trial records: ClinicalTrials.gov, U.S. National Library of Medicine, https://clinicaltrials.gov.');
    expect(card.extension?.[TRIAL_MATCH_EXTENSION]).toMatchObject({ fitting: 1, retrieved: 1, trials: [{ nctId: 'NCT00000001', status: 'RECRUITING', category: 'eligible' }] });
  });

  it('carries its provenance: the trial-match rule, no guideline, and the content hash of each trial it shows', () => {
    expect(provenanceProblems(card, { ruleId: 'trial-match/criteria' })).toEqual([]);
    expect(readProvenance(card)).toMatchObject({ rule: TRIAL_MATCH_RULE, guidelines: [], trials: [{ nctId: 'NCT00000001', contentHash: prepareTrial(m.trials[0]!.record).contentHash }] });
    // Only the trials shown: two fit, one is shown.
    const two = match(profile, [htnTrial('NCT00000001'), htnTrial('NCT00000002')]);
    const shown = cardAt(two, { maxTrials: 1 })!;
    const figures = shown.extension?.[TRIAL_MATCH_EXTENSION] as { fitting: number; trials: Array<{ nctId: string }> };
    expect(figures.fitting).toBe(2);
    expect(readProvenance(shown)?.trials?.map((t) => t.nctId)).toEqual(figures.trials.map((t) => t.nctId));
    expect(figures.trials).toHaveLength(1);
  });
});

describe('trial-match card: the record’s own characters', () => {
  it('shows a criterion as the record writes it, not as the parser folded it', () => {
    const record = fromCorpusRecord(
      corpusRecord(
        'NCT00000005',
        'Blood Pressure Lowering in Hypertension',
        ['Hypertension'],
        '- Essential hypertension\n- Systolic blood pressure ≥ 140 mmHg on two\n  visits – seated',
        '- eGFR ≤ 30 mL/min/1.73m²',
      ),
    );
    const m = match(patient(HTN_NOTE), [record]);
    const parsed = m.judgements[0]!.criteria.map((c) => c.text);
    expect(parsed).toContain('Systolic blood pressure >= 140 mmHg on two visits - seated');
    const card = cardAt(m)!;
    const shown = criteriaOf(card, 'NCT00000005').map((r) => r.criterion);
    expect(shown).toContain('Systolic blood pressure ≥ 140 mmHg on two visits – seated');
    expect(shown).toContain('eGFR ≤ 30 mL/min/1.73m²');
    expect(shown.join('\n')).not.toContain('>= 140');
  });

  it.each([
    ['a folded sign', 'Age ≥ 18 years', 'Age >= 18 years', 'Age ≥ 18 years'],
    ['a wrapped line', 'Inclusion:\n- HbA1c between 7%\n   and 10%\n', 'HbA1c between 7% and 10%', 'HbA1c between 7% and 10%'],
    ['no matching span', 'Something else', 'Type 1 diabetes', 'Type 1 diabetes'],
  ])('verbatimIn: %s', (_name, text, parsed, shown) => {
    expect(verbatimIn(text)(parsed)).toBe(shown);
  });
});

describe('trial-match card: size', () => {
  it('counts every fitting trial in a summary under 140 characters, and shows the first three in a line each', () => {
    const records = Array.from({ length: 25 }, (_, i) => htnTrial(`NCT${String(100 + i).padStart(8, '0')}`));
    const card = cardAt(match(patient(HTN_NOTE), records), { smartAppUrl: 'https://cairn.example.org/app/launch.html' })!;
    expect(card.summary).toBe('25 recruiting trials may fit');
    expect(card.summary.length).toBeLessThan(140);
    expect(card.detail).toContain('The first 3 of 25, by retrieval relevance.');
    expect(card.detail!.match(/^- \*\*NCT\d{8}\*\*/gm)).toEqual(['- **NCT00000100**', '- **NCT00000101**', '- **NCT00000102**']);
    expect(card.detail!.length).toBeLessThanOrEqual(1000);
    expect(card.links?.map((l) => l.type)).toEqual(['smart', 'absolute', 'absolute', 'absolute']);
    expect(JSON.parse(card.links![0]!.appContext!)).toEqual({ service: 'trial-match', rule: 'trial-match/criteria', nctIds: ['NCT00000100', 'NCT00000101', 'NCT00000102'] });
  });

  it('lists five in a compact line each (id, title, status, why) when five are allowed and the full lines would not fit', () => {
    const records = Array.from({ length: 7 }, (_, i) => htnTrial(`NCT${String(100 + i).padStart(8, '0')}`));
    const card = cardAt(match(patient(HTN_NOTE), records), { maxTrials: 5 })!;
    expect(card.detail!.length).toBeLessThanOrEqual(1000);
    expect(card.detail).toContain('The first 5 of 7, by retrieval relevance.');
    expect(card.detail!.match(/^- \*\*NCT\d{8}\*\*/gm)).toHaveLength(5);
    expect(card.detail).toContain('- **NCT00000100**: Intensive Blood Pressure Lowering in Hypertension — Recruiting. Studies Hypertension — recorded: Essential hypertension.');
    expect(card.detail).toContain('with the evidence: in the Cairn app');
    expect(card.detail).not.toContain('Inclusion criteria:');
  });

  it('cuts a long title at a word, with "…", and shorter still when three would not fit', () => {
    const title = 'A Randomised, Double-Blind, Placebo-Controlled, Multicentre Phase 3 Study of Intensive Blood Pressure Lowering in Adults With Essential Hypertension and Chronic Kidney Disease Stages 3 to 4';
    expect(shortTitle(title, 100)).toBe('A Randomised, Double-Blind, Placebo-Controlled, Multicentre Phase 3 Study of Intensive Blood…');
    expect(shortTitle(title, 100).length).toBeLessThanOrEqual(100);
    expect(shortTitle('Short title', 100)).toBe('Short title');
    const records = Array.from({ length: 3 }, (_, i) =>
      fromCorpusRecord(corpusRecord(`NCT0000020${i}`, title, ['Hypertension'], '- Essential hypertension\n- Systolic blood pressure >= 140 mmHg', '- Pregnant or breastfeeding\n- Type 1 diabetes\n- eGFR < 30 mL/min/1.73m2')),
    );
    const card = cardAt(match(patient(HTN_NOTE), records))!;
    expect(card.detail!.length).toBeLessThanOrEqual(1000);
    // The status date ("(status as of 10 May 2025)") leaves room for 70 characters of each title.
    expect(card.detail).toContain(`**NCT00000200**: ${shortTitle(title, 70)} — `);
  });

  it('lists at most maxUnknown unknown criteria and counts the rest', () => {
    const record = fromCorpusRecord(
      corpusRecord('NCT00000001', 'Hypertension trial', ['Hypertension'], '- Essential hypertension\n- Willing to attend visits\n- Able to swallow tablets\n- Lives within 50 km of the clinic', '- Participation in another trial'),
    );
    const profile = patient(HTN_NOTE);
    const m = match(profile, [record]);
    const unknown = m.judgements[0]!.criteria.filter((c) => c.status === 'unknown').length;
    expect(unknown).toBeGreaterThanOrEqual(3);
    const { rows, summary } = criterionTable(profile, m.judgements[0]!.criteria, 1);
    expect(rows.filter((r) => r.status === 'unknown')).toHaveLength(1);
    expect(summary[summary.length - 1]).toBe(`${unknown - 1} more criteria unknown from the record, not listed.`);
  });
});

describe('trial-match card: a recorded blood pressure', () => {
  it('shows the systolic/diastolic pair a criterion was judged on, in mmHg', () => {
    const reading = (id: string, code: string, value: number) =>
      observation({ id, code, value, unit: 'mm[Hg]', category: 'vital-signs', date: '2025-05-19T09:00:00Z' });
    const resources = [...hypertensivePatient('Seen for hypertension, on amlodipine.'), reading('sbp', '8480-6', 150), reading('dbp', '8462-4', 95)];
    const profile = profileFromContext(buildPatientContext({ resources, patientId: 'p1', referenceTime: REF }));
    const record = fromCorpusRecord(corpusRecord('NCT00000007', 'Hypertension trial', ['Hypertension'], '- Essential hypertension\n- Blood pressure >= 140/90 mmHg', '- Pregnant'));
    const card = cardAt(match(profile, [record]))!;
    expect(criteriaOf(card, 'NCT00000007').find((r) => r.criterion === 'Blood pressure >= 140/90 mmHg')).toMatchObject({
      kind: 'inclusion',
      status: 'met',
      basis: 'record',
      evidence: { kind: 'record', value: '150/95 mmHg', time: '2025-05-19T09:00:00.000Z' },
    });
  });
});

describe('trial-match card: headings and lead-ins are not criteria', () => {
  it.each([
    ['The contraindications include subjects with the following devices or conditions:', true],
    ['INCLUSION CRITERIA:', true],
    ['NOTE:', true],
    ['In order to be eligible to participate in this study, an individual must meet all of the following criteria:', true],
    ['An individual who meets any of the following criteria will be excluded from participation in this study:', true],
    ['Currently meet criteria for at least one of the following:', true],
    // A condition of its own, whatever follows.
    ['Patients with idiopathic focal segmental glomerulosclerosis on renal biopsy, including the following categories:', false],
    ['Vital signs had to be within the following ranges:', false],
    ['Resting (A-a) DO2 < 30 torr on room air, defined as one or more of the following:', false],
    // No colon: a criterion.
    ['Contraindications to MRI', false],
  ])('%s → %s', (text, leadIn) => {
    expect(isLeadIn({ text, origin: 'text' })).toBe(leadIn);
  });

  it('lists none of them, and counts only real criteria', () => {
    const record = fromCorpusRecord(
      corpusRecord(
        'NCT00000006',
        'Imaging in Hypertension',
        ['Hypertension'],
        '- Essential hypertension',
        '- Subjects unable to have an MRI scan. The contraindications include subjects with the following devices or conditions:\n- Cardiac pacemaker\n- Cochlear implant',
      ),
    );
    const m = match(patient(HTN_NOTE), [record]);
    const leadIn = 'The contraindications include subjects with the following devices or conditions:';
    // The parser reads it as the lead-in of the items under it (criteria-parse.ts), not as a criterion.
    expect(m.judgements[0]!.criteria.map((c) => c.text)).not.toContain(leadIn);
    expect(m.judgements[0]!.criteria.map((c) => c.text)).toEqual(expect.arrayContaining(['Subjects unable to have an MRI scan.', 'Cardiac pacemaker', 'Cochlear implant']));
    const card = cardAt(m)!;
    expect(criteriaOf(card, 'NCT00000006').map((r) => r.criterion)).not.toContain(leadIn);
    const table = criterionTable(patient(HTN_NOTE), m.judgements[0]!.criteria, 100);
    expect(table.rows.map((r) => r.criterion)).not.toContain(leadIn);
    const listedOrCounted = table.rows.length + table.summary.reduce((n, line) => n + Number(/^(\d+)/.exec(line)?.[1] ?? 0), 0);
    expect(listedOrCounted).toBe(m.judgements[0]!.criteria.length);
  });
});

describe('trial-match card: record codes in words', () => {
  it.each([
    ['RECRUITING', 'Recruiting'],
    ['NOT_YET_RECRUITING', 'Not yet recruiting'],
    ['ENROLLING_BY_INVITATION', 'Enrolling by invitation'],
  ])('status %s → %s', (code, words) => expect(statusLabel(code)).toBe(words));

  it.each([
    ['phase-2', 'phase 2'],
    ['phase-1-phase-2', 'phase 1/2'],
    ['early-phase-1', 'early phase 1'],
    ['n-a', undefined],
    [undefined, undefined],
  ])('phase %s → %s', (code, words) => expect(phaseLabel(code)).toBe(words));
});

describe('trial-match card: the date of each status', () => {
  type Extension = { trials: Array<{ nctId: string; statusAsOf: string; statusMayBeOutOfDate: boolean; lastUpdatePosted?: string }> };
  /** The match of `records` with each trial's status read at `fetchedAt`. */
  const matchRead = (records: readonly TrialRecord[], fetchedAt: string) => {
    const m = match(patient(HTN_NOTE), records);
    return { ...m, trials: m.trials.map((t) => ({ ...t, fetchedAt })) };
  };

  it.each([
    // fetched at, stale after (days), what the line says
    ['2025-05-10T08:00:00Z', 30, '(status as of 10 May 2025)', false],
    ['2025-04-20T12:00:00Z', 30, '(status as of 20 Apr 2025)', false], // exactly 30 days before REF: not older than 30 days
    ['2025-04-20T11:59:59Z', 30, '(status as of 20 Apr 2025 — may be out of date)', true],
    ['2025-05-10T08:00:00Z', 7, '(status as of 10 May 2025 — may be out of date)', true],
    // The demo snapshot (trials/README.md): its records name it, and the import dates them by it.
    ['2023-02-03T00:00:00Z', 30, '(status as of 3 Feb 2023 — may be out of date)', true],
  ])('read at %s, stale after %i days: %s', (fetchedAt, staleAfterDays, text, stale) => {
    const card = cardAt(matchRead([htnTrial('NCT00000001')], fetchedAt), { staleAfterDays })!;
    expect(card.detail).toContain(`— Recruiting, phase 3 ${text}. Studies Hypertension`);
    const ext = card.extension?.[TRIAL_MATCH_EXTENSION] as Extension;
    expect(ext.trials[0]).toMatchObject({ statusAsOf: fetchedAt.slice(0, 10), statusMayBeOutOfDate: stale });
  });

  it('carries the record\'s last-update date in the extension when the record has one', () => {
    const dated = { ...htnTrial('NCT00000001'), lastUpdatePosted: '2025-03-14' };
    const ext = cardAt(matchRead([dated, htnTrial('NCT00000002')], '2025-05-10T08:00:00Z'))!.extension?.[TRIAL_MATCH_EXTENSION] as Extension;
    expect(ext.trials.map((t) => [t.nctId, t.lastUpdatePosted])).toEqual([
      ['NCT00000001', '2025-03-14'],
      ['NCT00000002', undefined],
    ]);
  });

  it('stays within 1,000 characters at its longest: three stale trials of many, long titles, "Not yet recruiting, early phase 1"', () => {
    const title = 'A Randomised, Double-Blind, Placebo-Controlled, Multicentre Phase 3 Study of Intensive Blood Pressure Lowering in Adults With Essential Hypertension and Chronic Kidney Disease Stages 3 to 4';
    const records = Array.from({ length: 25 }, (_, i) => htnTrial(`NCT${String(300 + i).padStart(8, '0')}`, { brief_title: title, overall_status: 'Not yet recruiting', phase: 'Early Phase 1' }));
    const card = cardAt(matchRead(records, '2023-02-03T00:00:00Z'))!;
    expect(card.detail).toContain('Not yet recruiting, early phase 1 (status as of 3 Feb 2023 — may be out of date)');
    expect(card.detail!.length).toBeLessThanOrEqual(1000);
  });
});
