/**
 * The language-model plumbing: configuration, the chat-model factory (against a fake HTTP
 * server in-process), JSON answers checked with zod, time-outs, and quotes looked up in the record.
 * No real model is called: LangChain's fake chat models and hand-written fakes stand in.
 */
import { describe, expect, it } from '@jest/globals';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { pino } from 'pino';
import { z } from 'zod';
import { ConfigError, loadConfig, type LlmConfig } from '../../src/config.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { askJson, BackgroundResults, createLlm, findQuote, LangChainLlm, parseJsonObject, recordPassages, renderRecord, type ChatLlm } from '../../src/llm/index.js';
import { note as noteResource } from '../support/fhir-builders.js';

const silent = pino({ level: 'silent' });

/** A logger that keeps what is logged, to check that no patient data reaches it. */
function capturingLog() {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { log, lines };
}

const schema = z.object({ answer: z.enum(['yes', 'no']), quote: z.string() });
const ask = (llm: ChatLlm, timeoutMs = 1000, log = silent) => askJson(llm, [{ role: 'user', content: 'question' }], schema, { task: 'test', timeoutMs, log });

describe('CAIRN_LLM configuration', () => {
  it('is off by default', () => {
    expect(loadConfig({}).llm).toBeUndefined();
  });

  it('reads an OpenAI-compatible server, falling back to OPENAI_BASE_URL', () => {
    expect(loadConfig({ CAIRN_LLM: 'openai', OPENAI_API_KEY: 'sk-test' }).llm).toEqual({
      provider: 'openai', model: 'gpt-4o-mini', apiKey: 'sk-test', timeoutMs: 30_000, concurrency: 2, jsonMode: true,
    });
    expect(loadConfig({ CAIRN_LLM: 'openai', OPENAI_BASE_URL: 'http://vllm.internal:8000/v1', CAIRN_LLM_MODEL: 'qwen2.5-7b' }).llm).toMatchObject({
      baseUrl: 'http://vllm.internal:8000/v1', model: 'qwen2.5-7b',
    });
    expect(loadConfig({ CAIRN_LLM: 'openai', OPENAI_BASE_URL: 'http://a/v1', CAIRN_LLM_BASE_URL: 'http://b/v1' }).llm?.baseUrl).toBe('http://b/v1');
  });

  it('reads Ollama, which needs no key and does not take OPENAI_BASE_URL', () => {
    const llm = loadConfig({ CAIRN_LLM: 'ollama', OPENAI_BASE_URL: 'http://a/v1', CAIRN_LLM_TIMEOUT_MS: '5000', CAIRN_LLM_JSON_MODE: 'false' }).llm;
    expect(llm).toEqual({ provider: 'ollama', model: 'llama3.1', timeoutMs: 5000, concurrency: 2, jsonMode: false });
  });

  it('refuses an OpenAI model with neither key nor base URL, and bad values', () => {
    expect(() => loadConfig({ CAIRN_LLM: 'openai' })).toThrow(/CAIRN_LLM=openai needs OPENAI_API_KEY/);
    expect(() => loadConfig({ CAIRN_LLM: 'gpt' })).toThrow(ConfigError);
    expect(() => loadConfig({ CAIRN_LLM: 'ollama', CAIRN_LLM_TIMEOUT_MS: '-1' })).toThrow(/CAIRN_LLM_TIMEOUT_MS/);
    expect(() => loadConfig({ CAIRN_LLM: 'ollama', CAIRN_LLM_BASE_URL: 'not a url' })).toThrow(/CAIRN_LLM_BASE_URL/);
  });
});

