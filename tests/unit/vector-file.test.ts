import { describe, expect, it } from '@jest/globals';
import { decodeVectorFile, encodeVectorFile, readVectorFileHeader, textHash, VectorFileError } from '../../src/search/embeddings/vector-file.js';

/** Vectors of float32 values (what USE-lite gives), so a round trip must keep every bit. */
const f32 = (xs: number[]) => xs.map((x) => Math.fround(x));
const entries = new Map<string, number[]>([
  ['Sepsis is a life-threatening organ dysfunction.', f32([0.1, -0.2, 0.3, 1 / 3])],
  ['Inclusion: HbA1c between 7% and 10%', f32([Math.PI, -1e-7, 0, 2 ** -20])],
  ['', f32([1, 0, 0, 0])],
]);

describe('the shipped-vector file format', () => {
  it('gives back every vector bit for bit, keyed by the exact text', () => {
    const table = decodeVectorFile(encodeVectorFile('model-a', 4, entries));
    expect(table.modelId).toBe('model-a');
    expect(table.dimension).toBe(4);
    expect(table.size).toBe(3);
    for (const [text, vector] of entries) {
      const got = table.get(text) as number[];
      expect(got.every((x, i) => Object.is(x, vector[i]))).toBe(true);
    }
    // The key is the exact text: one character more, and it is another text.
    expect(table.get('Sepsis is a life-threatening organ dysfunction. ')).toBeUndefined();
    expect(table.has('')).toBe(true);
  });

  it('writes the same bytes for the same vectors, whatever order they came in', () => {
    const reversed = new Map([...entries].reverse());
    expect(encodeVectorFile('model-a', 4, reversed).equals(encodeVectorFile('model-a', 4, entries))).toBe(true);
  });

  it('keys texts by the SHA-256 of their UTF-8 bytes', () => {
    expect(textHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses a vector of the wrong size or with a non-finite value', () => {
    expect(() => encodeVectorFile('m', 4, new Map([['a', [1, 2, 3]]]))).toThrow(VectorFileError);
    expect(() => encodeVectorFile('m', 2, new Map([['a', [1, Number.NaN]]]))).toThrow(VectorFileError);
  });

  describe('refuses a damaged file whole', () => {
    const good = encodeVectorFile('model-a', 4, entries);
    const damaged = (f: (b: Buffer) => Buffer) => () => decodeVectorFile(f(Buffer.from(good)));
    it.each([
      ['a flipped bit in a vector', (b: Buffer) => (b.writeUInt8(b[b.length - 3]! ^ 1, b.length - 3), b)],
      ['a flipped bit in a text hash', (b: Buffer) => (b.writeUInt8(b[readHeaderEnd(b) + 1]! ^ 1, readHeaderEnd(b) + 1), b)],
      ['a truncated body', (b: Buffer) => b.subarray(0, b.length - 4)],
      ['bytes appended', (b: Buffer) => Buffer.concat([b, Buffer.alloc(4)])],
      ['another magic', (b: Buffer) => (b.write('XXXX', 0, 'latin1'), b)],
      ['another format version', (b: Buffer) => (b.writeUInt32LE(2, 8), b)],
      ['a header that is not JSON', (b: Buffer) => (b.write('{', 16 + 1, 'utf8'), b)],
      ['nothing at all', () => Buffer.alloc(0)],
    ])('%s', (_name, f) => {
      expect(damaged(f)).toThrow(VectorFileError);
    });

    it('a header whose count does not match the body', () => {
      const header = readVectorFileHeader(good);
      const json = Buffer.from(JSON.stringify({ ...header, count: header.count + 1 }));
      const preamble = Buffer.from(good.subarray(0, 16));
      preamble.writeUInt32LE(json.length, 12);
      expect(() => decodeVectorFile(Buffer.concat([preamble, json, good.subarray(readHeaderEnd(good))]))).toThrow(/body has/);
    });
  });
});

function readHeaderEnd(b: Buffer): number {
  return 16 + b.readUInt32LE(12);
}
