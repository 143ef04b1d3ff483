/**
 * Cairn's fitted triage scores (src/services/triage/fitted-score.ts): the features read from the
 * patient's data, the points and their words, where the scores may be used, and what they do to
 * the ESI decision points (acuity.ts). A small fixed model keeps the logic tests independent of
 * the shipped weights; the last block checks the shipped model (triage-score.json) as shipped.
 */
import { describe, expect, it } from '@jest/globals';
import { assessAcuity, type AcuityOptions, type HighRiskAssessment, type ResourceEstimate } from '../../src/services/triage/acuity.js';
import { DEFAULT_ACUITY_OPTIONS, WITH_FITTED_SCORE } from '../../src/services/triage/assess.js';
import {
  evaluateScore,
  outsideDomain,
  scoreFeatures,
  TRIAGE_SCORE_MODEL,
  withThresholds,
  type FeatureValue,
  type TriageScoreModel,
} from '../../src/services/triage/fitted-score.js';
import type { ResourceType } from '../../src/services/triage/resources.js';
import { fitScore } from '../../dev/eval/score-fit.js';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import { KTAS_REFERENCE_TIME, ktasRecordToBundle, parseKtasRecord } from '../../dev/eval/ktas.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { assessTriage } from '../../src/services/triage/assess.js';
import { TRIAGE_EXTENSION, triageCard } from '../../src/services/triage/card.js';
import { evidenceEngine } from '../../src/services/evidence.js';
import { age, normalAdult, reading } from './triage-fixtures.js';
import type { ObservationSpec } from './triage-fixtures.js';

const MODEL: TriageScoreModel = {
  id: 'test',
  label: 'test score',
  source: {},
  domain: { ageYearsAtLeast: 16, heartRateBelow: 150 },
  scores: {
    'danger-zone': {
      question: '',
      target: '',
      points: { 'respiratory-rate-over-line': 1, 'age-65-or-older': 1, 'pain-7-or-more': 1, 'temperature-38-or-more': 4 },
      threshold: 2,
      coefficients: {},
      fittedOn: 0,
    },
    resources: {
      question: '',
      target: '',
      points: { 'resource-kinds': 2, 'needs-ecg': 5, 'pain-7-or-more': 3, 'age-65-or-older': 1 },
      threshold: 4,
      thresholdOneResource: 5,
      coefficients: {},
      fittedOn: 0,
    },
  },
};

const NOT_HIGH_RISK: HighRiskAssessment = { status: 'not-matched', complaint: 'test' };
const estimate = (kinds: ResourceType[]): ResourceEstimate => ({
  status: 'estimated',
  count: kinds.length === 0 ? 'none' : kinds.length === 1 ? 'one' : 'many',
  basis: `test: ${kinds.join(', ')}`,
  resources: kinds,
});
const MANY = estimate(['lab', 'xray']);

function run(spec: ObservationSpec, resources: ResourceEstimate = MANY, options: AcuityOptions = { fittedScore: MODEL }) {
  return assessAcuity({ observations: normalAdult(spec), highRisk: NOT_HIGH_RISK, resources, options });
}

function feature(fs: FeatureValue[], name: FeatureValue['feature']): FeatureValue | undefined {
  return fs.find((f) => f.feature === name);
}

