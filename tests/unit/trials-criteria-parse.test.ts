/** Criteria text → atomic criteria with structure: the parser's specification, as tables. */
import { describe, expect, it } from '@jest/globals';
import {
  describeStructure,
  parseAge,
  parseCriterion,
  parsePerformance,
  parseSex,
  splitCriteria,
  splitEligibility,
  type CriterionKind,
} from '../../src/services/trials/matching/criteria-parse.js';
import { extractMeasurements } from '../../src/services/trials/matching/measurements.js';
import { defaultValueSetIndex } from '../../src/fhir/context/value-sets.js';
import { CONDITIONS } from '../../src/services/trials/matching/lexicon.js';

const parse = (text: string, kind: CriterionKind = 'inclusion', context?: string) =>
  parseCriterion({ kind, text, origin: 'text', ...(context !== undefined && { context }) }).structure;

describe('splitEligibility', () => {
  it('splits at the Exclusion heading at the start of a line; text before any heading is inclusion', () => {
    const s = splitEligibility('Inclusion Criteria:\n\n- Age 18 or older\n\nExclusion Criteria:\n\n- Pregnancy\n- Dialysis');
    expect(s.inclusion).toBe('- Age 18 or older');
    expect(s.exclusion).toBe('- Pregnancy\n- Dialysis');
    expect(splitEligibility('- Adults with asthma').exclusion).toBe('');
  });

  it('keeps "exclusion criteria" words inside a sentence in their section', () => {
    const s = splitEligibility('Inclusion Criteria:\n- Meets the exclusion criteria of the parent study: no\n');
    expect(s.exclusion).toBe('');
  });

  it('reads "CRITERIA FOR EXCLUSION:", the heading written the other way round', () => {
    const s = splitEligibility('CRITERIA FOR INCLUSION:\n\nAge 18 to 70 years\n\nCRITERIA FOR EXCLUSION:\n\nWomen 56 years of age and older will be assumed to be postmenopausal.');
    expect(s).toEqual({ inclusion: 'Age 18 to 70 years', exclusion: 'Women 56 years of age and older will be assumed to be postmenopausal.' });
  });

  it('reads "Patients will be excluded if:" as the exclusion heading', () => {
    const s = splitEligibility('Patients with COPD\nPatients will be excluded if:\nthey smoke');
    expect(s.exclusion).toBe('they smoke');
  });
});

describe('splitCriteria', () => {
  it('one criterion per bullet, wrapped lines joined', () => {
    const items = splitCriteria('-  Histologically confirmed astrocytoma that has progressed,\nrecurred, or persisted\n\n-  No brain stem tumors', 'inclusion');
    expect(items.map((i) => i.text)).toEqual(['Histologically confirmed astrocytoma that has progressed, recurred, or persisted', 'No brain stem tumors']);
  });

  it('numbered items and blank-line paragraphs, several sentences of a paragraph split', () => {
    const items = splitCriteria('1. Adults with type 2 diabetes\n2) HbA1c 7-10%\n\nAll patients consent. They must be ambulatory.', 'inclusion');
    expect(items.map((i) => i.text)).toEqual(['Adults with type 2 diabetes', 'HbA1c 7-10%', 'All patients consent.', 'They must be ambulatory.']);
  });

  it('PDQ headings become the context of the items under them', () => {
    const items = splitCriteria('PATIENT CHARACTERISTICS:\n\nAge:\n\n-  18 and over\n\nPerformance status:\n\n-  Karnofsky 60-100%', 'inclusion');
    expect(items).toEqual([
      { kind: 'inclusion', text: '18 and over', context: 'PATIENT CHARACTERISTICS > Age', origin: 'text' },
      { kind: 'inclusion', text: 'Karnofsky 60-100%', context: 'PATIENT CHARACTERISTICS > Performance status', origin: 'text' },
    ]);
  });

  it('an Exclusion heading inside the text switches the kind', () => {
    const items = splitCriteria('- asthma\nExclusion Criteria:\n- smoker', 'inclusion');
    expect(items.map((i) => [i.kind, i.text])).toEqual([
      ['inclusion', 'asthma'],
      ['exclusion', 'smoker'],
    ]);
  });

  it('items under "one of the following" share an alternatives group', () => {
    const items = splitCriteria('- One of the following diagnoses\n- Diffuse large cell lymphoma\n- Follicular lymphoma\n\nOTHER:\n- No HIV', 'inclusion');
    const [a, b, c] = items;
    expect(a?.alternatives).toBeDefined();
    expect(b?.alternatives).toBe(a?.alternatives);
    expect(c?.alternatives).toBeUndefined();
  });

  it('a blank line inside a wrapped item does not cut it: a lower-case line or a bare OR carries on the sentence', () => {
    const text = [
      '1. Patients with a verifiable diagnosis of Crohn s disease, supported by characteristic',
      'clinical features or consistent histopathologic mucosal',
      '',
      'changes OR',
      '',
      '2. Patients with an unclassified inflammatory bowel disease OR',
      '',
      '3. Patients with a defined genetic syndrome linked to inflammatory bowel disease',
      '',
      'age > 18',
      '',
      'able to consent',
    ].join('\n');
    const items = splitCriteria(text, 'inclusion');
    expect(items.map((i) => i.text)).toEqual([
      'Patients with a verifiable diagnosis of Crohn s disease, supported by characteristic clinical features or consistent histopathologic mucosal changes',
      'Patients with an unclassified inflammatory bowel disease',
      'Patients with a defined genetic syndrome linked to inflammatory bowel disease',
      // A short item is not wrapped prose: the lower-case line after it is an item of its own.
      'age > 18',
      'able to consent',
    ]);
    // Items joined by a trailing OR are alternatives, up to the first without one.
    const [a, b, c, d] = items;
    expect(a?.alternatives).toBeDefined();
    expect([b?.alternatives, c?.alternatives]).toEqual([a?.alternatives, a?.alternatives]);
    expect(d?.alternatives).toBeUndefined();
  });

  it('skips placeholders', () => {
    expect(splitCriteria('- See Disease Characteristics\n- Not specified\n- asthma', 'inclusion').map((i) => i.text)).toEqual(['asthma']);
  });
});

