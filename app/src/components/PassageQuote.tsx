/**
 * A guideline passage quoted in full, exactly as the API gives it, with the part that answers the
 * finding's question marked (<mark>, from the API's `matches`), under its document's title and
 * edition and above its citation. A passage Cairn wrote as a summary of a guideline says so before
 * its text: a clinician must not take it for the guideline's own words.
 */
import type { Passage, PassageMatch } from '../evidence-api';
import { markedSegments, passageBlocks, softWrapped, type Span } from '../passage-text';

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
