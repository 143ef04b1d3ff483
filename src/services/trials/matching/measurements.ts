/**
 * Numeric statements about measured analytes, in criteria ("creatinine ≤ 1.5 mg/dL", "platelets at
 * least 100,000/mm^3", "HbA1c between 7% and 10%", "BP < 160/90") and in notes ("creatinine of
 * 2.3", "BP 160/95", "EF was 25%"). One parser for both, so a criterion and a note sentence that
 * say the same thing read the same.
 *
 * Values of analytes that have a PatientContext series are converted to that series' canonical
 * UCUM unit with the same tables as the PatientContext builder (units.ts `convertToCanonical`,
 * `normaliseUnit`). A value written without a unit is read in the canonical unit when that is
 * physiologically plausible (plausibility.ts), otherwise in the conventional alternative (cell
 * counts per µL, temperatures in °F); never guessed beyond that.
 */
import { implausibility } from '../../../fhir/context/plausibility.js';
import type { QuantityKey } from '../../../fhir/context/types.js';
import { convertToCanonical, normaliseUnit, QUANTITIES } from '../../../fhir/context/units.js';
import { analyteMentions } from './lexicon.js';
import type { Analyte } from '../../../text/analytes.js';
import { asciiFold } from '../../../text/tokens.js';

export type Comparator = '<' | '<=' | '>' | '>=' | '=' | 'between';

export interface MeasurementStatement {
  analyteId: string;
  label: string;
  quantity?: QuantityKey;
  comparator: Comparator;
  /** The value, or the lower bound of `between`. For blood pressure, the systolic value. */
  value: number;
  /** Upper bound of `between`; for blood pressure, the diastolic value. */
  value2?: number;
  /** Unit as written, null when none. */
  unit: string | null;
  /** Converted to the PatientContext canonical unit, when the analyte has a series and the unit converts. */
  canonical?: { value: number; value2?: number; unit: string; assumedUnit?: boolean };
  /** "≤ 2.5 × ULN": the value is a multiple of the upper (or lower) limit of normal. */
  relative?: 'ULN' | 'LLN';
  /** The words the statement was read from. */
  text: string;
  start: number;
  end: number;
}

const NUMBER = String.raw`(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)`;

/** Comparator phrases before a value, longest first. */
const PRE_COMPARATORS: ReadonlyArray<readonly [RegExp, Comparator]> = [
  [/^(?:>=|=>|greater than or equal to|more than or equal to|equal to or greater than|equal or greater than|at least|no less than|not less than|a minimum of|minimum of|minimum|min\.?|of at least|>\s*or\s*=)(?![a-z])/, '>='],
  [/^(?:<=|=<|less than or equal to|equal to or less than|equal or less than|no more than|not more than|no greater than|not greater than|not exceeding|not to exceed|up to|at most|a maximum of|maximum of|maximum|max\.?|<\s*or\s*=)(?![a-z])/, '<='],
  [/^(?:>|greater than|more than|higher than|above|over|exceeding|exceeds?|in excess of|elevated above|of more than)(?![a-z])/, '>'],
  [/^(?:<|less than|lower than|below|under|fewer than|of less than)(?![a-z])/, '<'],
  [/^(?:between|from|of|range|ranging from|within the range of|in the range of)(?![a-z])/, 'between'],
  [/^(?:=|:|is|was|of|at|measured at|level of|value of|equal to|equals|reading of)(?![a-z])/, '='],
];

/** Comparator phrases after a value ("1.5 mg/dL or greater"). */
const POST_COMPARATORS: ReadonlyArray<readonly [RegExp, Comparator]> = [
  [/^\s*(?:or|and)\s+(?:greater|more|higher|above|over|older)\b/, '>='],
  [/^\s*(?:or|and)\s+(?:less|lower|fewer|below|under|younger)\b/, '<='],
];

/** One word or sign allowed between an analyte's name and its comparator or value. */
const FILLER =
  /^(?:\s+|[,()\-:]|(?:levels?|values?|counts?|concentrations?|measurements?|results?|readings?|serum|plasma|blood|total|absolute|must|should|be|is|was|were|are|has|had|have|of|the|a|an|at|screening|baseline|on|admission|initially|initial|rate|ratio|reading|level|percent|fraction|measured|found|noted|elevated|low|high|raised|decreased|increased)\b|\(?[a-z][a-z0-9]{1,5}\)?(?=\s*(?:[<>=]|\d)))/;

const UNIT = String.raw`(?:[x×*]\s*10\s*(?:\^|\*|e)?\s*\(?\d+\)?\s*(?:\/\s*(?:l|ul|mm\s*\^?\s*3|mm3|nl)|cells\/l)?|%|mm\s*(?:of\s*)?hg|(?:cells|k|thou)?\s*\/\s*(?:mm\s*\^?\s*3|cu\s*mm|ul|ml|l|hpf)|[a-z]+(?:\s*\/\s*(?:\d+(?:\.\d+)?\s*m\s*\^?\s*2|[a-z]+\d*))*(?:\s*\/\s*1\.73\s*m\s*\^?\s*2)?)`;

