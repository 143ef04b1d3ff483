import type { QuotedPassage } from '../../cards/passages.js';
import { searchFixed, type GuidelineSearch } from '../../knowledge/guideline-search.js';
import type { Finding } from './finding.js';

/**
 * The passages a diagnosis card quotes, as Quicker composes a recommendation from graded evidence:
 * first the guideline's diagnostic criterion, then what it recommends doing next with its grade.
 * Generation-augmented retrieval (GARMLE-G): the computed finding (condition, stage, criterion) is
 * the query, and the finding's own guideline is the filter. The query text depends only on the
 * condition, stage and criterion (built from the criteria's constants), a small fixed set, so its
 * hits are computed once per corpus version and cached (searchFixed); the patient's values are
 * shown from the record, not sent as query text.
 */
export function criterionQuery(f: Finding): string {
  return [f.title, f.stage, 'diagnostic criteria', f.criterion].filter(Boolean).join(' ');
}

export function nextStepQuery(f: Finding): string {
  return [f.title, f.stage, 'recommended management and follow-up'].filter(Boolean).join(' ');
}

export async function diagnosisBasis(f: Finding, search: GuidelineSearch): Promise<{ criterion?: QuotedPassage; nextStep?: QuotedPassage }> {
  const filters = { documentIds: [f.guideline.id] };
  const [criterionHits, nextHits] = await Promise.all([
    searchFixed(search, criterionQuery(f), { k: 1, filters }).catch(() => []),
    searchFixed(search, nextStepQuery(f), { k: 5, filters }).catch(() => []),
  ]);
  const criterion = criterionHits[0];
  // A graded recommendation is preferred for "what to do next"; else the best passage that is not the criterion.
  const others = nextHits.filter((h) => h.chunkId !== criterion?.chunkId);
  const nextStep = others.find((h) => h.grade) ?? others[0];
  return { ...(criterion && { criterion }), ...(nextStep && { nextStep }) };
}