describe('age ranges', () => {
  it.each<[string, string | undefined, ReturnType<typeof parseAge>]>([
    ['Age 18 to 65 years', undefined, { min: 18, max: 65, minInclusive: true, maxInclusive: true }],
    ['Males and females between the ages of 18 and 82.', undefined, { min: 18, max: 82, minInclusive: true, maxInclusive: true }],
    ['18 years of age or older', undefined, { min: 18, minInclusive: true, maxInclusive: true }],
    ['>= 18 years', undefined, { min: 18, minInclusive: true, maxInclusive: true }],
    ['older than 40', undefined, { min: 40, minInclusive: false, maxInclusive: true }],
    ['Patients younger than 18 years', undefined, { max: 18, minInclusive: true, maxInclusive: false }],
    ['65 years or younger', undefined, { max: 65, minInclusive: true, maxInclusive: true }],
    ['Children 6 months to 5 years of age', undefined, { min: 0.5, max: 5, minInclusive: true, maxInclusive: true }],
    ['18 and over', 'PATIENT CHARACTERISTICS > Age', { min: 18, minInclusive: true, maxInclusive: true }],
    ['Postmenopausal women aged 50-75 years', undefined, { min: 50, max: 75, minInclusive: true, maxInclusive: true }],
    ['Must be greater than or equal to 18 years old.', undefined, { min: 18, minInclusive: true, maxInclusive: true }],
    ['Age less than or equal to 65 years', undefined, { max: 65, minInclusive: true, maxInclusive: true }],
    // An age in parentheses is an aside about some participants; the range is the one outside.
    [
      'All subjects will be between ages 0-75 (must be > 18 years old for patients without IBD and may be as young as 0-2 years old for mail-in samples).',
      undefined,
      { min: 0, max: 75, minInclusive: true, maxInclusive: true },
    ],
  ])('%s', (text, context, expected) => {
    expect(parseAge(text, context)).toEqual(expected);
  });

  it.each([
    'Diabetes for at least 5 years',
    'History of cancer within the past 5 years',
    'FVC of > 80 % of that predicted for gender and age',
    'At least 4 weeks since prior chemotherapy',
    // Two groups' ages read as one leave no age ("12 to 15 … greater than 15"): not a range of its own.
    'Adequate organ function [in children serum creatinine less than or equal to age-adjusted normal (age 12 to 15 maximum 1.2 mg/dl and age greater than 15 maximum 1.5 mg/dl)]',
    // "Stage" holds "age": a disease stage is not an age range.
    'Mild to Moderate Parkinson s Disease (Hoehn and Yahr Stage 1-3).',
    // Different ages for each sex: which applies is not the parser's to pick.
    'Age greater than or equal to 40 years for males and greater than or equal to 50 years for females.',
  ])('no age in: %s', (text) => {
    expect(parseAge(text)).toBeUndefined();
  });
});

