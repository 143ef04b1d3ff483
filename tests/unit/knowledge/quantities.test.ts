/**
 * Quantity-aware matching: the values a query names, the ranges a passage states, and whether a
 * passage's ranges contradict a value (the demotion the hybrid retriever applies).
 */
import { describe, expect, it } from '@jest/globals';
import { measuredValues, quantityConflicts, quantityMatches, statedRanges } from '../../../src/knowledge/quantities.js';

describe('measuredValues: what a query or record line names', () => {
  it.each([
    ['BMI 36.4 — which obesity class', [{ analyte: 'bmi', value: 36.4 }]],
    ['58 yo M, mean BP 152/96 over 3 visits', [{ analyte: 'sbp', value: 152, unit: 'mmhg' }, { analyte: 'dbp', value: 96, unit: 'mmhg' }, { analyte: 'age', value: 58, unit: 'years' }]],
    ['HbA1c 6.8% and fasting glucose 131 mg/dL', [{ analyte: 'hba1c', value: 6.8, unit: '%' }, { analyte: 'glucose', value: 131, unit: 'mg/dl' }]],
    ['75 g OGTT 2-hour value 214 mg/dL', [{ analyte: 'glucose', value: 214, unit: 'mg/dl' }]],
    ['spot urine albumin/creatinine 80 mg/g once', [{ analyte: 'acr', value: 80, unit: 'mg/g' }]],
    ['urine output 0.25 mL/kg/h for 24 hours', [{ analyte: 'urine-output', value: 0.25, unit: 'ml/kg/h' }]],
    ['18 month old, temp 39.5', [{ analyte: 'age', value: 1.5, unit: 'years' }, { analyte: 'temperature', value: 39.5 }]],
    ['10-yr ASCVD risk 6%', [{ analyte: 'ascvd-risk', value: 6, unit: '%' }]],
  ])('%s', (query, expected) => {
    expect(measuredValues(query)).toEqual(expected);
  });

  it.each([
    ['pain 10/10 eating chips', [{ analyte: 'pain', value: 10 }]],
    ['BMI 1200 (a typo)', []],
    ['SpO2 140%', []],
    ['no numbers about blood pressure at all', []],
    ['recheck in 3 to 6 months', []],
  ])('keeps only plausible measurements: %s', (query, expected) => {
    expect(measuredValues(query)).toEqual(expected);
  });
});

describe('statedRanges: what a passage says', () => {
  const one = (text: string) => statedRanges(text).map(({ analyte, low, high, lowInclusive, highInclusive, unit }) => ({ analyte, low, high, lowInclusive, highInclusive, unit }));

  it.each([
    ['BMI from 35.0 up to 39.9 kg/m².', { analyte: 'bmi', low: 35, high: 39.9, lowInclusive: true, highInclusive: true, unit: 'kg/m²' }],
    ['Average SBP between 120 and 129 mm Hg.', { analyte: 'sbp', low: 120, high: 129, lowInclusive: true, highInclusive: true, unit: 'mmhg' }],
    ['Fasting plasma glucose (FPG) of 126 mg/dL (7.0 mmol/L) or higher.', { analyte: 'glucose', low: 126, high: Infinity, lowInclusive: true, highInclusive: true, unit: 'mg/dl' }],
    ['urine output under 0.3 mL/kg/h for 24 hours', { analyte: 'urine-output', low: -Infinity, high: 0.3, lowInclusive: true, highInclusive: false, unit: 'ml/kg/h' }],
    ['a respiratory rate above 20', { analyte: 'respiratory-rate', low: 20, high: Infinity, lowInclusive: false, highInclusive: true, unit: undefined }],
    ['HbA1c at least 6.5%', { analyte: 'hba1c', low: 6.5, high: Infinity, lowInclusive: true, highInclusive: true, unit: '%' }],
    ['systolic blood pressure of 100 mmHg or less', { analyte: 'sbp', low: -Infinity, high: 100, lowInclusive: true, highInclusive: true, unit: 'mmhg' }],
  ])('%s', (text, expected) => {
    expect(one(text)).toEqual([expected]);
  });

  it('binds each range to the analyte named before it in the same sentence', () => {
    const ranges = one('Average SBP 130 to 139 mm Hg, or DBP 80 to 89 mm Hg. Recheck in 3 to 6 months.');
    expect(ranges.map((r) => [r.analyte, r.low, r.high])).toEqual([
      ['sbp', 130, 139],
      ['dbp', 80, 89],
    ]);
  });

  it('reads a markdown table column whose header names the analyte', () => {
    const table = ['| Category | GFR (mL/min/1.73 m²) | Description |', '|---|---|---|', '| G3a | 45 to 59 | mildly to moderately decreased |', '| G5 | below 15 | kidney failure |'].join('\n');
    expect(one(table).map((r) => [r.analyte, r.low, r.high])).toEqual([
      ['egfr', 45, 59],
      ['egfr', -Infinity, 15],
    ]);
  });

  it('states nothing for numbers that belong to no analyte', () => {
    expect(statedRanges('Screen every 3 to 5 years; 2 or more risk factors.')).toEqual([]);
  });
});

describe('matches and conflicts', () => {
  const class1 = 'BMI from 30.0 up to 34.9 kg/m².';
  const class2 = 'BMI from 35.0 up to 39.9 kg/m².';
  const fpg = 'Fasting plasma glucose (FPG) of 126 mg/dL (7.0 mmol/L) or higher.';

  it('a value inside a stated range matches; one outside every stated range conflicts', () => {
    const bmi = measuredValues('BMI 36.4');
    expect(quantityMatches(bmi, class2)).toBe(1);
    expect(quantityConflicts(bmi, class2)).toBe(0);
    expect(quantityMatches(bmi, class1)).toBe(0);
    expect(quantityConflicts(bmi, class1)).toBe(1);
  });

  it('checks both ends of the range (just below, at and above a threshold)', () => {
    expect(quantityConflicts(measuredValues('FPG 125 mg/dL'), fpg)).toBe(1);
    expect(quantityConflicts(measuredValues('FPG 126 mg/dL'), fpg)).toBe(0);
    expect(quantityConflicts(measuredValues('FPG 127 mg/dL'), fpg)).toBe(0);
    expect(quantityConflicts(measuredValues('urine output 0.3 mL/kg/h'), 'urine output under 0.3 mL/kg/h')).toBe(1);
  });

  it('does not compare values in different units, and says nothing of analytes the passage does not state', () => {
    expect(quantityConflicts(measuredValues('glucose 6.1 mmol/L'), fpg)).toBe(0);
    expect(quantityMatches(measuredValues('glucose 7.4 mmol/L'), fpg)).toBe(0);
    expect(quantityConflicts(measuredValues('eGFR 38'), class1)).toBe(0);
  });

  it('compares ages stated in months or days with a query age in years', () => {
    expect(quantityMatches(measuredValues('3 week old infant'), 'Infants aged 1 to 28 days with fever')).toBe(1);
    expect(quantityConflicts(measuredValues('18 month old'), 'children aged 1 to 3 months')).toBe(1);
  });
});
