/**
 * Small helpers the criteria share: time arithmetic, comparator-aware threshold tests, age at a
 * past time, pregnancy intervals, and evidence rows. An adapter over PatientContext (which gives
 * the age only at the reference time and pregnancy only as a current status); it reads the
 * context, never raw FHIR, and never invents a value.
 */
import { recordedIfConverted } from '../../../cards/evidence.js';
import type { ConditionEntry, PatientContext, Reading } from '../../../fhir/context/index.js';
import { PREGNANCY_EVIDENCE_MAX_AGE_MS } from '../../../fhir/context/index.js';
import type { EvidenceRow } from '../finding.js';
import { dayOf } from '../finding.js';

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

export function referenceTimeOf(ctx: PatientContext): number {
  return Date.parse(ctx.referenceTime);
}

/** Whole days between two instants (fractional days kept: 89.9 days is not 90). */
export function daysBetween(earlier: number, later: number): number {
  return (later - earlier) / DAY_MS;
}

/**
 * Threshold tests that respect a comparator. A reading `>60` is not "60": it is some value above
 * 60. Each test answers `true`, `false`, or `undefined` when the comparator leaves it open
 * (e.g. `>6.0` against "at least 6.5").
 */
export function isAtLeast(r: Reading, threshold: number): boolean | undefined {
  switch (r.comparator) {
    case undefined:
      return r.value >= threshold;
    case '>':
      return r.value >= threshold ? true : undefined;
    case '>=':
      return r.value >= threshold ? true : undefined;
    case '<':
      return r.value <= threshold ? false : undefined;
    case '<=':
      return r.value < threshold ? false : undefined;
  }
}

export function isBelow(r: Reading, threshold: number): boolean | undefined {
  const atLeast = isAtLeast(r, threshold);
  return atLeast === undefined ? undefined : !atLeast;
}

export function isAtMost(r: Reading, threshold: number): boolean | undefined {
  switch (r.comparator) {
    case undefined:
      return r.value <= threshold;
    case '<':
    case '<=':
      return r.value <= threshold ? true : undefined;
    case '>':
      return r.value >= threshold ? false : undefined;
    case '>=':
      return r.value > threshold ? false : undefined;
  }
}

/** The value as recorded with its comparator, for evidence rows: `>60` stays visible. */
export function readingValue(r: Reading): number | string {
  return r.comparator ? `${r.comparator}${r.value}` : r.value;
}

export function readingRow(r: Reading, label: string, note?: string): EvidenceRow {
  const row: EvidenceRow = { kind: 'reading', label, value: readingValue(r), unit: r.unit, date: r.effective, source: r.source };
  if (note !== undefined) row.note = note;
  const recorded = recordedIfConverted(r);
  if (recorded) row.recorded = recorded;
  return row;
}

export function computedRow(label: string, value: number | string, unit: string | null, date: string | null, note?: string): EvidenceRow {
  const row: EvidenceRow = { kind: 'computed', label, value, unit, date, source: null };
  if (note !== undefined) row.note = note;
  return row;
}

/** Calendar day of a reading as recorded (the local date of the clinic that took it). */
export function readingDay(r: Reading): string {
  return dayOf(r.effective);
}

// --- age at a given time ------------------------------------------------------------------------

/**
 * Bounds of the patient's completed years of age at `time`. A birthDate given only as a year or
 * year-month leaves a range: `lower` uses the latest possible birth date, `upper` the earliest.
 * Undefined when the birth date is unknown.
 */
export function ageYearsAt(ctx: PatientContext, time: number): { lower: number; upper: number } | undefined {
  const birthDate = ctx.patient?.birthDate;
  if (!birthDate) return undefined;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(birthDate);
  if (!m) return undefined;
  const year = Number(m[1]);
  const earliest = { y: year, m: m[2] ? Number(m[2]) : 1, d: m[3] ? Number(m[3]) : 1 };
  const latestMonth = m[2] ? Number(m[2]) : 12;
  const latestDay = m[3] ? Number(m[3]) : new Date(Date.UTC(year, latestMonth, 0)).getUTCDate();
  const latest = { y: year, m: latestMonth, d: latestDay };
  const at = new Date(time);
  const completed = (b: { y: number; m: number; d: number }): number => {
    let years = at.getUTCFullYear() - b.y;
    const beforeBirthday = at.getUTCMonth() + 1 < b.m || (at.getUTCMonth() + 1 === b.m && at.getUTCDate() < b.d);
    if (beforeBirthday) years -= 1;
    return years;
  };
  return { lower: completed(latest), upper: completed(earliest) };
}

/** True only when the patient was certainly at least `years` old at `time`. */
export function certainlyAtLeastAge(ctx: PatientContext, time: number, years: number): boolean {
  const age = ageYearsAt(ctx, time);
  return age !== undefined && age.lower >= years;
}

// --- pregnancy intervals ------------------------------------------------------------------------

export interface PregnancyInterval {
  source: string;
  start: number;
  end: number;
}

/**
 * Periods the record shows the patient pregnant, from pregnancy Conditions (cairn-pregnancy) with
 * an onset. A pregnancy without an abatement date is taken to last until the reference time if
 * still active, otherwise at most 42 weeks (post-term limit, ACOG Practice Bulletin 146, 2014; the
 * same bound PatientContext uses for pregnancy evidence).
 */
export function pregnancyIntervals(ctx: PatientContext): PregnancyInterval[] {
  const ref = referenceTimeOf(ctx);
  const out: PregnancyInterval[] = [];
  for (const c of ctx.conditions as readonly ConditionEntry[]) {
    if (!c.valueSets.includes('cairn-pregnancy') || c.onsetTime === null) continue;
    const end =
      c.abatementTime ?? (c.activeAtReference === 'yes' ? ref : Math.min(ref, c.onsetTime + PREGNANCY_EVIDENCE_MAX_AGE_MS));
    out.push({ source: c.source, start: c.onsetTime, end });
  }
  return out;
}

export function duringPregnancy(intervals: readonly PregnancyInterval[], time: number): PregnancyInterval | undefined {
  return intervals.find((p) => time >= p.start && time <= p.end);
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
