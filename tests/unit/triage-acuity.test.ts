/**
 * ESI v4 decision points A-D (AHRQ handbook, 2005), each criterion at and beside its threshold,
 * the danger-zone table for each age band, and what happens when data are missing.
 */
import { describe, expect, it, jest } from '@jest/globals';
import {
  assessAcuity,
  assessAcuityWithMatcher,
  assessHighRisk,
  dangerZoneAgeBand,
  paediatricHypotensionBelow,
} from '../../src/services/triage/acuity.js';
import type { AcuityCriterion, AcuityOptions, AcuityResult, HighRiskAssessment, ResourceEstimate } from '../../src/services/triage/acuity.js';
import type { TriageObservations } from '../../src/services/triage/triage-input.js';
import type { HighRiskMatcher } from '../../src/services/triage/types.js';
import type { ObservationSpec } from './triage-fixtures.js';
import { age, normalAdult, observations } from './triage-fixtures.js';

const NOT_HIGH_RISK: HighRiskAssessment = { status: 'not-matched', complaint: 'sore throat' };
const MANY: ResourceEstimate = { status: 'estimated', count: 'many', basis: 'test' };
const ONE: ResourceEstimate = { status: 'estimated', count: 'one', basis: 'test' };
const NONE: ResourceEstimate = { status: 'estimated', count: 'none', basis: 'test' };

function esi(
  obs: TriageObservations,
  extra: { highRisk?: HighRiskAssessment; resources?: ResourceEstimate; options?: AcuityOptions } = {},
): AcuityResult {
  return assessAcuity({
    observations: obs,
    highRisk: extra.highRisk ?? NOT_HIGH_RISK,
    resources: extra.resources ?? MANY,
    ...(extra.options ? { options: extra.options } : {}),
  });
}

function adult(spec: ObservationSpec = {}, extra: Parameters<typeof esi>[1] = {}): AcuityResult {
  return esi(normalAdult(spec), extra);
}

function criterion(r: AcuityResult, c: AcuityCriterion): boolean | null | undefined {
  return r.findings.find((f) => f.criterion === c)?.met;
}

describe('baseline', () => {
  it('a stable adult needing two or more resources is level 3, set after decision point D', () => {
    const r = adult();
    expect(r).toMatchObject({ level: 3, setBy: 'D', deciding: [], unassessed: [], considerations: [] });
    expect(r.possibleLevels).toEqual({ mostUrgent: 3, leastUrgent: 3 });
  });
});

