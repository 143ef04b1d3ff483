import type { QuotedPassage } from '../../cards/passages.js';
import type { SearchOptions } from '../../knowledge/retriever.js';
import type { TriageAssessment } from './assess.js';
import { searchFixed, type GuidelineSearch } from '../../knowledge/guideline-search.js';
import type { FixedQuestion } from '../../knowledge/fixed-answers.js';
import { HIGH_RISK_DOCUMENT, HIGH_RISK_SECTION } from './high-risk-matcher.js';
import { RESOURCE_TABLE, type ResourceMatch } from './resources.js';
import { applies } from './types.js';

/**
 * Which guideline passages a triage card quotes, as fixed questions to the knowledge base: the
 * same finding always asks the same question, so its hits are computed once per corpus version and
 * cached (searchFixed; they are all answered at start-up, off the hook's path: triageFixedQuestions).
 */
interface BasisQuery {
  query: string;
  options: SearchOptions;
  /** A hit not from where the question expects it is not quoted. */
  accept?: (hit: QuotedPassage) => boolean;
}

/** Every question of a triage card asks for the one best passage of one document. */
const topPassageIn = (documentId: string): SearchOptions => ({ k: 1, filters: { documentIds: [documentId] } });

export const ESI_ALGORITHM = 'ahrq-esi-v4-ch3-algorithm';
export const NEWS2 = 'summary-rcp-news2-2017';
export const SEPSIS = 'summary-sepsis-3-and-ssc-2021';

export const DECISION_POINT_QUERY: Record<'A' | 'B' | 'C' | 'D', string> = {
  A: 'Does this patient require immediate life-saving intervention? ESI level 1',
  B: 'Is this a patient who should not wait: high-risk situation, new onset confusion, lethargy or disorientation, or severe pain or distress? ESI level 2',
  C: 'How many different resources are needed? ESI level 3, 4 or 5',
  // The section's own question, not "danger zone vitals … level 2": that retrieved a passage of the
  // time-to-treatment subsection about level 2 ("ESI level-2 patients are still considered to be
  // very high risk"), which a level 3 card then quoted (tests/integration/knowledge/triage-basis.test.ts).
  D: "Before assigning a patient to ESI level 3, the nurse looks at the patient's vital signs: outside the accepted parameters for age, consider upgrading to ESI level 2",
};

/**
 * Decision point B asks three questions (ESI v4 ch. 3); the card quotes the handbook on the one
 * that set the level, not on another (a level set by a high-risk chief complaint once quoted the
 * section on confusion, which the general question above retrieves).
 */
export const DECISION_POINT_B_QUERY = {
  highRisk: 'Is this a high-risk situation? A high-risk patient is one whose condition could easily deteriorate: ESI level 2',
  confusion: 'Is the patient confused, lethargic or disoriented? New onset confusion, lethargy or disorientation: ESI level 2',
  pain: 'Is this patient in severe pain or distress? Pain of 7 or more on a scale of 0 to 10: ESI level 2',
} as const;

/**
 * The B question for the criterion that set the level. A febrile young infant and hypotension are
 * high-risk situations (ESI v4 ch. 4 and 6): the high-risk question, not the general one, which
 * retrieves the confusion section.
 */
function decisionPointBQuery(a: TriageAssessment): string {
  const criteria = new Set(a.acuity.deciding.map((f) => f.criterion));
  if (criteria.has('new-confusion-lethargy-disorientation')) return DECISION_POINT_B_QUERY.confusion;
  if (criteria.has('severe-pain')) return DECISION_POINT_B_QUERY.pain;
  return DECISION_POINT_B_QUERY.highRisk;
}

/**
 * The resource-table row that made the chief complaint high risk (a row the handbook's chapter 4
 * names), when it set the level at B.
 */
export function highRiskRow(a: TriageAssessment): (ResourceMatch & { highRisk: string }) | undefined {
  if (a.acuity.setBy !== 'B' || !a.acuity.deciding.some((f) => f.criterion === 'high-risk-complaint')) return undefined;
  const r = a.acuity.resources;
  return r.status === 'estimated' ? r.matches?.find((m): m is ResourceMatch & { highRisk: string } => m.highRisk !== undefined) : undefined;
}

/** How a high-risk row names what it cites: "ESI v4 ch. 4, Cardiovascular: …", "ESI v4 ch. 3, Decision Point A: …". */
const ROW_CITATION = /^ESI v4 ch\. ([34]), ([^:]+):/;

