/**
 * Quantity-aware matching: "BMI 36.4" should find the passage that says "BMI from 35.0 up to
 * 39.9", and "eGFR 38" the table row "G3b | 30 to 44". Neither full-text search (36.4 is no word
 * of the passage) nor the sentence encoder compares numbers, yet findings and records are mostly
 * numbers. So the retriever reads, from the query, the measured values it names (analyte, value,
 * unit), and from each candidate passage, the ranges it states for an analyte ("≥126 mg/dL",
 * "under 0.3 mL/kg/h", "between 120 and 129"); a passage whose range contains the value ranks as a
 * match.
 *
 * It is a ranking signal only: nothing here is shown to a clinician, and what a card quotes is
 * still the passage's own text. The analytes are general clinical measurements (the ones Cairn's
 * findings and the ESI/NEWS2 vital signs use), named as records and guidelines write them (their
 * `guidelines` names in src/text/analytes.ts, the list trial matching shares); the range phrases
 * are ordinary English ways of stating a range. Nothing is tuned to a query set.
 *
 * Units: when both the query value and the range state a unit, they must be the same unit (after
 * spelling normalisation), else the range does not match: 7.0 mmol/L is not inside "126 mg/dL or
 * higher". No conversion is attempted: a missed match only costs ranking.
 */
import { LRUCache } from 'lru-cache';
import { ANALYTES } from '../text/analytes.js';

/** The analytes guideline ranges are read for, each by the key it is reported under and its name pattern. */
const RANGE_ANALYTES = ANALYTES.flatMap(({ id, guidelines }) =>
  guidelines ? [{ analyte: guidelines.key ?? id, pattern: new RegExp(guidelines.names.source, `${guidelines.names.flags}g`), plausible: guidelines.plausible }] : [],
);

/** Plausible values per analyte: what falls outside is a number that is not this measurement. */
const PLAUSIBLE = new Map(RANGE_ANALYTES.map((a) => [a.analyte, a.plausible]));

function plausibleRange(analyte: string): readonly [number, number] {
  const range = PLAUSIBLE.get(analyte);
  if (!range) throw new Error(`analytes.ts has no guideline names for '${analyte}'`);
  return range;
}

const NUM = String.raw`\d+(?:\.\d+)?`;
const UNIT = String.raw`%|mg\/dL|mmol\/L|mmol\/mol|mm ?Hg|kg\/m²|kg\/m2|mL\/min(?:\/1\.73 ?m²| per 1\.73 ?m²)?|mL\/kg\/h(?:our)?|mg\/g|mg\/mmol|breaths?\/min|beats?\/min|\/min|°C|°F|mcg\/kg\/min|µmol\/L|times(?: baseline)?|years?|months?|weeks?|days?|hours?`;
/** A number with an optional unit and an optional parenthetical alternative ("126 mg/dL (7.0 mmol/L)"). */
const VALUE = String.raw`(${NUM})(?:\s*(${UNIT}))?(?:\s*\([^)]{0,40}\))?`;
const VALUE_B = String.raw`(${NUM})(?:\s*(${UNIT}))?`;

interface RangePhrase {
  pattern: RegExp;
  build(m: RegExpExecArray): Omit<StatedRange, 'analyte'> | undefined;
}

const range = (low: number, high: number, unit: string | undefined, lowInclusive = true, highInclusive = true): Omit<StatedRange, 'analyte'> => ({
  low,
  high,
  lowInclusive,
  highInclusive,
  ...(unit !== undefined && { unit: normaliseUnit(unit) }),
});