describe('scoreFeatures: the patient data in the score units', () => {
  const base = {
    heartRate: reading('heartRate', 128),
    respiratoryRate: reading('respiratoryRate', 26),
    systolicBP: reading('systolicBP', 95),
    temperature: reading('temperature', 38.0),
    pain: reading('painScore', 7),
    ageYears: 70,
    heartRateLine: 100,
    respiratoryRateLine: 20,
    resources: ['lab', 'ecg'] as ResourceType[],
    highRiskPassage: false,
  };
  it.each([
    ['heart-rate-over-line', 2.8, 'HR 128/min (line 100)'],
    ['respiratory-rate-over-line', 1.5, 'RR 26/min (line 20)'],
    ['both-rates-over-line', 1, 'HR 128/min and RR 26/min'],
    ['age-65-or-older', 1, 'age 70'],
    ['pain-7-or-more', 1, 'pain 7/10'],
    ['pain-4-to-6', 0, 'pain 7/10'],
    ['temperature-38-or-more', 1, 'temperature 38 °C'],
    ['systolic-bp-under-100', 1, 'systolic BP 95 mm Hg'],
    ['resource-kinds', 2, '2 kinds of resource expected'],
    ['needs-ecg', 1, 'ECG expected'],
    ['needs-advanced-imaging', 0, 'CT/MRI/ultrasound expected'],
  ] as const)('%s = %s (%s)', (name, value, words) => {
    const f = feature(scoreFeatures(base), name);
    expect(f?.value).toBeCloseTo(value, 10);
    expect(f?.words).toBe(words);
  });

  it('at the line, a rate is 0 units past it', () => {
    expect(feature(scoreFeatures({ ...base, heartRate: reading('heartRate', 100) }), 'heart-rate-over-line')?.value).toBe(0);
  });

  it('missing data are null, never a normal value', () => {
    const fs = scoreFeatures({ ...base, heartRate: null, pain: null, ageYears: null, resources: null });
    for (const n of ['heart-rate-over-line', 'both-rates-over-line', 'pain-7-or-more', 'age-65-or-older', 'resource-kinds', 'needs-ecg'] as const) {
      expect(feature(fs, n)?.value).toBeNull();
    }
  });
});

