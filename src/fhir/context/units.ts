/**
 * One canonical unit per quantity, and conversion of recorded units into it.
 *
 * Pipeline for a recorded value: (1) pick the unit string (the UCUM `code`, else the `unit`
 * text), (2) map known non-UCUM spellings to UCUM ('mmHg' → 'mm[Hg]', 'K/uL' → '10*3/uL'),
 * (3) for quantities with an allow-list, require the unit to be in it, (4) let UCUM
 * (@lhncbc/ucum-lhc) convert, passing the molar mass / charge of the analyte when the
 * conversion crosses mass and substance amount. Anything unresolved is an `unknown-unit`
 * exclusion, never a guess.
 *
 * Every conversion used here is affine (y = a·x + b), so the (quantity, unit) → (a, b) pair is
 * computed once with UCUM and cached: per-reading cost is one Map lookup.
 *
 * Why allow-lists for dimensionless quantities (SpO2, FiO2, HbA1c, GCS, UACR): UCUM treats every
 * dimensionless unit as commensurable, so it would happily turn '{score}' into '%' or HbA1c
 * '%' into 'mmol/mol' by a factor of 10 — numerically valid, clinically wrong.
 */
import ucum from '@lhncbc/ucum-lhc';
import type { UcumLhcUtilsInstance } from '@lhncbc/ucum-lhc';
import type { QuantityKey } from './types.js';

export interface QuantityDefinition {
  readonly key: QuantityKey;
  /** Name a clinician would use. */
  readonly label: string;
  readonly group: 'vital' | 'lab';
  /** UCUM code every reading of this quantity is converted to. */
  readonly canonicalUnit: string;
  /** When set, only these (normalised) units are accepted. */
  readonly acceptedUnits?: readonly string[];
  /** g/mol, for mass ↔ substance-amount conversion. */
  readonly molecularWeight?: number;
  /** Ion charge, for mEq ↔ mmol. */
  readonly charge?: number;
  /** Scores may legitimately carry no unit. */
  readonly unitlessAllowed?: boolean;
  /** Spellings that only make sense for this quantity (e.g. 'F' is Farad in UCUM, °F for a temperature). */
  readonly synonyms?: ReadonlyArray<readonly [string, string]>;
  /** Units read as another unit, with a note kept on the reading. */
  readonly interpretations?: ReadonlyArray<readonly [string, { unit: string; note: string }]>;
  /** Conversions UCUM must not do (non-proportional scales): normalised unit → y = a·x + b. */
  readonly special?: ReadonlyArray<readonly [string, { a: number; b: number; note?: string }]>;
}

