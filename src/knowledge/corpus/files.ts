/**
 * Reading guideline files: finding them in directories, checking they are what they claim to be,
 * and dispatching to the parser for their format. Everything is parsed before anything is
 * written, and every malformed file is reported (by name) at once.
 *
 * Formats, by extension:
 *   .md / .markdown  YAML front matter + markdown body (the shipped corpus)
 *   .html / .htm     metadata in a sidecar `<file>.meta.yaml`, e.g. `sepsis.html.meta.yaml`
 *   .pdf             metadata in a sidecar `<file>.meta.yaml`, e.g. `sepsis.pdf.meta.yaml`
 * A sidecar holds the same fields as front matter; `title` may be omitted there (the page's
 * <title>/<h1>, or the PDF's Title, is used).
 *
 * In a directory, files and folders whose name starts with '.' or '_', README files and the
 * sidecars themselves are not guideline documents and are skipped; a file named explicitly is
 * always parsed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CHUNKER_VERSION, chunkSections, sha256 } from './chunker.js';
import { parseHtml } from './html.js';
import { parseMarkdown } from './markdown.js';
import { citationOf, parseMetadata, type GuidelineMetadata } from './metadata.js';
import { locateHeadings, parsePdf } from './pdf.js';
import { buildSections } from './sections.js';
import { CorpusError } from './errors.js';
import type { GuidelineDocument, Heading, SourceFormat } from './types.js';
import { parseYaml } from './yaml.js';

/** Bumped when a parser changes what it extracts: every document of that format is then re-chunked. */
const PARSER_VERSION: Record<SourceFormat, string> = { markdown: 'md-1', html: 'html-1', pdf: 'pdf-1' };

const FORMATS: Record<string, SourceFormat> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
};

export const SIDECAR_SUFFIX = '.meta.yaml';

export function formatOf(file: string): SourceFormat | undefined {
  return FORMATS[path.extname(file).toLowerCase()];
}

/** A path as stored and shown: relative to the working directory when inside it, '/' separated. */
export function displayPath(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  return shown.split(path.sep).join('/');
}

export interface CollectedFiles {
  /** Guideline files, sorted. */
  files: string[];
  /** The inputs as given, as display paths: what `--prune` is scoped to. */
  roots: string[];
}

export class CorpusErrors extends Error {
  constructor(readonly errors: readonly CorpusError[]) {
    super(
      errors.length === 1
        ? (errors[0] as CorpusError).message
        : `${errors.length} guideline files are malformed:\n  ${errors.map((e) => e.message).join('\n  ')}`,
    );
    this.name = 'CorpusErrors';
  }
}

/** Expands files and directories (recursively) into the guideline files to parse. */
export async function collectFiles(inputs: readonly string[]): Promise<CollectedFiles> {
  const files = new Set<string>();
  const errors: CorpusError[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (skippedInDirectory(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && formatOf(entry.name)) files.add(displayPath(full));
    }
  };
  for (const input of inputs) {
    let st;
    try {
      st = await stat(input);
    } catch {
      errors.push(new CorpusError(displayPath(input), 'no such file or directory'));
      continue;
    }
    if (st.isDirectory()) await walk(input);
    else if (!formatOf(input)) {
      errors.push(new CorpusError(displayPath(input), 'unsupported file type: expected .md, .markdown, .html, .htm or .pdf'));
    } else files.add(displayPath(input));
  }
  if (errors.length > 0) throw new CorpusErrors(errors);
  return { files: [...files].sort(), roots: inputs.map(displayPath) };
}

function skippedInDirectory(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || /^readme(\.|$)/i.test(name) || name.endsWith(SIDECAR_SUFFIX);
}