describe('evaluateScore: points, threshold and the words for the card', () => {
  const fs = (over: Partial<Parameters<typeof scoreFeatures>[0]> = {}) =>
    scoreFeatures({
      heartRate: reading('heartRate', 128),
      respiratoryRate: reading('respiratoryRate', 26),
      systolicBP: reading('systolicBP', 120),
      temperature: reading('temperature', 37.0),
      pain: null,
      ageYears: 70,
      heartRateLine: 100,
      respiratoryRateLine: 20,
      resources: ['lab', 'xray'],
      highRiskPassage: false,
      ...over,
    });

  it('sums the points of the features present and compares them with the threshold', () => {
    const r = evaluateScore('danger-zone', fs(), MODEL)!;
    expect(r.points).toBe(2.5); // RR 6/min over the line = 1.5 units × 1 point, age 70 = 1 point
    expect(r.urgent).toBe(true);
    expect(r.summary).toBe('points 2.5 ≥ 2 (RR 26/min (line 20) +1.5; age 70 +1; not counted, data missing: pain not recorded), test score');
  });

  it('below the threshold is not urgent, and says so', () => {
    const r = evaluateScore('danger-zone', fs({ ageYears: 40, respiratoryRate: reading('respiratoryRate', 20) }), MODEL)!;
    expect(r).toMatchObject({ points: 0, urgent: false, terms: [] });
    expect(r.summary).toMatch(/^points 0 < 2 \(no feature gave points|^points 0 < 2 \(not counted/);
  });

  it('the resource score has a separate threshold for one resource', () => {
    const one = fs({ resources: ['lab'], ageYears: 40 });
    expect(evaluateScore('resources', one, MODEL, true)).toMatchObject({ points: 2, threshold: 5, urgent: false });
    expect(evaluateScore('resources', one, MODEL, false)).toMatchObject({ points: 2, threshold: 4, urgent: false });
  });

  it('a threshold of null turns a score off', () => {
    expect(evaluateScore('danger-zone', fs(), withThresholds(MODEL, { dangerZone: null }))).toBeNull();
    expect(evaluateScore('resources', fs(), withThresholds(MODEL, { oneResource: null }), true)).toBeNull();
  });
});

describe('outsideDomain: the scores are used only within the data they were fitted on', () => {
  it.each([
    [40, 90, null],
    [15, 90, 'age 15 (fitted on ages 16 and over)'],
    [null, 90, 'age unknown (the score was fitted on records that all had an age)'],
    [40, 150, 'heart rate 150/min (used below 150/min)'],
  ] as const)('age %s, HR %s → %s', (ageYears, hr, expected) => {
    expect(outsideDomain({ ageYears, heartRate: reading('heartRate', hr) }, MODEL)).toBe(expected);
  });
});

describe('decision point D with the danger-zone score', () => {
  it('without the score (default options) a danger-zone heart rate is level 2', () => {
    expect(run({ heartRate: 128 }, MANY, {})).toMatchObject({ level: 2, setBy: 'D', scores: [] });
  });

  it('points below the threshold: level 3, the vitals kept as considerations, the reason gives the points', () => {
    const r = run({ heartRate: 128 });
    expect(r).toMatchObject({ level: 3, setBy: 'D' });
    expect(r.reason).toContain('danger-zone vital signs (heart rate 128 /min), level 2 or 3: points 0 < 2');
    expect(r.reason).toMatch(/→ level 3$/);
    expect(r.considerations.map((f) => f.criterion)).toEqual(['danger-zone-heart-rate']);
    expect(r.scores.map((s) => s.score)).toEqual(['danger-zone']);
  });

  it('points at the threshold: level 2, and the reason says why', () => {
    const r = run({ heartRate: 128, respiratoryRate: 26, age: age({ years: 70 }) });
    expect(r).toMatchObject({ level: 2, setBy: 'D' });
    expect(r.reason).toContain('level 2 or 3: points 2.5 ≥ 2 (RR 26/min (line 20) +1.5; age 70 +1');
    expect(r.reason).toMatch(/→ level 2$/);
  });

  it('a danger-zone SpO2 is never decided by the score: level 2', () => {
    expect(run({ spo2: 91 })).toMatchObject({ level: 2, setBy: 'D' });
    expect(run({ spo2: 91, heartRate: 128 })).toMatchObject({ level: 2, setBy: 'D' });
  });

  it('outside the fitted data (age unknown, a child, HR ≥ 150) the handbook default decides: level 2', () => {
    expect(run({ heartRate: 128, age: null })).toMatchObject({ level: 2, setBy: 'D', scores: [] });
    expect(run({ heartRate: 150 })).toMatchObject({ level: 2, setBy: 'D', scores: [] });
    expect(run({ heartRate: 150, age: age({ years: 12 }) })).toMatchObject({ level: 2, setBy: 'D', scores: [] });
  });
});

describe('severe pain with a danger-zone rate (decision point B) and the danger-zone score', () => {
  it('points at the threshold: level 2 at B', () => {
    const r = run({ heartRate: 128, pain: 8, age: age({ years: 70 }) });
    expect(r).toMatchObject({ level: 2, setBy: 'B' });
    expect(r.findings.find((f) => f.criterion === 'severe-pain')?.detail).toContain('points 2 ≥ 2');
  });

  it('points below: not level 2, and not below level 3 even with one resource expected', () => {
    const r = run({ heartRate: 128, pain: 8 }, estimate(['xray']));
    expect(r.level).toBe(3);
    expect(r.findings.find((f) => f.criterion === 'severe-pain')).toMatchObject({ met: true, effect: 'consider' });
    expect(r.considerations.map((f) => f.criterion)).toContain('severe-pain');
    expect(r.reason).toContain('severe pain (pain 8/10) with danger-zone vital signs (heart rate 128 /min), level 2 or 3: points 1 < 2 (pain 8/10 +1');
    expect(r.reason).toContain('not below level 3');
  });
});

describe('decision point C with the resource score', () => {
  it('one resource, points below the one-resource threshold: level 4, with the points', () => {
    const r = run({}, estimate(['xray']));
    expect(r).toMatchObject({ level: 4, setBy: 'C' });
    expect(r.reason).toContain('level 3 or 4: points 2 < 5 (1 kind of resource expected +2; not counted, data missing: pain not recorded), test score → level 4');
  });

  it('one resource, points at the threshold: level 3', () => {
    const r = run({ pain: 7 }, estimate(['xray']));
    expect(r).toMatchObject({ level: 3, setBy: 'C' });
    expect(r.reason).toMatch(/points 5 ≥ 5 .*→ level 3$/);
  });

  it('two or more resources, points below the threshold: level 4; at or above: level 3', () => {
    // lab + X-ray: 2 kinds × 2 points = 4, below a threshold of 5.
    expect(run({}, estimate(['lab', 'xray']), { fittedScore: withThresholds(MODEL, { resources: 5 }) })).toMatchObject({ level: 4, setBy: 'C' });
    const stays = run({}, estimate(['lab', 'ecg']));
    expect(stays).toMatchObject({ level: 3, setBy: 'D' });
    expect(stays.reason).toMatch(/points 9 ≥ 4 .*→ level 3$/);
  });

  it('two or more resources with a danger-zone vital sign are never sent to 4 by the score', () => {
    const r = run({ heartRate: 128 }, estimate(['lab', 'xray']), { fittedScore: withThresholds(MODEL, { resources: 5 }) });
    expect(r.level).toBe(3);
  });

  it('no resources: level 5 as before, the score is not used', () => {
    expect(run({}, estimate([]))).toMatchObject({ level: 5, setBy: 'C', scores: [] });
  });

  it('the resource score off (threshold null): the table decides', () => {
    const off = withThresholds(MODEL, { resources: null, oneResource: null });
    expect(run({}, MANY, { fittedScore: off })).toMatchObject({ level: 3 });
    expect(run({ pain: 7 }, estimate(['xray']), { fittedScore: off })).toMatchObject({ level: 4 });
  });
});

describe('the shipped model (triage-score.json)', () => {
  it('says where it came from; off by default (CAIRN_TRIAGE_FITTED_SCORE), on in WITH_FITTED_SCORE', () => {
    expect(TRIAGE_SCORE_MODEL.label).toBe("Cairn's fitted score, KTAS development 2026");
    expect(TRIAGE_SCORE_MODEL.source).toMatchObject({ date: '2026-12-06' });
    expect(String(TRIAGE_SCORE_MODEL.source['data'])).toContain('KTAS');
    expect(DEFAULT_ACUITY_OPTIONS.fittedScore).toBeNull();
    expect(WITH_FITTED_SCORE).toEqual({ ...DEFAULT_ACUITY_OPTIONS, fittedScore: TRIAGE_SCORE_MODEL });
  });

  it('has no negative points (no feature makes a patient less urgent)', () => {
    for (const s of Object.values(TRIAGE_SCORE_MODEL.scores)) for (const p of Object.values(s.points)) expect(p).toBeGreaterThan(0);
  });

  it('a 45-year-old with a heart rate of 128/min only: level 3 at D, the card line names the score', () => {
    const r = run({ heartRate: 128 }, MANY, WITH_FITTED_SCORE);
    expect(r.level).toBe(3);
    expect(r.reason).toContain("Cairn's fitted score, KTAS development 2026 → level 3");
  });

  it('with a temperature of 38.5 °C as well: level 2', () => {
    expect(run({ heartRate: 128, temperature: 38.5 }, MANY, WITH_FITTED_SCORE).level).toBe(2);
    // Without the score (the default) the handbook's "consider" upgrade stands.
    expect(run({ heartRate: 128 }, MANY, DEFAULT_ACUITY_OPTIONS).level).toBe(2);
  });
});

describe('fitScore (dev/eval/score-fit.ts): sign-constrained logistic regression', () => {
  const f = (x: number, y: number): FeatureValue[] => [
    { feature: 'temperature-38-or-more', value: x, words: '' },
    { feature: 'pain-7-or-more', value: y, words: '' },
  ];
  // Fever raises the outcome rate; pain lowers it in this toy data, so pain is dropped.
  const rows = [
    ...Array.from({ length: 20 }, (_, i) => ({ features: f(1, i % 2), y: i % 5 === 0 ? 0 : 1 })),
    ...Array.from({ length: 20 }, (_, i) => ({ features: f(0, i % 2), y: i % 2 === 1 ? 0 : i % 4 === 0 ? 1 : 0 })),
  ];
  it('keeps positive features, drops a negative one, and rounds to half-logit points', () => {
    const def = fitScore({ name: 'danger-zone', question: 'q', target: 't', features: ['temperature-38-or-more', 'pain-7-or-more'] }, rows);
    expect(def.coefficients['pain-7-or-more']).toBe(0);
    expect(def.coefficients['temperature-38-or-more']).toBeGreaterThan(0);
    expect(def.points['temperature-38-or-more']).toBe(Math.round(2 * def.coefficients['temperature-38-or-more']!));
    expect(def.threshold).toBeNull();
    expect(def.fittedOn).toBe(40);
  });
});

describe('the card through the hook path (FHIR resources → assessment → card)', () => {
  async function card(over: Record<string, unknown>, fitted = true) {
    const record = parseKtasRecord({ id: 'p1', sex: 'female', age: 45, chief_complaint: 'abdominal pain', avpu: 'alert', nrs_pain: 3, sbp: 120, dbp: 80, hr: 118, rr: 20, temp_c: 36.8, spo2: 98, ...over });
    const resources = (ktasRecordToBundle(record).entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
    const context = buildPatientContext({ resources, referenceTime: KTAS_REFERENCE_TIME, patientId: 'p1' });
    const a = await assessTriage({ context, resources, matcher: async () => ({ matched: false }), ...(fitted && { acuityOptions: WITH_FITTED_SCORE }) });
    return triageCard(a, [], { showInfo: true, patientId: 'p1', now: KTAS_REFERENCE_TIME.toISOString() })!;
  }

  it('a danger-zone heart rate the score keeps at level 3: the card states D, the rate and the points', async () => {
    const c = await card({});
    expect(c.summary).toMatch(/^ESI level 3 \(decision point D\)/);
    expect(c.detail).toContain('danger-zone vital signs (heart rate 118 /min), level 2 or 3: points 0 < 2');
    expect(c.detail).toContain("Cairn's fitted score, KTAS development 2026 → level 3");
    expect(c.extension?.[TRIAGE_EXTENSION]).toMatchObject({ esiLevel: 3, setBy: 'D', fittedScores: [{ score: 'danger-zone', points: 0, threshold: 2, moreUrgentLevel: false }] });
    // The uuid is added by the hook layer, as in triage-card.test.ts.
    expect(checkCdsResponse({ cards: [{ ...c, uuid: '2b8c5f8e-2b0a-4c6e-9d7e-0e6f8b7a1c11' }] })).toEqual([]);
  });

  it('with fever the same patient is level 2', async () => {
    const c = await card({ temp_c: 38.4 });
    expect(c.summary).toMatch(/^ESI level 2 \(decision point D\)/);
    expect(c.detail).toContain('points 4 ≥ 2 (temperature 38.4 °C +4');
  });

  it('by default (score off) the same patient is level 2 and the card names no score', async () => {
    const c = await card({}, false);
    expect(c.summary).toMatch(/^ESI level 2 \(decision point D\)/);
    expect(c.detail).not.toContain("Cairn's fitted score");
    expect(c.extension?.[TRIAGE_EXTENSION]).not.toHaveProperty('fittedScores');
  });

  it('the evidence API (the app) follows the same setting as the hook: the level it shows is the card’s', async () => {
    const record = parseKtasRecord({ id: 'p1', sex: 'female', age: 45, chief_complaint: 'abdominal pain', avpu: 'alert', nrs_pain: 3, sbp: 120, dbp: 80, hr: 118, rr: 20, temp_c: 36.8, spo2: 98 });
    const resources = (ktasRecordToBundle(record).entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
    const search = { search: () => Promise.resolve([]) };
    const level = async (triageFittedScore: boolean) =>
      (await evidenceEngine({ search, config: { triageFittedScore } }).assess({ resources, patientId: 'p1', referenceTime: KTAS_REFERENCE_TIME })).triage?.esi.level;
    expect(await level(true)).toBe(3);
    expect(await level(false)).toBe(2);
  });

  it('age unknown: the score is not used, the handbook default (level 2) stands', async () => {
    const c = await card({ age: null });
    expect(c.summary).toMatch(/^ESI level 2 \(decision point D\)/);
    expect(c.extension?.[TRIAGE_EXTENSION]).not.toHaveProperty('fittedScores');
  });
});