/** Quantity table. Conversion constants cite their source. */
export const QUANTITIES: Readonly<Record<QuantityKey, QuantityDefinition>> = {
  // --- vital signs -----------------------------------------------------------------------------
  systolicBP: { key: 'systolicBP', label: 'Systolic blood pressure', group: 'vital', canonicalUnit: 'mm[Hg]' },
  diastolicBP: { key: 'diastolicBP', label: 'Diastolic blood pressure', group: 'vital', canonicalUnit: 'mm[Hg]' },
  heartRate: { key: 'heartRate', label: 'Heart rate', group: 'vital', canonicalUnit: '/min' },
  respiratoryRate: {
    key: 'respiratoryRate',
    label: 'Respiratory rate',
    group: 'vital',
    canonicalUnit: '/min',
    synonyms: [['rpm', '/min']],
  },
  temperature: {
    key: 'temperature',
    label: 'Body temperature',
    group: 'vital',
    canonicalUnit: 'Cel',
    // Bare 'C' is Coulomb and 'F' Farad in UCUM; as a temperature unit they can only mean degrees.
    synonyms: [
      ['c', 'Cel'],
      ['f', '[degF]'],
    ],
  },
  spo2: {
    key: 'spo2',
    label: 'Oxygen saturation',
    group: 'vital',
    canonicalUnit: '%',
    // A saturation written as a fraction (0.97, UCUM '1') is 97 % by UCUM, as FiO2 below.
    acceptedUnits: ['%', '1'],
  },
  bodyWeight: { key: 'bodyWeight', label: 'Body weight', group: 'vital', canonicalUnit: 'kg' },
  bodyHeight: { key: 'bodyHeight', label: 'Body height', group: 'vital', canonicalUnit: 'cm' },
  bmi: { key: 'bmi', label: 'Body mass index', group: 'vital', canonicalUnit: 'kg/m2' },
  gcs: {
    key: 'gcs',
    label: 'Glasgow Coma Scale total',
    group: 'vital',
    canonicalUnit: '{score}',
    acceptedUnits: ['{score}', '1'],
    unitlessAllowed: true,
  },
  inspiredOxygenFraction: {
    key: 'inspiredOxygenFraction',
    label: 'Inspired oxygen concentration (FiO2)',
    group: 'vital',
    canonicalUnit: '%',
    // A fraction (0.21–1.0, UCUM '1') is converted ×100 by UCUM; any other dimensionless unit is refused.
    acceptedUnits: ['%', '1'],
  },
  oxygenFlowRate: { key: 'oxygenFlowRate', label: 'Inhaled oxygen flow rate', group: 'vital', canonicalUnit: 'L/min' },

  // --- laboratory ------------------------------------------------------------------------------
  hba1c: {
    key: 'hba1c',
    label: 'HbA1c (NGSP/DCCT %)',
    group: 'lab',
    canonicalUnit: '%',
    acceptedUnits: ['%', 'mmol/mol'],
    special: [
      ['%', { a: 1, b: 0 }],
      // IFCC–NGSP master equation: NGSP (%) = 0.09148 × IFCC (mmol/mol) + 2.152.
      // Source: Hoelzel W et al., Clin Chem 2004;50:166–174; NGSP "IFCC Standardization of HbA1c"
      // (ngsp.org/ifccngsp.asp). UCUM's % ↔ mmol/mol (×10) must NOT be used: the scales differ.
      ['mmol/mol', { a: 0.09148, b: 2.152, note: 'IFCC mmol/mol converted to NGSP % by the IFCC–NGSP master equation' }],
    ],
  },
  // Glucose C6H12O6 molar mass 180.16 g/mol (PubChem CID 5793): 1 mmol/L = 18.016 mg/dL.
  fastingGlucose: { key: 'fastingGlucose', label: 'Fasting plasma glucose', group: 'lab', canonicalUnit: 'mg/dL', molecularWeight: 180.16 },
  randomGlucose: { key: 'randomGlucose', label: 'Glucose (random)', group: 'lab', canonicalUnit: 'mg/dL', molecularWeight: 180.16 },
  // Creatinine C4H7N3O 113.12 g/mol (PubChem CID 588): 1 mg/dL = 88.4 µmol/L, the factor used by
  // KDIGO 2012 CKD guideline (Kidney Int Suppl 2013;3:1–150, units/conversion table).
  creatinine: { key: 'creatinine', label: 'Creatinine (serum/plasma/blood)', group: 'lab', canonicalUnit: 'mg/dL', molecularWeight: 113.12 },
  egfr: {
    key: 'egfr',
    label: 'eGFR',
    group: 'lab',
    canonicalUnit: 'mL/min/{1.73_m2}',
    interpretations: [
      [
        'mL/min',
        {
          unit: 'mL/min/{1.73_m2}',
          // The LOINC eGFR codes in cairn-laboratory.json are all "/1.73 sq M" (BSA-normalised)
          // codes; Synthea and some LIS write the bare 'mL/min'. Kept, with this note.
          note: "unit 'mL/min' read as mL/min/1.73 m2: the LOINC code reports eGFR normalised to 1.73 m2 body surface area",
        },
      ],
    ],
  },
  uacr: {
    key: 'uacr',
    label: 'Urine albumin/creatinine ratio',
    group: 'lab',
    canonicalUnit: 'mg/g',
    acceptedUnits: ['mg/g', 'ug/mg', 'mg/mmol', 'g/g', 'g/mol'],
    // mg/mmol (creatinine) → mg/g via creatinine 113.12 g/mol: ×8.84 (KDIGO 2012 Table 7 uses 3 mg/mmol ≈ 30 mg/g).
    molecularWeight: 113.12,
  },
  // Haemoglobin monomer (Hb(Fe)) molar mass 16 114.5 g/mol (ICSH 1995 reference method, tetramer
  // 64 458 g/mol; J Clin Pathol 1996;49:271–274): 1 mmol/L = 1.611 g/dL (mmol/L used in NL/Nordics).
  haemoglobin: { key: 'haemoglobin', label: 'Haemoglobin', group: 'lab', canonicalUnit: 'g/dL', molecularWeight: 16114.5 },
  wbc: { key: 'wbc', label: 'White cell count', group: 'lab', canonicalUnit: '10*3/uL' },
  // Lactate (lactic acid C3H6O3) 90.08 g/mol (PubChem CID 612): 1 mmol/L = 9.01 mg/dL.
  lactate: { key: 'lactate', label: 'Lactate', group: 'lab', canonicalUnit: 'mmol/L', molecularWeight: 90.08 },
  // K+ and Na+ are monovalent: 1 mEq/L = 1 mmol/L (charge 1).
  potassium: { key: 'potassium', label: 'Potassium', group: 'lab', canonicalUnit: 'mmol/L', charge: 1 },
  sodium: { key: 'sodium', label: 'Sodium', group: 'lab', canonicalUnit: 'mmol/L', charge: 1 },
  // Troponin I and T are different analytes with assay-specific cut-offs (Fourth Universal
  // Definition of MI, Thygesen et al., Circulation 2018): never pooled in one series.
  troponinI: { key: 'troponinI', label: 'Troponin I (cardiac)', group: 'lab', canonicalUnit: 'ng/L' },
  troponinT: { key: 'troponinT', label: 'Troponin T (cardiac)', group: 'lab', canonicalUnit: 'ng/L' },
  // Cholesterol C27H46O 386.65 g/mol (PubChem CID 5997): 1 mmol/L = 38.67 mg/dL.
  ldl: { key: 'ldl', label: 'LDL cholesterol', group: 'lab', canonicalUnit: 'mg/dL', molecularWeight: 386.65 },
  totalCholesterol: { key: 'totalCholesterol', label: 'Total cholesterol', group: 'lab', canonicalUnit: 'mg/dL', molecularWeight: 386.65 },
  platelets: { key: 'platelets', label: 'Platelet count', group: 'lab', canonicalUnit: '10*3/uL' },
  // Bilirubin C33H36N4O6 584.66 g/mol (PubChem CID 5280352): 1 mg/dL = 17.1 µmol/L.
  bilirubin: { key: 'bilirubin', label: 'Bilirubin (total)', group: 'lab', canonicalUnit: 'mg/dL', molecularWeight: 584.66 },
};

