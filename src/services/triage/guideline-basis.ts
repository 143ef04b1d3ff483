import type { QuotedPassage } from '../../cards/passages.js';
import type { SearchOptions } from '../../knowledge/retriever.js';
import type { TriageAssessment } from './assess.js';
import { searchFixed, type GuidelineSearch } from '../../knowledge/guideline-search.js';
import type { FixedQuestion } from '../../knowledge/fixed-answers.js';

/**
 * Which guideline passages a triage card quotes, as fixed questions to the knowledge base: the
 * same finding always asks the same question, so its hits are computed once per corpus version and
 * cached (searchFixed; they are all answered at start-up, off the hook's path: triageFixedQuestions).
 */
interface BasisQuery {
  query: string;
  options: SearchOptions;
}

export const ESI_ALGORITHM = 'ahrq-esi-v4-ch3-algorithm';
export const NEWS2 = 'summary-rcp-news2-2017';
export const SEPSIS = 'summary-sepsis-3-and-ssc-2021';

export const DECISION_POINT_QUERY: Record<'A' | 'B' | 'C' | 'D', string> = {
  A: 'Does this patient require immediate life-saving intervention? ESI level 1',
  B: 'Is this a patient who should not wait: high-risk situation, new onset confusion, lethargy or disorientation, or severe pain or distress? ESI level 2',
  C: 'How many different resources are needed? ESI level 3, 4 or 5',
  D: 'Danger zone vital signs: consider up-triage to ESI level 2',
};

export const NEWS2_BAND_QUERY: Record<string, string> = {
  high: 'NEWS2 aggregate score 7 or more high clinical risk: urgent or emergency response',
  medium: 'NEWS2 aggregate score 5 or 6 medium clinical risk: urgent ward-based response',
  'low-medium': 'NEWS2 red score: a score of 3 in any single parameter, urgent review',
};

export const QSOFA_QUERY = 'qSOFA positive two or more: suspected sepsis, measure lactate and take blood cultures before antimicrobials';

function queriesFor(a: TriageAssessment): BasisQuery[] {
  const queries: BasisQuery[] = [{ query: DECISION_POINT_QUERY[a.acuity.setBy], options: { k: 1, filters: { documentIds: [ESI_ALGORITHM] } } }];
  const bandQuery = NEWS2_BAND_QUERY[a.news2.band];
  if (bandQuery) queries.push({ query: bandQuery, options: { k: 1, filters: { documentIds: [NEWS2] } } });
  if (a.qsofa.positive === 'yes') queries.push({ query: QSOFA_QUERY, options: { k: 1, filters: { documentIds: [SEPSIS] } } });
  return queries;
}

/** The passages for one assessment, in the order the card shows them; an unavailable knowledge base gives none. */
export async function guidelineBasis(a: TriageAssessment, search: GuidelineSearch): Promise<QuotedPassage[]> {
  const results = await Promise.all(queriesFor(a).map((q) => searchFixed(search, q.query, q.options).catch(() => [])));
  return results.flatMap((hits) => hits.slice(0, 1));
}

/** Every fixed question a triage card may ask: answered at start-up, before the first hook (CachedGuidelineSearch.warm). */
export function triageFixedQuestions(): FixedQuestion[] {
  return [
    ...Object.values(DECISION_POINT_QUERY).map((query) => ({ query, options: { k: 1, filters: { documentIds: [ESI_ALGORITHM] } } })),
    ...Object.values(NEWS2_BAND_QUERY).map((query) => ({ query, options: { k: 1, filters: { documentIds: [NEWS2] } } })),
    { query: QSOFA_QUERY, options: { k: 1, filters: { documentIds: [SEPSIS] } } },
  ];
}
