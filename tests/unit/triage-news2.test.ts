/**
 * NEWS2 (Royal College of Physicians 2017), chart 1 row by row and chart 2 bands. Every case starts
 * from a normal adult on room air (all parameters 0) and changes one thing.
 */
import { describe, expect, it } from '@jest/globals';
import {
  PULSE_CHART,
  RESPIRATION_RATE_CHART,
  SPO2_SCALE_1_CHART,
  SPO2_SCALE_2_AIR_CHART,
  SPO2_SCALE_2_OXYGEN_CHART,
  SYSTOLIC_BP_CHART,
  TEMPERATURE_CHART,
  computeNews2,
  news2Band,
} from '../../src/services/triage/news2.js';
import type { News2Parameter, News2Result } from '../../src/services/triage/news2.js';
import type { Chart } from '../../src/services/triage/values.js';
import { lookUp, roundTo } from '../../src/services/triage/values.js';
import { age, avpu, normalAdult, observations, reading } from './triage-fixtures.js';

function points(result: News2Result, parameter: News2Parameter): number | null {
  return result.parameters.find((p) => p.parameter === parameter)?.points ?? null;
}

describe('NEWS2 baseline', () => {
  it('a normal adult on room air scores 0, complete, low band', () => {
    const r = computeNews2(normalAdult());
    expect(r.total).toBe(0);
    expect(r.complete).toBe(true);
    expect(r.missing).toEqual([]);
    expect(r.band).toBe('low');
    expect(r.anyParameterScored3).toBe(false);
    expect(r.spo2Scale).toBe(1);
    expect(r.parameters.map((p) => p.parameter)).toEqual(['respirationRate', 'spo2', 'airOrOxygen', 'systolicBP', 'pulse', 'consciousness', 'temperature']);
  });
});

describe('chart 1: respiration rate', () => {
  it.each([
    [4, 3],
    [8, 3],
    [9, 1],
    [11, 1],
    [12, 0],
    [20, 0],
    [21, 2],
    [24, 2],
    [25, 3],
    [40, 3],
  ])('%d breaths/min scores %d', (rr, expected) => {
    const r = computeNews2(normalAdult({ respiratoryRate: rr }));
    expect(points(r, 'respirationRate')).toBe(expected);
    expect(r.total).toBe(expected);
  });
});

describe('chart 1: SpO2 scale 1', () => {
  it.each([
    [80, 3],
    [91, 3],
    [92, 2],
    [93, 2],
    [94, 1],
    [95, 1],
    [96, 0],
    [100, 0],
  ])('%d %% scores %d', (spo2, expected) => {
    const r = computeNews2(normalAdult({ spo2 }));
    expect(r.spo2Scale).toBe(1);
    expect(points(r, 'spo2')).toBe(expected);
  });

  it('scale 1 does not score a high saturation on oxygen (only the oxygen itself scores 2)', () => {
    const r = computeNews2(normalAdult({ spo2: 99, oxygenFlowRate: 2 }));
    expect(points(r, 'spo2')).toBe(0);
    expect(points(r, 'airOrOxygen')).toBe(2);
    expect(r.total).toBe(2);
  });
});

