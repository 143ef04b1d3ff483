/**
 * Safe readers for untrusted FHIR JSON. The builder receives `unknown` (prefetch results straight
 * off the wire), so nothing here assumes a shape: every accessor checks types and returns
 * `undefined` / `[]` instead of throwing. Lookups use own properties only, so keys such as
 * `__proto__` or `constructor` in the input cannot reach Object.prototype.
 */
import type { CodeSystemName, CodedText, CodingSummary } from './types.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own-property read; never returns inherited members. */
export function prop(obj: unknown, key: string): unknown {
  if (!isObject(obj)) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

export function str(obj: unknown, key: string): string | undefined {
  const v = prop(obj, key);
  return typeof v === 'string' ? v : undefined;
}

/** Non-empty trimmed string or undefined. */
export function text(obj: unknown, key: string): string | undefined {
  const v = str(obj, key)?.trim();
  return v ? v : undefined;
}

export function num(obj: unknown, key: string): number | undefined {
  const v = prop(obj, key);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(obj: unknown, key: string): boolean | undefined {
  const v = prop(obj, key);
  return typeof v === 'boolean' ? v : undefined;
}

export function arr(obj: unknown, key: string): unknown[] {
  const v = prop(obj, key);
  return Array.isArray(v) ? v : [];
}

export function objects(obj: unknown, key: string): JsonObject[] {
  return arr(obj, key).filter(isObject);
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

export interface ParsedDateTime {
  /** Epoch ms (UTC) of the start of the stated instant or period (2020-05 → 2020-05-01T00:00Z). */
  time: number;
  precision: 'year' | 'month' | 'day' | 'time';
}

// FHIR R4 dateTime/instant grammar (https://hl7.org/fhir/R4/datatypes.html#dateTime). A time
// without a zone is not valid FHIR; it is accepted and read as UTC rather than as server-local time.
const FHIR_DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

// Parsing is pure, and a record repeats the same timestamps many times (every Observation of an
// encounter), so results are memoised. Bounded: cleared when full.
const parsedCache = new Map<string, ParsedDateTime | null>();
const MAX_PARSED_CACHE = 20_000;

/** Parses a FHIR date/dateTime/instant; returns undefined for anything not valid. */
export function parseFhirDateTime(value: unknown): ParsedDateTime | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  const cached = parsedCache.get(value);
  if (cached !== undefined) return cached ?? undefined;
  const parsed = parseUncached(value);
  if (parsedCache.size >= MAX_PARSED_CACHE) parsedCache.clear();
  parsedCache.set(value, parsed ?? null);
  return parsed;
}

function parseUncached(value: string): ParsedDateTime | undefined {
  const m = FHIR_DATE_TIME.exec(value.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = m[2] === undefined ? 1 : Number(m[2]);
  const day = m[3] === undefined ? 1 : Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  // Reject 2021-02-30 and the like (Date.UTC would silently roll them over).
  if (day > (DAYS_IN_MONTH[month - 1] as number) || (month === 2 && day === 29 && !isLeapYear(year))) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = m[7] === undefined ? 0 : Math.round(Number(`0${m[7]}`) * 1000);
  let time = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const offsetMinutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
    time -= sign * offsetMinutes * 60_000;
  }
  if (!Number.isFinite(time)) return undefined;
  const precision = m[4] !== undefined ? 'time' : m[3] !== undefined ? 'day' : m[2] !== undefined ? 'month' : 'year';
  return { time, precision };
}

/** A choice-type time (`effectiveDateTime`, `effectivePeriod`, `effectiveInstant` ...). */
export interface ChoiceTime {
  /** The string as recorded (a Period is rendered `start/end`). */
  raw: string;
  time: number;
}

/**
 * Reads `<prefix>DateTime`, `<prefix>Instant`, `<prefix>Period` (start, else end) or `<prefix>Date`.
 * Returns `invalid` when a value is present but unparseable, so the caller can report it.
 */
export function choiceTime(resource: unknown, prefix: string): ChoiceTime | 'invalid' | undefined {
  for (const suffix of ['DateTime', 'Instant', 'Date']) {
    const raw = prop(resource, prefix + suffix);
    if (raw === undefined) continue;
    const parsed = parseFhirDateTime(raw);
    return parsed && typeof raw === 'string' ? { raw, time: parsed.time } : 'invalid';
  }
  const period = prop(resource, `${prefix}Period`);
  if (period !== undefined) {
    const start = prop(period, 'start');
    const end = prop(period, 'end');
    const chosen = start ?? end;
    const parsed = parseFhirDateTime(chosen);
    return parsed && typeof chosen === 'string' ? { raw: chosen, time: parsed.time } : 'invalid';
  }
  return undefined;
}

/** A plain (non-choice) date/dateTime element such as `authoredOn` or `recordedDate`. */
export function plainTime(resource: unknown, element: string): ChoiceTime | 'invalid' | undefined {
  const raw = prop(resource, element);
  if (raw === undefined) return undefined;
  const parsed = parseFhirDateTime(raw);
  return parsed && typeof raw === 'string' ? { raw, time: parsed.time } : 'invalid';
}

// ---------------------------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------------------------

/** `Patient/123`, `https://x/fhir/Patient/123/_history/2` → `{type:'Patient', id:'123'}`; urn:uuid → id only. */
export function parseReference(ref: string): { type?: string; id: string } | undefined {
  const trimmed = ref.trim();
  if (!trimmed) return undefined;
  if (trimmed.startsWith('urn:uuid:') || trimmed.startsWith('urn:oid:')) {
    return { id: trimmed.slice(trimmed.indexOf(':', 4) + 1) };
  }
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(trimmed);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return { type: m[1], id: m[2] };
}

export function referenceString(obj: unknown, key: string): string | undefined {
  return text(prop(obj, key), 'reference');
}

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

export const SYSTEM = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  /** Still on older problem lists (US records before October 2015). */
  icd9cm: 'http://hl7.org/fhir/sid/icd-9-cm',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ucum: 'http://unitsofmeasure.org',
} as const;

// OIDs and common misspellings seen in real feeds, mapped to the canonical FHIR URI
// (HL7 terminology: https://terminology.hl7.org/external_terminologies.html).
const SYSTEM_ALIASES = new Map<string, string>([
  ['http://loinc.org', SYSTEM.loinc],
  ['https://loinc.org', SYSTEM.loinc],
  ['urn:oid:2.16.840.1.113883.6.1', SYSTEM.loinc],
  ['http://snomed.info/sct', SYSTEM.snomed],
  ['https://snomed.info/sct', SYSTEM.snomed],
  ['urn:oid:2.16.840.1.113883.6.96', SYSTEM.snomed],
  ['http://hl7.org/fhir/sid/icd-10-cm', SYSTEM.icd10cm],
  ['urn:oid:2.16.840.1.113883.6.90', SYSTEM.icd10cm],
  ['http://hl7.org/fhir/sid/icd-10', SYSTEM.icd10],
  ['urn:oid:2.16.840.1.113883.6.3', SYSTEM.icd10],
  ['http://hl7.org/fhir/sid/icd-9-cm', SYSTEM.icd9cm],
  ['http://hl7.org/fhir/sid/icd-9', SYSTEM.icd9cm],
  ['urn:oid:2.16.840.1.113883.6.103', SYSTEM.icd9cm],
  ['http://www.nlm.nih.gov/research/umls/rxnorm', SYSTEM.rxnorm],
  ['urn:oid:2.16.840.1.113883.6.88', SYSTEM.rxnorm],
]);

const SYSTEM_NAMES = new Map<string, CodeSystemName>([
  [SYSTEM.loinc, 'loinc'],
  [SYSTEM.snomed, 'snomed'],
  [SYSTEM.icd10cm, 'icd10cm'],
  [SYSTEM.icd10, 'icd10'],
  [SYSTEM.icd9cm, 'icd9cm'],
  [SYSTEM.rxnorm, 'rxnorm'],
]);

export function canonicalSystem(system: string): string {
  const trimmed = system.trim();
  return SYSTEM_ALIASES.get(trimmed) ?? SYSTEM_ALIASES.get(trimmed.replace(/\/$/, '')) ?? trimmed;
}

/** ICD-10 and ICD-9-CM codes are compared without the dot and in upper case (E11.9 = E119 = e11.9; 401.9 = 4019). */
export function normaliseCode(system: string, code: string): string {
  const trimmed = code.trim();
  if (system === SYSTEM.icd10cm || system === SYSTEM.icd10 || system === SYSTEM.icd9cm) return trimmed.replace(/\./g, '').toUpperCase();
  return trimmed;
}

/** Key used by every code lookup: `<canonical system>|<normalised code>`. */
export function codeKey(system: string, code: string): string {
  const sys = canonicalSystem(system);
  return `${sys}|${normaliseCode(sys, code)}`;
}

export function toCodingSummary(coding: unknown): CodingSummary | undefined {
  const system = text(coding, 'system');
  const code = text(coding, 'code');
  if (!system || !code) return undefined;
  const sys = canonicalSystem(system);
  const display = text(coding, 'display');
  return { system: sys, systemName: SYSTEM_NAMES.get(sys) ?? 'other', code, ...(display ? { display } : {}) };
}

export function codedText(concept: unknown): CodedText | undefined {
  if (!isObject(concept)) return undefined;
  const codings = arr(concept, 'coding')
    .map(toCodingSummary)
    .filter((c): c is CodingSummary => c !== undefined);
  const label = text(concept, 'text') ?? null;
  if (codings.length === 0 && label === null) return undefined;
  return { codings, text: label };
}

/** First code of `concept` in `system` (after alias mapping). */
export function firstCode(concept: unknown, system: string): string | undefined {
  for (const c of arr(concept, 'coding')) {
    const sys = text(c, 'system');
    const code = text(c, 'code');
    if (sys && code && canonicalSystem(sys) === system) return code;
  }
  return undefined;
}

/** A label for a resource in exclusions and provenance: `Type/id`, else `Type (input[3])`. */
export function sourceLabel(resourceType: string, id: string | undefined, fallback: string): string {
  return id ? `${resourceType}/${id}` : `${resourceType} (${fallback}, no id)`;
}

/** Short, safe rendering of an untrusted value for an exclusion detail. */
export function describe(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    s = Object.prototype.toString.call(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
