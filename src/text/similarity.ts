/**
 * Cosine similarity of embedding vectors: the trial judge compares a criterion's vector with each
 * note sentence's. It is vector math, not text; it waits here (src/text has no dependencies)
 * until vectors have one home under src/search/.
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
