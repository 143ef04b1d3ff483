/**
 * The pieces of a short card (src/cards/short-card.ts, issue #18): the whole sentences a passage
 * may be quoted by, which quotation a card makes, how the detail is fitted into 1,000 characters
 * and 8 blocks, the link to the Cairn app; and the test helper that checks shipped cards
 * (tests/support/card-markdown.ts shortCardProblems), shown to catch what it is for.
 */
import { describe, expect, it } from '@jest/globals';
import type { QuotedPassage } from '../../src/cards/passages.js';
import { blockCount, DETAIL_MAX_CHARS, excerptsOf, matchedRange, quoteCandidates, shortDetail, smartLink } from '../../src/cards/short-card.js';
import type { Card } from '../../src/hooks/schema.js';
import { shortCardProblems, type CorpusChunk } from '../support/card-markdown.js';
import { documentHash } from '../support/provenance.js';

const passage = (over: Partial<QuotedPassage>): QuotedPassage => ({
  chunkId: 'd#1',
  documentId: 'd',
  title: 'A Guideline',
  headingPath: ['Section'],
  text: 'One sentence.',
  citation: 'Author A. A Guideline. 2020.',
  url: 'https://example.org/g',
  kind: 'verbatim',
  documentHash: documentHash('d'),
  ...over,
});

describe('excerptsOf: whole sentences, verbatim', () => {
  it('splits at sentence ends, not at abbreviations, initials or decimals, and keeps the characters', () => {
    const text = 'A score of 2.5 or more, e.g. in adults, counts. Gilboy N. et al. wrote it. “Yes” answers end here! qSOFA is not a definition.';
    const excerpts = excerptsOf(text);
    for (const e of excerptsOf(text)) expect(text.slice(e.start, e.start + e.text.length)).toBe(e.text);
    expect(excerpts.map((e) => e.text)).toEqual([
      'A score of 2.5 or more, e.g. in adults, counts.',
      'Gilboy N. et al. wrote it.',
      '“Yes” answers end here!',
      'qSOFA is not a definition.',
    ]);
  });

  it('keeps a lead-in with the list or table it introduces, and hard-wrapped lines in their sentence', () => {
    const text = 'qSOFA is a prompt. It gives 1 point each for:\n\n- respiratory rate of 22/min or more;\n- systolic BP of 100 mm Hg or less.\n\nA score of 2 or more\nprompts a search.';
    const excerpts = excerptsOf(text).map((e) => e.text);
    expect(excerpts).toContain('It gives 1 point each for:\n\n- respiratory rate of 22/min or more;\n- systolic BP of 100 mm Hg or less.');
    expect(excerpts).toContain('qSOFA is a prompt. It gives 1 point each for:\n\n- respiratory rate of 22/min or more;\n- systolic BP of 100 mm Hg or less.');
    expect(excerpts).toContain('A score of 2 or more\nprompts a search.');
    // The items after a lead-in are parts of its sentence, never quoted alone; the whole passage is no excerpt.
    expect(excerpts).not.toContain('respiratory rate of 22/min or more;');
    expect(excerpts).not.toContain(text);
  });

  it('reads list items with no lead-in as sentences, without their marker, and a question after a colon as its own', () => {
    expect(excerptsOf('- Stage 1: lifestyle, recheck in 3 to 6 months.\n- Stage 2: medication, recheck in 1 month.').map((e) => e.text)).toEqual([
      'Stage 1: lifestyle, recheck in 3 to 6 months.',
      'Stage 2: medication, recheck in 1 month.',
    ]);
    expect(excerptsOf('This question is used (conceptual algorithm):\nDoes the patient require immediate life-saving\nintervention? Next.').map((e) => e.text)).toContain(
      'Does the patient require immediate life-saving\nintervention?',
    );
  });
});

describe('quoteCandidates', () => {
  const definition = passage({ chunkId: 'd#def', text: 'Chronic kidney disease is an abnormality lasting more than 3 months. It is staged by GFR and albuminuria.' });
  const tests = passage({ chunkId: 'd#tests', headingPath: ['Tests'], text: 'Test people at risk with an eGFR and a urine ACR.' });
  const opening = passage({ chunkId: 'd#_preamble', headingPath: [], text: 'A summary of the chronic kidney disease guideline.' });

  it('ranks what shares the rarest relevance words first, a whole passage before its excerpts', () => {
    const [first] = quoteCandidates([definition, tests], 'chronic kidney disease staged by GFR');
    expect(first).toEqual({ passage: definition, text: definition.text, excerpt: false });
    const [best] = quoteCandidates([definition, tests], 'eGFR urine ACR');
    expect(best!.passage.chunkId).toBe('d#tests');
  });

  it('puts a document\'s opening text last, and preferred passages before all others', () => {
    expect(quoteCandidates([opening, definition], 'chronic kidney disease guideline')[0]!.passage.chunkId).toBe('d#def');
    expect(quoteCandidates([tests, definition], 'chronic kidney disease', 1)[0]!.passage.chunkId).toBe('d#tests');
  });
});

