import { describe, expect, it } from '@jest/globals';
import { expandAbbreviations } from '../../../src/text/abbreviations.js';
import { codeFilterKeys, codeKey, codeSystemKey } from '../../../src/knowledge/codes.js';
import { buildGuidelineQuery } from '../../../src/knowledge/query-builder.js';
import { readableUnit } from '../../../src/fhir/context/units.js';
import { LRUCache } from 'lru-cache';
import { selectTerms, tsqueryOf } from '../../../src/search/terms.js';

describe('query builder (finding + key EHR facts)', () => {
  it('puts the hypothesis, its values and the patient facts into the query, codes into the preference', () => {
    const q = buildGuidelineQuery(
      {
        code: { system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertensive disorder' },
        display: 'Hypertension',
        stage: 'stage 2',
        values: [
          { label: 'systolic blood pressure', value: 152, unit: 'mm[Hg]' },
          { label: 'diastolic blood pressure', value: 96, unit: 'mm[Hg]' },
        ],
      },
      {
        age: 58,
        sex: 'male',
        conditions: ['Type 2 diabetes', { display: 'CKD stage 3a', code: { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'N18.31' } }],
      },
    );
    expect(q.text).toBe(
      'Hypertension stage 2. systolic blood pressure 152 mmHg, diastolic blood pressure 96 mmHg. 58 years old adult man. with Type 2 diabetes, CKD stage 3a',
    );
    expect(q.preferCodes).toEqual({ snomed: ['38341003'], icd10: ['N18.31'] });
    expect(q.filters).toBeUndefined();
  });

  it('filters by the finding code on request, and describes children and pregnancy', () => {
    const q = buildGuidelineQuery(
      { code: { system: 'http://loinc.org', code: '39156-5', display: 'BMI' }, values: [{ label: 'BMI', value: 31, unit: 'kg/m2' }] },
      { age: 14, sex: 'female', pregnant: true },
      { filterByFindingCode: true },
    );
    expect(q.text).toBe('BMI. BMI 31 kg/m2. 14 years old adolescent girl pregnant');
    expect(q.filters).toEqual({ codes: { loinc: ['39156-5'] } });
  });

  it('makes UCUM units readable', () => {
    expect(readableUnit('mm[Hg]')).toBe('mmHg');
    expect(readableUnit('/min')).toBe('per minute');
    expect(readableUnit('mL/min/{1.73_m2}')).toBe('mL/min/1.73 m2');
  });
});

describe('codes', () => {
  it('maps FHIR system URIs to corpus names and matches ICD-10 categories', () => {
    expect(codeSystemKey('http://snomed.info/sct')).toBe('snomed');
    expect(codeSystemKey('ICD10')).toBe('icd10');
    expect(codeKey('icd10', 'n18.3')).toBe('icd10|N18.3');
    expect(codeFilterKeys({ 'http://hl7.org/fhir/sid/icd-10-cm': ['N18.31'], loinc: ['8480-6'] })).toEqual([
      'icd10|N18.31',
      'icd10|N18',
      'loinc|8480-6',
    ]);
  });
});

describe('abbreviations', () => {
  it('adds the long form of clinical shorthand, and the short form of long forms', () => {
    expect(expandAbbreviations('SBP 95, RR 24, A1c 6.6')).toBe(
      'SBP 95, RR 24, A1c 6.6 (systolic blood pressure; respiratory rate respiration rate; glycated hemoglobin HbA1c)',
    );
    expect(expandAbbreviations('acute kidney injury after contrast')).toBe('acute kidney injury after contrast (AKI)');
  });

  it('leaves ordinary words alone', () => {
    expect(expandAbbreviations('tell us about the map of Crohn disease')).toBe('tell us about the map of Crohn disease');
    expect(expandAbbreviations('BPH')).toBe('BPH');
  });
});

describe('full-text query terms', () => {
  const terms = (...pairs: Array<[string, number]>) => pairs.map(([lexeme, chunks]) => ({ lexeme, chunks }));
  const query = (t: ReturnType<typeof terms>, budget: number) => {
    const selection = selectTerms(t, budget);
    return selection && tsqueryOf(selection);
  };

  it('ORs every word on a small corpus, rarest first, quoting each so nothing becomes query syntax', () => {
    expect(query(terms(['pressur', 40], ['blood', 50], ["o'neil", 1], ['a\\b', 2]), 1500)).toBe("'o''neil' | 'a\\\\b' | 'pressur' | 'blood'");
  });

  it('leaves out the commonest words once the chunks to rank would exceed the budget', () => {
    expect(query(terms(['patient', 900], ['qsofa', 12], ['lactat', 30], ['adult', 700]), 1000)).toBe("'qsofa' | 'lactat' | 'adult'");
  });

  it('ANDs the words when even the rarest is too common, and drops words in no chunk', () => {
    expect(query(terms(['blood', 4000], ['pressur', 3000], ['zzz', 0]), 1000)).toBe("'pressur' & 'blood'");
    expect(selectTerms(terms(['zzz', 0]), 1000)).toBeUndefined();
    expect(selectTerms([], 1000)).toBeUndefined();
  });

  it('can restrict a selection to titles and headings (weight A)', () => {
    const selection = selectTerms(terms(['qsofa', 3]), 10);
    expect(selection && tsqueryOf(selection, ':A')).toBe("'qsofa':A");
  });
});

describe('LRU cache', () => {
  it('evicts the least recently used entry', () => {
    const c = new LRUCache<string, number>({ max: 2 });
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.size).toBe(2);
  });
});
