/**
 * Read helpers for rules. Series are oldest-first; these helpers never invent a value: an empty
 * series gives `undefined`, which a rule must treat as "not known".
 */
import type { ConditionEntry, LabKey, PatientContext, QuantityKey, Reading, VitalKey } from './types.js';
import { LAB_KEYS, VITAL_KEYS } from './types.js';

export function isVitalKey(key: QuantityKey): key is VitalKey {
  return (VITAL_KEYS as readonly string[]).includes(key);
}

export function isLabKey(key: QuantityKey): key is LabKey {
  return (LAB_KEYS as readonly string[]).includes(key);
}

/** All readings of one quantity, oldest first (an empty array when none is usable). */
export function series(ctx: PatientContext, key: QuantityKey): readonly Reading[] {
  return isVitalKey(key) ? ctx.vitals[key] : ctx.labs[key as LabKey];
}

/** The most recent reading; ties in time resolve to the one later in the input. */
export function latest(readings: readonly Reading[]): Reading | undefined {
  return readings[readings.length - 1];
}

/** The most recent reading taken at or before `time` (epoch ms or Date). */
export function latestAtOrBefore(readings: readonly Reading[], time: number | Date): Reading | undefined {
  const t = typeof time === 'number' ? time : time.getTime();
  for (let i = readings.length - 1; i >= 0; i--) {
    const r = readings[i] as Reading;
    if (r.effectiveTime <= t) return r;
  }
  return undefined;
}

/** Readings with from <= effectiveTime <= to (epoch ms or Date), oldest first. */
export function readingsBetween(readings: readonly Reading[], from: number | Date, to: number | Date): Reading[] {
  const f = typeof from === 'number' ? from : from.getTime();
  const t = typeof to === 'number' ? to : to.getTime();
  return readings.filter((r) => r.effectiveTime >= f && r.effectiveTime <= t);
}

/**
 * Conditions whose codes are in a Cairn value set (e.g. `cairn-hypertension`).
 * By default only conditions active at the reference time and not tentative.
 */
export function conditionsIn(
  ctx: PatientContext,
  valueSetId: string,
  options: { includeInactive?: boolean; includeTentative?: boolean } = {},
): ConditionEntry[] {
  return ctx.conditions.filter(
    (c) =>
      c.valueSets.includes(valueSetId) &&
      (options.includeInactive || c.activeAtReference === 'yes') &&
      (options.includeTentative || !c.tentative),
  );
}
