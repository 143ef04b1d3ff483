import { describe, expect, it } from '@jest/globals';
import { chunkSections } from '../../../src/knowledge/corpus/chunker.js';
import { markdownHeadings, parseMarkdown } from '../../../src/knowledge/corpus/markdown.js';
import { buildSections } from '../../../src/knowledge/corpus/sections.js';
import { CorpusError } from '../../../src/knowledge/corpus/errors.js';

const FRONT = `id: test-doc
title: "Hypertension in Adults: Screening"
publisher: US Preventive Services Task Force
year: 2021
version: 2021-04-27
url: https://example.org/ht
licence: public-domain
kind: verbatim
lastReviewed: 2026-12-06
nextReview: "2027-12-06"
source: "JAMA 2021;325(16):1650-1656"
topics: [hypertension, screening]
codes:
  snomed: [38341003]
  icd10: ["I10"]
sections:
  - heading: "Recommendation Summary"
    grade: A
    gradeSystem: USPSTF`;

function doc(front: string, body: string): string {
  return `---\n${front}\n---\n${body}`;
}

function errorOf(fn: () => unknown): CorpusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CorpusError) return err;
    throw err;
  }
  throw new Error('expected a CorpusError');
}

describe('front matter', () => {
  it('validates and normalises the metadata', () => {
    const parsed = parseMarkdown(doc(FRONT, '## Recommendation Summary\n\nScreen adults.\n'), 'g/ht.md');
    expect(parsed.meta).toMatchObject({
      id: 'test-doc',
      title: 'Hypertension in Adults: Screening',
      year: 2021,
      version: '2021-04-27',
      kind: 'verbatim',
      lastReviewed: '2026-12-06',
      nextReview: '2027-12-06',
      codes: { snomed: ['38341003'], icd10: ['I10'] },
      sections: [{ heading: 'Recommendation Summary', grade: 'A', gradeSystem: 'USPSTF' }],
    });
    expect(parsed.body).toBe('## Recommendation Summary\n\nScreen adults.\n');
  });

  it.each([
    ['no front matter', '# Title\n\ntext\n', 'g/x.md: does not start with YAML front matter'],
    ['unclosed front matter', '---\nid: a\ntitle: b\n', 'g/x.md: front matter is not closed'],
    ['invalid YAML, with its line in the file', '---\nid: a\ntitle: Hypertension in Adults: Screening\n---\ntext\n', 'line 3'],
    ['a missing field', doc(FRONT.replace('kind: verbatim\n', ''), 'text\n'), "field 'kind' is missing"],
    ['a bad enum', doc(FRONT.replace('kind: verbatim', 'kind: paraphrase'), 'text\n'), "field 'kind'"],
    ['a bad id', doc(FRONT.replace('id: test-doc', 'id: Test Doc'), 'text\n'), "field 'id' must be kebab-case"],
    ['an unknown field', doc(`${FRONT}\ntopic: [x]`, 'text\n'), "unknown field 'topic'"],
    ['a bad nested field', doc(FRONT.replace('gradeSystem: USPSTF', 'gradeSystem: USPTF'), '## Recommendation Summary\n\nx\n'), "field 'sections[0].gradeSystem'"],
    ['a bad url', doc(FRONT.replace('url: https://example.org/ht', 'url: not a url'), 'text\n'), "field 'url'"],
    ['a list instead of a mapping', '---\n- a\n- b\n---\ntext\n', 'must be a YAML mapping'],
    ['a missing review date', doc(FRONT.replace('lastReviewed: 2026-12-06\n', ''), 'text\n'), "field 'lastReviewed' is missing"],
    ['a missing next review', doc(FRONT.replace('nextReview: "2027-12-06"\n', ''), 'text\n'), "field 'nextReview' is missing"],
    ['a review date not written YYYY-MM-DD', doc(FRONT.replace('lastReviewed: 2026-12-06', 'lastReviewed: 06/12/2026'), 'text\n'), "field 'lastReviewed' must be a date written YYYY-MM-DD"],
    ['a review date that does not exist', doc(FRONT.replace('nextReview: "2027-12-06"', 'nextReview: "2027-02-30"'), 'text\n'), "field 'nextReview' must be a date"],
    ['a next review before the last review', doc(FRONT.replace('nextReview: "2027-12-06"', 'nextReview: "2026-12-05"'), 'text\n'), "field 'nextReview' must be after lastReviewed"],
    ['a newer edition without a year', doc(`${FRONT}\nnewerEdition:\n  title: Next edition`, 'text\n'), "field 'newerEdition.year' is missing"],
  ])('rejects %s, naming the file and the problem', (_name, text, message) => {
    const err = errorOf(() => parseMarkdown(text, 'g/x.md'));
    expect(err.message.startsWith('g/x.md: ')).toBe(true);
    expect(err.message).toContain(message);
  });

  it('reads a newer edition and the reason the older one is still shipped', () => {
    const front = `${FRONT}\nnewerEdition:\n  title: Next edition\n  year: 2025\n  acknowledged: its text cannot be read yet`;
    expect(parseMarkdown(doc(front, 'text\n'), 'g/x.md').meta.newerEdition).toEqual({ title: 'Next edition', year: 2025, acknowledged: 'its text cannot be read yet' });
  });

  it('suggests quoting a value that contains ": "', () => {
    const err = errorOf(() => parseMarkdown('---\nid: a\ntitle: A: B\n---\n', 'x.md'));
    expect(err.message).toContain('put quotes around a value');
  });
});