describe('chart 1: SpO2 scale 2 (hypercapnic respiratory failure recorded)', () => {
  it.each([
    [80, 3],
    [83, 3],
    [84, 2],
    [85, 2],
    [86, 1],
    [87, 1],
    [88, 0],
    [92, 0],
    [93, 0],
    [97, 0],
    [100, 0],
  ])('on air: %d %% scores %d', (spo2, expected) => {
    const r = computeNews2(normalAdult({ spo2, hypercapnic: true, oxygenFlowRate: 0 }));
    expect(r.spo2Scale).toBe(2);
    expect(points(r, 'spo2')).toBe(expected);
    expect(points(r, 'airOrOxygen')).toBe(0);
  });

  it.each([
    [83, 3],
    [84, 2],
    [86, 1],
    [88, 0],
    [92, 0],
    [93, 1],
    [94, 1],
    [95, 2],
    [96, 2],
    [97, 3],
    [100, 3],
  ])('on oxygen: %d %% scores %d (plus 2 for the oxygen)', (spo2, expected) => {
    const r = computeNews2(normalAdult({ spo2, hypercapnic: true, oxygenFlowRate: 2 }));
    expect(points(r, 'spo2')).toBe(expected);
    expect(points(r, 'airOrOxygen')).toBe(2);
    expect(r.total).toBe(expected + 2);
    expect(r.parameters.find((p) => p.parameter === 'spo2')?.evidence).toHaveLength(2);
  });

  it('air or oxygen unknown: 93 % or more is counted as on air and marked a lower bound', () => {
    const r = computeNews2(normalAdult({ spo2: 95, hypercapnic: true, oxygenFlowRate: null }));
    const spo2 = r.parameters.find((p) => p.parameter === 'spo2');
    expect(spo2).toMatchObject({ status: 'lower-bound', points: 0, maxPoints: 2 });
    expect(r.complete).toBe(false);
    expect(r.missing).toEqual(['airOrOxygen']);
  });

  it('air or oxygen unknown: below 93 % scores the same either way', () => {
    const r = computeNews2(normalAdult({ spo2: 85, hypercapnic: true, oxygenFlowRate: null }));
    expect(r.parameters.find((p) => p.parameter === 'spo2')).toMatchObject({ status: 'scored', points: 2, maxPoints: 2 });
  });

  it('states why scale 2 was used', () => {
    const r = computeNews2(normalAdult({ hypercapnic: true }));
    expect(r.spo2ScaleBasis).toMatch(/^scale 2: hypercapnic respiratory failure recorded/);
  });
});

describe('chart 1: air or oxygen', () => {
  it.each([
    ['O2 flow 0 L/min', { oxygenFlowRate: 0 }, 0],
    ['O2 flow 2 L/min', { oxygenFlowRate: 2 }, 2],
    ['FiO2 21 %', { oxygenFlowRate: null, inspiredOxygenFraction: 21 }, 0],
    ['FiO2 28 %', { oxygenFlowRate: null, inspiredOxygenFraction: 28 }, 2],
  ] as const)('%s scores %d', (_label, spec, expected) => {
    const r = computeNews2(normalAdult(spec));
    expect(points(r, 'airOrOxygen')).toBe(expected);
  });

  it('the more recent of FiO2 and flow decides', () => {
    const r = computeNews2(
      normalAdult({ oxygenFlowRate: reading('oxygenFlowRate', 0, { minutesAgo: 5 }), inspiredOxygenFraction: reading('inspiredOxygenFraction', 40, { minutesAgo: 60 }) }),
    );
    expect(points(r, 'airOrOxygen')).toBe(0);
  });

  it('not recorded: missing, no points, and the total is a lower bound', () => {
    const r = computeNews2(normalAdult({ oxygenFlowRate: null }));
    expect(r.parameters.find((p) => p.parameter === 'airOrOxygen')).toMatchObject({ status: 'missing', points: null, maxPoints: 2 });
    expect(r.complete).toBe(false);
    expect(r.maxPossibleTotal).toBe(2);
  });
});

describe('chart 1: systolic blood pressure', () => {
  it.each([
    [70, 3],
    [90, 3],
    [91, 2],
    [100, 2],
    [101, 1],
    [110, 1],
    [111, 0],
    [219, 0],
    [220, 3],
    [250, 3],
  ])('%d mm Hg scores %d', (sbp, expected) => {
    expect(points(computeNews2(normalAdult({ systolicBP: sbp })), 'systolicBP')).toBe(expected);
  });
});

