/**
 * The clinical vocabulary trial matching recognises: conditions and medications, each with the
 * words records and eligibility criteria use for it, and the mentions of measured analytes (whose
 * list, shared with guideline range matching, is src/text/analytes.ts). Conditions that a
 * Cairn value set covers (fhir-profiles/valuesets) carry that set's id and one of its codes, so a
 * coded Condition in the record matches a criterion by code, and a criterion's parsed structure
 * names the code. The lists are general clinical synonyms (the kind found in any clinical
 * dictionary), not collected from the evaluation topics or trials.
 *
 * Matching is by whole words, case-insensitive, with an optional plural "s"; `abbr` forms are
 * matched in upper case only ("MI", "CHF"), because in lower case many are ordinary words.
 */
import { ANALYTES, type Analyte } from '../../../text/analytes.js';
import { asciiFold } from '../../../text/tokens.js';

export interface Coding {
  system: string;
  code: string;
  display: string;
}

export interface Concept {
  id: string;
  label: string;
  /** Lower-case phrases. */
  terms: readonly string[];
  /** Upper-case abbreviations, matched case-sensitively. */
  abbr?: readonly string[];
  /** Phrases that say the concept is absent ("nonsmoker"). */
  negativeTerms?: readonly string[];
  /** A broader concept: a patient with this one has the broader one too. */
  parent?: string;
  /** Mentions the word lists cannot express (a word that counts only in context). */
  patterns?: readonly RegExp[];
  /** Cairn value set whose codes identify this concept in coded records. */
  valueSet?: string;
  /** A representative code from that value set, named in the criterion's parsed structure. */
  coding?: Coding;
}

const SNOMED = 'http://snomed.info/sct';

