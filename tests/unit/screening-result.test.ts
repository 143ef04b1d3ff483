/** A screened patient's category and criterion table, and the coordinator API's request parsing (pure). */
import { describe, expect, it } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { screeningRequestSchema } from '../../src/http/screenings.js';
import { groupPatientIds, MAX_PATIENTS_PER_SCREENING } from '../../src/services/trials/screening/requests.js';
import { hasClinicalContent, screeningResult } from '../../src/services/trials/screening/result.js';
import type { CriterionJudgement } from '../../src/services/trials/matching/judge.js';
import { judgementMaker } from '../support/criterion-judgements.js';

const c = judgementMaker('record');

const REF = new Date('2026-01-20T00:00:00Z');
const bare = buildPatientContext({ resources: [{ resourceType: 'Patient', id: 'p', gender: 'female', birthDate: '1960-01-01' }], patientId: 'p', referenceTime: REF });
const withCondition = buildPatientContext({
  resources: [
    { resourceType: 'Patient', id: 'p', gender: 'female', birthDate: '1960-01-01' },
    { resourceType: 'Condition', id: 'c', code: { coding: [{ system: 'http://snomed.info/sct', code: '195967001', display: 'Asthma' }] }, subject: { reference: 'Patient/p' } },
  ],
  patientId: 'p',
  referenceTime: REF,
});

describe('screeningResult category', () => {
  const cases: Array<[string, CriterionJudgement[], typeof bare, string]> = [
    ['an exclusion met on the record excludes', [c('inclusion', 'met'), c('exclusion', 'met')], withCondition, 'excluded'],
    ['an inclusion not met on a note excludes', [c('inclusion', 'not-met', { basis: 'note' })], withCondition, 'excluded'],
    ['an inclusion "not met" only by assumption does not exclude', [c('inclusion', 'not-met', { basis: 'assumed-absent' })], withCondition, 'irrelevant'],
    ['a topical inclusion met on the record: eligible', [c('inclusion', 'met'), c('inclusion', 'unknown'), c('exclusion', 'not-met', { basis: 'assumed-absent' })], withCondition, 'eligible'],
    ['only age met: nothing topical; with clinical data, irrelevant', [c('inclusion', 'met', { category: 'age' }), c('inclusion', 'unknown')], withCondition, 'irrelevant'],
    ['only age met and nothing in the record to judge on: unknown', [c('inclusion', 'met', { category: 'age' }), c('inclusion', 'unknown')], bare, 'unknown'],
    ['a met exclusion outweighs the thin record', [c('exclusion', 'met', { category: 'age' })], bare, 'excluded'],
  ];
  it.each(cases)('%s', (_name, criteria, ctx, expected) => {
    expect(screeningResult({ nctId: 'NCT00000001', criteria }, ctx).category).toBe(expected);
  });

  it('keeps every criterion in order, verbatim, with at most three pieces of evidence', () => {
    const evidence = [1, 2, 3, 4].map((i) => ({ kind: 'note' as const, source: `DocumentReference/${i}`, text: `sentence ${i}`, sentence: i, similarity: 0.9 }));
    const criteria = [c('inclusion', 'met', { index: 0, text: 'Essential hypertension', evidence }), c('exclusion', 'unknown', { index: 1, text: 'Pregnant or breastfeeding', alternatives: 'g1' })];
    const r = screeningResult({ nctId: 'NCT00000001', criteria }, withCondition);
    expect(r.criteria).toEqual([
      {
        number: 1,
        kind: 'inclusion',
        text: 'Essential hypertension',
        status: 'met',
        basis: 'record',
        category: 'condition',
        evidence: evidence.slice(0, 3).map(({ kind, source, text }) => ({ kind, source, text })),
        reason: 'met',
      },
      { number: 2, kind: 'exclusion', text: 'Pregnant or breastfeeding', status: 'unknown', basis: 'none', category: 'condition', alternatives: 'g1', evidence: [], reason: 'unknown' },
    ]);
    expect(r.summary).toBe('eligible: 1/1 inclusion met, 0 not met, 0 unknown; 0/1 exclusion met');
  });

  it('counts conditions, medications, notes, procedures and readings as something to judge on', () => {
    expect(hasClinicalContent(bare)).toBe(false);
    expect(hasClinicalContent(withCondition)).toBe(true);
  });
});

describe('screening request', () => {
  const ok = (body: unknown) => screeningRequestSchema.safeParse(body).success;
  it('takes a list of Patient references or one Group reference, not both, not neither', () => {
    expect(ok({ patients: ['Patient/1', 'Patient/a-b.c'] })).toBe(true);
    expect(ok({ group: 'Group/abc' })).toBe(true);
    expect(ok({})).toBe(false);
    expect(ok({ patients: ['Patient/1'], group: 'Group/abc' })).toBe(false);
    expect(ok({ patients: [] })).toBe(false);
    expect(ok({ patients: ['1'] })).toBe(false);
    expect(ok({ patients: ['Practitioner/1'] })).toBe(false);
    expect(ok({ patients: ['Patient/has space'] })).toBe(false);
    expect(ok({ group: 'Patient/1' })).toBe(false);
    expect(ok({ patients: ['Patient/1'], fhirServer: 'https://x' })).toBe(false);
    expect(ok({ patients: Array.from({ length: MAX_PATIENTS_PER_SCREENING + 1 }, (_v, i) => `Patient/${i}`) })).toBe(false);
  });

  it('reads a Group as its active Patient members, in order, once each', () => {
    expect(
      groupPatientIds({
        member: [
          { entity: { reference: 'Patient/2' } },
          { entity: { reference: 'Patient/1' } },
          { entity: { reference: 'Patient/3' }, inactive: true },
          { entity: { reference: 'Device/9' } },
          { entity: { reference: 'Patient/2' } },
          {},
        ],
      }),
    ).toEqual(['2', '1']);
    expect(groupPatientIds({})).toEqual([]);
  });
});
