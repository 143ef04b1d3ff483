import { CairnEmbeddings } from './types.js';

/**
 * An embedding model that refuses new calls once `signal` has aborted. Start-up embeds through it,
 * so a shutdown during a first start's ingest stops at the next batch (the ingest's transaction
 * then rolls back) instead of embedding the whole corpus first.
 */
export class AbortableEmbeddings extends CairnEmbeddings {
  readonly modelId: string;
  override readonly fusionWeight: number;

  constructor(
    readonly inner: CairnEmbeddings,
    readonly signal: AbortSignal,
  ) {
    super({});
    this.modelId = inner.modelId;
    this.fusionWeight = inner.fusionWeight;
  }

  async dimensions(): Promise<number> {
    this.signal.throwIfAborted();
    return this.inner.dimensions();
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.signal.throwIfAborted();
    return this.inner.embedDocuments(texts);
  }

  async embedQuery(text: string): Promise<number[]> {
    this.signal.throwIfAborted();
    return this.inner.embedQuery(text);
  }
}
