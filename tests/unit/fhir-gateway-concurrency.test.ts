import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createFhirGateway } from '../../src/fhir/gateway.js';

/**
 * The gateway's concurrency limit, seen from the EHR's side: a fetch stub that answers when the
 * test says so and counts the requests in flight.
 */
interface Pending {
  url: string;
  answer(status: number, body: unknown): void;
}

const realFetch = globalThis.fetch;
let pending: Pending[];
let inFlight: number;
let maxInFlight: number;
let started: string[];

beforeEach(() => {
  pending = [];
  inFlight = 0;
  maxInFlight = 0;
  started = [];
  globalThis.fetch = (async (input: Request) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    started.push(new URL(input.url).pathname.split('/').pop() ?? '');
    return new Promise<Response>((resolve, reject) => {
      const request: Pending = {
        url: input.url,
        answer: (status, body) => {
          inFlight--;
          resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/fhir+json' } }));
        },
      };
      pending.push(request);
      // As the real fetch does: the gateway's time-out aborts the request.
      input.signal.addEventListener('abort', () => {
        pending = pending.filter((p) => p !== request);
        inFlight--;
        reject(input.signal.reason);
      });
    });
  }) as typeof fetch;
});

afterEach(() => {
  globalThis.fetch = realFetch;
});

const gateway = (concurrency: number, timeoutMs = 5000) =>
  createFhirGateway({ baseUrl: 'https://ehr.example/fhir', timeoutMs, concurrency, maxPages: 3 });

const patient = (id: string) => ({ resourceType: 'Patient', id });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets queued calls reach fetch: a freed slot is handed on a few microtasks later. */
const settle = () => sleep(5);

/** Answers the oldest request still waiting (waiting a little for one to arrive). */
async function answerNext(status = 200): Promise<void> {
  await settle();
  for (let waited = 0; pending.length === 0; waited += 5) {
    if (waited >= 2000) throw new Error('no request in flight');
    await settle();
  }
  const next = pending.shift();
  if (!next) throw new Error('no request in flight');
  next.answer(status, status === 200 ? patient(next.url.split('/').pop() ?? '') : { resourceType: 'OperationOutcome', issue: [] });
}

describe('FHIR gateway concurrency', () => {
  it('never has more than `concurrency` calls in flight, with newcomers arriving while others wait', async () => {
    const g = gateway(2);
    const first = Array.from({ length: 6 }, (_, i) => g.get(`Patient/a${i}`));
    await settle();
    expect(inFlight).toBe(2);
    const later = Array.from({ length: 6 }, (_, i) => g.get(`Patient/b${i}`));
    for (let i = 0; i < 12; i++) await answerNext();
    const results = await Promise.all([...first, ...later]);
    expect(results.map((r) => r?.id)).toEqual([...first.keys()].map((i) => `a${i}`).concat([...later.keys()].map((i) => `b${i}`)));
    expect(maxInFlight).toBe(2);
    // Waiting calls start in the order they were made.
    expect(started).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
  });

  it('gives the slot of a failed call to the next one', async () => {
    const g = gateway(1);
    const failed = g.get('Patient/broken');
    const next = g.get('Patient/ok');
    await answerNext(500);
    await expect(failed).rejects.toMatchObject({ kind: 'http', status: 500 });
    await answerNext();
    await expect(next).resolves.toMatchObject({ id: 'ok' });
    expect(maxInFlight).toBe(1);
  });

  it('starts a call’s time-out when it gets its slot, not while it waits for one', async () => {
    const g = gateway(1, 300);
    const first = g.get('Patient/first');
    const second = g.get('Patient/second');
    // Each call takes two thirds of the time-out: the second ends after 400 ms, yet within its own 300.
    await sleep(200);
    await answerNext();
    await expect(first).resolves.toMatchObject({ id: 'first' });
    await sleep(200);
    await answerNext();
    await expect(second).resolves.toMatchObject({ id: 'second' });
  });

  it('times out a call that gets no answer', async () => {
    // Sanity check of the stub: an unanswered request does fail, so the test above means something.
    const g = gateway(1, 50);
    await expect(g.get('Patient/never')).rejects.toMatchObject({ kind: 'timeout' });
    expect(inFlight).toBe(0);
  });
});