/**
 * Non-UCUM spellings seen in EHR and Synthea feeds → UCUM. Keys are compared after trimming,
 * lower-casing and replacing µ/μ by u and ²/³ by 2/3. Only spellings with one plausible meaning
 * are listed; context-dependent ones ('C', 'F') are per quantity above.
 */
const GLOBAL_SYNONYMS: ReadonlyArray<readonly [string, string]> = [
  ['mmhg', 'mm[Hg]'],
  ['mm hg', 'mm[Hg]'],
  ['mm[hg]', 'mm[Hg]'],
  ['kpa', 'kPa'],
  ['bpm', '/min'],
  ['beats/min', '/min'],
  ['beats/minute', '/min'],
  ['beats per minute', '/min'],
  ['{beats}/min', '/min'],
  ['{beat}/min', '/min'],
  ['breaths/min', '/min'],
  ['breaths/minute', '/min'],
  ['breaths per minute', '/min'],
  ['{breaths}/min', '/min'],
  ['{breath}/min', '/min'],
  ['br/min', '/min'],
  ['/min', '/min'],
  ['1/min', '/min'],
  ['per min', '/min'],
  ['min-1', '/min'],
  ['cel', 'Cel'],
  ['°c', 'Cel'],
  ['degc', 'Cel'],
  ['deg c', 'Cel'],
  ['celsius', 'Cel'],
  ['[degf]', '[degF]'],
  ['°f', '[degF]'],
  ['degf', '[degF]'],
  ['deg f', '[degF]'],
  ['fahrenheit', '[degF]'],
  ['kg', 'kg'],
  ['kgs', 'kg'],
  ['g', 'g'],
  ['gm', 'g'],
  ['lb', '[lb_av]'],
  ['lbs', '[lb_av]'],
  ['[lb_av]', '[lb_av]'],
  ['oz', '[oz_av]'],
  ['[oz_av]', '[oz_av]'],
  ['cm', 'cm'],
  ['m', 'm'],
  ['mm', 'mm'],
  ['in', '[in_i]'],
  ['inch', '[in_i]'],
  ['inches', '[in_i]'],
  ['[in_i]', '[in_i]'],
  ['ft', '[ft_i]'],
  ['[ft_i]', '[ft_i]'],
  ['kg/m2', 'kg/m2'],
  ['kg/m^2', 'kg/m2'],
  ['kg/(m2)', 'kg/m2'],
  ['%', '%'],
  ['percent', '%'],
  ['%{hba1c}', '%'],
  ['%{hb}', '%'],
  ['%{total}', '%'],
  ['% of total hb', '%'],
  ['%{oxygen}', '%'],
  ['%{o2}', '%'],
  ['mmol/mol', 'mmol/mol'],
  ['mmol/mol{hb}', 'mmol/mol'],
  ['mmol/mol hb', 'mmol/mol'],
  ['mg/dl', 'mg/dL'],
  ['g/dl', 'g/dL'],
  ['g/l', 'g/L'],
  ['mg/l', 'mg/L'],
  ['mmol/l', 'mmol/L'],
  ['umol/l', 'umol/L'],
  ['meq/l', 'meq/L'],
  ['mequiv/l', 'meq/L'],
  ['ng/l', 'ng/L'],
  ['ng/ml', 'ng/mL'],
  ['pg/ml', 'pg/mL'],
  ['ug/l', 'ug/L'],
  ['mg/g', 'mg/g'],
  ['mg/g{creat}', 'mg/g'],
  ['mg/g creat', 'mg/g'],
  ['mg/g{cre}', 'mg/g'],
  ['mg/mmol', 'mg/mmol'],
  ['mg/mmol{creat}', 'mg/mmol'],
  ['mg/mmol creat', 'mg/mmol'],
  ['ug/mg', 'ug/mg'],
  ['ug/mg{creat}', 'ug/mg'],
  ['10*3/ul', '10*3/uL'],
  ['10^3/ul', '10*3/uL'],
  ['x10^3/ul', '10*3/uL'],
  ['x10*3/ul', '10*3/uL'],
  ['x10e3/ul', '10*3/uL'],
  ['10e3/ul', '10*3/uL'],
  ['k/ul', '10*3/uL'],
  ['thou/ul', '10*3/uL'],
  ['thou/mm3', '10*3/uL'],
  ['k/mm3', '10*3/uL'],
  ['10*3/mm3', '10*3/uL'],
  ['10^3/mm3', '10*3/uL'],
  ['/nl', '10*3/uL'],
  ['10*9/l', '10*9/L'],
  ['10^9/l', '10*9/L'],
  ['x10^9/l', '10*9/L'],
  ['x10*9/l', '10*9/L'],
  ['x10e9/l', '10*9/L'],
  ['10e9/l', '10*9/L'],
  ['/ul', '/uL'],
  ['cells/ul', '/uL'],
  ['/mm3', '/uL'],
  ['cells/mm3', '/uL'],
  ['ml/min/{1.73_m2}', 'mL/min/{1.73_m2}'],
  ['ml/min/1.73m2', 'mL/min/{1.73_m2}'],
  ['ml/min/1.73 m2', 'mL/min/{1.73_m2}'],
  ['ml/min/1.73m^2', 'mL/min/{1.73_m2}'],
  ['ml/min/1.73 m^2', 'mL/min/{1.73_m2}'],
  ['ml/min/1.73.m2', 'mL/min/{1.73_m2}'],
  ['ml/min/1.73sqm', 'mL/min/{1.73_m2}'],
  ['ml/min/1.73 sq m', 'mL/min/{1.73_m2}'],
  ['ml/min/1,73m2', 'mL/min/{1.73_m2}'],
  ['ml/min/1,73 m2', 'mL/min/{1.73_m2}'],
  ['ml/min per 1.73 m2', 'mL/min/{1.73_m2}'],
  ['ml/min/bsa', 'mL/min/{1.73_m2}'],
  ['ml/s/1.73m2', 'mL/s/{1.73_m2}'],
  ['ml/min', 'mL/min'],
  ['l/min', 'L/min'],
  ['lpm', 'L/min'],
  ['{score}', '{score}'],
  ['score', '{score}'],
  ['{points}', '{score}'],
  ['points', '{score}'],
];

