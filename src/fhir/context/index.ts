/**
 * PatientContext: FHIR R4 resources → a typed, unit-normalised picture of one patient at a
 * reference time. See build.ts for the contract and types.ts for the shape.
 */
export { buildPatientContext } from './build.js';
export type { BuildPatientContextInput } from './build.js';
export { conditionsIn, isLabKey, isVitalKey, latest, latestAtOrBefore, readingsBetween, series } from './series.js';
export {
  ValueSetLoadError,
  defaultValueSetIndex,
  loadValueSets,
  shippedValueSetDirectory,
  valueSetIndexFromResources,
} from './value-sets.js';
export type { LoadedValueSet, ObservationBinding, ValueSetIndex } from './value-sets.js';
export { QUANTITIES, convertToCanonical, normaliseUnit } from './units.js';
export type { ConversionResult, QuantityDefinition, RecordedUnit } from './units.js';
export { PLAUSIBLE_RANGES, implausibility } from './plausibility.js';
export type { PlausibleRange } from './plausibility.js';
export { PREGNANCY_EVIDENCE_MAX_AGE_MS } from './pregnancy.js';
export { CLOCK_SKEW_TOLERANCE_MS } from './env.js';
export * from './types.js';
