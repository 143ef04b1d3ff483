/**
 * What the triage scores read from a PatientContext: for each vital sign the latest value taken
 * within a recent window before the reference time (24 h by default), with the reading it came
 * from; the level of consciousness; whether the patient is on supplemental oxygen; whether
 * hypercapnic respiratory failure is recorded (NEWS2 SpO2 scale 2); age, sex and pregnancy; the
 * chief complaint; and the list of what is missing.
 *
 * A reading older than the window is not used (yesterday's saturation says nothing about triage
 * now) but is kept as `lastBeforeWindow` so a card can say "last SpO2 3 days ago, not used".
 * Nothing here fills a gap with a normal value: a missing parameter is `latest: null` and is
 * listed in `missing`.
 */
import { exclusionReasonWords, formatValue, recordedIfConverted } from '../../cards/evidence.js';
import { CLOCK_SKEW_TOLERANCE_MS, conditionsIn } from '../../fhir/context/index.js';
import { displayQuantity } from '../../fhir/context/units.js';
import type {
  AdministrativeSex,
  Age,
  CodingSummary,
  ConditionEntry,
  ConsciousnessReading,
  ExcludedReading,
  ExclusionReason,
  PatientContext,
  PregnancyStatusValue,
  Reading,
} from '../../fhir/context/index.js';
import type { ConsciousnessEvidence, QuantityEvidence, TriageParameter, VitalParameter } from './types.js';
import { PARAMETER_LABELS, VITAL_PARAMETERS } from './types.js';
import { describeValue, isAbove, isBelow } from './values.js';

/** Engineering default: a vital sign older than a day does not describe the patient at triage. */
export const DEFAULT_WINDOW_HOURS = 24;

/** The value set (fhir-profiles/valuesets) whose conditions put NEWS2 on SpO2 scale 2. */
export const HYPERCAPNIC_RESPIRATORY_FAILURE_VALUE_SET = 'cairn-hypercapnic-respiratory-failure';

/** The full Glasgow Coma Scale score: fully alert and oriented (Teasdale & Jennett, Lancet 1974). */
export const GCS_FULL = 15;

/** Room air is 20.9 % oxygen, recorded as 21 %: anything above it is supplemental oxygen. */
export const ROOM_AIR_FIO2_PERCENT = 21;

export interface ParameterSeries<E> {
  /** The most recent reading within the window, or null: not known. */
  latest: E | null;
  /** All readings within the window, oldest first. */
  inWindow: E[];
  /** The most recent reading before the window opened (not used by any score). */
  lastBeforeWindow: E | null;
}

export type SupplementalOxygen =
  | { status: 'air' | 'oxygen'; evidence: QuantityEvidence; detail: string }
  | { status: 'unknown'; evidence: null; detail: string };

export interface ConditionReference {
  source: string;
  text: string;
  codings: CodingSummary[];
}

export interface HypercapnicRespiratoryFailure {
  /** True when an active, confirmed condition in the value set is recorded. */
  recorded: boolean;
  conditions: ConditionReference[];
  /** Conditions in the value set that were not used, with why (tentative, inactive, status unknown). */
  notUsed: Array<ConditionReference & { why: string }>;
}

export interface ChiefComplaint {
  text: string;
  source: string;
  codings: CodingSummary[];
}

/**
 * A chief complaint is a few words (the longest in the KTAS and MIMIC-IV-ED triage sets is 42
 * characters). Reason-for-visit text beyond this length is not a chief complaint, and reading it
 * would cost seconds on the hook's hot path (the resource table and the guideline search it
 * becomes); it is not read, and the card says so. Engineering bound, not a clinical threshold.
 */
export const MAX_CHIEF_COMPLAINT_CHARS = 1_000;

/** A reason for visit too long to be read as a chief complaint (MAX_CHIEF_COMPLAINT_CHARS). */
export interface ChiefComplaintNotRead {
  source: string;
  /** Length of the reasons' text, joined. */
  characters: number;
}

export interface TriageObservations {
  referenceTime: string;
  referenceTimeMs: number;
  windowHours: number;
  vitals: Record<VitalParameter, ParameterSeries<QuantityEvidence>>;
  consciousness: ParameterSeries<ConsciousnessEvidence>;
  /** Pain score 0-10; PatientContext does not carry it, see pain.ts. */
  pain: ParameterSeries<QuantityEvidence>;
  supplementalOxygen: SupplementalOxygen;
  hypercapnicRespiratoryFailure: HypercapnicRespiratoryFailure;
  patient: {
    source: string | null;
    age: Age | null;
    sex: AdministrativeSex;
    pregnancy: PregnancyStatusValue;
    /** Set when the Patient resource says the patient died (deceasedBoolean true, or a deceasedDateTime): a contradiction with vital signs taken now. */
    recordedDeceased?: { dateTime: string | null };
  };
  /** Null when none is recorded, and when it was too long to read (then `chiefComplaintNotRead`). */
  chiefComplaint: ChiefComplaint | null;
  chiefComplaintNotRead?: ChiefComplaintNotRead;
  /** Parameters with no reading within the window. */
  missing: TriageParameter[];
  /**
   * For the vital signs with no usable reading in the window: the readings of it in the window
   * that were recorded but excluded (implausible, unit not understood, no value), newest last, so
   * a card says "excluded", not "not recorded".
   */
  excluded: Partial<Record<VitalParameter, ExcludedVital[]>>;
}

