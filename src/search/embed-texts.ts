/**
 * Embeds a set of texts for a bulk job (a trial import): each distinct text once, in calls of
 * `chunkSize` texts of similar length, a few calls in flight.
 *
 * Why distinct: trials share criteria word for word ("Pregnant or breastfeeding", "Known
 * hypersensitivity to the study drug"); the 5,020 texts of the 300 demo trials are 4,535 distinct.
 *
 * Why by length: a model call pads every text of a batch to the longest one. Over the first 640
 * texts of the demo trials, in their own order, USE-lite on 2 vCPUs took 107 ms a text in batches
 * of 32, and 38 ms once sorted by length (a trial's 1,500-character summary beside "Age 18 or
 * over" made the short text cost as much as the long one). Longest first, so that the progress
 * estimate errs on the long side.
 *
 * Why large calls, two at a time: an embedder that spreads a call over several threads (a worker
 * pool) needs calls large enough to split, and a second call keeps its threads busy while the
 * first one's last batch finishes; one call per trial would use one thread at a time.
 */
import type { CairnEmbeddings } from './embeddings/types.js';
import { checkVectors } from './embeddings/types.js';

export interface EmbedTextsOptions {
  /** Texts per model call. */
  chunkSize: number;
  /** Calls in flight at once (default 2). */
  concurrency?: number;
  /** Expected vector length, checked on every answer. */
  dimension?: number;
  /** Called after each call with the number of texts it embedded. */
  onEmbedded?: (n: number) => void;
  /** No new call starts once aborted; the calls in flight finish, then the promise rejects. */
  signal?: AbortSignal;
}

export interface EmbeddedTexts {
  /** Vector by text, for every distinct text given. */
  vectors: Map<string, number[]>;
  /** Time some call was in flight, in ms: the wall time the model took. */
  embeddingMs: number;
}

/** The distinct texts, longest first: the order in which `embedTexts` sends them. */
export function embeddingOrder(texts: Iterable<string>): string[] {
  return [...new Set(texts)].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
}

export async function embedTexts(embedder: CairnEmbeddings, texts: Iterable<string>, options: EmbedTextsOptions): Promise<EmbeddedTexts> {
  const { chunkSize, signal } = options;
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`chunkSize must be a positive integer (got ${chunkSize})`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer (got ${concurrency})`);
  const ordered = embeddingOrder(texts);
  const chunks: string[][] = [];
  for (let i = 0; i < ordered.length; i += chunkSize) chunks.push(ordered.slice(i, i + chunkSize));
  const vectors = new Map<string, number[]>();
  let next = 0;
  let inFlight = 0;
  let busySince = 0;
  let embeddingMs = 0;
  let failed = false;
  const run = async (): Promise<void> => {
    while (next < chunks.length && !failed) {
      signal?.throwIfAborted();
      const chunk = chunks[next++] as string[];
      if (inFlight++ === 0) busySince = performance.now();
      try {
        const out = await embedder.embedDocuments(chunk);
        checkVectors(embedder.modelId, out, chunk.length, options.dimension);
        chunk.forEach((text, j) => vectors.set(text, out[j] as number[]));
        options.onEmbedded?.(chunk.length);
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        if (--inFlight === 0) embeddingMs += performance.now() - busySince;
      }
    }
  };
  const runners = Array.from({ length: Math.min(concurrency, chunks.length) }, run);
  // Every runner settles before the outcome is known: no call is left running behind a failure.
  const settled = await Promise.allSettled(runners);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return { vectors, embeddingMs };
}
