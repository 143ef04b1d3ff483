/** Sentences, negation scope, stems and the BM25 / ranking metrics used by trial matching. */
import { describe, expect, it } from '@jest/globals';
import { Bm25Index } from '../../dev/eval/bm25.js';
import { conditionMentions } from '../../src/services/trials/matching/lexicon.js';
import { auroc, ndcgAt, precisionAt } from '../../dev/eval/ranking-metrics.js';
import { assertionAt } from '../../src/text/negation.js';
import { splitSentences } from '../../src/text/sentences.js';
import { asciiFold, contentWords, stem, words } from '../../src/text/tokens.js';

/** How the note asserts the first mention of `word`. */
function assertionOf(sentence: string, word: string): string {
  const at = sentence.toLowerCase().indexOf(word.toLowerCase());
  if (at < 0) throw new Error(`${word} not in ${sentence}`);
  return assertionAt(sentence, at, at + word.length);
}

describe('sentences', () => {
  it('splits at full stops before capitals, not in decimals, abbreviations or de-identified dates', () => {
    const text = 'A 58-year-old woman presents to the ER. Creatinine 2.5 mg/dL, e.g. high. Seen by Dr. Smith on [**2148-10-1**]. She denies smoking.';
    expect(splitSentences(text).map((s) => s.text)).toEqual([
      'A 58-year-old woman presents to the ER.',
      'Creatinine 2.5 mg/dL, e.g. high.',
      'Seen by Dr. Smith on [**2148-10-1**].',
      'She denies smoking.',
    ]);
  });

  it('splits list lines and paragraphs; offsets point into the text', () => {
    const text = 'Past Medical History:\nHypertension\n\nObesity';
    const s = splitSentences(text);
    expect(s.map((x) => x.text)).toEqual(['Past Medical History:', 'Hypertension\n\nObesity'.split('\n\n')[0], 'Obesity']);
    for (const x of s) expect(text.slice(x.start, x.end)).toBe(x.text);
  });
});

describe('negation and experiencer (NegEx / ConText triggers)', () => {
  it.each<[string, string, string]>([
    ['She denies smoking, diabetes, hypercholesterolemia, or a family history of heart disease.', 'diabetes', 'negated'],
    ['She denies smoking, diabetes, hypercholesterolemia.', 'hypercholesterolemia', 'negated'],
    ['No history of hypertension.', 'hypertension', 'negated'],
    ['Patient has hypertension and obesity.', 'obesity', 'affirmed'],
    ['Family history of breast cancer.', 'breast cancer', 'other-person'],
    ['Pneumonia was ruled out.', 'pneumonia', 'negated'],
    ['Concern for underlying vascular malformation.', 'vascular malformation', 'uncertain'],
    ['Non-Hodgkin lymphoma of the orbit.', 'lymphoma', 'affirmed'],
    ['No fever but reports cough.', 'cough', 'affirmed'],
    ['Denies chest pain; has dyspnea.', 'dyspnea', 'affirmed'],
  ])('%s — %s is %s', (sentence, word, expected) => {
    expect(assertionOf(sentence, word)).toBe(expected);
  });

  it('caps a trigger at ten words, so a missing full stop cannot negate a paragraph', () => {
    const s = 'No fever one two three four five six seven eight nine ten eleven diabetes';
    expect(assertionOf(s, 'diabetes')).toBe('affirmed');
  });
});

describe('words', () => {
  it('plural-only stemming keeps "diabetes" and matches "infections" with "infection"', () => {
    expect(stem('infections')).toBe('infection');
    expect(stem('diabetes')).toBe('diabetes');
    expect(stem('diseases')).toBe('disease');
    expect(stem('therapies')).toBe('therapy');
  });

  it('a letter with a diacritic is its base letter: one word however it is spelt', () => {
    expect(words("Sjögren's syndrome")).toEqual(words("Sjogren's syndrome"));
    expect(words('Ménière disease, Guillain-Barré, café-au-lait spots')).toEqual(['meniere', 'disease', 'guillain', 'barre', 'cafe', 'au', 'lait', 'spots']);
    // Decomposed input (a letter and a combining accent) reads the same as precomposed.
    expect(words('Me\u0301nie\u0300re')).toEqual(['meniere']);
    expect(words('Basedow-Krankheit: Schilddrüse, Größe; Ørsted, æther')).toEqual(['basedow', 'krankheit', 'schilddruse', 'grosse', 'orsted', 'aether']);
    // Signs, and the length of text with precomposed letters, are kept.
    expect(asciiFold('Créatinine ≤ 1.5 mg/dL')).toBe('Creatinine <= 1.5 mg/dL');
    expect(asciiFold('Sécurité').length).toBe('Sécurité'.length);
  });

  it('content words drop function words and trial boilerplate', () => {
    expect(contentWords('Patients with a known history of chronic heart failure')).toEqual(['chronic', 'heart', 'failure']);
  });

  it('lexicon mentions prefer the longer concept ("acute renal failure" is AKI, not CKD)', () => {
    expect(conditionMentions('acute renal failure', true).map((m) => m.conceptId)).toEqual(['aki']);
    expect(conditionMentions('HTN, HL, DMII', true).map((m) => m.conceptId)).toEqual(['hypertension', 'hyperlipidaemia', 'type-2-diabetes']);
    expect(conditionMentions('nursing home resident', true)).toEqual([]);
    expect(conditionMentions('not pregnant or nursing', true).map((m) => m.conceptId)).toEqual(['pregnancy', 'breastfeeding']);
  });
});

describe('BM25', () => {
  const index = new Bm25Index([
    { id: 'a', text: 'Type 2 diabetes mellitus and metformin' },
    { id: 'b', text: 'Hypertension in older adults' },
    { id: 'c', text: 'Diabetes diabetes diabetes insulin pump' },
  ]);
  it('ranks documents sharing rare query words first, ties by id', () => {
    expect(index.rank('metformin for diabetes').map((r) => r.id)).toEqual(['a', 'c', 'b']);
    expect(index.rank('nothing in common').map((r) => r.score)).toEqual([0, 0, 0]);
  });
  it('ranks only the given pool', () => {
    expect(index.rank('hypertension', ['a', 'b']).map((r) => r.id)).toEqual(['b', 'a']);
  });
});

describe('ranking metrics', () => {
  it('NDCG@10 with graded gains against the ideal order of the pool', () => {
    expect(ndcgAt([2, 1, 0], [0, 1, 2])).toBe(1);
    expect(ndcgAt([0, 1, 2], [0, 1, 2])).toBeCloseTo((1 / Math.log2(3) + 2 / 2) / (2 + 1 / Math.log2(3)), 10);
    expect(ndcgAt([0, 0], [0, 0])).toBeUndefined();
  });
  it('P@10 divides by 10 even for short lists', () => {
    expect(precisionAt([true, false, true])).toBe(0.2);
  });
  it('AUROC counts ties as one half', () => {
    expect(auroc([3, 2], [1])).toBe(1);
    expect(auroc([1], [1])).toBe(0.5);
    expect(auroc([], [1])).toBeUndefined();
  });
});
