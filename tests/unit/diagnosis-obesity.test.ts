/**
 * Obesity class from BMI (WHO / CDC adult categories, age ≥20).
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateObesity } from '../../src/services/diagnosis/criteria/obesity.js';
import { SCT, condition, context, daysAgo, obs, patient } from './diagnosis-fixtures.js';

const bmi = (value: number, when: string) => obs('39156-5', value, 'kg/m2', when);
const weight = (value: number, unit: string, when: string) => obs('29463-7', value, unit, when);
const height = (value: number, unit: string, when: string) => obs('8302-2', value, unit, when);

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
