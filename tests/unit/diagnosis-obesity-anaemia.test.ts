/**
 * Obesity class from BMI (WHO / CDC adult categories, age ≥20) and anaemia from haemoglobin (WHO
 * 2024 cut-offs by age, sex and pregnancy; WHO 2011 severity).
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateAnaemia } from '../../src/services/diagnosis/criteria/anaemia.js';
import { evaluateObesity } from '../../src/services/diagnosis/criteria/obesity.js';
import { SCT, condition, context, daysAgo, obs, patient } from './diagnosis-fixtures.js';

const bmi = (value: number, when: string) => obs('39156-5', value, 'kg/m2', when);
const weight = (value: number, unit: string, when: string) => obs('29463-7', value, unit, when);
const height = (value: number, unit: string, when: string) => obs('8302-2', value, unit, when);
const hb = (value: number, when: string, unit = 'g/dL') => obs('718-7', value, unit, when);

describe('obesity: BMI classes at the cut-points', () => {
  it.each([
    [18.4, 'not-met', 'underweight'],
    [18.5, 'not-met', 'healthy weight'],
    [24.9, 'not-met', 'healthy weight'],
    [25.0, 'not-met', 'overweight'],
    [29.9, 'not-met', 'overweight'],
    [30.0, 'met', 'class 1'],
    [34.9, 'met', 'class 1'],
    [35.0, 'met', 'class 2'],
    [39.9, 'met', 'class 2'],
    [40.0, 'met', 'class 3'],
  ] as const)('BMI %d → %s (%s)', (value, status, stage) => {
    const f = evaluateObesity(context([bmi(value, daysAgo(30))]));
    expect(f.status).toBe(status);
    expect(f.stage).toBe(stage);
  });

  it('codes the class in ICD-10-CM (E66.811–E66.813)', () => {
    expect(evaluateObesity(context([bmi(36, daysAgo(30))])).code.icd10?.code).toBe('E66.812');
  });

  it('computes BMI from weight and height measured close in time, in any unit', () => {
    // 209.4 lb = 94.98 kg; 67 in = 170.18 cm → 32.8 kg/m²
    const f = evaluateObesity(context([weight(209.4, '[lb_av]', daysAgo(20)), height(67, '[in_i]', daysAgo(200))]));
    expect(f.status).toBe('met');
    expect(f.stage).toBe('class 1');
    expect(f.summary).toMatch(/^BMI 32\.8 kg\/m² \(from weight and height\)/);
    expect(f.evidence.map((e) => e.label)).toEqual(['Body weight', 'Body height', 'BMI (weight / height²)']);
  });

  it('a height more than a year from the weight is not paired', () => {
    const f = evaluateObesity(context([weight(95, 'kg', daysAgo(20)), height(170, 'cm', daysAgo(500))]));
    expect(f.status).toBe('not-enough-data');
  });

  it('the most recent of recorded and computed BMI is used', () => {
    const f = evaluateObesity(context([bmi(31, daysAgo(300)), weight(70, 'kg', daysAgo(10)), height(170, 'cm', daysAgo(10))]));
    expect(f.status).toBe('not-met');
    expect(f.stage).toBe('healthy weight');
  });

  it('stale: a BMI older than 24 months gives not enough data', () => {
    expect(evaluateObesity(context([bmi(36, daysAgo(800))])).status).toBe('not-enough-data');
  });

  it.each([
    ['2006-06-02', 'not-enough-data'], // 19 on the reference date
    ['2005-06-01', 'met'], // 20 on the reference date
  ])('born %s: %s (adult categories from age 20)', (birthDate, status) => {
    expect(evaluateObesity(context([patient({ birthDate }), bmi(33, daysAgo(1))])).status).toBe(status);
  });

  it('pregnancy: not enough data', () => {
    expect(evaluateObesity(context([condition(SCT, '77386006', { onset: daysAgo(60) }), bmi(33, daysAgo(1))])).status).toBe('not-enough-data');
  });
});

describe('anaemia: WHO cut-offs', () => {
  it.each([
    // [label, patient, Hb g/dL, status, severity]
    ['woman', { gender: 'female' }, 11.9, 'met', 'mild'],
    ['woman', { gender: 'female' }, 12.0, 'not-met', null],
    ['woman', { gender: 'female' }, 10.9, 'met', 'moderate'],
    ['woman', { gender: 'female' }, 8.0, 'met', 'moderate'],
    ['woman', { gender: 'female' }, 7.9, 'met', 'severe'],
    ['man', { gender: 'male' }, 12.9, 'met', 'mild'],
    ['man', { gender: 'male' }, 13.0, 'not-met', null],
    ['sex unknown', { gender: 'unknown' }, 11.9, 'met', 'mild'],
    ['sex unknown', { gender: 'unknown' }, 12.5, 'not-enough-data', null],
    ['sex unknown', { gender: 'unknown' }, 13.0, 'not-met', null],
    ['child 3 years', { birthDate: '2022-01-01' }, 10.9, 'met', null],
    ['child 3 years', { birthDate: '2022-01-01' }, 11.0, 'not-met', null],
    ['child 1 year', { birthDate: '2024-01-01' }, 10.4, 'met', null],
    ['child 1 year', { birthDate: '2024-01-01' }, 10.5, 'not-met', null],
    ['child 8 years', { birthDate: '2017-01-01' }, 11.4, 'met', 'mild'],
    ['child 8 years', { birthDate: '2017-01-01' }, 11.5, 'not-met', null],
    ['boy 13 years', { birthDate: '2012-01-01', gender: 'male' }, 11.9, 'met', 'mild'],
    ['boy 13 years', { birthDate: '2012-01-01', gender: 'male' }, 12.0, 'not-met', null],
    ['infant 3 months', { birthDate: '2025-03-01' }, 9.0, 'not-enough-data', null],
  ] as const)('%s, Hb %d → %s', (_label, who, value, status, severity) => {
    const f = evaluateAnaemia(context([patient(who), hb(value, daysAgo(10))]));
    expect(f.status).toBe(status);
    if (status === 'met') expect(f.stage).toBe(severity);
  });

  it('g/L through the context builder: 119 g/L in a woman is 11.9 g/dL, anaemia', () => {
    const f = evaluateAnaemia(context([hb(119, daysAgo(10), 'g/L')]));
    expect(f.status).toBe('met');
    expect(f.summary).toBe(`haemoglobin 11.9 g/dL on ${daysAgo(10).slice(0, 10)}`);
    expect(f.criterion).toBe('haemoglobin <12.0 g/dL (non-pregnant women (15 years and over))');
  });

  it('pregnancy without a known trimester: <10.5 met, 10.5–10.9 not enough data, 11.0 not met', () => {
    const pregnant = condition(SCT, '77386006', { onset: daysAgo(100) });
    expect(evaluateAnaemia(context([pregnant, hb(10.4, daysAgo(2))])).status).toBe('met');
    expect(evaluateAnaemia(context([pregnant, hb(10.7, daysAgo(2))])).status).toBe('not-enough-data');
    expect(evaluateAnaemia(context([pregnant, hb(11.0, daysAgo(2))])).status).toBe('not-met');
    expect(evaluateAnaemia(context([pregnant, hb(6.9, daysAgo(2))])).stage).toBe('severe');
  });

  it('notes the non-pregnant assumption for a woman of reproductive age without a pregnancy record', () => {
    const f = evaluateAnaemia(context([patient({ birthDate: '1995-01-01' }), hb(11.5, daysAgo(2))]));
    expect(f.notes.join(' ')).toContain('pregnancy status not recorded');
  });

  it('stale: the latest haemoglobin older than 12 months gives not enough data', () => {
    const f = evaluateAnaemia(context([hb(9.0, daysAgo(400))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('no haemoglobin in the last 12 months');
  });

  it('uses the latest haemoglobin, not the lowest', () => {
    expect(evaluateAnaemia(context([hb(9.0, daysAgo(100)), hb(12.5, daysAgo(5))])).status).toBe('not-met');
  });
});
