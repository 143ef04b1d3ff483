import { describe, expect, it } from '@jest/globals';
import { triageAgreement } from '../../dev/eval/triage-agreement.js';

describe('triageAgreement', () => {
  it('scores perfect agreement as kappa 1 with no under- or over-triage', () => {
    const a = triageAgreement([1, 2, 3, 4, 5].map((l) => ({ assigned: l, gold: l })));
    expect(a).toEqual({ n: 5, exact: 1, withinOne: 1, quadraticKappa: 1, underTriage: 0, overTriage: 0 });
  });

  it('counts a less urgent assignment as under-triage and a more urgent one as over-triage', () => {
    const a = triageAgreement([
      { assigned: 3, gold: 2 },
      { assigned: 1, gold: 2 },
      { assigned: 5, gold: 2 },
      { assigned: 2, gold: 2 },
    ]);
    expect(a.underTriage).toBe(0.5);
    expect(a.overTriage).toBe(0.25);
    expect(a.exact).toBe(0.25);
    expect(a.withinOne).toBe(0.75);
  });

  it('matches a hand-computed quadratic weighted kappa', () => {
    // gold 1,1,2,2 vs assigned 1,2,2,3: observed disagreement weights sum 2/16; expected from marginals.
    const pairs = [
      { gold: 1, assigned: 1 },
      { gold: 1, assigned: 2 },
      { gold: 2, assigned: 2 },
      { gold: 2, assigned: 3 },
    ];
    // Expected: sum over i,j of w_ij * g_i * a_j / n with g=(2,2,0,0,0), a=(1,2,1,0,0): (2*2*1 + 2*1*4 + 2*1*1 + 2*1*1 (w=1/16 units))/4
    const w = (i: number, j: number) => ((i - j) ** 2) / 16;
    const g = [2, 2, 0, 0, 0];
    const asg = [1, 2, 1, 0, 0];
    let den = 0;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) den += (w(i, j) * g[i]! * asg[j]!) / 4;
    const num = w(0, 1) + w(1, 2);
    expect(triageAgreement(pairs).quadraticKappa).toBeCloseTo(1 - num / den, 10);
  });
});
