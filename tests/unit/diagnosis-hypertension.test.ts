/**
 * Hypertension (ACC/AHA 2017): category from the mean of readings on ≥2 occasions within 24
 * months, office readings of adults only.
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateHypertension } from '../../src/services/diagnosis/criteria/hypertension.js';
import { SCT, bp, condition, context, daysAgo, encounter, patient } from './diagnosis-fixtures.js';

/** Two visits with the same reading, 100 and 10 days before the reference time. */
const twoVisits = (sbp: number, dbp: number) => [bp(sbp, dbp, daysAgo(100)), bp(sbp, dbp, daysAgo(10))];

describe('ACC/AHA 2017 categories at the thresholds (mean of two visits)', () => {
  it.each([
    // [sbp, dbp, status, stage]
    [119, 79, 'not-met', 'normal'],
    [120, 79, 'not-met', 'elevated'],
    [129, 79, 'not-met', 'elevated'],
    [130, 79, 'met', 'stage 1'],
    [119, 80, 'met', 'stage 1'],
    [120, 80, 'met', 'stage 1'],
    [139, 89, 'met', 'stage 1'],
    [140, 89, 'met', 'stage 2'],
    [139, 90, 'met', 'stage 2'],
    [141, 91, 'met', 'stage 2'],
    [185, 125, 'met', 'stage 2'],
  ] as const)('%i/%i mmHg → %s (%s)', (sbp, dbp, status, stage) => {
    const f = evaluateHypertension(context(twoVisits(sbp, dbp)));
    expect(f.status).toBe(status);
    expect(f.stage).toBe(stage);
  });

  it('averages SBP and DBP separately across visits (139.5/89.5 is stage 1, 140/90 is stage 2)', () => {
    expect(evaluateHypertension(context([bp(139, 89, daysAgo(60)), bp(140, 90, daysAgo(5))])).stage).toBe('stage 1');
    expect(evaluateHypertension(context([bp(150, 95, daysAgo(60)), bp(130, 85, daysAgo(5))])).stage).toBe('stage 2');
  });

  it('averages each visit first, so a visit with three readings weighs as one visit', () => {
    // Per visit: 150 and 110 → mean 130 (stage 1). Pooling all four readings would give 140 (stage 2).
    const day = daysAgo(40).slice(0, 10);
    const f = evaluateHypertension(
      context([bp(150, 70, `${day}T09:00:00Z`), bp(150, 70, `${day}T09:02:00Z`), bp(150, 70, `${day}T09:04:00Z`), bp(110, 70, daysAgo(5))]),
    );
    expect(f.stage).toBe('stage 1');
    expect(f.summary).toMatch(/^mean 130\/70 mmHg over 2 visits/);
  });

  it('summarises the mean, the number of visits and the span, from the numbers only', () => {
    const f = evaluateHypertension(context([bp(150, 94, '2025-01-10T10:00:00Z'), bp(156, 98, '2025-03-10T10:00:00Z'), bp(150, 96, '2025-05-10T10:00:00Z')]));
    expect(f.summary).toBe('mean 152/96 mmHg over 3 visits (2025-01-10 – 2025-05-10)');
    expect(f.criterion).toContain('≥140');
    expect(f.code.snomed.code).toBe('38341003');
    expect(f.guideline.id).toBe('summary-acc-aha-2017-blood-pressure');
    const readings = f.evidence.filter((e) => e.kind === 'reading');
    expect(readings).toHaveLength(6);
    expect(readings.every((e) => e.source?.startsWith('Observation/bp-') && e.unit === 'mm[Hg]')).toBe(true);
  });
});