describe('decision point A: immediate life-saving intervention → level 1', () => {
  it.each([
    ['AVPU U', { consciousness: 'U' }, 1, 'A'],
    ['AVPU P', { consciousness: 'P' }, 1, 'A'],
    ['AVPU V (not A; B instead)', { consciousness: 'V' }, 2, 'B'],
    ['GCS 8', { consciousness: null, gcs: 8 }, 1, 'A'],
    ['GCS 9 (not A; B instead)', { consciousness: null, gcs: 9 }, 2, 'B'],
    ['SpO2 89 %', { spo2: 89 }, 1, 'A'],
    ['SpO2 90 % (not A; danger zone D)', { spo2: 90 }, 2, 'D'],
    ['RR 8/min', { respiratoryRate: 8 }, 1, 'A'],
    ['RR 9/min (not A)', { respiratoryRate: 9 }, 3, 'D'],
    ['SBP 70 mm Hg', { systolicBP: 70 }, 1, 'A'],
    ['SBP 71 mm Hg, alert, HR 70 (hypotension without hypoperfusion: B)', { systolicBP: 71 }, 2, 'B'],
    ['SBP 85 with HR 90 ≥ SBP (hypoperfusion)', { systolicBP: 85, heartRate: 90 }, 1, 'A'],
    ['SBP 85 with new confusion (hypoperfusion)', { systolicBP: 85, consciousness: 'C' }, 1, 'A'],
    ['SBP 85 alert, HR 80 (B: hypotension)', { systolicBP: 85, heartRate: 80 }, 2, 'B'],
    ['SBP 90 alert (not hypotensive)', { systolicBP: 90 }, 3, 'D'],
    ['HR 32/min', { heartRate: 32 }, 1, 'A'],
    ['HR 33/min, stable (not A)', { heartRate: 33 }, 3, 'D'],
    ['HR 180/min', { heartRate: 180 }, 1, 'A'],
    ['HR 179/min, stable (danger zone D)', { heartRate: 179 }, 2, 'D'],
    ['HR 45 with SBP 85 (unstable bradycardia)', { heartRate: 45, systolicBP: 85 }, 1, 'A'],
    ['HR 150 with voice-only response (unstable tachycardia)', { heartRate: 150, consciousness: 'V' }, 1, 'A'],
    ['HR 149 with voice-only response (B: new confusion)', { heartRate: 149, consciousness: 'V' }, 2, 'B'],
  ] as const)('%s → level %d by %s', (_label, spec, level, setBy) => {
    const r = adult(spec);
    expect(r.level).toBe(level);
    expect(r.setBy).toBe(setBy);
  });

  it('names the deciding criterion and its evidence', () => {
    const r = adult({ spo2: 86 });
    expect(r.deciding.map((f) => f.criterion)).toEqual(['spo2-below-90']);
    expect(r.deciding[0]?.evidence[0]).toMatchObject({ parameter: 'spo2', value: 86 });
    expect(r.deciding[0]?.citation.corpusId).toBe('ahrq-esi-v4-ch3-algorithm');
    expect(r.reason).toMatch(/^requires immediate life-saving intervention: SpO2 < 90 %/);
  });

  it('children: SBP below the PALS limit for age (5 years: < 80 mm Hg)', () => {
    expect(paediatricHypotensionBelow(age({ years: 5 }))).toBe(80);
    const child = (sbp: number): AcuityResult => esi(observations({ age: age({ years: 5 }), systolicBP: sbp, heartRate: 100, respiratoryRate: 24, spo2: 98, consciousness: 'A' }));
    expect(child(79).level).toBe(1);
    expect(criterion(child(79), 'paediatric-hypotension')).toBe(true);
    expect(child(80).level).toBe(3);
    expect(criterion(child(80), 'systolic-bp-70-or-less')).toBeUndefined();
  });

  it.each([
    [{ days: 10 }, 60],
    [{ months: 6 }, 70],
    [{ years: 1 }, 72],
    [{ years: 9 }, 88],
    [{ years: 10 }, null],
  ])('PALS hypotension limit at %o: %s', (spec, limit) => {
    expect(paediatricHypotensionBelow(age(spec))).toBe(limit);
  });

  it('infants and children: heart rate < 60 → level 1; 60 is not', () => {
    const infant = (hr: number): AcuityResult =>
      esi(observations({ age: age({ months: 6 }), heartRate: hr, respiratoryRate: 30, spo2: 98, systolicBP: 90, temperature: 37, consciousness: 'A' }));
    expect(infant(59)).toMatchObject({ level: 1, setBy: 'A' });
    expect(criterion(infant(60), 'paediatric-bradycardia')).toBe(false);
    expect(infant(60).level).toBe(3);
  });
});

