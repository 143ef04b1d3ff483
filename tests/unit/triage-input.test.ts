/**
 * What the triage scores read from a PatientContext built from FHIR: the window, the evidence,
 * oxygen, the hypercapnic value set, the chief complaint, and the pain-score adapter.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { buildPatientContext, defaultValueSetIndex } from '../../src/fhir/context/index.js';
import type { PatientContext } from '../../src/fhir/context/index.js';
import { assessAcuity } from '../../src/services/triage/acuity.js';
import { computeNews2 } from '../../src/services/triage/news2.js';
import { painScoresFromResources } from '../../src/services/triage/pain.js';
import { computeQsofa } from '../../src/services/triage/qsofa.js';
import { computeShockIndex } from '../../src/services/triage/shock-index.js';
import { HYPERCAPNIC_RESPIRATORY_FAILURE_VALUE_SET, buildTriageObservations, latestMentalStatus } from '../../src/services/triage/triage-input.js';
import { condition as conditionResource, ICD10CM, LOINC, observation, patient as patientResource, SCT, UCUM, type Json } from '../support/fhir-builders.js';
import { repoPath } from '../support/repo-root.js';

const REF = new Date('2025-05-20T12:00:00Z');

const patient: Json = patientResource({ gender: 'female', birthDate: '1950-01-01' });

function hoursAgo(h: number): string {
  return new Date(REF.getTime() - h * 3_600_000).toISOString();
}

function obs(id: string, code: string, value: number, unit: string, when: string, extra: Json = {}): Json {
  return observation({ id, code, date: when, value, unit }, extra);
}

function condition(id: string, system: string, code: string, extra: Json = {}): Json {
  return conditionResource({ id, coding: { system, code }, onset: '2020-01-01' }, extra);
}

function context(resources: unknown[]): PatientContext {
  return buildPatientContext({ resources: [patient, ...resources], referenceTime: REF });
}

describe('the window', () => {
  it('uses the latest reading within 24 h and keeps the one before the window aside', () => {
    const ctx = context([
      obs('rr-old', '9279-1', 30, '/min', hoursAgo(25)),
      obs('rr-1', '9279-1', 18, '/min', hoursAgo(3)),
      obs('rr-2', '9279-1', 22, '/min', hoursAgo(1)),
    ]);
    const t = buildTriageObservations(ctx);
    expect(t.vitals.respiratoryRate.latest).toMatchObject({ value: 22, unit: '/min', source: 'Observation/rr-2', effective: hoursAgo(1) });
    expect(t.vitals.respiratoryRate.inWindow.map((e) => e.value)).toEqual([18, 22]);
    expect(t.vitals.respiratoryRate.lastBeforeWindow).toMatchObject({ value: 30, source: 'Observation/rr-old' });
  });

  it('a reading only older than the window is missing, not normal', () => {
    const t = buildTriageObservations(context([obs('spo2-old', '59408-5', 85, '%', hoursAgo(30))]));
    expect(t.vitals.spo2.latest).toBeNull();
    expect(t.missing).toContain('spo2');
    expect(computeNews2(t).missing).toContain('spo2');
  });

  it('the window can be changed', () => {
    const t = buildTriageObservations(context([obs('spo2-old', '59408-5', 85, '%', hoursAgo(30))]), { windowHours: 48 });
    expect(t.vitals.spo2.latest?.value).toBe(85);
  });

  it('converts units through PatientContext (°F → °C)', () => {
    const t = buildTriageObservations(context([obs('t', '8310-5', 100.4, '[degF]', hoursAgo(1))]));
    expect(t.vitals.temperature.latest?.unit).toBe('Cel');
    expect(t.vitals.temperature.latest?.value).toBeCloseTo(38.0, 6);
  });
});

describe('supplemental oxygen', () => {
  it('an O2 flow reading (3151-8) of 2 L/min means oxygen', () => {
    const t = buildTriageObservations(context([obs('flow', '3151-8', 2, 'L/min', hoursAgo(1))]));
    expect(t.supplementalOxygen).toMatchObject({ status: 'oxygen', evidence: { source: 'Observation/flow' } });
  });

  it('FiO2 recorded as a fraction (0.21, unit 1) is room air', () => {
    const t = buildTriageObservations(context([obs('fio2', '3150-0', 0.21, '1', hoursAgo(1))]));
    expect(t.supplementalOxygen.status).toBe('air');
  });

  it('FiO2 0.35 is oxygen', () => {
    const t = buildTriageObservations(context([obs('fio2', '3150-0', 0.35, '1', hoursAgo(1))]));
    expect(t.supplementalOxygen.status).toBe('oxygen');
  });

  it('nothing recorded: unknown, and NEWS2 says so', () => {
    const t = buildTriageObservations(context([]));
    expect(t.supplementalOxygen.status).toBe('unknown');
    expect(computeNews2(t).parameters.find((p) => p.parameter === 'airOrOxygen')?.status).toBe('missing');
  });
});

describe('hypercapnic respiratory failure (value set → NEWS2 SpO2 scale 2)', () => {
  it('the value set loads with the shipped index', () => {
    const index = defaultValueSetIndex();
    expect(index.valueSets.has(HYPERCAPNIC_RESPIRATORY_FAILURE_VALUE_SET)).toBe(true);
    expect(index.contains(HYPERCAPNIC_RESPIRATORY_FAILURE_VALUE_SET, ICD10CM, 'J96.12')).toBe(true);
    expect(index.contains(HYPERCAPNIC_RESPIRATORY_FAILURE_VALUE_SET, ICD10CM, 'J96.11')).toBe(false);
  });

  it.each([
    ['J96.02', ICD10CM],
    ['J96.12', ICD10CM],
    ['J96.22', ICD10CM],
    ['J96.92', ICD10CM],
    ['101301000119106', SCT],
  ])('an active confirmed %s puts NEWS2 on scale 2', (code, system) => {
    const t = buildTriageObservations(context([condition('c1', system, code)]));
    expect(t.hypercapnicRespiratoryFailure.recorded).toBe(true);
    expect(computeNews2(t).spo2Scale).toBe(2);
  });

  it('COPD alone (J44.9, SNOMED 13645005) stays on scale 1', () => {
    const t = buildTriageObservations(context([condition('c1', ICD10CM, 'J44.9'), condition('c2', SCT, '13645005')]));
    expect(computeNews2(t).spo2Scale).toBe(1);
  });

  it('a provisional diagnosis is reported but not used', () => {
    const t = buildTriageObservations(
      context([condition('c1', ICD10CM, 'J96.12', { verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'provisional' }] } })]),
    );
    expect(t.hypercapnicRespiratoryFailure).toMatchObject({ recorded: false, notUsed: [{ source: 'Condition/c1' }] });
    expect(computeNews2(t).spo2ScaleBasis).toMatch(/not used/);
  });
});

describe('chief complaint, mental status, patient', () => {
  it('reads the current encounter reason text', () => {
    const t = buildTriageObservations(
      context([
        {
          resourceType: 'Encounter',
          id: 'e1',
          status: 'in-progress',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' },
          subject: { reference: 'Patient/p1' },
          period: { start: hoursAgo(1) },
          reasonCode: [{ coding: [{ system: SCT, code: '29857009', display: 'Chest pain (finding)' }], text: 'crushing chest pain' }],
        },
      ]),
    );
    expect(t.chiefComplaint).toMatchObject({ text: 'crushing chest pain', source: 'Encounter/e1' });
  });

  it('no encounter: no complaint', () => {
    expect(buildTriageObservations(context([])).chiefComplaint).toBeNull();
  });

  it('AVPU from the consciousness value set is read as evidence', () => {
    const t = buildTriageObservations(
      context([
        {
          resourceType: 'Observation',
          id: 'avpu',
          status: 'final',
          code: { coding: [{ system: LOINC, code: '67775-7' }] },
          subject: { reference: 'Patient/p1' },
          effectiveDateTime: hoursAgo(1),
          valueCodeableConcept: { coding: [{ system: SCT, code: '300202002' }] },
        },
      ]),
    );
    expect(t.consciousness.latest).toMatchObject({ value: 'V', source: 'Observation/avpu' });
    expect(latestMentalStatus(t).status).toBe('altered');
  });

  it('age and sex from the Patient', () => {
    const t = buildTriageObservations(context([]));
    expect(t.patient).toMatchObject({ source: 'Patient/p1', sex: 'female', age: { years: 75 } });
  });
});

describe('pain scores (adapter: PatientContext has no pain series)', () => {
  const pain = (id: string, value: unknown, extra: Json = {}): Json =>
    observation({ id, code: '72514-3', date: hoursAgo(1), quantity: { value, unit: 'score', system: UCUM, code: '{score}' } }, extra);

  it('reads LOINC 72514-3 as a 0-10 score', () => {
    const out = painScoresFromResources([{ resourceType: 'Bundle', type: 'collection', entry: [{ resource: pain('p-1', 8) }] }], { referenceTime: REF, patientId: 'p1' });
    expect(out.skipped).toEqual([]);
    expect(out.readings).toEqual([expect.objectContaining({ parameter: 'painScore', value: 8, unit: '{score}', source: 'Observation/p-1', code: '72514-3' })]);
  });

  it.each([
    ['another patient', pain('x', 8, { subject: { reference: 'Patient/other' } }), /another subject/],
    ['after the reference time', pain('x', 8, { effectiveDateTime: '2025-05-21T00:00:00Z' }), /after the reference time/],
    ['entered in error', pain('x', 8, { status: 'entered-in-error' }), /status/],
    ['out of scale', pain('x', 11), /outside the 0-10 scale/],
    ['a unit that is not a score', pain('x', 8, { valueQuantity: { value: 8, unit: 'mg', code: 'mg', system: UCUM } }), /not a 0-10 score/],
    ['no value', pain('x', undefined, { valueQuantity: undefined }), /no numeric value/],
  ])('skips %s, with the reason', (_label, resource, reason) => {
    const out = painScoresFromResources([resource], { referenceTime: REF, patientId: 'p1' });
    expect(out.readings).toEqual([]);
    expect(out.skipped[0]?.reason).toMatch(reason);
  });

  it('valueInteger is read too', () => {
    const out = painScoresFromResources([pain('p-2', undefined, { valueQuantity: undefined, valueInteger: 7 })], { referenceTime: REF });
    expect(out.readings[0]?.value).toBe(7);
  });

  it('feeds ESI decision point B through the triage observations', () => {
    const resources = [patient, pain('p-3', 9), obs('hr', '8867-4', 120, '/min', hoursAgo(1))];
    const ctx = buildPatientContext({ resources, referenceTime: REF });
    const t = buildTriageObservations(ctx, { painScores: painScoresFromResources(resources, { referenceTime: REF, patientId: 'p1' }).readings });
    expect(t.pain.latest?.value).toBe(9);
    const r = assessAcuity({ observations: t, highRisk: { status: 'no-complaint' }, resources: { status: 'estimated', count: 'one', basis: 'test' } });
    expect(r).toMatchObject({ level: 2, setBy: 'B' });
  });
});

describe('the demo ED patient (fhir-profiles/examples/edge-cases/ed-deteriorating-vitals.json)', () => {
  const bundle: unknown = JSON.parse(readFileSync(repoPath('fhir-profiles/examples/edge-cases/ed-deteriorating-vitals.json'), 'utf8'));
  const ctx = buildPatientContext({ resources: [bundle], referenceTime: new Date('2026-11-24T08:30:00Z') });
  const t = buildTriageObservations(ctx);

  it('reads the latest vitals of the deterioration', () => {
    expect(t.vitals.respiratoryRate.latest?.value).toBe(30);
    expect(t.vitals.spo2.latest?.value).toBe(88);
    expect(t.vitals.systolicBP.latest?.value).toBe(88);
    expect(t.vitals.heartRate.latest?.value).toBe(132);
    expect(t.vitals.temperature.latest?.value).toBe(39.4);
    expect(t.consciousness.latest?.value).toBe('C');
    expect(t.chiefComplaint?.text).toBeTruthy();
  });

  it('NEWS2 17 (high, oxygen not recorded), qSOFA 3, shock index 1.5, ESI 1', () => {
    const news2 = computeNews2(t);
    expect(news2).toMatchObject({ total: 17, band: 'high', complete: false, missing: ['airOrOxygen'] });
    expect(computeQsofa(t)).toMatchObject({ total: 3, positive: 'yes' });
    const si = computeShockIndex(t);
    expect(si.status === 'computed' && si.value).toBeCloseTo(1.5, 2);
    const esi = assessAcuity({ observations: t, highRisk: { status: 'no-complaint' } });
    expect(esi).toMatchObject({ level: 1, setBy: 'A' });
    expect(esi.deciding.map((f) => f.criterion)).toEqual(expect.arrayContaining(['spo2-below-90', 'hypotension-with-hypoperfusion']));
  });
});