export interface ExcludedVital extends ExcludedReading {
  reason: ExclusionReason;
}

/**
 * "excluded (400/min, implausible)": the newest of a vital sign's excluded readings, and how many
 * more (each, dated, in the card's extension). Plain text: a card escapes it for markdown.
 */
export function describeExcluded(readings: readonly ExcludedVital[]): string {
  const newest = readings[readings.length - 1] as ExcludedVital;
  const value = newest.value !== undefined ? [displayQuantity(formatValue(newest.value), newest.unit)] : [];
  const more = readings.length > 1 ? `; ${readings.length - 1} earlier` : '';
  return `excluded (${[...value, exclusionReasonWords(newest.reason)].join(', ')}${more})`;
}

export interface TriageInputOptions {
  /** How far back a reading still counts, in hours (default 24). */
  windowHours?: number;
  /** Pain scores read from the raw FHIR input (see pain.ts); PatientContext has no pain series. */
  painScores?: readonly QuantityEvidence[];
}

export function quantityEvidence(parameter: VitalParameter, r: Reading): QuantityEvidence {
  const e: QuantityEvidence = {
    kind: 'quantity',
    parameter,
    label: PARAMETER_LABELS[parameter],
    value: r.value,
    unit: r.unit,
    effective: r.effective,
    effectiveTime: r.effectiveTime,
    source: r.source,
    code: r.code,
  };
  if (r.comparator) e.comparator = r.comparator;
  const recorded = recordedIfConverted(r);
  if (recorded) e.recorded = recorded;
  if (r.notes && r.notes.length > 0) e.notes = [...r.notes];
  return e;
}

export function consciousnessEvidence(r: ConsciousnessReading): ConsciousnessEvidence {
  const e: ConsciousnessEvidence = {
    kind: 'consciousness',
    parameter: 'consciousness',
    label: PARAMETER_LABELS.consciousness,
    value: r.level,
    unit: null,
    effective: r.effective,
    effectiveTime: r.effectiveTime,
    source: r.source,
    code: r.coding.code,
  };
  if (r.coding.display) e.display = r.coding.display;
  return e;
}

/** Splits time-ordered readings (oldest first) at the window start. */
export function windowed<E extends { effectiveTime: number }>(ordered: readonly E[], windowStart: number): ParameterSeries<E> {
  const inWindow = ordered.filter((e) => e.effectiveTime >= windowStart);
  const before = ordered.filter((e) => e.effectiveTime < windowStart);
  return { latest: inWindow[inWindow.length - 1] ?? null, inWindow, lastBeforeWindow: before[before.length - 1] ?? null };
}

/**
 * Air or oxygen, from the most recent FiO2 or O2 flow reading in the window. FiO2 above room air
 * (21 %) or any flow above 0 L/min is oxygen. When an FiO2 and a flow reading share the latest
 * time and disagree, oxygen wins: NEWS2 scores oxygen, and scoring it is the safer error.
 */
export function supplementalOxygenFrom(fio2: QuantityEvidence | null, flow: QuantityEvidence | null): SupplementalOxygen {
  const judge = (e: QuantityEvidence): { status: 'air' | 'oxygen'; detail: string } | null => {
    if (e.parameter === 'inspiredOxygenFraction') {
      // Whole per cent, as recorded; a comparator ("> 21") counts when it settles the question.
      const above = isAbove(e, ROOM_AIR_FIO2_PERCENT, 1);
      if (above === null) return null;
      return above
        ? { status: 'oxygen', detail: `inspired oxygen ${describeValue(e)} (above room air, ${ROOM_AIR_FIO2_PERCENT} %)` }
        : { status: 'air', detail: `inspired oxygen ${describeValue(e)} (room air)` };
    }
    // Any flow counts, down to the 0.01 L/min of neonatal low-flow meters.
    const flowing = isAbove(e, 0, 0.01);
    if (flowing === null) return null;
    return flowing ? { status: 'oxygen', detail: `oxygen flow ${describeValue(e)}` } : { status: 'air', detail: 'oxygen flow 0 L/min (room air)' };
  };
  const candidates = [fio2, flow].filter((e): e is QuantityEvidence => e !== null).sort((a, b) => b.effectiveTime - a.effectiveTime);
  const newest = candidates[0];
  if (!newest) {
    return { status: 'unknown', evidence: null, detail: 'no inspired-oxygen (FiO2) or oxygen-flow reading in the window: whether the patient is on oxygen is not recorded' };
  }
  const sameTime = candidates.filter((e) => e.effectiveTime === newest.effectiveTime);
  const judged = sameTime.map((e) => ({ e, j: judge(e) })).filter((x) => x.j !== null) as Array<{ e: QuantityEvidence; j: { status: 'air' | 'oxygen'; detail: string } }>;
  const oxygen = judged.find((x) => x.j.status === 'oxygen');
  const chosen = oxygen ?? judged[0];
  if (!chosen) {
    return { status: 'unknown', evidence: null, detail: `the latest oxygen reading (${newest.source}) does not say whether it is above room air` };
  }
  return { status: chosen.j.status, evidence: chosen.e, detail: chosen.j.detail };
}