describe('decision point B: should not wait → level 2', () => {
  it('a high-risk chief complaint (knowledge-base match) → 2, with its passage', () => {
    const passage = { chunkId: 'ahrq-esi-v4-ch4-level-2#12', text: 'Signs of a stroke, but does not meet level-1 criteria.', score: 0.91 };
    const r = adult({}, { highRisk: { status: 'matched', complaint: 'left arm weakness', passage } });
    expect(r).toMatchObject({ level: 2, setBy: 'B' });
    expect(r.deciding[0]).toMatchObject({ criterion: 'high-risk-complaint', passage });
  });

  it('a complaint the knowledge base did not match does not raise the level', () => {
    expect(adult({}, { highRisk: { status: 'not-matched', complaint: 'sprained ankle' } }).level).toBe(3);
  });

  it.each([
    ['C', true],
    ['V', true],
    ['A', false],
  ] as const)('ACVPU %s: new confusion/lethargy met %s', (level, expected) => {
    const r = adult({ consciousness: level });
    expect(criterion(r, 'new-confusion-lethargy-disorientation')).toBe(expected);
    expect(r.level).toBe(expected ? 2 : 3);
  });

  it.each([
    [15, false],
    [14, true],
    [9, true],
  ])('GCS %d: new confusion met %s', (gcs, expected) => {
    expect(criterion(adult({ consciousness: null, gcs }), 'new-confusion-lethargy-disorientation')).toBe(expected);
  });

  describe('severe pain (≥ 7/10), default policy: with physiological signs', () => {
    it('pain 7 with a danger-zone heart rate → 2 even when one resource is expected', () => {
      const r = adult({ pain: 7, heartRate: 110 }, { resources: ONE });
      expect(r).toMatchObject({ level: 2, setBy: 'B' });
      expect(r.deciding.map((f) => f.criterion)).toEqual(['severe-pain']);
    });

    it('pain 7 with normal vitals is a consideration, not a level (the stubbed toe of ch. 4 is level 4)', () => {
      const r = adult({ pain: 7 }, { resources: ONE });
      expect(r).toMatchObject({ level: 4, setBy: 'C' });
      expect(r.considerations.map((f) => f.criterion)).toEqual(['severe-pain']);
    });

    it('pain 6 is not severe', () => {
      expect(criterion(adult({ pain: 6 }), 'severe-pain')).toBe(false);
    });

    it('policy "always": pain 7 alone → 2', () => {
      expect(adult({ pain: 7 }, { resources: ONE, options: { severePain: 'always' } })).toMatchObject({ level: 2, setBy: 'B' });
    });
  });

  describe('febrile infant under 3 months (ch. 4 / ch. 6)', () => {
    const infant = (spec: { days?: number; months?: number }, temp: number | null): AcuityResult =>
      esi(observations({ age: age(spec), temperature: temp, heartRate: 150, respiratoryRate: 40, spo2: 98, systolicBP: 75, consciousness: 'A' }), { resources: NONE });
    it('20 days, 38.0 °C → 2', () => expect(infant({ days: 20, months: 0 }, 38.0)).toMatchObject({ level: 2, setBy: 'B' }));
    it('20 days, 37.9 °C → by resources', () => expect(infant({ days: 20, months: 0 }, 37.9).level).toBe(5));
    it('2 months, 38.2 °C → 2', () => expect(infant({ months: 2 }, 38.2).level).toBe(2));
    it('temperature not recorded: unassessed, could be 2', () => {
      const r = infant({ months: 2 }, null);
      expect(r.unassessed.map((f) => f.criterion)).toContain('febrile-infant-under-3-months');
      expect(r.possibleLevels.mostUrgent).toBe(2);
    });
  });
});