export const CONDITIONS: readonly Concept[] = [
  // --- the demo conditions, backed by Cairn value sets ---------------------------------------
  {
    id: 'hypertension',
    label: 'Hypertension',
    terms: ['hypertension', 'hypertensive', 'high blood pressure', 'elevated blood pressure', 'raised blood pressure'],
    abbr: ['HTN'],
    valueSet: 'cairn-hypertension',
    coding: { system: SNOMED, code: '38341003', display: 'Hypertensive disorder, systemic arterial (disorder)' },
  },
  {
    id: 'diabetes',
    label: 'Diabetes mellitus',
    terms: ['diabetes', 'diabetes mellitus', 'diabetic'],
    abbr: ['DM'],
    valueSet: 'cairn-diabetes',
    coding: { system: SNOMED, code: '73211009', display: 'Diabetes mellitus (disorder)' },
  },
  {
    id: 'type-2-diabetes',
    label: 'Type 2 diabetes mellitus',
    terms: ['type 2 diabetes', 'type ii diabetes', 'type 2 diabetes mellitus', 'type ii diabetes mellitus', 'diabetes mellitus type 2', 'diabetes mellitus type ii', 'diabetes type 2', 'non-insulin-dependent diabetes', 'non insulin dependent diabetes', 'adult-onset diabetes', 'dmii', 'dm2', 't2dm'],
    abbr: ['T2DM', 'NIDDM', 'DMII', 'DM2'],
    parent: 'diabetes',
    valueSet: 'cairn-diabetes',
    coding: { system: SNOMED, code: '44054006', display: 'Diabetes mellitus type 2 (disorder)' },
  },
  {
    id: 'type-1-diabetes',
    label: 'Type 1 diabetes mellitus',
    terms: ['type 1 diabetes', 'type i diabetes', 'type 1 diabetes mellitus', 'diabetes mellitus type 1', 'diabetes mellitus type i', 'diabetes type 1', 'insulin-dependent diabetes', 'insulin dependent diabetes', 'juvenile diabetes', 't1dm'],
    abbr: ['T1DM', 'IDDM', 'DM1'],
    parent: 'diabetes',
    valueSet: 'cairn-diabetes',
    coding: { system: SNOMED, code: '46635009', display: 'Diabetes mellitus type 1 (disorder)' },
  },
  {
    // A disorder of water balance, not of glucose: its own concept, so that "diabetes insipidus"
    // is not read as the diabetes (mellitus) it contains (dropContained), and a patient with it is
    // not matched to diabetes trials.
    id: 'diabetes-insipidus',
    label: 'Diabetes insipidus',
    terms: ['diabetes insipidus', 'arginine vasopressin deficiency', 'arginine vasopressin resistance'],
    coding: { system: SNOMED, code: '15771004', display: 'Diabetes insipidus (disorder)' },
  },
  {
    id: 'prediabetes',
    label: 'Prediabetes',
    terms: ['prediabetes', 'pre-diabetes', 'impaired glucose tolerance', 'impaired fasting glucose'],
    abbr: ['IGT', 'IFG'],
    valueSet: 'cairn-prediabetes',
    coding: { system: SNOMED, code: '714628002', display: 'Prediabetes (finding)' },
  },
  {
    id: 'ckd',
    label: 'Chronic kidney disease',
    terms: ['chronic kidney disease', 'chronic renal disease', 'chronic renal failure', 'chronic renal insufficiency', 'chronic kidney failure', 'renal insufficiency', 'renal impairment', 'impaired renal function', 'impaired kidney function', 'renal dysfunction', 'kidney disease', 'renal disease', 'renal failure', 'kidney failure', 'end-stage renal disease', 'end stage renal disease', 'end-stage kidney disease', 'nephropathy'],
    abbr: ['CKD', 'ESRD', 'ESKD'],
    valueSet: 'cairn-ckd',
    coding: { system: SNOMED, code: '709044004', display: 'Chronic kidney disease (disorder)' },
  },
  {
    // A treatment of kidney failure, not the disease: its own concept, so that "Not on dialysis"
    // rules out dialysis and not kidney disease, and a criterion asking for dialysis is not met by
    // CKD alone. A patient on dialysis has kidney failure (parent).
    id: 'dialysis',
    label: 'Dialysis',
    terms: ['dialysis', 'hemodialysis', 'haemodialysis', 'peritoneal dialysis', 'renal replacement therapy', 'kidney replacement therapy'],
    parent: 'ckd',
  },
  {
    id: 'aki',
    label: 'Acute kidney injury',
    terms: ['acute kidney injury', 'acute renal failure', 'acute renal injury', 'acute kidney failure'],
    abbr: ['AKI', 'ARF'],
    valueSet: 'cairn-aki',
    coding: { system: SNOMED, code: '14669001', display: 'Acute kidney injury (disorder)' },
  },
  {
    id: 'sepsis',
    label: 'Sepsis',
    terms: ['sepsis', 'septic', 'septic shock', 'septicemia', 'septicaemia', 'bacteremia', 'bacteraemia', 'urosepsis'],
    valueSet: 'cairn-sepsis',
    coding: { system: SNOMED, code: '91302008', display: 'Sepsis (disorder)' },
  },
  {
    id: 'infection',
    label: 'Infection',
    terms: ['infection', 'infectious', 'infected', 'pneumonia', 'cellulitis', 'urinary tract infection', 'pyelonephritis', 'meningitis', 'osteomyelitis', 'abscess', 'endocarditis', 'influenza'],
    abbr: ['UTI'],
    valueSet: 'cairn-infection',
    coding: { system: SNOMED, code: '40733004', display: 'Infectious disease (disorder)' },
  },
  {
    id: 'pneumonia',
    label: 'Pneumonia',
    terms: ['pneumonia', 'lung infiltrate', 'lung infiltrates', 'pulmonary infiltrate', 'pulmonary infiltrates', 'lobar consolidation', 'bronchopneumonia'],
    abbr: ['CAP'],
    parent: 'infection',
    valueSet: 'cairn-infection',
    coding: { system: SNOMED, code: '233604007', display: 'Pneumonia (disorder)' },
  },
  {
    id: 'obesity',
    label: 'Obesity',
    terms: ['obesity', 'obese', 'morbid obesity', 'morbidly obese', 'severe obesity'],
    valueSet: 'cairn-obesity',
    coding: { system: SNOMED, code: '414916001', display: 'Obesity (disorder)' },
  },
  {
    id: 'anaemia',
    label: 'Anaemia',
    terms: ['anemia', 'anaemia', 'anemic', 'anaemic'],
    valueSet: 'cairn-anaemia',
    coding: { system: SNOMED, code: '271737000', display: 'Anemia (disorder)' },
  },
  {
    id: 'respiratory-failure',
    label: 'Respiratory failure',
    terms: ['respiratory failure', 'hypercapnic respiratory failure', 'ventilatory failure'],
    valueSet: 'cairn-hypercapnic-respiratory-failure',
  },
  // --- conditions without a Cairn value set: text only -----------------------------------------
  { id: 'cancer', label: 'Cancer', terms: ['cancer', 'malignancy', 'malignancies', 'malignant', 'carcinoma', 'neoplasm', 'neoplasia', 'tumor', 'tumour', 'sarcoma', 'lymphoma', 'leukemia', 'leukaemia', 'melanoma', 'myeloma', 'metastatic', 'metastases', 'metastasis', 'oncologic', 'glioma', 'glioblastoma', 'astrocytoma', 'adenocarcinoma'] },
  { id: 'breast-cancer', label: 'Breast cancer', terms: ['breast cancer', 'breast carcinoma', 'carcinoma of the breast', 'breast tumor', 'breast tumour', 'breast mass'], parent: 'cancer' },
  { id: 'lung-cancer', label: 'Lung cancer', terms: ['lung cancer', 'lung carcinoma', 'non-small cell lung', 'small cell lung', 'bronchogenic carcinoma', 'lung mass', 'lung tumor', 'pulmonary mass'], abbr: ['NSCLC', 'SCLC'], parent: 'cancer' },
  { id: 'prostate-cancer', label: 'Prostate cancer', terms: ['prostate cancer', 'prostate carcinoma', 'prostatic carcinoma', 'prostatic adenocarcinoma'], parent: 'cancer' },
  { id: 'colorectal-cancer', label: 'Colorectal cancer', terms: ['colorectal cancer', 'colon cancer', 'rectal cancer', 'colorectal carcinoma', 'colon carcinoma'], parent: 'cancer' },
  { id: 'brain-tumour', label: 'Brain tumour', terms: ['brain tumor', 'brain tumour', 'brain cancer', 'glioma', 'glioblastoma', 'astrocytoma', 'oligodendroglioma', 'brain mass', 'brain metastases', 'cns tumor', 'central nervous system tumor'], parent: 'cancer' },
  { id: 'heart-failure', label: 'Heart failure', terms: ['heart failure', 'cardiac failure', 'congestive heart failure', 'left ventricular dysfunction', 'reduced ejection fraction', 'cardiomyopathy'], abbr: ['CHF', 'HF', 'HFrEF', 'HFpEF'] },
  { id: 'myocardial-infarction', label: 'Myocardial infarction', terms: ['myocardial infarction', 'heart attack', 'stemi', 'nstemi', 'acute coronary syndrome'], abbr: ['MI', 'AMI', 'ACS', 'STEMI', 'NSTEMI'], parent: 'coronary-disease' },
  { id: 'coronary-disease', label: 'Coronary artery disease', terms: ['coronary artery disease', 'coronary heart disease', 'coronary disease', 'ischemic heart disease', 'ischaemic heart disease', 'angina', 'angina pectoris', 'coronary atherosclerosis', 'cabg', 'coronary artery bypass'], abbr: ['CAD', 'CHD', 'IHD', 'CABG', 'PCI'] },
  { id: 'stroke', label: 'Stroke', terms: ['stroke', 'cerebrovascular accident', 'cerebral infarction', 'cerebrovascular disease', 'transient ischemic attack', 'intracerebral hemorrhage', 'intracranial hemorrhage', 'subarachnoid hemorrhage'], abbr: ['CVA', 'TIA', 'SAH'] },
  { id: 'atrial-fibrillation', label: 'Atrial fibrillation', terms: ['atrial fibrillation', 'atrial flutter', 'afib', 'a-fib'], abbr: ['AF', 'AFib'], parent: 'arrhythmia' },
  { id: 'arrhythmia', label: 'Cardiac arrhythmia', terms: ['arrhythmia', 'arrhythmias', 'dysrhythmia', 'ventricular tachycardia', 'heart block', 'av block', 'bradycardia', 'tachyarrhythmia'] },
  { id: 'peripheral-vascular-disease', label: 'Peripheral vascular disease', terms: ['peripheral vascular disease', 'peripheral arterial disease', 'peripheral artery disease', 'claudication'], abbr: ['PVD', 'PAD'] },
  { id: 'venous-thromboembolism', label: 'Venous thromboembolism', terms: ['deep vein thrombosis', 'deep venous thrombosis', 'pulmonary embolism', 'pulmonary embolus', 'venous thromboembolism', 'thromboembolism', 'thrombosis'], abbr: ['DVT', 'VTE'] },
  { id: 'copd', label: 'Chronic obstructive pulmonary disease', terms: ['chronic obstructive pulmonary disease', 'chronic obstructive lung disease', 'emphysema', 'chronic bronchitis'], abbr: ['COPD'] },
  { id: 'asthma', label: 'Asthma', terms: ['asthma', 'asthmatic', 'reactive airway disease'] },
  { id: 'liver-disease', label: 'Liver disease', terms: ['liver disease', 'hepatic disease', 'cirrhosis', 'hepatic failure', 'liver failure', 'hepatic impairment', 'hepatic insufficiency', 'hepatitis'] },
  { id: 'hepatitis-b', label: 'Hepatitis B', terms: ['hepatitis b', 'hbv', 'hbsag positive'], abbr: ['HBV'], parent: 'liver-disease' },
  { id: 'hepatitis-c', label: 'Hepatitis C', terms: ['hepatitis c', 'hcv'], abbr: ['HCV'], parent: 'liver-disease' },
  { id: 'hiv', label: 'HIV infection', terms: ['hiv', 'human immunodeficiency virus', 'acquired immunodeficiency syndrome', 'hiv positive', 'hiv infection'], abbr: ['HIV', 'AIDS'], parent: 'infection' },
  { id: 'tuberculosis', label: 'Tuberculosis', terms: ['tuberculosis'], abbr: ['TB'], parent: 'infection' },
  { id: 'dementia', label: 'Dementia', terms: ['dementia', 'alzheimer', "alzheimer's disease", 'alzheimers', 'cognitive impairment', 'cognitive decline'] },
  { id: 'depression', label: 'Depression', terms: ['depression', 'depressive disorder', 'major depression', 'depressed mood'], abbr: ['MDD'] },
  { id: 'psychiatric-disorder', label: 'Psychiatric disorder', terms: ['psychiatric illness', 'psychiatric disorder', 'mental illness', 'schizophrenia', 'bipolar disorder', 'psychosis', 'psychotic'] },
  { id: 'epilepsy', label: 'Epilepsy or seizures', terms: ['epilepsy', 'seizure', 'seizures', 'seizure disorder', 'convulsions'] },
  { id: 'substance-abuse', label: 'Substance or alcohol abuse', terms: ['alcohol abuse', 'alcoholism', 'alcohol dependence', 'drug abuse', 'substance abuse', 'drug addiction', 'substance use disorder', 'illicit drug use', 'etoh abuse'] },
  { id: 'smoking', label: 'Tobacco smoking', terms: ['smoker', 'smoking', 'smokes', 'tobacco use', 'tobacco abuse', 'cigarette', 'cigarettes', 'current smoker'], negativeTerms: ['nonsmoker', 'non-smoker', 'never smoker', 'never smoked', 'nonsmoking'] },
  { id: 'autoimmune-disease', label: 'Autoimmune disease', terms: ['autoimmune disease', 'rheumatoid arthritis', 'systemic lupus erythematosus', 'lupus', 'scleroderma', 'vasculitis', 'sjogren', 'psoriasis', 'multiple sclerosis'], abbr: ['SLE'] },
  { id: 'inflammatory-bowel-disease', label: 'Inflammatory bowel disease', terms: ['inflammatory bowel disease', "crohn's disease", 'crohn disease', 'crohns', 'ulcerative colitis'], abbr: ['IBD'] },
  { id: 'immunodeficiency', label: 'Immunodeficiency', terms: ['immunodeficiency', 'immunocompromised', 'immunosuppressed', 'immune deficiency', 'neutropenia'] },
  { id: 'transplant', label: 'Organ transplant', terms: ['transplant', 'transplantation', 'transplanted'] },
  { id: 'bleeding-disorder', label: 'Bleeding disorder', terms: ['bleeding disorder', 'coagulopathy', 'hemophilia', 'haemophilia', 'bleeding diathesis', 'thrombocytopenia', 'active bleeding', 'gastrointestinal bleeding', 'gi bleed'] },
  { id: 'thyroid-disease', label: 'Thyroid disease', terms: ['hypothyroidism', 'hyperthyroidism', 'thyroid disease', 'thyroiditis', 'graves disease', 'goiter'] },
  { id: 'hyperlipidaemia', label: 'Hyperlipidaemia', terms: ['hyperlipidemia', 'hyperlipidaemia', 'hypercholesterolemia', 'hypercholesterolaemia', 'dyslipidemia', 'dyslipidaemia', 'high cholesterol'], abbr: ['HLD', 'HL'] },
  { id: 'osteoporosis', label: 'Osteoporosis', terms: ['osteoporosis', 'osteopenia'] },
  { id: 'sleep-apnoea', label: 'Sleep apnoea', terms: ['sleep apnea', 'sleep apnoea', 'obstructive sleep apnea'], abbr: ['OSA'] },
  { id: 'valvular-disease', label: 'Valvular heart disease', terms: ['valvular heart disease', 'aortic stenosis', 'mitral regurgitation', 'aortic regurgitation', 'aortic insufficiency', 'mitral stenosis', 'valve replacement', 'valvular disease'] },
  { id: 'pulmonary-hypertension', label: 'Pulmonary hypertension', terms: ['pulmonary hypertension', 'pulmonary arterial hypertension'], abbr: ['PAH'] },
  { id: 'peptic-ulcer', label: 'Peptic ulcer disease', terms: ['peptic ulcer', 'gastric ulcer', 'duodenal ulcer'] },
  { id: 'pancreatitis', label: 'Pancreatitis', terms: ['pancreatitis'] },
  { id: 'headache', label: 'Headache', terms: ['headache', 'headaches', 'migraine', 'migraines'] },
  { id: 'chest-pain', label: 'Chest pain', terms: ['chest pain'] },
  { id: 'fever', label: 'Fever', terms: ['fever', 'febrile', 'pyrexia'] },
  { id: 'cough', label: 'Cough', terms: ['cough', 'coughing', 'productive cough'] },
  { id: 'dyspnoea', label: 'Dyspnoea', terms: ['dyspnea', 'dyspnoea', 'shortness of breath', 'breathlessness', 'short of breath', 'difficulty breathing'], abbr: ['SOB', 'DOE'] },
  { id: 'abdominal-pain', label: 'Abdominal pain', terms: ['abdominal pain', 'stomach pain', 'epigastric pain', 'belly pain'] },
  { id: 'vomiting', label: 'Nausea or vomiting', terms: ['vomiting', 'nausea', 'emesis'] },
  { id: 'diarrhoea', label: 'Diarrhoea', terms: ['diarrhea', 'diarrhoea', 'loose stools', 'loose stool'] },
  { id: 'syncope', label: 'Syncope', terms: ['syncope', 'fainting', 'loss of consciousness', 'passed out'] },
  { id: 'oedema', label: 'Oedema', terms: ['edema', 'oedema', 'leg swelling'] },
  { id: 'pregnancy', label: 'Pregnancy', terms: ['pregnant', 'pregnancy', 'positive pregnancy test', 'expecting a baby'], valueSet: 'cairn-pregnancy', coding: { system: SNOMED, code: '77386006', display: 'Pregnant (finding)' } },
  {
    id: 'breastfeeding',
    label: 'Breastfeeding',
    terms: ['breastfeeding', 'breast-feeding', 'breast feeding', 'lactating', 'lactation', 'nursing mother', 'nursing women', 'nursing woman', 'nursing mothers', 'nursing a baby', 'nursing an infant'],
    // "pregnant or nursing": nursing next to pregnancy, never "nursing home" or "nursing staff".
    patterns: [/(?<=\bpregnan(?:t|cy)\s*(?:or|and|\/|,)\s*)nursing\b/gi],
  },
];