function conditionReference(c: ConditionEntry): ConditionReference {
  const display = c.codings.find((x) => x.display)?.display;
  return { source: c.source, text: c.text ?? display ?? c.codings[0]?.code ?? '(no text)', codings: c.codings };
}

/**
 * Hypercapnic respiratory failure "recorded" means an active, non-tentative condition in the
 * value set (RCP 2017: Scale 2 needs confirmed hypercapnia). A provisional or inactive entry is
 * reported but does not switch the scale: Scale 1 then scores a low saturation, the safer error.
 */
export function hypercapnicRespiratoryFailureFrom(ctx: PatientContext): HypercapnicRespiratoryFailure {
  const used = conditionsIn(ctx, HYPERCAPNIC_RESPIRATORY_FAILURE_VALUE_SET);
  const all = conditionsIn(ctx, HYPERCAPNIC_RESPIRATORY_FAILURE_VALUE_SET, { includeInactive: true, includeTentative: true });
  const notUsed = all
    .filter((c) => !used.includes(c))
    .map((c) => ({
      ...conditionReference(c),
      why: c.tentative
        ? `verification status ${c.verificationStatus} (not confirmed)`
        : c.activeAtReference === 'unknown'
          ? 'clinical status not recorded'
          : `not active at the reference time (${c.clinicalStatus})`,
    }));
  return { recorded: used.length > 0, conditions: used.map(conditionReference), notUsed };
}

/** "12,034 characters of reason for visit, more than the 1,000 read as a chief complaint" */
export function complaintNotReadWords(n: ChiefComplaintNotRead): string {
  return `${n.characters.toLocaleString('en-US')} characters of reason for visit, more than the ${MAX_CHIEF_COMPLAINT_CHARS.toLocaleString('en-US')} read as a chief complaint`;
}

/** What a complaint not read leaves unchecked, after complaintNotReadWords (the card and the app say the same). */
export function complaintNotReadConsequence(n: ChiefComplaintNotRead): string {
  return `${complaintNotReadWords(n)}; it was not checked for high-risk situations or expected resources.`;
}

/**
 * The chief complaint of the current encounter: its reasons' text (or coded display), joined; or,
 * when that is longer than MAX_CHIEF_COMPLAINT_CHARS, how long it is.
 */
export function chiefComplaintFrom(ctx: PatientContext): ChiefComplaint | ChiefComplaintNotRead | null {
  const encounter = ctx.currentEncounter;
  if (!encounter) return null;
  const parts = new Set<string>();
  const codings: CodingSummary[] = [];
  for (const reason of encounter.reasons) {
    const t = reason.text?.trim() || reason.codings.find((c) => c.display)?.display?.trim();
    if (t) parts.add(t);
    codings.push(...reason.codings);
  }
  if (parts.size === 0) return null;
  const text = [...parts].join('; ');
  if (text.length > MAX_CHIEF_COMPLAINT_CHARS) return { source: encounter.source, characters: text.length };
  return { text, source: encounter.source, codings };
}

