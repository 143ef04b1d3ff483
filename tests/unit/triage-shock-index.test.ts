/** Shock index = HR / SBP, elevated at ≥ 1.0 (Allgöwer & Burri 1967), from a same-time pair. */
import { describe, expect, it } from '@jest/globals';
import { SHOCK_INDEX_THRESHOLD, computeShockIndex } from '../../src/services/triage/shock-index.js';
import { age, normalAdult, observations, reading, series } from './triage-fixtures.js';

describe('shock index value and threshold', () => {
  it.each([
    [60, 120, 0.5, false],
    [99, 100, 0.99, false],
    [100, 100, 1.0, true],
    [101, 100, 1.01, true],
    [120, 80, 1.5, true],
  ])('HR %d / SBP %d = %d, elevated %s', (hr, sbp, value, elevated) => {
    const r = computeShockIndex(normalAdult({ heartRate: hr, systolicBP: sbp }));
    expect(r.status).toBe('computed');
    expect(r.value).toBeCloseTo(value, 10);
    expect(r.elevated).toBe(elevated);
    expect(r.threshold).toBe(SHOCK_INDEX_THRESHOLD);
  });

  it('returns the pair used, with the time between them', () => {
    const hr = reading('heartRate', 110, { minutesAgo: 12 });
    const sbp = reading('systolicBP', 100, { minutesAgo: 10 });
    const r = computeShockIndex(normalAdult({ heartRate: hr, systolicBP: sbp }));
    if (r.status !== 'computed') throw new Error('expected computed');
    expect(r.heartRate).toBe(hr);
    expect(r.systolicBP).toBe(sbp);
    expect(r.gapMs).toBe(2 * 60_000);
  });
});

describe('shock index pairing', () => {
  it('a heart rate 20 minutes from the only BP is not paired', () => {
    const r = computeShockIndex(normalAdult({ heartRate: reading('heartRate', 120, { minutesAgo: 30 }), systolicBP: reading('systolicBP', 90, { minutesAgo: 10 }) }));
    expect(r).toMatchObject({ status: 'not-computed', value: null, elevated: null, missing: [] });
  });

  it('15 minutes apart is still a pair', () => {
    const r = computeShockIndex(normalAdult({ heartRate: reading('heartRate', 120, { minutesAgo: 25 }), systolicBP: reading('systolicBP', 90, { minutesAgo: 10 }) }));
    expect(r.status).toBe('computed');
  });

  it('picks the heart rate closest to the BP', () => {
    const obs = normalAdult({ systolicBP: reading('systolicBP', 100, { minutesAgo: 30 }) });
    obs.vitals.heartRate = series(reading('heartRate', 80, { minutesAgo: 40 }), reading('heartRate', 120, { minutesAgo: 31 }), reading('heartRate', 90, { minutesAgo: 5 }));
    const r = computeShockIndex(obs);
    expect(r.status === 'computed' && r.heartRate.value).toBe(120);
  });

  it('when the latest BP has no partner, the latest BP that has one is used', () => {
    const obs = normalAdult({});
    obs.vitals.systolicBP = series(reading('systolicBP', 90, { minutesAgo: 120 }), reading('systolicBP', 130, { minutesAgo: 5 }));
    obs.vitals.heartRate = series(reading('heartRate', 110, { minutesAgo: 118 }));
    const r = computeShockIndex(obs);
    expect(r.status).toBe('computed');
    if (r.status === 'computed') {
      expect(r.systolicBP.value).toBe(90);
      expect(r.detail).toMatch(/later systolic BP/);
    }
  });

  it('readings with a comparator are not used for a ratio', () => {
    const r = computeShockIndex(normalAdult({ systolicBP: reading('systolicBP', 70, { comparator: '<' }) }));
    expect(r).toMatchObject({ status: 'not-computed', missing: ['systolicBP'] });
  });
});

describe('shock index missing values and applicability', () => {
  it('no heart rate: not computed, says which is missing', () => {
    expect(computeShockIndex(observations({ systolicBP: 100 }))).toMatchObject({ status: 'not-computed', missing: ['heartRate'] });
  });
  it('nothing: both missing', () => {
    expect(computeShockIndex(observations({}))).toMatchObject({ status: 'not-computed', missing: ['heartRate', 'systolicBP'] });
  });
  it('a child: computed but the adult threshold is marked not applicable', () => {
    const r = computeShockIndex(normalAdult({ age: age({ years: 4 }), heartRate: 120, systolicBP: 95 }));
    expect(r.status === 'computed' && r.applicability.applicable).toBe(false);
  });
});
