/**
 * Stable identifiers for guideline documents, sections and chunks: the one place they are formed.
 *
 * Labelled evaluation queries, feedback and cards refer to passages by these ids, so they must not
 * change when an unrelated part of the corpus changes. They are derived only from the document id
 * and the section's heading path:
 *
 *   section anchor  `${documentId}#${slugify(headingPath.join('/'))}`
 *                   e.g. `uspstf-hypertension-screening-adults-2021#recommendation-summary`
 *   chunk id        the anchor for a section's first chunk; `${anchor}~2`, `~3`, … for the next
 *                   ones when a section is split by size.
 *
 * Two special cases, chosen so they can never collide with a slug (slugs are [a-z0-9-] only):
 *   - text before the first section heading has the anchor `${documentId}#_preamble`;
 *   - a heading path whose slug repeats within a document (the same heading twice under the same
 *     parent, or two headings that differ only in punctuation) gets `_2`, `_3`, … appended to its
 *     anchor, in document order.
 */

/** Document ids are kebab-case: they appear in chunk ids, URLs and labels. */
export const DOCUMENT_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const PREAMBLE_SLUG = '_preamble';

/**
 * Lower-case, every run of characters other than a-z and 0-9 becomes one '-', no '-' at either end.
 * Accents are removed first ("Sjögren" → "sjogren") so that non-English letters keep their
 * base letter instead of turning into a separator.
 */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The anchor of a section: the id of its first chunk, and the label evaluation queries use. */
export function sectionAnchor(documentId: string, headingPath: readonly string[]): string {
  if (headingPath.length === 0) return `${documentId}#${PREAMBLE_SLUG}`;
  return `${documentId}#${slugify(headingPath.join('/'))}`;
}

/** The id of the `index`-th (0-based) chunk of a section. */
export function chunkId(anchor: string, index: number): string {
  return index === 0 ? anchor : `${anchor}~${index + 1}`;
}

/** The document id part of a chunk id or anchor. */
export function documentIdOf(id: string): string {
  const hash = id.indexOf('#');
  return hash < 0 ? id : id.slice(0, hash);
}

/**
 * Whether a chunk answers to a label: the label is the chunk's own id, or the anchor of the
 * section it belongs to (the chunk is that section's first chunk or one of its `~n` followers).
 */
export function chunkMatchesLabel(chunk: string, label: string): boolean {
  return chunk === label || chunk.startsWith(`${label}~`);
}

/**
 * Gives every section a distinct anchor, in document order: the second and later sections whose
 * anchor is already taken get `_2`, `_3`, … appended.
 */
export class AnchorAllocator {
  readonly #seen = new Map<string, number>();

  constructor(private readonly documentId: string) {}

  next(headingPath: readonly string[]): string {
    const base = sectionAnchor(this.documentId, headingPath);
    const count = (this.#seen.get(base) ?? 0) + 1;
    this.#seen.set(base, count);
    // `_n` cannot collide with another base anchor: slugs never contain '_'.
    return count === 1 ? base : `${base}_${count}`;
  }
}
