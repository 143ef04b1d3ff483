/**
 * Splits sections into chunks of about CHUNK_SIZE characters whose text is always an exact
 * substring of the document body: a card quotes a chunk, and a quote must be the guideline's own
 * words. LangChain's RecursiveCharacterTextSplitter chooses the split points (paragraphs, then
 * lines, then words); its output is trimmed and its overlaps repeat text, so each piece is located
 * again in the section and the body's own characters at that place are stored.
 */
import { createHash } from 'node:crypto';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { chunkId } from './ids.js';
import type { GuidelineChunk, Section } from './types.js';

export const CHUNK_SIZE = 1200;
export const CHUNK_OVERLAP = 150;
/** Part of every document's content hash: changing how chunks are cut re-chunks every document. */
export const CHUNKER_VERSION = `recursive-${CHUNK_SIZE}-${CHUNK_OVERLAP}-v1`;

const splitter = new RecursiveCharacterTextSplitter({
  chunkSize: CHUNK_SIZE,
  chunkOverlap: CHUNK_OVERLAP,
  // CRLF first so a Windows-edited file still splits at paragraphs.
  separators: ['\r\n\r\n', '\n\n', '\r\n', '\n', ' ', ''],
  keepSeparator: true,
});

export interface ChunkSource {
  documentId: string;
  title: string;
  url?: string;
  citation: string;
  body: string;
}

/** What is embedded for a chunk: its context (title, headings) and its text. */
export function embeddingText(context: string, text: string): string {
  return `${context}\n\n${text}`;
}

export function contextOf(title: string, headingPath: readonly string[]): string {
  return headingPath.length > 0 ? `${title}\n${headingPath.join(' > ')}` : title;
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Offsets of `body.slice(start, end)` without leading and trailing white space. */
export function trimRange(body: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(body[s] as string)) s++;
  while (e > s && /\s/.test(body[e - 1] as string)) e--;
  return [s, e];
}

/**
 * Splits one stretch of text into pieces located by offset: `[start, end)` pairs into `text`.
 *
 * The splitter returns strings, not positions, and its output is trimmed and overlapping, so each
 * piece is found again in the text. In repetitive text a piece occurs in several places; taking
 * its LAST occurrence that starts no later than where the previous piece ended (plus the white
 * space after it) is always right in the one way that matters: the splitter leaves no gap, so the
 * true position lies in that window, and the mapped pieces therefore cover every non-space
 * character, each one an exact slice of the text.
 */
export async function splitRanges(text: string): Promise<Array<[number, number]>> {
  const [s0, e0] = trimRange(text, 0, text.length);
  if (s0 === e0) return [];
  if (e0 - s0 <= CHUNK_SIZE) return [[s0, e0]];
  const pieces = await splitter.splitText(text.slice(s0, e0));
  const ranges: Array<[number, number]> = [];
  let limit = s0;
  let coveredTo = s0;
  for (const piece of pieces) {
    if (!piece.trim()) continue;
    const at = text.lastIndexOf(piece, limit);
    if (at < 0) {
      // The splitter only cuts and trims; a piece that is not in the text would be a bug there.
      throw new Error('text splitter returned text that is not in the source: refusing to store a non-verbatim chunk');
    }
    const [s, e] = trimRange(text, at, at + piece.length);
    if (e <= coveredTo) continue; // adds nothing the previous pieces did not already hold
    ranges.push([s, e]);
    coveredTo = e;
    limit = trimRange(text, e, text.length)[0];
  }
  if (coveredTo < e0) throw new Error('text splitter dropped text: refusing to store chunks that do not cover the section');
  return ranges;
}

export async function chunkSections(source: ChunkSource, sections: readonly Section[]): Promise<GuidelineChunk[]> {
  const chunks: GuidelineChunk[] = [];
  for (const section of sections) {
    const content = source.body.slice(section.start, section.end);
    const ranges = await splitRanges(content);
    const context = contextOf(source.title, section.headingPath);
    ranges.forEach(([s, e], index) => {
      const start = section.start + s;
      const end = section.start + e;
      const text = source.body.slice(start, end);
      chunks.push({
        id: chunkId(section.anchor, index),
        anchor: section.anchor,
        documentId: source.documentId,
        ordinal: chunks.length,
        headingPath: section.headingPath,
        ...(section.grade !== undefined && { grade: section.grade }),
        ...(section.gradeSystem !== undefined && { gradeSystem: section.gradeSystem }),
        title: source.title,
        ...(source.url !== undefined && { url: source.url }),
        citation: source.citation,
        start,
        end,
        text,
        context,
        contentHash: sha256(embeddingText(context, text)),
      });
    });
  }
  return chunks;
}
