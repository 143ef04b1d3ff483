/**
 * Markdown guideline files: YAML front matter between `---` lines, then the body. The body is
 * stored exactly as written (markdown marks included, since cards render markdown), and sections
 * come from ATX headings (`#` … `######`) outside fenced code blocks. Setext headings (a line
 * underlined with `===`) are not recognised: write `#` headings.
 */
import { parseMetadata, type GuidelineMetadata } from './metadata.js';
import { CorpusError } from './errors.js';
import type { Heading } from './types.js';
import { parseYaml } from './yaml.js';

export interface ParsedMarkdown {
  meta: GuidelineMetadata;
  body: string;
  headings: Heading[];
}

const OPENING = /^---[ \t]*\r?\n/;
const CLOSING = /^(?:---|\.\.\.)[ \t]*$/;

export function parseMarkdown(text: string, file: string): ParsedMarkdown {
  const opening = OPENING.exec(text);
  if (!opening) {
    throw new CorpusError(file, 'does not start with YAML front matter (a line "---", the fields, then "---")');
  }
  let pos = opening[0].length;
  let body: string | undefined;
  let yamlText = '';
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl + 1;
    const line = text.slice(pos, lineEnd).replace(/\r?\n$/, '');
    if (CLOSING.test(line)) {
      body = text.slice(lineEnd);
      break;
    }
    yamlText += text.slice(pos, lineEnd);
    if (nl < 0) break;
    pos = lineEnd;
  }
  if (body === undefined) throw new CorpusError(file, 'front matter is not closed by a line "---"');
  const meta = parseMetadata(parseYaml(yamlText, file, 'front matter', 2), file);
  return { meta, body, headings: markdownHeadings(body) };
}

const ATX = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** ATX headings with their line offsets; lines inside fenced code blocks are never headings. */
export function markdownHeadings(body: string): Heading[] {
  const headings: Heading[] = [];
  let fence: string | undefined;
  let pos = 0;
  while (pos < body.length) {
    const nl = body.indexOf('\n', pos);
    const end = nl < 0 ? body.length : nl + 1;
    const line = body.slice(pos, end).replace(/\r?\n$/, '');
    const f = FENCE.exec(line);
    if (fence) {
      if (f && (f[1] as string)[0] === fence[0] && (f[1] as string).length >= fence.length) fence = undefined;
    } else if (f) {
      fence = f[1];
    } else {
      const m = ATX.exec(line);
      const text = m?.[2]?.trim();
      if (m && text) headings.push({ level: (m[1] as string).length, text, start: pos, end });
    }
    pos = end;
  }
  return headings;
}