describe('decision point C: expected resources', () => {
  it.each([
    [NONE, 5],
    [ONE, 4],
    [MANY, 3],
  ])('%o → level %d', (resources, level) => {
    expect(adult({}, { resources }).level).toBe(level);
  });

  it('resources unknown: level 3, never 4 or 5, and says it could be 5', () => {
    const r = esi(normalAdult(), { resources: { status: 'unknown', reason: 'no estimator' } });
    expect(r).toMatchObject({ level: 3, setBy: 'D' });
    expect(r.reason).toMatch(/resources could not be estimated \(no estimator\): levels 4 and 5 need a resource estimate/);
    expect(r.possibleLevels).toEqual({ mostUrgent: 3, leastUrgent: 5 });
  });

  it.each([
    // [resources, danger-zone heart rate?, option, level]
    [ONE, false, 'level-3', 4],
    [ONE, true, 'level-3', 3],
    [NONE, true, 'level-3', 3],
    [ONE, true, 'consider', 4],
    [MANY, true, 'level-3', 2],
  ] as const)('%o, danger-zone HR %s, dangerZoneWithFewerResources %s → level %d', (resources, danger, option, level) => {
    const r = adult(danger ? { heartRate: 120 } : {}, { resources, options: { dangerZoneWithFewerResources: option } });
    expect(r.level).toBe(level);
    if (danger && option === 'level-3' && resources !== MANY) {
      expect(r.reason).toMatch(/with danger-zone vital signs the estimate is not relied on/);
      expect(r.deciding.map((f) => f.criterion)).toEqual(['danger-zone-heart-rate']);
    }
  });

  it.each([
    [5, 5],
    [4, 4],
  ] as const)('no resources expected with noResourceLevel %d → level %d', (noResourceLevel, level) => {
    const r = adult({}, { resources: NONE, options: { noResourceLevel } });
    expect(r).toMatchObject({ level, setBy: 'C' });
    if (noResourceLevel === 4) expect(r.reason).toMatch(/level 5 is not assigned/);
  });

  it('default is unknown resources', () => {
    expect(assessAcuity({ observations: normalAdult(), highRisk: NOT_HIGH_RISK }).resources.status).toBe('unknown');
  });

  it('3-36 months with fever > 39.0 °C cannot be 4 or 5 (immunisations and source unknown)', () => {
    const child = (temp: number): AcuityResult =>
      esi(observations({ age: age({ months: 18 }), temperature: temp, heartRate: 120, respiratoryRate: 30, spo2: 98, systolicBP: 95, consciousness: 'A' }), { resources: NONE });
    expect(child(39.1)).toMatchObject({ level: 3 });
    expect(child(39.1).reason).toMatch(/Fever > 39.0/);
    expect(child(39.0).level).toBe(5);
  });
});

describe('decision point D: danger-zone vital signs by age (ESI v4 Figure 6-1)', () => {
  // Baselines below every limit of the band, on the way to level 3.
  const bands = [
    { name: '< 3 months', age: age({ months: 1 }), hr: 180, rr: 50, base: { systolicBP: 75, temperature: 37 } },
    { name: '3 months - 3 years', age: age({ months: 12 }), hr: 160, rr: 40, base: { systolicBP: 90 } },
    { name: '3 - 8 years', age: age({ years: 5 }), hr: 140, rr: 30, base: { systolicBP: 95 } },
    { name: '> 8 years', age: age({ years: 30 }), hr: 100, rr: 20, base: { systolicBP: 120 } },
  ];
  describe.each(bands)('$name', ({ age: a, hr, rr, base }) => {
    const run = (spec: ObservationSpec): AcuityResult =>
      esi(observations({ age: a, heartRate: hr, respiratoryRate: rr, spo2: 97, consciousness: 'A', ...base, ...spec }));
    it(`HR ${hr} is not danger zone (3)`, () => expect(run({}).level).toBe(3));
    it(`HR ${hr + 1} is danger zone (2)`, () => {
      const r = run({ heartRate: hr + 1 });
      expect(r).toMatchObject({ level: 2, setBy: 'D' });
      expect(r.deciding.map((f) => f.criterion)).toEqual(['danger-zone-heart-rate']);
    });
    it(`RR ${rr + 1} is danger zone (2)`, () => {
      const r = run({ respiratoryRate: rr + 1 });
      expect(r).toMatchObject({ level: 2, setBy: 'D' });
      expect(r.deciding.map((f) => f.criterion)).toEqual(['danger-zone-respiratory-rate']);
    });
    it('SpO2 91 is danger zone, 92 is not', () => {
      expect(run({ spo2: 91 }).level).toBe(2);
      expect(run({ spo2: 92 }).level).toBe(3);
    });
  });

  it.each([
    [{ months: 2 }, 'under-3-months'],
    [{ months: 3 }, '3-months-to-3-years'],
    [{ months: 35 }, '3-months-to-3-years'],
    [{ months: 36 }, '3-to-8-years'],
    [{ months: 96 }, '3-to-8-years'],
    [{ months: 97 }, 'over-8-years'],
  ])('age %o is in band %s', (spec, band) => {
    expect(dangerZoneAgeBand(age(spec)).band).toBe(band);
  });

  it('unknown age: the > 8 years limits (the most sensitive), and the finding says so', () => {
    const r = esi(normalAdult({ age: null, heartRate: 101 }));
    expect(r).toMatchObject({ level: 2, setBy: 'D', dangerZone: { band: 'over-8-years' } });
    expect(r.deciding[0]?.detail).toMatch(/age unknown/);
  });

  it('policy "consider": stays 3, the danger-zone finding is a consideration', () => {
    const r = adult({ heartRate: 120 }, { options: { dangerZone: 'consider' } });
    expect(r.level).toBe(3);
    expect(r.considerations.map((f) => f.criterion)).toEqual(['danger-zone-heart-rate']);
  });

  it('D does not apply to levels 4 and 5, but danger-zone vitals are shown for consideration', () => {
    const r = adult({ heartRate: 120 }, { resources: ONE });
    expect(r).toMatchObject({ level: 4, setBy: 'C' });
    expect(r.considerations.map((f) => f.criterion)).toEqual(['danger-zone-heart-rate']);
  });
});

