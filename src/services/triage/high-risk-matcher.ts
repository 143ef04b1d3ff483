import type { GuidelineSearch } from '../../knowledge/guideline-search.js';
import type { GuidelineHit } from '../../knowledge/retriever.js';
import type { HighRiskMatcher } from './types.js';

/** The handbook chapter listing the high-risk situations of ESI level 2, by body system. */
export const HIGH_RISK_DOCUMENT = 'ahrq-esi-v4-ch4-level-2';
/** The section of that chapter listing the high-risk situations by body system. */
export const HIGH_RISK_SECTION = 'High-risk Situations';

/**
 * Matches a chief complaint to the ESI v4 handbook's high-risk situations (chapter 4) through the
 * knowledge base. A complaint is high risk when the semantic search and the full-text search of
 * the handbook each put the same high-risk section first: the complaint shares words with that
 * section and means something close to it. When the two disagree, or the best section is not a
 * high-risk situation, it is not matched. No word list is involved; the handbook decides.
 * The complaint is patient text: a live search (`search`, not `searchFixed`).
 */
export function knowledgeBaseHighRiskMatcher(search: GuidelineSearch): HighRiskMatcher {
  const filters = { documentIds: [HIGH_RISK_DOCUMENT] };
  return async (complaint) => {
    const [semantic, words] = await Promise.all([
      search.search(complaint, { k: 1, mode: 'vector', filters }),
      search.search(complaint, { k: 1, mode: 'fulltext', filters }),
    ]);
    const best = semantic[0];
    const bestByWords = words[0];
    if (!best) return { matched: false };
    // The whole hit travels as the passage, so the card can quote it with its citation.
    const passage = best;
    const agree = bestByWords !== undefined && sectionOf(best) === sectionOf(bestByWords);
    const highRisk = best.headingPath[0] === HIGH_RISK_SECTION && best.headingPath.length > 1;
    return { matched: agree && highRisk, passage };
  };
}

function sectionOf(hit: GuidelineHit): string {
  return hit.headingPath.join('/');
}
