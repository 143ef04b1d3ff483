/**
 * The corpus-versioned cache seen from the hook: the shipped `diagnosis` logic over the shipped
 * guideline corpus (embedded with the deterministic test model, on PGlite), called with a demo
 * patient's record. A guideline sentence the card quotes is changed in the corpus and re-ingested
 * in this process: the very next hook quotes the new wording, and a hook before the change quoted
 * the old one from the cache (the fixed question was searched once, not per hook).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Card } from '../../../src/hooks/schema.js';
import type { HookInput } from '../../../src/hooks/service.js';
import { CachedGuidelineSearch } from '../../../src/knowledge/cached-search.js';
import { CorpusVersion } from '../../../src/knowledge/corpus-version.js';
import type { GuidelineSearch } from '../../../src/knowledge/guideline-search.js';
import { ingestPaths } from '../../../src/knowledge/ingest.js';
import { GuidelineRetriever, type SearchOptions } from '../../../src/knowledge/retriever.js';
import { createLogger } from '../../../src/log.js';
import { diagnosisLogic } from '../../../src/services/diagnosis/service.js';
import { openTestDatabase, type TestDatabase } from '../../support/databases.js';
import { HashingEmbeddings } from '../../support/knowledge-embeddings.js';
import { repoPath } from '../../support/repo-root.js';

const quiet = createLogger('silent');
// The mixed-units demo patient's times sit around this day.
const NOW = new Date('2026-11-24T12:00:00Z');

class CountingSearch implements GuidelineSearch {
  calls = 0;
  constructor(private readonly inner: GuidelineRetriever) {}
  search(query: string, options?: SearchOptions) {
    this.calls++;
    return this.inner.search(query, options);
  }
}

describe('a guideline change reaches the next hook', () => {
  let t: TestDatabase;
  let dir: string;
  let version: CorpusVersion;
  const embedder = new HashingEmbeddings();

  beforeAll(async () => {
    t = await openTestDatabase('pglite', { migrate: true });
    dir = await mkdtemp(path.join(tmpdir(), 'cairn-corpus-'));
    await cp(repoPath('guidelines'), dir, { recursive: true });
    await ingestPaths(t.db, [dir], embedder, { log: quiet });
  }, 120_000);
  afterAll(async () => {
    version?.close();
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('quotes the changed wording on the very next call, and searched each fixed question once before', async () => {
    const inner = new CountingSearch(new GuidelineRetriever({ db: t.db, embeddings: embedder }));
    version = new CorpusVersion(t.db, { queryModelId: embedder.modelId });
    const logic = diagnosisLogic({ search: new CachedGuidelineSearch({ inner, version }), indicator: 'warning', now: () => NOW });
    const bundle = JSON.parse(await readFile(repoPath('fhir-profiles/examples/edge-cases/mixed-units.json'), 'utf8')) as {
      entry: Array<{ resource: { resourceType: string; id: string } }>;
    };
    const patientId = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource.id;
    const call = async (): Promise<Card[]> => {
      const cards: Card[] = [];
      await logic({ context: { patientId }, prefetch: { record: bundle }, log: quiet } as unknown as HookInput, (c) => cards.push(...c));
      return cards;
    };

    const first = await call();
    expect(first.length).toBeGreaterThan(0);
    const searchesForOneCall = inner.calls;
    expect(searchesForOneCall).toBeGreaterThan(0);
    expect(await call()).toEqual(first);
    // The second hook asked the same fixed questions: all answered from the cache.
    expect(inner.calls).toBe(searchesForOneCall);

    // A sentence of the corpus that the cards quote, verbatim: change one word of it in its file.
    const details = first.map((c) => c.detail ?? '').join('\n');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.md'));
    let changed: { file: string; before: string; after: string } | undefined;
    for (const file of files) {
      const text = await readFile(path.join(dir, file), 'utf8');
      const sentence = text
        .split(/(?<=[.;:])\s+|\n/)
        .map((s) => s.trim())
        .find((s) => s.length > 40 && / the /.test(s) && details.includes(s));
      if (sentence) {
        changed = { file, before: sentence, after: sentence.replace(' the ', ' the (revised) ') };
        await writeFile(path.join(dir, file), text.replace(sentence, changed.after));
        break;
      }
    }
    if (!changed) throw new Error('no quoted corpus sentence found in the cards: the test cannot change what they quote');
    await ingestPaths(t.db, [dir], embedder, { log: quiet });

    const next = (await call()).map((c) => c.detail ?? '').join('\n');
    expect(next).toContain(changed.after);
    expect(next).not.toContain(changed.before);
  }, 120_000);
});
