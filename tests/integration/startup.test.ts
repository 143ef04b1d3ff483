/**
 * Start-up behind the port (src/server.ts): Cairn listens at once, reports each step on /readyz,
 * turns hook calls away until the knowledge base is loaded, fails visibly, and can be closed at
 * any step. Each test holds start-up where it wants it with the `beforeStep` hook and an embedding
 * model that waits to be released.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import type { StartupStep } from '../../src/http/readiness.js';
import { createLogger } from '../../src/log.js';
import { startCairn, type RunningCairn } from '../../src/server.js';
import { testServiceLogic } from '../e2e/support/test-services.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { repoPath } from '../support/repo-root.js';
import { CardLedger, ledgerEntries } from '../../src/ledger/issued-cards.js';

/** Resolves when `release()` is called. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { opened, release };
}

/** The hashing model, whose first embedding call waits for `held.release()`. */
class HeldEmbeddings extends HashingEmbeddings {
  readonly held = gate();
  readonly called = gate();

  override async embedDocuments(texts: string[]): Promise<number[][]> {
    this.called.release();
    await this.held.opened;
    return super.embedDocuments(texts);
  }
}

function config(env: Record<string, string> = {}): Config {
  return {
    ...loadConfig({
      CAIRN_REQUIRE_AUTH: 'false',
      CAIRN_DATA_DIR: 'memory://',
      CAIRN_SERVICES_DIR: repoPath('tests/e2e/fixtures/services'),
      CAIRN_GUIDELINES_DIR: repoPath('tests/fixtures/guidelines'),
      CAIRN_TRIALS: 'none',
      CAIRN_VECTORS_DIR: 'none',
      ...env,
    }),
    port: 0,
    host: '127.0.0.1',
  };
}

