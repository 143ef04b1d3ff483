/** The shapes a parsed guideline document takes between a source file and the database. */
import type { GuidelineMetadata } from './metadata.js';

export type SourceFormat = 'markdown' | 'html' | 'pdf';

/** A heading found in a document's body text. Offsets index the body string. */
export interface Heading {
  /** 1 for h1 / `#`, 2 for h2 / `##`, … */
  level: number;
  /** The heading as written (markdown: without the `#` marks). */
  text: string;
  /** Where the heading's line starts, and where the text after it begins. */
  start: number;
  end: number;
}

/** A section: the text between one heading and the next, with the path of headings above it. */
export interface Section {
  anchor: string;
  /** Headings from the outermost section down to this one; the document title is not part of it. */
  headingPath: string[];
  /** Offsets of the section's content (after its heading line) in the body. */
  start: number;
  end: number;
  grade?: string;
  gradeSystem?: string;
}

/** The unit that is embedded, searched and quoted. */
export interface GuidelineChunk {
  id: string;
  /** The anchor of the section the chunk belongs to. */
  anchor: string;
  documentId: string;
  /** Position within the document, from 0. */
  ordinal: number;
  headingPath: string[];
  grade?: string;
  gradeSystem?: string;
  title: string;
  url?: string;
  citation: string;
  /** `body.slice(start, end) === text`, always. */
  start: number;
  end: number;
  /** An exact substring of the document body: what a card may quote. */
  text: string;
  /** Title and heading path: embedded and indexed with the text, never quoted as guideline text. */
  context: string;
  /** SHA-256 of what is embedded (context and text): unchanged hash, no re-embedding. */
  contentHash: string;
}

export interface GuidelineDocument {
  id: string;
  meta: GuidelineMetadata;
  format: SourceFormat;
  /** Path as given or found (relative to the working directory when inside it), '/' separated. */
  sourcePath: string;
  /** SHA-256 of the source bytes, any sidecar and the chunker version: unchanged hash, nothing to do. */
  contentHash: string;
  /** The stored text every chunk is a substring of (markdown: the file after its front matter). */
  body: string;
  chunks: GuidelineChunk[];
}