/** Parses every file; throws CorpusErrors naming each malformed one, or if two share a document id. */
export async function parseFiles(files: readonly string[]): Promise<GuidelineDocument[]> {
  const documents: GuidelineDocument[] = [];
  const errors: CorpusError[] = [];
  for (const file of files) {
    try {
      documents.push(await parseGuidelineFile(file));
    } catch (err) {
      if (err instanceof CorpusError) errors.push(err);
      else errors.push(new CorpusError(displayPath(file), `could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
    }
  }
  const byId = new Map<string, GuidelineDocument>();
  for (const doc of documents) {
    const other = byId.get(doc.id);
    if (other) errors.push(new CorpusError(doc.sourcePath, `document id '${doc.id}' is already used by ${other.sourcePath}`));
    else byId.set(doc.id, doc);
  }
  if (errors.length > 0) throw new CorpusErrors(errors);
  return documents;
}

/** Collects and parses inputs (files or directories). */
export async function parseCorpus(inputs: readonly string[]): Promise<CollectedFiles & { documents: GuidelineDocument[] }> {
  const collected = await collectFiles(inputs);
  return { ...collected, documents: await parseFiles(collected.files) };
}

export async function parseGuidelineFile(file: string): Promise<GuidelineDocument> {
  const shown = displayPath(file);
  const format = formatOf(file);
  if (!format) throw new CorpusError(shown, 'unsupported file type: expected .md, .markdown, .html, .htm or .pdf');
  const bytes = new Uint8Array(await readFile(file));
  if (bytes.length === 0) throw new CorpusError(shown, 'the file is empty');

  let meta: GuidelineMetadata;
  let body: string;
  let headings: Heading[];
  let sidecarBytes: Uint8Array = new Uint8Array();
  if (format === 'markdown') {
    const parsed = parseMarkdown(stripBom(decodeText(bytes, shown)), shown);
    ({ meta, body, headings } = parsed);
  } else {
    const sidecar = await readSidecar(file, shown);
    sidecarBytes = sidecar.bytes;
    if (format === 'html') {
      const parsed = parseHtml(decodeText(bytes, shown));
      meta = sidecarMetadata(sidecar, parsed.title);
      ({ body, headings } = parsed);
    } else {
      const parsed = await parsePdf(bytes, shown);
      meta = sidecarMetadata(sidecar, parsed.title);
      body = parsed.body;
      if (!body.trim()) throw new CorpusError(shown, 'the PDF has no extractable text (a scanned PDF needs OCR first)');
      const wanted = parsed.outline.length > 0 ? parsed.outline : meta.sections.map((s) => ({ level: 2, title: s.heading }));
      headings = locateHeadings(body, wanted);
    }
  }
  if (!body.trim()) throw new CorpusError(shown, 'the document has no text');

  const sections = buildSections(shown, meta.id, body, headings, meta);
  const chunks = await chunkSections(
    { documentId: meta.id, title: meta.title, ...(meta.url !== undefined && { url: meta.url }), citation: citationOf(meta), body },
    sections,
  );
  if (chunks.length === 0) throw new CorpusError(shown, 'the document has no text outside its headings');
  const contentHash = sha256(
    Buffer.concat([Buffer.from(`${CHUNKER_VERSION}\0${PARSER_VERSION[format]}\0${shown}\0`), bytes, Buffer.from('\0'), sidecarBytes]),
  );
  return { id: meta.id, meta, format, sourcePath: shown, contentHash, body, chunks };
}

interface Sidecar {
  file: string;
  raw: Record<string, unknown>;
  bytes: Uint8Array;
}

async function readSidecar(file: string, shown: string): Promise<Sidecar> {
  const sidecarFile = `${file}${SIDECAR_SUFFIX}`;
  const sidecarShown = `${shown}${SIDECAR_SUFFIX}`;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(sidecarFile));
  } catch {
    throw new CorpusError(
      shown,
      `needs its metadata in a sidecar file ${path.basename(sidecarShown)} (the same fields as markdown front matter: id, title, publisher, year, licence, kind, …)`,
    );
  }
  const parsed = parseYaml(decodeText(bytes, sidecarShown), sidecarShown, 'the sidecar');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CorpusError(sidecarShown, 'the sidecar must be a YAML mapping of fields (id, title, …)');
  }
  return { file: sidecarShown, raw: parsed as Record<string, unknown>, bytes };
}

function sidecarMetadata(sidecar: Sidecar, extractedTitle: string | undefined): GuidelineMetadata {
  const raw = sidecar.raw.title === undefined && extractedTitle ? { ...sidecar.raw, title: extractedTitle } : sidecar.raw;
  return parseMetadata(raw, sidecar.file, 'sidecar metadata');
}

/** Text files must be UTF-8 without NUL bytes: anything else is binary junk, not a guideline. */
function decodeText(bytes: Uint8Array, shown: string): string {
  if (bytes.includes(0)) throw new CorpusError(shown, 'is a binary file, not text (it contains NUL bytes)');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CorpusError(shown, 'is not UTF-8 text (a binary file, or another encoding: save it as UTF-8)');
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

