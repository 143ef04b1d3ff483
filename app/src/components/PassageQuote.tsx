/**
 * A guideline passage quoted in full, exactly as the API gives it, with the part that answers the
 * finding's question marked (<mark>, from the API's `matches`), under its document's title and
 * edition and above its citation. A passage Cairn wrote as a summary of a guideline says so before
 * its text: a clinician must not take it for the guideline's own words.
 */
import type { Passage, PassageMatch } from '../evidence-api';

interface Span {
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

function Marked({ text, matches, span }: { text: string; matches: readonly Span[]; span: Span }) {
  return (
    <>
      {markedSegments(text, matches, span).map((s, i) => (s.marked ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
    </>
  );
}

export function PassageQuote({ passage, matches, role }: { passage: Passage; matches: readonly PassageMatch[]; role?: string }) {
  const own = matches.filter((m) => m.chunkId === passage.chunkId);
  const text = softWrapped(passage.text);
  return (
    <figure className="passage" data-testid="passage" data-kind={passage.kind}>
      <figcaption>
        {role && <span className="passage-role">{role}</span>}
        <span className="passage-title">{passage.title}</span>
        {passage.version && <span className="passage-version">Edition: {passage.version}</span>}
        {passage.headingPath.length > 0 && <span className="passage-section">Section: {passage.headingPath.join(' › ')}</span>}
      </figcaption>
      {passage.kind === 'summary' && (
        <p className="passage-summary-note" data-testid="passage-summary-note">
          Cairn&rsquo;s summary of this guideline, not the guideline&rsquo;s own words.
        </p>
      )}
      <blockquote {...(passage.url && { cite: passage.url })}>
        {passageBlocks(text).map((b) =>
          b.kind === 'text' ? (
            <div key={b.span.start} className="passage-text">
              <Marked text={text} matches={own} span={b.span} />
            </div>
          ) : (
            <table key={b.header[0]?.start ?? 0} className="passage-table">
              <thead>
                <tr>
                  {b.header.map((c) => (
                    <th key={c.start} scope="col">
                      <Marked text={text} matches={own} span={c} />
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {b.rows.map((row) => (
                  <tr key={row[0]?.start ?? 0}>
                    {row.map((c) => (
                      <td key={c.start}>
                        <Marked text={text} matches={own} span={c} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          ),
        )}
      </blockquote>
      {own.length > 0 && <p className="passage-legend muted">Highlighted: the part that answers this finding&rsquo;s question.</p>}
      <footer className="passage-citation">
        {passage.grade && (
          <span className="grade">
            Grade {passage.grade}
            {passage.gradeSystem ? ` (${passage.gradeSystem})` : ''}
          </span>
        )}
        <cite>{passage.citation}</cite>
        {passage.url && (
          <a href={passage.url} target="_blank" rel="noreferrer noopener">
            Source<span className="visually-hidden">: {passage.title} (opens in a new tab)</span>
          </a>
        )}
        <span className="hash muted" title={`SHA-256 of the document as ingested: ${passage.contentHash}`}>
          document {passage.contentHash.slice(0, 12)}
        </span>
      </footer>
    </figure>
  );
}
