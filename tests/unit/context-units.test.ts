import { describe, expect, it } from '@jest/globals';
import { buildPatientContext, latest } from '../../src/fhir/context/index.js';
import type { QuantityKey } from '../../src/fhir/context/index.js';
import { QUANTITIES, convertToCanonical, displayQuantity, displayUnit, normaliseUnit } from '../../src/fhir/context/units.js';
import { QUANTITY_KEYS } from '../../src/fhir/context/types.js';

const UCUM = 'http://unitsofmeasure.org';

/** [quantity, value, recorded unit, expected canonical value, decimal places compared] */
type Row = [QuantityKey, number, string, number, number];

const CONVERSIONS: Row[] = [
  // glucose: mmol/L × 18.016 (180.16 g/mol)
  ['randomGlucose', 7.0, 'mmol/L', 126.1, 1],
  ['randomGlucose', 126, 'mg/dL', 126, 6],
  ['randomGlucose', 11.1, 'mmol/l', 200.0, 0],
  ['fastingGlucose', 5.6, 'mmol/L', 100.9, 1],
  // HbA1c: IFCC mmol/mol → NGSP % by the master equation; % unchanged
  ['hba1c', 53, 'mmol/mol', 7.0, 2],
  ['hba1c', 48, 'mmol/mol', 6.54, 2],
  ['hba1c', 42, 'mmol/mol', 5.99, 2],
  ['hba1c', 6.5, '%', 6.5, 6],
  ['hba1c', 7.1, '%{HbA1c}', 7.1, 6],
  // creatinine: µmol/L ÷ 88.4 (113.12 g/mol)
  ['creatinine', 88.42, 'umol/L', 1.0, 2],
  ['creatinine', 88.42, 'µmol/L', 1.0, 2],
  ['creatinine', 176.8, 'μmol/L', 2.0, 2],
  ['creatinine', 1.2, 'mg/dL', 1.2, 6],
  // temperature
  ['temperature', 98.6, '[degF]', 37, 6],
  ['temperature', 98.6, 'degF', 37, 6],
  ['temperature', 98.6, '°F', 37, 6],
  ['temperature', 98.6, 'F', 37, 6],
  ['temperature', 37.5, 'Cel', 37.5, 6],
  ['temperature', 37.5, '°C', 37.5, 6],
  ['temperature', 37.5, 'C', 37.5, 6],
  ['temperature', 310.15, 'K', 37, 6],
  // weight and height
  ['bodyWeight', 154, '[lb_av]', 69.85, 2],
  ['bodyWeight', 154, 'lbs', 69.85, 2],
  ['bodyWeight', 3500, 'g', 3.5, 6],
  ['bodyWeight', 70, 'kg', 70, 6],
  ['bodyHeight', 70, '[in_i]', 177.8, 6],
  ['bodyHeight', 70, 'in', 177.8, 6],
  ['bodyHeight', 1.75, 'm', 175, 6],
  ['bmi', 25, 'kg/m2', 25, 6],
  ['bmi', 25, 'kg/m²', 25, 6],
  // blood pressure, rates, saturation
  ['systolicBP', 120, 'mm[Hg]', 120, 6],
  ['systolicBP', 120, 'mmHg', 120, 6],
  ['diastolicBP', 80, 'mm Hg', 80, 6],
  ['systolicBP', 16, 'kPa', 120.0, 1],
  ['heartRate', 72, '/min', 72, 6],
  ['heartRate', 72, 'beats/min', 72, 6],
  ['heartRate', 72, '{beats}/min', 72, 6],
  ['heartRate', 72, 'bpm', 72, 6],
  ['respiratoryRate', 16, '{breaths}/min', 16, 6],
  ['respiratoryRate', 16, 'breaths/min', 16, 6],
  ['spo2', 97, '%', 97, 6],
  ['spo2', 0.97, '1', 97, 6], // a fraction, UCUM dimensionless
  ['inspiredOxygenFraction', 40, '%', 40, 6],
  ['inspiredOxygenFraction', 0.4, '1', 40, 6],
  ['oxygenFlowRate', 2, 'L/min', 2, 6],
  ['oxygenFlowRate', 2, 'lpm', 2, 6],
  ['gcs', 14, '{score}', 14, 6],
  // haemoglobin: g/L ÷ 10; mmol/L (Hb monomer) × 1.611
  ['haemoglobin', 130, 'g/L', 13, 6],
  ['haemoglobin', 8.0, 'mmol/L', 12.89, 2],
  ['haemoglobin', 13.5, 'g/dL', 13.5, 6],
  // cholesterol: mmol/L × 38.67
  ['totalCholesterol', 5.0, 'mmol/L', 193.3, 1],
  ['ldl', 2.6, 'mmol/L', 100.5, 1],
  ['ldl', 100, 'mg/dL', 100, 6],
  // electrolytes: mEq/L = mmol/L
  ['potassium', 4.1, 'mEq/L', 4.1, 6],
  ['potassium', 4.1, 'mmol/L', 4.1, 6],
  ['sodium', 140, 'meq/L', 140, 6],
  // counts: 10*9/L = 10*3/uL
  ['wbc', 7.5, '10*9/L', 7.5, 6],
  ['wbc', 7.5, '10^9/L', 7.5, 6],
  ['wbc', 7.5, 'K/uL', 7.5, 6],
  ['wbc', 7500, '/uL', 7.5, 6],
  ['platelets', 250, '10*3/uL', 250, 6],
  ['platelets', 250, 'x10E9/L', 250, 6],
  // lactate: mg/dL ÷ 9.01
  ['lactate', 18, 'mg/dL', 2.0, 1],
  ['lactate', 2.1, 'mmol/L', 2.1, 6],
  // bilirubin: µmol/L ÷ 17.1
  ['bilirubin', 17.1, 'umol/L', 1.0, 2],
  ['bilirubin', 0.8, 'mg/dL', 0.8, 6],
  // eGFR
  ['egfr', 60, 'mL/min/{1.73_m2}', 60, 6],
  ['egfr', 60, 'mL/min/1.73m2', 60, 6],
  ['egfr', 60, 'ml/min/1.73 m2', 60, 6],
  ['egfr', 1, 'mL/s/{1.73_m2}', 60, 6],
  ['egfr', 60, 'mL/min', 60, 6],
  // urine albumin/creatinine ratio: mg/mmol × 8.84
  ['uacr', 3, 'mg/mmol', 26.5, 1],
  ['uacr', 30, 'mg/g', 30, 6],
  ['uacr', 30, 'ug/mg', 30, 6],
  // troponin: ng/mL × 1000 = ng/L; pg/mL = ng/L
  ['troponinI', 0.04, 'ng/mL', 40, 6],
  ['troponinT', 14, 'pg/mL', 14, 6],
  ['troponinT', 14, 'ng/L', 14, 6],
];

