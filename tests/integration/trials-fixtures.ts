/** Small trial records in the corpus format, shared by the trial integration tests. */
import { fromCorpusRecord, type TrialRecord } from '../../src/services/trials/import.js';

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
