import { describe, expect, it } from '@jest/globals';
import { cosine, cosineWith, dot, sumOfSquares } from '../../src/search/cosine.js';

/** The textbook definition, one running sum per quantity: what the faster code must agree with. */
function naiveCosine(a: readonly number[], b: readonly number[]): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    d += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
}

/** A deterministic pseudo-random vector (a linear congruential sequence), so a failure can be replayed. */
function vector(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648 - 0.5;
  });
}

describe('cosine similarity', () => {
  it.each([
    ['orthogonal', [1, 0, 0], [0, 1, 0], 0],
    ['same direction, other length', [1, 2, 3], [2, 4, 6], 1],
    ['opposite', [1, -1], [-1, 1], -1],
    ['a zero vector has no direction', [0, 0, 0], [1, 2, 3], 0],
  ])('%s', (_name, a, b, expected) => {
    expect(cosine(a, b)).toBeCloseTo(expected, 12);
  });

  it('agrees with the one-sum definition on embedding-sized vectors, whatever the length modulo four', () => {
    for (const n of [1, 3, 4, 5, 511, 512, 513]) {
      for (let seed = 1; seed <= 20; seed++) {
        const a = vector(seed, n);
        const b = vector(seed + 1000, n);
        expect(Math.abs(cosine(a, b) - naiveCosine(a, b))).toBeLessThan(1e-12);
        expect(Math.abs(dot(a, b) - naiveCosine(a, b) * Math.sqrt(sumOfSquares(a) * sumOfSquares(b)))).toBeLessThan(1e-9);
      }
    }
  });

  it('with the sums of squares given once, gives the same as computing them each time', () => {
    const a = vector(7, 512);
    const b = vector(8, 512);
    expect(cosineWith(a, sumOfSquares(a), b, sumOfSquares(b))).toBe(cosine(a, b));
    expect(cosineWith(a, 0, b, sumOfSquares(b))).toBe(0);
  });

  it('compares vectors of different lengths over the shorter one', () => {
    expect(cosine([1, 2, 3, 4, 5], [1, 2, 3, 4])).toBeCloseTo(naiveCosine([1, 2, 3, 4, 5], [1, 2, 3, 4]), 12);
  });
});