export function buildTriageObservations(ctx: PatientContext, options: TriageInputOptions = {}): TriageObservations {
  const windowHours = options.windowHours ?? DEFAULT_WINDOW_HOURS;
  if (!(windowHours > 0)) throw new RangeError(`windowHours must be positive, got ${windowHours}`);
  const referenceTimeMs = Date.parse(ctx.referenceTime);
  const windowStart = referenceTimeMs - windowHours * 3_600_000;

  const vitals = Object.fromEntries(
    VITAL_PARAMETERS.map((p) => [p, windowed(ctx.vitals[p].map((r) => quantityEvidence(p, r)), windowStart)]),
  ) as Record<VitalParameter, ParameterSeries<QuantityEvidence>>;
  const consciousness = windowed(ctx.consciousness.map(consciousnessEvidence), windowStart);
  // Same rule as the PatientContext builder: nothing after the reference time (beyond clock skew).
  const painOrdered = [...(options.painScores ?? [])]
    .filter((p) => p.effectiveTime <= referenceTimeMs + CLOCK_SKEW_TOLERANCE_MS)
    .sort((a, b) => a.effectiveTime - b.effectiveTime);
  const pain = windowed(painOrdered, windowStart);

  const missing: TriageParameter[] = [];
  const excluded: Partial<Record<VitalParameter, ExcludedVital[]>> = {};
  for (const p of VITAL_PARAMETERS) {
    if (vitals[p].latest) continue;
    missing.push(p);
    const inWindow = ctx.exclusions
      .flatMap((e) => (e.reading?.quantity === p && e.reading.effectiveTime >= windowStart && e.reading.effectiveTime <= referenceTimeMs + CLOCK_SKEW_TOLERANCE_MS ? [{ ...e.reading, reason: e.reason }] : []))
      .sort((a, b) => a.effectiveTime - b.effectiveTime);
    if (inWindow.length > 0) excluded[p] = inWindow;
  }
  if (!consciousness.latest) missing.push('consciousness');
  if (!pain.latest) missing.push('painScore');

  return {
    referenceTime: ctx.referenceTime,
    referenceTimeMs,
    windowHours,
    vitals,
    consciousness,
    pain,
    supplementalOxygen: supplementalOxygenFrom(vitals.inspiredOxygenFraction.latest, vitals.oxygenFlowRate.latest),
    hypercapnicRespiratoryFailure: hypercapnicRespiratoryFailureFrom(ctx),
    patient: {
      source: ctx.patient?.source ?? null,
      age: ctx.patient?.age ?? null,
      sex: ctx.patient?.sex ?? 'unknown',
      pregnancy: ctx.pregnancy.status,
      ...(ctx.patient?.deceased.status === 'deceased' && { recordedDeceased: { dateTime: ctx.patient.deceased.dateTime } }),
    },
    ...complaintFields(chiefComplaintFrom(ctx)),
    missing,
    excluded,
  };
}

function complaintFields(c: ChiefComplaint | ChiefComplaintNotRead | null): Pick<TriageObservations, 'chiefComplaint' | 'chiefComplaintNotRead'> {
  if (c === null || 'text' in c) return { chiefComplaint: c };
  return { chiefComplaint: null, chiefComplaintNotRead: c };
}

/**
 * The most recent assessment of mental status, AVPU or GCS, for scores that ask "alert or not".
 * When both were taken at the same time and disagree, the altered one is returned (the safer
 * reading).
 */
export type MentalStatus =
  | { status: 'alert' | 'altered'; evidence: ConsciousnessEvidence | QuantityEvidence; detail: string }
  | { status: 'unknown'; evidence: null; detail: string };

export function latestMentalStatus(obs: TriageObservations): MentalStatus {
  const avpu = obs.consciousness.latest;
  const gcs = obs.vitals.gcs.latest;
  const judge = (e: ConsciousnessEvidence | QuantityEvidence): MentalStatus => {
    if (e.kind === 'consciousness') {
      return e.value === 'A'
        ? { status: 'alert', evidence: e, detail: 'AVPU: alert' }
        : { status: 'altered', evidence: e, detail: `ACVPU: ${AVPU_WORDS[e.value]}` };
    }
    // GCS 15 = eyes open spontaneously, oriented, obeys commands (Teasdale & Jennett, Lancet 1974).
    // "< 15" is certain unless a comparator leaves it open.
    const below15 = isBelow(e, GCS_FULL, 1);
    if (below15 === null) return { status: 'unknown', evidence: null, detail: `GCS ${e.comparator} ${e.value} does not say whether it is 15` };
    return below15
      ? { status: 'altered', evidence: e, detail: `GCS ${e.comparator ?? ''}${e.value} (< 15)` }
      : { status: 'alert', evidence: e, detail: 'GCS 15' };
  };
  const candidates = [avpu, gcs].filter((e): e is ConsciousnessEvidence | QuantityEvidence => e !== null);
  if (candidates.length === 0) return { status: 'unknown', evidence: null, detail: 'no AVPU or GCS recorded in the window' };
  const newestTime = Math.max(...candidates.map((e) => e.effectiveTime));
  const judged = candidates.filter((e) => e.effectiveTime === newestTime).map(judge);
  return judged.find((j) => j.status === 'altered') ?? judged.find((j) => j.status === 'alert') ?? (judged[0] as MentalStatus);
}

export const AVPU_WORDS: Readonly<Record<ConsciousnessEvidence['value'], string>> = {
  A: 'alert',
  C: 'new confusion',
  V: 'responds to voice',
  P: 'responds to pain',
  U: 'unresponsive',
};
