/**
 * HTML guideline files (e.g. a hospital's licensed full text saved as a web page). The stored body
 * is the page's readable text: one paragraph per block element, separated by blank lines, list
 * items marked "- ", table cells separated by " | ", <pre> kept as is. h1–h3 are section headings;
 * h4–h6 stay in the text. Metadata comes from a sidecar `<file>.meta.yaml` (see files.ts); the
 * title may be left out there, and is then the page's <title> or first <h1>.
 */
import { NodeType, parse, type HTMLElement, type Node } from 'node-html-parser';
import type { Heading } from './types.js';

export interface ParsedHtml {
  /** <title>, or the first h1, when the page has one. */
  title?: string;
  body: string;
  headings: Heading[];
}

const SKIPPED = new Set(['head', 'script', 'style', 'noscript', 'template', 'svg', 'iframe', 'nav', 'button', 'form', 'select']);
const BLOCKS = new Set([
  'address', 'article', 'aside', 'blockquote', 'caption', 'dd', 'details', 'div', 'dl', 'dt', 'fieldset', 'figcaption',
  'figure', 'footer', 'header', 'hr', 'li', 'main', 'ol', 'p', 'section', 'summary', 'table', 'tbody', 'tfoot', 'thead',
  'tr', 'ul', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre',
]);
const SECTION_HEADINGS = new Set(['h1', 'h2', 'h3']);
/** Marks a <br> while text is collected (a private-use character, not found in real pages). */
const BR = '\uE000';

interface Block {
  text: string;
  level?: number;
}

export function parseHtml(html: string): ParsedHtml {
  const root = parse(html, { comment: false, blockTextElements: { script: false, style: false, noscript: false, pre: true } });
  const blocks: Block[] = [];
  let inline = '';
  const flush = () => {
    const text = collapse(inline);
    if (text) blocks.push({ text });
    inline = '';
  };

  const walk = (node: Node): void => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      inline += node.text;
      return;
    }
    if (node.nodeType !== NodeType.ELEMENT_NODE) return;
    const el = node as HTMLElement;
    const tag = el.rawTagName?.toLowerCase() ?? '';
    if (SKIPPED.has(tag)) return;
    if (tag === 'br') {
      inline += BR;
      return;
    }
    if (tag === 'td' || tag === 'th') {
      if (inline.trim()) inline += ' | ';
      for (const child of el.childNodes) walk(child);
      return;
    }
    if (!BLOCKS.has(tag)) {
      for (const child of el.childNodes) walk(child);
      return;
    }
    flush();
    if (tag === 'pre') {
      const text = el.text.replace(/^\n+|\s+$/g, '');
      if (text) blocks.push({ text });
      return;
    }
    if (/^h[1-6]$/.test(tag)) {
      const text = collapse(el.text);
      if (text) blocks.push(SECTION_HEADINGS.has(tag) ? { text, level: Number(tag[1]) } : { text });
      return;
    }
    if (tag === 'li') inline = '- ';
    for (const child of el.childNodes) walk(child);
    flush();
  };

  const bodyEl = root.querySelector('body') ?? root;
  for (const child of bodyEl.childNodes) walk(child);
  flush();

  let body = '';
  const headings: Heading[] = [];
  for (const block of blocks) {
    if (body) body += '\n\n';
    const start = body.length;
    body += block.text;
    if (block.level !== undefined) headings.push({ level: block.level, text: block.text, start, end: body.length });
  }
  body += '\n';

  const title = collapse(root.querySelector('title')?.text ?? '') || headings.find((h) => h.level === 1)?.text;
  return { ...(title && { title }), body, headings };
}

/** Runs of white space (source line breaks included) become one space; a <br> becomes a line break. */
function collapse(text: string): string {
  return text
    .split(BR)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line.length > 0)
    .join('\n');
}
