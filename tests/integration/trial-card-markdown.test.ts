/**
 * The trial-match card of the demo patients as a GitHub-flavoured markdown renderer (the CDS
 * Hooks sandbox) shows it: the shipped `trial-match` logic over a PGlite trial store holding the
 * recruiting demo trials (trials/demo-trials.jsonl, as `npm start` imports them), with hashing
 * embeddings for speed. Short (issue #18): each trial in a line, its criteria in the card's
 * extension, the link to the Cairn app. The triage and diagnosis cards get the same checks in
 * tests/unit/cards-markdown.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Card } from '../../src/hooks/schema.js';
import type { HookInput } from '../../src/hooks/service.js';
import { isLeadIn, TRIAL_MATCH_EXTENSION } from '../../src/services/trials/card.js';
import { trialMatchLogic } from '../../src/services/trials/service.js';
import { openTrials } from '../../src/services/trials/store/open.js';
import { trialVersions } from '../../src/services/trials/store/trial-store.js';
import { readProvenance } from '../../src/cards/provenance.js';
import { provenanceProblems } from '../support/provenance.js';
import { blocksContaining, demoPatient, EDGE_CASES, renderGfm, renderingProblems, shortCardProblems } from '../support/card-markdown.js';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';
import { HashingEmbeddings } from '../support/knowledge-embeddings.js';
import { repoPath } from '../support/repo-root.js';

const REF = new Date('2026-11-24T09:00:00Z');
const log = pino({ level: 'silent' });
const SMART_APP_URL = 'https://cairn.example.org/app/launch.html';

describe('trial-match cards of the demo patients, as a GFM renderer shows them', () => {
  let t: TestDatabase;
  const shown: Array<{ file: string; card: Card }> = [];

  beforeAll(async () => {
    t = await openTestDatabase('pglite', { migrate: true });
    const { matcher } = await openTrials(t.db, new HashingEmbeddings(), { paths: [repoPath('trials/demo-trials.jsonl')], log });
    const logic = trialMatchLogic({ matcher, now: () => REF, smartAppUrl: SMART_APP_URL });
    for (const file of EDGE_CASES) {
      const { bundle, patientId } = demoPatient(file, REF);
      const input = { context: { patientId }, prefetch: { bundle }, log, signal: new AbortController().signal } as unknown as HookInput;
      await logic(input, (cards) => shown.push(...cards.map((card) => ({ file, card }))));
    }
  }, 120_000);

  afterAll(async () => {
    await t?.dispose();
  });

  it('gives the HIV trial candidate a card', () => {
    expect(shown.map((s) => s.file)).toContain('hiv-trial-candidate.json');
  });

  it('renders every card without run-together lines, raw UCUM codes, internal names, double full stops or empty columns', () => {
    expect(shown.flatMap(({ file, card }) => renderingProblems(card).map((p) => `${file}: ${p}`))).toEqual([]);
  });

  it('names the trials it shows, with their stored content hash, and its rule in its provenance', async () => {
    expect(shown.length).toBeGreaterThan(0);
    for (const { card } of shown) {
      expect(provenanceProblems(card, { ruleId: 'trial-match/criteria' })).toEqual([]);
      const shownIds = (card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ nctId: string }> }).trials.map((x) => x.nctId);
      const trials = readProvenance(card)?.trials ?? [];
      expect(trials.map((x) => x.nctId)).toEqual(shownIds);
      const stored = await trialVersions(t.db, shownIds);
      for (const x of trials) expect(x.contentHash).toBe(stored.get(x.nctId));
    }
  });

  it('keeps every card short: summary, at most 1,000 characters and 8 blocks of detail, no quotation, the link to the Cairn app', () => {
    expect(shown.flatMap(({ file, card }) => shortCardProblems(card, { corpus: [], smartAppUrl: SMART_APP_URL }).map((p) => `${file}: ${p}`))).toEqual([]);
    for (const { card } of shown) {
      const trials = (card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ nctId: string }> }).trials;
      expect(JSON.parse(card.links!.find((l) => l.type === 'smart')!.appContext!)).toEqual({ service: 'trial-match', rule: 'trial-match/criteria', nctIds: trials.map((t) => t.nctId) });
    }
  });

  it('gives each trial one line: its NCT id, title, status in words with the date of the demo snapshot (stale), and criteria counted, no criterion table', () => {
    const { card } = shown.find((s) => s.file === 'hiv-trial-candidate.json')!;
    const trials = (card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ nctId: string }> }).trials;
    // "3 met, 11 unknown", "1 not met, 12 not documented in the record", "none judged".
    const COUNTS = '(?:none judged|(?:\\d+ (?:met|not met|unknown|not documented in the record))(?:, \\d+ (?:met|not met|unknown|not documented in the record))*)';
    for (const { nctId } of trials) {
      const [line, ...more] = blocksContaining(card, `${nctId}:`);
      expect(more).toEqual([]);
      expect(line).toMatch(
        new RegExp(
          `^${nctId}: [^\\n]+ — (Recruiting|Not yet recruiting|Enrolling by invitation)(, [a-z /0-9]+)? \\(status as of 3 Feb 2023 — may be out of date\\)\\. (?:(?:Studies [^\\n]+|Meets “[^\\n]+”) — (?:recorded(?:: [^\\n]+)?\\.|note of [^\\n]+: “[^\\n]+”|stated in a note[^\\n]*\\.)|Close to the record by retrieval \\(relevance [01]\\.\\d\\d\\); no condition it studies documented\\.) Inclusion criteria: ${COUNTS}\\. Exclusion criteria: ${COUNTS}\\.`,
        ),
      );
    }
    expect(renderGfm(card.detail ?? '').querySelectorAll('table')).toHaveLength(0);
  });

  it('carries the deciding criteria in its extension, no lead-in among them, and only counts those assumed absent', () => {
    for (const { card } of shown) {
      const trials = (card.extension?.[TRIAL_MATCH_EXTENSION] as { trials: Array<{ criteria?: Array<{ criterion: string; basis: string }>; notListed?: string[] }> }).trials;
      const rows = trials.flatMap((t) => t.criteria ?? []);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => isLeadIn({ text: r.criterion, origin: 'text' }))).toEqual([]);
      expect(rows.filter((r) => r.basis === 'assumed-absent' || r.basis === 'not-applicable')).toEqual([]);
      for (const line of trials.flatMap((t) => t.notListed ?? []).filter((l) => l.includes('not documented'))) {
        expect(line).toMatch(/^\d+ (?:exclusions? not documented in the record\.|inclusion criteri(?:on asks|a ask) for an absence not documented in the record\.)/);
      }
    }
  });
});
