import { describe, expect, it } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import type { Exclusion, ExclusionReason, PatientContext } from '../../src/fhir/context/index.js';
import { condition, LOINC, observation, SCT, UCUM, type Json } from '../support/fhir-builders.js';

const REF = new Date('2024-06-01T12:00:00Z');

/** `value` is the valueQuantity as written (none when undefined): these tests send malformed ones. */
function obs(id: string, code: string, value: Json | undefined, extra: Json = {}): Json {
  return observation({ id, code, date: '2024-05-01T09:00:00Z', quantity: value }, extra);
}

const hr = (id: string, value: number, extra: Json = {}): Json => obs(id, '8867-4', { value, unit: '/min', system: UCUM, code: '/min' }, extra);

function build(resources: unknown[], extra: Json = {}): PatientContext {
  return buildPatientContext({ resources, referenceTime: REF, ...extra });
}

function excluded(ctx: PatientContext, reason: ExclusionReason): Exclusion[] {
  return ctx.exclusions.filter((e) => e.reason === reason);
}

describe('exclusion rules', () => {
  it('excludes a physiologically implausible high value', () => {
    const ctx = build([hr('o1', 350)]);
    expect(ctx.vitals.heartRate).toEqual([]);
    expect(excluded(ctx, 'implausible-value')).toEqual([
      {
        source: 'Observation/o1',
        reason: 'implausible-value',
        detail: expect.stringMatching(/350 \/min outside plausible range \(0, 300\)/),
        // What was measured, when and as recorded: a card can say "recorded but excluded".
        reading: { quantity: 'heartRate', effective: '2024-05-01T09:00:00Z', effectiveTime: Date.parse('2024-05-01T09:00:00Z'), value: 350, unit: '/min' },
      },
    ]);
  });

  it('excludes a physiologically implausible low value (zero systolic)', () => {
    const ctx = build([obs('o2', '8480-6', { value: 0, unit: 'mmHg' })]);
    expect(ctx.vitals.systolicBP).toEqual([]);
    expect(excluded(ctx, 'implausible-value')).toHaveLength(1);
  });

  it('excludes a temperature whose value says °F but whose unit says °C', () => {
    const ctx = build([obs('t', '8310-5', { value: 98.6, unit: 'Cel', system: UCUM, code: 'Cel' })]);
    expect(ctx.vitals.temperature).toEqual([]);
    expect(excluded(ctx, 'implausible-value')[0]?.detail).toMatch(/98\.6 Cel/);
  });

  it('excludes an SpO2 written as a fraction with a % unit (0.97 %), and reads a fraction with UCUM 1 as the percentage it is', () => {
    const ctx = build([
      obs('pct', '59408-5', { value: 0.97, unit: '%', system: UCUM, code: '%' }),
      obs('frac', '59408-5', { value: 0.95, unit: '1', system: UCUM, code: '1' }, { effectiveDateTime: '2024-05-02T09:00:00Z' }),
    ]);
    expect(ctx.vitals.spo2.map((r) => Number(r.value.toFixed(6)))).toEqual([95]);
    expect(excluded(ctx, 'implausible-value').map((e) => e.source)).toEqual(['Observation/pct']);
  });

  it('checks plausibility after conversion (weight 7000 lb is implausible, 154 lb is not)', () => {
    const ctx = build([
      obs('w1', '29463-7', { value: 7000, unit: 'lb' }),
      obs('w2', '29463-7', { value: 154, unit: 'lb' }),
    ]);
    expect(ctx.vitals.bodyWeight.map((r) => r.source)).toEqual(['Observation/w2']);
    expect(excluded(ctx, 'implausible-value')[0]).toMatchObject({ source: 'Observation/w1', detail: expect.stringMatching(/recorded 7000 lb/) });
  });

  it('excludes a GCS outside 3–15 or not a whole number', () => {
    const ctx = build([
      obs('g1', '9269-2', undefined, { valueInteger: 16 }),
      obs('g2', '9269-2', { value: 12.5, unit: '{score}' }),
      obs('g3', '9269-2', undefined, { valueInteger: 14 }),
    ]);
    expect(ctx.vitals.gcs.map((r) => r.value)).toEqual([14]);
    expect(excluded(ctx, 'implausible-value').map((e) => e.source)).toEqual(['Observation/g1', 'Observation/g2']);
  });

  it('excludes an unknown unit', () => {
    const ctx = build([obs('u', '8867-4', { value: 72, unit: 'furlongs/fortnight' })]);
    expect(ctx.vitals.heartRate).toEqual([]);
    expect(excluded(ctx, 'unknown-unit')[0]).toMatchObject({ source: 'Observation/u', detail: expect.stringMatching(/furlongs/) });
  });

  it('excludes a quantity with no unit at all', () => {
    const ctx = build([obs('nu', '8867-4', { value: 72 })]);
    expect(excluded(ctx, 'unknown-unit')[0]?.detail).toMatch(/no unit recorded/);
  });

  it('excludes missing values: no value, valueQuantity without value, dataAbsentReason', () => {
    const ctx = build([
      obs('m1', '8867-4', undefined),
      obs('m2', '8867-4', { unit: '/min' }),
      obs('m3', '8867-4', undefined, {
        dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'asked-declined' }] },
      }),
    ]);
    expect(ctx.vitals.heartRate).toEqual([]);
    const missing = excluded(ctx, 'missing-value');
    expect(missing.map((e) => e.source)).toEqual(['Observation/m1', 'Observation/m2', 'Observation/m3']);
    expect(missing[2]?.detail).toMatch(/asked-declined/);
  });

  it('excludes non-numeric values', () => {
    const ctx = build([
      obs('s', '8867-4', undefined, { valueString: 'fast' }),
      obs('n', '8867-4', { value: '72', unit: '/min' }),
    ]);
    expect(excluded(ctx, 'non-numeric-value').map((e) => e.source)).toEqual(['Observation/s', 'Observation/n']);
  });

  it('excludes entered-in-error, cancelled, registered and status-less observations; keeps preliminary and amended', () => {
    const ctx = build([
      hr('e1', 70, { status: 'entered-in-error' }),
      hr('e2', 71, { status: 'cancelled' }),
      hr('e3', 72, { status: 'registered' }),
      hr('e4', 73, { status: undefined }),
      hr('k1', 74, { status: 'preliminary' }),
      hr('k2', 75, { status: 'amended' }),
    ]);
    expect(ctx.vitals.heartRate.map((r) => [r.value, r.status])).toEqual([
      [74, 'preliminary'],
      [75, 'amended'],
    ]);
    expect(excluded(ctx, 'entered-in-error').map((e) => e.source)).toEqual(['Observation/e1']);
    expect(excluded(ctx, 'status-not-usable').map((e) => e.source)).toEqual(['Observation/e2', 'Observation/e3', 'Observation/e4']);
  });

  it('excludes refuted and entered-in-error conditions, keeps unconfirmed as tentative', () => {
    const cond = (id: string, verification: string): Json =>
      condition({ id, coding: { system: SCT, code: '38341003' }, text: 'Hypertension', verification, onset: '2020-01-01' });
    const ctx = build([cond('c1', 'refuted'), cond('c2', 'entered-in-error'), cond('c3', 'unconfirmed'), cond('c4', 'confirmed')]);
    expect(excluded(ctx, 'refuted').map((e) => e.source)).toEqual(['Condition/c1']);
    expect(excluded(ctx, 'entered-in-error').map((e) => e.source)).toEqual(['Condition/c2']);
    expect(ctx.conditions.map((c) => [c.source, c.tentative])).toEqual([
      ['Condition/c3', true],
      ['Condition/c4', false],
    ]);
  });

  it('reports malformed and non-resource input instead of throwing', () => {
    const ctx = build([
      42,
      null,
      'Observation',
      { resourceType: 'Observation' }, // no code: not mapped, silently ignored
      { resourceType: 'not a type' },
      { foo: 'bar' },
      obs('bad-vq', '8867-4', undefined, { valueQuantity: 'seventy' }),
      { resourceType: 'Condition', id: 'nocode', subject: { reference: 'Patient/p1' } },
      { resourceType: 'Bundle', type: 'searchset', entry: [{ fullUrl: 'x' }, 7] },
    ]);
    expect(excluded(ctx, 'not-a-resource').map((e) => e.source)).toEqual([
      'input[0]',
      'input[1]',
      'input[2]',
      'input[4]',
      'input[5]',
      'input[8].entry[0]',
      'input[8].entry[1]',
    ]);
    expect(excluded(ctx, 'malformed-resource').map((e) => e.source)).toEqual(['Observation/bad-vq', 'Condition/nocode']);
  });

  it('excludes data dated after the reference time, with a 5-minute clock-skew tolerance', () => {
    const ctx = build([
      hr('future', 80, { effectiveDateTime: '2024-06-02T00:00:00Z' }),
      hr('skew', 81, { effectiveDateTime: '2024-06-01T12:03:00Z' }),
      hr('past', 82),
    ]);
    expect(ctx.vitals.heartRate.map((r) => r.source)).toEqual(['Observation/past', 'Observation/skew']);
    expect(excluded(ctx, 'after-reference-time')).toEqual([
      { source: 'Observation/future', reason: 'after-reference-time', detail: expect.stringContaining('2024-06-02T00:00:00Z') },
    ]);
  });

  it('excludes conditions and encounters first recorded after the reference time', () => {
    const ctx = build([
      {
        resourceType: 'Condition',
        id: 'later',
        clinicalStatus: { coding: [{ code: 'active' }] },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
        onsetDateTime: '2025-01-01',
      },
      { resourceType: 'Encounter', id: 'enc-later', status: 'planned', period: { start: '2024-07-01T09:00:00Z' } },
    ]);
    expect(ctx.conditions).toEqual([]);
    expect(ctx.encounters).toEqual([]);
    expect(excluded(ctx, 'after-reference-time').map((e) => e.source)).toEqual(['Condition/later', 'Encounter/enc-later']);
  });

  it('excludes readings with no time or an invalid time', () => {
    const ctx = build([hr('nt', 70, { effectiveDateTime: undefined }), hr('bad', 70, { effectiveDateTime: '2024-13-45' })]);
    expect(excluded(ctx, 'missing-time').map((e) => e.source)).toEqual(['Observation/nt']);
    expect(excluded(ctx, 'invalid-time').map((e) => e.source)).toEqual(['Observation/bad']);
  });

  it('excludes resources about another patient', () => {
    const ctx = build(
      [
        { resourceType: 'Patient', id: 'p1', birthDate: '1970-01-01' },
        { resourceType: 'Patient', id: 'p2', birthDate: '1980-01-01' },
        hr('mine', 70),
        hr('theirs', 71, { subject: { reference: 'Patient/p2' } }),
        hr('group', 72, { subject: { reference: 'Group/g1' } }),
      ],
      { patientId: 'p1' },
    );
    expect(ctx.patient?.id).toBe('p1');
    expect(ctx.vitals.heartRate.map((r) => r.source)).toEqual(['Observation/mine']);
    expect(excluded(ctx, 'different-patient').map((e) => e.source)).toEqual(['Patient/p2', 'Observation/theirs', 'Observation/group']);
  });

  it('merges identical duplicates silently and reports conflicting ones', () => {
    const a = hr('dup', 70);
    const b = hr('dup', 90, { meta: { lastUpdated: '2024-05-02T00:00:00Z' } });
    const ctx = build([a, { ...a }, b]);
    expect(excluded(ctx, 'duplicate-resource')).toHaveLength(1);
    expect(ctx.vitals.heartRate).toHaveLength(1);
  });

  it('reports a failed prefetch query (OperationOutcome) and an unpaged searchset', () => {
    const ctx = build([
      { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout', diagnostics: 'upstream timed out' }] },
      { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] },
      {
        resourceType: 'Bundle',
        id: 'page1',
        type: 'searchset',
        total: 40,
        link: [{ relation: 'next', url: 'https://ehr/fhir/Observation?page=2' }],
        entry: [{ resource: hr('h1', 70) }],
      },
    ]);
    expect(excluded(ctx, 'prefetch-error')).toEqual([
      { source: 'OperationOutcome (input[0], no id)', reason: 'prefetch-error', detail: 'upstream timed out' },
    ]);
    expect(excluded(ctx, 'bundle-incomplete')).toEqual([
      { source: 'Bundle/page1', reason: 'bundle-incomplete', detail: 'searchset has a next link: only 1 of 40 entries present' },
    ]);
    expect(ctx.vitals.heartRate).toHaveLength(1);
  });

  it('excludes entered-in-error encounters, medications, allergies, procedures and documents', () => {
    const ctx = build([
      { resourceType: 'Encounter', id: 'e', status: 'entered-in-error', period: { start: '2024-01-01' } },
      { resourceType: 'Encounter', id: 'c', status: 'cancelled', period: { start: '2024-01-01' } },
      { resourceType: 'MedicationRequest', id: 'm', status: 'entered-in-error', medicationCodeableConcept: { text: 'x' } },
      {
        resourceType: 'AllergyIntolerance',
        id: 'a',
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'entered-in-error' }] },
        code: { text: 'penicillin' },
      },
      {
        resourceType: 'AllergyIntolerance',
        id: 'r',
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'refuted' }] },
        code: { text: 'latex' },
      },
      { resourceType: 'Procedure', id: 'p', status: 'entered-in-error', code: { text: 'x' } },
      { resourceType: 'DocumentReference', id: 'd', status: 'entered-in-error', content: [{ attachment: { contentType: 'text/plain', data: 'aGk=' } }] },
    ]);
    expect(excluded(ctx, 'entered-in-error').map((e) => e.source)).toEqual([
      'Encounter/e',
      'MedicationRequest/m',
      'AllergyIntolerance/a',
      'Procedure/p',
      'DocumentReference/d',
    ]);
    expect(excluded(ctx, 'status-not-usable').map((e) => e.source)).toEqual(['Encounter/c']);
    expect(excluded(ctx, 'refuted').map((e) => e.source)).toEqual(['AllergyIntolerance/r']);
    expect([ctx.encounters, ctx.medications, ctx.allergies, ctx.procedures, ctx.notes]).toEqual([[], [], [], [], []]);
  });

  it('reports a failed sub-query of a batch-response and Bundles nested too deep', () => {
    let deep: Json = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: hr('deep', 70) }] };
    for (let i = 0; i < 5; i++) deep = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: deep }] };
    const ctx = build([
      {
        resourceType: 'Bundle',
        type: 'batch-response',
        entry: [
          {
            response: {
              status: '500 Internal Server Error',
              outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'db down' }] },
            },
          },
        ],
      },
      deep,
    ]);
    expect(excluded(ctx, 'prefetch-error').map((e) => e.detail)).toEqual(['entry response status 500 Internal Server Error', 'db down']);
    expect(excluded(ctx, 'malformed-resource')[0]?.detail).toMatch(/nested deeper/);
    expect(ctx.vitals.heartRate).toEqual([]);
  });

  it('excludes an Observation whose codings name two different quantities', () => {
    const ctx = build([
      {
        ...hr('amb', 70),
        code: { coding: [{ system: LOINC, code: '8867-4' }, { system: LOINC, code: '9279-1' }] },
      },
    ]);
    expect(excluded(ctx, 'ambiguous-code')).toHaveLength(1);
    expect(ctx.vitals.heartRate).toEqual([]);
    expect(ctx.vitals.respiratoryRate).toEqual([]);
  });

  it('excludes an AVPU answer that is not in the value set, never reading it as alert', () => {
    const ctx = build([
      {
        resourceType: 'Observation',
        id: 'avpu',
        status: 'final',
        code: { coding: [{ system: LOINC, code: '67775-7' }] },
        effectiveDateTime: '2024-05-01T09:00:00Z',
        valueCodeableConcept: { coding: [{ system: 'http://example.org/local', code: 'ALERTISH' }] },
      },
    ]);
    expect(ctx.consciousness).toEqual([]);
    expect(excluded(ctx, 'unknown-answer-code').map((e) => e.source)).toEqual(['Observation/avpu']);
  });

  it('reports notes that are only a URL or not text', () => {
    const ctx = build([
      {
        resourceType: 'DocumentReference',
        id: 'd1',
        status: 'current',
        content: [
          { attachment: { contentType: 'text/plain', url: 'https://ehr/Binary/1' } },
          { attachment: { contentType: 'application/pdf', data: 'JVBERi0xLjQ=' } },
        ],
      },
    ]);
    expect(ctx.notes).toEqual([]);
    expect(excluded(ctx, 'note-not-inline').map((e) => e.source)).toEqual(['DocumentReference/d1']);
    expect(excluded(ctx, 'note-unsupported-content-type').map((e) => e.source)).toEqual(['DocumentReference/d1']);
  });

  it('turns a failure of the builder itself into an internal-error exclusion', () => {
    const hostile = Object.defineProperty({}, 'resources', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const ctx = buildPatientContext(hostile as { resources: unknown[] });
    expect(ctx.exclusions).toEqual([{ source: 'buildPatientContext', reason: 'internal-error', detail: expect.stringContaining('boom') }]);
    expect(ctx.vitals.heartRate).toEqual([]);
    expect(ctx.patient).toBeNull();
  });

  it('reports an invalid reference time and uses the current time', () => {
    const ctx = buildPatientContext({ resources: [], referenceTime: new Date('not a date') });
    expect(excluded(ctx, 'invalid-time')).toHaveLength(1);
    expect(Math.abs(Date.parse(ctx.referenceTime) - Date.now())).toBeLessThan(60_000);
  });
});
