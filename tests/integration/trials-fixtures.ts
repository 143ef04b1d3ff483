/** Small trial records in the corpus format, shared by the trial integration tests. */
import { fromCorpusRecord, prepareTrial, type TrialRecord } from '../../src/services/trials/matching/trial-record.js';
import type { StoredTrial } from '../../src/services/trials/store/trial-store.js';

export function corpusRecord(nctId: string, title: string, conditions: string[], inclusion: string, exclusion: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nct_id: nctId,
    brief_title: title,
    official_title: '',
    conditions,
    keywords: [],
    interventions: [],
    study_type: 'Interventional',
    phase: 'Phase 3',
    overall_status: 'Recruiting',
    brief_summary: `${title}.`,
    gender: 'All',
    minimum_age: '18 Years',
    maximum_age: 'N/A',
    healthy_volunteers: 'No',
    eligibility_criteria_raw: `Inclusion Criteria:\n\n${inclusion}\n\nExclusion Criteria:\n\n${exclusion}`,
    inclusion_criteria: '',
    exclusion_criteria: '',
    source: 'ctgov_xml_2023-02-03',
    ...extra,
  };
}

export const TRIALS: TrialRecord[] = [
  corpusRecord('NCT00000001', 'Intensive Blood Pressure Lowering in Hypertension', ['Hypertension'], '- Essential hypertension\n- Systolic blood pressure >= 140 mmHg', '- Pregnant or breastfeeding\n- Type 1 diabetes\n- eGFR < 30 mL/min/1.73m2'),
  corpusRecord('NCT00000002', 'Metformin Versus Sitagliptin in Type 2 Diabetes', ['Type 2 Diabetes Mellitus'], '- Type 2 diabetes\n- HbA1c between 7% and 10%', '- Insulin therapy\n- Creatinine > 1.5 mg/dL'),
  corpusRecord('NCT00000003', 'Early Antibiotics in Sepsis', ['Sepsis', 'Septic Shock'], '- Suspected sepsis in the emergency department', '- Do not resuscitate order', { overall_status: 'Completed' }),
].map((r) => fromCorpusRecord(r));

/** A 62-year-old woman with coded hypertension, a recorded eGFR and a note. */
export function hypertensivePatient(noteText: string): unknown[] {
  return [
    { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1963-02-01' },
    {
      resourceType: 'Condition',
      id: 'htn',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '59621000', display: 'Essential hypertension' }] },
      subject: { reference: 'Patient/p1' },
    },
    {
      resourceType: 'Observation',
      id: 'egfr',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '33914-3' }] },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2025-05-01T09:00:00Z',
      valueQuantity: { value: 72, unit: 'mL/min/{1.73_m2}', system: 'http://unitsofmeasure.org', code: 'mL/min/{1.73_m2}' },
    },
    noteDocument('note', noteText),
  ];
}

/** A plain-text clinical note about patient p1, as a DocumentReference. */
export function noteDocument(id: string, text: string, date = '2025-05-20T09:00:00Z'): Record<string, unknown> {
  return {
    resourceType: 'DocumentReference',
    id,
    status: 'current',
    subject: { reference: 'Patient/p1' },
    date,
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }],
  };
}

/** A trial as the store gives it back, prepared in memory (no database): for the card and matching tests. */
export function storedTrial(record: TrialRecord, fetchedAt = '2025-05-10T08:00:00.000Z'): StoredTrial {
  const t = prepareTrial(record);
  return {
    nctId: record.nctId,
    title: record.title,
    conditions: record.conditions,
    phase: record.phase ?? null,
    status: record.overallStatus,
    researchStudy: t.researchStudy,
    record,
    contentHash: t.contentHash,
    lastUpdatePosted: record.lastUpdatePosted ?? null,
    fetchedAt,
    criteria: t.criteria.map((criterion, ordinal) => ({ ordinal, criterion })),
  };
}
