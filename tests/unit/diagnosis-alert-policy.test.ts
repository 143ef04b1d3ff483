/**
 * Which met findings get a card. Stage 1 hypertension is shown by default only with diabetes or
 * CKD (on the record or met by the data), where ACC/AHA 2017 starts drug therapy at 130/80 mmHg;
 * stage 2 and every other met finding are always shown.
 */
import { describe, expect, it } from '@jest/globals';
import type { HtnStage1Policy } from '../../src/config.js';
import { alertDecision, findingsToShow } from '../../src/services/diagnosis/alert-policy.js';
import { evaluateCriteria } from '../../src/services/diagnosis/evaluate.js';
import { SCT, bp, condition, context, daysAgo, obs } from './diagnosis-fixtures.js';

const twoVisits = (sbp: number, dbp: number) => [bp(sbp, dbp, daysAgo(100)), bp(sbp, dbp, daysAgo(10))];
const hba1c = (value: number, when: string) => obs('4548-4', value, '%', when);
const T2DM = '44054006';
const CKD_STAGE_3 = '433144002';

function shownConditions(resources: ReturnType<typeof twoVisits>, policy: HtnStage1Policy): string[] {
  const ctx = context(resources);
  return findingsToShow(evaluateCriteria(ctx), ctx, policy).map((f) => `${f.condition}${f.stage ? ` ${f.stage}` : ''}`);
}

describe('stage 1 hypertension by policy', () => {
  it.each([
    // [label, policy, shown, resources]
    ['stage 1 alone', 'with-indication', false, () => twoVisits(134, 84)],
    ['stage 1 alone', 'always', true, () => twoVisits(134, 84)],
    ['stage 1 alone', 'never', false, () => twoVisits(134, 84)],
    ['stage 1 with type 2 diabetes on the problem list', 'with-indication', true, () => [...twoVisits(134, 84), condition(SCT, T2DM)]],
    ['stage 1 with CKD stage 3 on the problem list', 'with-indication', true, () => [...twoVisits(134, 84), condition(SCT, CKD_STAGE_3)]],
    ['stage 1 with diabetes met by the data (HbA1c 7.1% twice)', 'with-indication', true, () => [...twoVisits(134, 84), hba1c(7.1, daysAgo(120)), hba1c(7.1, daysAgo(20))]],
    ['stage 1 with diabetes resolved', 'with-indication', false, () => [...twoVisits(134, 84), condition(SCT, T2DM, { clinical: 'resolved', abatement: daysAgo(200) })]],
    ['stage 1 with diabetes on the problem list', 'never', false, () => [...twoVisits(134, 84), condition(SCT, T2DM)]],
    ['just below stage 1 (129/79) with diabetes', 'always', false, () => [...twoVisits(129, 79), condition(SCT, T2DM)]],
    ['stage 2 at its threshold (140/89)', 'with-indication', true, () => twoVisits(140, 89)],
    ['stage 2 (139/90)', 'never', true, () => twoVisits(139, 90)],
  ] as const)('%s, policy %s → shown: %s', (_label, policy, shown, resources) => {
    const conditions = shownConditions(resources(), policy);
    expect(conditions.some((c) => c.startsWith('hypertension'))).toBe(shown);
  });

  it('says, from the record, why a stage 1 finding is shown', () => {
    const diabetes = condition(SCT, T2DM, { id: 'dm-1' });
    const ctx = context([...twoVisits(134, 84), diabetes]);
    const [htn] = findingsToShow(evaluateCriteria(ctx), ctx, 'with-indication').filter((f) => f.condition === 'hypertension');
    expect(htn?.stage).toBe('stage 1');
    expect(htn?.notes).toContain('shown at stage 1 because diabetes is on the record (Condition/dm-1)');
  });

  it('names the computed diabetes finding when diabetes is not on the record', () => {
    const ctx = context([...twoVisits(134, 84), hba1c(7.1, daysAgo(120)), hba1c(7.1, daysAgo(20))]);
    const findings = evaluateCriteria(ctx);
    const htn = findings.find((f) => f.condition === 'hypertension');
    const decision = alertDecision(htn!, findings, ctx, 'with-indication');
    expect(decision.alert).toBe(true);
    expect(decision.note).toMatch(/^shown at stage 1 because the data meet the diabetes criterion \(.*7\.1/);
  });
});

describe('other findings', () => {
  it('never shows a finding that is not met, whatever the policy', () => {
    const ctx = context(twoVisits(118, 76));
    const htn = evaluateCriteria(ctx).find((f) => f.condition === 'hypertension')!;
    expect(htn.status).toBe('not-met');
    for (const p of ['with-indication', 'always', 'never'] as const) expect(alertDecision(htn, [htn], ctx, p).alert).toBe(false);
  });

  it('shows met findings other than stage 1 hypertension unchanged', () => {
    const ctx = context([hba1c(7.1, daysAgo(120)), hba1c(7.1, daysAgo(20))]);
    const findings = evaluateCriteria(ctx);
    const shown = findingsToShow(findings, ctx, 'never');
    expect(shown).toEqual(findings.filter((f) => f.status === 'met'));
    expect(shown.map((f) => f.condition)).toEqual(['diabetes']);
  });
});
