/**
 * Observations → numeric readings (vitals, labs), AVPU readings and pregnancy-status answers.
 *
 * Which code means which quantity comes from the value sets (fhir-profiles/valuesets), never from
 * this file. Per Observation:
 *  1. find the bindings of its code (and of its components' codes); unmapped → counted, ignored;
 *  2. status: final / amended / corrected / preliminary are used; entered-in-error, cancelled,
 *     registered, unknown or missing are excluded;
 *  3. time: effective[x], else `issued` (flagged); none / invalid / after the reference time → excluded;
 *  4. value: valueQuantity converted to the canonical unit (units.ts), then checked against the
 *     plausibility bounds (plausibility.ts). Missing, non-numeric, unknown-unit and implausible
 *     values are excluded with the reason.
 * Components (BP panel, pulse-oximetry O2 components) are read with the same rules; a component
 * reading keeps the panel's reference as its source.
 */
import type { BuildEnv } from './env.js';
import { acceptTime } from './env.js';
import type { JsonObject } from './fhir-json.js';
import {
  SYSTEM,
  arr,
  canonicalSystem,
  choiceTime,
  codeKey,
  describe,
  isObject,
  objects,
  plainTime,
  prop,
  referenceString,
  str,
  text,
  toCodingSummary,
} from './fhir-json.js';
import type { SourceItem } from './collect.js';
import { implausibility } from './plausibility.js';
import { QUANTITIES, convertToCanonical } from './units.js';
import type { ObservationBinding, QuestionKey } from './value-sets.js';
import type {
  ConsciousnessLevel,
  ConsciousnessReading,
  ExclusionReason,
  PregnancyStatusValue,
  QuantityKey,
  Reading,
  UsableObservationStatus,
} from './types.js';

export interface PregnancyObservation {
  source: string;
  value: PregnancyStatusValue;
  date: string;
  time: number;
}

export interface ObservationSink {
  reading(r: Reading): void;
  consciousness(r: ConsciousnessReading): void;
  pregnancy(p: PregnancyObservation): void;
  notMapped(): void;
}

const USABLE_STATUSES: ReadonlySet<string> = new Set(['final', 'amended', 'corrected', 'preliminary']);
const COMPARATORS: ReadonlySet<string> = new Set(['<', '<=', '>=', '>']);

function bindingsOf(concept: unknown, env: BuildEnv): ObservationBinding[] {
  const found: ObservationBinding[] = [];
  for (const coding of arr(concept, 'coding')) {
    const system = text(coding, 'system');
    const code = text(coding, 'code');
    if (!system || !code) continue;
    const b = env.valueSets.observationBindings.get(codeKey(system, code));
    if (b) found.push(b);
  }
  return found;
}

function bindingTarget(b: ObservationBinding): string {
  return b.kind === 'quantity' ? b.quantity : b.kind === 'question' ? b.question : 'panel';
}

/** One binding per element, or undefined; two different targets on one element is ambiguous. */
function singleBinding(bindings: ObservationBinding[], env: BuildEnv, source: string, what: string): ObservationBinding | undefined | 'ambiguous' {
  const first = bindings[0];
  if (!first) return undefined;
  const targets = new Set(bindings.map(bindingTarget));
  if (targets.size > 1) {
    env.exclude(source, 'ambiguous-code', `${what} has codings for different quantities: ${[...targets].join(', ')}`);
    return 'ambiguous';
  }
  return first;
}

function loincOf(concept: unknown): string {
  for (const c of arr(concept, 'coding')) {
    const system = text(c, 'system');
    if (system && canonicalSystem(system) === SYSTEM.loinc && text(c, 'code')) return text(c, 'code') as string;
  }
  return text(arr(concept, 'coding')[0], 'code') ?? '(no code)';
}

