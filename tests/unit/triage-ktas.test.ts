/**
 * KTAS evaluation records → FHIR Bundle → PatientContext: the same path as a hook call. Records
 * are read from the data set file (triage_ktas_moon2019/ktas.jsonl under CAIRN_DATASETS_DIR, CC BY 4.0;
 * see tests/support/datasets.ts). Without it, the tests that read records are skipped with a warning.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import type { PatientContext } from '../../src/fhir/context/index.js';
import { assessAcuity } from '../../src/services/triage/acuity.js';
import {
  KTAS_REFERENCE_TIME,
  birthYearMonthFor,
  ktasRecordToBundle,
  parseKtasJsonl,
  parseKtasRecord,
  usableComplaint,
} from '../../dev/eval/ktas.js';
import type { KtasRecord } from '../../dev/eval/ktas.js';
import { painScoresFromResources } from '../../src/services/triage/pain.js';
import { buildTriageObservations } from '../../src/services/triage/triage-input.js';
import type { TriageObservations } from '../../src/services/triage/triage-input.js';
import { ktasDataset, withDataset } from '../support/datasets.js';

const DATA = ktasDataset();
const withData = withDataset(DATA);
const { records, errors } = parseKtasJsonl(DATA.path === undefined ? '' : readFileSync(DATA.path, 'utf8'));
const byId = new Map(records.map((r) => [r.id, r]));

function record(id: string): KtasRecord {
  const r = byId.get(id);
  if (!r) throw new Error(`${id} is not in the data set`);
  return r;
}

function throughHookPath(r: KtasRecord): { ctx: PatientContext; obs: TriageObservations } {
  const bundle = ktasRecordToBundle(r);
  const ctx = buildPatientContext({ resources: [bundle], referenceTime: KTAS_REFERENCE_TIME, patientId: r.id });
  const pain = painScoresFromResources([bundle], { referenceTime: KTAS_REFERENCE_TIME, patientId: r.id });
  return { ctx, obs: buildTriageObservations(ctx, { painScores: pain.readings }) };
}

withData.describe('the data set file', () => {
  it('parses every line', () => {
    expect(errors).toEqual([]);
    expect(records.length).toBeGreaterThan(500);
  });

  it('every record builds a PatientContext with no exclusion', () => {
    const problems = records.flatMap((r) => throughHookPath(r).ctx.exclusions.map((e) => `${r.id}: ${e.reason} ${e.detail ?? ''}`));
    expect(problems).toEqual([]);
  });
});

withData.describe('a record with full vitals: ktas-0007 (49-year-old man, chest discomfort)', () => {
  const r = record('ktas-0007');
  const { ctx, obs } = throughHookPath(r);

  it('patient: sex and age (approximate, from a year-month birth date)', () => {
    expect(ctx.patient).toMatchObject({ id: 'ktas-0007', sex: 'male', age: { years: 49, approximate: true } });
  });

  it('an emergency encounter whose reason is the chief complaint', () => {
    expect(ctx.currentEncounter).toMatchObject({ class: 'emergency', reasons: [{ text: 'With chest discomfort' }] });
    expect(obs.chiefComplaint?.text).toBe('With chest discomfort');
  });

  it('vitals in canonical units, 10 minutes before the reference time', () => {
    expect(obs.vitals.systolicBP.latest).toMatchObject({ value: 110, unit: 'mm[Hg]', source: 'Observation/ktas-0007-bp' });
    expect(ctx.vitals.diastolicBP[0]).toMatchObject({ value: 70 });
    expect(obs.vitals.heartRate.latest).toMatchObject({ value: 70, unit: '/min' });
    expect(obs.vitals.respiratoryRate.latest).toMatchObject({ value: 20, unit: '/min' });
    expect(obs.vitals.temperature.latest).toMatchObject({ value: 36.2, unit: 'Cel' });
    expect(obs.vitals.spo2.latest).toMatchObject({ value: 98, unit: '%' });
    expect(obs.vitals.heartRate.latest?.effectiveTime).toBe(KTAS_REFERENCE_TIME.getTime() - 10 * 60_000);
  });

  it('AVPU alert and the pain score 3/10', () => {
    expect(obs.consciousness.latest).toMatchObject({ value: 'A' });
    expect(obs.pain.latest).toMatchObject({ value: 3, code: '72514-3' });
  });

  it('oxygen is not in the record, so it is unknown (not assumed room air)', () => {
    expect(obs.supplementalOxygen.status).toBe('unknown');
  });
});

withData.describe('AVPU coding reaches PatientContext.consciousness', () => {
  it.each([
    ['ktas-0216', 'U'],
    ['ktas-0060', 'P'],
    ['ktas-0048', 'V'],
    ['ktas-0002', 'A'],
  ])('%s → %s', (id, level) => {
    expect(throughHookPath(record(id)).obs.consciousness.latest?.value).toBe(level);
  });

  it('an unresponsive patient is ESI level 1', () => {
    const { obs } = throughHookPath(record('ktas-0216'));
    expect(assessAcuity({ observations: obs, highRisk: { status: 'not-matched', complaint: 'mental change' } })).toMatchObject({ level: 1, setBy: 'A' });
  });
});

withData.describe('missing values stay missing', () => {
  it('ktas-0134: no NRS pain rating although pain is present → no pain score', () => {
    const r = record('ktas-0134');
    expect(r.pain).toBe(true);
    expect(r.nrs_pain).toBeNull();
    expect(throughHookPath(r).obs.pain.latest).toBeNull();
  });

  it('ktas-0062: SBP and DBP null → no blood pressure Observation; SpO2 78 read', () => {
    const bundle = ktasRecordToBundle(record('ktas-0062'));
    expect(bundle.entry?.some((e) => e.resource?.id === 'ktas-0062-bp')).toBe(false);
    const { obs } = throughHookPath(record('ktas-0062'));
    expect(obs.vitals.systolicBP.latest).toBeNull();
    expect(obs.missing).toContain('systolicBP');
    expect(obs.vitals.spo2.latest?.value).toBe(78);
  });

  it('ktas-0122: no vitals at all; ESI says level 1 is still possible', () => {
    const { obs } = throughHookPath(record('ktas-0122'));
    const esi = assessAcuity({ observations: obs, highRisk: { status: 'not-matched', complaint: 'dyspnea' } });
    expect(esi.possibleLevels.mostUrgent).toBe(1);
    expect(esi.unassessed.map((f) => f.criterion)).toContain('spo2-below-90');
  });

  it('ktas-0017: a garbled complaint ("??") is not passed on as a complaint', () => {
    const r = record('ktas-0017');
    expect(r.chief_complaint).toBe('??');
    const { ctx, obs } = throughHookPath(r);
    expect(ctx.currentEncounter?.reasons).toEqual([]);
    expect(obs.chiefComplaint).toBeNull();
  });
});

withData.describe('labels and outcomes are never converted', () => {
  it.each(['ktas-0007', 'ktas-0216', 'ktas-0134'])('%s', (id) => {
    const r = record(id);
    const json = JSON.stringify(ktasRecordToBundle(r));
    expect(json).not.toMatch(/ktas_(rn|expert)|diagnosis|disposition|mistriage/);
    expect(json).not.toContain(String(r.diagnosis_in_ed));
  });
});

describe('helpers', () => {
  it.each([0, 16, 49, 94])('birth year-month for age %d gives that age at the reference time', (a) => {
    const ym = birthYearMonthFor(a, KTAS_REFERENCE_TIME);
    const ctx = buildPatientContext({ resources: [{ resourceType: 'Patient', id: 'x', birthDate: ym }], referenceTime: KTAS_REFERENCE_TIME });
    expect(ctx.patient?.age?.years).toBe(a);
  });

  it.each([
    ['??', null],
    ['?? ??', null],
    ['  chest pain ', 'chest pain'],
    ['복통', '복통'],
    [null, null],
  ])('usableComplaint(%p) = %p', (input, expected) => {
    expect(usableComplaint(input)).toBe(expected);
  });

  it('parseKtasRecord rejects a record without an id and reports bad JSONL lines by number', () => {
    expect(() => parseKtasRecord({ age: 3 })).toThrow();
    const out = parseKtasJsonl('{"id":"a"}\nnot json\n{"id":"b","avpu":"sleepy"}\n');
    expect(out.records.map((r) => r.id)).toEqual(['a']);
    expect(out.errors.map((e) => e.line)).toEqual([2, 3]);
  });

  withData.it('the reference time can be changed', () => {
    const when = new Date('2020-01-01T00:00:00Z');
    const b = ktasRecordToBundle(record('ktas-0007'), { referenceTime: when });
    expect(b.timestamp).toBe(when.toISOString());
  });
});
