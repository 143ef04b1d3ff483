/**
 * Pertinent negatives in a chief complaint (src/services/triage/negation.ts): what the complaint
 * says is absent is not matched, what it states is, and "no" before a lost function is a finding.
 */
import { describe, expect, it } from '@jest/globals';
import { withoutNegatedFindings } from '../../src/services/triage/negation.js';
import { estimateResources } from '../../src/services/triage/resources.js';
import { assessHighRisk } from '../../src/services/triage/acuity.js';

const rowsOf = (complaint: string) => {
  const e = estimateResources({ complaint, ageYears: 40, activeProblems: 0 }, { olderAdultAge: null, multipleProblemsAtLeast: null });
  return e.status === 'estimated' ? e.matches!.map((m) => m.rowId).sort() : e.reason;
};

describe('negated findings in a chief complaint', () => {
  it.each([
    ['no chest pain, here for prescription refill', ', here for prescription refill'],
    ['denies suicidal ideation, insomnia', ', insomnia'],
    ['abdominal pain, no vomiting', 'abdominal pain,'],
    ['Chest pain. Denies SOB but dizzy', 'Chest pain. but dizzy'],
    // A lost function is the finding itself.
    ['no vision in left eye', 'no vision in left eye'],
    ['no movement of right arm', 'no movement of right arm'],
    // Cues that also state findings are left alone.
    ['not able to pass urine', 'not able to pass urine'],
    ['chest pain without radiation', 'chest pain without radiation'],
  ])('%s → %j', (complaint, text) => expect(withoutNegatedFindings(complaint)).toBe(text));

  it.each([
    ['no chest pain, here for prescription refill', ['administrative']],
    ['denies suicidal ideation, insomnia', ['mental-health']],
    ['abdominal pain, no vomiting', ['abdominal-pain']],
    ['chest pain, no shortness of breath', ['chest-pain']],
  ])('the resource table reads %s as %j', (complaint, rows) => expect(rowsOf(complaint)).toEqual(rows));

  it('a complaint of absent findings only is no estimate, and says so', () => {
    expect(rowsOf('denies chest pain')).toBe('chief complaint "denies chest pain" states only what is absent');
  });

  it('the knowledge base is asked about what is stated, and never about a complaint of absences', async () => {
    const asked: string[] = [];
    const matcher = async (text: string) => (asked.push(text), { matched: /chest pain/.test(text) });
    expect(await assessHighRisk('denies chest pain', matcher)).toEqual({ status: 'not-matched', complaint: 'denies chest pain' });
    expect((await assessHighRisk('no fever, chest pain', matcher)).status).toBe('matched');
    expect(asked).toEqual([', chest pain']);
  });
});