export const MEDICATIONS: readonly Concept[] = [
  { id: 'insulin', label: 'Insulin', terms: ['insulin', 'insulin glargine', 'insulin therapy'] },
  { id: 'metformin', label: 'Metformin', terms: ['metformin', 'glucophage'] },
  { id: 'antidiabetic', label: 'Glucose-lowering drug', terms: ['oral hypoglycemic', 'oral hypoglycaemic', 'antidiabetic', 'sulfonylurea', 'glipizide', 'glyburide', 'glimepiride', 'pioglitazone', 'sitagliptin', 'glp-1', 'sglt2'] },
  { id: 'anticoagulant', label: 'Anticoagulant', terms: ['anticoagulant', 'anticoagulants', 'anticoagulation', 'warfarin', 'coumadin', 'heparin', 'enoxaparin', 'apixaban', 'rivaroxaban', 'dabigatran'] },
  { id: 'antiplatelet', label: 'Antiplatelet drug', terms: ['aspirin', 'clopidogrel', 'plavix', 'antiplatelet', 'ticagrelor', 'prasugrel'], abbr: ['ASA'] },
  { id: 'corticosteroid', label: 'Systemic corticosteroid', terms: ['corticosteroid', 'corticosteroids', 'steroid', 'steroids', 'glucocorticoid', 'glucocorticoids', 'prednisone', 'prednisolone', 'methylprednisolone', 'dexamethasone', 'hydrocortisone'] },
  { id: 'immunosuppressant', label: 'Immunosuppressant', terms: ['immunosuppressant', 'immunosuppressive', 'immunosuppression', 'cyclosporine', 'tacrolimus', 'azathioprine', 'mycophenolate', 'methotrexate'] },
  { id: 'chemotherapy', label: 'Chemotherapy', terms: ['chemotherapy', 'chemotherapeutic', 'cytotoxic', 'antineoplastic', 'temozolomide', 'cisplatin', 'carboplatin', 'paclitaxel', 'docetaxel', 'irinotecan', 'doxorubicin', 'cyclophosphamide', 'bevacizumab', 'avastin'] },
  { id: 'radiotherapy', label: 'Radiotherapy', terms: ['radiotherapy', 'radiation therapy', 'irradiation', 'radiation'] },
  { id: 'antibiotic', label: 'Antibiotic', terms: ['antibiotic', 'antibiotics', 'antimicrobial', 'amoxicillin', 'penicillin', 'ceftriaxone', 'vancomycin', 'azithromycin', 'ciprofloxacin', 'levofloxacin', 'doxycycline'], valueSet: 'cairn-antibiotics' },
  { id: 'antihypertensive', label: 'Antihypertensive drug', terms: ['antihypertensive', 'antihypertensives', 'ace inhibitor', 'angiotensin receptor blocker', 'lisinopril', 'enalapril', 'losartan', 'valsartan', 'amlodipine', 'hydrochlorothiazide', 'calcium channel blocker', 'calcium channel blockers'], abbr: ['ACEI', 'ARB', 'HCTZ'] },
  { id: 'beta-blocker', label: 'Beta blocker', terms: ['beta blocker', 'beta-blocker', 'beta blockers', 'beta-blockers', 'metoprolol', 'atenolol', 'carvedilol', 'propranolol', 'bisoprolol'], abbr: ['BB'] },
  { id: 'diuretic', label: 'Diuretic', terms: ['diuretic', 'diuretics', 'furosemide', 'lasix', 'torsemide', 'spironolactone', 'thiazide'] },
  { id: 'statin', label: 'Statin', terms: ['statin', 'statins', 'atorvastatin', 'simvastatin', 'rosuvastatin', 'pravastatin', 'lipid-lowering'] },
  { id: 'nsaid', label: 'NSAID', terms: ['nsaid', 'nsaids', 'non-steroidal anti-inflammatory', 'nonsteroidal anti-inflammatory', 'ibuprofen', 'naproxen', 'diclofenac', 'celecoxib'] },
  { id: 'opioid', label: 'Opioid', terms: ['opioid', 'opioids', 'opiate', 'opiates', 'morphine', 'oxycodone', 'hydromorphone', 'fentanyl', 'narcotic', 'narcotics'] },
  { id: 'antidepressant', label: 'Antidepressant', terms: ['antidepressant', 'antidepressants', 'ssri', 'ssris', 'sertraline', 'fluoxetine', 'citalopram', 'escitalopram', 'paroxetine'] },
  { id: 'hormone-therapy', label: 'Hormone therapy', terms: ['hormone therapy', 'hormone replacement', 'estrogen therapy', 'estrogen replacement', 'oestrogen therapy', 'oral contraceptive', 'oral contraceptives', 'tamoxifen'], abbr: ['HRT'] },
  { id: 'antiretroviral', label: 'Antiretroviral therapy', terms: ['antiretroviral', 'antiretrovirals', 'haart'], abbr: ['ART', 'HAART'] },
  { id: 'investigational-drug', label: 'Investigational drug', terms: ['investigational drug', 'investigational agent', 'investigational product', 'experimental drug', 'another clinical trial', 'another investigational'] },
];

