/**
 * The triage card's fixed questions against the shipped guideline corpus and the real USE-lite
 * retrieval (vectors from vectors/): each question finds the passage the card means to quote. A
 * word-overlap stand-in (the unit tests') cannot show this; a changed corpus, query or retrieval
 * weight can break it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openKnowledgeBase, type KnowledgeBase } from '../../../src/knowledge/knowledge-base.js';
import { createLogger } from '../../../src/log.js';
import { closeEmbeddingThreads } from '../../../src/search/embeddings/index.js';
import { DECISION_POINT_B_QUERY, DECISION_POINT_QUERY, ESI_ALGORITHM, highRiskRowQuery, namesSection, rowCitation } from '../../../src/services/triage/guideline-basis.js';
import { HIGH_RISK_DOCUMENT, HIGH_RISK_SECTION } from '../../../src/services/triage/high-risk-matcher.js';
import { RESOURCE_TABLE } from '../../../src/services/triage/resources.js';
import { openTestDatabase, type TestDatabase } from '../../support/databases.js';
import { repoPath } from '../../support/repo-root.js';

let t: TestDatabase;
let kb: KnowledgeBase;

beforeAll(async () => {
  t = await openTestDatabase('pglite', { migrate: true });
  kb = await openKnowledgeBase(t.db, { guidelinesDir: repoPath('guidelines'), vectorsDir: repoPath('vectors'), log: createLogger('silent') });
}, 120_000);
afterAll(async () => {
  await t?.dispose();
  await closeEmbeddingThreads();
});

describe('triage card passages on the shipped corpus', () => {
  const rows = RESOURCE_TABLE.rows.filter((r): r is typeof r & { highRisk: string } => r.highRisk !== undefined);

  it('has high-risk rows, each citing its chapter and section by name', () => {
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const row of rows) expect(row.highRisk).toMatch(/^ESI v4 ch\. [34], [A-Z][A-Za-z ,/]+:/);
  });

  it.each(RESOURCE_TABLE.rows.filter((r) => r.highRisk !== undefined).map((r) => [r.id, r.highRisk as string]))(
    'finds the section the high-risk row %s cites',
    async (_id, highRisk) => {
      const { document, section } = rowCitation({ highRisk });
      const q = highRiskRowQuery({ highRisk });
      const [hit] = await kb.search.searchFixed(q.query, q.options);
      expect(hit?.documentId).toBe(document);
      expect(namesSection(hit!.headingPath, section!)).toBe(true);
      // A high-risk situation of chapter 4 sits under its heading.
      if (document === HIGH_RISK_DOCUMENT && hit!.headingPath[0] === HIGH_RISK_SECTION) expect(hit!.headingPath).toEqual([HIGH_RISK_SECTION, section]);
      expect(q.accept?.(hit!)).toBe(true);
    },
  );

  // A level 3 card set at D once quoted "ESI level-2 patients are still considered to be very high
  // risk." from decision point B's section.
  it.each(['A', 'C', 'D'] as const)('finds the section of decision point %s for its question', async (point) => {
    const [hit] = await kb.search.searchFixed(DECISION_POINT_QUERY[point], { k: 1, filters: { documentIds: [ESI_ALGORITHM] } });
    expect(hit?.headingPath.at(-1)).toMatch(new RegExp(`^Decision Point ${point}:`));
  });

  it.each([
    ['highRisk', 'Is This a High-risk Situation?'],
    ['confusion', 'Is the Patient Confused, Lethargic, or Disoriented?'],
    ['pain', 'Is This Patient in Severe Pain or Distress?'],
  ] as const)('finds the decision point B section for the %s question', async (key, heading) => {
    const [hit] = await kb.search.searchFixed(DECISION_POINT_B_QUERY[key], { k: 1, filters: { documentIds: [ESI_ALGORITHM] } });
    expect(hit?.headingPath.at(-1)).toBe(heading);
  });
});
