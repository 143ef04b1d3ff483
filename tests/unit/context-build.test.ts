import { describe, expect, it } from '@jest/globals';
import {
  buildPatientContext,
  conditionsIn,
  latest,
  latestAtOrBefore,
  readingsBetween,
  series,
} from '../../src/fhir/context/index.js';
import type { PatientContext } from '../../src/fhir/context/index.js';
import {
  CONDITION_CLINICAL as CLINICAL,
  CONDITION_VERIFICATION as VERIFICATION,
  ICD10CM,
  LOINC,
  SCT,
  UCUM,
  condition as conditionResource,
  encounter,
  observation,
  patient as patientResource,
  type Json,
} from '../support/fhir-builders.js';

const REF = new Date('2025-05-20T12:00:00Z');

function build(resources: unknown[], extra: Json = {}): PatientContext {
  return buildPatientContext({ resources, referenceTime: REF, ...extra });
}

const patient = (extra: Json = {}): Json => patientResource({ gender: 'female', birthDate: '1970-03-04', ...extra });

function quantityObs(id: string, code: string, value: number, unit: string, when: string, extra: Json = {}): Json {
  return observation({ id, code, date: when, value, unit }, extra);
}

function condition(id: string, coding: Json, extra: Json = {}): Json {
  return conditionResource({ id, coding, category: 'problem-list-item', onset: '2019-01-01' }, extra);
}

describe('patient', () => {
  it('computes age in years for adults, with sex and birth sex', () => {
    const ctx = build([
      patient({
        extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'F' }],
      }),
    ]);
    expect(ctx.patient).toMatchObject({
      id: 'p1',
      source: 'Patient/p1',
      sex: 'female',
      birthSex: 'F',
      birthDate: '1970-03-04',
      deceased: { status: 'not-recorded', dateTime: null },
    });
    expect(ctx.patient?.age).toMatchObject({ years: 55, preferredUnit: 'years', display: '55 years', approximate: false });
  });

  it('the day before a birthday the year is not yet complete', () => {
    const ctx = build([patient({ birthDate: '1970-05-21' })]);
    expect(ctx.patient?.age?.years).toBe(54);
  });

  it('states the age of an infant under 2 years in months', () => {
    const ctx = build([patient({ birthDate: '2024-03-15' })]);
    expect(ctx.patient?.age).toMatchObject({ years: 1, months: 14, preferredUnit: 'months', display: '14 months' });
  });

  it('states the age of a neonate in days', () => {
    const ctx = build([patient({ birthDate: '2025-05-11' })]);
    expect(ctx.patient?.age).toMatchObject({ months: 0, days: 9, preferredUnit: 'days', display: '9 days' });
  });

  it('marks an age from a partial birth date as approximate', () => {
    const ctx = build([patient({ birthDate: '1980' })]);
    expect(ctx.patient?.age).toMatchObject({ years: 45, approximate: true });
  });

  it('reports the age at death and the deceased status', () => {
    const ctx = build([patient({ birthDate: '1950-01-01', deceasedDateTime: '2020-06-01T00:00:00Z' })]);
    expect(ctx.patient?.deceased).toEqual({ status: 'deceased', dateTime: '2020-06-01T00:00:00Z' });
    expect(ctx.patient?.age?.years).toBe(70);
  });

  it.each([
    ['1800-01-01', 225], // a placeholder date
    ['1899-01-01', 126], // past the margin over the longest documented life
  ])('excludes and reports a birth date of %s (age %d): no age rather than an impossible one', (birthDate, years) => {
    const ctx = build([patient({ birthDate })]);
    expect(ctx.patient).toMatchObject({ age: null, birthDate: null });
    expect(ctx.exclusions).toContainEqual(expect.objectContaining({ reason: 'implausible-value', detail: `birthDate ${birthDate} gives an age of ${years} years, beyond any documented human life; age unknown` }));
  });

  it('keeps an age of 122, the longest documented life', () => {
    expect(build([patient({ birthDate: '1903-01-01' })]).patient?.age?.years).toBe(122);
  });

  it('does not invent a sex or an age', () => {
    const ctx = build([{ resourceType: 'Patient', id: 'p1' }]);
    expect(ctx.patient).toMatchObject({ sex: 'unknown', age: null, birthDate: null });
  });

  it('has no patient when none is in the input', () => {
    expect(build([]).patient).toBeNull();
  });
});