/**
 * The analytes trial parsing reads (those with trial names), with exactly the fields parsing
 * depends on: the parser fingerprint hashes this, so guideline-only names can change without
 * re-parsing every stored trial.
 */
export const TRIAL_ANALYTES = ANALYTES.flatMap((a) => (a.trials ? [{ id: a.id, label: a.label, quantity: a.quantity, terms: a.trials.terms, abbr: a.trials.abbr }] : []));

export interface Mention {
  conceptId: string;
  /** The words as written. */
  text: string;
  start: number;
  end: number;
  /** The mention is one of the concept's negative terms ("nonsmoker"). */
  negativeForm: boolean;
}

interface CompiledPattern {
  re: RegExp;
  negativeForm: boolean;
  /**
   * What the text of any match contains once lower-cased with its spaces and hyphens dropped
   * (see `compact`); undefined for a free-form pattern. A text whose compact form lacks it cannot
   * match, which spares running the regular expression: most of the ~600 patterns are absent
   * from any one note sentence, and running them all was most of a patient's profile.
   */
  literal?: string;
}

interface CompiledConcept {
  concept: Concept;
  patterns: CompiledPattern[];
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/[- ]/g, '[- ]?');
}

/**
 * Lower case without spaces and hyphens. An escaped term matches its own characters in order,
 * each space or hyphen optional (`escape`), and case aside: so the compact form of any match is
 * the term's compact form, and lies within the compact form of the text. Only for ASCII terms:
 * a case-insensitive (non-Unicode) expression never matches an ASCII letter with another
 * character, which makes lower-casing both sides exact.
 */