function synonymKey(unit: string): string {
  return unit.trim().replace(/[µμ]/g, 'u').replace(/²/g, '2').replace(/³/g, '3').replace(/\s+/g, ' ').toLowerCase();
}

const GLOBAL_SYNONYM_MAP = new Map<string, string>(GLOBAL_SYNONYMS.map(([k, v]) => [synonymKey(k), v]));
const QUANTITY_SYNONYM_MAPS = new Map<QuantityKey, Map<string, string>>(
  Object.values(QUANTITIES).map((q) => [q.key, new Map((q.synonyms ?? []).map(([k, v]) => [synonymKey(k), v]))]),
);

// ucum-lhc resolves unit atoms through plain-object lookups, so strings such as 'constructor'
// or '__proto__' validate as "units". Refuse them, and anything outside UCUM's printable ASCII set.
const UCUM_CHARS = /^[\x21-\x7e]{1,40}$/;
const OBJECT_PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Maps a recorded unit string to the UCUM code to convert from (not yet validated). */
export function normaliseUnit(quantity: QuantityKey, raw: string): string {
  const key = synonymKey(raw);
  return QUANTITY_SYNONYM_MAPS.get(quantity)?.get(key) ?? GLOBAL_SYNONYM_MAP.get(key) ?? raw.trim();
}

