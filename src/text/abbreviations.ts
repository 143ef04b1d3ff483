/**
 * Clinical abbreviations and what they stand for. Records and clinicians write "SBP 95, RR 24,
 * A1c 6.6"; guidelines write either that or "systolic blood pressure", "respiratory rate",
 * "HbA1c". Neither full-text search nor the offline sentence encoder knows they are the same, so
 * a query gains the other form of every abbreviation or phrase it contains (appended, the query
 * itself is unchanged). The list is general clinical shorthand, not tuned to any query set.
 */

interface Synonym {
  /** Short forms. */
  abbr: readonly string[];
  /** Long form, as words. */
  full: string;
  /** More words added with the long form (another name for the same thing). */
  also?: string;
  /** Short forms that are also ordinary words in lower case ("us", "ed"): matched in upper case only. */
  caseSensitive?: boolean;
}

const SYNONYMS: readonly Synonym[] = [
  { abbr: ['BP'], full: 'blood pressure' },
  { abbr: ['SBP'], full: 'systolic blood pressure' },
  { abbr: ['DBP'], full: 'diastolic blood pressure' },
  { abbr: ['MAP'], full: 'mean arterial pressure', caseSensitive: true },
  { abbr: ['HR'], full: 'heart rate', also: 'pulse', caseSensitive: true },
  { abbr: ['RR'], full: 'respiratory rate', also: 'respiration rate', caseSensitive: true },
  { abbr: ['resp'], full: 'respiratory' },
  { abbr: ['temp'], full: 'temperature' },
  { abbr: ['SpO2', 'sats', 'O2 sat'], full: 'oxygen saturation' },
  { abbr: ['O2'], full: 'oxygen' },
  { abbr: ['ABPM'], full: 'ambulatory blood pressure monitoring' },
  { abbr: ['HBPM'], full: 'home blood pressure monitoring' },
  { abbr: ['HTN'], full: 'hypertension' },
  { abbr: ['DM'], full: 'diabetes mellitus', caseSensitive: true },
  { abbr: ['T2DM', 'T2D'], full: 'type 2 diabetes' },
  { abbr: ['T1DM', 'T1D'], full: 'type 1 diabetes' },
  { abbr: ['A1c', 'HbA1c', 'A1C'], full: 'glycated hemoglobin', also: 'HbA1c' },
  { abbr: ['FPG'], full: 'fasting plasma glucose' },
  { abbr: ['OGTT'], full: 'oral glucose tolerance test' },
  { abbr: ['BG'], full: 'blood glucose', caseSensitive: true },
  { abbr: ['CKD'], full: 'chronic kidney disease' },
  { abbr: ['AKI'], full: 'acute kidney injury' },
  { abbr: ['ESRD', 'ESKD'], full: 'end-stage kidney disease', also: 'kidney failure' },
  { abbr: ['eGFR', 'GFR'], full: 'glomerular filtration rate', also: 'estimated GFR' },
  { abbr: ['Cr', 'SCr'], full: 'creatinine', caseSensitive: true },
  { abbr: ['ACR', 'UACR', 'uACR'], full: 'albumin-to-creatinine ratio', also: 'albuminuria ACR' },
  { abbr: ['BUN'], full: 'blood urea nitrogen' },
  { abbr: ['MI'], full: 'myocardial infarction', also: 'heart attack', caseSensitive: true },
  { abbr: ['CVD'], full: 'cardiovascular disease' },
  { abbr: ['ASCVD'], full: 'atherosclerotic cardiovascular disease' },
  { abbr: ['CAD', 'CHD'], full: 'coronary heart disease', caseSensitive: true },
  { abbr: ['HF', 'CHF'], full: 'heart failure', caseSensitive: true },
  { abbr: ['AF', 'afib'], full: 'atrial fibrillation', caseSensitive: true },
  { abbr: ['CVA'], full: 'stroke' },
  { abbr: ['TIA'], full: 'transient ischemic attack' },
  { abbr: ['COPD'], full: 'chronic obstructive pulmonary disease' },
  { abbr: ['SOB'], full: 'shortness of breath', caseSensitive: true },
  { abbr: ['LOC'], full: 'loss of consciousness', caseSensitive: true },
  { abbr: ['GCS'], full: 'Glasgow coma scale' },
  { abbr: ['ED', 'ER'], full: 'emergency department', caseSensitive: true },
  { abbr: ['ICU'], full: 'intensive care unit', also: 'critical care' },
  { abbr: ['ESI'], full: 'emergency severity index', also: 'triage' },
  { abbr: ['abx'], full: 'antibiotics', also: 'antimicrobials' },
  { abbr: ['IV'], full: 'intravenous', caseSensitive: true },
  { abbr: ['pressors'], full: 'vasopressors' },
  { abbr: ['norepi'], full: 'norepinephrine' },
  { abbr: ['BMI'], full: 'body mass index' },
  { abbr: ['LDL'], full: 'low-density lipoprotein cholesterol' },
  { abbr: ['HDL'], full: 'high-density lipoprotein cholesterol' },
  { abbr: ['AAA'], full: 'abdominal aortic aneurysm' },
  { abbr: ['UTI'], full: 'urinary tract infection' },
  { abbr: ['NEWS2', 'NEWS'], full: 'national early warning score', caseSensitive: true },
  { abbr: ['qSOFA'], full: 'quick sequential organ failure assessment' },
  { abbr: ['SOFA'], full: 'sequential organ failure assessment' },
  { abbr: ['SIRS'], full: 'systemic inflammatory response syndrome' },
  { abbr: ['WBC'], full: 'white blood cell count' },
  { abbr: ['ECG', 'EKG'], full: 'electrocardiogram' },
  { abbr: ['obs'], full: 'observations', also: 'vital signs' },
  { abbr: ['vitals'], full: 'vital signs' },
  { abbr: ['yo', 'y/o', 'yr old', 'yrs old'], full: 'years old' },
  { abbr: ['hx'], full: 'history' },
  { abbr: ['dx'], full: 'diagnosis' },
  { abbr: ['tx'], full: 'treatment' },
  { abbr: ['pt', 'pts'], full: 'patient' },
];

interface Matcher {
  pattern: RegExp;
  adds: string;
}

function wordPattern(form: string, flags: string): RegExp {
  const escaped = form.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ /g, '\\s+');
  // Not inside a longer word or number ("BP" in "BPH", "Cr" in "Crohn").
  return new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, flags);
}

const MATCHERS: readonly Matcher[] = SYNONYMS.flatMap((s) => [
  ...s.abbr.map((a) => ({ pattern: wordPattern(a, s.caseSensitive ? '' : 'i'), adds: s.also ? `${s.full} ${s.also}` : s.full })),
  // Long forms gain the abbreviation only when it is a real one (not "years old" → "yo").
  ...(s.abbr[0] && /[A-Z]/.test(s.abbr[0]) && !s.abbr[0].includes(' ') ? [{ pattern: wordPattern(s.full, 'i'), adds: s.abbr[0] }] : []),
]);

/** The query with the other form of each abbreviation or long form it contains appended. */
export function expandAbbreviations(text: string): string {
  const added: string[] = [];
  for (const m of MATCHERS) {
    if (m.pattern.test(text) && !added.includes(m.adds)) added.push(m.adds);
  }
  return added.length > 0 ? `${text} (${added.join('; ')})` : text;
}