describe('sex', () => {
  it.each<[string, ReturnType<typeof parseSex>]>([
    ['Postmenopausal women aged 50-75 years', 'female'],
    ['Female, 18 years or older', 'female'],
    ['Men with prostate cancer', 'male'],
    ['Must be male', 'male'],
    ['Males and females between the ages of 18 and 82', 'any'],
    ['Patients of both sexes', 'any'],
    ['Women of childbearing potential must use contraception', undefined],
    ['Women who are pregnant or breastfeeding', undefined],
    ['Patients with type 2 diabetes', undefined],
  ])('%s → %s', (text, expected) => {
    expect(parseSex(text)).toBe(expected);
  });
});

describe('performance status', () => {
  it.each<[string, string | undefined, ReturnType<typeof parsePerformance>]>([
    ['ECOG performance status 0-2', undefined, { scale: 'ecog', min: 0, max: 2 }],
    ['ECOG <= 1', undefined, { scale: 'ecog', max: 1 }],
    ['Karnofsky >= 70%', undefined, { scale: 'karnofsky', min: 70 }],
    ['Karnofsky 60-100%', 'PATIENT CHARACTERISTICS > Performance status', { scale: 'karnofsky', min: 60, max: 100 }],
    ['0-1', 'Performance status', { scale: 'ecog', min: 0, max: 1 }],
    ['Zubrod 0-2', undefined, { scale: 'ecog', min: 0, max: 2 }],
  ])('%s', (text, context, expected) => {
    expect(parsePerformance(text, context)).toEqual(expected);
  });
});

describe('lab and vital thresholds (canonical units as in PatientContext)', () => {
  const one = (text: string) => {
    const [m] = extractMeasurements(text);
    return m && { analyte: m.analyteId, comparator: m.comparator, value: m.value, value2: m.value2, canonical: m.canonical, relative: m.relative };
  };
  it.each<[string, Record<string, unknown>]>([
    ['Creatinine no greater than 2.5 mg/dL', { analyte: 'creatinine', comparator: '<=', value: 2.5, canonical: { value: 2.5, unit: 'mg/dL' } }],
    ['Serum creatinine > 221 umol/L', { analyte: 'creatinine', comparator: '>', canonical: { value: expect.closeTo(2.5, 3), unit: 'mg/dL' } }],
    ['WBC at least 2,000/mm^3', { analyte: 'wbc', comparator: '>=', value: 2000, canonical: { value: 2, unit: '10*3/uL' } }],
    ['Platelet count at least 100,000/mm3', { analyte: 'platelets', comparator: '>=', canonical: { value: 100, unit: '10*3/uL' } }],
    ['HbA1c between 7% and 10%', { analyte: 'hba1c', comparator: 'between', value: 7, value2: 10, canonical: { value: 7, value2: 10, unit: '%' } }],
    ['HbA1c >= 53 mmol/mol', { analyte: 'hba1c', comparator: '>=', canonical: { value: 7.00044, unit: '%' } }],
    ['eGFR < 30 mL/min/1.73m2', { analyte: 'egfr', comparator: '<', canonical: { value: 30, unit: 'mL/min/{1.73_m2}' } }],
    ['Body mass index (BMI) >= 30 kg/m2', { analyte: 'bmi', comparator: '>=', canonical: { value: 30, unit: 'kg/m2' } }],
    ['Fasting glucose > 7 mmol/L', { analyte: 'fasting-glucose', comparator: '>' }],
    ['Hypertension of > 170/100 mm of Hg', { analyte: 'blood-pressure', comparator: '>', value: 170, value2: 100 }],
    ['Serum creatinine > 1.5 x ULN', { analyte: 'creatinine', comparator: '>', value: 1.5, relative: 'ULN' }],
    ['Absolute neutrophil count >= 1500/uL', { analyte: 'anc', comparator: '>=', value: 1500 }],
  ])('%s', (text, expected) => {
    expect(one(text)).toMatchObject(expected);
  });

  it('converts glucose mmol/L with its molar mass', () => {
    const [m] = extractMeasurements('Fasting glucose > 7 mmol/L');
    expect(m?.canonical?.unit).toBe('mg/dL');
    expect(m?.canonical?.value).toBeCloseTo(126.1, 1);
  });

  it('reads values in notes with no comparator', () => {
    expect(extractMeasurements('Labs: creatinine of 2.3, BP 160/95, temperature 101.2 F.').map((m) => [m.analyteId, m.comparator, m.canonical?.value])).toEqual([
      ['creatinine', '=', 2.3],
      ['blood-pressure', '=', 160],
      ['temperature', '=', expect.closeTo(38.44, 2) as unknown as number],
    ]);
  });
});

