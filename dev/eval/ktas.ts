/**
 * KTAS evaluation records → FHIR R4 resources, so that each record goes through the same code
 * path as a hook call (buildPatientContext → triage observations → scores and acuity).
 *
 * Data: `triage_ktas_moon2019/ktas.jsonl` (Moon S-H et al., "Triage accuracy and causes of
 * mistriage using the Korean Triage and Acuity Scale", PLOS ONE 2019;14(9):e0216972; CC BY 4.0).
 * One JSON object per line; fields and coding are described in the data set's README.
 *
 * Only the inputs a triage nurse has at the door are converted: age, sex, chief complaint, vital
 * signs, AVPU and pain. The labels and outcomes (`ktas_rn`, `ktas_expert`, diagnosis,
 * disposition, mistriage, lengths of stay) are never written into the FHIR resources.
 *
 * Times: the records carry no dates, so every record is placed at one fixed reference time
 * (KTAS_REFERENCE_TIME, inside the study period Oct 2016 - Sep 2017): the emergency encounter
 * starts 15 minutes before it and the triage observations are taken 10 minutes before it.
 */
import type { Bundle, BundleEntry, Encounter, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { z } from 'zod';
import { canonicalUrl } from '../../src/canonical.js';
import { PAIN_SCORE_LOINC } from '../../src/services/triage/pain.js';

export const KTAS_REFERENCE_TIME = new Date('2017-04-01T12:00:00Z');
const ENCOUNTER_LEAD_MS = 15 * 60_000;
const OBSERVATION_LEAD_MS = 10 * 60_000;

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

const nullableNumber = z.number().finite().nullable().optional().transform((v) => v ?? null);

/** One line of ktas.jsonl: the fields Cairn reads, plus the labels the evaluation compares with. */
export const ktasRecordSchema = z.looseObject({
  id: z.string().min(1),
  sex: z.string().nullable().optional().transform((v) => v ?? null),
  age: nullableNumber,
  chief_complaint: z.string().nullable().optional().transform((v) => v ?? null),
  avpu: z.enum(['alert', 'verbal', 'pain', 'unresponsive']).nullable().optional().transform((v) => v ?? null),
  pain: z.boolean().nullable().optional().transform((v) => v ?? null),
  nrs_pain: nullableNumber,
  sbp: nullableNumber,
  dbp: nullableNumber,
  hr: nullableNumber,
  rr: nullableNumber,
  temp_c: nullableNumber,
  spo2: nullableNumber,
  ktas_rn: nullableNumber,
  ktas_expert: nullableNumber,
});

export type KtasRecord = z.infer<typeof ktasRecordSchema>;

export function parseKtasRecord(json: unknown): KtasRecord {
  return ktasRecordSchema.parse(json);
}

/** Parses a JSONL text; bad lines are reported with their line number, not thrown. */
export function parseKtasJsonl(textContent: string): { records: KtasRecord[]; errors: Array<{ line: number; message: string }> } {
  const records: KtasRecord[] = [];
  const errors: Array<{ line: number; message: string }> = [];
  textContent.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const parsed = ktasRecordSchema.safeParse(JSON.parse(line));
      if (parsed.success) records.push(parsed.data);
      else errors.push({ line: i + 1, message: parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ') });
    } catch (err) {
      errors.push({ line: i + 1, message: err instanceof Error ? err.message : String(err) });
    }
  });
  return { records, errors };
}

/**
 * AVPU answers, SNOMED CT, as listed in fhir-profiles/valuesets/cairn-consciousness.json (the
 * codes the PatientContext builder reads as A / V / P / U).
 */
export const KTAS_AVPU_CODES: Readonly<Record<NonNullable<KtasRecord['avpu']>, { code: string; display: string }>> = {
  alert: { code: '248234008', display: 'Mentally alert (finding)' },
  verbal: { code: '300202002', display: 'Responds to voice (finding)' },
  pain: { code: '450847001', display: 'Responds to pain (finding)' },
  unresponsive: { code: '422768004', display: 'Unresponsive (finding)' },
};

/**
 * A birth year-month giving `age` completed years at the reference time: `age` years and six
 * months before it, so the age is mid-year and off-by-one errors cannot flip it. Only year-month
 * is written (FHIR allows it); PatientContext marks such an age approximate, which it is.
 */
