import { fitRanker, rankerFeatures, rankerScore, RANKER_FEATURES, sectionOf, type RankerCandidate, type TrainingQuery } from '../../../src/knowledge/ranker.js';
import { measuredValues } from '../../../src/knowledge/quantities.js';

const col = (name: (typeof RANKER_FEATURES)[number]) => RANKER_FEATURES.indexOf(name);
const blend = { fulltext: 1, vector: 0.25 };

describe('learned ranker features', () => {
  const candidates: RankerCandidate[] = [
    { chunkId: 'bmi#class-2', documentId: 'bmi', text: 'Obesity class 2: BMI from 35.0 up to 39.9.', textScore: 8, similarity: 0.6, textRank: 1, vectorRank: 2 },
    { chunkId: 'bmi#class-1', documentId: 'bmi', text: 'Obesity class 1: BMI from 30.0 up to 34.9.', textScore: 6, similarity: 0.7, textRank: 2, vectorRank: 1 },
    { chunkId: 'diet#summary~2', documentId: 'diet', text: 'Offer counselling on a healthy diet.', textScore: 2, textRank: 3 },
    { chunkId: 'diet#summary', documentId: 'diet', text: 'Adults with cardiovascular risk factors.', similarity: 0.5, vectorRank: 3 },
  ];
  const f = rankerFeatures(candidates, measuredValues('BMI 36.4, which obesity class'), blend);

  it.each([
    // chunk, feature, value
    [0, 'text', 1],
    [1, 'text', 0.75],
    [3, 'text', 0],
    [1, 'vector', 1],
    [3, 'vector', 0],
    [2, 'vector', 0],
    [0, 'textRank', 1],
    [2, 'textRank', 1 / 3],
    [3, 'textRank', 0],
    [0, 'vectorRank', 0.5],
    [0, 'rangeMatch', 1],
    [1, 'rangeMatch', 0],
    [1, 'rangeConflict', 1],
    [2, 'rangeConflict', 0],
  ] as const)('candidate %i: %s = %d', (i, name, value) => {
    expect(f[i]?.[col(name)]).toBeCloseTo(value, 9);
  });

  it('gives each chunk the best blended score of its section and of its document', () => {
    // blended = (1 × text + 0.25 × vector) / 1.25; bmi#class-2: (1 + 0.25 × 0.5) / 1.25 = 0.9
    expect(f[0]?.[col('sectionBest')]).toBeCloseTo(0.9, 9);
    expect(f[0]?.[col('documentBest')]).toBeCloseTo(0.9, 9);
    expect(f[1]?.[col('documentBest')]).toBeCloseTo(0.9, 9);
    // diet#summary and its continuation are one section: (0.25 / 1.25) and (0.25 / 1.25) → best 0.2
    expect(f[3]?.[col('sectionBest')]).toBeCloseTo(f[2]?.[col('sectionBest')] as number, 9);
    expect(f[3]?.[col('sectionBest')]).toBeCloseTo(0.2, 9);
  });

  it('carries the relative-score blend and its rank, so the model can keep what fusion alone got right', () => {
    expect(f.map((row) => row[col('blended')])).toEqual([0.9, 0.8, 0.2, 0].map((x) => expect.closeTo(x, 9)));
    expect(f.map((row) => row[col('blendedRank')])).toEqual([1, 1 / 2, 1 / 3, 1 / 4]);
  });

  it('reads no range feature from a query without values', () => {
    const plain = rankerFeatures(candidates, [], blend);
    for (const row of plain) expect([row[col('rangeMatch')], row[col('rangeConflict')]]).toEqual([0, 0]);
  });

  it('takes continuation chunks into their section', () => {
    expect(sectionOf('esi#decision-a~10')).toBe('esi#decision-a');
    expect(sectionOf('esi#decision-a')).toBe('esi#decision-a');
  });
});

describe('fitting the ranker', () => {
  /** Queries where relevance follows textRank and rangeMatch, and vector is noise. */
  function syntheticQueries(n: number): TrainingQuery[] {
    let a = 42; // mulberry32: a plain LCG's sequential draws are correlated enough to fake a signal
    const rand = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    return Array.from({ length: n }, () => ({
      candidates: Array.from({ length: 10 }, (_, r) => {
        const relevant = r < 2;
        const features = RANKER_FEATURES.map((name) => {
          if (name === 'textRank') return relevant ? 1 / (1 + Math.floor(rand() * 2)) : 1 / (3 + Math.floor(rand() * 8));
          if (name === 'rangeMatch') return relevant ? (rand() < 0.8 ? 1 : 0) : rand() < 0.1 ? 1 : 0;
          return rand();
        });
        return { features, relevant };
      }),
    }));
  }

  it('learns the signals that separate relevant passages, and not the noise', () => {
    const model = fitRanker(syntheticQueries(60));
    expect(model.weights.textRank).toBeGreaterThan(1);
    expect(model.weights.rangeMatch).toBeGreaterThan(0.5);
    expect(Math.abs(model.weights.vector)).toBeLessThan(0.5);
  });

  it('is deterministic, and skips queries with nothing to learn from', () => {
    const qs = syntheticQueries(20);
    const empty: TrainingQuery = { candidates: [{ features: RANKER_FEATURES.map(() => 1), relevant: false }] };
    expect(fitRanker([...qs, empty])).toEqual(fitRanker(qs));
    expect(() => fitRanker([empty])).toThrow(/nothing to fit/);
  });

  it('scores with the bias and each weight times its feature', () => {
    const model = fitRanker(syntheticQueries(10));
    const x = RANKER_FEATURES.map((_, i) => i / 10);
    const expected = RANKER_FEATURES.reduce((s, name, i) => s + model.weights[name] * (x[i] as number), model.bias);
    expect(rankerScore(model, x)).toBeCloseTo(expected, 12);
  });
});
