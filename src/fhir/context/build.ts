/**
 * buildPatientContext: FHIR R4 resources (a CDS Hooks prefetch result, a $everything Bundle, or
 * any mix of resources and Bundles) → one PatientContext at a reference time.
 *
 * Pure: no I/O (the value sets are loaded once, before, by value-sets.ts), no clock read except
 * the default reference time. Never throws: every resource is read inside its own guard, so one
 * malformed resource becomes one `malformed-resource` exclusion and the rest of the record is
 * still used. An unexpected failure of the builder itself yields an empty context carrying an
 * `internal-error` exclusion: empty means "nothing known", which no rule may read as normal.
 */
import { summariseAllergy } from './allergies.js';
import { collectResources } from './collect.js';
import type { SourceItem } from './collect.js';
import { summariseCondition } from './conditions.js';
import { chooseCurrentEncounter, summariseEncounter } from './encounter.js';
import type { BuildEnv } from './env.js';
import type { JsonObject } from './fhir-json.js';
import { objects, parseReference, prop, text } from './fhir-json.js';
import { summariseMedication } from './medications.js';
import { readDiagnosticReportText, readDocumentReference } from './notes.js';
import type { ObservationSink, PregnancyObservation } from './observations.js';
import { readObservation } from './observations.js';
import { summarisePatient } from './patient.js';
import { pregnancyStatus } from './pregnancy.js';
import { summariseProcedure } from './procedures.js';
import { isVitalKey } from './series.js';
import type {
  AllergyEntry,
  ClinicalNote,
  ConditionEntry,
  ConsciousnessReading,
  EncounterSummary,
  Exclusion,
  LabKey,
  MedicationEntry,
  PatientContext,
  PatientSummary,
  ProcedureEntry,
  Reading,
  VitalKey,
} from './types.js';
import { LAB_KEYS, VITAL_KEYS } from './types.js';
import type { ValueSetIndex } from './value-sets.js';
import { defaultValueSetIndex } from './value-sets.js';

export interface BuildPatientContextInput {
  /** Resources and/or Bundles in any mix; Bundle entries (and nested Bundles) are flattened. */
  resources: unknown[];
  /** The time the context describes; data after it are excluded. Default: now. */
  referenceTime?: Date;
  /** Code lists; default: the shipped fhir-profiles/valuesets (loaded once). */
  valueSets?: ValueSetIndex;
  /** CDS Hooks context.patientId: resources about any other patient are excluded. */
  patientId?: string;
  /** CDS Hooks context.encounterId: makes that encounter the current one. */
  encounterId?: string;
}

/** Resource types read into the context; others (Organization, Immunization ...) are only counted. */
const SUBJECT_ELEMENT: ReadonlyMap<string, string> = new Map([
  ['Encounter', 'subject'],
  ['Observation', 'subject'],
  ['Condition', 'subject'],
  ['MedicationRequest', 'subject'],
  ['MedicationStatement', 'subject'],
  ['AllergyIntolerance', 'patient'],
  ['Procedure', 'subject'],
  ['DocumentReference', 'subject'],
  ['DiagnosticReport', 'subject'],
]);

function emptyRecord<K extends string>(keys: readonly K[]): Record<K, Reading[]> {
  return Object.fromEntries(keys.map((k) => [k, [] as Reading[]])) as Record<K, Reading[]>;
}

function emptyContext(referenceTime: number, exclusions: Exclusion[]): PatientContext {
  return {
    referenceTime: new Date(referenceTime).toISOString(),
    patient: null,
    encounters: [],
    currentEncounter: null,
    currentEncounterBasis: 'none',
    vitals: emptyRecord(VITAL_KEYS),
    labs: emptyRecord(LAB_KEYS),
    consciousness: [],
    pregnancy: { status: 'unknown', evidence: [] },
    conditions: [],
    medications: [],
    allergies: [],
    procedures: [],
    notes: [],
    exclusions,
    stats: { resourcesSeen: 0, resourcesByType: {}, observationsNotMapped: 0 },
  };
}

function errorMessage(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return 'unknown error';
  }
}

function byTime<T>(time: (t: T) => number | null): (a: T, b: T) => number {
  return (a, b) => (time(a) ?? -Infinity) - (time(b) ?? -Infinity);
}

