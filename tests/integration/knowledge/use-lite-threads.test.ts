/**
 * USE-lite on worker threads: the vectors are the ones the model gives in this thread, they are
 * made on another thread at a lower priority than the thread answering hooks, a query overtakes
 * queued document batches, failures reject the call, and idle threads neither keep a process alive
 * nor outlive close().
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';
import { embedBatch, loadUseLiteModel, USE_LITE_MAX_CHARS } from '../../../src/search/embeddings/use-lite-model.js';
import { closeEmbeddingThreads, UseLitePool } from '../../../src/search/embeddings/use-lite-pool.js';
import { UseLiteEmbeddings } from '../../../src/search/embeddings/use-lite.js';
import { REPO_ROOT, repoPath } from '../../support/repo-root.js';

const criteria = [
  'Age 18 years or older',
  'History of myocardial infarction within the past 6 months',
  '',
  'eGFR < 30 mL/min/1.73m2 or on dialysis',
  'Pregnant or breastfeeding women',
  'HbA1c between 7.0% and 10.5% at screening',
  'Known hypersensitivity to metformin',
  'Uncontrolled hypertension (systolic blood pressure > 180 mmHg)',
  'Active malignancy requiring treatment within 2 years',
  'Able to give written informed consent',
  'Body mass index 25 to 40 kg/m2',
  'Prior treatment with an SGLT2 inhibitor',
  'Chronic heart failure NYHA class III or IV',
  'Alanine aminotransferase more than 3 times the upper limit of normal',
  'Participation in another interventional trial within 30 days',
  'Type 2 diabetes diagnosed at least 6 months before screening',
  'Current smoker',
  'Stroke or transient ischaemic attack in the last 3 months',
  'Life expectancy of less than one year',
  'Unable to comply with study visits',
];

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): Map<number, number> {
  return new Map(
    readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // The fields after the command name, which is in parentheses and may hold spaces: state is field 3.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [Number(tid), Number(fields[19 - 3])];
    }),
  );
}

const sentences = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}: patients with condition number ${i} are excluded`);

describe('USE-lite embedding threads', () => {
  // Threads of its own (one, so the order of work is fixed) rather than the shared pool.
  const pool = new UseLitePool({ threads: 1 });
  const embeddings = new UseLiteEmbeddings({ pool });

  beforeAll(async () => {
    // The thread is up and its model loaded before any test counts on the order of work.
    await pool.embed(['warm up'], { kind: 'query' });
  }, 60_000);
  afterAll(async () => {
    await pool.close();
    await closeEmbeddingThreads();
  });

  (process.platform === 'linux' ? it : it.skip)('runs the model at a lower priority (nice 10) than the thread that answers hooks', () => {
    const nice = threadNiceValues();
    // The main thread's id is the process id; the pool's thread is up since beforeAll.
    expect(nice.get(process.pid)).toBe(0);
    expect([...nice.values()]).toContain(10);
  });

  it('warm() runs the model on a query, then twice on a batch of note-length sentences (the shape a first note has)', async () => {
    const embed = jest.spyOn(pool, 'embed');
    try {
      await embeddings.warm();
      const calls = embed.mock.calls.map(([texts, options]) => ({ kind: options.kind, texts: texts.length, longest: Math.max(...texts.map((x) => x.length)) }));
      expect(calls).toEqual([
        { kind: 'query', texts: 1, longest: 'chest pain'.length },
        { kind: 'documents', texts: 8, longest: expect.any(Number) },
        { kind: 'documents', texts: 8, longest: expect.any(Number) },
      ]);
      expect(calls[1]!.longest).toBeGreaterThan(80);
    } finally {
      embed.mockRestore();
    }
  });

  it('gives exactly the vectors the model gives on this thread, batch for batch, made on another thread', async () => {
    const model = await loadUseLiteModel();
    // The pool sends batches of 16: the reference batches alike (the batch is part of the arithmetic).
    const expected = [...(await embedBatch(model, criteria.slice(0, 16))), ...(await embedBatch(model, criteria.slice(16)))];
    const batches = await pool.embedBatches(criteria, { kind: 'documents' });
    expect(batches.map((b) => b.vectors.length)).toEqual([16, 4]);
    for (const b of batches) expect(b.threadId).not.toBe(threadId);
    const vectors = batches.flatMap((b) => b.vectors);
    expect(vectors).toEqual(expected);
    expect(await embeddings.embedDocuments(criteria)).toEqual(expected);
    // A query is a batch of one, as it was on the main thread.
    const [chestPain] = await embedBatch(model, ['chest pain']);
    expect(await embeddings.embedQuery('chest pain')).toEqual(chestPain);
  }, 60_000);

  it('embeds a text longer than the model reads as its first USE_LITE_MAX_CHARS characters: the same vector, in a fraction of the time', async () => {
    const model = await loadUseLiteModel();
    const words = criteria.join(' ').split(/\s+/);
    const text = (n: number) => Array.from({ length: Math.ceil(n / 4) }, (_, i) => words[(i * 7) % words.length]).join(' ').slice(0, n);
    // The model's own call on the whole text (16,000 characters: still quick) gives the vector of the cut text.
    const [whole] = await model.embed([text(16_000)]);
    expect((await embedBatch(model, [text(16_000)]))[0]).toEqual(whole);
    expect(text(16_000).length).toBeGreaterThan(USE_LITE_MAX_CHARS);
    // A note of 200,000 characters in one sentence: uncut, its tokenizer would hold a thread for many minutes.
    const started = performance.now();
    const [long] = await embeddings.embedDocuments([text(200_000)]);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(long).toEqual((await embedBatch(model, [text(USE_LITE_MAX_CHARS)]))[0]);
  }, 60_000);

  it('runs a query ahead of the document batches queued before it', async () => {
    const done: string[] = [];
    // Six single-batch calls: the first starts at once on the only thread, five wait in the queue.
    const docs = Array.from({ length: 6 }, (_, i) => pool.embed(sentences(8, `call ${i}`), { kind: 'documents' }).then(() => done.push(`d${i}`)));
    const query = embeddings.embedQuery('crushing central chest pain radiating to the left arm').then(() => done.push('query'));
    await Promise.all([...docs, query]);
    expect(done).toEqual(['d0', 'query', 'd1', 'd2', 'd3', 'd4', 'd5']);
  }, 60_000);

  it('splits a large embedDocuments call, so a query does not wait for the whole of it', async () => {
    const done: string[] = [];
    const documents = embeddings.embedDocuments(sentences(6 * 16, 'import')).then(() => done.push('documents'));
    const query = embeddings.embedQuery('short of breath on exertion').then(() => done.push('query'));
    await Promise.all([documents, query]);
    expect(done).toEqual(['query', 'documents']);
  }, 60_000);

  it("gives a second call's batches a turn before the rest of an earlier call", async () => {
    const done: string[] = [];
    const large = pool.embed(sentences(5 * 8, 'import'), { kind: 'documents', batchSize: 8 }).then(() => done.push('import'));
    const small = pool.embed(sentences(8, 'note'), { kind: 'documents', batchSize: 8 }).then(() => done.push('notes'));
    await Promise.all([large, small]);
    expect(done).toEqual(['notes', 'import']);
  }, 60_000);

  it('turns away queued batches on close, and starts threads again on the next call', async () => {
    const p = new UseLitePool({ threads: 1 });
    const queued = p.embed(sentences(4 * 8, 'closing'), { kind: 'documents', batchSize: 8 });
    await p.close();
    await expect(queued).rejects.toThrow(/embedding threads were closed/);
    await expect(p.embed(['after close'], { kind: 'query' })).resolves.toHaveLength(1);
    await p.close();
  }, 60_000);
});

describe('USE-lite embedding thread failures', () => {
  it('rejects the call with the reason when the model cannot be loaded, and keeps rejecting (no crash)', async () => {
    const p = new UseLitePool({ threads: 1, modelDir: repoPath('tests/fixtures/embeddings/no-such-model') });
    try {
      await expect(p.embed(['chest pain'], { kind: 'query' })).rejects.toThrow(/could not load the Universal Sentence Encoder lite model: .*no-such-model/);
      await expect(p.embed(['chest pain', 'fever'], { kind: 'documents' })).rejects.toThrow(/could not load the Universal Sentence Encoder lite model/);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('rejects the call, instead of hanging, when a thread cannot start at all', async () => {
    const p = new UseLitePool({ threads: 1, workerFile: repoPath('tests/fixtures/embeddings/broken-worker.mjs') });
    try {
      await expect(p.embed(['chest pain'], { kind: 'query' })).rejects.toThrow(/USE-lite embedding failed: this embedding thread cannot start/);
      await expect(p.embed(['fever'], { kind: 'documents' })).rejects.toThrow(/this embedding thread cannot start/);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('says which file is missing when the thread module is not there', async () => {
    const p = new UseLitePool({ threads: 1, workerFile: repoPath('dist/nowhere/use-lite-worker.js') });
    await expect(p.embed(['x'], { kind: 'query' })).rejects.toThrow(/module is missing: .*nowhere/);
  });
});

describe('a command that embeds', () => {
  it('ends on its own: idle embedding threads do not keep the process alive', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'tests/fixtures/embeddings/embed-and-return.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      timeout: 45_000,
    });
    expect(stdout.trim()).toBe('512');
  }, 60_000);
});