export function birthYearMonthFor(age: number, referenceTime: Date): string {
  const d = new Date(Date.UTC(referenceTime.getUTCFullYear() - Math.floor(age), referenceTime.getUTCMonth() - 6, 1));
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The data set replaces unreadable Korean complaints with "??": text without a letter is no complaint. */
export function usableComplaint(complaint: string | null): string | null {
  const t = complaint?.trim();
  return t && /\p{L}/u.test(t) ? t : null;
}

function vitalCategory(code: string): Observation['category'] {
  return [{ coding: [{ system: OBSERVATION_CATEGORY, code }] }];
}

export interface KtasBundleOptions {
  referenceTime?: Date;
}

export function ktasRecordToBundle(record: KtasRecord, options: KtasBundleOptions = {}): Bundle {
  const referenceTime = options.referenceTime ?? KTAS_REFERENCE_TIME;
  const patientId = record.id;
  const encounterId = `${record.id}-encounter`;
  const subject = { reference: `Patient/${patientId}` };
  const encounterRef = { reference: `Encounter/${encounterId}` };
  const observedAt = new Date(referenceTime.getTime() - OBSERVATION_LEAD_MS).toISOString();
  const resources: Resource[] = [];

  const patient: Patient = { resourceType: 'Patient', id: patientId };
  if (record.sex === 'male' || record.sex === 'female') patient.gender = record.sex;
  else patient.gender = 'unknown';
  if (record.age !== null && record.age >= 0) patient.birthDate = birthYearMonthFor(record.age, referenceTime);
  resources.push(patient);

  const encounter: Encounter = {
    resourceType: 'Encounter',
    id: encounterId,
    status: 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER', display: 'emergency' },
    subject,
    period: { start: new Date(referenceTime.getTime() - ENCOUNTER_LEAD_MS).toISOString() },
  };
  const complaint = usableComplaint(record.chief_complaint);
  if (complaint) encounter.reasonCode = [{ text: complaint }];
  resources.push(encounter);

  const observation = (suffix: string, category: string, code: Observation['code'], rest: Partial<Observation>): Observation => ({
    resourceType: 'Observation',
    id: `${record.id}-${suffix}`,
    status: 'final',
    category: vitalCategory(category),
    code,
    subject,
    encounter: encounterRef,
    effectiveDateTime: observedAt,
    ...rest,
  });
  const quantity = (value: number, code: string, unit: string): Observation['valueQuantity'] => ({ value, unit, system: UCUM, code });
  const loinc = (code: string, display: string): { system: string; code: string; display: string } => ({ system: LOINC, code, display });

  if (record.sbp !== null || record.dbp !== null) {
    const component: NonNullable<Observation['component']> = [];
    if (record.sbp !== null) component.push({ code: { coding: [loinc('8480-6', 'Systolic blood pressure')] }, valueQuantity: quantity(record.sbp, 'mm[Hg]', 'mmHg') });
    if (record.dbp !== null) component.push({ code: { coding: [loinc('8462-4', 'Diastolic blood pressure')] }, valueQuantity: quantity(record.dbp, 'mm[Hg]', 'mmHg') });
    resources.push(observation('bp', 'vital-signs', { coding: [loinc('85354-9', 'Blood pressure panel with all children optional')] }, { component }));
  }
  if (record.hr !== null) {
    resources.push(observation('hr', 'vital-signs', { coding: [loinc('8867-4', 'Heart rate')] }, { valueQuantity: quantity(record.hr, '/min', 'beats/minute') }));
  }
  if (record.rr !== null) {
    resources.push(observation('rr', 'vital-signs', { coding: [loinc('9279-1', 'Respiratory rate')] }, { valueQuantity: quantity(record.rr, '/min', 'breaths/minute') }));
  }
  if (record.temp_c !== null) {
    resources.push(observation('temp', 'vital-signs', { coding: [loinc('8310-5', 'Body temperature')] }, { valueQuantity: quantity(record.temp_c, 'Cel', 'C') }));
  }
  if (record.spo2 !== null) {
    // 2708-6 is the code the FHIR vital-signs profile requires; 59408-5 says it was pulse oximetry.
    resources.push(
      observation(
        'spo2',
        'vital-signs',
        { coding: [loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'), loinc('2708-6', 'Oxygen saturation in Arterial blood')] },
        { valueQuantity: quantity(record.spo2, '%', '%') },
      ),
    );
  }
  if (record.avpu !== null) {
    const answer = KTAS_AVPU_CODES[record.avpu];
    resources.push(
      observation('avpu', 'exam', { coding: [loinc('67775-7', 'Level of responsiveness')] }, { valueCodeableConcept: { coding: [{ system: SNOMED, ...answer }], text: record.avpu } }),
    );
  }
  // Only a recorded rating becomes a pain score: "no pain" without a rating is not turned into 0.
  if (record.nrs_pain !== null) {
    resources.push(
      observation('pain', 'survey', { coding: [loinc(PAIN_SCORE_LOINC, 'Pain severity - 0-10 verbal numeric rating [Score] - Reported')] }, { valueQuantity: quantity(record.nrs_pain, '{score}', 'score') }),
    );
  }

  const entry: BundleEntry[] = resources.map((resource) => ({ fullUrl: canonicalUrl(`${resource.resourceType}/${resource.id}`), resource }));
  return { resourceType: 'Bundle', id: `${record.id}-triage`, type: 'collection', timestamp: referenceTime.toISOString(), entry };
}