/** A heading as the row names it: the corpus keeps the PDF's line breaks ("Confusion/Lethargy/ Disorientation"). */
const headingKey = (h: string): string => h.replace(/\s*\/\s*/g, '/').trim().toLowerCase();

/** The chapter and section a high-risk row cites (chapter 4 when it names none). */
export function rowCitation(row: { highRisk: string }): { document: string; section?: string } {
  const [, chapter, section] = ROW_CITATION.exec(row.highRisk) ?? [];
  return { document: chapter === '3' ? ESI_ALGORITHM : HIGH_RISK_DOCUMENT, ...(section !== undefined && { section }) };
}

/** The heading path holds the cited section: the heading itself, or one that starts with it and a colon. */
export function namesSection(headingPath: readonly string[], section: string): boolean {
  const key = headingKey(section);
  return headingPath.some((h) => headingKey(h) === key || headingKey(h).startsWith(`${key}:`));
}

/**
 * The passage behind a high-risk row: the row's own summary of it (which names its chapter and
 * section, e.g. "ESI v4 ch. 4, Cardiovascular: …") is the question, within that chapter; a hit is
 * quoted when it is from one of chapter 4's high-risk situations or from the section named. Checked
 * on the shipped corpus for every such row (tests/integration/knowledge/triage-basis.test.ts).
 */
export function highRiskRowQuery(row: { highRisk: string }): BasisQuery {
  const { document, section } = rowCitation(row);
  return {
    query: row.highRisk,
    options: topPassageIn(document),
    accept: (hit) => hit.documentId === document && ((document === HIGH_RISK_DOCUMENT && hit.headingPath[0] === HIGH_RISK_SECTION) || (section !== undefined && namesSection(hit.headingPath, section))),
  };
}

export const NEWS2_BAND_QUERY: Record<string, string> = {
  high: 'NEWS2 aggregate score 7 or more high clinical risk: urgent or emergency response',
  medium: 'NEWS2 aggregate score 5 or 6 medium clinical risk: urgent ward-based response',
  'low-medium': 'NEWS2 red score: a score of 3 in any single parameter, urgent review',
};

export const QSOFA_QUERY = 'qSOFA positive two or more: suspected sepsis, measure lactate and take blood cultures before antimicrobials';

function queriesFor(a: TriageAssessment): BasisQuery[] {
  const row = highRiskRow(a);
  const decisionPoint = a.acuity.setBy === 'B' ? decisionPointBQuery(a) : DECISION_POINT_QUERY[a.acuity.setBy];
  const queries: BasisQuery[] = [...(row ? [highRiskRowQuery(row)] : []), { query: decisionPoint, options: topPassageIn(ESI_ALGORITHM) }];
  // NEWS2 outside its population (a child, pregnancy): no band to quote.
  const bandQuery = applies(a.news2) ? NEWS2_BAND_QUERY[a.news2.band] : undefined;
  if (bandQuery) queries.push({ query: bandQuery, options: topPassageIn(NEWS2) });
  if (a.qsofa.positive === 'yes') queries.push({ query: QSOFA_QUERY, options: topPassageIn(SEPSIS) });
  return queries;
}

/** The passages for one assessment, in the order the card shows them; an unavailable knowledge base gives none. */
export async function guidelineBasis(a: TriageAssessment, search: GuidelineSearch): Promise<QuotedPassage[]> {
  const queries = queriesFor(a);
  const results = await Promise.all(queries.map((q) => searchFixed(search, q.query, q.options).catch(() => [])));
  return results.flatMap((hits, i) => hits.slice(0, 1).filter((hit) => queries[i]?.accept?.(hit) ?? true));
}

/** Every fixed question a triage card may ask: answered at start-up, before the first hook (CachedGuidelineSearch.warm). */
export function triageFixedQuestions(): FixedQuestion[] {
  return [
    ...[...Object.values(DECISION_POINT_QUERY), ...Object.values(DECISION_POINT_B_QUERY)].map((query) => ({ query, options: topPassageIn(ESI_ALGORITHM) })),
    ...RESOURCE_TABLE.rows.flatMap((row) => (row.highRisk !== undefined ? [highRiskRowQuery({ highRisk: row.highRisk })] : [])),
    ...Object.values(NEWS2_BAND_QUERY).map((query) => ({ query, options: topPassageIn(NEWS2) })),
    { query: QSOFA_QUERY, options: topPassageIn(SEPSIS) },
  ];
}
