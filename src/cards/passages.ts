import type { GuidelineHit } from '../knowledge/retriever.js';

/**
 * Guideline passages as a card shows them: the chunk text exactly as stored, set as a markdown
 * block quote, followed by its citation. Nothing here rewrites the text; a summary in Cairn's own
 * words (a corpus document of kind `summary`) says so in its citation line.
 */
export type QuotedPassage = Pick<
  GuidelineHit,
  'chunkId' | 'documentId' | 'title' | 'headingPath' | 'text' | 'url' | 'citation' | 'grade' | 'gradeSystem' | 'kind'
>;

/** The extension under which a card carries its passages raw, so an EHR or auditor can check them against the source. */
export const PASSAGES_EXTENSION = 'https://cairn.example.org/fhir/cds/passages';

export function citationLine(p: QuotedPassage): string {
  const section = p.headingPath.length > 0 ? `, "${p.headingPath.join(' › ')}"` : '';
  const grade = p.grade ? ` (${p.gradeSystem ? `${p.gradeSystem} ` : ''}grade ${p.grade})` : '';
  const kind = p.kind === 'summary' ? 'Summary in Cairn’s own words of: ' : '';
  const url = p.url ? ` <${p.url}>` : '';
  return `— ${kind}${p.title}${section}${grade}. ${p.citation}.${url}`;
}

/** A block quote whose lines, with the `> ` prefixes removed, are the passage text exactly. */
export function quotePassage(p: QuotedPassage): string {
  const quoted = p.text.split('\n').map((line) => (line.length > 0 ? `> ${line}` : '>'));
  return `${quoted.join('\n')}\n\n${citationLine(p)}`;
}

/** Reverses quotePassage's block quote: what a test compares with the corpus. */
export function unquote(block: string): string {
  return block
    .split('\n')
    .map((line) => (line === '>' ? '' : line.replace(/^> /, '')))
    .join('\n');
}

export function passagesExtension(passages: readonly QuotedPassage[]): Record<string, unknown> {
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
