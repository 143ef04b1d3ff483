/**
 * eGFR from creatinine (CKD-EPI 2021) where the laboratory reported none, and how the CKD
 * criterion uses it: the same KDIGO run and stages, the card saying which values were computed.
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateCkd } from '../../src/services/diagnosis/criteria/ckd.js';
import { ckdEpi2021 } from '../../src/services/diagnosis/criteria/egfr-from-creatinine.js';
import { context, daysAgo, obs, patient } from './diagnosis-fixtures.js';

const creatinine = (mgDl: number, when: string) => obs('2160-0', mgDl, 'mg/dL', when);
const egfr = (value: number, when: string) => obs('62238-1', value, 'mL/min/{1.73_m2}', when);
const normalAcr = () => obs('9318-7', 10, 'mg/g', daysAgo(5));

describe('ckdEpi2021', () => {
  it.each([
    // Worked by hand from the published equation (Inker et al. 2021), rounded as laboratories report.
    [1.0, 50, 'male', 92],
    [0.8, 60, 'female', 84],
    [1.2, 55, 'female', 53],
    [0.6, 40, 'female', 116], // below κ: the α branch
    [2.0, 70, 'male', 35],
  ] as const)('creatinine %d mg/dL, age %d, %s → %d', (scr, age, sex, expected) => {
    expect(Math.round(ckdEpi2021(scr, age, sex))).toBe(expected);
  });

  it('falls with creatinine and with age', () => {
    expect(ckdEpi2021(1.5, 50, 'male')).toBeLessThan(ckdEpi2021(1.2, 50, 'male'));
    expect(ckdEpi2021(1.2, 70, 'male')).toBeLessThan(ckdEpi2021(1.2, 50, 'male'));
  });
});

describe('CKD from creatinine alone', () => {
  // The fixtures' patient: female, born 1970-03-04, 55 at the reference time.
  it('establishes CKD from two creatinine results 120 days apart, saying the eGFR was computed', () => {
    const f = evaluateCkd(context([creatinine(1.2, daysAgo(125)), creatinine(1.2, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('met');
    expect(f.stage).toBe('G3a A1');
    const rows = f.evidence.filter((e) => e.note === 'abnormal');
    expect(rows).toHaveLength(2);
    // The age at each result: 54 before her birthday in March, 55 after.
    expect(rows.map((r) => r.label)).toEqual(['eGFR (CKD-EPI 2021, from creatinine 1.20 mg/dL, age 54, female)', 'eGFR (CKD-EPI 2021, from creatinine 1.20 mg/dL, age 55, female)']);
    expect(rows[0]?.source).toMatch(/^Observation\//);
    // Computed, not converted: no "recorded" value (the creatinine is named in the label).
    expect(rows.every((r) => r.recorded === undefined)).toBe(true);
    expect(f.notes).toContain('2 eGFR values were computed from creatinine by CKD-EPI 2021 (KDIGO 2024 Rec. 1.2.4.1), where the laboratory reported none');
  });

  it('a reported eGFR taken with the creatinine wins over the computed one', () => {
    const f = evaluateCkd(context([creatinine(1.2, daysAgo(125)), egfr(75, daysAgo(125)), creatinine(1.2, daysAgo(5)), egfr(72, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('not-met');
    expect(f.notes.join(' ')).not.toMatch(/computed from creatinine/);
  });

  it('a normal computed eGFR after a run of reported low ones ends the run', () => {
    const f = evaluateCkd(context([egfr(50, daysAgo(300)), egfr(52, daysAgo(150)), creatinine(0.8, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('not-met');
  });

  it.each([
    ['sex not recorded', patient({ gender: undefined })],
    ['sex other', patient({ gender: 'other' })],
    ['a child (the equation is for adults)', patient({ birthDate: '2012-01-01' })],
  ])('computes nothing for %s', (_, who) => {
    const f = evaluateCkd(context([who, creatinine(1.2, daysAgo(125)), creatinine(1.2, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toMatch(/no eGFR/);
  });

  it('computes nothing from a creatinine above 20 mg/dL: µmol/L charted as mg/dL would read as CKD G5', () => {
    const f = evaluateCkd(context([creatinine(88, daysAgo(125)), creatinine(92, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toMatch(/no eGFR/);
    // At 20 mg/dL every adult is already far inside G5: the bound hides no stage.
    expect(ckdEpi2021(20, 18, 'female')).toBeLessThan(5);
  });

  it('takes the youngest possible age when only the birth year is known (the higher eGFR)', () => {
    const f = evaluateCkd(context([patient({ birthDate: '1970' }), creatinine(1.2, daysAgo(125)), creatinine(1.2, daysAgo(5)), normalAcr()]));
    // Born in 1970: on 2025-05-27 she may still be 54 (a December birthday), so 54 is used.
    expect(f.evidence.filter((e) => e.note === 'abnormal').at(-1)?.label).toBe('eGFR (CKD-EPI 2021, from creatinine 1.20 mg/dL, age 54, female)');
  });
});
