/**
 * Shared state of one build: the reference time, the value sets, the exclusion list and a
 * reference resolver. Each concept module (patient.ts, observations.ts ...) reads resources
 * through this so that every module reports exclusions the same way.
 */
import type { ChoiceTime, JsonObject } from './fhir-json.js';
import type { ExcludedReading, Exclusion, ExclusionReason } from './types.js';
import type { ValueSetIndex } from './value-sets.js';

/**
 * Data stamped up to 5 minutes after the reference time are still read: device and EHR clocks
 * drift by seconds to minutes. Engineering tolerance, not a clinical threshold.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60 * 1000;

export interface BuildEnv {
  /** Epoch ms of the reference time. */
  readonly referenceTime: number;
  readonly valueSets: ValueSetIndex;
  exclude(source: string, reason: ExclusionReason, detail?: string, reading?: ExcludedReading): void;
  /** Resolves a reference against contained resources of `from`, then the whole input. */
  resolve(reference: string, from?: JsonObject): JsonObject | undefined;
  /**
   * A reference as `Type/id` when it names a resource of the input by its Bundle fullUrl
   * (`urn:uuid:…` in transaction Bundles), so the same record reads the same whether the EHR
   * prefetched a Bundle or a FHIR server rewrote the references on storing it.
   */
  canonicalReference(reference: string): string;
  readonly exclusions: Exclusion[];
}

/** True when `time` lies after the reference time (beyond clock-skew tolerance). */
export function isAfterReference(env: BuildEnv, time: number): boolean {
  return time > env.referenceTime + CLOCK_SKEW_TOLERANCE_MS;
}

/**
 * Checks a clinically relevant time. Returns false (and records the exclusion) when the time is
 * unparseable or after the reference time.
 */
export function acceptTime(env: BuildEnv, source: string, what: string, t: ChoiceTime | 'invalid' | undefined): t is ChoiceTime {
  if (t === undefined) return false;
  if (t === 'invalid') {
    env.exclude(source, 'invalid-time', `${what} is not a valid FHIR dateTime`);
    return false;
  }
  if (isAfterReference(env, t.time)) {
    env.exclude(source, 'after-reference-time', `${what} ${t.raw} is after the reference time`);
    return false;
  }
  return true;
}
