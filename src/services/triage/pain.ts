/**
 * Adapter: pain scores from the raw FHIR input. PatientContext keeps no pain series (a pain
 * Observation is counted in `stats.observationsNotMapped`), and ESI decision point B needs the
 * patient's self-reported pain, so this reads it beside the builder, with the builder's rules:
 * usable statuses only, effective[x] (else `issued`), nothing after the reference time, the same
 * patient only, and a value that is a number on the 0-10 scale. What is skipped is reported, not
 * silently dropped.
 *
 * Code: LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating [Score] - Reported", the code of
 * the numeric rating scale the ESI handbook refers to ("a pain rating of 7/10 or greater").
 */
import { CLOCK_SKEW_TOLERANCE_MS } from '../../fhir/context/index.js';
import type { Exclusion } from '../../fhir/context/index.js';
// Internal helpers of the PatientContext module, reused so Bundles are flattened and times parsed
// exactly as the builder does (the module is not modified).
import { collectResources } from '../../fhir/context/collect.js';
import { SYSTEM, arr, canonicalSystem, choiceTime, parseReference, plainTime, prop, str, text } from '../../fhir/context/fhir-json.js';
import type { QuantityEvidence } from './types.js';
import { PARAMETER_LABELS } from './types.js';

export const PAIN_SCORE_LOINC = '72514-3';
const USABLE_STATUSES: ReadonlySet<string> = new Set(['final', 'amended', 'corrected', 'preliminary']);
/** Units that mean "a score" on a 0-10 scale; anything else is not trusted to be the NRS. */
const SCORE_UNITS: ReadonlySet<string> = new Set(['{score}', '1', 'score', '{scale}', '/10', '{#}']);

export interface PainScoreReadout {
  readings: QuantityEvidence[];
  skipped: Array<{ source: string; reason: string }>;
}

export interface PainScoreOptions {
  referenceTime: Date;
  /** Only Observations about this patient are read (when their subject says). */
  patientId?: string | null;
}

function isPainScoreCode(code: unknown): boolean {
  return arr(code, 'coding').some((c) => {
    const system = text(c, 'system');
    return system !== undefined && canonicalSystem(system) === SYSTEM.loinc && text(c, 'code') === PAIN_SCORE_LOINC;
  });
}

export function painScoresFromResources(resources: readonly unknown[], options: PainScoreOptions): PainScoreReadout {
  const readings: QuantityEvidence[] = [];
  const skipped: PainScoreReadout['skipped'] = [];
  const collectExclusions: Exclusion[] = [];
  const reference = options.referenceTime.getTime();
  let items: ReturnType<typeof collectResources>;
  try {
    items = collectResources([...resources], collectExclusions);
  } catch (err) {
    return { readings, skipped: [{ source: 'input', reason: `could not read the input: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  for (const item of items) {
    if (item.resourceType !== 'Observation') continue;
    const r = item.resource;
    if (!isPainScoreCode(prop(r, 'code'))) continue;
    const skip = (reason: string): void => {
      skipped.push({ source: item.source, reason });
    };
    const subject = text(prop(r, 'subject'), 'reference');
    if (options.patientId && subject) {
      const parsed = parseReference(subject);
      if (parsed && ((parsed.type !== undefined && parsed.type !== 'Patient') || parsed.id !== options.patientId)) {
        skip(`about another subject (${subject})`);
        continue;
      }
    }
    const status = str(r, 'status');
    if (!status || !USABLE_STATUSES.has(status)) {
      skip(`status ${status ?? 'missing'}`);
      continue;
    }
    let when = choiceTime(r, 'effective');
    const notes: string[] = [];
    if (when === undefined) {
      when = plainTime(r, 'issued');
      if (when !== undefined && when !== 'invalid') notes.push('no effective time recorded; time is when the result was issued');
    }
    if (when === undefined || when === 'invalid') {
      skip(when === 'invalid' ? 'invalid time' : 'no effective time or issued');
      continue;
    }
    if (when.time > reference + CLOCK_SKEW_TOLERANCE_MS) {
      skip(`taken ${when.raw}, after the reference time`);
      continue;
    }
    let value: number | undefined;
    const vq = prop(r, 'valueQuantity');
    const vi = prop(r, 'valueInteger');
    if (vq !== undefined) {
      const v = prop(vq, 'value');
      const unit = str(vq, 'code') ?? str(vq, 'unit');
      if (unit !== undefined && !SCORE_UNITS.has(unit.trim())) {
        skip(`unit ${JSON.stringify(unit)} is not a 0-10 score`);
        continue;
      }
      if (prop(vq, 'comparator') !== undefined) {
        skip('a pain score with a comparator is not a rating');
        continue;
      }
      if (typeof v === 'number') value = v;
    } else if (typeof vi === 'number') {
      value = vi;
    }
    if (value === undefined || !Number.isFinite(value)) {
      skip('no numeric value');
      continue;
    }
    if (value < 0 || value > 10) {
      skip(`${value} is outside the 0-10 scale`);
      continue;
    }
    const e: QuantityEvidence = {
      kind: 'quantity',
      parameter: 'painScore',
      label: PARAMETER_LABELS.painScore,
      value,
      unit: '{score}',
      effective: when.raw,
      effectiveTime: when.time,
      source: item.source,
      code: PAIN_SCORE_LOINC,
    };
    if (notes.length > 0) e.notes = notes;
    readings.push(e);
  }
  // Oldest first, like PatientContext series; stable for equal times.
  readings.sort((a, b) => a.effectiveTime - b.effectiveTime);
  return { readings, skipped };
}
