/**
 * Measured analytes — laboratory values, vital signs and clinical measures — with the names
 * clinical text uses for them. One list for the two readers of numbers in text:
 *
 * - trial matching (services/trials/matching/measurements.ts) reads statements in eligibility
 *   criteria and patient notes ("creatinine ≤ 1.5 mg/dL", "BP 160/95") by the `trials` names;
 * - guideline retrieval (knowledge/quantities.ts) reads the ranges guideline passages state and
 *   the values a query names ("BMI from 35.0 up to 39.9", "eGFR 38") by the `guidelines` names.
 *
 * Each reader keeps its own names and matching rules, because merging them would change what
 * each recognises: trial names are case-insensitive phrases in which "-" and " " are
 * interchangeable, plus upper-case abbreviations matched as written; guideline names are word-
 * bounded patterns whose case rule is the analyte's (lower-case "map" and "hr" are ordinary
 * words). The name sets differ on purpose too: "fever up to 38.5" states a temperature in a
 * criterion, but would make every guideline sentence about fever a temperature range; guideline
 * ranges do not tell fasting from random glucose, so "FPG" and "OGTT" read as glucose there.
 * An analyte without a block is not read by that reader.
 *
 * The lists are general clinical synonyms (the kind found in any clinical dictionary), not
 * collected from evaluation topics, trials or queries.
 *
 * The one import from outside src/text is the QuantityKey type (erased at run time): an analyte
 * names the PatientContext series it is, so its values are compared in that series' units.
 */
import type { QuantityKey } from '../fhir/context/types.js';

export interface Analyte {
  /** Stable id: parsed trial criteria store it (`analyteId`), so it never changes. */
  readonly id: string;
  readonly label: string;
  /** The PatientContext series it is, when there is one: its values are then compared in canonical units. */
  readonly quantity?: QuantityKey;
  /** How trial criteria and patient notes name it. */
  readonly trials?: {
    /** Lower-case phrases, matched case-insensitively as whole words. */
    readonly terms: readonly string[];
    /** Abbreviations, matched case-sensitively ("Cr", not "cr"). */
    readonly abbr?: readonly string[];
  };
  /** How guideline passages and queries name it, for range matching. */
  readonly guidelines?: {
    /** The name range matching reports it under, when not `id` (kept from before the merge: 'sbp', 'dbp', 'acr'). */
    readonly key?: string;
    /** Every way of writing the name, as one pattern (no `g` flag: the reader adds it). */
    readonly names: RegExp;
    /** Plausible values: a number outside them is not this measurement ("BMI 1200" is a typo). */
    readonly plausible: readonly [number, number];
  };
}

/**
 * Analytes with a PatientContext series are compared after conversion to that series'
 * canonical UCUM unit (units.ts); the rest only when both sides state the same unit.
 * Order matters to trial matching only: of two names found at the same place, the earlier
 * analyte's wins.
 */