describe('missing values: what cannot be assessed is reported, never read as normal', () => {
  it('nothing recorded, no complaint, resources unknown: level 3 with the whole range open', () => {
    const r = assessAcuity({ observations: observations({ age: age({ years: 50 }) }), highRisk: { status: 'no-complaint' } });
    expect(r.level).toBe(3);
    expect(r.possibleLevels).toEqual({ mostUrgent: 1, leastUrgent: 5 });
    expect(r.unassessed.map((f) => f.criterion)).toEqual(
      expect.arrayContaining(['unresponsive', 'spo2-below-90', 'high-risk-complaint', 'danger-zone-heart-rate']),
    );
    expect(r.findings.every((f) => f.met === null)).toBe(true);
  });

  it('SpO2 missing in an otherwise stable adult: could be level 1', () => {
    const r = adult({ spo2: null });
    expect(r.level).toBe(3);
    expect(r.possibleLevels.mostUrgent).toBe(1);
    expect(r.unassessed.map((f) => f.criterion)).toEqual(['spo2-below-90', 'danger-zone-spo2']);
  });

  it('at level 1 nothing else is open', () => {
    const r = adult({ spo2: 85, consciousness: null, heartRate: null });
    expect(r.level).toBe(1);
    expect(r.unassessed).toEqual([]);
  });

  it('at level 2 (B), only decision point A criteria are open', () => {
    const r = adult({ consciousness: 'V', spo2: null, heartRate: null });
    expect(r.level).toBe(2);
    expect(new Set(r.unassessed.map((f) => f.decisionPoint))).toEqual(new Set(['A']));
  });

  it('knowledge base unavailable: high risk is unassessed, not "not high risk"', () => {
    const r = adult({}, { highRisk: { status: 'unavailable', complaint: 'chest pain', reason: 'timeout' } });
    expect(criterion(r, 'high-risk-complaint')).toBeNull();
    expect(r.unassessed.map((f) => f.criterion)).toEqual(['high-risk-complaint']);
    expect(r.possibleLevels.mostUrgent).toBe(2);
  });

  it('pain not recorded is not a gap when pain alone could not set the level', () => {
    expect(adult({ pain: null }).unassessed).toEqual([]);
  });
});