const VALUE_AT_START = new RegExp(String.raw`^\s*${NUMBER}\s*(%)?\s*(?:(-|to|and|–)\s*${NUMBER}\s*)?(${UNIT})?`, 'i');
const BP_AT_START = new RegExp(String.raw`^\s*(\d{2,3})\s*\/\s*(\d{2,3})\s*(mm\s*(?:of\s*)?hg)?`, 'i');
const RELATIVE = /^\s*(?:x|×|times|fold)?\s*(?:the\s+)?(?:institutional\s+|local\s+|laboratory\s+)?(?:upper limit of (?:the )?normal|uln|upper normal limit|normal upper limit|lower limit of (?:the )?normal|lln)/i;

function toNumber(s: string): number {
  return Number(s.replace(/,/g, ''));
}

/** Words that follow a number but are not a unit (the unit regex would otherwise take them). */
const NOT_UNITS = new Set(['or', 'and', 'to', 'in', 'on', 'at', 'for', 'with', 'within', 'times', 'x', 'the', 'of', 'if', 'years', 'year', 'months', 'month', 'weeks', 'week', 'days', 'day', 'hours', 'hour', 'prior', 'after', 'before', 'is', 'was', 'but', 'as', 'are', 'were']);

function cleanUnit(raw: string | undefined): string | null {
  if (!raw) return null;
  const unit = raw.trim().replace(/\s+/g, ' ');
  if (!unit || NOT_UNITS.has(unit.toLowerCase())) return null;
  return unit;
}

