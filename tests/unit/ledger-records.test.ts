/**
 * The pure parts of the card ledger and the audit trail: what a ledger entry holds, how patient
 * keys are made, how an audit record reads as a FHIR AuditEvent, and group commit's batching.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import { toAuditEvent, type StoredAuditRecord } from '../../src/audit/audit-event.js';
import { PROVENANCE_EXTENSION_KEY } from '../../src/cards/provenance.js';
import { GroupCommit } from '../../src/db/group-commit.js';
import type { Card } from '../../src/hooks/schema.js';
import { answerJson } from '../../src/http/app.js';
import { cardDigest, cardJsonDigest, inputDigest, ledgerEntries, requestBodyDigest } from '../../src/ledger/issued-cards.js';
import { patientKey } from '../../src/ledger/pseudonym.js';

const card = (over: Partial<Card> = {}): Card => ({
  uuid: '6f1c2a9e-8d8b-4f7e-9a51-3c6c1b2d4e5f',
  summary: 'Stage 2 hypertension not on the problem list',
  indicator: 'warning',
  source: { label: 'Cairn' },
  suggestions: [{ label: 'Add to problem list', uuid: 'AB2C2A9E-8D8B-4F7E-9A51-3C6C1B2D4E50' }],
  extension: {
    [PROVENANCE_EXTENSION_KEY]: {
      cairnVersion: '0.1.0',
      rule: { id: 'diagnosis/hypertension', version: '3' },
      guidelines: [{ documentId: 'uspstf-hypertension', version: '2021', contentHash: 'a'.repeat(64) }],
    },
  },
  ...over,
});

describe('ledger entries', () => {
  it('record the card as issued with its provenance, suggestion uuids in lower case', () => {
    const [entry] = ledgerEntries({
      serviceId: 'diagnosis',
      request: { hook: 'patient-view', hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea' },
      patientKey: 'k'.repeat(32),
      inputDigest: 'd'.repeat(64),
      cards: [card()],
    });
    expect(entry).toMatchObject({
      cardUuid: '6f1c2a9e-8d8b-4f7e-9a51-3c6c1b2d4e5f',
      serviceId: 'diagnosis',
      hook: 'patient-view',
      summary: 'Stage 2 hypertension not on the problem list',
      suggestionUuids: ['ab2c2a9e-8d8b-4f7e-9a51-3c6c1b2d4e50'],
      cairnVersion: '0.1.0',
      ruleId: 'diagnosis/hypertension',
      ruleVersion: '3',
      guidelines: [{ documentId: 'uspstf-hypertension', version: '2021', contentHash: 'a'.repeat(64) }],
    });
    expect(entry!.cardDigest).toBe(cardDigest(card()));
  });

  it('keep a card without provenance, with its rule unknown', () => {
    const [entry] = ledgerEntries({ serviceId: 's', request: { hook: 'patient-view', hookInstance: 'x' }, patientKey: null, inputDigest: '', cards: [card({ extension: {} })] });
    expect(entry).toMatchObject({ ruleId: null, ruleVersion: null, cairnVersion: null, guidelines: [] });
  });

  it('digest a card’s content, not its uuids or the time its suggestions were written', () => {
    const base = card();
    const reissued = card({ uuid: '00000000-0000-4000-8000-000000000000', suggestions: [{ label: 'Add to problem list', uuid: '11111111-1111-4111-8111-111111111111' }] });
    expect(cardDigest(reissued)).toBe(cardDigest(base));
    const written = (recorded: string) => card({ suggestions: [{ label: 'Add', actions: [{ type: 'create', description: 'd', resource: { resourceType: 'Provenance', recorded } }] }] });
    expect(cardDigest(written('2026-12-06T10:00:00Z'))).toBe(cardDigest(written('2026-12-07T11:00:00Z')));
    expect(cardDigest(card({ detail: 'BP 150/95 mmHg' }))).not.toBe(cardDigest(card({ detail: 'BP 151/95 mmHg' })));
  });

  it('digest the card as sent: with or without its uuid the same, text that looks like a uuid member kept', () => {
    const { uuid: _uuid, ...withoutUuid } = card();
    expect(cardDigest(withoutUuid)).toBe(cardDigest(card()));
    // A uuid member last in its object, and one alone in it.
    expect(cardJsonDigest('{"label":"Add","uuid":"11111111-1111-4111-8111-111111111111"}')).toBe(cardJsonDigest('{"label":"Add"}'));
    expect(cardJsonDigest('{"a":[{"uuid":"x"}]}')).toBe(cardJsonDigest('{"a":[{}]}'));
    // Quoted text is escaped in JSON, so a passage that reads like a uuid member still counts.
    const quoting = (v: string) => card({ detail: `the form says "uuid":"${v}"` });
    expect(cardDigest(quoting('a'))).not.toBe(cardDigest(quoting('b')));
    expect(cardJsonDigest(JSON.stringify(card()))).toBe(cardDigest(card()));
  });

  it('build the answer from the cards as serialised, with any other member', () => {
    const cards = [card(), card({ summary: 'other' })];
    const json = answerJson(cards.map((c) => JSON.stringify(c)), { cards });
    expect(JSON.parse(json)).toEqual({ cards });
    const withActions = { cards, systemActions: [{ type: 'update', description: 'x' }] };
    expect(JSON.parse(answerJson(cards.map((c) => JSON.stringify(c)), withActions))).toEqual(withActions);
    expect(JSON.parse(answerJson([], { cards: [] }))).toEqual({ cards: [] });
  });

  it('refuse a card without its uuid', () => {
    expect(() => ledgerEntries({ serviceId: 's', request: { hook: 'h', hookInstance: 'x' }, patientKey: null, inputDigest: '', cards: [card({ uuid: undefined })] })).toThrow(/uuid/);
  });
});

describe('input digest', () => {
  it('is the same for the same request data and differs when a value differs', () => {
    const a = { hook: 'patient-view', context: { patientId: 'p', userId: 'u' } };
    const prefetch = { patient: { resourceType: 'Patient', id: 'p', birthDate: '1950-01-01' } };
    expect(inputDigest(a, prefetch)).toBe(inputDigest(JSON.parse(JSON.stringify(a)) as typeof a, JSON.parse(JSON.stringify(prefetch)) as typeof prefetch));
    expect(inputDigest(a, prefetch)).not.toBe(inputDigest(a, { patient: { ...prefetch.patient, birthDate: '1950-01-02' } }));
    expect(inputDigest(a, prefetch)).not.toBe(inputDigest({ ...a, context: { ...a.context, patientId: 'q' } }, prefetch));
  });

  it('of a request body as sent is SHA-256 of its bytes, marked as such, whatever form the bytes come in', () => {
    const body = '{"hook":"patient-view","context":{"patientId":"p"},"prefetch":{"patient":{"resourceType":"Patient","name":[{"text":"Zoë"}]}}}';
    const sha256 = createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex');
    expect(requestBodyDigest(body)).toBe(`body:${sha256}`);
    expect(requestBodyDigest(Buffer.from(body, 'utf8'))).toBe(`body:${sha256}`);
    // Other spacing is another request as sent, though the same data.
    expect(requestBodyDigest(JSON.stringify(JSON.parse(body), null, 1))).not.toBe(requestBodyDigest(body));
  });
});

describe('patient keys', () => {
  it('are stable, keyed, per FHIR server, and never contain the id', () => {
    const p = { fhirServer: 'https://ehr.example.org/fhir/', patientId: 'smart-1288992' };
    const key = patientKey('secret-one', p);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(patientKey('secret-one', { ...p, fhirServer: 'https://ehr.example.org/fhir' })).toBe(key);
    expect(patientKey('secret-two', p)).not.toBe(key);
    expect(patientKey('secret-one', { ...p, fhirServer: 'https://other.example.org/fhir' })).not.toBe(key);
    expect(key).not.toContain('1288992');
  });
});

describe('audit records as FHIR AuditEvents', () => {
  const base: StoredAuditRecord = {
    id: '42',
    recordedAt: new Date('2026-12-06T10:00:01.250Z'),
    action: 'hook',
    method: 'POST',
    route: '/cds-services/:id',
    status: 200,
    outcome: 'cards',
    issuer: 'https://sandbox.cds-hooks.org',
    subject: 'client-1',
    serviceId: 'triage',
    hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
    patientKey: 'f'.repeat(32),
    cards: 2,
    durationMs: 250,
  };

  it('map a hook call to an executed RESTful operation by its caller about a pseudonymous patient', () => {
    const e = toAuditEvent(base, 'https://cairn.test/fhir/NamingSystem/patient-pseudonym');
    expect(e).toMatchObject({
      resourceType: 'AuditEvent',
      id: '42',
      type: { code: 'rest' },
      subtype: [{ code: 'operation' }],
      action: 'E',
      recorded: '2026-12-06T10:00:01.250Z',
      period: { start: '2026-12-06T10:00:01.000Z', end: '2026-12-06T10:00:01.250Z' },
      outcome: '0',
      agent: [{ requestor: true, who: { identifier: { system: 'https://sandbox.cds-hooks.org', value: 'client-1' } } }],
    });
    expect(e.entity?.[0]).toMatchObject({ what: { identifier: { system: 'https://cairn.test/fhir/NamingSystem/patient-pseudonym', value: 'f'.repeat(32) } }, role: { code: '1' } });
    expect(e.entity?.[1]).toMatchObject({ name: 'triage', what: { identifier: { value: 'urn:uuid:d1577c69-dfbe-44ad-ba6d-3e05e953b2ea' } }, detail: [{ type: 'cards', valueString: '2' }] });
  });

  it('tell the caller’s failures from Cairn’s, and reads and deletions from executions', () => {
    expect(toAuditEvent({ ...base, status: 401, outcome: 'refused', issuer: undefined, subject: undefined }, 's')).toMatchObject({ outcome: '4', agent: [{ who: { display: 'unauthenticated caller' } }] });
    expect(toAuditEvent({ ...base, status: 503 }, 's').outcome).toBe('8');
    expect(toAuditEvent({ ...base, action: 'screening', method: 'GET', route: '/screenings/:id' }, 's')).toMatchObject({ action: 'R', subtype: [{ code: 'read' }] });
    expect(toAuditEvent({ ...base, action: 'screening', method: 'DELETE', route: '/screenings/:id' }, 's').action).toBe('D');
    expect(toAuditEvent({ ...base, action: 'feedback' }, 's').action).toBe('C');
  });
});

describe('group commit', () => {
  /** A writer whose statements take `ms` and record the batches they were given. */
  function slowDb(ms: number, fail?: (items: readonly number[]) => boolean) {
    const batches: number[][] = [];
    const writer = new GroupCommit<number>({ query: async () => ({ rows: [], rowCount: 0 }) }, {
      maxBatch: 5,
      writeBatch: async (_db, items) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        if (fail?.(items)) throw new Error('disk full');
        batches.push([...items]);
      },
    });
    return { writer, batches };
  }

  it('writes the first at once, and what arrives meanwhile together in the next statement, bounded in size', async () => {
    const { writer, batches } = slowDb(20);
    const first = [writer.write([1]), writer.write([2, 3])];
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = [writer.write([4]), writer.write([5, 6]), writer.write([7, 8, 9])];
    await Promise.all([...first, ...later]);
    expect(batches).toEqual([[1], [2, 3, 4, 5, 6], [7, 8, 9]]);
  });

  it('never strands a write made by a caller it has just woken (sequential writers)', async () => {
    const { writer, batches } = slowDb(1);
    // Each write is made as soon as the previous one resolves, the way one client's calls follow
    // each other; a write that found the ending drain still marked running waited forever.
    const sequence = (async () => {
      for (let i = 1; i <= 20; i++) await writer.write([i]);
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('a write never completed')), 5000);
    });
    await Promise.race([sequence, timeout]).finally(() => clearTimeout(timer));
    expect(batches.flat()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await writer.flush();
  });

  it('with a gathering window, writes each batch when its oldest write has waited that long, under steady load too', async () => {
    jest.useFakeTimers();
    try {
      const batches: { at: number; items: number[] }[] = [];
      const writer = new GroupCommit<number>({ query: async () => ({ rows: [], rowCount: 0 }) }, {
        gatherMs: 10,
        writeBatch: async (_db, items) => {
          await new Promise((resolve) => setTimeout(resolve, 1)); // a statement takes 1 ms
          batches.push({ at: performance.now(), items: [...items] });
        },
      });
      // A steady caller: one write a millisecond for 60 ms, each timed from its call to its commit.
      const start = performance.now();
      const waits: Promise<number>[] = [];
      for (let i = 0; i < 60; i++) {
        const made = performance.now();
        waits.push(writer.write([i]).then(() => performance.now() - made));
        await jest.advanceTimersByTimeAsync(1);
      }
      await jest.advanceTimersByTimeAsync(50);
      const waited = await Promise.all(waits);
      expect(batches.flatMap((b) => b.items)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      // One statement a window (about 11 ms: 10 gathering, 1 writing), not one per write after the
      // first window: without the wait, each later statement carried the one write made meanwhile.
      expect(batches.length).toBeLessThanOrEqual(Math.ceil(60 / 10) + 1);
      for (const [a, b] of batches.slice(1).map((b, i) => [batches[i]!, b] as const)) expect(b.at - a.at).toBeGreaterThanOrEqual(10);
      // Nobody waits longer than the window, the statement ahead and its own.
      expect(Math.max(...waited)).toBeLessThanOrEqual(10 + 1 + 1);
      expect(batches[0]!.at - start).toBe(11);
    } finally {
      jest.useRealTimers();
    }
  });

  it('with a gathering window, writes at once for a caller that expects no company', async () => {
    jest.useFakeTimers();
    try {
      const committed: number[] = [];
      const writer = new GroupCommit<number>({ query: async () => ({ rows: [], rowCount: 0 }) }, {
        gatherMs: 10,
        writeBatch: async (_db, items) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          committed.push(...items);
        },
      });
      const timed = (p: Promise<void>) => {
        const made = performance.now();
        return p.then(() => performance.now() - made);
      };
      // A lone caller: only its statement's millisecond, call after call.
      for (let i = 0; i < 3; i++) {
        const done = timed(writer.write([i], { expectCompany: false }));
        await jest.advanceTimersByTimeAsync(5);
        await expect(done).resolves.toBe(1);
      }
      // Others under way: the window is waited, and a lone write made meanwhile joins that batch.
      const gathered = timed(writer.write([10]));
      await jest.advanceTimersByTimeAsync(4);
      const joined = timed(writer.write([11], { expectCompany: false }));
      await jest.advanceTimersByTimeAsync(30);
      await expect(gathered).resolves.toBe(10 + 1);
      await expect(joined).resolves.toBe(6 + 1);
      expect(committed).toEqual([0, 1, 2, 10, 11]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('settles each write with its own statement: a failed batch rejects its writes only', async () => {
    const { writer, batches } = slowDb(5, (items) => items.includes(3));
    const results = await Promise.allSettled([writer.write([1]), writer.write([2]), writer.write([3])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(batches).toEqual([[1]]);
    await expect(writer.write([4])).resolves.toBeUndefined();
    expect(batches).toEqual([[1], [4]]);
  });
});
