/** qSOFA (Sepsis-3, Singer et al. JAMA 2016): each criterion at, below and above its threshold. */
import { describe, expect, it } from '@jest/globals';
import { computeQsofa } from '../../src/services/triage/qsofa.js';
import type { QsofaCriterion, QsofaResult } from '../../src/services/triage/qsofa.js';
import { avpu, normalAdult, observations, reading } from './triage-fixtures.js';

function met(r: QsofaResult, criterion: QsofaCriterion): boolean | null | undefined {
  return r.criteria.find((c) => c.criterion === criterion)?.met;
}

describe('qSOFA criteria', () => {
  it.each([
    [21, false],
    [22, true],
    [23, true],
  ])('respiratory rate %d/min: met %s (threshold ≥ 22)', (rr, expected) => {
    const r = computeQsofa(normalAdult({ respiratoryRate: rr }));
    expect(met(r, 'respiratoryRate')).toBe(expected);
    expect(r.total).toBe(expected ? 1 : 0);
  });

  it.each([
    [99, true],
    [100, true],
    [101, false],
  ])('systolic BP %d mm Hg: met %s (threshold ≤ 100)', (sbp, expected) => {
    const r = computeQsofa(normalAdult({ systolicBP: sbp }));
    expect(met(r, 'systolicBP')).toBe(expected);
  });

  it.each([
    ['AVPU A', { consciousness: 'A' }, false],
    ['ACVPU C (new confusion)', { consciousness: 'C' }, true],
    ['AVPU V', { consciousness: 'V' }, true],
    ['AVPU P', { consciousness: 'P' }, true],
    ['AVPU U', { consciousness: 'U' }, true],
    ['GCS 15, no AVPU', { consciousness: null, gcs: 15 }, false],
    ['GCS 14, no AVPU', { consciousness: null, gcs: 14 }, true],
    ['GCS 3, no AVPU', { consciousness: null, gcs: 3 }, true],
  ] as const)('altered mentation, %s: met %s (GCS < 15 or not alert)', (_label, spec, expected) => {
    expect(met(computeQsofa(normalAdult(spec)), 'alteredMentation')).toBe(expected);
  });

  it('the most recent mental-status assessment decides (GCS 13 after an earlier "alert")', () => {
    const r = computeQsofa(normalAdult({ consciousness: avpu('A', 90), gcs: reading('gcs', 13, { minutesAgo: 5 }) }));
    expect(met(r, 'alteredMentation')).toBe(true);
  });

  it('AVPU and GCS at the same time disagreeing: altered (the safer reading)', () => {
    const r = computeQsofa(normalAdult({ consciousness: avpu('A', 10), gcs: reading('gcs', 14, { minutesAgo: 10 }) }));
    expect(met(r, 'alteredMentation')).toBe(true);
  });
});

describe('qSOFA total and positivity', () => {
  it('all three met: 3, positive', () => {
    const r = computeQsofa(normalAdult({ respiratoryRate: 24, systolicBP: 95, consciousness: 'V' }));
    expect(r).toMatchObject({ total: 3, positive: 'yes', complete: true, missing: [] });
  });

  it('two met: 2, positive', () => {
    expect(computeQsofa(normalAdult({ respiratoryRate: 22, systolicBP: 100 }))).toMatchObject({ total: 2, positive: 'yes' });
  });

  it('one met: 1, negative', () => {
    expect(computeQsofa(normalAdult({ respiratoryRate: 22 }))).toMatchObject({ total: 1, positive: 'no', complete: true });
  });

  it('evidence is the reading used', () => {
    const rr = reading('respiratoryRate', 30, { source: 'Observation/rr-9' });
    const r = computeQsofa(normalAdult({ respiratoryRate: rr }));
    expect(r.criteria[0]?.evidence).toEqual([rr]);
  });
});

describe('qSOFA missing criteria', () => {
  it('one criterion met, two missing: undetermined', () => {
    const r = computeQsofa(observations({ respiratoryRate: 25 }));
    expect(r).toMatchObject({ total: 1, complete: false, positive: 'undetermined' });
    expect(r.missing).toEqual(['alteredMentation', 'systolicBP']);
    expect(r.criteria.filter((c) => c.met === null).every((c) => c.points === null)).toBe(true);
  });

  it('two not met, one missing: cannot reach 2, so negative', () => {
    const r = computeQsofa(observations({ respiratoryRate: 16, systolicBP: 120 }));
    expect(r).toMatchObject({ total: 0, complete: false, positive: 'no', missing: ['alteredMentation'] });
  });

  it('nothing recorded: undetermined, never negative', () => {
    const r = computeQsofa(observations({}));
    expect(r).toMatchObject({ total: 0, positive: 'undetermined', missing: ['respiratoryRate', 'alteredMentation', 'systolicBP'] });
  });

  it('a comparator that straddles the threshold is undecided ("RR > 20")', () => {
    const r = computeQsofa(normalAdult({ respiratoryRate: reading('respiratoryRate', 20, { comparator: '>' }) }));
    expect(met(r, 'respiratoryRate')).toBeNull();
  });
});

describe('qSOFA applicability', () => {
  it('pregnant: computed and acted on, but marked unvalidated, with the reason', () => {
    const r = computeQsofa(normalAdult({ pregnant: true, respiratoryRate: 24, systolicBP: 95 }));
    expect(r).toMatchObject({ total: 2, positive: 'yes', applicability: { applicable: 'unknown' } });
    // A positive total: the caveat about low totals would only lengthen the line.
    expect(r.applicability.notes).toEqual(['pregnant: qSOFA is not validated in pregnancy']);
    const low = computeQsofa(normalAdult({ pregnant: true }));
    expect(low.positive).toBe('no');
    expect(low.applicability.notes).toEqual([expect.stringMatching(/^pregnant: qSOFA is not validated in pregnancy, .*a total under 2 does not rule sepsis out$/)]);
  });
  it('an adult not known to be pregnant: applicable, no note', () => {
    expect(computeQsofa(normalAdult()).applicability).toEqual({ applicable: true, notes: [] });
  });
});
