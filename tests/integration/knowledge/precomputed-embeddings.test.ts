import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PrecomputedEmbeddings } from '../../../src/search/embeddings/precomputed.js';
import { encodeVectorFile } from '../../../src/search/embeddings/vector-file.js';
import { HashingEmbeddings } from '../../support/knowledge-embeddings.js';

/** The hashing test model with float32 values, like USE-lite: the file stores float32. */
class Float32Hashing extends HashingEmbeddings {
  override vector(text: string): number[] {
    return super.vector(text).map((x) => Math.fround(x));
  }
}

function logLines() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

const shipped = ['Screen adults for high blood pressure every 3 to 5 years.', 'qSOFA: respiratory rate 22/min or more.', 'eGFR below 60 for 3 months.'];
let dir: string;
const model = new Float32Hashing({ dimension: 16, modelId: 'test-model' });
/** What the file holds for a text: deliberately not the model's vector, so a hit is visible. */
const fileVector = (text: string) => model.vector(text).map((x) => Math.fround(-x));

async function vectorsDir(files: Record<string, Buffer>): Promise<string> {
  const d = await mkdtemp(join(dir, 'v-'));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(d, name), bytes);
  return d;
}
const fileFor = (modelId: string, dimension = 16) =>
  encodeVectorFile(modelId, dimension, new Map(shipped.map((t) => [t, dimension === 16 ? fileVector(t) : new Array<number>(dimension).fill(0.5)])));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-precomputed-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('shipped vectors in front of the model', () => {
  it('answers shipped texts from the file and embeds only the others, in order', async () => {
    const inner = new Float32Hashing({ dimension: 16, modelId: 'test-model' });
    const { log } = logLines();
    const e = new PrecomputedEmbeddings(inner, { dir: await vectorsDir({ 'a.vectors': fileFor('test-model') }), log });
    const changed = 'Screen adults for high blood pressure every 3 to 5 years!';
    const out = await e.embedDocuments([shipped[1]!, changed, shipped[0]!]);
    expect(out[0]).toEqual(fileVector(shipped[1]!));
    expect(out[2]).toEqual(fileVector(shipped[0]!));
    // A changed text is embedded by the model, as without the file.
    expect(out[1]).toEqual(inner.vector(changed));
    expect(inner.documentsEmbedded).toBe(1);
    expect(e.stats).toEqual({ fromFiles: 2, embedded: 1 });
    expect(e.modelId).toBe('test-model');
  });

  it('warm() reads the files and readies the model, embedding nothing a caller sees counted', async () => {
    const inner = new Float32Hashing({ dimension: 16, modelId: 'test-model' });
    const { lines, log } = logLines();
    const e = new PrecomputedEmbeddings(inner, { dir: await vectorsDir({ 'a.vectors': fileFor('test-model') }), log });
    await e.warm();
    // The files were read at warm-up (logged then), not on the first document lookup.
    expect(lines.filter((l) => l.msg === 'precomputed vectors loaded')).toHaveLength(1);
    expect(inner.queriesEmbedded).toBe(1); // the model's own warm-up: a short query
    expect(e.stats).toEqual({ fromFiles: 0, embedded: 0 });
    await e.embedDocuments([shipped[0]!]);
    expect(lines.filter((l) => l.msg === 'precomputed vectors loaded')).toHaveLength(1);
  });

  it('never answers a query from the file', async () => {
    const inner = new Float32Hashing({ dimension: 16, modelId: 'test-model' });
    const e = new PrecomputedEmbeddings(inner, { dir: await vectorsDir({ 'a.vectors': fileFor('test-model') }), log: logLines().log });
    expect(await e.embedQuery(shipped[0]!)).toEqual(inner.vector(shipped[0]!));
    expect(inner.queriesEmbedded).toBe(1);
  });

  it('ignores a file made by another model', async () => {
    const inner = new Float32Hashing({ dimension: 16, modelId: 'test-model' });
    const { lines, log } = logLines();
    const e = new PrecomputedEmbeddings(inner, { dir: await vectorsDir({ 'other.vectors': fileFor('another-model') }), log });
    expect(await e.embedDocuments(shipped)).toEqual(shipped.map((t) => inner.vector(t)));
    expect(inner.documentsEmbedded).toBe(3);
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });

  it('ignores a corrupt file with a warning, and still uses a sound one beside it', async () => {
    const inner = new Float32Hashing({ dimension: 16, modelId: 'test-model' });
    const { lines, log } = logLines();
    const corrupt = fileFor('test-model');
    corrupt.writeUInt8(corrupt[corrupt.length - 1]! ^ 0x40, corrupt.length - 1);
    const sound = encodeVectorFile('test-model', 16, new Map([[shipped[2]!, fileVector(shipped[2]!)]]));
    const e = new PrecomputedEmbeddings(inner, { dir: await vectorsDir({ 'bad.vectors': corrupt, 'good.vectors': sound }), log });
    const out = await e.embedDocuments(shipped);
    expect(out.slice(0, 2)).toEqual(shipped.slice(0, 2).map((t) => inner.vector(t)));
    expect(out[2]).toEqual(fileVector(shipped[2]!));
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: expect.stringMatching(/bad\.vectors$/), problem: expect.stringMatching(/checksum/) });
  });

  it('ignores, with a warning, a file whose dimension is not the model\'s', async () => {
    const inner = new Float32Hashing({ dimension: 16, modelId: 'test-model' });
    const { lines, log } = logLines();
    const e = new PrecomputedEmbeddings(inner, { dir: await vectorsDir({ 'a.vectors': fileFor('test-model', 8) }), log });
    expect(await e.embedDocuments(shipped)).toEqual(shipped.map((t) => inner.vector(t)));
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
  });

  it('works without a vectors directory', async () => {
    const inner = new Float32Hashing({ dimension: 16, modelId: 'test-model' });
    const { lines, log } = logLines();
    const e = new PrecomputedEmbeddings(inner, { dir: join(dir, 'no-such-dir'), log });
    expect(await e.embedDocuments(shipped)).toEqual(shipped.map((t) => inner.vector(t)));
    expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
  });
});
