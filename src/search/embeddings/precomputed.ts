/**
 * Shipped vectors in front of the configured embedding model. The guideline corpus and the demo
 * trials ship with their vectors (vectors/*.vectors, see vector-file.ts), so a first start copies
 * them instead of embedding ~1,000 texts at ~20 a second with USE-lite. A decorator, so the ingest,
 * the trial import and retrieval do not know about it: it answers `embedDocuments` for every text
 * whose exact SHA-256 is in a file made by the same model, and passes the others (changed or new
 * texts) to the model as before.
 *
 * A file is trusted only whole: one for another model id is skipped; one that fails its checks
 * (format, sizes, checksum, a dimension other than the model's) is ignored with a warning, and
 * everything is embedded as if it were not there. A corrupt file can cost time, never a wrong
 * vector.
 *
 * Queries are always embedded by the model: an asymmetric model (query vs document prompts) may
 * embed the same text differently as a query, and the files hold document vectors.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CairnEmbeddings, checkVectors } from './types.js';
import { decodeVectorFile, readVectorFileHeader, type VectorTable } from './vector-file.js';

export const VECTOR_FILE_SUFFIX = '.vectors';

/**
 * The tables in `dir` made by `modelId`, checked. A missing directory is no table (a deployment
 * with its own corpus need not ship any); a file that cannot be read or fails a check is left out
 * with a warning.
 */
export async function loadVectorTables(dir: string, modelId: string, log: Logger): Promise<VectorTable[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(VECTOR_FILE_SUFFIX)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ dir, problem: (err as Error).message }, 'precomputed vectors directory unreadable: everything is embedded');
    return [];
  }
  const tables: VectorTable[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const bytes = await readFile(file);
      const header = readVectorFileHeader(bytes);
      if (header.modelId !== modelId) {
        log.debug({ file, fileModel: header.modelId, model: modelId }, 'precomputed vectors are for another embedding model: not used');
        continue;
      }
      tables.push(decodeVectorFile(bytes));
    } catch (err) {
      // Unreadable is treated like corrupt: the vectors are embedded instead, start-up goes on.
      log.warn({ file, problem: (err as Error).message }, 'precomputed vector file ignored (everything it holds is embedded instead); rebuild it with dev/cli/build-vectors.ts');
    }
  }
  return tables;
}

export interface PrecomputedOptions {
  /** Directory of the vector files (CAIRN_VECTORS_DIR). */
  dir: string;
  log: Logger;
}

/** Texts answered so far, by where their vector came from. */
export interface PrecomputedStats {
  fromFiles: number;
  embedded: number;
}

export class PrecomputedEmbeddings extends CairnEmbeddings {
  readonly modelId: string;
  override readonly fusionWeight: number;
  readonly #inner: CairnEmbeddings;
  readonly #options: PrecomputedOptions;
  #tables: Promise<readonly VectorTable[]> | undefined;
  #stats: PrecomputedStats = { fromFiles: 0, embedded: 0 };

  constructor(inner: CairnEmbeddings, options: PrecomputedOptions) {
    super({});
    this.#inner = inner;
    this.#options = options;
    this.modelId = inner.modelId;
    this.fusionWeight = inner.fusionWeight;
  }

  /** The wrapped model. */
  get inner(): CairnEmbeddings {
    return this.#inner;
  }

  get stats(): PrecomputedStats {
    return { ...this.#stats };
  }

  dimensions(): Promise<number> {
    return this.#inner.dimensions();
  }

  /**
   * The checked tables, read on first use (a start whose corpus needs no embedding never reads
   * them). A table whose dimension is not the model's is dropped with a warning.
   */
  tables(): Promise<readonly VectorTable[]> {
    this.#tables ??= (async () => {
      const { dir, log } = this.#options;
      const loaded = await loadVectorTables(dir, this.modelId, log);
      if (loaded.length === 0) return [];
      const dimension = await this.#inner.dimensions();
      const kept = loaded.filter((t) => {
        if (t.dimension === dimension) return true;
        log.warn({ dir, dimension: t.dimension, model: this.modelId, modelDimension: dimension }, 'precomputed vectors ignored: their dimension is not the model\'s');
        return false;
      });
      log.info({ dir, vectors: kept.reduce((n, t) => n + t.size, 0), model: this.modelId }, 'precomputed vectors loaded');
      return kept;
    })();
    return this.#tables;
  }

  /** Reads the vector files (the first document lookup would) and readies the model. */
  override async warm(): Promise<void> {
    await this.tables();
    await this.#inner.warm();
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const tables = await this.tables();
    const out: Array<number[] | undefined> = texts.map((t) => {
      for (const table of tables) {
        const v = table.get(t);
        if (v) return v;
      }
      return undefined;
    });
    const missing = texts.flatMap((t, i) => (out[i] === undefined ? [{ i, t }] : []));
    if (missing.length > 0) {
      const vectors = await this.#inner.embedDocuments(missing.map((m) => m.t));
      checkVectors(this.modelId, vectors, missing.length);
      missing.forEach((m, j) => {
        out[m.i] = vectors[j];
      });
    }
    this.#stats.fromFiles += texts.length - missing.length;
    this.#stats.embedded += missing.length;
    return out as number[][];
  }

  embedQuery(text: string): Promise<number[]> {
    return this.#inner.embedQuery(text);
  }
}
