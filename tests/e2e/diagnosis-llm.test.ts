/**
 * The diagnosis service with a language model configured, as an EHR sees it: the shipped server in
 * its own process (CAIRN_LLM=openai) pointed at a fake OpenAI-compatible server on loopback that
 * holds its answer until the test releases it. The first hook call comes back while the model's
 * answer is still held; once it is released, a later call carries the hypothesis card, whose
 * guideline passages are found verbatim in the corpus.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSAGES_EXTENSION, unquote } from '../../src/cards/passages.js';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import type { Card } from '../../src/hooks/schema.js';
import { DIAGNOSIS_EXTENSION } from '../../src/services/diagnosis/card.js';
import { HYPOTHESIS_LEAD_RECORD } from '../../src/services/diagnosis/hypothesis-card.js';
import { freePort, spawnServer, type SpawnedServer } from './support/processes.js';
import { repoPath } from '../support/repo-root.js';

const MEDICATION = 'metformin 500 mg oral tablet twice daily';

/** An OpenAI-compatible chat-completions server whose answers wait for `release()`. */
async function heldModelServer() {
  const requests: Array<Record<string, unknown>> = [];
  const held: ServerResponse[] = [];
  let released = false;
  const answer = JSON.stringify({ hypotheses: [{ condition: 'diabetes', quote: MEDICATION }, { condition: 'gout', quote: MEDICATION }] });
  const reply = (res: ServerResponse) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 0, model: 'fake', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: answer } }] }));
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.statusCode = 404;
        return res.end();
      }
      requests.push(JSON.parse(body) as Record<string, unknown>);
      if (released) reply(res);
      else held.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    heldCount: () => held.length,
    release() {
      released = true;
      for (const res of held.splice(0)) reply(res);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let model: Awaited<ReturnType<typeof heldModelServer>>;
let cairn: SpawnedServer;
let dir: string;
let corpus: string[];

beforeAll(async () => {
  model = await heldModelServer();
  corpus = await Promise.all((await readdir(repoPath('guidelines'))).filter((f) => f.endsWith('.md')).map((f) => readFile(repoPath('guidelines', f), 'utf8')));
  dir = await mkdtemp(join(tmpdir(), 'cairn-diagnosis-llm-e2e-'));
  const port = await freePort();
  cairn = await spawnServer(
    'tests/e2e/support/serve-real.ts',
    {
      PORT: String(port), HOST: '127.0.0.1', CAIRN_REQUIRE_AUTH: 'false', CAIRN_DATA_DIR: join(dir, 'db'), LOG_LEVEL: 'warn', CAIRN_HOOK_DEADLINE_MS: '5000',
      CAIRN_TRIALS: 'none', CAIRN_LLM: 'openai', CAIRN_LLM_BASE_URL: model.baseUrl, CAIRN_LLM_MODEL: 'fake-clinical-model', CAIRN_LLM_TIMEOUT_MS: '60000',
    },
    120_000,
  );
}, 150_000);

afterAll(async () => {
  model?.release();
  await cairn?.stop();
  await model?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const now = Date.now();
const iso = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString();
const bundle = (resources: unknown[]) => ({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });

const prefetch = {
  patient: { resourceType: 'Patient', id: 'llm-e2e', gender: 'female', birthDate: '1966-02-03' },
  observations: bundle([
    {
      resourceType: 'Observation', id: 'a1c-1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      subject: { reference: 'Patient/llm-e2e' }, effectiveDateTime: iso(20), valueQuantity: { value: 6.9, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    },
  ]),
  encounters: bundle([]),
  conditions: bundle([]),
  medicationRequests: bundle([
    { resourceType: 'MedicationRequest', id: 'med-1', status: 'active', intent: 'order', subject: { reference: 'Patient/llm-e2e' }, authoredOn: iso(10), medicationCodeableConcept: { text: MEDICATION } },
  ]),
  medicationStatements: bundle([]),
};

async function fire(): Promise<Card[]> {
  const res = await fetch(`${cairn.url}/cds-services/diagnosis`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/e2e', patientId: 'llm-e2e' }, prefetch }),
  });
  const body = (await res.json()) as { cards: Card[] };
  expect(res.status).toBe(200);
  expect(checkCdsResponse(body)).toEqual([]);
  return body.cards;
}

const isHypothesis = (c: Card) => (c.extension?.[DIAGNOSIS_EXTENSION] as { hypothesis?: unknown } | undefined)?.hypothesis !== undefined;

async function until<T>(what: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await what();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

describe('diagnosis with a language model configured', () => {
  it('answers while the model holds its answer, then shows the hypothesis card on a later call', async () => {
    const started = Date.now();
    const first = await fire();
    const firstMs = Date.now() - started;
    expect(first.filter(isHypothesis)).toEqual([]);
    // The question reached the model, which has not answered: the hook did not wait for it.
    expect(await until(async () => (model.heldCount() === 1 ? true : undefined), 5000)).toBe(true);
    expect(model.requests[0]).toMatchObject({ model: 'fake-clinical-model', response_format: { type: 'json_object' } });
    expect(JSON.stringify(model.requests[0])).toContain(MEDICATION);
    expect(firstMs).toBeLessThan(5000);

    model.release();
    const card = await until(async () => (await fire()).find(isHypothesis), 10_000);
    expect(card).toBeDefined();
    expect(model.requests).toHaveLength(1);
    expect(card!.summary).toBe(`${HYPOTHESIS_LEAD_RECORD}: Diabetes mellitus`);
    expect(card!.detail).toContain(`> ${MEDICATION}`);
    const passages = card!.extension?.[PASSAGES_EXTENSION] as Array<{ text: string; documentId: string }>;
    expect(passages.length).toBeGreaterThanOrEqual(1);
    for (const p of passages) {
      expect(p.documentId).toBe('summary-ada-diabetes-diagnosis');
      expect(corpus.some((doc) => doc.includes(p.text))).toBe(true);
    }
    // A short card: besides the record's sentence, one quotation, a verbatim part of one of its passages.
    expect(card!.detail!.length).toBeLessThanOrEqual(1000);
    const quotes = card!.detail!.split('\n\n').filter((b) => b.startsWith('>')).map(unquote);
    expect(quotes).toHaveLength(2);
    expect(quotes[0]).toBe(MEDICATION);
    expect(passages.some((p) => p.text.includes(quotes[1]!))).toBe(true);
  }, 60_000);
});
