/**
 * The file format of precomputed embedding vectors (vectors/*.vectors, written by
 * `dev/cli/build-vectors.ts`, read by precomputed.ts): one embedding model's vectors for a set of
 * texts, each keyed by the SHA-256 of the exact text that was embedded.
 *
 *   bytes 0-7    "CAIRNVEC"
 *   bytes 8-11   format version, uint32 little-endian (1)
 *   bytes 12-15  header length H, uint32 little-endian
 *   H bytes      header, UTF-8 JSON: { modelId, dimension, count, sha256 } (sha256: hex of the body)
 *   body         count × 32-byte text hashes, sorted; then count × dimension float32 little-endian,
 *                the vectors in the same order
 *
 * float32 because the vectors are stored exactly: USE-lite computes in float32 (every value it
 * returns is a float32), and pgvector's `vector` stores float32, so a vector read back from this
 * file is bit for bit the one the model gave. A model whose vectors are float64 would be rounded
 * here exactly as the database rounds it. The hashes are sorted so that the same vectors always
 * make the same file.
 *
 * Reading checks everything it can (magic, version, header, sizes, the body's checksum, finite
 * values) and throws VectorFileError on any mismatch: a file that fails is never half-trusted.
 */
import { createHash } from 'node:crypto';

const MAGIC = Buffer.from('CAIRNVEC', 'latin1');
const FORMAT_VERSION = 1;
const HASH_BYTES = 32;
const PREAMBLE_BYTES = MAGIC.length + 8;

export class VectorFileError extends Error {}

export interface VectorFileHeader {
  modelId: string;
  dimension: number;
  count: number;
  /** Hex SHA-256 of the body (hashes then vectors). */
  sha256: string;
}

/** The vectors of one file, looked up by text. */
export class VectorTable {
  readonly #index: ReadonlyMap<string, number>;

  constructor(
    readonly modelId: string,
    readonly dimension: number,
    /** Hex SHA-256 of each text, aligned with the rows of `vectors`. */
    hashes: readonly string[],
    /** count × dimension values. */
    readonly vectors: Float32Array,
  ) {
    this.#index = new Map(hashes.map((h, i) => [h, i]));
  }

  get size(): number {
    return this.#index.size;
  }

  /** The vector stored for exactly this text, or undefined. A fresh array each time: callers may keep or change it. */
  get(text: string): number[] | undefined {
    const row = this.#index.get(textHash(text));
    if (row === undefined) return undefined;
    return Array.from(this.vectors.subarray(row * this.dimension, (row + 1) * this.dimension));
  }

  has(text: string): boolean {
    return this.#index.has(textHash(text));
  }
}

/** The key of a text: hex SHA-256 of its UTF-8 bytes, exactly as given to the model. */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The file for `entries` (text → vector). Every vector must have `dimension` finite values. */
export function encodeVectorFile(modelId: string, dimension: number, entries: ReadonlyMap<string, readonly number[]>): Buffer {
  if (!Number.isInteger(dimension) || dimension < 1) throw new VectorFileError(`invalid dimension ${dimension}`);
  const rows = [...entries]
    .map(([text, vector]) => ({ hash: textHash(text), vector }))
    .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  const body = Buffer.alloc(rows.length * (HASH_BYTES + dimension * 4));
  rows.forEach((row, i) => {
    if (row.vector.length !== dimension) throw new VectorFileError(`a vector has ${row.vector.length} values, expected ${dimension}`);
    body.write(row.hash, i * HASH_BYTES, 'hex');
    const base = rows.length * HASH_BYTES + i * dimension * 4;
    row.vector.forEach((x, j) => {
      if (!Number.isFinite(x)) throw new VectorFileError('a vector has a non-finite value');
      body.writeFloatLE(x, base + j * 4);
    });
  });
  const header: VectorFileHeader = { modelId, dimension, count: rows.length, sha256: createHash('sha256').update(body).digest('hex') };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(preamble, 0);
  preamble.writeUInt32LE(FORMAT_VERSION, MAGIC.length);
  preamble.writeUInt32LE(headerBytes.length, MAGIC.length + 4);
  return Buffer.concat([preamble, headerBytes, body]);
}

/** The header alone (cheap: no checksum), to tell which model a file is for. */
export function readVectorFileHeader(file: Buffer): VectorFileHeader {
  if (file.length < PREAMBLE_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) throw new VectorFileError('not a Cairn vector file');
  const version = file.readUInt32LE(MAGIC.length);
  if (version !== FORMAT_VERSION) throw new VectorFileError(`format version ${version}, expected ${FORMAT_VERSION}`);
  const headerLength = file.readUInt32LE(MAGIC.length + 4);
  if (PREAMBLE_BYTES + headerLength > file.length) throw new VectorFileError('truncated header');
  let header: unknown;
  try {
    header = JSON.parse(file.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength).toString('utf8'));
  } catch {
    throw new VectorFileError('the header is not JSON');
  }
  const h = header as Partial<VectorFileHeader>;
  if (
    typeof h.modelId !== 'string' ||
    !Number.isInteger(h.dimension) ||
    (h.dimension as number) < 1 ||
    !Number.isInteger(h.count) ||
    (h.count as number) < 0 ||
    typeof h.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(h.sha256)
  ) {
    throw new VectorFileError('the header lacks modelId, dimension, count or sha256');
  }
  return h as VectorFileHeader;
}

/** Reads and checks a whole file (see the module comment); throws VectorFileError when anything is off. */
export function decodeVectorFile(file: Buffer): VectorTable {
  const header = readVectorFileHeader(file);
  const { dimension, count } = header;
  const body = file.subarray(PREAMBLE_BYTES + file.readUInt32LE(MAGIC.length + 4));
  const expected = count * (HASH_BYTES + dimension * 4);
  if (body.length !== expected) throw new VectorFileError(`the body has ${body.length} bytes; ${count} vectors of ${dimension} need ${expected}`);
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) throw new VectorFileError('checksum mismatch: the file is corrupt');
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) hashes.push(body.toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES));
  if (new Set(hashes).size !== count) throw new VectorFileError('a text hash appears twice');
  const vectors = new Float32Array(count * dimension);
  const base = count * HASH_BYTES;
  for (let i = 0; i < vectors.length; i++) {
    const x = body.readFloatLE(base + i * 4);
    if (!Number.isFinite(x)) throw new VectorFileError('a vector has a non-finite value');
    vectors[i] = x;
  }
  return new VectorTable(header.modelId, dimension, hashes, vectors);
}