/** UCUM-ish spelling of a unit as criteria write it: "/mm^3" → "/mm3", "x 10^9/L" → "10*9/L", "mm of Hg" → "mmHg". */
function ucumish(unit: string): string {
  return unit
    .replace(/\s+/g, '')
    .replace(/^[x×*]10(?:\^|\*|e)?\(?(\d+)\)?/i, '10*$1')
    .replace(/mm\^?3/gi, 'mm3')
    .replace(/cumm/gi, 'mm3')
    .replace(/mmofhg/gi, 'mmHg')
    .replace(/^cells\//i, '/')
    .replace(/^(?:k|thou)\//i, '10*3/')
    .replace(/1\.73m\^?2/gi, '{1.73_m2}');
}

/** The alternatives tried, in order, for a value written without a unit. */
const UNITLESS_ALTERNATIVES: Partial<Record<QuantityKey, readonly string[]>> = {
  wbc: ['/uL'],
  platelets: ['/uL'],
  temperature: ['[degF]'],
  haemoglobin: ['g/L'],
};

function canonicalise(
  quantity: QuantityKey,
  value: number,
  unit: string | null,
): { value: number; unit: string; assumedUnit?: boolean; factor: (v: number) => number } | undefined {
  if (unit) {
    // "85K" platelets: thousands per microlitre, the way counts are reported.
    const written = /^(?:k|thou)$/i.test(unit.trim()) && (quantity === 'wbc' || quantity === 'platelets') ? '10*3/uL' : ucumish(unit);
    const r = convertToCanonical(quantity, value, { unit: normaliseUnit(quantity, written) });
    if (!r.ok) return undefined;
    const a = convertToCanonical(quantity, 1, { unit: normaliseUnit(quantity, written) });
    const b = convertToCanonical(quantity, 2, { unit: normaliseUnit(quantity, written) });
    const slope = a.ok && b.ok ? b.value - a.value : 1;
    const offset = a.ok ? a.value - slope : 0;
    return { value: r.value, unit: r.unit, factor: (v) => Number((slope * v + offset).toPrecision(12)) };
  }
  const canonicalUnit = QUANTITIES[quantity].canonicalUnit;
  if (implausibility(quantity, value, canonicalUnit) === undefined) {
    return { value, unit: canonicalUnit, assumedUnit: true, factor: (v) => v };
  }
  for (const alternative of UNITLESS_ALTERNATIVES[quantity] ?? []) {
    const r = convertToCanonical(quantity, value, { unit: alternative });
    if (r.ok && implausibility(quantity, r.value, r.unit) === undefined) {
      const a = convertToCanonical(quantity, 1, { unit: alternative });
      const b = convertToCanonical(quantity, 2, { unit: alternative });
      const slope = a.ok && b.ok ? b.value - a.value : 1;
      const offset = a.ok ? a.value - slope : 0;
      return { value: r.value, unit: r.unit, assumedUnit: true, factor: (v) => Number((slope * v + offset).toPrecision(12)) };
    }
  }
  return undefined;
}

function matchComparator(list: ReadonlyArray<readonly [RegExp, Comparator]>, text: string): { comparator: Comparator; length: number } | undefined {
  for (const [re, comparator] of list) {
    const m = re.exec(text);
    if (m) return { comparator, length: m[0].length };
  }
  return undefined;
}

/**
 * Reads the statement that follows an analyte's name. `rest` starts right after the name.
 * Returns undefined when no number follows closely (the name was mentioned without a value).
 */
function readStatement(analyte: Analyte, rest: string, defaultComparator: Comparator): Omit<MeasurementStatement, 'text' | 'start'> & { length: number } | undefined {
  let pos = 0;
  let comparator: Comparator | undefined;
  // Comparator phrases and filler words, one at a time, up to a dozen ("level must be at least",
  // "of > or ="): a comparator is tried first, so "at least" is never eaten as filler.
  for (let step = 0; step < 12; step++) {
    const here = rest.slice(pos).toLowerCase();
    const c = matchComparator(PRE_COMPARATORS, here);
    if (c && c.length > 0) {
      // '=' words ("of", "was") do not override a real comparator read before them.
      if (!comparator || comparator === '=' || (comparator === 'between' && c.comparator !== '=')) comparator = c.comparator;
      pos += c.length;
      continue;
    }
    const filler = FILLER.exec(here);
    if (!filler || filler[0].length === 0) break;
    pos += filler[0].length;
  }
  if (pos > 40) return undefined;
  const tail = rest.slice(pos);
  if (analyte.id === 'blood-pressure' || analyte.id === 'systolic-bp') {
    const bp = BP_AT_START.exec(tail);
    if (bp) {
      const unit = bp[3] ? 'mm[Hg]' : null;
      return {
        analyteId: 'blood-pressure',
        label: 'Blood pressure',
        comparator: comparator === 'between' || comparator === undefined ? defaultComparator : comparator,
        value: Number(bp[1]),
        value2: Number(bp[2]),
        unit,
        canonical: { value: Number(bp[1]), value2: Number(bp[2]), unit: 'mm[Hg]', ...(unit ? {} : { assumedUnit: true }) },
        end: pos + bp[0].length,
        length: pos + bp[0].length,
      };
    }
  }
  const v = VALUE_AT_START.exec(tail);
  if (!v) return undefined;
  const first = toNumber(v[1] as string);
  const second = v[4] !== undefined ? toNumber(v[4]) : undefined;
  let unit = cleanUnit(v[5]) ?? (v[2] ? '%' : null);
  let length = pos + v[0].length;
  if (cleanUnit(v[5]) === null && v[5]) length -= v[5].length;
  let relative: MeasurementStatement['relative'];
  const rel = RELATIVE.exec(rest.slice(length));
  if (rel) {
    relative = /lower|lln/i.test(rel[0]) ? 'LLN' : 'ULN';
    length += rel[0].length;
    unit = null;
  } else if (unit && /^(?:x|times)$/i.test(unit)) {
    unit = null;
  }
  const post = matchComparator(POST_COMPARATORS, rest.slice(length).toLowerCase());
  if (post) {
    comparator = post.comparator;
    length += post.length;
  }
  let comp: Comparator = comparator ?? defaultComparator;
  const value = first;
  let value2: number | undefined;
  if (second !== undefined && (comp === 'between' || comp === '=' || comparator === undefined) && second > first) {
    comp = 'between';
    value2 = second;
  } else if (comp === 'between') {
    comp = defaultComparator;
  }
  if (comp === 'between' && value2 === undefined) comp = defaultComparator;
  const statement: Omit<MeasurementStatement, 'text' | 'start'> & { length: number } = {
    analyteId: analyte.id,
    label: analyte.label,
    ...(analyte.quantity !== undefined && { quantity: analyte.quantity }),
    comparator: comp,
    value,
    ...(value2 !== undefined && { value2 }),
    unit,
    ...(relative !== undefined && { relative }),
    end: length,
    length,
  };
  if (analyte.quantity && !relative) {
    const c = canonicalise(analyte.quantity, value, unit);
    if (c) {
      statement.canonical = {
        value: c.value,
        unit: c.unit,
        ...(value2 !== undefined && { value2: c.factor(value2) }),
        ...(c.assumedUnit && { assumedUnit: true }),
      };
    }
  }
  return statement;
}

/**
 * Every analyte statement in the text. `defaultComparator` is what a bare value means: '=' in a
 * note ("creatinine 2.3"), '=' in a criterion too (a criterion's bare value is read as stated,
 * and judged as unknown unless a comparator was found).
 */
export function extractMeasurements(text: string, defaultComparator: Comparator = '='): MeasurementStatement[] {
  const folded = asciiFold(text);
  const out: MeasurementStatement[] = [];
  let consumed = 0;
  for (const m of analyteMentions(folded)) {
    if (m.start < consumed) continue;
    const rest = folded.slice(m.end);
    const s = readStatement(m.analyte, rest, defaultComparator);
    if (!s) continue;
    const { length, ...statement } = s;
    const end = m.end + length;
    out.push({ ...statement, text: folded.slice(m.start, end).trim(), start: m.start, end });
    consumed = end;
  }
  return out;
}

/** True when `value` satisfies `comparator` against the statement's bound(s). */
export function compare(value: number, comparator: Comparator, bound: number, upper?: number): boolean {
  switch (comparator) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '=':
      return value === bound;
    case 'between':
      return value >= bound && value <= (upper ?? bound);
  }
}