describe('structure of whole criteria', () => {
  it.each<[string, CriterionKind, string]>([
    ['No uncontrolled hypertension', 'inclusion', 'condition: no (qualified) Hypertension [38341003]'],
    ['Not pregnant or nursing', 'inclusion', 'pregnancy: not pregnant/breastfeeding'],
    ['Pregnant and nursing women', 'exclusion', 'pregnancy: pregnant/breastfeeding'],
    ['IDDM (Type-1 diabetes mellitus)', 'exclusion', 'condition: Type 1 diabetes mellitus [46635009]'],
    ['Type 2 diabetes treated with metformin', 'inclusion', 'condition: Type 2 diabetes mellitus [44054006]; drug: Metformin'],
    ['Fertile patients must use effective contraception', 'inclusion', 'contraception'],
    ['Patient must be able to give voluntary written informed consent.', 'inclusion', 'administrative'],
    ['History of myocardial infarction within 6 months', 'exclusion', 'condition: (qualified) Myocardial infarction'],
    ['Receipt of LAIV within the prior 14 days', 'exclusion', 'other'],
    // Older records lost their apostrophes to a space: "Crohn s" is Crohn's.
    ['Verifiable diagnosis of Crohn s disease', 'inclusion', 'condition: Inflammatory bowel disease'],
    // The conditions in an age criterion's parentheses are an aside about some participants.
    ['Between ages 0-75 (older than 18 for patients without IBD)', 'inclusion', 'age: age >=0 & <=75 y'],
  ])('%s', (text, kind, expected) => {
    expect(describeStructure(parse(text, kind))).toBe(expected);
  });

  it('negation: "no history of", "without", "not" make the criterion ask for an absence', () => {
    expect(parse('No history of stroke').negated).toBe(true);
    expect(parse('Patients without diabetes').negated).toBe(true);
    expect(parse('Inability to give consent').negated).toBe(false);
    expect(parse('History of stroke').negated).toBe(false);
    const mixed = parse('Type 2 diabetes without insulin therapy');
    expect(mixed.conditions[0]).toMatchObject({ conceptId: 'type-2-diabetes', negated: false });
    expect(mixed.medications[0]).toMatchObject({ conceptId: 'insulin', negated: true });
  });

  it('narrowing words are kept as qualifiers: "brain stem" tumours are not any cancer', () => {
    expect(parse('No brain stem tumors').conditions[0]?.qualifiers).toEqual(expect.arrayContaining(['brain', 'stem']));
    expect(parse('No other prior malignancy').conditions[0]?.qualifiers).toContain('other');
    expect(parse('No concurrent chemotherapy').medications[0]?.qualifiers).toContain('current');
    expect(parse('History of stroke').conditions[0]?.qualified).toBe(false);
  });

  it('the residual holds what the structure does not account for', () => {
    expect(parse('Patients with cutaneous leg ulcers due to diabetes mellitus').residual).toEqual(['cutaneous', 'leg', 'ulcer']);
    expect(parse('Males and females 18-65 years with hypertension').residual).toEqual([]);
    expect(parse('Obese patients (BMI > 27) older than 5 years').residual).toEqual([]);
  });

  it('every coded condition in the lexicon is in the value set it names', () => {
    const index = defaultValueSetIndex();
    for (const c of CONDITIONS.filter((x) => x.coding && x.valueSet)) {
      expect([c.id, index.contains(c.valueSet as string, c.coding?.system as string, c.coding?.code as string)]).toEqual([c.id, true]);
    }
  });
});

