import type { Exclusion, ExclusionReason, QuantityKey } from '../fhir/context/types.js';
import { QUANTITIES, displayQuantity } from '../fhir/context/units.js';
import { escapeInline } from './markdown.js';

/**
 * The patient's values behind a card: what was measured, when, and what it contributed. Every
 * field is computed from the record; a missing value is shown as missing. On the card's detail
 * units are shown as a clinician writes them (displayUnit: mmHg, °C, mL/min/1.73 m²); the card's
 * FHIR resources and extensions keep UCUM.
 */
export interface EvidenceRow {
  label: string;
  /** Shown as is; undefined renders as "not recorded". */
  value?: number | string;
  /** UCUM code of the value's unit. */
  unit?: string;
  /** ISO date-time of the reading. */
  time?: string;
  /** What the value contributed (points, "≥ 140", "met"). */
  contribution?: string;
  /** FHIR reference of the reading, for the clinician who wants the source. */
  source?: string;
  /** The value and unit as recorded, when Cairn converted the value to `unit` (recordedIfConverted). */
  recorded?: RecordedValue;
}

/** A value as the record gave it, before Cairn's unit conversion: `unit` is its UCUM code, or its unit text. */
export interface RecordedValue {
  value: number;
  unit: string;
}

/**
 * The value as recorded, when converting it to the canonical unit changed the number (103 °F
 * read as 39.44 °C; HbA1c 54 mmol/mol as 7.09%): a card then shows both, so the clinician sees
 * the figure that was charted. Undefined when the number was used as recorded.
 */
export function recordedIfConverted(r: {
  value: number;
  original: { value: number; unit: string | null; code: string | null };
}): RecordedValue | undefined {
  const unit = r.original.code ?? r.original.unit;
  if (!unit || Math.abs(r.original.value - r.value) <= 1e-9 * Math.max(1, Math.abs(r.value))) return undefined;
  return { value: r.original.value, unit };
}

/**
 * One reading as a card's detail writes it: "Systolic blood pressure 88 mmHg", the unit as a
 * clinician writes it, record text escaped; "not recorded" when there is no value. A converted
 * value is shown to three significant figures beside the value as recorded: "Temperature 39.4 °C
 * (recorded 103 °F)".
 */
export function readingText(r: Pick<EvidenceRow, 'label' | 'value' | 'unit' | 'recorded'>): string {
  if (r.value === undefined) return `${escapeInline(r.label)} not recorded`;
  if (r.recorded && typeof r.value === 'number') {
    const converted = displayQuantity(String(Number(r.value.toPrecision(3))), r.unit);
    return `${escapeInline(r.label)} ${escapeInline(converted)} (recorded ${escapeInline(displayQuantity(formatValue(r.recorded.value), r.recorded.unit))})`;
  }
  return `${escapeInline(r.label)} ${escapeInline(displayQuantity(formatValue(r.value), r.unit))}`;
}

export function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  // Values come from UCUM conversion; show what a clinician would write, not float noise.
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
}

/**
 * "2026-11-24 08:00 UTC": unambiguous for a reader in any time zone. A date without a time
 * ("2026-11-24", "2014-03") is shown as recorded: it has no time to convert.
 */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (!/T\d/.test(iso) || !Number.isFinite(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const EXCLUDED_BECAUSE: Readonly<Partial<Record<ExclusionReason, string>>> = {
  'implausible-value': 'implausible',
  'unknown-unit': 'unit not understood',
  'non-numeric-value': 'not a number',
  'missing-value': 'no value',
  'malformed-resource': 'malformed',
};

/** Why a recorded reading was not used, in a clinician's words ("implausible", "unit not understood"). */
export function exclusionReasonWords(reason: ExclusionReason): string {
  return EXCLUDED_BECAUSE[reason] ?? 'not usable';
}

/** Readings named one by one in an exclusion note; the rest are counted. */
const NAMED_EXCLUSIONS = 3;

/**
 * The recorded readings of these quantities that Cairn could not use, newest first, as one plain
 * sentence ("Recorded but not used: Systolic blood pressure 400 mmHg on 2026-08-15 (implausible)"),
 * or undefined when there is none. So a finding resting on fewer readings than were charted says
 * which were left out and why, instead of leaving the clinician to wonder.
 */
export function excludedReadingsNote(exclusions: readonly Exclusion[], quantities: readonly QuantityKey[]): string | undefined {
  const wanted = new Set(quantities);
  const excluded = exclusions
    .filter((e): e is Exclusion & { reading: NonNullable<Exclusion['reading']> } => e.reading !== undefined && wanted.has(e.reading.quantity))
    .sort((a, b) => b.reading.effectiveTime - a.reading.effectiveTime);
  if (excluded.length === 0) return undefined;
  const named = excluded.slice(0, NAMED_EXCLUSIONS).map(({ reading, reason }) => {
    const value = reading.value !== undefined ? ` ${displayQuantity(formatValue(reading.value), reading.unit)}` : '';
    return `${QUANTITIES[reading.quantity].label}${value} on ${formatTime(reading.effective)} (${exclusionReasonWords(reason)})`;
  });
  const more = excluded.length > NAMED_EXCLUSIONS ? `, and ${excluded.length - NAMED_EXCLUSIONS} more` : '';
  return `recorded but not used: ${named.join('; ')}${more}`;
}