export function buildPatientContext(input: BuildPatientContextInput): PatientContext {
  const exclusions: Exclusion[] = [];
  let referenceTime = Date.now();
  try {
    const requested = prop(input, 'referenceTime');
    if (requested instanceof Date && Number.isFinite(requested.getTime())) referenceTime = requested.getTime();
    else if (requested !== undefined) {
      exclusions.push({ source: 'input', reason: 'invalid-time', detail: 'referenceTime is not a valid Date; the current time was used' });
    }
    return build(input, referenceTime, exclusions);
  } catch (err) {
    return emptyContext(referenceTime, [
      ...exclusions,
      { source: 'buildPatientContext', reason: 'internal-error', detail: `context could not be built: ${errorMessage(err)}` },
    ]);
  }
}

function build(input: BuildPatientContextInput, referenceTime: number, exclusions: Exclusion[]): PatientContext {
  const valueSets = (prop(input, 'valueSets') as ValueSetIndex | undefined) ?? defaultValueSetIndex();
  const items = collectResources(prop(input, 'resources'), exclusions);

  // Lookup tables for references (reasonReference, medicationReference).
  const byTypeId = new Map<string, JsonObject>();
  const byFullUrl = new Map<string, JsonObject>();
  const typeIdByFullUrl = new Map<string, string>();
  const byId = new Map<string, JsonObject>();
  const typeCounts = new Map<string, number>();
  for (const item of items) {
    typeCounts.set(item.resourceType, (typeCounts.get(item.resourceType) ?? 0) + 1);
    if (item.id) {
      byTypeId.set(`${item.resourceType}/${item.id}`, item.resource);
      if (!byId.has(item.id)) byId.set(item.id, item.resource);
    }
    if (item.fullUrl) {
      byFullUrl.set(item.fullUrl, item.resource);
      if (item.id) typeIdByFullUrl.set(item.fullUrl, `${item.resourceType}/${item.id}`);
    }
  }

  const env: BuildEnv = {
    referenceTime,
    valueSets,
    exclusions,
    exclude(source, reason, detail, reading) {
      exclusions.push({ source, reason, ...(detail !== undefined && { detail }), ...(reading !== undefined && { reading }) });
    },
    resolve(reference, from) {
      if (reference.startsWith('#')) {
        const id = reference.slice(1);
        return objects(from, 'contained').find((c) => text(c, 'id') === id);
      }
      const exact = byFullUrl.get(reference);
      if (exact) return exact;
      const parsed = parseReference(reference);
      if (!parsed) return undefined;
      return parsed.type ? byTypeId.get(`${parsed.type}/${parsed.id}`) : (byFullUrl.get(`urn:uuid:${parsed.id}`) ?? byId.get(parsed.id));
    },
    canonicalReference(reference) {
      return typeIdByFullUrl.get(reference) ?? reference;
    },
  };

  // --- which patient? ------------------------------------------------------------------------
  const requestedPatientId = text(input, 'patientId');
  const patientItems = items.filter((i) => i.resourceType === 'Patient');
  const primaryPatient = requestedPatientId ? patientItems.find((p) => p.id === requestedPatientId) : patientItems[0];
  let patientId: string | undefined = requestedPatientId ?? primaryPatient?.id;
  const patientFullUrls = new Set(patientItems.filter((p) => p.id !== undefined && p.id === patientId).map((p) => p.fullUrl).filter((u): u is string => !!u));

  const isOtherPatient = (item: SourceItem): boolean => {
    const element = SUBJECT_ELEMENT.get(item.resourceType);
    if (!element) return false;
    const reference = text(prop(item.resource, element), 'reference');
    if (!reference) return false; // a logical or absent subject cannot be checked; prefetch queries are patient-scoped
    if (patientFullUrls.has(reference)) return false;
    const parsed = parseReference(reference);
    if (!parsed) return false;
    if (parsed.type !== undefined && parsed.type !== 'Patient') return true;
    // No Patient resource and no context patientId: the first subject seen defines the patient.
    patientId ??= parsed.id;
    return parsed.id !== patientId;
  };

  // --- read every resource, each in its own guard ----------------------------------------------
  let patient: PatientSummary | null = null;
  const encounters: EncounterSummary[] = [];
  const vitals = emptyRecord(VITAL_KEYS);
  const labs = emptyRecord(LAB_KEYS);
  const consciousness: ConsciousnessReading[] = [];
  const pregnancyObservations: PregnancyObservation[] = [];
  const conditions: ConditionEntry[] = [];
  const medications: MedicationEntry[] = [];
  const allergies: AllergyEntry[] = [];
  const procedures: ProcedureEntry[] = [];
  const notes: ClinicalNote[] = [];
  let observationsNotMapped = 0;

  const sink: ObservationSink = {
    reading(r) {
      if (isVitalKey(r.quantity)) vitals[r.quantity as VitalKey].push(r);
      else labs[r.quantity as LabKey].push(r);
    },
    consciousness(r) {
      consciousness.push(r);
    },
    pregnancy(p) {
      pregnancyObservations.push(p);
    },
    notMapped() {
      observationsNotMapped += 1;
    },
  };

  for (const item of items) {
    try {
      if (item.resourceType === 'Patient') {
        if (item === primaryPatient) patient = summarisePatient(item, env);
        else {
          env.exclude(item.source, 'different-patient', `the context is about Patient/${patientId ?? '(unknown)'}`);
        }
        continue;
      }
      if (isOtherPatient(item)) {
        env.exclude(item.source, 'different-patient', `subject is ${text(prop(item.resource, SUBJECT_ELEMENT.get(item.resourceType) as string), 'reference') ?? '?'}`);
        continue;
      }
      switch (item.resourceType) {
        case 'Observation':
          readObservation(item, env, sink);
          break;
        case 'Encounter': {
          const e = summariseEncounter(item, env);
          if (e) encounters.push(e);
          break;
        }
        case 'Condition': {
          const c = summariseCondition(item, env);
          if (c) conditions.push(c);
          break;
        }
        case 'MedicationRequest':
        case 'MedicationStatement': {
          const m = summariseMedication(item, env);
          if (m) medications.push(m);
          break;
        }
        case 'AllergyIntolerance': {
          const a = summariseAllergy(item, env);
          if (a) allergies.push(a);
          break;
        }
        case 'Procedure': {
          const p = summariseProcedure(item, env);
          if (p) procedures.push(p);
          break;
        }
        case 'DocumentReference':
          notes.push(...readDocumentReference(item, env));
          break;
        case 'DiagnosticReport':
          notes.push(...readDiagnosticReportText(item, env));
          break;
        default:
          // Not read into the context (Organization, Practitioner, Immunization, CarePlan ...).
          break;
      }
    } catch (err) {
      env.exclude(item.source, 'malformed-resource', `could not be read: ${errorMessage(err)}`);
    }
  }

  // --- order and derive ----------------------------------------------------------------------
  // Array.prototype.sort is stable (ES2019): equal times keep input order, so `latest` of a tie
  // is the reading that came later in the input.
  const readingOrder = byTime<Reading>((r) => r.effectiveTime);
  for (const k of VITAL_KEYS) vitals[k].sort(readingOrder);
  for (const k of LAB_KEYS) labs[k].sort(readingOrder);
  consciousness.sort(byTime((r) => r.effectiveTime));
  encounters.sort(byTime((e) => e.period.startTime));
  conditions.sort(byTime((c) => c.onsetTime));
  medications.sort(byTime((m) => m.time));
  procedures.sort(byTime((p) => p.performedTime));
  notes.sort(byTime((n) => n.time));

  const { encounter: currentEncounter, basis } = chooseCurrentEncounter(encounters, referenceTime, text(input, 'encounterId'));
  if (!patient && requestedPatientId && patientItems.length > 0) {
    exclusions.push({ source: 'input', reason: 'different-patient', detail: `no Patient/${requestedPatientId} in the input` });
  }

  return {
    referenceTime: new Date(referenceTime).toISOString(),
    patient,
    encounters,
    currentEncounter,
    currentEncounterBasis: basis,
    vitals,
    labs,
    consciousness,
    pregnancy: pregnancyStatus(pregnancyObservations, conditions, referenceTime),
    conditions,
    medications,
    allergies,
    procedures,
    notes,
    exclusions,
    stats: {
      resourcesSeen: items.length,
      resourcesByType: Object.fromEntries([...typeCounts].sort(([a], [b]) => a.localeCompare(b))),
      observationsNotMapped,
    },
  };
}

