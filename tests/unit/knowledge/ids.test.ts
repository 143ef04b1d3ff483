import { describe, expect, it } from '@jest/globals';
import { AnchorAllocator, chunkId, chunkMatchesLabel, documentIdOf, sectionAnchor, slugify } from '../../../src/knowledge/corpus/ids.js';

describe('slugify', () => {
  it.each([
    ['Recommendation Summary', 'recommendation-summary'],
    ['  Hypertension: Screening (2021) ', 'hypertension-screening-2021'],
    ['Stage 3a / G3a', 'stage-3a-g3a'],
    ['Sjögren’s syndrome', 'sjogren-s-syndrome'],
    ['≥ 140 mmHg', '140-mmhg'],
    ['---', ''],
  ])('%j → %j', (input, expected) => {
    expect(slugify(input)).toBe(expected);
  });
});

describe('section anchors and chunk ids', () => {
  it('joins the heading path with "/" before slugging', () => {
    expect(sectionAnchor('uspstf-hypertension-screening-adults-2021', ['Recommendation Summary'])).toBe(
      'uspstf-hypertension-screening-adults-2021#recommendation-summary',
    );
    expect(sectionAnchor('doc', ['Blood pressure categories', 'Stage 2'])).toBe('doc#blood-pressure-categories-stage-2');
  });

  it('gives the preamble an anchor no heading can produce', () => {
    expect(sectionAnchor('doc', [])).toBe('doc#_preamble');
  });

  it('numbers the later chunks of a split section from ~2', () => {
    expect(chunkId('doc#a', 0)).toBe('doc#a');
    expect(chunkId('doc#a', 1)).toBe('doc#a~2');
    expect(chunkId('doc#a', 2)).toBe('doc#a~3');
    expect(documentIdOf('doc#a~3')).toBe('doc');
  });

  it('matches a label to the section’s chunks only', () => {
    expect(chunkMatchesLabel('doc#a', 'doc#a')).toBe(true);
    expect(chunkMatchesLabel('doc#a~2', 'doc#a')).toBe(true);
    expect(chunkMatchesLabel('doc#a-b', 'doc#a')).toBe(false);
    expect(chunkMatchesLabel('doc#a~2', 'doc#a~2')).toBe(true);
    expect(chunkMatchesLabel('doc#a~3', 'doc#a~2')).toBe(false);
  });

  it('keeps repeated heading paths apart with _2, _3 in document order', () => {
    const a = new AnchorAllocator('doc');
    expect(a.next(['Rationale'])).toBe('doc#rationale');
    expect(a.next(['Adults', 'Rationale'])).toBe('doc#adults-rationale');
    expect(a.next(['Rationale'])).toBe('doc#rationale_2');
    expect(a.next(['Rationale!'])).toBe('doc#rationale_3');
  });
});
