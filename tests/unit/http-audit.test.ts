/**
 * The audit line and row of each call, and the ledger as the HTTP adapter uses it: one
 * structured `audit` log line per hook and feedback call, with the caller, the service, the
 * outcome, the number of cards, a pseudonymous patient key and the duration, and never a token,
 * a name or the patient's FHIR id; a hook whose cards cannot be recorded sends none.
 */
import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import type { Database, Transaction } from '../../src/db/database.js';
import type { CdsService } from '../../src/hooks/service.js';
import { createApp } from '../../src/http/app.js';
import { createMetrics } from '../../src/http/metrics.js';
import type { IssuedCard } from '../../src/ledger/issued-cards.js';
import { createLogger } from '../../src/log.js';
import { memoryRecords, MemoryLedger } from '../support/memory-records.js';

const PATIENT_ID = 'smart-7321938';
const PATIENT_NAME = 'Zephyrine Quillfeather';
const FHIR_TOKEN = 'fhir-access-token-3c1f5e';

const services: CdsService[] = [
  {
    definition: { id: 'summary', hook: 'patient-view', title: 'summary', description: 'test' },
    requiredPrefetch: [],
    run: async ({ prefetch }, emit) => {
      const name = (prefetch.patient as { name?: Array<{ text?: string }> } | null)?.name?.[0]?.text;
      emit([{ summary: `Card for ${name ? 'a named patient' : 'someone'}`, indicator: 'info', source: { label: 'test' }, suggestions: [{ label: 'Do it' }] }]);
    },
  },
];

const logLines: Array<Record<string, unknown>> = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
/** A database that takes the audit trail's inserts (and feedback's, in a transaction), keeping the audit rows' parameters. */
const auditRows: unknown[][] = [];
const fakeDb = {
  kind: 'pglite',
  ping: async () => undefined,
  query: async (_sql: string, params?: unknown[]) => {
    auditRows.push(params ?? []);
    return { rows: [], rowCount: 1 };
  },
  // Feedback: every insert "stores" its one row.
  transaction: async <T>(fn: (tx: Transaction) => Promise<T>) => fn({ query: async () => ({ rows: [], rowCount: 1 }) } as unknown as Transaction),
} as unknown as Database;

class FailingLedger extends MemoryLedger {
  failing = false;
  override async record(entries: readonly IssuedCard[], options?: { othersInProgress?: boolean }): Promise<void> {
    if (this.failing) throw new Error('database unreachable');
    return super.record(entries, options);
  }
}

const log = createLogger('info', logStream);
const records = { ...memoryRecords(), ledger: new FailingLedger(), audit: new AuditTrail(fakeDb, log) };
let server: Server;
let base: string;

beforeAll(async () => {
  const app = createApp({
    config: { publicUrl: 'http://localhost', corsOrigins: [], hookDeadlineMs: 1000, fhirTimeoutMs: 500, fhirConcurrency: 2, fhirMaxPages: 2, requireAuth: false, maxRequestBytes: 100_000 },
    services,
    db: fakeDb,
    records,
    metrics: createMetrics(),
    log,
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const hook = () =>
  post('/cds-services/summary', {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    fhirServer: 'http://127.0.0.1:9/fhir',
    fhirAuthorization: { access_token: FHIR_TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cairn' },
    context: { userId: 'Practitioner/1', patientId: PATIENT_ID },
    prefetch: { patient: { resourceType: 'Patient', id: PATIENT_ID, name: [{ text: PATIENT_NAME }] } },
  });
const auditLines = () => logLines.filter((l) => l.msg === 'audit').map((l) => l.audit as Record<string, unknown>);
/** Until the audit rows of the calls so far are written (they are gathered for a moment). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20)).then(() => records.audit.flush());

describe('audit trail of calls', () => {
  it('writes one audit line and row per hook call, with a pseudonymous patient and no token, name or id', async () => {
    const res = await hook();
    expect(res.status).toBe(200);
    const { cards } = (await res.json()) as { cards: Array<{ uuid: string }> };
    await settle();
    const [line] = auditLines();
    expect(line).toMatchObject({ action: 'hook', method: 'POST', route: '/cds-services/:id', status: 200, outcome: 'cards', serviceId: 'summary', cards: 1 });
    expect(line!.patientKey).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof line!.durationMs).toBe('number');
    expect(auditRows).toHaveLength(1);
    const everything = JSON.stringify(logLines) + JSON.stringify(auditRows);
    for (const secret of [PATIENT_ID, PATIENT_NAME, FHIR_TOKEN]) expect(everything).not.toContain(secret);
    // The card is in the ledger under the same patient key.
    expect(records.ledger.entries.get(cards[0]!.uuid)?.patientKey).toBe(line!.patientKey);
    // A call alone says so: its cards need not wait for other calls' to share a commit.
    expect(records.ledger.othersInProgress).toEqual([false]);
  });

  it('audits feedback with the patient of its card, and refused calls too', async () => {
    const res = await hook();
    const { cards } = (await res.json()) as { cards: Array<{ uuid: string }> };
    logLines.length = 0;
    const fb = await post('/cds-services/summary/feedback', { feedback: [{ card: cards[0]!.uuid, outcome: 'overridden', outcomeTimestamp: '2026-12-06T10:00:00Z' }] });
    // The fake database stores no feedback (it answers every insert with rowCount 1).
    expect(fb.status).toBe(200);
    const unknown = await post('/cds-services/summary/feedback', { feedback: [{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: '2026-12-06T10:00:00Z' }] });
    expect(unknown.status).toBe(404);
    await settle();
    const [accepted, refused] = auditLines();
    expect(accepted).toMatchObject({ action: 'feedback', status: 200, serviceId: 'summary', cards: 1, patientKey: records.ledger.entries.get(cards[0]!.uuid)!.patientKey });
    expect(refused).toMatchObject({ action: 'feedback', status: 404, outcome: 'not-found' });
  });

  it('sends no cards when they cannot be recorded: 503 with Retry-After, audited', async () => {
    records.ledger.failing = true;
    try {
      logLines.length = 0;
      const res = await hook();
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
      await settle();
      expect(auditLines()).toEqual([expect.objectContaining({ action: 'hook', status: 503, outcome: 'ledger-unavailable' })]);
    } finally {
      records.ledger.failing = false;
    }
  });

  it('serves the trail as a Bundle of AuditEvents when authentication is off (development), and checks its paging parameters', async () => {
    const memory = memoryRecords();
    memory.audit.record({ action: 'hook', method: 'POST', route: '/cds-services/:id', status: 200, outcome: 'cards', durationMs: 2 });
    const app = createApp({
      config: { publicUrl: 'http://localhost', corsOrigins: [], hookDeadlineMs: 1000, fhirTimeoutMs: 500, fhirConcurrency: 2, fhirMaxPages: 2, requireAuth: false, maxRequestBytes: 100_000 },
      services,
      db: fakeDb,
      records: memory,
      metrics: createMetrics(),
      log: createLogger('silent'),
    });
    const s = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => s.once('listening', resolve));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    try {
      const ok = await fetch(`${url}/audit`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'AuditEvent', action: 'E' } }] });
      for (const bad of ['_count=0', '_count=9999', '_count=x', 'before=abc']) {
        const res = await fetch(`${url}/audit?${bad}`);
        expect(res.status).toBe(400);
      }
    } finally {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});