/** Ordinary English range phrases, most specific first; each match consumes its text. */
const PHRASES: readonly RangePhrase[] = [
  {
    // "between 120 and 129", "from 35.0 up to 39.9", "30 to 44", "45–59", "100-125 mg/dL"
    pattern: new RegExp(String.raw`(?:between\s+|from\s+)?(${NUM})(?:\s*(${UNIT}))?\s*(?:and|(?:up\s+)?to|–|-)\s*${VALUE_B}`, 'gi'),
    build: (m) => {
      const low = Number(m[1]);
      const high = Number(m[3]);
      return high > low ? range(low, high, m[4] ?? m[2]) : undefined;
    },
  },
  {
    // "126 mg/dL (7.0 mmol/L) or higher", "90 or more", "7/10 or greater", "65 and over"
    pattern: new RegExp(String.raw`${VALUE}(?:\/10)?\s*(?:or\s+(?:more|higher|greater|above|over|older)|and\s+(?:over|above|older))`, 'gi'),
    build: (m) => range(Number(m[1]), Infinity, m[2]),
  },
  {
    // "less than 0.5", "under 80", "below 15", "< 90"
    pattern: new RegExp(String.raw`(?:less\s+than|under|below|<)\s*${VALUE}`, 'gi'),
    build: (m) => range(-Infinity, Number(m[1]), m[2], true, false),
  },
  {
    // "at most 140", "≤ 92", "up to 6"
    pattern: new RegExp(String.raw`(?:at\s+most|no\s+more\s+than|≤|<=)\s*${VALUE}`, 'gi'),
    build: (m) => range(-Infinity, Number(m[1]), m[2]),
  },
  {
    // "at least 3 times baseline", "≥ 30", ">= 6.5%"
    pattern: new RegExp(String.raw`(?:at\s+least|no\s+less\s+than|≥|>=)\s*${VALUE}`, 'gi'),
    build: (m) => range(Number(m[1]), Infinity, m[2]),
  },
  {
    // "above 180", "over 100", "more than 20", "> 38"
    pattern: new RegExp(String.raw`(?:above|over|more\s+than|greater\s+than|exceeding|>)\s*${VALUE}`, 'gi'),
    build: (m) => range(Number(m[1]), Infinity, m[2], false, true),
  },
  {
    // "4.0 mg/dL or less", "92% or lower"
    pattern: new RegExp(String.raw`${VALUE}\s*or\s+(?:less|lower|below)`, 'gi'),
    build: (m) => range(-Infinity, Number(m[1]), m[2]),
  },
];

export interface StatedRange {
  /** The analyte's key: `guidelines.key` in analytes.ts, else its id. */
  analyte: string;
  low: number;
  high: number;
  lowInclusive: boolean;
  highInclusive: boolean;
  unit?: string;
}

export interface MeasuredValue {
  /** The analyte's key: `guidelines.key` in analytes.ts, else its id. */
  analyte: string;
  value: number;
  unit?: string;
}

function normaliseUnit(unit: string): string {
  const u = unit.toLowerCase().replace(/\s+/g, '');
  if (u === 'kg/m2') return 'kg/m²';
  if (u.startsWith('ml/min')) return 'ml/min/1.73m²';
  if (u.startsWith('ml/kg/h')) return 'ml/kg/h';
  if (u.startsWith('times')) return 'times';
  if (/^(breath|beat)s?\/min$/.test(u)) return '/min';
  if (/^years?$/.test(u)) return 'years';
  if (/^months?$/.test(u)) return 'months';
  if (/^days?$/.test(u)) return 'days';
  return u;
}

interface Mention {
  analyte: string;
  start: number;
  end: number;
}

function mentions(text: string): Mention[] {
  const found: Mention[] = [];
  for (const { analyte, pattern } of RANGE_ANALYTES) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) found.push({ analyte, start: m.index, end: m.index + m[0].length });
  }
  // "albumin/creatinine" names the ratio, not creatinine: a mention inside a longer one is dropped.
  const longest = found.filter((m) => !found.some((o) => o !== m && o.start <= m.start && o.end >= m.end && o.end - o.start > m.end - m.start));
  return longest.sort((a, b) => a.start - b.start);
}