describe('unit conversion to the canonical unit', () => {
  it.each(CONVERSIONS)('%s: %p %s → %p', (quantity, value, unit, expected, digits) => {
    const r = convertToCanonical(quantity, value, { unit });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.unit).toBe(QUANTITIES[quantity].canonicalUnit);
    expect(r.value).toBeCloseTo(expected, digits);
  });

  it('rounds away floating-point noise so a converted value sits exactly on a cut-off', () => {
    // 0.014 ng/mL × 1000 is 14.000000000000002 in binary floating point.
    expect(convertToCanonical('troponinT', 0.014, { unit: 'ng/mL' })).toMatchObject({ ok: true, value: 14 });
    expect(convertToCanonical('troponinT', 0.02, { unit: 'ng/mL' })).toMatchObject({ ok: true, value: 20 });
  });

  it('also converts when only the UCUM code is given', () => {
    const r = convertToCanonical('randomGlucose', 7, { code: 'mmol/L', system: UCUM });
    expect(r).toMatchObject({ ok: true, unit: 'mg/dL' });
    if (r.ok) expect(r.value).toBeCloseTo(126.11, 2);
  });

  it('reads a bare mL/min eGFR as per 1.73 m2 and says so', () => {
    const r = convertToCanonical('egfr', 75, { unit: 'mL/min', code: 'mL/min', system: UCUM });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.notes.join(' ')).toMatch(/1\.73/);
  });

  it('notes the IFCC → NGSP conversion', () => {
    const r = convertToCanonical('hba1c', 53, { unit: 'mmol/mol' });
    expect(r.ok && r.notes.join(' ')).toMatch(/master equation/);
  });

  it('every quantity converts its own canonical unit to itself', () => {
    for (const q of QUANTITY_KEYS) {
      const r = convertToCanonical(q, 5, { code: QUANTITIES[q].canonicalUnit, system: UCUM });
      expect(r).toEqual({ ok: true, value: 5, unit: QUANTITIES[q].canonicalUnit, notes: [] });
    }
  });

  it('accepts a score without a unit, but not a heart rate without one', () => {
    expect(convertToCanonical('gcs', 13, {})).toMatchObject({ ok: true, value: 13 });
    expect(convertToCanonical('heartRate', 72, {})).toEqual({ ok: false, detail: 'no unit recorded' });
  });

  it.each<[QuantityKey, string]>([
    ['temperature', 'K/uL'], // a count unit for a temperature
    ['spo2', '{ratio}'], // dimensionless but not an accepted saturation unit
    ['spo2', '{score}'],
    ['hba1c', 'mg/dL'],
    ['potassium', 'mg/dL'], // mass ↔ substance needs a molar mass we do not define for K+
    ['heartRate', 'beats'],
    ['creatinine', 'constructor'], // ucum-lhc treats Object.prototype names as units
    ['creatinine', '__proto__'],
    ['creatinine', 'toString'],
    ['bodyWeight', 'furlongs'],
    ['systolicBP', 'mL'],
    ['egfr', 'mL/min/1.73.m2/s'],
  ])('refuses %s in %s', (quantity, unit) => {
    const r = convertToCanonical(quantity, 5, { unit });
    expect(r.ok).toBe(false);
  });

  it('refuses a value whose UCUM code and unit text disagree', () => {
    const r = convertToCanonical('randomGlucose', 7, { code: 'mg/dL', unit: 'mmol/L', system: UCUM });
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.detail).toMatch(/disagree/);
  });

  it('accepts a code and text that are spellings of the same unit', () => {
    expect(convertToCanonical('systolicBP', 120, { code: 'mm[Hg]', unit: 'mmHg', system: UCUM })).toMatchObject({ ok: true, value: 120 });
  });

  it('normalises common non-UCUM spellings', () => {
    expect(normaliseUnit('systolicBP', ' mmHg ')).toBe('mm[Hg]');
    expect(normaliseUnit('temperature', 'F')).toBe('[degF]');
    expect(normaliseUnit('wbc', 'x10^3/µL')).toBe('10*3/uL');
    expect(normaliseUnit('egfr', 'mL/min/1.73 m²')).toBe('mL/min/{1.73_m2}');
    // 'F' outside a temperature is left for UCUM (where it is Farad) to refuse
    expect(normaliseUnit('heartRate', 'F')).toBe('F');
  });
});

