import { describe, expect, it } from '@jest/globals';
import { parseHtml } from '../../../src/knowledge/corpus/html.js';
import { locateHeadings, parsePdf } from '../../../src/knowledge/corpus/pdf.js';
import { CorpusError } from '../../../src/knowledge/corpus/errors.js';
import { makePdf } from '../../support/knowledge-pdf.js';

describe('HTML text extraction', () => {
  const html = `<!doctype html><html><head><title>Sepsis &amp; Shock</title><style>p{}</style></head>
    <body><nav>Home | Menu</nav>
      <h1>Sepsis &amp; Shock</h1>
      <p>Intro   text
         over lines.</p>
      <h2>Bedside <em>criteria</em></h2>
      <p>Respiratory rate &ge; 22/min.<br>Altered mentation.</p>
      <ul><li>one</li><li>two <b>bold</b></li></ul>
      <h3>Scores</h3>
      <table><tr><th>Score</th><th>Risk</th></tr><tr><td>2</td><td>high</td></tr></table>
      <h4>Minor heading</h4>
      <script>alert(1)</script>
      <pre>  keep
   spacing</pre>
    </body></html>`;

  it('keeps readable text, one block per paragraph, headings h1–h3 as sections', () => {
    const parsed = parseHtml(html);
    expect(parsed.title).toBe('Sepsis & Shock');
    expect(parsed.body).toBe(
      [
        'Sepsis & Shock',
        'Intro text over lines.',
        'Bedside criteria',
        'Respiratory rate ≥ 22/min.\nAltered mentation.',
        '- one',
        '- two bold',
        'Scores',
        'Score | Risk',
        '2 | high',
        'Minor heading',
        '  keep\n   spacing',
      ].join('\n\n') + '\n',
    );
    expect(parsed.headings.map((h) => [h.level, h.text, parsed.body.slice(h.start, h.end)])).toEqual([
      [1, 'Sepsis & Shock', 'Sepsis & Shock'],
      [2, 'Bedside criteria', 'Bedside criteria'],
      [3, 'Scores', 'Scores'],
    ]);
  });

  it('falls back to the first h1 for the title', () => {
    expect(parseHtml('<h1>Only heading</h1><p>x</p>').title).toBe('Only heading');
    expect(parseHtml('<p>no headings</p>').title).toBeUndefined();
  });
});

describe('PDF text extraction', () => {
  it('extracts lines, pages, the outline and the title', async () => {
    const pdf = makePdf({
      title: 'A PDF guideline',
      pages: [['Introduction', 'Some text (with parentheses).'], ['Recommendations', 'Do this.']],
      outline: [
        { title: 'Introduction', page: 1 },
        { title: 'Recommendations', page: 2 },
      ],
    });
    const parsed = await parsePdf(pdf, 'x.pdf');
    expect(parsed.title).toBe('A PDF guideline');
    expect(parsed.body).toBe('Introduction\nSome text (with parentheses).\n\nRecommendations\nDo this.\n');
    expect(parsed.outline).toEqual([
      { level: 1, title: 'Introduction' },
      { level: 1, title: 'Recommendations' },
    ]);
    expect(locateHeadings(parsed.body, parsed.outline).map((h) => parsed.body.slice(h.start, h.end))).toEqual([
      'Introduction\n',
      'Recommendations\n',
    ]);
  });

  it('locates headings in order, skipping ones that are not lines of the text', () => {
    const body = 'Scope\nx\nmethods\ny\nScope\nz\n';
    const found = locateHeadings(body, [
      { level: 2, title: 'Methods' },
      { level: 2, title: 'Missing' },
      { level: 2, title: 'Scope' },
    ]);
    expect(found.map((h) => [h.text, h.start])).toEqual([
      ['Methods', 8],
      ['Scope', 18],
    ]);
  });

  it('leaves the process’s JSON and Array built-ins as they were (pdf.js polyfills replace them)', async () => {
    const before = [JSON.stringify, JSON.parse, Array.prototype.push];
    await parsePdf(makePdf({ pages: [['x']] }), 'x.pdf');
    await parsePdf(makePdf({ pages: [['y']] }), 'y.pdf');
    expect([JSON.stringify, JSON.parse, Array.prototype.push]).toEqual(before);
    expect(typeof (Promise as unknown as { withResolvers: unknown }).withResolvers).toBe('function');
  });

  it('rejects bytes that are not a PDF, naming the file', async () => {
    await expect(parsePdf(Buffer.from('\x00\x01junk that is not a pdf'), 'guidelines/junk.pdf')).rejects.toThrow(
      /^guidelines\/junk\.pdf: not a readable PDF/,
    );
    await expect(parsePdf(Buffer.from('junk'), 'junk.pdf')).rejects.toBeInstanceOf(CorpusError);
  });
});