interface Affine {
  ok: true;
  a: number;
  b: number;
  notes: string[];
}
interface Refusal {
  ok: false;
  detail: string;
}
type Converter = Affine | Refusal;

let ucumUtils: UcumLhcUtilsInstance | undefined;
function ucumInstance(): UcumLhcUtilsInstance {
  ucumUtils ??= ucum.UcumLhcUtils.getInstance();
  return ucumUtils;
}

const converterCache = new Map<string, Converter>();
// Bound the cache: a hostile feed could send unbounded distinct unit strings.
const MAX_CACHE_ENTRIES = 10_000;

function ucumConvert(def: QuantityDefinition, from: string, value: number): number | undefined {
  try {
    const options: { molecularWeight?: number; charge?: number } = {};
    if (def.molecularWeight !== undefined) options.molecularWeight = def.molecularWeight;
    if (def.charge !== undefined) options.charge = def.charge;
    const r = ucumInstance().convertUnitTo(from, value, def.canonicalUnit, options);
    return r.status === 'succeeded' && typeof r.toVal === 'number' && Number.isFinite(r.toVal) ? r.toVal : undefined;
  } catch {
    return undefined; // a library error is an unresolvable unit, not a crash
  }
}

function buildConverter(def: QuantityDefinition, unit: string): Converter {
  const notes: string[] = [];
  let from = unit;
  const interpretation = def.interpretations?.find(([u]) => u === from)?.[1];
  if (interpretation) {
    notes.push(interpretation.note);
    from = interpretation.unit;
  }
  if (def.acceptedUnits && !def.acceptedUnits.includes(from)) {
    return { ok: false, detail: `unit ${JSON.stringify(unit)} is not accepted for ${def.label} (accepted: ${def.acceptedUnits.join(', ')})` };
  }
  const special = def.special?.find(([u]) => u === from)?.[1];
  if (special) {
    if (special.note) notes.push(special.note);
    return { ok: true, a: special.a, b: special.b, notes };
  }
  if (!UCUM_CHARS.test(from) || OBJECT_PROTOTYPE_NAMES.has(from)) {
    return { ok: false, detail: `unit ${JSON.stringify(unit)} is not a UCUM unit` };
  }
  // Probe at 1, 2 and 1000 (ucum-lhc rejects a "from" value of 0 as missing).
  const y1 = ucumConvert(def, from, 1);
  const y2 = ucumConvert(def, from, 2);
  const y1000 = ucumConvert(def, from, 1000);
  if (y1 === undefined || y2 === undefined || y1000 === undefined) {
    return { ok: false, detail: `unit ${JSON.stringify(unit)} cannot be converted to ${def.canonicalUnit} for ${def.label}` };
  }
  const a = y2 - y1;
  const b = y1 - a;
  // All supported conversions are affine; verify rather than assume.
  if (!(a > 0) || Math.abs(a * 1000 + b - y1000) > 1e-6 * Math.max(1, Math.abs(y1000))) {
    return { ok: false, detail: `unit ${JSON.stringify(unit)} has no linear conversion to ${def.canonicalUnit}` };
  }
  return { ok: true, a, b, notes };
}

