/** Pure helpers of the trial-match hook check (dev/eval/trials-hook.ts): NDCG of a card's list, its ceiling, eligibility-only gains. */
import { describe, expect, it } from '@jest/globals';
import { bestOrder, eligibleOnly, topicNdcg } from '../../dev/eval/trials-hook.js';

const grades = new Map([
  ['eligible-a', 2],
  ['excluded-b', 1],
  ['irrelevant-c', 0],
  ['eligible-d', 2],
]);

describe('trial-match hook check helpers', () => {
  it('puts the highest grades first, unjudged trials last, ties in list order', () => {
    expect(bestOrder(['unjudged', 'irrelevant-c', 'excluded-b', 'eligible-d', 'eligible-a'], grades)).toEqual(['eligible-d', 'eligible-a', 'excluded-b', 'unjudged', 'irrelevant-c']);
  });

  it('the best order of a list that holds every relevant trial scores 1, of one that misses some less', () => {
    expect(topicNdcg(bestOrder(['irrelevant-c', 'excluded-b', 'eligible-a', 'eligible-d'], grades), grades)).toBeCloseTo(1, 12);
    const withoutExcluded = topicNdcg(bestOrder(['irrelevant-c', 'eligible-a', 'eligible-d'], grades), grades) as number;
    expect(withoutExcluded).toBeLessThan(1);
    // Counting only eligibility, leaving out the excluded trial costs nothing.
    expect(topicNdcg(bestOrder(['irrelevant-c', 'eligible-a', 'eligible-d'], grades), eligibleOnly(grades))).toBeCloseTo(1, 12);
  });

  it('counts only the eligible grade', () => {
    expect([...eligibleOnly(grades)]).toEqual([
      ['eligible-a', 1],
      ['excluded-b', 0],
      ['irrelevant-c', 0],
      ['eligible-d', 1],
    ]);
  });
});
