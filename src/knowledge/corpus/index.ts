/** The guideline corpus: files → validated documents → sections → verbatim chunks. */
export { chunkId, chunkMatchesLabel, documentIdOf, sectionAnchor, slugify, DOCUMENT_ID_PATTERN, PREAMBLE_SLUG } from './ids.js';
export { citationOf, documentVersionOf, isIsoDate, parseMetadata, metadataSchema, DOCUMENT_KINDS, GRADE_SYSTEMS } from './metadata.js';
export type { DocumentKind, GradeSystem, GuidelineMetadata, NewerEdition } from './metadata.js';
export { CHUNK_OVERLAP, CHUNK_SIZE, CHUNKER_VERSION, chunkSections, contextOf, embeddingText, splitRanges } from './chunker.js';
export { buildSections } from './sections.js';
export { markdownHeadings, parseMarkdown } from './markdown.js';
export { parseHtml } from './html.js';
export { locateHeadings, parsePdf } from './pdf.js';
export { collectFiles, CorpusErrors, displayPath, formatOf, parseCorpus, parseFiles, parseGuidelineFile, SIDECAR_SUFFIX } from './files.js';
export { CorpusError } from './errors.js';
export type { GuidelineChunk, GuidelineDocument, Heading, Section, SourceFormat } from './types.js';