describe('chat-model factory', () => {
  const base: LlmConfig = { provider: 'openai', model: 'test-model', baseUrl: 'http://llm.test/v1', timeoutMs: 1000, concurrency: 1, jsonMode: true };

  it('creates nothing when no model is configured', () => {
    expect(createLlm(undefined)).toBeUndefined();
  });

  it('talks to an OpenAI-compatible chat-completions endpoint, asking for JSON', async () => {
    const calls: Array<{ url: string; body: Record<string, unknown> }> = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
      const reply = { id: 'x', object: 'chat.completion', created: 0, model: 'test-model', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: '{"answer":"yes","quote":"q"}' } }] };
      return new Response(JSON.stringify(reply), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const llm = createLlm(base, { fetch: fakeFetch })!;
    expect(llm.id).toBe('openai:test-model');
    await expect(ask(llm)).resolves.toEqual({ ok: true, value: { answer: 'yes', quote: 'q' } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('http://llm.test/v1/chat/completions');
    expect(calls[0]!.body).toMatchObject({ model: 'test-model', temperature: 0, response_format: { type: 'json_object' } });
  });

  it('talks to an Ollama server, asking for JSON', async () => {
    const calls: Array<{ url: string; body: Record<string, unknown> }> = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
      const line = { model: 'llama3.1', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: '{"answer":"no","quote":"q"}' }, done: true, done_reason: 'stop' };
      return new Response(`${JSON.stringify(line)}\n`, { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
    }) as typeof fetch;
    const llm = createLlm({ ...base, provider: 'ollama', model: 'llama3.1', baseUrl: 'http://ollama.test:11434' }, { fetch: fakeFetch })!;
    await expect(ask(llm)).resolves.toEqual({ ok: true, value: { answer: 'no', quote: 'q' } });
    expect(calls[0]!.url).toBe('http://ollama.test:11434/api/chat');
    expect(calls[0]!.body).toMatchObject({ model: 'llama3.1', format: 'json' });
  });
});

describe('askJson', () => {
  it('accepts JSON of the asked shape, also inside prose or a code fence', async () => {
    const llm = new LangChainLlm(new FakeListChatModel({ responses: ['{"answer":"yes","quote":"a"}', 'Here it is:\n```json\n{"answer":"no","quote":"b"}\n```'] }));
    await expect(ask(llm)).resolves.toEqual({ ok: true, value: { answer: 'yes', quote: 'a' } });
    await expect(ask(llm)).resolves.toEqual({ ok: true, value: { answer: 'no', quote: 'b' } });
  });

  it('treats prose, JSON of another shape and errors as no answer, logging the reason but not the reply', async () => {
    const { log, lines } = capturingLog();
    const llm = new LangChainLlm(new FakeListChatModel({ responses: ['The patient Jane Roe probably has diabetes.', '{"answer":"maybe","quote":"Jane Roe"}', '[1,2]'] }));
    await expect(ask(llm, 1000, log)).resolves.toEqual({ ok: false, reason: 'not-json' });
    await expect(ask(llm, 1000, log)).resolves.toEqual({ ok: false, reason: 'wrong-shape' });
    await expect(ask(llm, 1000, log)).resolves.toEqual({ ok: false, reason: 'not-json' });
    const failing: ChatLlm = { id: 'fake:failing', complete: () => Promise.reject(new Error('connection refused for Jane Roe')) };
    await expect(ask(failing, 1000, log)).resolves.toEqual({ ok: false, reason: 'failed' });
    expect(lines).toHaveLength(4);
    expect(lines.join('\n')).not.toMatch(/Jane|Roe|diabetes/);
  });

  it('gives up at the time-out, even on a model that never answers and ignores the signal', async () => {
    const never: ChatLlm = { id: 'fake:never', complete: () => new Promise<string>(() => {}) };
    const started = Date.now();
    await expect(ask(never, 50)).resolves.toEqual({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
    // LangChain's fake answering after 300 ms, with a 50 ms time-out.
    const slow = new LangChainLlm(new FakeListChatModel({ responses: ['{"answer":"yes","quote":"a"}'], sleep: 300 }));
    await expect(ask(slow, 50)).resolves.toEqual({ ok: false, reason: 'timeout' });
  });

  it('stops when its caller aborts (shutdown)', async () => {
    let sawAbort = false;
    const listening: ChatLlm = {
      id: 'fake:listening',
      complete: (_m, signal) => new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => ((sawAbort = true), reject(new Error('aborted'))))),
    };
    const controller = new AbortController();
    const pending = askJson(listening, [{ role: 'user', content: 'q' }], schema, { task: 'test', timeoutMs: 60_000, log: silent, signal: controller.signal });
    controller.abort();
    await expect(pending).resolves.toEqual({ ok: false, reason: 'aborted' });
    expect(sawAbort).toBe(true);
  });

  it('finds the JSON object in a reply', () => {
    expect(parseJsonObject('  {"a":1} ')).toEqual({ a: 1 });
    expect(parseJsonObject('sure! {"a":{"b":2}} hope that helps')).toEqual({ a: { b: 2 } });
    expect(parseJsonObject('null')).toBeUndefined();
    expect(parseJsonObject('{"a":')).toBeUndefined();
  });
});

