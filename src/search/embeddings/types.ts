import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';

/**
 * An embedding model Cairn can store vectors from: LangChain's `Embeddings` plus what the database
 * needs to keep models apart. `modelId` is recorded with the vectors; when the configured model's
 * id differs from the recorded one, every chunk is re-embedded rather than mixing two models'
 * vectors in one index.
 */
export abstract class CairnEmbeddings extends Embeddings {
  /** Names the model and anything that changes its vectors (e.g. requested dimensions). */
  abstract readonly modelId: string;

  /**
   * How much hybrid search trusts this model's scores against full-text search's (weight 1) in
   * fusion. 1 for real retrieval models; lower for a weak one (see use-lite.ts).
   */
  readonly fusionWeight: number = 1;

  constructor(params: EmbeddingsParams = {}) {
    super(params);
  }

  /** Length of every vector. Remote models may have to be called once to find out. */
  abstract dimensions(): Promise<number>;

  /**
   * Readies the model before the first hook (server start-up): a model that loads on its first
   * text (USE-lite: about a second) is loaded. Embeds a short query; models with more to ready
   * override it. Nothing it embeds is kept.
   */
  async warm(): Promise<void> {
    await this.embedQuery('chest pain');
  }
}

/** Checks a provider's answer before it reaches the database: one finite vector per text, all of one length. */
export function checkVectors(modelId: string, vectors: readonly number[][], expectedCount: number, dimension?: number): void {
  if (vectors.length !== expectedCount) {
    throw new Error(`embedding model ${modelId} returned ${vectors.length} vectors for ${expectedCount} texts`);
  }
  for (const v of vectors) {
    if (dimension !== undefined && v.length !== dimension) {
      throw new Error(`embedding model ${modelId} returned a vector of ${v.length} dimensions, expected ${dimension}`);
    }
    if (!v.every(Number.isFinite)) throw new Error(`embedding model ${modelId} returned a vector with a non-finite value`);
  }
}