describe('matchedRange: where a passage shown in full answers the question', () => {
  const text = 'Adults are sorted into four groups. Stage 2 hypertension is 140 mmHg systolic or more. Recheck yearly.';

  it('is the sentence a card asking the question would quote, as offsets into the text', () => {
    const range = matchedRange(passage({ text }), 'hypertension stage 2 diagnostic criteria 140 mmHg');
    expect(range).toBeDefined();
    expect(text.slice(range!.start, range!.end)).toBe('Stage 2 hypertension is 140 mmHg systolic or more.');
  });

  it('is the whole passage when it is one sentence, and nothing when no word is shared', () => {
    expect(matchedRange(passage({ text: 'Stage 2 is 140 or more.' }), 'stage 2')).toEqual({ start: 0, end: 23 });
    expect(matchedRange(passage({ text }), 'sepsis lactate')).toBeUndefined();
  });
});

describe('shortDetail', () => {
  const long = passage({ text: `${'The first sentence is long and says a great deal about the matter. '.repeat(14)}The last one is short.` });

  it('quotes the whole passage with its full reference when they fit', () => {
    const { detail, quote } = shortDetail({ facts: ['**Fact** 1.'], passages: [passage({})], relevance: 'sentence' });
    expect(quote).toMatchObject({ excerpt: false, text: 'One sentence.' });
    expect(detail).toBe('**Fact** 1.\n\n> One sentence.\n\n— "Section"\n\nSource: A Guideline. Author A. A Guideline. 2020. <https://example.org/g>');
  });

  it('quotes whole sentences, marked "(excerpt)", when the passage does not fit', () => {
    const { detail, quote } = shortDetail({ facts: ['x'.repeat(150)], passages: [long], relevance: 'short last' });
    expect(long.text.length).toBeGreaterThan(DETAIL_MAX_CHARS - 150);
    expect(quote).toMatchObject({ excerpt: true, text: 'The last one is short.' });
    expect(detail).toContain('\n\n— "Section" (excerpt)\n\n');
  });

  it('names the document by title and address when its full reference does not fit', () => {
    const cited = passage({ citation: `Author A. ${'Very long reference, '.repeat(20)}2020.` });
    const { detail } = shortDetail({ facts: ['y'.repeat(560)], passages: [cited], relevance: 'sentence' });
    expect(detail.endsWith('Source: A Guideline. <https://example.org/g>')).toBe(true);
    expect(detail.length).toBeLessThanOrEqual(DETAIL_MAX_CHARS);
  });

  it('gives the same quotation again from fresh passage objects (kept between calls), quoting the caller’s own passage and its current source', () => {
    const text = 'Blood pressure above the line counts. Another sentence about something else entirely. A third one.';
    const first = shortDetail({ facts: ['x'.repeat(700)], passages: [passage({ text })], relevance: 'blood pressure line' });
    const fresh = passage({ text });
    const again = shortDetail({ facts: ['x'.repeat(700)], passages: [fresh], relevance: 'blood pressure line' });
    expect(again).toEqual(first);
    expect(again.quote?.passage).toBe(fresh);
    expect(again.quote?.text).toContain('Blood pressure above the line counts.');
    // A passage that differs only in its source line (same chunk, same document hash) is not served the old line.
    const renamed = shortDetail({ facts: ['x'.repeat(700)], passages: [passage({ text, title: 'A Renamed Guideline' })], relevance: 'blood pressure line' });
    expect(renamed.detail).toContain('A Renamed Guideline');
    expect(renamed.detail).not.toContain('Source: A Guideline');
  });

  it('drops optional facts, the last first, before it gives up the quotation; keeps within 8 blocks', () => {
    const facts = ['a', { optional: 'o1 '.repeat(160) }, 'b', { optional: 'o2 '.repeat(160) }];
    const { detail, quote } = shortDetail({ facts, passages: [passage({})], relevance: 'sentence' });
    expect(quote?.text).toBe('One sentence.');
    expect(detail).toContain('o1');
    expect(detail).not.toContain('o2');
    const many = shortDetail({ facts: ['1', '2', '3', '4', '5', { optional: '6' }], passages: [passage({})], relevance: '' });
    expect(blockCount(many.detail)).toBe(8);
    expect(many.detail).not.toContain('\n\n6\n\n');
  });

  it('never quotes a sentence that shares no word with the question, however well it fits', () => {
    const mixed = passage({ text: `These are ungraded practice statements. ${'Creatinine rising by 0.3 mg/dL within 48 hours defines kidney injury. '.repeat(15)}` });
    const { quote } = shortDetail({ facts: ['z'.repeat(200)], passages: [mixed], relevance: 'acute kidney injury creatinine 48 hours' });
    expect(quote?.text).toMatch(/^Creatinine rising/);
    const offTopic = passage({ text: 'Normal BP: recheck about once a year.' });
    expect(shortDetail({ facts: ['a'], passages: [offTopic], relevance: 'acute kidney injury creatinine' }).quote).toBeUndefined();
  });

  it('quotes first the passage the card rests on, when one of its quotations fits', () => {
    const criterion = passage({ chunkId: 'd#1', text: 'Kidney injury is a rise in creatinine of 0.3 mg/dL within 48 hours.' });
    const nextStep = passage({ chunkId: 'd#2', text: 'Kidney injury with creatinine rising: stop nephrotoxic drugs, creatinine, kidney, kidney.' });
    expect(shortDetail({ facts: ['a'], passages: [criterion, nextStep], preferred: 1, relevance: 'kidney creatinine' }).quote?.passage).toBe(criterion);
  });

  it('with no passage, gives the facts alone', () => {
    expect(shortDetail({ facts: ['a', false, undefined, 'b'], passages: [], relevance: '' })).toEqual({ detail: 'a\n\nb' });
  });
});