describe('chart 1: pulse', () => {
  it.each([
    [30, 3],
    [40, 3],
    [41, 1],
    [50, 1],
    [51, 0],
    [90, 0],
    [91, 1],
    [110, 1],
    [111, 2],
    [130, 2],
    [131, 3],
    [180, 3],
  ])('%d beats/min scores %d', (hr, expected) => {
    expect(points(computeNews2(normalAdult({ heartRate: hr })), 'pulse')).toBe(expected);
  });
});

describe('chart 1: consciousness (ACVPU)', () => {
  it.each([
    ['A', 0],
    ['C', 3],
    ['V', 3],
    ['P', 3],
    ['U', 3],
  ] as const)('%s scores %d', (level, expected) => {
    expect(points(computeNews2(normalAdult({ consciousness: level })), 'consciousness')).toBe(expected);
  });

  it('with no AVPU, GCS 15 is read as alert (0) and GCS 14 as not alert (3)', () => {
    expect(points(computeNews2(normalAdult({ consciousness: null, gcs: 15 })), 'consciousness')).toBe(0);
    const r = computeNews2(normalAdult({ consciousness: null, gcs: 14 }));
    expect(points(r, 'consciousness')).toBe(3);
    expect(r.parameters.find((p) => p.parameter === 'consciousness')?.detail).toMatch(/GCS 14/);
  });

  it('a more recent AVPU wins over an older GCS, and the other way round', () => {
    expect(points(computeNews2(normalAdult({ consciousness: avpu('A', 5), gcs: reading('gcs', 13, { minutesAgo: 60 }) })), 'consciousness')).toBe(0);
    expect(points(computeNews2(normalAdult({ consciousness: avpu('A', 60), gcs: reading('gcs', 13, { minutesAgo: 5 }) })), 'consciousness')).toBe(3);
  });

  it('neither recorded: missing', () => {
    const r = computeNews2(normalAdult({ consciousness: null }));
    expect(r.missing).toEqual(['consciousness']);
  });
});

describe('chart 1: temperature', () => {
  it.each([
    [33.0, 3],
    [35.0, 3],
    [35.1, 1],
    [36.0, 1],
    [36.1, 0],
    [38.0, 0],
    [38.1, 1],
    [39.0, 1],
    [39.1, 2],
    [41.0, 2],
  ])('%d °C scores %d', (t, expected) => {
    expect(points(computeNews2(normalAdult({ temperature: t })), 'temperature')).toBe(expected);
  });

  it.each([
    [35.04, 3],
    [35.05, 1],
    [38.04, 0],
    [38.05, 1],
    [(100.4 - 32) / 1.8, 0], // 100.4 °F = 38.0 °C, whatever the float noise
  ])('values are rounded to the chart resolution first: %d °C scores %d', (t, expected) => {
    expect(points(computeNews2(normalAdult({ temperature: t })), 'temperature')).toBe(expected);
  });
});

describe('chart 2: clinical risk bands', () => {
  it.each([
    [0, false, 'low'],
    [4, false, 'low'],
    [3, true, 'low-medium'],
    [4, true, 'low-medium'],
    [5, false, 'medium'],
    [5, true, 'medium'],
    [6, true, 'medium'],
    [7, false, 'high'],
    [12, true, 'high'],
  ] as const)('total %d, red score %s → %s', (total, red, band) => {
    expect(news2Band(total, red)).toBe(band);
  });

  it('a single 3 (new confusion) in an otherwise normal patient is low-medium', () => {
    const r = computeNews2(normalAdult({ consciousness: 'C' }));
    expect(r).toMatchObject({ total: 3, band: 'low-medium', anyParameterScored3: true });
  });

  it('RR 21-24 (2) + pulse 111-130 (2) + temperature 38.1-39.0 (1) = 5: medium', () => {
    const r = computeNews2(normalAdult({ respiratoryRate: 22, heartRate: 115, temperature: 38.5 }));
    expect(r).toMatchObject({ total: 5, band: 'medium', anyParameterScored3: false });
  });

  it('a deteriorating ED patient scores high', () => {
    const r = computeNews2(normalAdult({ respiratoryRate: 30, spo2: 88, systolicBP: 88, heartRate: 132, consciousness: 'C', temperature: 39.4, oxygenFlowRate: null }));
    expect(r.total).toBe(17);
    expect(r.band).toBe('high');
    expect(r.complete).toBe(false);
    expect(r.missing).toEqual(['airOrOxygen']);
  });
});