describe('quotes from the record', () => {
  const note = (id: string, text: string, date: string) => noteResource({ id, text, date, description: 'Clinic note' });
  const ctx = buildPatientContext({
    resources: [
      { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1970-01-01' },
      note('n1', 'Seen today.  She reports  polyuria and\npolydipsia for 3 months. No history of diabetes in the family. Mother\u2019s sister \u2013 type 1.', '2025-05-01T10:00:00Z'),
      note('n2', 'Older note: knee pain.', '2024-01-01T10:00:00Z'),
      { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' }, code: { text: 'Gout' }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] } },
    ],
    referenceTime: new Date('2025-06-01T00:00:00Z'),
    patientId: 'p1',
  });
  const passages = recordPassages(ctx);

  it('lists notes most recent first, then the problem list', () => {
    expect(passages.map((p) => [p.label, p.source])).toEqual([['N1', 'DocumentReference/n1'], ['N2', 'DocumentReference/n2'], ['C1', 'Condition/c1']]);
  });

  it('finds a quote whatever its whitespace, curly quotes or closing full stop, and returns the record’s whole sentence', () => {
    const found = findQuote('"She reports polyuria and polydipsia for 3 months"', passages)!;
    expect(found.passage.source).toBe('DocumentReference/n1');
    expect(found.text).toBe('She reports  polyuria and\npolydipsia for 3 months.');
    expect(findQuote('polyuria and polydipsia for 3', passages)!.text).toBe(found.text);
    // A fragment is widened to its sentence, so a negation is never cut off.
    expect(findQuote('history of diabetes in the family', passages)!.text).toBe('No history of diabetes in the family.');
    expect(findQuote("Mother's sister - type 1", passages)!.text).toBe('Mother\u2019s sister \u2013 type 1.');
  });

  it('rejects what is not in the record, and fragments too short to mean anything', () => {
    expect(findQuote('She reports polyuria and weight loss for 3 months.', passages)).toBeUndefined();
    expect(findQuote('she reports polyuria and polydipsia', passages)).toBeUndefined(); // case matters
    expect(findQuote('polyuria', passages)).toBeUndefined();
    expect(findQuote('', passages)).toBeUndefined();
    // A whole problem-list entry may be short.
    expect(findQuote('Gout', passages)!.passage.source).toBe('Condition/c1');
  });

  it('renders the record without ids or reference time, so the same record renders the same text', () => {
    const r = renderRecord(ctx);
    expect(r.text).toContain('[N1] Clinic note, 2025-05-01');
    expect(r.text).toContain('[C1] Gout (active)');
    expect(r.text).not.toMatch(/DocumentReference\/|Condition\/|p1|2025-06-01/);
    expect(renderRecord({ ...ctx, referenceTime: '2025-06-02T00:00:00Z' }).text).toBe(r.text);
    expect(renderRecord(ctx, { maxNoteChars: 20 }).text).not.toContain('knee pain');
  });
});

describe('BackgroundResults', () => {
  it('never waits: the first ask starts the work once, later asks get the result', async () => {
    const results = new BackgroundResults<string>({ task: 'test', log: silent, concurrency: 1 });
    let calls = 0;
    let release!: (v: string) => void;
    const compute = () => {
      calls++;
      return new Promise<string>((resolve) => (release = resolve));
    };
    expect(results.peek('k', compute)).toBeUndefined();
    expect(results.peek('k', compute)).toBeUndefined();
    expect(calls).toBe(1);
    release('done');
    await results.idle();
    expect(results.peek('k', compute)).toBe('done');
    expect(calls).toBe(1);
  });

  it('runs at most `concurrency` at once, and waits to retry what failed or gave nothing', async () => {
    let t = 0;
    const results = new BackgroundResults<number>({ task: 'test', log: silent, concurrency: 1, retryAfterMs: 1000, now: () => t });
    let running = 0;
    let most = 0;
    const job = (value: number | undefined) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return value;
    };
    results.peek('a', job(1));
    results.peek('b', job(undefined));
    results.peek('c', () => Promise.reject(new Error('bug')));
    await results.idle();
    expect(most).toBe(1);
    expect(results.peek('a', job(9))).toBe(1);
    let retried = 0;
    const counting = () => {
      retried++;
      return Promise.resolve(2);
    };
    expect(results.peek('b', counting)).toBeUndefined();
    expect(results.peek('c', counting)).toBeUndefined();
    expect(retried).toBe(0);
    t = 1001;
    results.peek('b', counting);
    await results.idle();
    expect(retried).toBe(1);
    expect(results.peek('b', counting)).toBe(2);
  });
});
