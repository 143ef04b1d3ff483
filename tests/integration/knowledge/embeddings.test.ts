/**
 * The production embedding providers, against small local stand-ins for an OpenAI-compatible
 * server and an Ollama server: what is sent, what comes back, and the model id and dimension
 * Cairn records.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddings } from '../../../src/search/embeddings/factory.js';
import { OllamaModelEmbeddings } from '../../../src/search/embeddings/ollama.js';
import { OpenAICompatibleEmbeddings } from '../../../src/search/embeddings/openai.js';
import { UseLiteEmbeddings } from '../../../src/search/embeddings/use-lite.js';

interface Seen {
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

function vectorFor(text: string, dims: number): number[] {
  return Array.from({ length: dims }, (_, i) => ((text.length + i) % 7) / 7);
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

describe('embedding providers', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then((body) => {
        seen.push({ path: req.url ?? '', auth: req.headers.authorization, body });
        const inputs = (Array.isArray(body.input) ? body.input : [body.input]) as string[];
        res.setHeader('content-type', 'application/json');
        if (req.url === '/v1/embeddings') {
          const dims = typeof body.dimensions === 'number' ? body.dimensions : 8;
          const data = inputs.map((t, index) => {
            const v = vectorFor(t, dims);
            // The OpenAI SDK asks for base64 unless told otherwise.
            const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
            return { object: 'embedding', index, embedding };
          });
          res.end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
        } else if (req.url === '/api/embed') {
          res.end(JSON.stringify({ model: body.model, embeddings: inputs.map((t) => vectorFor(t, 6)) }));
        } else {
          res.statusCode = 404;
          res.end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('OpenAI-compatible: batches documents, sends the key, probes the dimension once', async () => {
    const e = new OpenAICompatibleEmbeddings({ model: 'bge-small', baseUrl: `${base}/v1`, apiKey: 'sk-test' });
    expect(e.modelId).toBe('openai:bge-small');
    seen.length = 0;
    const vectors = await e.embedDocuments(['alpha', 'beta gamma']);
    expect(vectors.map((v) => v.length)).toEqual([8, 8]);
    expect(vectors[0]?.[1]).toBeCloseTo(vectorFor('alpha', 8)[1] as number, 5);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ path: '/v1/embeddings', auth: 'Bearer sk-test', body: { model: 'bge-small', input: ['alpha', 'beta gamma'] } });
    expect(await e.dimensions()).toBe(8);
    expect(await e.dimensions()).toBe(8);
    expect(seen).toHaveLength(2);
  });

  it('OpenAI-compatible: requested dimensions are part of the model id and need no probe', async () => {
    const e = new OpenAICompatibleEmbeddings({ model: 'text-embedding-3-small', baseUrl: `${base}/v1`, dimensions: 4 });
    expect(e.modelId).toBe('openai:text-embedding-3-small:4');
    seen.length = 0;
    expect(await e.dimensions()).toBe(4);
    expect(seen).toHaveLength(0);
    expect((await e.embedQuery('q')).length).toBe(4);
    expect(seen[0]?.body.dimensions).toBe(4);
  });

  it('Ollama: embeds through /api/embed', async () => {
    const e = new OllamaModelEmbeddings({ model: 'nomic-embed-text', baseUrl: base });
    expect(e.modelId).toBe('ollama:nomic-embed-text');
    seen.length = 0;
    expect((await e.embedDocuments(['a', 'bb'])).map((v) => v.length)).toEqual([6, 6]);
    expect(seen[0]).toMatchObject({ path: '/api/embed', body: { model: 'nomic-embed-text', input: ['a', 'bb'] } });
    expect(await e.dimensions()).toBe(6);
  });

  it('picks the provider from the environment', () => {
    const env = { CAIRN_EMBEDDINGS: 'openai', OPENAI_BASE_URL: `${base}/v1`, CAIRN_EMBEDDINGS_MODEL: 'm1' };
    const config = loadConfig(env);
    expect(config.embeddings).toEqual({ provider: 'openai', model: 'm1', baseUrl: `${base}/v1` });
    expect(createEmbeddings(config.embeddings).modelId).toBe('openai:m1');
    expect(createEmbeddings(loadConfig({ CAIRN_EMBEDDINGS: 'ollama' }).embeddings).modelId).toBe('ollama:nomic-embed-text');
    expect(createEmbeddings(loadConfig({}).embeddings)).toBeInstanceOf(UseLiteEmbeddings);
    // No thread starts until something is embedded.
    expect((createEmbeddings(loadConfig({ CAIRN_EMBEDDINGS_THREADS: '3' }).embeddings) as UseLiteEmbeddings).pool.threads).toBe(3);
  });
});