const log = createLogger('silent');
let cairn: RunningCairn | undefined;
afterEach(async () => {
  await cairn?.close();
  cairn = undefined;
});

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const readyz = async (c: RunningCairn) => {
  const res = await fetch(`${c.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; step?: string; reason?: string } };
};
const hook = (c: RunningCairn) =>
  fetch(`${c.url}/cds-services/record-summary`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      hook: 'patient-view',
      hookInstance: randomUUID(),
      context: { userId: 'Practitioner/1', patientId: 'p1' },
      prefetch: { patient: { resourceType: 'Patient', id: 'p1' }, vitals: { resourceType: 'Bundle', type: 'searchset', entry: [] } },
    }),
  });
const feedback = (c: RunningCairn, card: string = randomUUID()) =>
  fetch(`${c.url}/cds-services/record-summary/feedback`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp: '2026-11-24T10:00:00Z' }] }),
  });
/** A card as if issued by an earlier hook call (feedback is taken for issued cards only). */
async function issuedCard(c: RunningCairn): Promise<string> {
  const uuid = randomUUID();
  const cards = [{ uuid, summary: 'A card', indicator: 'info' as const, source: { label: 'test' } }];
  await new CardLedger(c.db).record(ledgerEntries({ serviceId: 'record-summary', request: { hook: 'patient-view', hookInstance: randomUUID() }, patientKey: null, inputDigest: 'test', cards }));
  return uuid;
}

describe('start-up behind the port', () => {
  it('answers at once, says how far it is, and serves hooks only once the knowledge base is loaded', async () => {
    const steps: StartupStep[] = [];
    const atMigrating = gate();
    const atIngest = gate();
    const embeddings = new HeldEmbeddings();
    cairn = await startCairn(config(), log, {
      logic: testServiceLogic,
      embeddings,
      beforeStep: async (step) => {
        steps.push(step);
        if (step === 'migrating') await atMigrating.opened;
        if (step === 'ingesting-guidelines') await atIngest.opened;
      },
    });
    const c = cairn;

    // Held before migrating: the database is open but has no schema yet.
    await until(async () => ((await readyz(c)).body.step === 'migrating' ? true : undefined), 'the migrating step');
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
    expect(await readyz(c)).toEqual({ status: 503, body: { status: 'starting', step: 'migrating', reason: 'applying schema migrations' } });
    const discovery = await fetch(`${c.url}/cds-services`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { services: Array<{ id: string }> }).services.map((s) => s.id)).toContain('record-summary');
    const early = await hook(c);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('5');
    const outcome = (await early.json()) as { resourceType: string; issue: Array<{ diagnostics: string }> };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]?.diagnostics).toMatch(/Cairn is starting/);
    expect((await feedback(c)).status).toBe(503);

    // Migrated, held before the ingest: feedback works, hooks still wait.
    atMigrating.release();
    await until(async () => ((await readyz(c)).body.step === 'ingesting-guidelines' ? true : undefined), 'the ingest step');
    expect((await feedback(c, await issuedCard(c))).status).toBe(200);
    expect((await hook(c)).status).toBe(503);

    // In the ingest, the model holds its first batch: /readyz counts the chunks.
    atIngest.release();
    await embeddings.called.opened;
    const during = await readyz(c);
    expect(during.status).toBe(503);
    expect(during.body.reason).toMatch(/^guideline chunks embedded: 0 of \d+$/);
    expect((await hook(c)).status).toBe(503);

    embeddings.held.release();
    await c.ready;
    expect(steps).toEqual(['opening-database', 'migrating', 'ingesting-guidelines']);
    expect(await readyz(c)).toEqual({ status: 200, body: { status: 'ready' } });
    const res = await hook(c);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cards: unknown[] }).cards).toHaveLength(1);
  });

  it('fails visibly after listening: ready rejects, /readyz says failed, hooks stay turned away', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-bad-corpus-'));
    try {
      await writeFile(join(dir, 'broken.md'), '---\nid: [unclosed\n---\n# Broken\n\nText.\n');
      cairn = await startCairn(config({ CAIRN_GUIDELINES_DIR: dir }), log, { logic: testServiceLogic, embeddings: new HashingEmbeddings() });
      const c = cairn;
      await expect(c.ready).rejects.toThrow(/broken\.md/);
      expect((await readyz(c)).body).toMatchObject({ status: 'failed', reason: expect.stringMatching(/broken\.md/) });
      expect((await hook(c)).status).toBe(503);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('closes during start-up: the step in progress stops at its next embedding batch', async () => {
    // More chunks than one ingest batch (128), so that there is a next batch to refuse.
    const dir = await mkdtemp(join(tmpdir(), 'cairn-big-corpus-'));
    try {
      const sections = Array.from({ length: 200 }, (_, i) => `## Section ${i + 1}\n\nRecommendation number ${i + 1} of a long test guideline.\n`);
      await writeFile(
        join(dir, 'long.md'),
        `---\nid: fixture-long\ntitle: A long guideline (test)\npublisher: Cairn tests\nyear: 2026\nurl: https://example.org/long\nlicence: "test"\nkind: summary\nlastReviewed: "2026-12-06"\nnextReview: "2027-12-06"\n---\n# Long\n\n${sections.join('\n')}`,
      );
      const embeddings = new HeldEmbeddings();
      cairn = await startCairn(config({ CAIRN_GUIDELINES_DIR: dir }), log, { logic: testServiceLogic, embeddings });
      const c = cairn;
      await embeddings.called.opened;
      const closed = c.close();
      // The held batch finishes; the ingest then stops instead of asking for the next one.
      embeddings.held.release();
      await closed;
      expect(embeddings.documentsEmbedded).toBe(128);
      await expect(c.ready).rejects.toThrow(/closed before start-up finished/);
      expect(c.readiness.ready).toBe(false);
      await expect(fetch(`${c.url}/healthz`)).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('closes while held before the database is opened, without opening it', async () => {
    const held = gate();
    cairn = await startCairn(config(), log, { logic: testServiceLogic, embeddings: new HashingEmbeddings(), beforeStep: () => held.opened });
    const c = cairn;
    await c.close();
    await expect(c.ready).rejects.toThrow(/closed before start-up finished/);
  });
});
