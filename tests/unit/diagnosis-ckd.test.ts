/**
 * Chronic kidney disease (KDIGO 2024): eGFR <60 or ACR ≥30 mg/g persisting ≥90 days (an unbroken
 * run of abnormal results ending at the latest), G stage from the latest eGFR, A stage from the
 * latest ACR.
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateCkd } from '../../src/services/diagnosis/criteria/ckd.js';
import { context, daysAgo, obs } from './diagnosis-fixtures.js';

const egfr = (value: number, when: string, extra = {}) => obs('62238-1', value, 'mL/min/{1.73_m2}', when, extra);
const acr = (value: number, when: string, unit = 'mg/g') => obs('9318-7', value, unit, when);
const normalAcr = () => acr(10, daysAgo(5));

describe('eGFR threshold and staging', () => {
  it.each([
    [60, 'not-met', 'G2 A1'],
    [59.9, 'met', 'G3a A1'],
    [59, 'met', 'G3a A1'],
    [45, 'met', 'G3a A1'],
    [44.9, 'met', 'G3b A1'],
    [30, 'met', 'G3b A1'],
    [29, 'met', 'G4 A1'],
    [15, 'met', 'G4 A1'],
    [14, 'met', 'G5 A1'],
  ] as const)('eGFR %d for 120 days → %s (%s)', (value, status, stage) => {
    const f = evaluateCkd(context([egfr(value, daysAgo(125)), egfr(value, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe(status);
    expect(f.stage).toBe(stage);
  });

  it('codes the stage: G3b → SNOMED stage 3, ICD-10-CM N18.32', () => {
    const f = evaluateCkd(context([egfr(40, daysAgo(125)), egfr(38, daysAgo(5)), normalAcr()]));
    expect(f.code.snomed.code).toBe('433144002');
    expect(f.code.icd10?.code).toBe('N18.32');
    expect(f.criterion).toBe('eGFR <60 mL/min/1.73 m² for ≥90 days');
  });

  it('summarises the run from the numbers', () => {
    const f = evaluateCkd(context([egfr(52, '2025-01-10'), egfr(48, '2025-03-01'), egfr(47, '2025-05-20'), acr(12, '2025-05-20')]));
    expect(f.summary).toBe('eGFR 52 mL/min/1.73 m² (2025-01-10) to 47 mL/min/1.73 m² (2025-05-20), 3 results over 130 days');
    expect(f.evidence.filter((e) => e.note === 'abnormal')).toHaveLength(3);
  });
});

describe('results taken at the same instant that disagree (two panels in one visit)', () => {
  const runWith = (latest: number[]) => [egfr(50, daysAgo(200)), egfr(48, daysAgo(100)), ...latest.map((v) => egfr(v, daysAgo(5))), normalAcr()];

  it.each([
    ['abnormal listed last', [95, 55]],
    ['normal listed last', [55, 95]],
  ] as const)('set aside whatever the order (%s): the earlier run decides, and the notes say why', (_label, values) => {
    const f = evaluateCkd(context(runWith([...values])));
    expect(f.status).toBe('met');
    expect(f.summary).toBe(`eGFR 50 mL/min/1.73 m² (${daysAgo(200).slice(0, 10)}) to 48 mL/min/1.73 m² (${daysAgo(100).slice(0, 10)}), 2 results over 100 days`);
    expect(f.stage).toBe('G3a A1');
    expect(f.notes.some((n) => n.startsWith('eGFR results taken at the same time disagree') && n.includes('not used'))).toBe(true);
  });

  it('agreeing same-instant results count as one sample: both abnormal extend the run', () => {
    const f = evaluateCkd(context(runWith([52, 54])));
    expect(f.status).toBe('met');
    expect(f.notes.some((n) => n.includes('disagree'))).toBe(false);
  });

  it('agreeing same-instant normal results still break the run', () => {
    const f = evaluateCkd(context(runWith([75, 80])));
    expect(f.status).toBe('not-met');
  });

  it('when every eGFR sample disagrees, there is no usable eGFR, and the summary says so', () => {
    const f = evaluateCkd(context([egfr(55, daysAgo(5)), egfr(95, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('no usable eGFR (results taken together disagree)');
  });

  it('a discordant sample never establishes CKD on its own', () => {
    const f = evaluateCkd(context([egfr(95, daysAgo(200)), egfr(55, daysAgo(5)), egfr(95, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('not-met');
  });
});

describe('chronicity (>3 months)', () => {
  it.each([
    [89, 'not-enough-data'],
    [90, 'met'],
    [91, 'met'],
  ] as const)('two eGFR <60 %i days apart → %s', (days, status) => {
    const f = evaluateCkd(context([egfr(50, daysAgo(days + 1)), egfr(50, daysAgo(1)), normalAcr()]));
    expect(f.status).toBe(status);
  });

  it('a single low eGFR: not enough data, repeat needed', () => {
    const f = evaluateCkd(context([egfr(80, daysAgo(400)), egfr(40, daysAgo(2)), normalAcr()]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('a single result');
    expect(f.summary).toContain('KDIGO requires >3 months');
  });

  it('a normal eGFR between two low ones breaks the run', () => {
    const f = evaluateCkd(context([egfr(50, daysAgo(200)), egfr(65, daysAgo(100)), egfr(50, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('not-enough-data');
  });

  it('a low run that has since recovered is not CKD now', () => {
    const f = evaluateCkd(context([egfr(50, daysAgo(400)), egfr(48, daysAgo(200)), egfr(75, daysAgo(5)), normalAcr()]));
    expect(f.status).toBe('not-met');
  });

  it('no kidney results: not enough data', () => {
    expect(evaluateCkd(context([])).status).toBe('not-enough-data');
  });

  it('a normal eGFR without any ACR is not "no CKD": not enough data', () => {
    const f = evaluateCkd(context([egfr(75, daysAgo(5))]));
    expect(f.status).toBe('not-enough-data');
    expect(f.summary).toContain('no urine albumin/creatinine ratio');
  });

  it('old data: still met, with a note that the latest result is more than a year old', () => {
    const f = evaluateCkd(context([egfr(40, daysAgo(900)), egfr(40, daysAgo(700)), acr(10, daysAgo(700))]));
    expect(f.status).toBe('met');
    expect(f.notes.join(' ')).toContain('more than a year');
  });
});

describe('albuminuria (ACR ≥30 mg/g, 3 mg/mmol)', () => {
  it.each([
    [29, 'mg/g', 'not-met', 'G2 A1'],
    [30, 'mg/g', 'met', 'G2 A2'],
    [300, 'mg/g', 'met', 'G2 A2'],
    [301, 'mg/g', 'met', 'G2 A3'],
    // mg/mmol × 8.84: 3.3 → 29.2 mg/g, 3.4 → 30.1 mg/g
    [3.3, 'mg/mmol', 'not-met', 'G2 A1'],
    [3.4, 'mg/mmol', 'met', 'G2 A2'],
  ] as const)('ACR %d %s for 100 days with eGFR 75 → %s (%s)', (value, unit, status, stage) => {
    const f = evaluateCkd(context([egfr(75, daysAgo(3)), acr(value, daysAgo(103), unit), acr(value, daysAgo(3), unit)]));
    expect(f.status).toBe(status);
    expect(f.stage).toBe(stage);
    if (status === 'met') expect(f.code.icd10?.code).toBe('N18.2');
  });

  it('albuminuria for less than 90 days: not enough data', () => {
    const f = evaluateCkd(context([egfr(75, daysAgo(3)), acr(45, daysAgo(60)), acr(50, daysAgo(3))]));
    expect(f.status).toBe('not-enough-data');
  });

  it('ACR-track CKD with a recent low eGFR notes a possible acute change', () => {
    const f = evaluateCkd(context([egfr(80, daysAgo(200)), egfr(50, daysAgo(3)), acr(45, daysAgo(150)), acr(50, daysAgo(3))]));
    expect(f.status).toBe('met');
    expect(f.stage).toBe('G3a A2');
    expect(f.notes.join(' ')).toContain('acute change');
  });
});

describe('comparators', () => {
  it('">60" eGFR is normal, never "60"', () => {
    const gt60 = { valueQuantity: { value: 60, comparator: '>', unit: 'mL/min/{1.73_m2}', system: 'http://unitsofmeasure.org', code: 'mL/min/{1.73_m2}' } };
    const f = evaluateCkd(context([egfr(60, daysAgo(200), gt60), egfr(60, daysAgo(3), gt60), normalAcr()]));
    expect(f.status).toBe('not-met');
    expect(f.stage).toBe('A1');
  });

  it('"<15" eGFR is G5', () => {
    const lt15 = { valueQuantity: { value: 15, comparator: '<', unit: 'mL/min/{1.73_m2}', system: 'http://unitsofmeasure.org', code: 'mL/min/{1.73_m2}' } };
    const f = evaluateCkd(context([egfr(20, daysAgo(200)), egfr(15, daysAgo(3), lt15), normalAcr()]));
    expect(f.status).toBe('met');
    expect(f.stage).toBe('G5 A1');
  });
});
