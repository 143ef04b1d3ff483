import { describe, expect, it } from '@jest/globals';
import { meanMetrics, queryMetrics } from '../../../dev/eval/retrieval-metrics.js';

describe('retrieval metrics', () => {
  it('scores a perfect ranking 1 everywhere', () => {
    expect(queryMetrics(['d#a', 'd#b', 'x#y'], ['d#a', 'd#b'], 2)).toEqual({ p1: 1, p3: 1, ndcg10: 1, mrr: 1, hit3: 1 });
  });

  it('counts later chunks of a labelled section as relevant', () => {
    const m = queryMetrics(['x#1', 'd#a~2', 'x#2'], ['d#a'], 2);
    expect(m.p1).toBe(0);
    expect(m.mrr).toBe(0.5);
    expect(m.p3).toBe(0.5); // 1 of min(3, 2)
    expect(m.hit3).toBe(1);
  });

  it('divides P@3 by the relevant chunks there are, up to 3', () => {
    expect(queryMetrics(['d#a', 'x', 'y'], ['d#a'], 1).p3).toBe(1);
    expect(queryMetrics(['d#a', 'x', 'y'], ['d#a', 'd#b', 'd#c', 'd#d'], 4).p3).toBeCloseTo(1 / 3);
  });

  it('computes nDCG@10 with binary gains', () => {
    const m = queryMetrics(['x', 'd#a'], ['d#a'], 1);
    expect(m.ndcg10).toBeCloseTo(1 / Math.log2(3));
    expect(queryMetrics(['x'], ['d#a'], 1)).toEqual({ p1: 0, p3: 0, ndcg10: 0, mrr: 0, hit3: 0 });
  });

  it('averages over queries', () => {
    const a = queryMetrics(['d#a'], ['d#a'], 1);
    const b = queryMetrics(['x'], ['d#a'], 1);
    expect(meanMetrics([a, b])).toEqual({ p1: 0.5, p3: 0.5, ndcg10: 0.5, mrr: 0.5, hit3: 0.5 });
  });
});