/** Converter for a unit string as recorded (normalised here, so a cache hit skips normalisation too). */
function converterFor(quantity: QuantityKey, recorded: string): Converter {
  const key = `${quantity}\u0000${recorded}`;
  let c = converterCache.get(key);
  if (!c) {
    c = buildConverter(QUANTITIES[quantity], normaliseUnit(quantity, recorded));
    if (converterCache.size >= MAX_CACHE_ENTRIES) converterCache.clear();
    converterCache.set(key, c);
  }
  return c;
}

export type ConversionResult =
  | { ok: true; value: number; unit: string; notes: string[] }
  | { ok: false; detail: string };

/** The unit fields of a FHIR Quantity, as recorded. */
export interface RecordedUnit {
  unit?: string | undefined;
  code?: string | undefined;
  system?: string | undefined;
}

const UCUM_SYSTEM = 'http://unitsofmeasure.org';

/**
 * Converts `value` recorded in `recorded` to the canonical unit of `quantity`.
 * The UCUM `code` is preferred; the `unit` text is the fallback. If both resolve but disagree
 * (e.g. code `mg/dL`, text `mmol/L`), the value is refused: we cannot know which is right.
 */
export function convertToCanonical(quantity: QuantityKey, value: number, recorded: RecordedUnit): ConversionResult {
  const def = QUANTITIES[quantity];
  const code = recorded.code?.trim() || undefined;
  const unitText = recorded.unit?.trim() || undefined;
  if (!code && !unitText) {
    if (def.unitlessAllowed) return { ok: true, value, unit: def.canonicalUnit, notes: [] };
    return { ok: false, detail: 'no unit recorded' };
  }
  const codeFirst = !recorded.system || recorded.system.trim() === UCUM_SYSTEM;
  const candidates = (codeFirst ? [code, unitText] : [unitText, code]).filter((u): u is string => u !== undefined);
  const resolved: Array<{ from: string; conv: Affine }> = [];
  let firstRefusal: string | undefined;
  for (const candidate of new Set(candidates)) {
    const conv = converterFor(quantity, candidate);
    if (conv.ok) resolved.push({ from: candidate, conv });
    else firstRefusal ??= conv.detail;
  }
  const chosen = resolved[0];
  if (!chosen) return { ok: false, detail: firstRefusal ?? 'unit not recognised' };
  for (const other of resolved.slice(1)) {
    const same =
      Math.abs(other.conv.a - chosen.conv.a) <= 1e-9 * Math.abs(chosen.conv.a) && Math.abs(other.conv.b - chosen.conv.b) <= 1e-9;
    if (!same) {
      return { ok: false, detail: `unit code ${JSON.stringify(chosen.from)} and unit text ${JSON.stringify(other.from)} disagree` };
    }
  }
  const identity = chosen.conv.a === 1 && chosen.conv.b === 0;
  // Round away binary floating-point noise (0.014 ng/mL × 1000 = 14.000000000000002 ng/L would
  // otherwise pass a "> 14" cut-off). 12 significant digits is far beyond any assay's precision.
  const converted = identity ? value : Number((chosen.conv.a * value + chosen.conv.b).toPrecision(12));
  if (!Number.isFinite(converted)) return { ok: false, detail: 'conversion overflowed' };
  return { ok: true, value: converted, unit: def.canonicalUnit, notes: chosen.conv.notes };
}

/**
 * A canonical (UCUM) unit as people and guidelines write it: mm[Hg] → mmHg, /min → per minute,
 * {1.73_m2} → 1.73 m2. For text a reader sees (a guideline query, a record shown to a language
 * model); conversion always uses the UCUM code itself.
 */
export function readableUnit(unit: string): string {
  return unit
    .replace(/\[([^\]]*)\]/g, '$1')
    .replace(/\{([^}]*)\}/g, (_m, inner: string) => inner.replace(/_/g, ' '))
    .replace(/^\/min$/, 'per minute')
    .replace(/^\/h$/, 'per hour')
    .replace(/^kg\/m2$/, 'kg/m2');
}

/**
 * UCUM codes → the unit as a clinician reads it on a card. The codes are Cairn's canonical units
 * (QUANTITIES above) and the few others a card shows (durations); anything else goes through
 * `displayUnit`'s fallback. Units a value is shown without ('{score}', '1') map to ''.
 */
