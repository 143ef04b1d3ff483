/**
 * "Only what the clinician does not know yet": a finding is news unless the condition (or a more
 * specific / superseding one) is active on the record; a different recorded stage is news again.
 * Also: evaluateCriteria runs every criterion in a fixed order.
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateCkd } from '../../src/services/diagnosis/criteria/ckd.js';
import { evaluatePrediabetes } from '../../src/services/diagnosis/criteria/diabetes.js';
import { evaluateHypertension } from '../../src/services/diagnosis/criteria/hypertension.js';
import { evaluateObesity } from '../../src/services/diagnosis/criteria/obesity.js';
import { evaluateCriteria } from '../../src/services/diagnosis/evaluate.js';
import { CONDITION_KEYS } from '../../src/services/diagnosis/finding.js';
import { checkRecorded } from '../../src/services/diagnosis/known.js';
import type { Json } from './diagnosis-fixtures.js';
import { ICD10CM, SCT, bp, condition, context, daysAgo, obs } from './diagnosis-fixtures.js';

const ICD9CM = 'http://hl7.org/fhir/sid/icd-9-cm';

const hypertensiveData = () => [bp(150, 95, daysAgo(100)), bp(152, 96, daysAgo(10))];
const htnCheck = (extra: Json[]) => {
  const ctx = context([...hypertensiveData(), ...extra]);
  const f = evaluateHypertension(ctx);
  expect(f.status).toBe('met');
  return checkRecorded(f, ctx);
};

describe('is the condition already recorded?', () => {
  it('nothing recorded: unknown to the record', () => {
    expect(htnCheck([]).status).toBe('unknown-to-record');
  });

  it('the same condition on the problem list: recorded', () => {
    const r = htnCheck([condition(SCT, '38341003', { id: 'htn' })]);
    expect(r.status).toBe('recorded-same-stage');
    expect(r.recorded.map((c) => c.source)).toEqual(['Condition/htn']);
  });

  it('a more specific condition counts: hypertensive CKD (ICD-10-CM I12.9)', () => {
    expect(htnCheck([condition(ICD10CM, 'I12.9')]).status).toBe('recorded-same-stage');
  });

  it.each([
    ['SNOMED CT 1201005 benign essential hypertension', SCT, '1201005'],
    ['SNOMED CT 429457004 systolic essential hypertension', SCT, '429457004'],
    ['ICD-9-CM 401.9 (an older problem list)', ICD9CM, '401.9'],
    ['ICD-9-CM 403.90 hypertensive CKD', ICD9CM, '403.90'],
  ])('a subtype or an older code system counts without a terminology server: %s', (_, system, code) => {
    expect(htnCheck([condition(system, code)]).status).toBe('recorded-same-stage');
  });

  it('ICD-9-CM codes of other diseases, and 278.02 overweight, do not count', () => {
    expect(htnCheck([condition(ICD9CM, '410.9')]).status).toBe('unknown-to-record');
    const ctx = context([obs('39156-5', 36.5, 'kg/m2', daysAgo(10)), condition(ICD9CM, '278.02')]);
    expect(checkRecorded(evaluateObesity(ctx), ctx).status).toBe('unknown-to-record');
    const obese = context([obs('39156-5', 36.5, 'kg/m2', daysAgo(10)), condition(ICD9CM, '278.00')]);
    expect(checkRecorded(evaluateObesity(obese), obese).status).toBe('recorded-same-stage');
  });

  it.each([
    ['free text only', { resourceType: 'Condition', id: 'c-text', clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, code: { text: 'HTN' }, subject: { reference: 'Patient/p1' } }, '"HTN" (Condition/c-text)'],
    [
      'a local code with a display',
      { resourceType: 'Condition', id: 'c-local', code: { coding: [{ system: 'urn:oid:1.2.3.4', code: '401.9-L', display: 'Essential hypertension' }] }, subject: { reference: 'Patient/p1' } },
      '"Essential hypertension" (Condition/c-local)',
    ],
  ])('an entry Cairn cannot read as hypertension but whose words name it is pointed out, not counted (%s)', (_, entry, quoted) => {
    const r = htnCheck([entry as Json]);
    expect(r.status).toBe('unknown-to-record');
    expect(r.reason).toBe(`no active hypertension coded as such on the record; it holds ${quoted}, not in Cairn's code lists: check it`);
  });

  it('an unrelated uncoded entry is not pointed out', () => {
    const entry = { resourceType: 'Condition', id: 'c-asthma', code: { text: 'Asthma' }, subject: { reference: 'Patient/p1' } };
    expect(htnCheck([entry]).reason).toBe('no active hypertension on the record');
  });

  it('an encounter diagnosis counts as well as a problem-list item', () => {
    expect(htnCheck([condition(ICD10CM, 'I10', { category: 'encounter-diagnosis' })]).status).toBe('recorded-same-stage');
  });

  it('entered-in-error is not counted', () => {
    expect(htnCheck([condition(SCT, '38341003', { verification: 'entered-in-error' })]).status).toBe('unknown-to-record');
  });

  it('refuted is not counted', () => {
    expect(htnCheck([condition(SCT, '38341003', { verification: 'refuted' })]).status).toBe('unknown-to-record');
  });

  it('resolved or inactive is not counted: the data show it again', () => {
    expect(htnCheck([condition(SCT, '38341003', { clinical: 'resolved', abatement: daysAgo(500) })]).status).toBe('unknown-to-record');
    expect(htnCheck([condition(SCT, '38341003', { clinical: 'inactive' })]).status).toBe('unknown-to-record');
  });

  it('a provisional or differential diagnosis counts: the clinician is considering it', () => {
    expect(htnCheck([condition(SCT, '38341003', { verification: 'provisional' })]).status).toBe('recorded-same-stage');
    expect(htnCheck([condition(SCT, '38341003', { verification: 'differential' })]).status).toBe('recorded-same-stage');
  });

  it('a condition without clinical status is on the record and counts', () => {
    const c = condition(SCT, '38341003');
    delete c['clinicalStatus'];
    expect(htnCheck([c]).status).toBe('recorded-same-stage');
  });

  it('an unrelated condition does not count', () => {
    expect(htnCheck([condition(SCT, '44054006')]).status).toBe('unknown-to-record');
  });

  it('diabetes with complications (E11.22) records diabetes and supersedes prediabetes', () => {
    const ctx = context([obs('4548-4', 6.1, '%', daysAgo(10)), condition(ICD10CM, 'E11.22')]);
    const f = evaluatePrediabetes(ctx);
    expect(f.status).toBe('met');
    const r = checkRecorded(f, ctx);
    expect(r.status).toBe('recorded-same-stage');
    expect(r.reason).toContain('supersedes prediabetes');
  });
});

describe('stage on the record versus stage in the data', () => {
  const ckdData = (egfr: number) => [
    obs('62238-1', egfr, 'mL/min/{1.73_m2}', daysAgo(150)),
    obs('62238-1', egfr, 'mL/min/{1.73_m2}', daysAgo(5)),
    obs('9318-7', 10, 'mg/g', daysAgo(5)),
  ];
  const ckdCheck = (egfr: number, recorded: Json[]) => {
    const ctx = context([...ckdData(egfr), ...recorded]);
    const f = evaluateCkd(ctx);
    expect(f.status).toBe('met');
    return checkRecorded(f, ctx);
  };

  it('SNOMED CKD stage 3 recorded, data G3a: same stage', () => {
    const r = ckdCheck(50, [condition(SCT, '433144002')]);
    expect(r).toMatchObject({ status: 'recorded-same-stage', recordedStage: '3', dataStage: '3a' });
  });

  it('ICD-10-CM N18.31 (3a) recorded, data G4: different stage', () => {
    const r = ckdCheck(25, [condition(ICD10CM, 'N18.31', { id: 'ckd3a' })]);
    expect(r).toMatchObject({ status: 'recorded-different-stage', recordedStage: '3a', dataStage: '4' });
    expect(r.reason).toBe('recorded as stage 3a (Condition/ckd3a); the data show 4');
  });

  it('SNOMED CKD stage 3B (700378005 / 700379002, not in cairn-ckd) is still recognised', () => {
    expect(ckdCheck(40, [condition(SCT, '700379002')]).status).toBe('recorded-same-stage');
    expect(ckdCheck(40, [condition(SCT, '700378005')]).status).toBe('recorded-different-stage');
  });

  it('the most recently recorded stage is the clinician\'s current view', () => {
    const r = ckdCheck(25, [
      condition(SCT, '433144002', { onset: daysAgo(900), recordedDate: daysAgo(900) }),
      condition(SCT, '431857002', { onset: daysAgo(100), recordedDate: daysAgo(100) }),
    ]);
    expect(r).toMatchObject({ status: 'recorded-same-stage', recordedStage: '4' });
  });

  it('CKD recorded without a stage: recorded (nothing contradicts the data)', () => {
    expect(ckdCheck(25, [condition(SCT, '709044004')]).status).toBe('recorded-same-stage');
  });

  it('obesity class 1 recorded (E66.811), data class 2: different stage', () => {
    const ctx = context([obs('39156-5', 36.5, 'kg/m2', daysAgo(10)), condition(ICD10CM, 'E66.811')]);
    expect(checkRecorded(evaluateObesity(ctx), ctx)).toMatchObject({ status: 'recorded-different-stage', recordedStage: 'class 1', dataStage: 'class 2' });
  });

  it('obesity recorded as BMI Z68.41 (40–44.9), data class 3: same stage', () => {
    const ctx = context([obs('39156-5', 41, 'kg/m2', daysAgo(10)), condition(ICD10CM, 'Z68.41')]);
    expect(checkRecorded(evaluateObesity(ctx), ctx).status).toBe('recorded-same-stage');
  });
});

describe('evaluateCriteria', () => {
  it('returns one finding per condition in a fixed order, each with a citation', () => {
    const findings = evaluateCriteria(context([]));
    expect(findings.map((f) => f.condition)).toEqual([...CONDITION_KEYS]);
    for (const f of findings) {
      expect(f.guideline.id).toMatch(/^(summary-|who-)/);
      expect(f.summary.length).toBeGreaterThan(0);
      expect(['met', 'not-met', 'not-enough-data']).toContain(f.status);
    }
  });

  it('an empty record never meets a criterion', () => {
    expect(evaluateCriteria(context([])).filter((f) => f.status === 'met')).toEqual([]);
  });

  it('a record with data yields the matching findings', () => {
    const findings = evaluateCriteria(context([...hypertensiveData(), obs('4548-4', 6.0, '%', daysAgo(10))]));
    const byKey = Object.fromEntries(findings.map((f) => [f.condition, f.status]));
    expect(byKey).toMatchObject({ hypertension: 'met', diabetes: 'not-met', prediabetes: 'met' });
  });
});