describe('occasions and window', () => {
  it('two readings on one day are one occasion: not enough data', () => {
    const day = daysAgo(3).slice(0, 10);
    const f = evaluateHypertension(context([bp(160, 100, `${day}T08:00:00Z`), bp(162, 101, `${day}T17:00:00Z`)]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('1 visit');
    expect(f.evidence).toHaveLength(4);
  });

  it('no blood pressure at all: not enough data', () => {
    expect(evaluateHypertension(context([])).status).toBe('not-enough-data');
  });

  it.each([
    [729, 'met'],
    [731, 'not-enough-data'],
  ] as const)('an older visit %i days back: %s', (days, status) => {
    const f = evaluateHypertension(context([bp(150, 95, daysAgo(days)), bp(150, 95, daysAgo(1))]));
    expect(f.status).toBe(status);
  });

  it('stale data: readings all older than 24 months give not enough data, with a note', () => {
    const f = evaluateHypertension(context([bp(170, 105, daysAgo(900)), bp(170, 105, daysAgo(800))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.notes.join(' ')).toContain('outside the 24-month window');
  });
});

describe('setting, age and pregnancy', () => {
  it('readings from emergency and inpatient encounters are not office readings', () => {
    const f = evaluateHypertension(
      context([
        encounter('er', 'EMER', daysAgo(30)),
        encounter('ward', 'IMP', daysAgo(20)),
        encounter('clinic', 'AMB', daysAgo(10)),
        bp(180, 110, daysAgo(30), { encounter: { reference: 'Encounter/er' } }),
        bp(180, 110, daysAgo(20), { encounter: { reference: 'Encounter/ward' } }),
        bp(150, 95, daysAgo(10), { encounter: { reference: 'Encounter/clinic' } }),
      ]),
    );
    expect(f.status).toBe('not-enough-data');
    expect(f.notes.join(' ')).toMatch(/4 reading\(s\) from emergency/);
  });

  it('readings of an encounter the record does not hold count as office readings, and the notes say so', () => {
    const f = evaluateHypertension(
      context([bp(150, 95, daysAgo(40), { encounter: { reference: 'Encounter/not-sent' } }), bp(152, 96, daysAgo(10), { encounter: { reference: 'Encounter/not-sent-2' } })]),
    );
    expect(f.status).toBe('met');
    // Counted by Observation: a panel's systolic and diastolic are one.
    expect(f.notes).toContain('2 blood pressure observation(s) belong to an encounter the record sent does not hold: setting unknown, counted as office readings');
  });

  it('children: not enough data (adult categories)', () => {
    const f = evaluateHypertension(context([patient({ birthDate: '2010-01-01' }), ...twoVisits(150, 95)]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('15 years');
  });

  it('readings taken before the 18th birthday are not used', () => {
    // 18th birthday 2024-12-01: the visit on 2024-09-01 was at 17.
    const f = evaluateHypertension(context([patient({ birthDate: '2006-12-01' }), bp(150, 95, '2024-09-01T10:00:00Z'), bp(150, 95, '2025-05-01T10:00:00Z')]));
    expect(f.status).toBe('not-enough-data');
    expect(f.notes.join(' ')).toContain('before age 18');
  });

  it('a birth date given as a year only counts as adult only when certainly 18', () => {
    // Born in 2007: 18 on 2025-06-01 only if born by then; the latest possible date is 2007-12-31.
    expect(evaluateHypertension(context([patient({ birthDate: '2007' }), ...twoVisits(150, 95)])).status).toBe('not-enough-data');
    expect(evaluateHypertension(context([patient({ birthDate: '2006' }), ...twoVisits(150, 95)])).status).toBe('met');
  });

  it('no birth date: not enough data', () => {
    const f = evaluateHypertension(context([patient({ birthDate: undefined }), ...twoVisits(150, 95)]));
    expect(f.status).toBe('not-enough-data');
  });

  it('pregnancy: not enough data (other criteria apply)', () => {
    const f = evaluateHypertension(context([condition(SCT, '77386006', { onset: daysAgo(60) }), ...twoVisits(150, 95)]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('pregnant');
  });

  it('severe elevation on a visit is noted', () => {
    const f = evaluateHypertension(context(twoVisits(185, 125)));
    expect(f.notes.join(' ')).toContain('severe elevation');
  });
});
