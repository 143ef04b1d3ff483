/**
 * A guideline passage's text as the app lays it out, character for character: cut at the marked
 * ranges, split into runs of text and markdown tables, soft line breaks shown as spaces. Every
 * piece is a span of the original text, so a marked range (offsets from the API) lands exactly
 * where it was computed. Pure, without imports (tests/unit/app-text.test.ts runs it under Node).
 */

export interface Span {
  start: number;
  end: number;
}

/** The ranges to mark, clipped to the text, sorted, overlapping ones merged. */
function mergedRanges(length: number, matches: readonly Span[]): Span[] {
  const ranges = matches
    .map((m) => ({ start: Math.max(0, m.start), end: Math.min(length, m.end) }))
    .filter((r) => r.start < r.end)
    .sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/** The text of `span` cut where the marked ranges begin and end. */
export function markedSegments(text: string, matches: readonly Span[], span: Span = { start: 0, end: text.length }): Array<{ text: string; marked: boolean }> {
  const out: Array<{ text: string; marked: boolean }> = [];
  let at = span.start;
  for (const r of mergedRanges(text.length, matches)) {
    const start = Math.max(r.start, span.start);
    const end = Math.min(r.end, span.end);
    if (start >= end) continue;
    if (start > at) out.push({ text: text.slice(at, start), marked: false });
    out.push({ text: text.slice(start, end), marked: true });
    at = end;
  }
  if (at < span.end) out.push({ text: text.slice(at, span.end), marked: false });
  return out;
}

export type PassageBlock = { kind: 'text'; span: Span } | { kind: 'table'; header: Span[]; rows: Span[][] };

const TABLE_LINE = /^\s*\|.*\|\s*$/;
const SEPARATOR_LINE = /^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$/;

/** The cells of a `| a | b |` line, as spans of the passage text (white space around them left out). */
function cellsOf(text: string, line: Span): Span[] {
  const pipes: number[] = [];
  for (let i = line.start; i < line.end; i++) if (text[i] === '|') pipes.push(i);
  const cells: Span[] = [];
  for (let k = 0; k + 1 < pipes.length; k++) {
    let start = pipes[k]! + 1;
    let end = pipes[k + 1]!;
    while (start < end && /\s/.test(text[start]!)) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    cells.push({ start, end });
  }
  return cells;
}

/**
 * A passage as blocks: runs of text, and markdown tables (a header line, a `|---|` line, rows),
 * which read better as tables. Every cell is a span of the passage text, so the text is shown
 * character for character and a marked range falls where it did.
 */
export function passageBlocks(text: string): PassageBlock[] {
  const lines: Span[] = [];
  let at = 0;
  for (const line of text.split('\n')) {
    lines.push({ start: at, end: at + line.length });
    at += line.length + 1;
  }
  const blocks: PassageBlock[] = [];
  let textStart: number | undefined;
  const flush = (end: number) => {
    if (textStart !== undefined && end > textStart) blocks.push({ kind: 'text', span: { start: textStart, end } });
    textStart = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const next = lines[i + 1];
    const lineText = text.slice(line.start, line.end);
    if (TABLE_LINE.test(lineText) && next && SEPARATOR_LINE.test(text.slice(next.start, next.end))) {
      flush(line.start);
      const rows: Span[][] = [];
      let j = i + 2;
      while (j < lines.length && TABLE_LINE.test(text.slice(lines[j]!.start, lines[j]!.end))) rows.push(cellsOf(text, lines[j++]!));
      blocks.push({ kind: 'table', header: cellsOf(text, line), rows });
      i = j - 1;
      continue;
    }
    textStart ??= line.start;
  }
  flush(text.length);
  return blocks;
}

/**
 * The text with its soft line breaks (a hard-wrapped line inside a paragraph, as PDF extractions
 * leave them) shown as spaces, character for character, so offsets stay valid; blank lines, list
 * items and table rows keep their breaks.
 */
export function softWrapped(text: string): string {
  return text.replace(/\n(?![ \t]*(?:\n|[-*+][ \t]|\d+[.)][ \t]|\|))/g, (m, at: number) => (at > 0 && text[at - 1] === '\n' ? m : ' '));
}