describe('conversion inside the builder keeps the original value and unit', () => {
  it('glucose recorded in mmol/L is stored in mg/dL with the original kept', () => {
    const ctx = buildPatientContext({
      referenceTime: new Date('2024-06-01T00:00:00Z'),
      resources: [
        {
          resourceType: 'Observation',
          id: 'glu',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '14749-6' }] },
          effectiveDateTime: '2024-05-01T08:00:00Z',
          valueQuantity: { value: 7.0, unit: 'mmol/L', system: UCUM, code: 'mmol/L' },
        },
      ],
    });
    const r = latest(ctx.labs.randomGlucose);
    expect(r?.value).toBeCloseTo(126.1, 1);
    expect(r?.unit).toBe('mg/dL');
    expect(r?.original).toEqual({ value: 7.0, unit: 'mmol/L', code: 'mmol/L', system: UCUM });
    expect(r?.source).toBe('Observation/glu');
  });
});

describe('display units: UCUM codes as a clinician reads them on a card', () => {
  it.each([
    ['mm[Hg]', 'mmHg'],
    ['Cel', '°C'],
    ['[degF]', '°F'],
    ['%', '%'],
    ['/min', '/min'],
    ['kg/m2', 'kg/m²'],
    ['mL/min/{1.73_m2}', 'mL/min/1.73 m²'],
    ['mg/dL', 'mg/dL'],
    ['umol/L', 'µmol/L'],
    ['10*3/uL', '×10³/µL'],
    ['10*9/L', '×10⁹/L'],
    ['meq/L', 'mEq/L'],
    ['d', 'days'],
    ['{score}', ''],
    // Not in the table: UCUM's notation taken away, never shown raw.
    ['{cells}/uL', 'cells/µL'],
    ['mg/g{creat}', 'mg/g'],
    ['%{HbA1c}', '%'],
    ['[IU]/L', 'IU/L'],
    ['ug/dL', 'µg/dL'],
    ['10*6/mL', '×10⁶/mL'],
    ['mL/s/{1.73_m2}', 'mL/s/1.73 m²'],
    ['mL/min/{1.73_m2}{calc}', 'mL/min/1.73 m²'],
  ])('%s → "%s"', (code, shown) => {
    expect(displayUnit(code)).toBe(shown);
  });

  it('shows every canonical unit without brackets, braces or UCUM exponents', () => {
    for (const q of Object.values(QUANTITIES)) expect(displayUnit(q.canonicalUnit)).not.toMatch(/[[\]{}]|10\*/);
  });

  it.each([
    ['88', 'mm[Hg]', '88 mmHg'],
    ['39.4', 'Cel', '39.4 °C'],
    ['30', '/min', '30/min'],
    ['88', '%', '88%'],
    ['114', 'd', '114 days'],
    ['1', 'd', '1 day'],
    ['15', '{score}', '15'],
    ['Pneumonia', undefined, 'Pneumonia'],
  ])('%s %s → "%s"', (value, code, shown) => {
    expect(displayQuantity(value, code)).toBe(shown);
  });
});
