/**
 * Diabetes and prediabetes (ADA Standards of Care 2025, §2): thresholds, confirmation by a second
 * abnormal result (same sample or separate samples), mixed units, pregnancy and staleness.
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateDiabetes, evaluatePrediabetes } from '../../src/services/diagnosis/criteria/diabetes.js';
import { SCT, condition, context, daysAgo, obs } from './diagnosis-fixtures.js';

const hba1c = (value: number, when: string) => obs('4548-4', value, '%', when);
const hba1cIfcc = (value: number, when: string) => obs('59261-8', value, 'mmol/mol', when);
const fpg = (value: number, unit: string, when: string) => obs('1558-6', value, unit, when);
const randomGlucose = (value: number, when: string) => obs('2345-7', value, 'mg/dL', when);

describe('diabetes thresholds, confirmed on two separate samples', () => {
  it.each([
    // two HbA1c results (%) 60 days apart
    ['HbA1c 6.4%', () => [hba1c(6.4, daysAgo(90)), hba1c(6.4, daysAgo(30))], 'not-met'],
    ['HbA1c 6.5%', () => [hba1c(6.5, daysAgo(90)), hba1c(6.5, daysAgo(30))], 'met'],
    ['HbA1c 6.6%', () => [hba1c(6.6, daysAgo(90)), hba1c(6.6, daysAgo(30))], 'met'],
    // IFCC: 48 mmol/mol = 6.54% NGSP, 47 mmol/mol = 6.45% (IFCC–NGSP master equation)
    ['HbA1c 47 mmol/mol', () => [hba1cIfcc(47, daysAgo(90)), hba1cIfcc(47, daysAgo(30))], 'not-met'],
    ['HbA1c 48 mmol/mol', () => [hba1cIfcc(48, daysAgo(90)), hba1cIfcc(48, daysAgo(30))], 'met'],
    ['FPG 125 mg/dL', () => [fpg(125, 'mg/dL', daysAgo(90)), fpg(125, 'mg/dL', daysAgo(30))], 'not-met'],
    ['FPG 126 mg/dL', () => [fpg(126, 'mg/dL', daysAgo(90)), fpg(126, 'mg/dL', daysAgo(30))], 'met'],
    ['FPG 127 mg/dL', () => [fpg(127, 'mg/dL', daysAgo(90)), fpg(127, 'mg/dL', daysAgo(30))], 'met'],
    // 6.9 mmol/L = 124.3 mg/dL; 7.0 mmol/L = 126.1 mg/dL (glucose 180.16 g/mol)
    ['FPG 6.9 mmol/L', () => [fpg(6.9, 'mmol/L', daysAgo(90)), fpg(6.9, 'mmol/L', daysAgo(30))], 'not-met'],
    ['FPG 7.0 mmol/L', () => [fpg(7.0, 'mmol/L', daysAgo(90)), fpg(7.0, 'mmol/L', daysAgo(30))], 'met'],
    ['HbA1c 6.8% then FPG 7.2 mmol/L', () => [hba1c(6.8, daysAgo(90)), fpg(7.2, 'mmol/L', daysAgo(30))], 'met'],
  ])('%s → %s', (_label, resources, status) => {
    const f = evaluateDiabetes(context(resources()));
    expect(f.status).toBe(status);
    if (status === 'met') {
      expect(f.criterion).toBe('two results above the diabetes threshold on separate samples');
      expect(f.code.snomed.code).toBe('73211009');
      expect(f.code.icd10).toBeUndefined();
      expect(f.evidence.filter((e) => e.kind === 'reading')).toHaveLength(2);
    }
  });

  it('summarises both results with their dates', () => {
    const f = evaluateDiabetes(context([hba1c(6.8, '2025-02-01'), hba1c(7.1, '2025-04-01')]));
    expect(f.summary).toBe('HbA1c 6.8% on 2025-02-01 and HbA1c 7.1% on 2025-04-01');
  });
});

describe('confirmation (ADA: two abnormal results, same sample or separate samples)', () => {
  it('one abnormal result: not enough data, awaiting confirmation', () => {
    const f = evaluateDiabetes(context([hba1c(7.2, daysAgo(10))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('not yet confirmed');
    expect(f.evidence[0]?.note).toContain('awaiting confirmation');
  });

  it('two different tests abnormal in the same sample: met', () => {
    const day = daysAgo(10).slice(0, 10);
    const f = evaluateDiabetes(context([hba1c(6.8, `${day}T08:00:00Z`), fpg(131, 'mg/dL', `${day}T08:00:00Z`)]));
    expect(f.status).toBe('met');
    expect(f.criterion).toContain('same sample');
  });

  it('the same test twice on one day is not a second test', () => {
    const day = daysAgo(10).slice(0, 10);
    expect(evaluateDiabetes(context([hba1c(6.8, `${day}T08:00:00Z`), hba1c(6.9, `${day}T09:00:00Z`)])).status).toBe('not-enough-data');
  });

  it('discordant tests on one sample: the abnormal test must be repeated (ADA)', () => {
    const day = daysAgo(60).slice(0, 10);
    const discordant = [hba1c(6.8, `${day}T08:00:00Z`), fpg(110, 'mg/dL', `${day}T08:00:00Z`)];
    expect(evaluateDiabetes(context(discordant)).status).toBe('not-enough-data');
    // Repeating the FPG (normal before) does not confirm: the FPG result on the first sample was normal.
    expect(evaluateDiabetes(context([...discordant, fpg(128, 'mg/dL', daysAgo(10))])).status).toBe('not-enough-data');
    // Repeating the HbA1c, abnormal again: confirmed.
    expect(evaluateDiabetes(context([...discordant, hba1c(6.9, daysAgo(10))])).status).toBe('met');
  });

  it('an abnormal result followed by a normal repeat of the same test is not confirmed', () => {
    const f = evaluateDiabetes(context([hba1c(7.6, daysAgo(40)), hba1c(6.1, daysAgo(20))]));
    expect(f.status).toBe('not-met');
    expect(f.summary).toContain('latest HbA1c 6.1%');
  });

  it('a normal result between two abnormal ones breaks the pair', () => {
    const f = evaluateDiabetes(context([hba1c(6.7, daysAgo(300)), hba1c(6.2, daysAgo(200)), hba1c(6.8, daysAgo(10))]));
    expect(f.status).toBe('not-enough-data');
  });

  it('once confirmed, later normal results (treatment) do not undo it, and are noted', () => {
    const f = evaluateDiabetes(context([hba1c(7.5, daysAgo(700)), hba1c(7.8, daysAgo(600)), hba1c(6.2, daysAgo(30))]));
    expect(f.status).toBe('met');
    expect(f.notes.join(' ')).toContain('may reflect treatment');
    expect(f.evidence.map((e) => e.note)).toContain('latest result');
  });

  it('random glucose ≥200 mg/dL is shown but never decides (symptoms not recorded)', () => {
    const f = evaluateDiabetes(context([randomGlucose(250, daysAgo(40)), randomGlucose(260, daysAgo(10))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.evidence).toHaveLength(2);
    expect(f.evidence[0]?.note).toContain('not used');
  });

  it('a comparator that leaves the threshold open is not used', () => {
    const f = evaluateDiabetes(context([obs('4548-4', 6.0, '%', daysAgo(40), { valueQuantity: { value: 6.0, comparator: '>', unit: '%', system: 'http://unitsofmeasure.org', code: '%' } }), hba1c(6.9, daysAgo(10))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.notes.join(' ')).toContain('comparator');
  });
});

describe('results set aside and stale data', () => {
  it('results taken during a recorded pregnancy are not used', () => {
    const pregnancy = condition(SCT, '72892002', { onset: daysAgo(400), abatement: daysAgo(150), clinical: 'resolved' });
    const f = evaluateDiabetes(context([pregnancy, hba1c(6.8, daysAgo(300)), hba1c(6.9, daysAgo(200))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.notes.join(' ')).toContain('during a recorded pregnancy');
  });

  it('currently pregnant: not enough data for diabetes and prediabetes', () => {
    const resources = [condition(SCT, '77386006', { onset: daysAgo(60) }), hba1c(6.8, daysAgo(300)), hba1c(6.9, daysAgo(200))];
    expect(evaluateDiabetes(context(resources)).status).toBe('not-enough-data');
    expect(evaluatePrediabetes(context(resources)).status).toBe('not-enough-data');
  });

  it('HbA1c is not used when end-stage kidney disease is recorded', () => {
    const f = evaluateDiabetes(context([condition(SCT, '46177005'), hba1c(6.8, daysAgo(300)), hba1c(6.9, daysAgo(200))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.notes.join(' ')).toContain('end-stage kidney disease');
  });

  it('a normal result older than 3 years: not enough data', () => {
    expect(evaluateDiabetes(context([hba1c(5.2, daysAgo(1200))])).status).toBe('not-enough-data');
    expect(evaluateDiabetes(context([hba1c(5.2, daysAgo(1000))])).status).toBe('not-met');
  });

  it('no HbA1c or fasting glucose: not enough data', () => {
    expect(evaluateDiabetes(context([])).status).toBe('not-enough-data');
    expect(evaluatePrediabetes(context([])).status).toBe('not-enough-data');
  });
});

describe('prediabetes (latest result of each test)', () => {
  it.each([
    ['HbA1c 5.6%', () => [hba1c(5.6, daysAgo(10))], 'not-met'],
    ['HbA1c 5.7%', () => [hba1c(5.7, daysAgo(10))], 'met'],
    ['HbA1c 6.4%', () => [hba1c(6.4, daysAgo(10))], 'met'],
    ['HbA1c 39 mmol/mol (5.72%)', () => [hba1cIfcc(39, daysAgo(10))], 'met'],
    ['HbA1c 38 mmol/mol (5.63%)', () => [hba1cIfcc(38, daysAgo(10))], 'not-met'],
    ['FPG 99 mg/dL', () => [fpg(99, 'mg/dL', daysAgo(10))], 'not-met'],
    ['FPG 100 mg/dL', () => [fpg(100, 'mg/dL', daysAgo(10))], 'met'],
    ['FPG 125 mg/dL', () => [fpg(125, 'mg/dL', daysAgo(10))], 'met'],
    ['FPG 5.6 mmol/L (100.9 mg/dL)', () => [fpg(5.6, 'mmol/L', daysAgo(10))], 'met'],
    ['FPG 5.5 mmol/L (99.1 mg/dL)', () => [fpg(5.5, 'mmol/L', daysAgo(10))], 'not-met'],
    ['HbA1c 5.4% but FPG 110 mg/dL', () => [hba1c(5.4, daysAgo(10)), fpg(110, 'mg/dL', daysAgo(10))], 'met'],
    ['an old 6.0% since normal (5.4%)', () => [hba1c(6.0, daysAgo(400)), hba1c(5.4, daysAgo(10))], 'not-met'],
    ['HbA1c 6.0% four years ago only', () => [hba1c(6.0, daysAgo(1500))], 'not-enough-data'],
    ['HbA1c 6.8% unconfirmed', () => [hba1c(6.8, daysAgo(10))], 'not-enough-data'],
  ])('%s → %s', (_label, resources, status) => {
    const f = evaluatePrediabetes(context(resources()));
    expect(f.status).toBe(status);
    if (status === 'met') {
      expect(f.code.snomed.code).toBe('714628002');
      expect(f.code.icd10?.code).toBe('R73.03');
    }
  });

  it('is not met when diabetes criteria are met', () => {
    const f = evaluatePrediabetes(context([hba1c(6.8, daysAgo(90)), hba1c(6.9, daysAgo(10))]));
    expect(f.status).toBe('not-met');
    expect(f.summary).toContain('diabetes criteria met');
  });

  it('names the test and range that met the criterion', () => {
    const f = evaluatePrediabetes(context([hba1c(6.1, '2025-05-01')]));
    expect(f.criterion).toBe('HbA1c 5.7–6.4%');
    expect(f.summary).toBe('HbA1c 6.1% on 2025-05-01');
  });
});
