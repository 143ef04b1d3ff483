/** Reading values against threshold tables: rounding to chart resolution, comparators, oxygen. */
import { describe, expect, it } from '@jest/globals';
import { supplementalOxygenFrom } from '../../src/services/triage/triage-input.js';
import { isAbove, isAtLeast, isAtMost, isBelow, possibleRange, roundTo } from '../../src/services/triage/values.js';
import { reading } from './triage-fixtures.js';

describe('roundTo (half away from zero, free of float noise)', () => {
  it.each([
    [38.05, 0.1, 38.1],
    [38.04, 0.1, 38.0],
    [37.99999999999999, 0.1, 38.0],
    [91.5, 1, 92],
    [91.49, 1, 91],
    [0.005, 0.01, 0.01],
  ])('roundTo(%d, %d) = %d', (v, r, expected) => {
    expect(roundTo(v, r)).toBe(expected);
  });
});

describe('possibleRange for comparators', () => {
  it.each([
    [90, undefined, { low: 90, high: 90 }],
    [90, '<', { low: -Infinity, high: 89 }],
    [90, '<=', { low: -Infinity, high: 90 }],
    [90, '>', { low: 91, high: Infinity }],
    [90, '>=', { low: 90, high: Infinity }],
  ] as const)('%d with %s', (v, cmp, range) => {
    expect(possibleRange(v, cmp, 1)).toEqual(range);
  });
});

describe('threshold predicates say "unknown" when a comparator leaves it open', () => {
  it('"SpO2 < 95" is below 96 but not known to be below 90', () => {
    const e = reading('spo2', 95, { comparator: '<' });
    expect(isBelow(e, 96, 1)).toBe(true);
    expect(isBelow(e, 90, 1)).toBeNull();
  });
  it('plain values are decided', () => {
    const e = reading('respiratoryRate', 22);
    expect(isAtLeast(e, 22, 1)).toBe(true);
    expect(isAbove(e, 22, 1)).toBe(false);
    expect(isAtMost(e, 21, 1)).toBe(false);
  });
});

describe('air or oxygen from FiO2 and flow readings', () => {
  it.each([
    ['FiO2 21 %', reading('inspiredOxygenFraction', 21), null, 'air'],
    ['FiO2 22 %', reading('inspiredOxygenFraction', 22), null, 'oxygen'],
    ['FiO2 "> 21 %"', reading('inspiredOxygenFraction', 21, { comparator: '>' }), null, 'oxygen'],
    ['FiO2 "< 40 %"', reading('inspiredOxygenFraction', 40, { comparator: '<' }), null, 'unknown'],
    ['flow 0', null, reading('oxygenFlowRate', 0), 'air'],
    ['flow 0.5 L/min', null, reading('oxygenFlowRate', 0.5), 'oxygen'],
    ['nothing', null, null, 'unknown'],
  ] as const)('%s → %s', (_label, fio2, flow, status) => {
    expect(supplementalOxygenFrom(fio2, flow).status).toBe(status);
  });

  it('same time, disagreeing: oxygen (the safer reading for NEWS2)', () => {
    const r = supplementalOxygenFrom(reading('inspiredOxygenFraction', 21, { minutesAgo: 5 }), reading('oxygenFlowRate', 2, { minutesAgo: 5 }));
    expect(r).toMatchObject({ status: 'oxygen', evidence: { parameter: 'oxygenFlowRate' } });
  });
});
