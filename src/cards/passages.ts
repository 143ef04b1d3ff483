import type { GuidelineHit } from '../knowledge/retriever.js';
import { escapeInline } from './markdown.js';

/**
 * Guideline passages as a card shows them: the chunk text (or whole sentences of it) exactly as
 * stored, set as a markdown block quote, followed by its section and its document's citation.
 * Nothing here rewrites the text; a summary in Cairn's own words (a corpus document of kind
 * `summary`) says so in its source line. Which passage a card quotes: src/cards/short-card.ts.
 */
export type QuotedPassage = Pick<
  GuidelineHit,
  'chunkId' | 'documentId' | 'title' | 'headingPath' | 'text' | 'url' | 'citation' | 'grade' | 'gradeSystem' | 'kind' | 'documentHash' | 'documentVersion'
>;

/**
 * The extension under which a card carries its passages raw, so an EHR or auditor can check them
 * against the source.
 *
 * Card extension keys (`cairn-passages`, `cairn-provenance`, `cairn-triage`, `cairn-diagnosis`,
 * `cairn-trial-match`; README, Card extensions) are fixed names, the same in every deployment.
 * Unlike FHIR canonical URLs they are JSON property names that an EHR integration reads by name:
 * were they under the configurable canonical base, one written for one Cairn would miss another's.
 */
export const PASSAGES_EXTENSION = 'cairn-passages';

/**
 * Where in its document a passage stands, and its grade: `— "Decision Point A › …" (SSC grade weak)`;
 * none for a document's opening text without a grade. `excerpt`: the card quotes only some whole
 * sentences of the passage, and the line says so, `(excerpt)`.
 */
export function sectionLine(p: QuotedPassage, excerpt = false): string | undefined {
  const parts = [
    ...(p.headingPath.length > 0 ? [`"${escapeInline(p.headingPath.join(' › '))}"`] : []),
    ...(p.grade ? [`(${p.gradeSystem ? `${p.gradeSystem} ` : ''}grade ${p.grade})`] : []),
    ...(excerpt ? ['(excerpt)'] : []),
  ];
  return parts.length > 0 ? `— ${parts.join(' ')}` : undefined;
}

/**
 * A document's citation, once per card: its title, whether the text is a summary in Cairn's own
 * words, the source's bibliographic reference and its address.
 */
export function sourceLine(p: QuotedPassage): string {
  const title = p.kind === 'summary' ? `${escapeInline(p.title.trim())}, a summary in Cairn’s own words of:` : escapeInline(sentence(p.title));
  const url = p.url ? ` <${p.url}>` : '';
  return `Source: ${title} ${escapeInline(sentence(p.citation))}${url}`;
}

/**
 * The document a passage comes from, by its title and address only, for a card with no room for
 * the full reference (short cards, src/cards/short-card.ts): the reference stays in the card's
 * `cairn-passages` extension. A summary in Cairn's own words says so here too.
 */
export function shortSourceLine(p: QuotedPassage): string {
  const title = escapeInline(p.title.trim());
  const url = p.url ? ` <${p.url}>` : '';
  return p.kind === 'summary' ? `Source: ${title}, a summary in Cairn’s own words.${url}` : `Source: ${sentence(title)}${url}`;
}

/** Ends a title or citation with one full stop, however the corpus wrote it ("…Index)." stays as is). */
function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** A block quote whose lines, with the `> ` prefixes removed, are the passage text exactly. */
export function quoteBlock(p: Pick<QuotedPassage, 'text'>): string {
  return p.text
    .split('\n')
    .map((line) => (line.length > 0 ? `> ${line}` : '>'))
    .join('\n');
}

/** Reverses quoteBlock: what a test compares with the corpus. */
export function unquote(block: string): string {
  return block
    .split('\n')
    .map((line) => (line === '>' ? '' : line.replace(/^> /, '')))
    .join('\n');
}

/** None for a card that quotes nothing: an empty list is no information (and CDS Hooks validators refuse empty arrays). */
export function passagesExtension(passages: readonly QuotedPassage[]): Record<string, unknown> {
  if (passages.length === 0) return {};
  return {
    [PASSAGES_EXTENSION]: passages.map((p) => ({
      chunkId: p.chunkId,
      documentId: p.documentId,
      kind: p.kind,
      text: p.text,
      citation: p.citation,
      ...(p.url && { url: p.url }),
      ...(p.grade && { grade: p.grade }),
    })),
  };
}

/** Keeps the first hit of each chunk: the same passage is never quoted twice on a card. */
export function distinctPassages(hits: ReadonlyArray<QuotedPassage | undefined>): QuotedPassage[] {
  const seen = new Set<string>();
  const out: QuotedPassage[] = [];
  for (const hit of hits) {
    if (hit && !seen.has(hit.chunkId)) {
      seen.add(hit.chunkId);
      out.push(hit);
    }
  }
  return out;
}
