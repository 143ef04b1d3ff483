import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadJudgements, withJudgements, type LabelledQuery } from '../../../dev/eval/retrieval.js';
import { isRelevant, queryMetrics } from '../../../dev/eval/retrieval-metrics.js';

const queries: LabelledQuery[] = [
  { id: 'q1', query: 'BMI 36.4, which class', relevant: ['bmi#class-2'] },
  { id: 'q2', query: 'eGFR 38', relevant: ['ckd#gfr'] },
];

async function file(lines: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-judgements-'));
  const f = path.join(dir, 'judgements.jsonl');
  await writeFile(f, lines.join('\n'));
  return f;
}

describe('pooled relevance judgements', () => {
  it('adds the chunks graded 2 to a query, and only those', () => {
    const pooled = withJudgements(queries, [
      { query: 'q1', chunk: 'bmi#categories', grade: 2 },
      { query: 'q1', chunk: 'bmi#class-1', grade: 1 },
      { query: 'q1', chunk: 'diet#x', grade: 0 },
      { query: 'q2', chunk: 'ckd#gfr~2', grade: 2 }, // already covered by the section label
    ]);
    expect(pooled.added).toBe(1);
    expect(pooled.queries[0]?.judgedRelevant).toEqual(['bmi#categories']);
    expect(pooled.queries[1]?.judgedRelevant).toBeUndefined();
    expect(pooled.labelledJudged).toEqual({ total: 1, byGrade: [0, 0, 1] });
  });

  it('counts how the labelled chunks were graded, so the assessor can be checked against the labels', () => {
    const pooled = withJudgements(queries, [
      { query: 'q1', chunk: 'bmi#class-2', grade: 2 },
      { query: 'q2', chunk: 'ckd#gfr', grade: 0 },
    ]);
    expect(pooled.labelledJudged).toEqual({ total: 2, byGrade: [1, 0, 1] });
    // A label the assessor disagrees with stays a label.
    expect(pooled.queries[1]?.relevant).toEqual(['ckd#gfr']);
  });

  it('reports judgements of queries that are not in the set', () => {
    expect(withJudgements(queries, [{ query: 'q9', chunk: 'x#y', grade: 2 }]).unknownQueries).toEqual(['q9']);
  });

  it('treats a judged chunk as that chunk only, not as a section label for its continuations', () => {
    const exact = new Set(['esi#decision-a']);
    expect(isRelevant('esi#decision-a', [], exact)).toBe(true);
    expect(isRelevant('esi#decision-a~2', [], exact)).toBe(false);
    expect(isRelevant('esi#decision-a~2', ['esi#decision-a'])).toBe(true);
    // One of two relevant chunks at rank 2: P@3 = 1/2.
    expect(queryMetrics(['x', 'esi#decision-a', 'esi#decision-a~2'], ['bmi#class-2'], 2, exact).p3).toBeCloseTo(0.5);
  });

  it('reads a judgement file and names the line of a bad or repeated judgement', async () => {
    const good = await file(['{"query":"q1","chunk":"bmi#categories","grade":2,"reason":"table includes 35-39.9"}', '', '{"query":"q1","chunk":"x#y","grade":0}']);
    expect(await loadJudgements(good)).toHaveLength(2);
    const bad = await file(['{"query":"q1","chunk":"a#b","grade":3}', 'not json', '{"query":"q1","chunk":"c#d","grade":1}', '{"query":"q1","chunk":"c#d","grade":2}']);
    await expect(loadJudgements(bad)).rejects.toThrow(/line 1: grade.*\n.*line 2: not JSON.*\n.*line 4: query q1 and chunk c#d are judged twice/s);
  });
});
