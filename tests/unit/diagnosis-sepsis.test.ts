/**
 * Suspected sepsis (Sepsis-3): qSOFA ≥2 (RR ≥22, altered mentation, SBP ≤100) with a suspected
 * infection (infection condition or antibiotic order); missing items are never scored normal.
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateSepsis } from '../../src/services/diagnosis/criteria/sepsis.js';
import { ICD10CM, SCT, avpu, bp, condition, context, hoursAgo, medicationRequest, obs, patient } from './diagnosis-fixtures.js';

const rr = (value: number, when = hoursAgo(1)) => obs('9279-1', value, '/min', when);
const gcs = (value: number, when = hoursAgo(1)) => obs('9269-2', value, '{score}', when);
const pneumonia = () => condition(ICD10CM, 'J18.9', { onset: hoursAgo(6), category: 'encounter-diagnosis' });

describe('qSOFA items at their thresholds, with a suspected infection', () => {
  it.each([
    // [RR, SBP, GCS, status, score]
    [22, 100, 15, 'met', 2],
    [21, 100, 15, 'not-met', 1],
    [22, 101, 15, 'not-met', 1],
    [21, 101, 14, 'not-met', 1],
    [22, 120, 14, 'met', 2],
    [12, 100, 14, 'met', 2],
    [30, 85, 9, 'met', 3],
    [16, 120, 15, 'not-met', 0],
  ] as const)('RR %i, SBP %i, GCS %i → %s', (resp, sbp, g, status, score) => {
    const f = evaluateSepsis(context([pneumonia(), rr(resp), bp(sbp, 60, hoursAgo(1)), gcs(g)]));
    expect(f.status).toBe(status);
    expect(f.evidence.find((e) => e.label.startsWith('qSOFA'))?.value).toBe(score);
  });

  it('AVPU other than Alert is altered mentation; the more recent of AVPU and GCS counts', () => {
    expect(evaluateSepsis(context([pneumonia(), rr(24), avpu('V', hoursAgo(1))])).status).toBe('met');
    expect(evaluateSepsis(context([pneumonia(), rr(24), bp(120, 70, hoursAgo(1)), gcs(13, hoursAgo(3)), avpu('A', hoursAgo(1))])).status).toBe('not-met');
  });

  it('summarises the points from the data', () => {
    const f = evaluateSepsis(context([pneumonia(), rr(24), bp(95, 60, hoursAgo(1)), gcs(15)]));
    expect(f.summary).toBe('qSOFA 2 (respiratory rate ≥22/min, systolic BP ≤100 mmHg); infection recorded');
    expect(f.evidence.some((e) => e.label === 'Infection (condition)')).toBe(true);
  });
});

describe('suspected infection', () => {
  it('no infection condition and no antibiotic: not met, whatever the qSOFA', () => {
    const f = evaluateSepsis(context([rr(30), bp(85, 50, hoursAgo(1)), gcs(10)]));
    expect(f.status).toBe('not-met');
    expect(f.summary).toContain('no suspected infection');
  });

  it('an active antibiotic order counts as suspected infection', () => {
    expect(evaluateSepsis(context([medicationRequest('1659131'), rr(24), bp(95, 60, hoursAgo(1))])).status).toBe('met');
  });

  it('a stopped antibiotic order does not', () => {
    expect(evaluateSepsis(context([medicationRequest('1659131', 'stopped'), rr(24), bp(95, 60, hoursAgo(1))])).status).toBe('not-met');
  });

  it('a resolved infection does not', () => {
    const resolved = condition(SCT, '233604007', { clinical: 'resolved', onset: hoursAgo(400), abatement: hoursAgo(200) });
    expect(evaluateSepsis(context([resolved, rr(24), bp(95, 60, hoursAgo(1))])).status).toBe('not-met');
  });

  it('a provisional (suspected) infection counts', () => {
    const suspected = condition(SCT, '68566005', { verification: 'provisional', onset: hoursAgo(3) });
    expect(evaluateSepsis(context([suspected, rr(24), bp(95, 60, hoursAgo(1))])).status).toBe('met');
  });
});

describe('missing and stale items', () => {
  it('one point with two items missing: not enough data', () => {
    const f = evaluateSepsis(context([pneumonia(), rr(24)]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('2 item(s) missing');
  });

  it('two normal items and one missing: not met (cannot reach 2)', () => {
    expect(evaluateSepsis(context([pneumonia(), rr(14), bp(125, 80, hoursAgo(1))])).status).toBe('not-met');
  });

  it('values older than 24 hours are not used', () => {
    const f = evaluateSepsis(context([pneumonia(), rr(28, hoursAgo(30)), bp(85, 50, hoursAgo(30)), rr(16, hoursAgo(2))]));
    expect(f.status).toBe('not-enough-data');
  });

  it('children: not enough data (qSOFA validated in adults)', () => {
    expect(evaluateSepsis(context([patient({ birthDate: '2015-01-01' }), pneumonia(), rr(30), bp(85, 50, hoursAgo(1))])).status).toBe('not-enough-data');
  });
});
