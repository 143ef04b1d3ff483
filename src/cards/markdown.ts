/**
 * Card markdown that renders the same in every GitHub-flavoured markdown renderer (CDS Hooks
 * says `detail` is GFM; the CDS Hooks sandbox and EHRs render it with different libraries) and
 * stays readable where an EHR shows it as plain text:
 * - blocks (paragraphs, lists, tables, block quotes) are separated by a blank line: a single
 *   newline inside a paragraph is a soft break that renderers join into one line;
 * - text taken from a record (a trial title, a criterion, a chief complaint) is escaped where a
 *   renderer would read it as markup, so it shows as written.
 */

/** The blocks of a card's detail, one blank line apart; empty ones left out. */
export function blocks(...parts: ReadonlyArray<string | false | undefined | null>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p.trim().length > 0).join('\n\n');
}

/** A bullet list, one line per item (an item's own line breaks become spaces). */
export function bulletList(items: readonly string[]): string {
  return items.map((item) => `- ${item.replace(/\s*\n\s*/g, ' ')}`).join('\n');
}

/**
 * Record text for a paragraph or a table cell: on one line, with the characters GFM reads as
 * inline markup escaped (emphasis, code, strikethrough, links, a table's cell separator, an HTML
 * tag or autolink, an entity). A backslash escape renders as the character itself.
 * Underscores inside a word are left alone: GFM never reads them as emphasis.
 */
export function escapeInline(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[\\`*~[\]|]/g, '\\$&')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/<(?=[A-Za-z/!?])/g, '\\<')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '\\&');
}
