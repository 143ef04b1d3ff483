/**
 * Okapi BM25 in memory (src/search/bm25.ts): its words, its scores against the formula written out
 * by hand, its inverted-index search against scoring every document, and the words a document
 * shares with a query.
 */
import { describe, expect, it } from '@jest/globals';
import { Bm25Index, bm25Tokens, BM25_B, BM25_K1 } from '../../src/search/bm25.js';

const DOCS = [
  { id: 'kawasaki', text: 'Kawasaki disease in children: fever for five days, conjunctivitis, strawberry tongue, rash.' },
  { id: 'sepsis', text: 'Sepsis in adults: fever, hypotension and lactate above 2 mmol/L.' },
  { id: 'asthma', text: 'Asthma in children: wheeze, cough, inhaled corticosteroids.' },
  { id: 'htn', text: 'Hypertension: blood pressure above 140/90 despite two drugs. Hypertension trial.' },
];

describe('bm25Tokens', () => {
  it.each([
    ['Fever, conjunctivitis and a strawberry tongue', ['fever', 'conjunctivitis', 'strawberry', 'tongue']],
    ['Children’s infections', ['children', 'infection']],
    ['a B12 of 3', ['b12']],
    ['diabetes DIABETES', ['diabetes', 'diabetes']],
  ])('%s', (text, tokens) => expect(bm25Tokens(text)).toEqual(tokens));
});

describe('Bm25Index', () => {
  const index = new Bm25Index(DOCS);

  it('scores as the formula says (k1 1.2, b 0.75, idf ln(1 + (N − df + 0.5)/(df + 0.5)))', () => {
    expect([BM25_K1, BM25_B]).toEqual([1.2, 0.75]);
    const lengths = DOCS.map((d) => bm25Tokens(d.text).length);
    const avg = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    const idf = (df: number) => Math.log(1 + (4 - df + 0.5) / (df + 0.5));
    const term = (f: number, len: number) => (f * 2.2) / (f + 1.2 * (0.25 + (0.75 * len) / avg));
    // "fever" is in two documents, "tongue" in one; each counted once however often the query says it.
    const expected = idf(2) * term(1, lengths[0] as number) + idf(1) * term(1, lengths[0] as number);
    expect(index.score('fever fever tongue', 'kawasaki')).toBeCloseTo(expected, 12);
    // A word twice in a document counts twice (saturating).
    expect(index.score('hypertension', 'htn')).toBeCloseTo(idf(1) * term(2, lengths[3] as number), 12);
    expect(index.score('fever', 'nope')).toBe(0);
  });

  it('searches the postings as scoring every document would, best first, ties by id, only documents sharing a word', () => {
    const query = 'Child with fever, conjunctivitis and cough';
    const all = index.rank(query).filter((h) => h.score > 0);
    expect(index.search(query, { k: 10 })).toEqual(all);
    expect(all.map((h) => h.id)).toEqual(['kawasaki', 'asthma', 'sepsis']);
    expect(index.search(query, { k: 1 }).map((h) => h.id)).toEqual(['kawasaki']);
    expect(index.search(query, { k: 10, filter: (id) => id !== 'kawasaki' }).map((h) => h.id)).toEqual(['asthma', 'sepsis']);
    expect(index.search('nothing shared here', { k: 10 })).toEqual([]);
    expect(index.search(query, { k: 0 })).toEqual([]);
  });

  it('ranks a given pool, unknown ids scoring 0', () => {
    expect(index.rank('fever', ['sepsis', 'asthma', 'unknown']).map((h) => [h.id, h.score > 0])).toEqual([
      ['sepsis', true],
      ['asthma', false],
      ['unknown', false],
    ]);
  });

  it('lists the words a document shares with the query, largest contribution first', () => {
    const shared = index.matchedTerms('fever, strawberry tongue, headache', 'kawasaki');
    expect(shared.map((s) => s.term).sort()).toEqual(['fever', 'strawberry', 'tongue']);
    // The rarer words (one document) add more than "fever" (two).
    expect(shared.at(-1)?.term).toBe('fever');
    expect(shared.reduce((a, s) => a + s.score, 0)).toBeCloseTo(index.score('fever, strawberry tongue, headache', 'kawasaki'), 12);
    expect(index.df('fever')).toBe(2);
    expect(index.size).toBe(4);
  });

  it('finds each document\'s words in long postings as a pass over all of them does, from the text or its prepared terms', () => {
    // 300 documents: "common" in every other one, "rare" in every 37th, so postings are long and sparse.
    const docs = Array.from({ length: 300 }, (_, i) => ({ id: `d${i}`, text: `${i % 2 === 0 ? 'common common' : 'other'} ${i % 37 === 0 ? 'rare' : 'plain'} word${i % 7}` }));
    const big = new Bm25Index(docs);
    const query = 'common rare word3 unseen';
    const terms = big.queryTerms(query);
    expect(terms).toEqual(['common', 'rare', 'word3']);
    const byRank = new Map(big.rank(query).map((h) => [h.id, h.score]));
    for (const { id } of docs) {
      const fromText = big.matchedTerms(query, id);
      expect(big.matchedTerms(terms, id)).toEqual(fromText);
      expect(fromText.reduce((a, t) => a + t.score, 0)).toBeCloseTo(byRank.get(id) as number, 12);
      expect(big.score(query, id)).toBeCloseTo(byRank.get(id) as number, 12);
    }
  });

  it('refuses a document given twice', () => {
    expect(() => new Bm25Index([DOCS[0]!, DOCS[0]!])).toThrow('given twice');
  });

  it('answers a query over 2,000 documents in a few milliseconds', () => {
    const vocabulary = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}x`);
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const docs = Array.from({ length: 2000 }, (_, i) => ({ id: `d${i}`, text: Array.from({ length: 250 }, () => vocabulary[Math.floor(next() ** 2 * 3000)]).join(' ') }));
    const big = new Bm25Index(docs);
    const query = Array.from({ length: 150 }, () => vocabulary[Math.floor(next() * 3000)]).join(' ');
    big.search(query, { k: 100 });
    const started = process.cpuUsage();
    for (let i = 0; i < 20; i++) big.search(query, { k: 100 });
    const used = process.cpuUsage(started);
    // Generous for a shared CI machine; measured about 1 ms (docs/EVALUATION.md).
    expect((used.user + used.system) / 1000 / 20).toBeLessThan(25);
  });
});
