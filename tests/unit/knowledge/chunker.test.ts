/**
 * The property every quote rests on: a chunk's text is an exact substring of the document body,
 * at its recorded offsets, and together a section's chunks cover all of its text.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CHUNK_SIZE, chunkSections, splitRanges } from '../../../src/knowledge/corpus/chunker.js';
import { parseMarkdown } from '../../../src/knowledge/corpus/markdown.js';
import { buildSections } from '../../../src/knowledge/corpus/sections.js';
import type { GuidelineChunk, Section } from '../../../src/knowledge/corpus/types.js';

const FRONT = '---\nid: prop-doc\ntitle: Property\npublisher: P\nyear: 2020\nlicence: l\nkind: summary\nlastReviewed: "2026-12-06"\nnextReview: "2027-12-06"\n---\n';

const word = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('blood', 'pressure', 'adults', 'screen', 'eGFR', '≥140', 'mmHg', 'kidney', 'grade', 'the', 'of', 'a') },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map((s) => s.replace(/\s/g, 'x')) },
  { weight: 1, arbitrary: fc.constantFrom('Sjögren', 'β-blocker', '🩺', 'naïve', '“quoted”', 'x'.repeat(1500)) },
);
const space = fc.constantFrom(' ', ' ', ' ', '  ', '\t', ' \u00a0');
const sentence = fc.array(fc.tuple(word, space), { minLength: 1, maxLength: 40 }).map((ws) => ws.map(([w, s]) => w + s).join('').trim());
const paragraph = fc.oneof(
  fc.array(sentence, { minLength: 1, maxLength: 6 }).map((ss) => ss.join('\n')),
  // Long lines with no break: the splitter must fall back to words, then characters.
  fc.array(sentence, { minLength: 10, maxLength: 40 }).map((ss) => ss.join(' ')),
  fc.array(sentence, { minLength: 1, maxLength: 4 }).map((ss) => ss.map((s) => `- ${s}`).join('\n')),
);
const heading = fc.tuple(fc.integer({ min: 1, max: 4 }), sentence).map(([level, text]) => `${'#'.repeat(level)} ${text.slice(0, 60) || 'h'}`);
const block = fc.oneof({ weight: 3, arbitrary: paragraph }, { weight: 1, arbitrary: heading }, { weight: 1, arbitrary: fc.constant('```\n# inside code\n```') });
const gap = fc.constantFrom('\n\n', '\n\n\n', '\n \n', '\n\n  ');
const markdownBody = fc
  .tuple(fc.array(block, { minLength: 1, maxLength: 25 }), gap, fc.boolean(), fc.boolean())
  .map(([blocks, sep, crlf, repeat]) => {
    const list = repeat ? [...blocks, ...blocks] : blocks;
    const body = `${list.join(sep)}\n`;
    return crlf ? body.replace(/\n/g, '\r\n') : body;
  });

async function chunk(text: string): Promise<{ body: string; sections: Section[]; chunks: GuidelineChunk[] }> {
  const parsed = parseMarkdown(FRONT + text, 'prop.md');
  const sections = buildSections('prop.md', parsed.meta.id, parsed.body, parsed.headings, parsed.meta);
  const chunks = await chunkSections({ documentId: parsed.meta.id, title: parsed.meta.title, citation: 'c', body: parsed.body }, sections);
  return { body: parsed.body, sections, chunks };
}

describe('chunking keeps the guideline’s own words', () => {
  it('every chunk is the body’s text at its offsets, trimmed, within the size; chunks cover every section', async () => {
    await fc.assert(
      fc.asyncProperty(markdownBody, async (text) => {
        const { body, sections, chunks } = await chunk(text);
        expect(body).toBe(text);
        const ids = new Set<string>();
        for (const c of chunks) {
          expect(body.slice(c.start, c.end)).toBe(c.text);
          expect(body.includes(c.text)).toBe(true);
          expect(c.text.length).toBeGreaterThan(0);
          expect(c.text).toBe(c.text.trim());
          expect(c.text.length).toBeLessThanOrEqual(CHUNK_SIZE);
          expect(ids.has(c.id)).toBe(false);
          ids.add(c.id);
        }
        for (const s of sections) {
          // Mark what the section's own chunks cover once, then look for a visible character left out.
          const covered = new Uint8Array(s.end - s.start);
          for (const c of chunks) {
            if (c.anchor !== s.anchor) continue;
            covered.fill(1, Math.max(c.start, s.start) - s.start, Math.min(c.end, s.end) - s.start);
          }
          for (let i = s.start; i < s.end; i++) {
            if (covered[i - s.start] === 1 || /\s/.test(body[i] as string)) continue;
            throw new Error(`character ${i} (${JSON.stringify(body.slice(i, i + 20))}) of ${s.anchor} is in no chunk`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('splits a long section into pieces with a small overlap, ids ~2, ~3', async () => {
    const para = (n: number) => `Paragraph ${n} ${'words about blood pressure and screening '.repeat(8).trim()}.`;
    const { chunks } = await chunk(`## Long\n\n${Array.from({ length: 12 }, (_, i) => para(i)).join('\n\n')}\n`);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((c) => c.id).slice(0, 3)).toEqual(['prop-doc#long', 'prop-doc#long~2', 'prop-doc#long~3']);
    for (const c of chunks) expect(c.headingPath).toEqual(['Long']);
  });

  it('maps pieces back even when the text repeats', async () => {
    const text = `${'same sentence again. '.repeat(200)}`;
    const ranges = await splitRanges(text);
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges[0]?.[0]).toBe(0);
    for (let i = 1; i < ranges.length; i++) {
      const [start] = ranges[i] as [number, number];
      const [, previousEnd] = ranges[i - 1] as [number, number];
      // No gap: each piece starts at most one space after the previous one ended.
      expect(start).toBeLessThanOrEqual(previousEnd + 1);
      expect(ranges[i]?.[1]).toBeGreaterThan(previousEnd);
    }
    expect(ranges[ranges.length - 1]?.[1]).toBe(text.trimEnd().length);
  });

  it('hashes what is embedded: the same text under another heading is a different chunk', async () => {
    const a = await chunk('## One\n\nSame text.\n');
    const b = await chunk('## Two\n\nSame text.\n');
    expect(a.chunks[0]?.text).toBe(b.chunks[0]?.text);
    expect(a.chunks[0]?.contentHash).not.toBe(b.chunks[0]?.contentHash);
  });
});