export function compact(s: string): string {
  return s.toLowerCase().replace(/[- ]/g, '');
}

function literalOf(term: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(term) ? compact(term) : undefined;
}

function compile(concepts: readonly Concept[]): CompiledConcept[] {
  return concepts.map((concept) => ({
    concept,
    patterns: [
      ...concept.terms.map((t) => withLiteral({ re: new RegExp(`(?<![a-z0-9])${escape(t)}(?:s|es)?(?![a-z0-9])`, 'gi'), negativeForm: false }, t)),
      ...(concept.abbr ?? []).map((a) => withLiteral({ re: new RegExp(`(?<![A-Za-z0-9])${escape(a)}s?(?![A-Za-z0-9])`, 'g'), negativeForm: false }, a)),
      ...(concept.negativeTerms ?? []).map((t) => withLiteral({ re: new RegExp(`(?<![a-z0-9])${escape(t)}s?(?![a-z0-9])`, 'gi'), negativeForm: true }, t)),
      ...(concept.patterns ?? []).map((re) => ({ re: new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`), negativeForm: false })),
    ],
  }));
}

function withLiteral(p: CompiledPattern, term: string): CompiledPattern {
  const literal = literalOf(term);
  return literal === undefined ? p : { ...p, literal };
}

const COMPILED_CONDITIONS = compile(CONDITIONS);
const COMPILED_MEDICATIONS = compile(MEDICATIONS);

/**
 * The patterns worth trying on a text: those whose literal starts with a pair of characters the
 * text's compact form holds, and those without a literal (or too short for a pair). Looking up
 * the text's pairs is cheaper than testing 600 literals one by one; each candidate's literal is
 * still checked whole before its regular expression runs.
 */
class PatternIndex {
  readonly #byPair = new Map<string, CompiledPattern[]>();
  readonly #always: CompiledPattern[] = [];

  constructor(compiled: readonly CompiledConcept[]) {
    for (const { patterns } of compiled) {
      for (const p of patterns) {
        if (p.literal === undefined || p.literal.length < 2) this.#always.push(p);
        else {
          const pair = p.literal.slice(0, 2);
          this.#byPair.set(pair, [...(this.#byPair.get(pair) ?? []), p]);
        }
      }
    }
  }

  candidates(compacted: string): Set<CompiledPattern> {
    const pairs = new Set<string>();
    for (let i = 0; i + 1 < compacted.length; i++) pairs.add(compacted.slice(i, i + 2));
    const out = new Set(this.#always);
    for (const pair of pairs) for (const p of this.#byPair.get(pair) ?? []) out.add(p);
    return out;
  }
}

const INDEXES = new Map<readonly CompiledConcept[], PatternIndex>([
  [COMPILED_CONDITIONS, new PatternIndex(COMPILED_CONDITIONS)],
  [COMPILED_MEDICATIONS, new PatternIndex(COMPILED_MEDICATIONS)],
]);

/** The patterns of `compiled` that may match `compacted` (see PatternIndex). */
function mayMatch(compiled: readonly CompiledConcept[], compacted: string): (p: CompiledPattern) => boolean {
  const candidates = (INDEXES.get(compiled) as PatternIndex).candidates(compacted);
  return (p) => candidates.has(p) && (p.literal === undefined || compacted.includes(p.literal));
}

/**
 * Older ClinicalTrials.gov records lost their apostrophes to a space ("Crohn s disease",
 * "Hodgkin s lymphoma", "investigator s opinion"): a lone "s" after a word is its possessive.
 * Same length, so the mentions' offsets stay those of the text.
 */
function restorePossessives(folded: string): string {
  // Not "s/p" (status post): "patient s/p CABG".
  return folded.replace(/([A-Za-z]{3}) s(?![A-Za-z0-9/])/g, "$1's");
}

/**
 * Every mention of a concept in the text, longest first where two overlap ("type 2 diabetes"
 * beats "diabetes" for the same words, but both concepts are reported: the narrower one and,
 * through `parent`, the broader one are different facts).
 */
function findMentions(compiled: readonly CompiledConcept[], text: string): Mention[] {
  const folded = restorePossessives(asciiFold(text));
  const tryPattern = mayMatch(compiled, compact(folded));
  const out: Mention[] = [];
  for (const { concept, patterns } of compiled) {
    let best: Mention | undefined;
    for (const p of patterns) {
      if (!tryPattern(p)) continue;
      const { re, negativeForm } = p;
      re.lastIndex = 0;
      for (const m of folded.matchAll(re)) {
        const mention = { conceptId: concept.id, text: m[0], start: m.index, end: m.index + m[0].length, negativeForm };
        // One mention per concept per text: the first, preferring negative forms that cover it.
        if (!best || (mention.negativeForm && !best.negativeForm) || (mention.start < best.start && !best.negativeForm)) best = mention;
      }
    }
    if (best) out.push(best);
  }
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}

/** All mentions of each concept (not only the first): the judge needs every sentence that names it. */
function findAllMentions(compiled: readonly CompiledConcept[], text: string): Mention[] {
  const folded = restorePossessives(asciiFold(text));
  const tryPattern = mayMatch(compiled, compact(folded));
  const out: Mention[] = [];
  for (const { concept, patterns } of compiled) {
    for (const p of patterns) {
      if (!tryPattern(p)) continue;
      const { re, negativeForm } = p;
      re.lastIndex = 0;
      for (const m of folded.matchAll(re)) {
        const end = m.index + m[0].length;
        // The same words found by two spellings (a term and its abbreviation) are one mention.
        if (!out.some((o) => o.conceptId === concept.id && o.start === m.index && o.end === end)) {
          out.push({ conceptId: concept.id, text: m[0], start: m.index, end, negativeForm });
        }
      }
    }
  }
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}

/**
 * Drops a mention that lies strictly inside a longer mention of another concept: "acute renal
 * failure" is acute kidney injury, not also the chronic "renal failure" it contains; "type 2
 * diabetes" is reported as such, and the judge infers the broader "diabetes" through `parent`.
 * Also the concept's own word inside one of its negative terms: "Non-smoker" is not a "smoker"
 * (that mention made a "current smoker" exclusion met on the note "Non-smoker.").
 */
function dropContained(mentions: Mention[]): Mention[] {
  return mentions.filter(
    (m) =>
      !mentions.some(
        (o) =>
          o !== m &&
          (o.conceptId !== m.conceptId || (o.negativeForm && !m.negativeForm)) &&
          o.start <= m.start &&
          o.end >= m.end &&
          o.end - o.start > m.end - m.start,
      ),
  );
}

/** Every pattern with its literal, for the test that the literal check only ever skips patterns that cannot match. */
export function lexiconPatterns(): ReadonlyArray<Readonly<CompiledPattern> & { conceptId: string }> {
  return [...COMPILED_CONDITIONS, ...COMPILED_MEDICATIONS].flatMap(({ concept, patterns }) => patterns.map((p) => ({ ...p, conceptId: concept.id })));
}

export function conditionMentions(text: string, all = false): Mention[] {
  return dropContained(all ? findAllMentions(COMPILED_CONDITIONS, text) : findMentions(COMPILED_CONDITIONS, text));
}

export function medicationMentions(text: string, all = false): Mention[] {
  return dropContained(all ? findAllMentions(COMPILED_MEDICATIONS, text) : findMentions(COMPILED_MEDICATIONS, text));
}

const CONCEPTS_BY_ID = new Map<string, Concept>([...CONDITIONS, ...MEDICATIONS].map((c) => [c.id, c]));

export function conceptById(id: string): Concept | undefined {
  return CONCEPTS_BY_ID.get(id);
}

/** The concept and every broader one, narrowest first. */
export function conceptAncestry(id: string): string[] {
  const out: string[] = [];
  let current: string | undefined = id;
  while (current && !out.includes(current)) {
    out.push(current);
    current = CONCEPTS_BY_ID.get(current)?.parent;
  }
  return out;
}

const DESCENDANTS = new Map<string, string[]>();

/** Concepts whose parent chain reaches `id` (excluding `id`). */
export function conceptDescendants(id: string): string[] {
  let out = DESCENDANTS.get(id);
  if (!out) {
    out = [...CONCEPTS_BY_ID.values()].filter((c) => c.id !== id && conceptAncestry(c.id).includes(id)).map((c) => c.id);
    DESCENDANTS.set(id, out);
  }
  return out;
}

const COMPILED_ANALYTES = ANALYTES.flatMap((analyte) => {
  const names = analyte.trials;
  if (!names) return [];
  const patterns = [
    ...names.terms.map((t) => new RegExp(`(?<![a-z0-9])${escape(t)}(?![a-z0-9])`, 'gi')),
    ...(names.abbr ?? []).map((t) => new RegExp(`(?<![A-Za-z0-9])${escape(t)}(?![A-Za-z0-9])`, 'g')),
  ];
  return [{ analyte, patterns }];
});

export interface AnalyteMention {
  analyte: Analyte;
  start: number;
  end: number;
}

/** Analyte names in the text, longest match first at each position, non-overlapping. */
export function analyteMentions(text: string): AnalyteMention[] {
  const folded = asciiFold(text);
  const found: AnalyteMention[] = [];
  for (const { analyte, patterns } of COMPILED_ANALYTES) {
    for (const re of patterns) {
      re.lastIndex = 0;
      for (const m of folded.matchAll(re)) found.push({ analyte, start: m.index, end: m.index + m[0].length });
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: AnalyteMention[] = [];
  for (const f of found) {
    const last = out[out.length - 1];
    if (last && f.start < last.end) continue;
    out.push(f);
  }
  return out;
}
