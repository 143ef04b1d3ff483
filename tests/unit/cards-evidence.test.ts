/**
 * How a card writes one reading: units as clinicians write them, and a value Cairn converted shown
 * beside the value as recorded (to three significant figures, not the conversion's float noise).
 */
import { describe, expect, it } from '@jest/globals';
import { excludedReadingsNote, readingText, recordedIfConverted } from '../../src/cards/evidence.js';

describe('readingText', () => {
  it.each([
    [{ label: 'Systolic blood pressure', value: 88, unit: 'mm[Hg]' }, 'Systolic blood pressure 88 mmHg'],
    [{ label: 'SpO2', value: 88, unit: '%' }, 'SpO2 88%'],
    [{ label: 'Pulse', value: undefined }, 'Pulse not recorded'],
    [{ label: 'Temperature', value: 39.444444, unit: 'Cel', recorded: { value: 103, unit: '[degF]' } }, 'Temperature 39.4 °C (recorded 103 °F)'],
    [{ label: 'HbA1c', value: 7.0921, unit: '%', recorded: { value: 54, unit: 'mmol/mol' } }, 'HbA1c 7.09% (recorded 54 mmol/mol)'],
    [{ label: 'Fasting plasma glucose', value: 135.13, unit: 'mg/dL', recorded: { value: 7.5, unit: 'mmol/L' } }, 'Fasting plasma glucose 135 mg/dL (recorded 7.5 mmol/L)'],
    [{ label: 'Creatinine', value: 1.6968, unit: 'mg/dL', recorded: { value: 150, unit: 'umol/L' } }, 'Creatinine 1.7 mg/dL (recorded 150 µmol/L)'],
  ] as const)('%j → %s', (row, text) => {
    expect(readingText(row)).toBe(text);
  });
});

describe('recordedIfConverted', () => {
  it('gives the recorded value and unit only when the number changed', () => {
    expect(recordedIfConverted({ value: 39.444, original: { value: 103, unit: 'F', code: '[degF]' } })).toEqual({ value: 103, unit: '[degF]' });
    expect(recordedIfConverted({ value: 120, original: { value: 120, unit: 'mmHg', code: null } })).toBeUndefined();
    expect(recordedIfConverted({ value: 7.5, original: { value: 7.5, unit: 'mmol/L', code: 'mmol/L' } })).toBeUndefined();
    // A unit text without a code still names what was recorded.
    expect(recordedIfConverted({ value: 37, original: { value: 98.6, unit: 'degF', code: null } })).toEqual({ value: 98.6, unit: 'degF' });
  });
});

describe('excludedReadingsNote', () => {
  const exclusion = (quantity: 'systolicBP' | 'hba1c', value: number | undefined, unit: string | undefined, effective: string, reason: 'implausible-value' | 'unknown-unit' | 'missing-value') => ({
    source: 'Observation/x',
    reason,
    reading: { quantity, effective, effectiveTime: Date.parse(effective), ...(value !== undefined && { value }), ...(unit !== undefined && { unit }) },
  });

  it('names the excluded readings of the quantities asked for, newest first, with why', () => {
    const note = excludedReadingsNote(
      [
        exclusion('systolicBP', 400, 'mm[Hg]', '2026-08-15T11:20:00Z', 'implausible-value'),
        exclusion('hba1c', 7, 'furlongs', '2026-09-01T08:00:00Z', 'unknown-unit'),
        exclusion('systolicBP', undefined, undefined, '2026-10-01T09:00:00Z', 'missing-value'),
        { source: 'Observation/y', reason: 'entered-in-error' as const },
      ],
      ['systolicBP', 'diastolicBP'],
    );
    expect(note).toBe('recorded but not used: Systolic blood pressure on 2026-10-01 09:00 UTC (no value); Systolic blood pressure 400 mmHg on 2026-08-15 11:20 UTC (implausible)');
  });

  it('counts past the first three, and says nothing when nothing was excluded', () => {
    const many = [1, 2, 3, 4, 5].map((d) => exclusion('hba1c', 70 + d, '%', `2026-0${d}-01T00:00:00Z`, 'implausible-value'));
    expect(excludedReadingsNote(many, ['hba1c'])).toMatch(/^recorded but not used: HbA1c.*75%.*; .*; .*, and 2 more$/);
    expect(excludedReadingsNote(many, ['systolicBP'])).toBeUndefined();
  });
});
