/**
 * The one analyte list that trial matching and guideline range matching share: the invariants
 * both readers rely on.
 */
import { describe, expect, it } from '@jest/globals';
import { measuredValues } from '../../src/knowledge/quantities.js';
import { analyteMentions, TRIAL_ANALYTES } from '../../src/services/trials/matching/lexicon.js';
import { ANALYTES } from '../../src/text/analytes.js';

describe('analytes', () => {
  it('has one entry per id, per guideline key and per PatientContext series', () => {
    const ids = ANALYTES.map((a) => a.id);
    const keys = ANALYTES.flatMap((a) => (a.guidelines ? [a.guidelines.key ?? a.id] : []));
    const series = ANALYTES.flatMap((a) => (a.quantity ? [a.quantity] : []));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(keys).size).toBe(keys.length);
    // The trial profile files each recorded series under exactly one analyte.
    expect(new Set(series).size).toBe(series.length);
  });

  it('every analyte is read by at least one reader', () => {
    expect(ANALYTES.filter((a) => !a.trials && !a.guidelines)).toEqual([]);
  });

  it('each reader reads only its own names', () => {
    // "fever" states a temperature in a criterion, not in a guideline query.
    expect(analyteMentions('fever up to 38.5').map((m) => m.analyte.id)).toEqual(['temperature']);
    expect(measuredValues('fever 38.5')).toEqual([]);
    // Guideline-only analytes are not trial analytes.
    expect(TRIAL_ANALYTES.map((a) => a.id)).not.toContain('age');
    expect(measuredValues('urine output 0.25 mL/kg/h')).toEqual([{ analyte: 'urine-output', value: 0.25, unit: 'ml/kg/h' }]);
    expect(analyteMentions('urine output 0.25 mL/kg/h')).toEqual([]);
  });
});
