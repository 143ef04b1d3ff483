/**
 * PDF guideline files. The stored body is the text pdf.js extracts, line by line, pages separated
 * by a blank line. PDFs have no reliable headings, so sections come from the PDF's outline
 * (bookmarks) when it has one, or else from the headings listed in the sidecar's `sections`; a
 * section starts at the first line, after the previous section, that reads exactly as its title.
 * Without either, the document is one section (the preamble), split by size.
 */
// Types only: the module itself is imported when the first PDF is parsed (see below).
import type * as PdfJs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { CorpusError } from './errors.js';
import type { Heading } from './types.js';

/**
 * pdf.js's legacy build (the one that runs on Node 20) carries core-js polyfills that REPLACE
 * process-wide built-ins when it and its fake worker load: JSON.stringify, JSON.parse and
 * Array.prototype.push become slower JavaScript versions (they tripled the GC time of a 10k-chunk
 * ingest). So pdf.js is loaded only when a PDF is parsed, and every replaced built-in is put back
 * after each parse; the methods it adds (Promise.withResolvers, …), which it needs, stay.
 */
const GUARDED: ReadonlyArray<object> = [
  JSON,
  Object,
  Array,
  Array.prototype,
  Promise,
  Map.prototype,
  Set.prototype,
  Math,
  Number,
  String.prototype,
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Uint8Array.prototype,
  ArrayBuffer.prototype,
];

async function withBuiltinsKept<T>(fn: () => Promise<T>): Promise<T> {
  const saved = GUARDED.map((target) => ({
    target,
    props: Reflect.ownKeys(target).map((key) => [key, Object.getOwnPropertyDescriptor(target, key)] as const),
  }));
  try {
    return await fn();
  } finally {
    for (const { target, props } of saved) {
      for (const [key, descriptor] of props) {
        const now = Object.getOwnPropertyDescriptor(target, key);
        if (descriptor && now && (now.value !== descriptor.value || now.get !== descriptor.get)) {
          Object.defineProperty(target, key, descriptor);
        }
      }
    }
  }
}

let pdfjs: Promise<typeof PdfJs> | undefined;

export interface ParsedPdf {
  /** The PDF's own Title, when it has one. */
  title?: string;
  body: string;
  /** Outline entries with their depth (1 = top level). */
  outline: Array<{ level: number; title: string }>;
}

interface OutlineNode {
  title: string;
  items: OutlineNode[];
}

export function parsePdf(data: Uint8Array, file: string): Promise<ParsedPdf> {
  return withBuiltinsKept(() => extract(data, file));
}

async function extract(data: Uint8Array, file: string): Promise<ParsedPdf> {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  const { getDocument } = await pdfjs;
  let doc;
  try {
    // A copy: pdf.js detaches the buffer it is given.
    doc = await getDocument({ data: new Uint8Array(data), isEvalSupported: false, verbosity: 0, useSystemFonts: false }).promise;
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error';
    if (name === 'PasswordException') throw new CorpusError(file, 'the PDF is password-protected', { cause: err });
    throw new CorpusError(file, `not a readable PDF (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      pages.push(text.replace(/\s+$/, ''));
      page.cleanup();
    }
    const body = pages.filter((p) => p.trim()).join('\n\n');
    const outline: ParsedPdf['outline'] = [];
    const flatten = (nodes: OutlineNode[] | null | undefined, level: number) => {
      for (const node of nodes ?? []) {
        const title = node.title.replace(/\s+/g, ' ').trim();
        if (title) outline.push({ level, title });
        flatten(node.items, level + 1);
      }
    };
    flatten((await doc.getOutline()) as OutlineNode[] | null, 1);
    const meta = await doc.getMetadata().catch(() => undefined);
    const info = meta?.info as { Title?: unknown } | undefined;
    const title = typeof info?.Title === 'string' ? info.Title.trim() : '';
    return { ...(title && { title }), body: body ? `${body}\n` : '', outline };
  } finally {
    await doc.destroy();
  }
}

/**
 * Finds each wanted heading, in order, as a whole line of the body (white space and case aside),
 * searching after the previous one; headings not found are skipped.
 */
export function locateHeadings(body: string, wanted: ReadonlyArray<{ level: number; title: string }>): Heading[] {
  const lines: Array<{ key: string; start: number; end: number }> = [];
  let pos = 0;
  while (pos < body.length) {
    const nl = body.indexOf('\n', pos);
    const end = nl < 0 ? body.length : nl + 1;
    lines.push({ key: normalise(body.slice(pos, end)), start: pos, end });
    pos = end;
  }
  const headings: Heading[] = [];
  let from = 0;
  for (const w of wanted) {
    const key = normalise(w.title);
    const at = lines.findIndex((l, i) => i >= from && l.key === key);
    if (at < 0) continue;
    const line = lines[at] as { start: number; end: number };
    headings.push({ level: w.level, text: w.title, start: line.start, end: line.end });
    from = at + 1;
  }
  return headings;
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}