const DISPLAY_UNITS: Readonly<Record<string, string>> = {
  'mm[Hg]': 'mmHg',
  Cel: '°C',
  '[degF]': '°F',
  '/min': '/min',
  '/h': '/h',
  '%': '%',
  kg: 'kg',
  g: 'g',
  cm: 'cm',
  m: 'm',
  'kg/m2': 'kg/m²',
  'mL/min/{1.73_m2}': 'mL/min/1.73 m²',
  'mL/s/{1.73_m2}': 'mL/s/1.73 m²',
  'mL/min': 'mL/min',
  'L/min': 'L/min',
  'mg/dL': 'mg/dL',
  'g/dL': 'g/dL',
  'g/L': 'g/L',
  'mg/L': 'mg/L',
  'mmol/L': 'mmol/L',
  'umol/L': 'µmol/L',
  'meq/L': 'mEq/L',
  'ng/L': 'ng/L',
  'ng/mL': 'ng/mL',
  'pg/mL': 'pg/mL',
  'ug/L': 'µg/L',
  'mg/g': 'mg/g',
  'mg/mmol': 'mg/mmol',
  'ug/mg': 'µg/mg',
  'mmol/mol': 'mmol/mol',
  '10*3/uL': '×10³/µL',
  '10*9/L': '×10⁹/L',
  '10*12/L': '×10¹²/L',
  '/uL': '/µL',
  '[lb_av]': 'lb',
  '[oz_av]': 'oz',
  '[in_i]': 'in',
  '[ft_i]': 'ft',
  '{score}': '',
  '1': '',
  min: 'min',
  h: 'h',
  d: 'days',
  wk: 'weeks',
  mo: 'months',
  a: 'years',
};

/**
 * A UCUM code as a clinician reads it: mm[Hg] → mmHg, Cel → °C, mL/min/{1.73_m2} → mL/min/1.73 m²,
 * d → days. For what a card shows; the FHIR resources and extensions a card carries keep UCUM.
 * A code not in the table is shown without UCUM's notation: an annotation standing for the unit
 * ('{cells}/uL') becomes its words, one qualifying a unit ('mg/g{creat}') is dropped, brackets
 * go ('[IU]/L' → IU/L), 'u' before a unit is µ and 'm2' is m². Never shows braces or brackets.
 * `readableUnit` above is the spelled-out form for search queries and a language model's input.
 */
export function displayUnit(code: string): string {
  const known = DISPLAY_UNITS[code];
  if (known !== undefined) return known;
  return code
    .replace(/([A-Za-z0-9%\]}])\{[^}]*\}/g, '$1')
    .replace(/\{([^}]*)\}/g, (_m, inner: string) => inner.replace(/_/g, ' '))
    .replace(/\[([^\]]*?)(?:_(?:i|av|us|br|tr|ap))?\]/g, '$1')
    .replace(/(^|[^A-Za-z])u(?=(?:g|mol|L|mL|m|U|IU|eq)\b)/g, '$1µ')
    .replace(/(^|[^0-9.])10\*(\d+)/g, (_m, before: string, exp: string) => `${before}×10${superscript(exp)}`)
    .replace(/([a-zA-Z])2(?![0-9])/g, '$1²')
    .replace(/([a-zA-Z])3(?![0-9])/g, '$1³')
    .replace(/[{}[\]]/g, '');
}

const SUPERSCRIPT_DIGITS = '⁰¹²³⁴⁵⁶⁷⁸⁹';
function superscript(digits: string): string {
  return [...digits].map((d) => SUPERSCRIPT_DIGITS[Number(d)] ?? d).join('');
}

/**
 * A value with its unit as a card prints it: "88 mmHg", "39.4 °C", "30/min", "88%", "114 days"
 * ("1 day"). The value is given already formatted.
 */
export function displayQuantity(value: string, code: string | undefined): string {
  if (!code) return value;
  let unit = displayUnit(code);
  if (unit === '') return value;
  if (value === '1' && /^(?:days|weeks|months|years)$/.test(unit)) unit = unit.slice(0, -1);
  // A rate or a percentage follows its number directly, as clinicians write it.
  return unit.startsWith('/') || unit === '%' ? `${value}${unit}` : `${value} ${unit}`;
}

/** For tests and the start-up self-check: drop cached converters. */
export function clearConversionCache(): void {
  converterCache.clear();
}
