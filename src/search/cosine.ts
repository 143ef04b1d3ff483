/**
 * Cosine similarity of embedding vectors, computed in memory: the trial judge compares a
 * criterion's vector with each note sentence's (the database computes it for the vector lists).
 */

/** Cosine similarity of two vectors (the embedding models here return unit vectors, but do not rely on it). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
