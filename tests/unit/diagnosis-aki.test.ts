/**
 * Acute kidney injury (KDIGO 2012): creatinine rise ≥0.3 mg/dL within 48 h, or ≥1.5× the lowest
 * value of the prior 7 days; stage by ratio or creatinine ≥4.0 mg/dL; current episode only.
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateAki } from '../../src/services/diagnosis/criteria/aki.js';
import { context, daysAgo, hoursAgo, obs } from './diagnosis-fixtures.js';

const cr = (value: number, when: string) => obs('2160-0', value, 'mg/dL', when);
const crUmol = (value: number, when: string) => obs('14682-9', value, 'umol/L', when);

describe('absolute rise within 48 hours', () => {
  it.each([
    [1.29, 'not-met', null],
    [1.3, 'met', 'stage 1'],
    [1.31, 'met', 'stage 1'],
  ] as const)('1.0 → %d mg/dL in 40 h → %s', (value, status, stage) => {
    const f = evaluateAki(context([cr(1.0, hoursAgo(41)), cr(value, hoursAgo(1))]));
    expect(f.status).toBe(status);
    expect(f.stage).toBe(stage);
  });

  it('in µmol/L through the context builder: 88.4 → 115 µmol/L (1.00 → 1.30 mg/dL) is met, → 114 is not', () => {
    expect(evaluateAki(context([crUmol(88.4, hoursAgo(30)), crUmol(115, hoursAgo(1))])).status).toBe('met');
    expect(evaluateAki(context([crUmol(88.4, hoursAgo(30)), crUmol(114, hoursAgo(1))])).status).toBe('not-met');
  });

  it('the same rise over more than 48 hours is not the absolute criterion', () => {
    const f = evaluateAki(context([cr(1.0, hoursAgo(50)), cr(1.3, hoursAgo(1))]));
    expect(f.status).toBe('not-met');
  });

  it('summarises the rise from the numbers', () => {
    const f = evaluateAki(context([cr(1.0, '2025-05-30T12:00:00Z'), cr(1.4, '2025-06-01T08:00:00Z')]));
    expect(f.summary).toBe('creatinine 1.40 mg/dL on 2025-06-01: 1.4× baseline 1.00 mg/dL (2025-05-30), +0.40 mg/dL in 44 h');
    expect(f.evidence.map((e) => e.note ?? e.label)).toEqual([
      'baseline: lowest in the prior 7 days',
      'value meeting the criterion',
      'Ratio to baseline',
      'Rise over 44 h',
    ]);
  });
});

describe('relative rise against the lowest value of the prior 7 days, and staging', () => {
  it.each([
    [1.49, 'not-met', null],
    [1.5, 'met', 'stage 1'],
    [1.99, 'met', 'stage 1'],
    [2.0, 'met', 'stage 2'],
    [2.99, 'met', 'stage 2'],
    [3.0, 'met', 'stage 3'],
  ] as const)('baseline 1.0 five days ago → %d mg/dL → %s (%s)', (value, status, stage) => {
    const f = evaluateAki(context([cr(1.0, daysAgo(5)), cr(value, hoursAgo(1))]));
    expect(f.status).toBe(status);
    expect(f.stage).toBe(stage);
  });

  it('creatinine ≥4.0 mg/dL with AKI is stage 3 even below 3× baseline', () => {
    const f = evaluateAki(context([cr(3.7, hoursAgo(24)), cr(4.0, hoursAgo(1))]));
    expect(f.status).toBe('met');
    expect(f.stage).toBe('stage 3');
    expect(f.criterion).toContain('≥4');
  });

  it('creatinine ≥4.0 mg/dL without a rise is not AKI (stable CKD)', () => {
    const f = evaluateAki(context([cr(4.2, daysAgo(5)), cr(4.3, hoursAgo(1))]));
    expect(f.status).toBe('not-met');
  });

  it('a baseline older than 7 days is not used', () => {
    const f = evaluateAki(context([cr(1.0, daysAgo(8)), cr(2.0, hoursAgo(1))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('no earlier value within 7 days');
  });
});

describe('current episode and missing data', () => {
  it('no creatinine in the last 7 days: not enough data (stale)', () => {
    const f = evaluateAki(context([cr(1.0, daysAgo(40)), cr(2.5, daysAgo(39))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('no creatinine in the last 7 days');
  });

  it('no creatinine at all: not enough data', () => {
    expect(evaluateAki(context([])).status).toBe('not-enough-data');
  });

  it('an episode that met the criteria 10 days ago is history, not a current finding', () => {
    const f = evaluateAki(context([cr(1.0, daysAgo(12)), cr(2.5, daysAgo(10)), cr(1.1, daysAgo(2)), cr(1.05, hoursAgo(2))]));
    expect(f.status).toBe('not-met');
  });

  it('reports the most severe stage in the window', () => {
    const f = evaluateAki(context([cr(1.0, daysAgo(6)), cr(2.1, daysAgo(3)), cr(1.6, hoursAgo(2))]));
    expect(f.stage).toBe('stage 2');
  });
});