export function readObservation(item: SourceItem, env: BuildEnv, sink: ObservationSink): void {
  const r = item.resource;
  const code = prop(r, 'code');
  const own = singleBinding(bindingsOf(code, env), env, item.source, 'code');
  if (own === 'ambiguous') return;
  const components = objects(r, 'component');
  const componentBindings = components.map((c) => bindingsOf(prop(c, 'code'), env));
  const anyComponentMapped = componentBindings.some((b) => b.some((x) => x.kind === 'quantity'));
  if (!own && !anyComponentMapped) {
    sink.notMapped();
    return;
  }

  // Status (required in R4).
  const status = str(r, 'status');
  if (status === 'entered-in-error') {
    env.exclude(item.source, 'entered-in-error', describeTarget(own, code));
    return;
  }
  if (!status || !USABLE_STATUSES.has(status)) {
    env.exclude(item.source, 'status-not-usable', `status ${status ? JSON.stringify(status) : 'missing'} (${describeTarget(own, code)})`);
    return;
  }

  // Time: effective[x]; `issued` only as a fallback, flagged on the reading.
  let when = choiceTime(r, 'effective');
  let timeSource: Reading['timeSource'] = 'effective';
  if (when === undefined) {
    when = plainTime(r, 'issued');
    timeSource = 'issued';
  }
  if (when === undefined) {
    env.exclude(item.source, 'missing-time', `no effective[x] or issued (${describeTarget(own, code)})`);
    return;
  }
  if (!acceptTime(env, item.source, timeSource === 'issued' ? 'issued' : 'effective time', when)) return;

  const common = {
    effective: when.raw,
    effectiveTime: when.time,
    timeSource,
    source: item.source,
    status: status as UsableObservationStatus,
    encounter: mapDefined(referenceString(r, 'encounter'), (ref) => env.canonicalReference(ref)),
  };

  if (own?.kind === 'question') {
    readAnswer(r, own.question, item.source, common, env, sink);
    return;
  }

  let produced = false;
  if (own?.kind === 'quantity') {
    const hasValue = Object.keys(r).some((k) => k.startsWith('value'));
    // A quantity code with only components (rare) falls through to the components.
    if (hasValue || components.length === 0 || !anyComponentMapped) {
      readValue(r, own.quantity, loincOf(code), undefined, common, env, sink, 'value');
      produced = true;
    }
  }
  components.forEach((component, i) => {
    const b = singleBinding(componentBindings[i] ?? [], env, item.source, `component[${i}].code`);
    if (!b || b === 'ambiguous' || b.kind !== 'quantity') return;
    readValue(component, b.quantity, loincOf(prop(component, 'code')), loincOf(code), common, env, sink, `component ${loincOf(prop(component, 'code'))}`);
    produced = true;
  });
  if (!produced && own?.kind === 'panel') {
    const dar = text(prop(r, 'dataAbsentReason'), 'text') ?? firstCodeOf(prop(r, 'dataAbsentReason'));
    env.exclude(item.source, 'missing-value', `panel ${loincOf(code)} has no usable components${dar ? ` (dataAbsentReason: ${dar})` : ''}`);
  }
}

function describeTarget(b: ObservationBinding | undefined, code: unknown): string {
  return b ? `${bindingTarget(b)} ${loincOf(code)}` : `panel components of ${loincOf(code)}`;
}

function firstCodeOf(concept: unknown): string | undefined {
  return text(arr(concept, 'coding')[0], 'code');
}

type Common = Omit<Reading, 'quantity' | 'value' | 'unit' | 'original' | 'code' | 'panelCode' | 'notes' | 'comparator' | 'encounter'> & {
  encounter: string | undefined;
};

