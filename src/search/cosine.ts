/**
 * Cosine similarity of embedding vectors, computed in memory: the trial judge compares a
 * criterion's vector with each note sentence's (the database computes it for the vector lists).
 *
 * The judge makes thousands of these comparisons a trial-match call (every criterion of 20
 * candidate trials against every note sentence), and they were the largest cost of that hook in
 * a CPU profile (docs/BENCHMARKS.md). Two things make them cheaper: a vector's sum of squares is
 * computed once and passed in (`cosineWith`), not again for every pair; and the dot product
 * keeps four running sums, so that each addition need not wait for the one before it.
 */

/** Σ aᵢ·bᵢ over the shorter of the two (the vectors of one model have the same length). */
export function dot(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (a[i] as number) * (b[i] as number);
    s1 += (a[i + 1] as number) * (b[i + 1] as number);
    s2 += (a[i + 2] as number) * (b[i + 2] as number);
    s3 += (a[i + 3] as number) * (b[i + 3] as number);
  }
  for (; i < n; i++) s0 += (a[i] as number) * (b[i] as number);
  return s0 + s1 + (s2 + s3);
}

/** Σ vᵢ², what `cosineWith` takes for each vector. */
export function sumOfSquares(v: readonly number[]): number {
  return dot(v, v);
}

/**
 * Cosine similarity given each vector's sum of squares (0 when either vector is zero). Vectors of
 * different lengths (not expected: one model makes them all) are compared over the shorter one,
 * with their sums of squares over that part.
 */
export function cosineWith(a: readonly number[], aSquares: number, b: readonly number[], bSquares: number): number {
  if (a.length !== b.length) {
    const n = Math.min(a.length, b.length);
    return cosineWith(a.slice(0, n), sumOfSquares(a.slice(0, n)), b.slice(0, n), sumOfSquares(b.slice(0, n)));
  }
  return aSquares > 0 && bSquares > 0 ? dot(a, b) / Math.sqrt(aSquares * bSquares) : 0;
}

/** Cosine similarity of two vectors (the embedding models here return unit vectors, but do not rely on it). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  return cosineWith(a, sumOfSquares(a), b, sumOfSquares(b));
}
