/**
 * Hand-built triage observations for the score tables: one reading per parameter, taken 10 minutes
 * before the reference time, with everything else either normal or explicitly absent.
 */
import type { Age, ConsciousnessLevel } from '../../src/fhir/context/index.js';
import type { ParameterSeries, TriageObservations } from '../../src/services/triage/triage-input.js';
import { supplementalOxygenFrom } from '../../src/services/triage/triage-input.js';
import type { ConsciousnessEvidence, QuantityEvidence, TriageParameter, VitalParameter } from '../../src/services/triage/types.js';
import { PARAMETER_LABELS, VITAL_PARAMETERS } from '../../src/services/triage/types.js';

export const REF = new Date('2025-05-20T12:00:00Z');
export const REF_MS = REF.getTime();
export const MINUTE = 60_000;

const UNITS: Record<VitalParameter | 'painScore', string> = {
  respiratoryRate: '/min',
  spo2: '%',
  systolicBP: 'mm[Hg]',
  heartRate: '/min',
  temperature: 'Cel',
  gcs: '{score}',
  inspiredOxygenFraction: '%',
  oxygenFlowRate: 'L/min',
  painScore: '{score}',
};

let counter = 0;

export function reading(
  parameter: VitalParameter | 'painScore',
  value: number,
  options: { minutesAgo?: number; comparator?: QuantityEvidence['comparator']; source?: string } = {},
): QuantityEvidence {
  const t = REF_MS - (options.minutesAgo ?? 10) * MINUTE;
  counter += 1;
  const e: QuantityEvidence = {
    kind: 'quantity',
    parameter,
    label: PARAMETER_LABELS[parameter],
    value,
    unit: UNITS[parameter],
    effective: new Date(t).toISOString(),
    effectiveTime: t,
    source: options.source ?? `Observation/${parameter}-${counter}`,
    code: 'test',
  };
  if (options.comparator) e.comparator = options.comparator;
  return e;
}

export function avpu(level: ConsciousnessLevel, minutesAgo = 10): ConsciousnessEvidence {
  const t = REF_MS - minutesAgo * MINUTE;
  counter += 1;
  return {
    kind: 'consciousness',
    parameter: 'consciousness',
    label: PARAMETER_LABELS.consciousness,
    value: level,
    unit: null,
    effective: new Date(t).toISOString(),
    effectiveTime: t,
    source: `Observation/avpu-${counter}`,
    code: level,
  };
}

export function series<E extends { effectiveTime: number }>(...readings: E[]): ParameterSeries<E> {
  const sorted = [...readings].sort((a, b) => a.effectiveTime - b.effectiveTime);
  return { latest: sorted[sorted.length - 1] ?? null, inWindow: sorted, lastBeforeWindow: null };
}

/** An age as PatientContext states it (completed years, total months, total days). */
export function age(spec: { years?: number; months?: number; days?: number }): Age {
  const months = spec.months ?? (spec.years ?? 0) * 12;
  const years = spec.years ?? Math.floor(months / 12);
  const days = spec.days ?? Math.floor(months * 30.44);
  return {
    years,
    months,
    days,
    preferredUnit: years >= 2 ? 'years' : months >= 1 ? 'months' : 'days',
    display: years >= 2 ? `${years} years` : months >= 1 ? `${months} months` : `${days} days`,
    approximate: false,
  };
}

type ValueSpec = number | QuantityEvidence | null;

export interface ObservationSpec {
  respiratoryRate?: ValueSpec;
  spo2?: ValueSpec;
  systolicBP?: ValueSpec;
  heartRate?: ValueSpec;
  temperature?: ValueSpec;
  gcs?: ValueSpec;
  inspiredOxygenFraction?: ValueSpec;
  oxygenFlowRate?: ValueSpec;
  consciousness?: ConsciousnessLevel | ConsciousnessEvidence | null;
  pain?: ValueSpec;
  age?: Age | null;
  pregnant?: boolean;
  hypercapnic?: boolean;
  complaint?: string | null;
  /** Readings recorded but excluded, for vital signs given as missing (null). */
  excluded?: TriageObservations['excluded'];
}

/** A normal adult on room air: every NEWS2 parameter scores 0. */
export const NORMAL_ADULT: ObservationSpec = {
  respiratoryRate: 16,
  spo2: 97,
  systolicBP: 120,
  heartRate: 70,
  temperature: 37.0,
  oxygenFlowRate: 0,
  consciousness: 'A',
  age: age({ years: 45 }),
};

export function observations(spec: ObservationSpec): TriageObservations {
  const vitals = {} as TriageObservations['vitals'];
  const missing: TriageParameter[] = [];
  for (const p of VITAL_PARAMETERS) {
    const v = spec[p];
    const e = v === undefined || v === null ? null : typeof v === 'number' ? reading(p, v) : v;
    vitals[p] = e ? series(e) : series<QuantityEvidence>();
    if (!e) missing.push(p);
  }
  const c = spec.consciousness;
  const consciousness = c === undefined || c === null ? series<ConsciousnessEvidence>() : series(typeof c === 'string' ? avpu(c) : c);
  if (!consciousness.latest) missing.push('consciousness');
  const p = spec.pain;
  const painEvidence = p === undefined || p === null ? null : typeof p === 'number' ? reading('painScore', p) : p;
  const pain = painEvidence ? series(painEvidence) : series<QuantityEvidence>();
  if (!painEvidence) missing.push('painScore');
  return {
    referenceTime: REF.toISOString(),
    referenceTimeMs: REF_MS,
    windowHours: 24,
    vitals,
    consciousness,
    pain,
    supplementalOxygen: supplementalOxygenFrom(vitals.inspiredOxygenFraction.latest, vitals.oxygenFlowRate.latest),
    hypercapnicRespiratoryFailure: spec.hypercapnic
      ? { recorded: true, conditions: [{ source: 'Condition/hcrf', text: 'Chronic respiratory failure with hypercapnia', codings: [] }], notUsed: [] }
      : { recorded: false, conditions: [], notUsed: [] },
    patient: { source: 'Patient/p1', age: spec.age === undefined ? null : spec.age, sex: 'unknown', pregnancy: spec.pregnant ? 'pregnant' : 'unknown' },
    chiefComplaint: spec.complaint ? { text: spec.complaint, source: 'Encounter/e1', codings: [] } : null,
    missing,
    excluded: spec.excluded ?? {},
  };
}

export function normalAdult(overrides: ObservationSpec = {}): TriageObservations {
  return observations({ ...NORMAL_ADULT, ...overrides });
}