function readValue(
  element: JsonObject,
  quantity: QuantityKey,
  code: string,
  panelCode: string | undefined,
  common: Common,
  env: BuildEnv,
  sink: ObservationSink,
  where: string,
): void {
  const label = `${quantity} (${where === 'value' ? code : where})`;
  // A dated reading of a known quantity that cannot be used: excluded with what it measured.
  const excludeReading = (reason: ExclusionReason, detail: string, value?: number, unit?: { unit?: string; code?: string }) => {
    const unitAsRecorded = unit?.code ?? unit?.unit;
    env.exclude(common.source, reason, detail, {
      quantity,
      effective: common.effective,
      effectiveTime: common.effectiveTime,
      ...(value !== undefined && { value }),
      ...(unitAsRecorded !== undefined && { unit: unitAsRecorded }),
    });
  };
  const def = QUANTITIES[quantity];
  let raw: number;
  let recordedUnit: { unit?: string; code?: string; system?: string } = {};
  let comparator: Reading['comparator'];
  const vq = prop(element, 'valueQuantity');
  const vi = prop(element, 'valueInteger');
  if (vq !== undefined) {
    if (!isObject(vq)) {
      excludeReading('malformed-resource', `${label}: valueQuantity is not an object`);
      return;
    }
    const v = prop(vq, 'value');
    if (v === undefined) {
      excludeReading('missing-value', `${label}: valueQuantity has no value`);
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      excludeReading('non-numeric-value', `${label}: valueQuantity.value ${describe(v)}`);
      return;
    }
    raw = v;
    const cmp = prop(vq, 'comparator');
    if (cmp !== undefined) {
      if (typeof cmp !== 'string' || !COMPARATORS.has(cmp)) {
        excludeReading('non-numeric-value', `${label}: unknown comparator ${describe(cmp)}`);
        return;
      }
      comparator = cmp as Reading['comparator'];
    }
    recordedUnit = { unit: str(vq, 'unit'), code: str(vq, 'code'), system: str(vq, 'system') };
  } else if (vi !== undefined) {
    if (typeof vi !== 'number' || !Number.isInteger(vi)) {
      excludeReading('non-numeric-value', `${label}: valueInteger ${describe(vi)}`);
      return;
    }
    if (!def.unitlessAllowed) {
      excludeReading('unknown-unit', `${label}: valueInteger carries no unit`, vi);
      return;
    }
    raw = vi;
  } else {
    const valueKey = Object.keys(element).find((k) => k.startsWith('value'));
    if (valueKey) {
      excludeReading('non-numeric-value', `${label}: ${valueKey} ${describe(element[valueKey])}`);
    } else {
      const dar = prop(element, 'dataAbsentReason');
      const darText = dar === undefined ? undefined : (firstCodeOf(dar) ?? text(dar, 'text') ?? 'recorded');
      excludeReading('missing-value', `${label}: no value${darText ? ` (dataAbsentReason: ${darText})` : ''}`);
    }
    return;
  }

  const converted = convertToCanonical(quantity, raw, recordedUnit);
  if (!converted.ok) {
    excludeReading('unknown-unit', `${label}: ${converted.detail}`, raw, recordedUnit);
    return;
  }
  const problem = implausibility(quantity, converted.value, converted.unit);
  if (problem) {
    const originalUnit = recordedUnit.unit ?? recordedUnit.code ?? '';
    excludeReading('implausible-value', `${label}: ${problem}${originalUnit && originalUnit !== converted.unit ? ` (recorded ${raw} ${originalUnit})` : ''}`, raw, recordedUnit);
    return;
  }
  const reading: Reading = {
    quantity,
    value: converted.value,
    unit: converted.unit,
    original: {
      value: raw,
      unit: recordedUnit.unit?.trim() || null,
      code: recordedUnit.code?.trim() || null,
      system: recordedUnit.system?.trim() || null,
    },
    effective: common.effective,
    effectiveTime: common.effectiveTime,
    timeSource: common.timeSource,
    source: common.source,
    code,
    status: common.status,
  };
  if (comparator) reading.comparator = comparator;
  if (panelCode) reading.panelCode = panelCode;
  if (common.encounter) reading.encounter = common.encounter;
  const notes = [...converted.notes];
  if (common.timeSource === 'issued') notes.push('no effective time recorded; time is when the result was issued');
  if (notes.length > 0) reading.notes = notes;
  sink.reading(reading);
}

function readAnswer(
  r: JsonObject,
  question: QuestionKey,
  source: string,
  common: Common,
  env: BuildEnv,
  sink: ObservationSink,
): void {
  const concept = prop(r, 'valueCodeableConcept');
  if (concept === undefined) {
    const valueKey = Object.keys(r).find((k) => k.startsWith('value'));
    env.exclude(source, valueKey ? 'non-numeric-value' : 'missing-value', `${question}: ${valueKey ? `${valueKey} is not a coded answer` : 'no value'}`);
    return;
  }
  for (const coding of arr(concept, 'coding')) {
    const summary = toCodingSummary(coding);
    if (!summary) continue;
    const meaning = env.valueSets.answerFor(question, summary.system, summary.code);
    if (meaning === undefined) continue;
    if (question === 'consciousness') {
      sink.consciousness({
        level: meaning as ConsciousnessLevel,
        coding: summary,
        effective: common.effective,
        effectiveTime: common.effectiveTime,
        source,
        status: common.status,
      });
    } else {
      sink.pregnancy({ source, value: meaning as PregnancyStatusValue, date: common.effective, time: common.effectiveTime });
    }
    return;
  }
  const codes = arr(concept, 'coding')
    .map((c) => `${text(c, 'system') ?? '?'}|${text(c, 'code') ?? '?'}`)
    .join(', ');
  env.exclude(source, 'unknown-answer-code', `${question}: answer ${codes || describe(text(concept, 'text') ?? concept)} is not in the Cairn value set`);
}

function mapDefined<T, U>(value: T | undefined, fn: (v: T) => U): U | undefined {
  return value === undefined ? undefined : fn(value);
}
