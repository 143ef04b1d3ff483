/**
 * The Cairn app's pure text helpers (app/src/*.ts without imports): a guideline passage laid out
 * character for character with the API's marked range where it was computed, a cited note
 * sentence found in its note, and the order of a trial's criteria (deciding ones first).
 */
import { describe, expect, it } from '@jest/globals';
import { effectOf, orderRows, type JudgedCriterion } from '../../app/src/criteria-order.js';
import { noteText, sentenceInNote } from '../../app/src/note-text.js';
import { markedSegments, passageBlocks, softWrapped } from '../../app/src/passage-text.js';

describe('passage text', () => {
  const text = 'The guideline sorts BP into groups.\n\n| Category | Systolic |\n|---|---|\n| Normal | below 120 |\n| Stage 2 | 140 or higher |\n\nRecheck in a month.';

  it('marks exactly the ranges given, merged, and loses no character', () => {
    const segments = markedSegments(text, [
      { start: 4, end: 13 },
      { start: 10, end: 19 },
    ]);
    expect(segments.map((s) => s.text).join('')).toBe(text);
    expect(segments.filter((s) => s.marked).map((s) => s.text)).toEqual(['guideline sorts']);
    // Clipped to a span (a table cell), and to the text.
    expect(markedSegments(text, [{ start: 0, end: 10_000 }], { start: 4, end: 13 })).toEqual([{ text: 'guideline', marked: true }]);
  });

  it('reads a markdown table as a table whose cells are spans of the text; the rest as text runs', () => {
    const blocks = passageBlocks(text);
    expect(blocks.map((b) => b.kind)).toEqual(['text', 'table', 'text']);
    const table = blocks[1]!;
    if (table.kind !== 'table') throw new Error('not a table');
    expect(table.header.map((c) => text.slice(c.start, c.end))).toEqual(['Category', 'Systolic']);
    expect(table.rows.map((r) => r.map((c) => text.slice(c.start, c.end)))).toEqual([
      ['Normal', 'below 120'],
      ['Stage 2', '140 or higher'],
    ]);
    const last = blocks[2]!;
    expect(last.kind === 'text' && text.slice(last.span.start, last.span.end).trim()).toBe('Recheck in a month.');
  });

  it('shows a hard-wrapped line as one, keeping paragraph breaks and list items, at the same length', () => {
    const wrapped = 'If the answer is\n"yes," the patient is\nlevel 1.\n\n- one item\n- another';
    const soft = softWrapped(wrapped);
    expect(soft).toHaveLength(wrapped.length);
    expect(soft).toBe('If the answer is "yes," the patient is level 1.\n\n- one item\n- another');
  });
});

describe('a note sentence in its note', () => {
  const note = 'Infectious diseases clinic note. 41-year-old man with HIV infection,\nconfirmed in 2015. Viral load undetectable.';
  const documentReference = { resourceType: 'DocumentReference', content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(note, 'utf8').toString('base64') } }] };

  it('reads the inline text of the note', () => {
    expect(noteText(documentReference)).toBe(note);
    expect(noteText({ resourceType: 'DocumentReference', content: [{ attachment: { contentType: 'application/pdf', data: 'JVBERi0=' } }] })).toBeUndefined();
  });

  it('finds the cited sentence, across a line break the matcher joined, with the text around it', () => {
    const place = sentenceInNote(note, '41-year-old man with HIV infection, confirmed in 2015.');
    expect(place).toEqual({ before: 'Infectious diseases clinic note. ', match: '41-year-old man with HIV infection,\nconfirmed in 2015.', after: ' Viral load undetectable.' });
    expect(sentenceInNote(note, 'Not in this note.')).toBeUndefined();
  });
});

describe('trial criteria order', () => {
  const row = (number: number, kind: JudgedCriterion['kind'], status: JudgedCriterion['status'], basis: JudgedCriterion['basis'] = 'record'): JudgedCriterion => ({ number, kind, status, basis });

  it('puts the criteria that exclude first, then those that support, then the rest, each in the trial order', () => {
    const rows = [row(1, 'inclusion', 'met'), row(2, 'inclusion', 'unknown', 'none'), row(3, 'exclusion', 'met', 'note'), row(4, 'exclusion', 'not-met'), row(5, 'inclusion', 'not-met'), row(6, 'exclusion', 'met', 'assumed-absent')];
    expect(orderRows(rows).map((r) => r.number)).toEqual([3, 5, 1, 2, 4, 6]);
    expect(rows.map(effectOf)).toEqual(['supports', undefined, 'excludes', undefined, 'excludes', undefined]);
  });
});