describe('encounters', () => {
  const enc = (id: string, code: string, start: string, end: string | undefined, extra: Json = {}): Json => encounter({ id, classCode: code, start, end }, extra);

  it('maps v3 ActCode classes and reads the reason for visit', () => {
    const ctx = build([
      condition('chest-pain', { system: SCT, code: '29857009', display: 'Chest pain' }),
      enc('e1', 'AMB', '2025-01-10T09:00:00Z', '2025-01-10T09:30:00Z'),
      enc('e2', 'IMP', '2025-02-01T09:00:00Z', '2025-02-05T09:00:00Z'),
      enc('e3', 'EMER', '2025-05-20T10:00:00Z', undefined, {
        status: 'in-progress',
        reasonCode: [{ coding: [{ system: SCT, code: '267036007', display: 'Dyspnea' }], text: 'short of breath since this morning' }],
        reasonReference: [{ reference: 'Condition/chest-pain' }],
      }),
    ]);
    expect(ctx.encounters.map((e) => [e.id, e.class, e.classCode])).toEqual([
      ['e1', 'ambulatory', 'AMB'],
      ['e2', 'inpatient', 'IMP'],
      ['e3', 'emergency', 'EMER'],
    ]);
    expect(ctx.currentEncounter?.id).toBe('e3');
    expect(ctx.currentEncounterBasis).toBe('in-progress');
    expect(ctx.currentEncounter?.reasons).toEqual([
      { codings: [{ system: SCT, systemName: 'snomed', code: '267036007', display: 'Dyspnea' }], text: 'short of breath since this morning' },
      { codings: [{ system: SCT, systemName: 'snomed', code: '29857009', display: 'Chest pain' }], text: null, reference: 'Condition/chest-pain' },
    ]);
  });

  it('falls back to the latest encounter, and honours the CDS Hooks encounterId', () => {
    const resources = [enc('old', 'AMB', '2024-01-01T09:00:00Z', '2024-01-01T10:00:00Z'), enc('new', 'AMB', '2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z')];
    const ctx = build(resources);
    expect([ctx.currentEncounter?.id, ctx.currentEncounterBasis]).toEqual(['new', 'latest']);
    const named = build(resources, { encounterId: 'old' });
    expect([named.currentEncounter?.id, named.currentEncounterBasis]).toEqual(['old', 'context-encounter-id']);
  });

  it('when replaying history, an encounter spanning the reference time is the current one', () => {
    const ctx = build([enc('stay', 'IMP', '2025-05-18T09:00:00Z', '2025-05-25T09:00:00Z'), enc('clinic', 'AMB', '2025-05-10T09:00:00Z', '2025-05-10T10:00:00Z')]);
    expect([ctx.currentEncounter?.id, ctx.currentEncounterBasis]).toEqual(['stay', 'in-progress']);
  });

  it('has no current encounter when there are none', () => {
    const ctx = build([patient()]);
    expect(ctx.currentEncounter).toBeNull();
    expect(ctx.currentEncounterBasis).toBe('none');
  });
});