describe('high-risk matcher (dependency-injected knowledge base)', () => {
  it('passes the complaint and returns the match with its passage', async () => {
    const passage = { chunkId: 'c1', text: 'Active chest pain, suspicious for coronary syndrome', score: 0.8 };
    const matcher = jest.fn<HighRiskMatcher>(async () => ({ matched: true, passage }));
    await expect(assessHighRisk('  crushing chest pain ', matcher)).resolves.toEqual({ status: 'matched', complaint: 'crushing chest pain', passage });
    expect(matcher).toHaveBeenCalledWith('crushing chest pain');
  });

  it('no complaint: the matcher is not called', async () => {
    const matcher = jest.fn<HighRiskMatcher>(async () => ({ matched: true }));
    await expect(assessHighRisk(null, matcher)).resolves.toEqual({ status: 'no-complaint' });
    await expect(assessHighRisk('   ', matcher)).resolves.toEqual({ status: 'no-complaint' });
    expect(matcher).not.toHaveBeenCalled();
  });

  it('a failing matcher is "unavailable", never "not matched"', async () => {
    const matcher: HighRiskMatcher = async () => {
      throw new Error('database down');
    };
    await expect(assessHighRisk('chest pain', matcher)).resolves.toEqual({ status: 'unavailable', complaint: 'chest pain', reason: 'database down' });
  });

  it('a malformed answer is "unavailable"', async () => {
    const matcher = (async () => ({ matched: 'yes' })) as unknown as HighRiskMatcher;
    await expect(assessHighRisk('chest pain', matcher)).resolves.toMatchObject({ status: 'unavailable' });
  });

  it('assessAcuityWithMatcher matches the chief complaint, then runs the algorithm', async () => {
    const matcher = jest.fn<HighRiskMatcher>(async (complaint) => ({ matched: complaint.includes('chest') }));
    const r = await assessAcuityWithMatcher(normalAdult({ complaint: 'chest pain' }), matcher, MANY);
    expect(r).toMatchObject({ level: 2, setBy: 'B' });
    const r2 = await assessAcuityWithMatcher(normalAdult({ complaint: 'ankle sprain' }), matcher, ONE);
    expect(r2.level).toBe(4);
  });
});

describe('decision point B: high-risk complaint from the knowledge base or the resource table', () => {
  const KB_MATCH: HighRiskAssessment = { status: 'matched', complaint: 'x' };
  const KB_NO: HighRiskAssessment = { status: 'not-matched', complaint: 'x' };
  const row = (highRisk?: string): ResourceEstimate => ({
    status: 'estimated',
    count: 'one',
    basis: 'test',
    matches: [{ rowId: 'r', label: 'Row', matchedWords: ['w'], resources: ['xray'], citation: 'ESI v4 ch. 5', ...(highRisk !== undefined && { highRisk }) }],
    unexplainedWords: [],
  });
  const UNKNOWN: ResourceEstimate = { status: 'unknown', reason: 'no row' };

  it.each([
    // [knowledge-base match, resource estimate, highRiskSource, level]
    [KB_NO, row('ESI v4 ch. 4: high risk'), 'either', 2],
    [KB_NO, row('ESI v4 ch. 4: high risk'), 'table-first', 2],
    [KB_MATCH, row(), 'either', 2],
    [KB_MATCH, row(), 'table-first', 4], // the table's row (not high risk) stands
    [KB_MATCH, UNKNOWN, 'table-first', 2], // the table does not know the complaint: the knowledge base decides
    [KB_NO, UNKNOWN, 'table-first', 3],
  ] as const)('%o with %o, %s → level %d', (highRisk, resources, highRiskSource, level) => {
    const r = adult({}, { highRisk, resources, options: { highRiskSource } });
    expect(r.level).toBe(level);
    const f = r.findings.find((x) => x.criterion === 'high-risk-complaint');
    if (resources !== UNKNOWN && resources.status === 'estimated' && resources.matches?.[0]?.highRisk) expect(f?.detail).toMatch(/ESI v4 ch\. 4: high risk/);
    if (highRiskSource === 'table-first' && highRisk === KB_MATCH && resources !== UNKNOWN) expect(f?.detail).toMatch(/does not name high risk/);
  });
});
