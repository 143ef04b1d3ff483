/**
 * How values from the API are written on screen: times in the user's locale, numbers rounded for
 * reading (the exact value stays in a tooltip), UCUM units as clinicians write them. Formatting
 * only: nothing here adds or changes a clinical fact.
 */
import { CATEGORY_LABEL } from './workspace/criteria';

const dateTime = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** A FHIR date or dateTime; anything else (a range the API wrote out, "2026-08-14 – 2026-12-06") as it is. */
export function formatWhen(value: string | null | undefined): string {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return dateOnly.format(new Date(`${value}T00:00:00`));
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return value;
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : dateTime.format(t);
}

export function formatTime(value: string): string {
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : timeOnly.format(t);
}

/** Rounded for reading: whole numbers from 1000, one decimal from 10, two below. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const digits = Math.abs(value) >= 1000 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return String(Number(value.toFixed(digits)));
}

/** UCUM codes as written on a chart; the series' own display units are learnt at run time (learnUnits). */
const UNITS = new Map<string, string>([
  ['mm[Hg]', 'mmHg'],
  ['Cel', '°C'],
  ['[degF]', '°F'],
  ['mL/min/{1.73_m2}', 'mL/min/1.73 m²'],
  ['kg/m2', 'kg/m²'],
  ['umol/L', 'µmol/L'],
  ['d', 'days'],
  ['h', 'hours'],
  ['{score}', ''],
]);

/** Adds the API's own UCUM → display pairs (each series carries both). */
export function learnUnits(pairs: Iterable<{ unit: string; displayUnit: string }>): void {
  for (const { unit, displayUnit } of pairs) UNITS.set(unit, displayUnit);
}

export function formatUnit(unit: string | null | undefined): string {
  if (!unit) return '';
  return UNITS.get(unit) ?? unit;
}

/** A value with its unit: "146 mmHg", "88 %", "C" (a consciousness level has no unit). */
export function formatValue(value: number | string, unit?: string | null, comparator?: string): string {
  const shown = typeof value === 'number' ? formatNumber(value) : value;
  const u = formatUnit(unit);
  const spaced = u === '' ? '' : u === '%' || u.startsWith('/') ? u : ` ${u}`;
  return `${comparator ?? ''}${shown}${spaced}`;
}

/** What a converted value was recorded as: " (recorded 103 °F)", or nothing when Cairn used the value as recorded. */
export function asRecorded(recorded: { value: number; unit: string } | undefined): string {
  return recorded ? ` (recorded ${formatValue(recorded.value, recorded.unit)})` : '';
}

/** `Observation/1f2e…` shortened for a table cell (the full reference in a tooltip). */
export function shortReference(reference: string): string {
  const [type, id = ''] = reference.split('/');
  return id.length > 12 ? `${type}/${id.slice(0, 8)}…` : reference;
}

/** A parameter key of the API (`inspiredOxygenFraction`) as words ("inspired oxygen fraction"); abbreviations kept. */
const ABBREVIATIONS: Readonly<Record<string, string>> = { gcs: 'GCS', spo2: 'SpO2', hba1c: 'HbA1c', egfr: 'eGFR', uacr: 'UACR' };
export function keyWords(key: string): string {
  return ABBREVIATIONS[key] ?? key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/**
 * A trial's ranking category as a coordinator reads it, in the workspace's words. "eligible" only
 * means that nothing on the record rules the patient out: criteria may still be unknown, and
 * eligibility is the coordinator's to confirm, so the screens say "may be eligible", as the card
 * says "may fit".
 */
export function trialCategoryLabel(category: 'eligible' | 'excluded' | 'irrelevant'): string {
  return CATEGORY_LABEL[category].toLowerCase();
}