describe('vital signs and labs', () => {
  it('keeps every reading in time order regardless of input order, and latest() is the most recent', () => {
    const ctx = build([
      quantityObs('hr3', '8867-4', 90, '/min', '2025-05-03T10:00:00Z'),
      quantityObs('hr1', '8867-4', 70, '/min', '2025-05-01T10:00:00Z'),
      quantityObs('hr2', '8867-4', 80, '/min', '2025-05-02T10:00:00+02:00'),
    ]);
    expect(ctx.vitals.heartRate.map((r) => r.value)).toEqual([70, 80, 90]);
    expect(latest(ctx.vitals.heartRate)?.source).toBe('Observation/hr3');
    expect(series(ctx, 'heartRate')).toBe(ctx.vitals.heartRate);
    expect(latestAtOrBefore(ctx.vitals.heartRate, Date.parse('2025-05-02T12:00:00Z'))?.value).toBe(80);
    expect(readingsBetween(ctx.vitals.heartRate, Date.parse('2025-05-01T12:00:00Z'), new Date('2025-05-03T12:00:00Z')).map((r) => r.value)).toEqual([80, 90]);
  });

  it('missing data are an explicit empty series, never a default', () => {
    const ctx = build([patient()]);
    expect(ctx.vitals.heartRate).toEqual([]);
    expect(ctx.labs.hba1c).toEqual([]);
    expect(latest(ctx.vitals.systolicBP)).toBeUndefined();
    expect(Object.keys(ctx.vitals)).toHaveLength(12);
    expect(Object.keys(ctx.labs)).toHaveLength(17);
  });

  it('reads systolic and diastolic from BP panel components (85354-9 and Synthea 55284-4) and standalone codes', () => {
    const panel = (id: string, code: string, sbp: number, dbp: number, when: string): Json =>
      observation({
        id,
        code,
        patient: null,
        date: when,
        component: [
          { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: sbp, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
          { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: dbp, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
        ],
      });
    const ctx = build([
      panel('bp1', '85354-9', 142, 91, '2025-05-01T09:00:00Z'),
      panel('bp2', '55284-4', 138, 88, '2025-05-02T09:00:00Z'),
      quantityObs('sbp3', '8480-6', 150, 'mm[Hg]', '2025-05-03T09:00:00Z'),
    ]);
    expect(ctx.vitals.systolicBP.map((r) => [r.value, r.source, r.panelCode, r.code])).toEqual([
      [142, 'Observation/bp1', '85354-9', '8480-6'],
      [138, 'Observation/bp2', '55284-4', '8480-6'],
      [150, 'Observation/sbp3', undefined, '8480-6'],
    ]);
    expect(ctx.vitals.diastolicBP.map((r) => r.value)).toEqual([91, 88]);
  });

  it('reads pulse-oximetry oxygen components (US Core) and AVPU', () => {
    const ctx = build([
      {
        resourceType: 'Observation',
        id: 'ox',
        status: 'final',
        code: { coding: [{ system: LOINC, code: '59408-5' }] },
        effectiveDateTime: '2025-05-20T09:00:00Z',
        valueQuantity: { value: 93, unit: '%', system: UCUM, code: '%' },
        component: [
          { code: { coding: [{ system: LOINC, code: '3151-8' }] }, valueQuantity: { value: 2, unit: 'L/min', system: UCUM, code: 'L/min' } },
          { code: { coding: [{ system: LOINC, code: '3150-0' }] }, valueQuantity: { value: 28, unit: '%', system: UCUM, code: '%' } },
        ],
      },
      {
        resourceType: 'Observation',
        id: 'avpu',
        status: 'final',
        code: { coding: [{ system: LOINC, code: '67775-7' }] },
        effectiveDateTime: '2025-05-20T09:05:00Z',
        valueCodeableConcept: { coding: [{ system: SCT, code: '300202002', display: 'Responds to voice' }] },
      },
    ]);
    expect(latest(ctx.vitals.spo2)?.value).toBe(93);
    expect(latest(ctx.vitals.oxygenFlowRate)).toMatchObject({ value: 2, unit: 'L/min', panelCode: '59408-5' });
    expect(latest(ctx.vitals.inspiredOxygenFraction)?.value).toBe(28);
    expect(ctx.consciousness).toEqual([
      expect.objectContaining({ level: 'V', source: 'Observation/avpu', effective: '2025-05-20T09:05:00Z' }),
    ]);
  });

  it('keeps a comparator (eGFR >90) and notes a unit interpretation', () => {
    const ctx = build([
      {
        ...quantityObs('egfr', '33914-3', 90, 'mL/min', '2025-05-01T09:00:00Z'),
        valueQuantity: { value: 90, comparator: '>', unit: 'mL/min', system: UCUM, code: 'mL/min' },
      },
    ]);
    const r = latest(ctx.labs.egfr);
    expect(r).toMatchObject({ value: 90, comparator: '>', unit: 'mL/min/{1.73_m2}' });
    expect(r?.notes?.[0]).toMatch(/1\.73 m2/);
  });

  it('uses issued when there is no effective time, and says so', () => {
    const ctx = build([{ ...quantityObs('k', '2823-3', 4.2, 'mmol/L', ''), effectiveDateTime: undefined, issued: '2025-05-19T08:00:00.000Z' }]);
    expect(latest(ctx.labs.potassium)).toMatchObject({ timeSource: 'issued', effective: '2025-05-19T08:00:00.000Z' });
    expect(latest(ctx.labs.potassium)?.notes).toEqual(['no effective time recorded; time is when the result was issued']);
  });

  it('keeps troponin I and T apart', () => {
    const ctx = build([
      quantityObs('ti', '89579-7', 35, 'ng/L', '2025-05-20T09:00:00Z'),
      quantityObs('tt', '67151-1', 0.02, 'ng/mL', '2025-05-20T09:00:00Z'),
    ]);
    expect(ctx.labs.troponinI.map((r) => r.value)).toEqual([35]);
    expect(ctx.labs.troponinT.map((r) => r.value)).toEqual([20]);
  });
});

describe('conditions', () => {
  it('keeps codings, categories and statuses, and tags Cairn value sets (SNOMED and ICD-10-CM)', () => {
    const ctx = build([
      condition('htn', { system: SCT, code: '38341003', display: 'Hypertension' }),
      condition('dm', { system: ICD10CM, code: 'E11.9' }),
      condition('dm-nodot', { system: ICD10CM, code: 'e119' }),
      condition('ckd', { system: ICD10CM, code: 'N18.31' }, { category: [{ coding: [{ code: 'encounter-diagnosis' }] }] }),
      condition('bronchitis', { system: SCT, code: '10509002' }, {
        clinicalStatus: { coding: [{ system: CLINICAL, code: 'resolved' }] },
        abatementDateTime: '2019-02-01',
      }),
      condition('maybe', { system: SCT, code: '15777000' }, { verificationStatus: { coding: [{ system: VERIFICATION, code: 'provisional' }] } }),
      condition('nostatus', { system: SCT, code: '44054006' }, { clinicalStatus: undefined }),
    ]);
    const byId = new Map(ctx.conditions.map((c) => [c.source, c]));
    expect(byId.get('Condition/htn')).toMatchObject({
      clinicalStatus: 'active',
      verificationStatus: 'confirmed',
      activeAtReference: 'yes',
      categories: ['problem-list-item'],
      valueSets: ['cairn-hypertension'],
    });
    expect(byId.get('Condition/dm')?.valueSets).toEqual(['cairn-diabetes']);
    expect(byId.get('Condition/dm')?.codings[0]).toMatchObject({ systemName: 'icd10cm', code: 'E11.9' });
    expect(byId.get('Condition/dm-nodot')?.valueSets).toEqual(['cairn-diabetes']);
    expect(byId.get('Condition/ckd')).toMatchObject({ categories: ['encounter-diagnosis'], valueSets: ['cairn-ckd'] });
    expect(byId.get('Condition/bronchitis')).toMatchObject({ clinicalStatus: 'resolved', activeAtReference: 'no', valueSets: [] });
    expect(byId.get('Condition/maybe')).toMatchObject({ verificationStatus: 'provisional', tentative: true });
    expect(byId.get('Condition/nostatus')).toMatchObject({ clinicalStatus: 'unknown', activeAtReference: 'unknown' });

    expect(conditionsIn(ctx, 'cairn-diabetes').map((c) => c.source)).toEqual(['Condition/dm', 'Condition/dm-nodot']);
    expect(conditionsIn(ctx, 'cairn-prediabetes')).toEqual([]);
    expect(conditionsIn(ctx, 'cairn-prediabetes', { includeTentative: true })).toHaveLength(1);
  });

  it('when replaying history, a condition resolved after the reference time was active then', () => {
    const ctx = build([
      condition('preg', { system: SCT, code: '72892002' }, {
        clinicalStatus: { coding: [{ system: CLINICAL, code: 'resolved' }] },
        onsetDateTime: '2025-01-01',
        abatementDateTime: '2025-09-30',
      }),
    ]);
    expect(ctx.conditions[0]?.activeAtReference).toBe('yes');
    expect(ctx.pregnancy.status).toBe('pregnant');
  });
});

describe('medications, allergies, procedures', () => {
  it('reads MedicationRequest and MedicationStatement with RxNorm codes, inline, contained or referenced', () => {
    const ctx = build([
      { resourceType: 'Medication', id: 'met', code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '860975' }], text: 'Metformin 500 MG' } },
      {
        resourceType: 'MedicationRequest',
        id: 'mr1',
        status: 'active',
        intent: 'order',
        medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '316049', display: 'Hydrochlorothiazide 25 MG' }] },
        subject: { reference: 'Patient/p1' },
        authoredOn: '2024-01-01',
      },
      { resourceType: 'MedicationRequest', id: 'mr2', status: 'stopped', intent: 'order', medicationReference: { reference: 'Medication/met' }, authoredOn: '2023-01-01' },
      {
        resourceType: 'MedicationStatement',
        id: 'ms1',
        status: 'active',
        contained: [{ resourceType: 'Medication', id: 'm', code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.88', code: '197361' }] } }],
        medicationReference: { reference: '#m' },
        effectivePeriod: { start: '2024-06-01' },
      },
    ]);
    expect(ctx.medications.map((m) => [m.source, m.resourceType, m.status, m.isActive, m.rxnormCodes])).toEqual([
      ['MedicationRequest/mr2', 'MedicationRequest', 'stopped', false, ['860975']],
      ['MedicationRequest/mr1', 'MedicationRequest', 'active', true, ['316049']],
      ['MedicationStatement/ms1', 'MedicationStatement', 'active', true, ['197361']],
    ]);
  });

  it('reads allergies and procedures', () => {
    const ctx = build([
      {
        resourceType: 'AllergyIntolerance',
        id: 'a1',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }] },
        category: ['medication'],
        criticality: 'high',
        code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980', display: 'Penicillin G' }] },
        patient: { reference: 'Patient/p1' },
        reaction: [{ manifestation: [{ text: 'Anaphylaxis' }], severity: 'severe' }],
      },
      {
        resourceType: 'Procedure',
        id: 'pr1',
        status: 'completed',
        code: { coding: [{ system: SCT, code: '80146002', display: 'Appendectomy' }] },
        performedDateTime: '2010-04-01',
      },
    ]);
    expect(ctx.allergies).toEqual([
      expect.objectContaining({ source: 'AllergyIntolerance/a1', clinicalStatus: 'active', categories: ['medication'], criticality: 'high', reactions: [{ manifestations: ['Anaphylaxis'], severity: 'severe' }] }),
    ]);
    expect(ctx.procedures).toEqual([expect.objectContaining({ source: 'Procedure/pr1', status: 'completed', performed: '2010-04-01' })]);
  });
});