/** Sentences and table rows: a range binds only to an analyte named in the same one. */
function clauses(text: string): Array<{ text: string; offset: number }> {
  const out: Array<{ text: string; offset: number }> = [];
  const re = /[^\n]+/g;
  for (let line = re.exec(text); line; line = re.exec(text)) {
    // Split a line at sentence ends, never inside a number ("6.5").
    const parts = line[0].split(/(?<=[.;!?])\s+(?=[A-Z(])/);
    let offset = line.index;
    for (const p of parts) {
      const at = text.indexOf(p, offset);
      out.push({ text: p, offset: at });
      offset = at + p.length;
    }
  }
  return out;
}

/** How far after an analyte's name a range may start and still be its range (characters). */
const BINDING_WINDOW = 60;

function rangesInClause(clause: string): StatedRange[] {
  const names = mentions(clause);
  if (names.length === 0) return [];
  const taken: Array<[number, number]> = [];
  const found: StatedRange[] = [];
  for (const phrase of PHRASES) {
    phrase.pattern.lastIndex = 0;
    for (let m = phrase.pattern.exec(clause); m; m = phrase.pattern.exec(clause)) {
      const start = m.index;
      const end = start + m[0].length;
      if (taken.some(([a, b]) => start < b && end > a)) continue;
      const owner = [...names].reverse().find((n) => n.end <= start + 1 && start - n.end <= BINDING_WINDOW);
      const r = owner && phrase.build(m);
      if (!owner || !r) continue;
      taken.push([start, end]);
      found.push({ analyte: owner.analyte, ...r });
    }
  }
  return found;
}

/** Markdown table: a column whose header names an analyte gives each of its cells' ranges to it. */
function rangesInTables(text: string): StatedRange[] {
  const found: StatedRange[] = [];
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = lines[i] as string;
    if (!header.trim().startsWith('|') || !/^\s*\|?\s*:?-{2,}/.test(lines[i + 1] as string)) continue;
    const columns = cells(header).map((h) => mentions(h)[0]?.analyte);
    for (let j = i + 2; j < lines.length && (lines[j] as string).trim().startsWith('|'); j++) {
      cells(lines[j] as string).forEach((cell, c) => {
        const analyte = columns[c];
        if (!analyte) return;
        for (const phrase of PHRASES) {
          phrase.pattern.lastIndex = 0;
          const m = phrase.pattern.exec(cell);
          const r = m && phrase.build(m);
          if (r) {
            found.push({ analyte, ...r });
            break;
          }
        }
      });
    }
  }
  return found;
}

function cells(row: string): string[] {
  return row.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
}

/**
 * Reading a passage's ranges costs about 0.1 ms; a hybrid query checks up to 80 candidates, so
 * each passage is read once per process and its ranges kept (keyed by the text itself: a changed
 * passage is a new key).
 */
const rangesByText = new LRUCache<string, StatedRange[]>({ max: 20_000 });

/** The ranges a passage states, each with the analyte it is stated for. */
export function statedRanges(text: string): StatedRange[] {
  let ranges = rangesByText.get(text);
  if (!ranges) {
    const prose = clauses(text)
      .filter((c) => !c.text.trim().startsWith('|'))
      .flatMap((c) => rangesInClause(c.text));
    ranges = [...prose, ...rangesInTables(text)];
    rangesByText.set(text, ranges);
  }
  return ranges;
}

const AGE_PHRASE = new RegExp(String.raw`\b(\d{1,3}(?:\.\d+)?)[- ]?(?:yo|y\/o|y\.o\.|(years?|yrs?|months?|mo|weeks?|wk|days?)[- ]old)\b`, 'gi');
const BP_PAIR = /(?<![\d/.])(\d{2,3})\s*\/\s*(\d{2,3})(?![\d/])/g;
/** The first number shortly after a name ("BMI 36.4", "A1c of 6.2%", "OGTT 2-hour value 214 mg/dL"), durations skipped. */
const NAMED_VALUE = new RegExp(String.raw`${VALUE_B}(?![-\s]?(?:h|hr|hours?|min|minutes?|days?|weeks?|months?|years?|yrs?)\b)`, 'gi');
const NAMED_VALUE_WINDOW = 30;

