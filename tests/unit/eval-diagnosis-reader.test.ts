/**
 * The evaluation's own reading of the guidelines (dev/eval/diagnosis.ts), which decides the "data
 * meet the criteria" subset independently of the criteria code. Prediabetes (ADA 2025 §2) is
 * glucose above normal but below the diabetes criteria, in nonpregnant people: the reader must not
 * count a treated diabetic's HbA1c of 6.1%, nor a result in pregnancy.
 */
import { describe, expect, it } from '@jest/globals';
import { dataMeetCriteria } from '../../dev/eval/diagnosis.js';
import { condition, context, daysAgo, obs, patient, SCT } from './diagnosis-fixtures.js';

const hba1c = (value: number, when: string) => obs('4548-4', value, '%', when);

describe('the prediabetes reader', () => {
  it('an HbA1c of 6.1% in the last 3 years meets it', () => {
    expect(dataMeetCriteria('prediabetes', context([patient(), hba1c(6.1, daysAgo(30))]))).toBe(true);
  });

  it('not with diabetes active on the record (diabetes supersedes prediabetes)', () => {
    expect(dataMeetCriteria('prediabetes', context([patient(), hba1c(6.1, daysAgo(30)), condition(SCT, '44054006')]))).toBe(false);
  });

  it('a resolved diabetes on the record does not stop it', () => {
    const resolved = condition(SCT, '44054006', { clinical: 'resolved', abatement: daysAgo(200) });
    expect(dataMeetCriteria('prediabetes', context([patient(), hba1c(6.1, daysAgo(30)), resolved]))).toBe(true);
  });

  it('not when the data meet the diabetes criteria (two results ≥6.5%), even if the latest is 6.1%', () => {
    const ctx = context([patient(), hba1c(6.8, daysAgo(300)), hba1c(6.9, daysAgo(200)), hba1c(6.1, daysAgo(30))]);
    expect(dataMeetCriteria('diabetes', ctx)).toBe(true);
    expect(dataMeetCriteria('prediabetes', ctx)).toBe(false);
  });

  it('not in a current pregnancy (the ADA criteria are for nonpregnant people)', () => {
    const ctx = context([patient(), hba1c(6.1, daysAgo(30)), condition(SCT, '77386006', { onset: daysAgo(60) })]);
    expect(ctx.pregnancy.status).toBe('pregnant');
    expect(dataMeetCriteria('prediabetes', ctx)).toBe(false);
    expect(dataMeetCriteria('diabetes', context([patient(), hba1c(6.8, daysAgo(40)), hba1c(6.9, daysAgo(30)), condition(SCT, '77386006', { onset: daysAgo(60) })]))).toBe(false);
  });

  it('not from a result older than 3 years', () => {
    expect(dataMeetCriteria('prediabetes', context([patient(), hba1c(6.1, daysAgo(3 * 365 + 10))]))).toBe(false);
  });
});