describe('clinical notes', () => {
  it('decodes base64 text/plain and strips text/html, keeping date and source', () => {
    const text = 'Pt c/o chest pain radiating to left arm. Diaphoretic.';
    const html = '<div><p>Assessment: <b>NSTEMI</b> suspected</p><script>alert(1)</script><p>Plan: serial troponins &amp; ECG</p></div>';
    const ctx = build([
      {
        resourceType: 'DocumentReference',
        id: 'd1',
        status: 'current',
        type: { coding: [{ system: LOINC, code: '34117-2', display: 'History and physical note' }] },
        date: '2025-05-20T10:15:00Z',
        content: [
          { attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8').toString('base64') } },
          { attachment: { contentType: 'text/html', data: Buffer.from(html, 'utf8').toString('base64') } },
        ],
      },
      {
        resourceType: 'DiagnosticReport',
        id: 'r1',
        status: 'final',
        code: { text: 'Chest X-ray' },
        effectiveDateTime: '2025-05-20T11:00:00Z',
        presentedForm: [{ contentType: 'text/plain', data: 'No acute cardiopulmonary process.' }],
        conclusion: 'Normal chest radiograph.',
      },
    ]);
    expect(ctx.notes.map((n) => [n.source, n.part, n.text, n.date])).toEqual([
      ['DocumentReference/d1', 'content[0]', text, '2025-05-20T10:15:00Z'],
      ['DocumentReference/d1', 'content[1]', 'Assessment: NSTEMI suspected\nPlan: serial troponins & ECG', '2025-05-20T10:15:00Z'],
      ['DiagnosticReport/r1', 'presentedForm[0]', 'No acute cardiopulmonary process.', '2025-05-20T11:00:00Z'],
      ['DiagnosticReport/r1', 'conclusion', 'Normal chest radiograph.', '2025-05-20T11:00:00Z'],
    ]);
    expect(ctx.notes[0]).toMatchObject({ resourceType: 'DocumentReference', title: 'History and physical note', truncated: false });
  });

  it('decodes non-ASCII UTF-8 text', () => {
    const ctx = build([
      { resourceType: 'DocumentReference', id: 'd2', status: 'current', content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Température 38,5 °C — fièvre', 'utf8').toString('base64') } }] },
    ]);
    expect(ctx.notes[0]?.text).toBe('Température 38,5 °C — fièvre');
  });
});

describe('pregnancy status', () => {
  const pregObs = (id: string, code: string, when: string): Json => observation({ id, code: '82810-3', patient: null, date: when, answer: { system: LOINC, code } });

  it('is unknown when nothing is recorded (sex is not used)', () => {
    expect(build([patient({ gender: 'male' })]).pregnancy).toEqual({ status: 'unknown', evidence: [] });
  });

  it('follows the latest 82810-3 answer', () => {
    const ctx = build([pregObs('o1', 'LA26683-5', '2025-01-01'), pregObs('o2', 'LA15173-0', '2025-05-01')]);
    expect(ctx.pregnancy.status).toBe('pregnant');
    expect(ctx.pregnancy.evidence.map((e) => e.source)).toEqual(['Observation/o2', 'Observation/o1']);
  });

  it('treats evidence older than 42 weeks as unknown', () => {
    const ctx = build([pregObs('o1', 'LA15173-0', '2024-01-01')]);
    expect(ctx.pregnancy.status).toBe('unknown');
    expect(ctx.pregnancy.note).toMatch(/42 weeks/);
  });
});

describe('input shapes', () => {
  it('flattens Bundles (transaction, searchset, nested batch-response) and mixes them with bare resources', () => {
    const hr = (id: string, v: number, when: string): Json => quantityObs(id, '8867-4', v, '/min', when);
    const ctx = build([
      patient(),
      { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: hr('a', 70, '2025-05-01T00:00:00Z'), search: { mode: 'match' } }] },
      {
        resourceType: 'Bundle',
        type: 'batch-response',
        entry: [{ resource: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: hr('b', 75, '2025-05-02T00:00:00Z') }] } }],
      },
      hr('c', 80, '2025-05-03T00:00:00Z'),
    ]);
    expect(ctx.vitals.heartRate.map((r) => r.source)).toEqual(['Observation/a', 'Observation/b', 'Observation/c']);
    expect(ctx.stats).toMatchObject({ resourcesSeen: 4, resourcesByType: { Observation: 3, Patient: 1 } });
  });

  it('matches Synthea-style urn:uuid subjects to the Patient', () => {
    const ctx = build([
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:abc', resource: { resourceType: 'Patient', id: 'abc', birthDate: '1980-01-01' } },
          { fullUrl: 'urn:uuid:o1', resource: { ...quantityObs('o1', '8867-4', 70, '/min', '2025-05-01T00:00:00Z'), subject: { reference: 'urn:uuid:abc' } } },
        ],
      },
    ]);
    expect(ctx.vitals.heartRate).toHaveLength(1);
    expect(ctx.exclusions).toEqual([]);
  });
});