/** The measured values a query names. */
export function measuredValues(query: string): MeasuredValue[] {
  const out: MeasuredValue[] = [];
  const add = (analyte: string, value: number, unit?: string) => {
    const [lo, hi] = plausibleRange(analyte);
    if (!Number.isFinite(value) || value < lo || value > hi) return;
    out.push({ analyte, value, ...(unit !== undefined && { unit: normaliseUnit(unit) }) });
  };
  for (let m = BP_PAIR.exec(query); m; m = BP_PAIR.exec(query)) {
    const [s, d] = [Number(m[1]), Number(m[2])];
    // "pain 10/10" is no blood pressure; a pair is one when both parts are plausible and SBP > DBP.
    if (s > d && s >= plausibleRange('sbp')[0] && d >= plausibleRange('dbp')[0]) {
      add('sbp', s, 'mmHg');
      add('dbp', d, 'mmHg');
    }
  }
  BP_PAIR.lastIndex = 0;
  for (let m = AGE_PHRASE.exec(query); m; m = AGE_PHRASE.exec(query)) {
    const n = Number(m[1]);
    const unit = (m[2] ?? 'years').toLowerCase();
    const years = unit.startsWith('mo') ? n / 12 : unit.startsWith('w') ? n / 52 : unit.startsWith('d') ? n / 365 : n;
    add('age', years, 'years');
  }
  AGE_PHRASE.lastIndex = 0;
  const names = mentions(query);
  for (const name of names) {
    if (name.analyte === 'age') continue;
    const next = names.find((o) => o.start >= name.end);
    const window = query.slice(name.end, Math.min(name.end + NAMED_VALUE_WINDOW, next?.start ?? Infinity));
    NAMED_VALUE.lastIndex = 0;
    const m = NAMED_VALUE.exec(window);
    if (!m) continue;
    // "pain 7/10": the score is the numerator; a pair after a BP name was read above.
    const after = window.slice(m.index + m[0].length);
    if (/^\s*\/\s*\d/.test(after) && name.analyte !== 'pain') continue;
    add(name.analyte, Number(m[1]), m[2]);
  }
  return out;
}

function inRange(r: StatedRange, v: MeasuredValue): boolean {
  if (r.analyte !== v.analyte) return false;
  if (r.unit !== undefined && v.unit !== undefined && r.unit !== v.unit) return false;
  const aboveLow = r.lowInclusive ? v.value >= r.low : v.value > r.low;
  const belowHigh = r.highInclusive ? v.value <= r.high : v.value < r.high;
  return aboveLow && belowHigh;
}

/** Age ranges are stated in years, months or days; the query's age is in years. */
function inYears(r: StatedRange): StatedRange {
  if (r.analyte !== 'age' || r.unit === undefined || r.unit === 'years') return { ...r, ...(r.analyte === 'age' && { unit: 'years' }) };
  const f = r.unit === 'months' ? 1 / 12 : r.unit === 'days' ? 1 / 365 : 1;
  return { ...r, low: r.low * f, high: r.high * f, unit: 'years' };
}

/** How many of the query's values fall inside a range the passage states for the same analyte. */
export function quantityMatches(values: readonly MeasuredValue[], passage: string): number {
  if (values.length === 0) return 0;
  const ranges = statedRanges(passage).map(inYears);
  return values.filter((v) => ranges.some((r) => inRange(r, v))).length;
}

/** Of the query's values, how many the passage states ranges for without any containing the value. */
export function quantityConflicts(values: readonly MeasuredValue[], passage: string): number {
  if (values.length === 0) return 0;
  const ranges = statedRanges(passage).map(inYears);
  return values.filter((v) => {
    const mine = ranges.filter((r) => r.analyte === v.analyte && (r.unit === undefined || v.unit === undefined || r.unit === v.unit));
    return mine.length > 0 && !mine.some((r) => inRange(r, v));
  }).length;
}