export const ANALYTES: readonly Analyte[] = [
  {
    id: 'hba1c',
    label: 'HbA1c',
    quantity: 'hba1c',
    trials: { terms: ['hba1c', 'hemoglobin a1c', 'haemoglobin a1c', 'glycated hemoglobin', 'glycated haemoglobin', 'glycosylated hemoglobin', 'glycosylated haemoglobin', 'a1c', 'hgba1c'] },
    guidelines: { names: /\b(?:Hb ?A1c|A1C|glycated ha?emoglobin)\b/i, plausible: [2, 200] },
  },
  { id: 'fasting-glucose', label: 'Fasting plasma glucose', quantity: 'fastingGlucose', trials: { terms: ['fasting plasma glucose', 'fasting blood glucose', 'fasting glucose', 'fasting blood sugar', 'fasting serum glucose'], abbr: ['FPG', 'FBG', 'FBS'] } },
  {
    id: 'glucose',
    label: 'Glucose',
    quantity: 'randomGlucose',
    trials: { terms: ['blood glucose', 'plasma glucose', 'serum glucose', 'glucose', 'blood sugar'] },
    guidelines: { names: /\b(?:glucose|FPG|OGTT|blood sugar)\b/i, plausible: [1, 2000] },
  },
  {
    id: 'creatinine',
    label: 'Serum creatinine',
    quantity: 'creatinine',
    trials: { terms: ['serum creatinine', 'plasma creatinine', 'creatinine', 'creat'], abbr: ['Cr', 'SCr'] },
    guidelines: { names: /\b(?:s?creatinine|SCr)\b/i, plausible: [0, 2000] },
  },
  {
    id: 'egfr',
    label: 'eGFR',
    quantity: 'egfr',
    trials: { terms: ['estimated glomerular filtration rate', 'glomerular filtration rate', 'egfr', 'gfr'], abbr: ['eGFR', 'GFR'] },
    guidelines: { names: /\be?GFR\b/i, plausible: [1, 200] },
  },
  { id: 'creatinine-clearance', label: 'Creatinine clearance', trials: { terms: ['creatinine clearance'], abbr: ['CrCl'] } },
  {
    id: 'uacr',
    label: 'Urine albumin/creatinine ratio',
    quantity: 'uacr',
    trials: { terms: ['albumin-to-creatinine ratio', 'albumin to creatinine ratio', 'albumin/creatinine ratio', 'uacr'], abbr: ['UACR'] },
    guidelines: { key: 'acr', names: /\b(?:U?ACR|albumin(?:[- ]to[- ]|\/)creatinine(?: ratio)?)\b/i, plausible: [0, 10_000] },
  },
  { id: 'urine-output', label: 'Urine output', guidelines: { names: /\burine output\b/i, plausible: [0, 20] } },
  { id: 'haemoglobin', label: 'Haemoglobin', quantity: 'haemoglobin', trials: { terms: ['hemoglobin', 'haemoglobin', 'hgb'], abbr: ['Hb', 'Hgb', 'HGB'] } },
  { id: 'wbc', label: 'White cell count', quantity: 'wbc', trials: { terms: ['white blood cell count', 'white blood cells', 'white cell count', 'leukocyte count', 'leukocytes', 'wbc count', 'wbc'], abbr: ['WBC'] } },
  { id: 'platelets', label: 'Platelet count', quantity: 'platelets', trials: { terms: ['platelet count', 'platelets', 'platelet'], abbr: ['PLT'] } },
  { id: 'anc', label: 'Absolute neutrophil count', trials: { terms: ['absolute neutrophil count', 'absolute granulocyte count', 'neutrophil count', 'granulocyte count'], abbr: ['ANC', 'AGC'] } },
  { id: 'bilirubin', label: 'Total bilirubin', quantity: 'bilirubin', trials: { terms: ['total bilirubin', 'serum bilirubin', 'bilirubin'] } },
  { id: 'potassium', label: 'Potassium', quantity: 'potassium', trials: { terms: ['serum potassium', 'potassium'], abbr: ['K'] } },
  { id: 'sodium', label: 'Sodium', quantity: 'sodium', trials: { terms: ['serum sodium', 'sodium'], abbr: ['Na'] } },
  {
    id: 'lactate',
    label: 'Lactate',
    quantity: 'lactate',
    trials: { terms: ['serum lactate', 'blood lactate', 'lactate', 'lactic acid'] },
    guidelines: { names: /\b(?:lactate|lactic acid)\b/i, plausible: [0, 40] },
  },
  { id: 'ldl', label: 'LDL cholesterol', quantity: 'ldl', trials: { terms: ['ldl cholesterol', 'ldl-cholesterol', 'low-density lipoprotein cholesterol', 'low density lipoprotein cholesterol', 'ldl-c', 'ldl'], abbr: ['LDL', 'LDL-C'] } },
  { id: 'total-cholesterol', label: 'Total cholesterol', quantity: 'totalCholesterol', trials: { terms: ['total cholesterol', 'serum cholesterol', 'cholesterol'] } },
  { id: 'triglycerides', label: 'Triglycerides', trials: { terms: ['triglycerides', 'triglyceride'], abbr: ['TG'] } },
  { id: 'ascvd-risk', label: '10-year ASCVD risk', guidelines: { names: /\b(?:AS)?CVD risk\b/i, plausible: [0, 100] } },
  { id: 'troponin-i', label: 'Troponin I', quantity: 'troponinI', trials: { terms: ['troponin i', 'ctni', 'tni'] } },
  { id: 'troponin-t', label: 'Troponin T', quantity: 'troponinT', trials: { terms: ['troponin t', 'ctnt', 'tnt'] } },
  { id: 'ast', label: 'AST', trials: { terms: ['aspartate aminotransferase', 'sgot', 'ast'], abbr: ['AST', 'SGOT'] } },
  { id: 'alt', label: 'ALT', trials: { terms: ['alanine aminotransferase', 'sgpt', 'alt'], abbr: ['ALT', 'SGPT'] } },
  { id: 'albumin', label: 'Serum albumin', trials: { terms: ['serum albumin', 'albumin'] } },
  { id: 'inr', label: 'INR', trials: { terms: ['international normalized ratio', 'inr'], abbr: ['INR'] } },
  { id: 'cd4', label: 'CD4 count', trials: { terms: ['cd4 count', 'cd4+ count', 'cd4 cell count', 'cd4'], abbr: ['CD4'] } },
  { id: 'psa', label: 'PSA', trials: { terms: ['prostate specific antigen', 'prostate-specific antigen', 'psa'], abbr: ['PSA'] } },
  { id: 'ejection-fraction', label: 'Left ventricular ejection fraction', trials: { terms: ['left ventricular ejection fraction', 'ejection fraction', 'lvef'], abbr: ['EF', 'LVEF'] } },
  {
    id: 'bmi',
    label: 'Body mass index',
    quantity: 'bmi',
    trials: { terms: ['body mass index', 'bmi'], abbr: ['BMI'] },
    guidelines: { names: /\bBMI\b|\bbody mass index\b/i, plausible: [8, 100] },
  },
  { id: 'weight', label: 'Body weight', quantity: 'bodyWeight', trials: { terms: ['body weight', 'weight', 'weighs', 'weighing'] } },
  {
    id: 'systolic-bp',
    label: 'Systolic blood pressure',
    quantity: 'systolicBP',
    trials: { terms: ['systolic blood pressure', 'systolic bp', 'systolic pressure', 'systolic'], abbr: ['SBP'] },
    guidelines: { key: 'sbp', names: /\b(?:SBP|systolic(?: blood pressure| BP)?)\b/i, plausible: [40, 300] },
  },
  {
    id: 'diastolic-bp',
    label: 'Diastolic blood pressure',
    quantity: 'diastolicBP',
    trials: { terms: ['diastolic blood pressure', 'diastolic bp', 'diastolic pressure', 'diastolic'], abbr: ['DBP'] },
    guidelines: { key: 'dbp', names: /\b(?:DBP|diastolic(?: blood pressure| BP)?)\b/i, plausible: [20, 200] },
  },
  { id: 'blood-pressure', label: 'Blood pressure', trials: { terms: ['blood pressure', 'bp', 'hypertension of'], abbr: ['BP'] } },
  { id: 'map', label: 'Mean arterial pressure', guidelines: { names: /\bMAP\b|\bmean arterial pressure\b/, plausible: [20, 200] } },
  {
    id: 'heart-rate',
    label: 'Heart rate',
    quantity: 'heartRate',
    trials: { terms: ['heart rate', 'pulse rate', 'pulse'], abbr: ['HR'] },
    guidelines: { names: /\bHR\b|\b(?:heart rate|pulse(?: rate)?)\b/, plausible: [20, 300] },
  },
  {
    id: 'temperature',
    label: 'Body temperature',
    quantity: 'temperature',
    trials: { terms: ['body temperature', 'temperature', 'temp', 'fever', 'fever of', 'fever up to'] },
    guidelines: { names: /\b(?:temp(?:erature)?)\b/i, plausible: [25, 45] },
  },
  {
    id: 'spo2',
    label: 'Oxygen saturation',
    quantity: 'spo2',
    trials: { terms: ['oxygen saturation', 'o2 saturation', 'spo2', 'o2 sat', 'sao2'], abbr: ['SpO2', 'SaO2'] },
    guidelines: { names: /\b(?:SpO2|SpO₂|oxygen saturation|O2 sat(?:uration)?|sats)\b/i, plausible: [40, 100] },
  },
  {
    id: 'respiratory-rate',
    label: 'Respiratory rate',
    quantity: 'respiratoryRate',
    trials: { terms: ['respiratory rate', 'respiration rate'], abbr: ['RR'] },
    guidelines: { names: /\bRR\b|\b(?:resp(?:iratory|iration)? rate|breathing rate)\b/i, plausible: [2, 80] },
  },
  { id: 'pain', label: 'Pain score', guidelines: { names: /\bpain(?: score)?\b/i, plausible: [0, 10] } },
  { id: 'age', label: 'Age', guidelines: { names: /\b(?:aged?|ages|adults?|children)\b/i, plausible: [0, 120] } },
];