describe('headings and sections', () => {
  it('finds ATX headings outside fenced code, without closing #s', () => {
    const body = '# Title\n\n## One ##\ntext\n```\n## not a heading\n```\n### Two\n#### Deep\n#no-space\n';
    expect(markdownHeadings(body).map((h) => [h.level, h.text])).toEqual([
      [1, 'Title'],
      [2, 'One'],
      [3, 'Two'],
      [4, 'Deep'],
    ]);
  });

  it('builds heading paths, leaves the title out, and inherits grades', async () => {
    const body = [
      '# Hypertension in Adults: Screening',
      '',
      'Intro before any section.',
      '',
      '## Recommendation Summary',
      '',
      'Screen adults 18 years or older.',
      '',
      '### Adults at increased risk',
      '',
      'Screen every year.',
      '',
      '## Rationale',
      '',
      'Because.',
      '',
    ].join('\n');
    const parsed = parseMarkdown(doc(FRONT, body), 'x.md');
    const sections = buildSections('x.md', 'test-doc', parsed.body, parsed.headings, parsed.meta);
    const chunks = await chunkSections({ documentId: 'test-doc', title: parsed.meta.title, citation: 'c', body: parsed.body }, sections);
    expect(chunks.map((c) => [c.id, c.headingPath, c.grade ?? null, c.text])).toEqual([
      ['test-doc#_preamble', [], null, 'Intro before any section.'],
      ['test-doc#recommendation-summary', ['Recommendation Summary'], 'A', 'Screen adults 18 years or older.'],
      [
        'test-doc#recommendation-summary-adults-at-increased-risk',
        ['Recommendation Summary', 'Adults at increased risk'],
        'A',
        'Screen every year.',
      ],
      ['test-doc#rationale', ['Rationale'], null, 'Because.'],
    ]);
    expect(chunks[1]?.context).toBe('Hypertension in Adults: Screening\nRecommendation Summary');
    expect(chunks.map((c) => c.ordinal)).toEqual([0, 1, 2, 3]);
  });

  it('treats several h1 headings as sections, not a title', () => {
    const meta = parseMarkdown(doc(FRONT.replace(/sections:[\s\S]*$/, ''), ''), 'x.md').meta;
    const body = '# A\n\none\n\n# B\n\ntwo\n';
    const sections = buildSections('x.md', 'd', body, markdownHeadings(body), meta);
    expect(sections.filter((s) => body.slice(s.start, s.end).trim()).map((s) => s.anchor)).toEqual(['d#a', 'd#b']);
  });

  it('rejects a graded heading the document does not have', () => {
    const parsed = parseMarkdown(doc(FRONT, '## Recommendations\n\ntext\n'), 'g/x.md');
    const err = errorOf(() => buildSections('g/x.md', 'test-doc', parsed.body, parsed.headings, parsed.meta));
    expect(err.message).toBe(`g/x.md: field 'sections[0].heading': "Recommendation Summary" is not a heading of the document`);
  });
});