describe('missing values', () => {
  it('nothing recorded: total 0 is a lower bound, every parameter listed, max 20', () => {
    const r = computeNews2(observations({ age: age({ years: 40 }) }));
    expect(r.total).toBe(0);
    expect(r.complete).toBe(false);
    expect(r.missing).toHaveLength(7);
    expect(r.maxPossibleTotal).toBe(20);
    expect(r.parameters.every((p) => p.points === null && p.evidence.length === 0)).toBe(true);
  });

  it('scores what is there: RR 26 alone gives 3 and lists six missing parameters', () => {
    const r = computeNews2(observations({ respiratoryRate: 26 }));
    expect(r.total).toBe(3);
    expect(r.missing).toEqual(['spo2', 'airOrOxygen', 'systolicBP', 'pulse', 'consciousness', 'temperature']);
    expect(r.band).toBe('low-medium');
  });

  it('keeps the reading used as evidence', () => {
    const rr = reading('respiratoryRate', 26, { source: 'Observation/rr-1' });
    const r = computeNews2(normalAdult({ respiratoryRate: rr }));
    expect(r.parameters[0]?.evidence).toEqual([rr]);
  });
});

describe('values with comparators', () => {
  it('"SpO2 < 85" is certainly 3 on scale 1', () => {
    const r = computeNews2(normalAdult({ spo2: reading('spo2', 85, { comparator: '<' }) }));
    expect(r.parameters[1]).toMatchObject({ status: 'scored', points: 3 });
  });

  it('"SpO2 > 94" could be 1 or 0: counts 0, marked lower bound', () => {
    const r = computeNews2(normalAdult({ spo2: reading('spo2', 94, { comparator: '>' }) }));
    expect(r.parameters[1]).toMatchObject({ status: 'lower-bound', points: 0, maxPoints: 1 });
    expect(r.complete).toBe(false);
  });
});

describe('applicability (RCP 2017: adults 16+, not in pregnancy)', () => {
  it('adult: applicable', () => {
    expect(computeNews2(normalAdult()).applicability.applicable).toBe(true);
  });
  it('15 years: not applicable', () => {
    expect(computeNews2(normalAdult({ age: age({ years: 15 }) })).applicability.applicable).toBe(false);
  });
  it('pregnant: not applicable', () => {
    expect(computeNews2(normalAdult({ pregnant: true })).applicability.applicable).toBe(false);
  });
  it('age unknown: unknown', () => {
    expect(computeNews2(normalAdult({ age: null })).applicability.applicable).toBe('unknown');
  });
});

describe('the charts cover every recordable value exactly once', () => {
  const charts: Array<[string, Chart, number, number]> = [
    ['respiration rate', RESPIRATION_RATE_CHART, 0, 100],
    ['SpO2 scale 1', SPO2_SCALE_1_CHART, 0, 100],
    ['SpO2 scale 2 air', SPO2_SCALE_2_AIR_CHART, 0, 100],
    ['SpO2 scale 2 oxygen', SPO2_SCALE_2_OXYGEN_CHART, 0, 100],
    ['systolic BP', SYSTOLIC_BP_CHART, 20, 300],
    ['pulse', PULSE_CHART, 10, 300],
    ['temperature', TEMPERATURE_CHART, 25, 45],
  ];
  it.each(charts)('%s', (_name, chart, from, to) => {
    for (let v = from; v <= to; v = roundTo(v + chart.resolution, chart.resolution)) {
      const rows = chart.rows.filter((r) => v >= r.from && v <= r.to);
      expect(rows).toHaveLength(1);
      expect(lookUp(chart, v).certain).toBe(true);
    }
  });
});