describe('smartLink', () => {
  it('is one smart link with the service and finding as JSON, or none without a URL', () => {
    expect(smartLink('https://cairn.example.org/app/launch.html', { service: 'diagnosis', rule: 'diagnosis/ckd', condition: 'ckd' })).toEqual([
      { label: 'Open evidence in Cairn', url: 'https://cairn.example.org/app/launch.html', type: 'smart', appContext: '{"service":"diagnosis","rule":"diagnosis/ckd","condition":"ckd"}' },
    ]);
    expect(smartLink(undefined, { service: 'triage' })).toEqual([]);
  });
});

describe('shortCardProblems (the check every shipped card passes) catches', () => {
  const chunk: CorpusChunk = { documentId: 'd', title: 'A Guideline', text: 'First sentence here. Second sentence here.', citation: 'Author A. 2020.', url: 'https://example.org/g', kind: 'summary' };
  const carried = { 'cairn-passages': [{ chunkId: 'd#1', documentId: 'd', kind: 'summary', text: chunk.text, citation: chunk.citation }], 'cairn-provenance': { cairnVersion: '0.1.0', rule: { id: 'r/x', version: '1' } } };
  const source = 'Source: A Guideline, a summary in Cairn’s own words. <https://example.org/g>';
  const card = (detail: string, over: Partial<Card> = {}): Card => ({
    summary: 'S',
    indicator: 'info',
    source: { label: 'Cairn' },
    detail,
    extension: carried,
    links: [{ label: 'Open evidence in Cairn', url: 'https://app', type: 'smart', appContext: '{"service":"x","rule":"r/x"}' }],
    ...over,
  });
  const check = (c: Card) => shortCardProblems(c, { corpus: [chunk], smartAppUrl: 'https://app' });

  it('nothing in a good card', () => {
    expect(check(card(`Fact.\n\n> Second sentence here.\n\n— "S" (excerpt)\n\n${source}`))).toEqual([]);
  });

  it('a long summary or detail, too many blocks', () => {
    expect(check(card(`F.\n\n> ${chunk.text}\n\n${source}`, { summary: 's'.repeat(140) }))).toEqual(['summary of 140 characters']);
    expect(check(card(`${'f'.repeat(1000)}\n\n> ${chunk.text}\n\n${source}`))).toEqual([expect.stringMatching(/^detail of \d+ characters$/)]);
    expect(check(card(`1\n\n2\n\n3\n\n4\n\n5\n\n6\n\n7\n\n> ${chunk.text}\n\n${source}`))).toEqual(['detail of 9 blocks']);
  });

  it('two quotations, a changed word, an unmarked excerpt, half a sentence, a source line without the summary marker', () => {
    expect(check(card(`> First sentence here.\n\n— (excerpt)\n\n> Second sentence here.\n\n— (excerpt)\n\n${source}`))).toEqual(['2 guideline quotations (one wanted)']);
    expect(check(card(`> First sentence there.\n\n${source}`))).toEqual(['0 guideline quotations (one wanted)']);
    expect(check(card(`> Second sentence here.\n\n— "S"\n\n${source}`))).toEqual(['excerpt not marked "(excerpt)": Second sentence here.']);
    expect(check(card(`> sentence here.\n\n— (excerpt)\n\n${source}`))).toEqual(['excerpt starts mid-sentence: sentence here.']);
    expect(check(card(`> ${chunk.text}\n\nSource: A Guideline. <https://example.org/g>`))).toEqual(['source line of a summary does not say so: d']);
  });

  it('a missing, extra or unparseable smart link', () => {
    expect(check(card(`> ${chunk.text}\n\n${source}`, { links: [] }))).toEqual(['0 smart links (one wanted)']);
    expect(check(card(`> ${chunk.text}\n\n${source}`, { links: [{ label: 'Open evidence in Cairn', url: 'https://app', type: 'smart', appContext: 'nctId=1' }] }))).toEqual([
      'appContext is not JSON: nctId=1',
    ]);
    expect(shortCardProblems(card(`> ${chunk.text}\n\n${source}`), { corpus: [chunk] })).toEqual(['a smart link with no SMART app configured']);
  });
});