describe('splitCriteria as a coordinator reads it: lead-ins are never criteria, groups are OR or AND', () => {
  /** kind · alternatives group or "-" · text, one string per criterion. */
  const read = (raw: string) => {
    const sections = splitEligibility(raw);
    return [...splitCriteria(sections.inclusion, 'inclusion'), ...splitCriteria(sections.exclusion, 'exclusion')].map((c) => `${c.kind} · ${c.alternatives ?? '-'} · ${c.text}`);
  };

  it.each([
    {
      name: 'section headings and "must meet all of the following" introduce items (AND)',
      raw: 'Inclusion Criteria:\n\nPatients must meet all of the following:\n\n  - Age 18 years or older\n  - Confirmed adenocarcinoma of the prostate\n\nExclusion Criteria:\n\n  - Prior pelvic radiotherapy',
      want: ['inclusion · - · Age 18 years or older', 'inclusion · - · Confirmed adenocarcinoma of the prostate', 'exclusion · - · Prior pelvic radiotherapy'],
    },
    {
      name: 'a lead-in that is the last sentence of a numbered item (wrapped): the first sentence is the criterion',
      raw:
        'EXCLUSION CRITERIA:\n\n1. Subjects who cannot have an MRI will be excluded from the imaging visit. The contraindications include subjects with the following\ndevices or conditions:\n\n-  Aneurysm clips\n\n-  Cochlear implant\n\n2. Pregnant women.',
      want: [
        'exclusion · - · Subjects who cannot have an MRI will be excluded from the imaging visit.',
        'exclusion · - · Aneurysm clips',
        'exclusion · - · Cochlear implant',
        'exclusion · - · Pregnant women.',
      ],
    },
    {
      name: '"any of the following" nested: its children form one OR-criterion; a sibling "all of the following" ends it',
      raw: 'Inclusion Criteria:\n- Adults 18 to 75 years\n- Any of the following:\n  - Type 2 diabetes on metformin\n  - HbA1c 7.0-10.0%\n- Must have all of the following:\n  - BMI 25-40 kg/m2\n  - Stable weight for 3 months\n- Able to give consent',
      want: [
        'inclusion · - · Adults 18 to 75 years',
        'inclusion · inclusion-1 · Type 2 diabetes on metformin',
        'inclusion · inclusion-1 · HbA1c 7.0-10.0%',
        'inclusion · - · BMI 25-40 kg/m2',
        'inclusion · - · Stable weight for 3 months',
        'inclusion · - · Able to give consent',
      ],
    },
    {
      name: '"one of the following" under a numbered item, lettered children; the next number ends the group',
      raw: 'Inclusion criteria:\n1. Men and women aged 40 to 80 years.\n2. Current or former smokers with at least one of the following:\n   a. 10 pack-year history\n   b. chronic cough\n3. FEV1/FVC below 0.70 after bronchodilator.',
      want: [
        'inclusion · - · Men and women aged 40 to 80 years.',
        'inclusion · inclusion-1 · 10 pack-year history',
        'inclusion · inclusion-1 · chronic cough',
        'inclusion · - · FEV1/FVC below 0.70 after bronchodilator.',
      ],
    },
    {
      name: 'PDQ block headings and sub-headings are context, each item read under its own heading',
      raw: 'DISEASE CHARACTERISTICS:\nHistologically confirmed small cell lung cancer\n\nPATIENT CHARACTERISTICS:\nAge:\n- 18 and over\nPerformance status:\n- ECOG 0-2\nHepatic:\n- Bilirubin no greater than 1.5 mg/dL',
      want: [
        'inclusion · - · Histologically confirmed small cell lung cancer',
        'inclusion · - · 18 and over',
        'inclusion · - · ECOG 0-2',
        'inclusion · - · Bilirubin no greater than 1.5 mg/dL',
      ],
    },
  ])('$name', ({ raw, want }) => {
    expect(read(raw)).toEqual(want);
  });

  it('keeps each PDQ item under its own heading', () => {
    const items = splitCriteria('PATIENT CHARACTERISTICS:\nAge:\n- 18 and over\nPerformance status:\n- ECOG 0-2', 'inclusion');
    expect(items.map((i) => i.context)).toEqual(['PATIENT CHARACTERISTICS > Age', 'PATIENT CHARACTERISTICS > Performance status']);
  });

  it('no criterion ends in a colon', () => {
    const raw =
      'Inclusion Criteria:\nIn order to be eligible to participate in this study, an individual must meet all of the following criteria:\n- Provision of signed consent\n- Diagnosis of asthma for at least 12 months\nExclusion Criteria:\nAn individual who meets any of the following criteria will be excluded from participation in this study:\n- Current smoker\n- Treatment with oral steroids within 4 weeks';
    const texts = read(raw);
    expect(texts.filter((t) => /:$/.test(t))).toEqual([]);
    expect(texts).toHaveLength(4);
  });
});
