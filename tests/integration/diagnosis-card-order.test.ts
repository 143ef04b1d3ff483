/**
 * The diagnosis service emits each card as soon as its guideline passages are found, so that a
 * slow search never holds back the others at the hook deadline. Which search returns first
 * depends on timing (a cold cache after start-up, a slow database); the answer's order must not:
 * the same record gets its cards in the same order every time.
 */
import { describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { invokeService } from '../../src/hooks/invoke.js';
import type { Card } from '../../src/hooks/schema.js';
import type { CdsService } from '../../src/hooks/service.js';
import { searchFixed, type GuidelineSearch } from '../../src/knowledge/guideline-search.js';
import { diagnosisLogic } from '../../src/services/diagnosis/service.js';
import { corpusSearch, demoPatient } from '../support/card-markdown.js';

const REF = new Date('2026-11-24T09:00:00Z');
const log = pino({ level: 'silent' });

/** The corpus search, with the first fixed question of a call answered `ms` later than the rest. */
function firstQuestionSlow(search: GuidelineSearch, ms: number): GuidelineSearch {
  let asked = 0;
  return {
    search: (query, options) => search.search(query, options),
    async searchFixed(query, options) {
      if (asked++ === 0) await delay(ms);
      return searchFixed(search, query, options);
    },
  };
}

/** The diagnosis logic as a service, recording the order in which it emitted its cards. */
function service(search: GuidelineSearch, emitted: string[]): CdsService {
  const logic = diagnosisLogic({ search, indicator: 'warning', now: () => REF });
  return {
    // A template whose shape the prefetch check leaves alone: the whole record in one Bundle.
    definition: { id: 'diagnosis', hook: 'patient-view', title: 't', description: 'd', prefetch: { bundle: 'Patient/{{context.patientId}}/$everything' } } as CdsService['definition'],
    requiredPrefetch: ['bundle'],
    run: (input, emit) =>
      logic(input, (cards, position) => {
        emitted.push(...cards.map((c) => c.summary));
        emit(cards, position);
      }),
  };
}

async function answer(search: GuidelineSearch): Promise<{ answered: string[]; emitted: string[] }> {
  const { bundle, patientId } = demoPatient('mixed-units.json', REF);
  const emitted: string[] = [];
  const body = { hook: 'patient-view', hookInstance: 'b5d5c7e2-7d4b-4b5e-9a57-1f0f8f2b6c11', context: { userId: 'Practitioner/u', patientId }, prefetch: { bundle } };
  const result = await invokeService(service(search, emitted), body, { deadlineMs: 10_000, log, gatewayFor: () => undefined });
  if (result.status !== 200) throw new Error(`expected 200, got ${result.status}`);
  return { answered: (result.body.cards as Card[]).map((c) => c.summary), emitted };
}

describe('diagnosis cards come in the same order whichever search returns first', () => {
  it('answers a slow first search and an even one in the same order, though the cards were ready in another', async () => {
    const search = await corpusSearch();
    const even = await answer(search);
    const slow = await answer(firstQuestionSlow(search, 200));
    expect(even.answered.length).toBeGreaterThanOrEqual(3);
    // The slow search did change the order in which the cards were ready…
    expect(slow.emitted).not.toEqual(even.emitted);
    expect(slow.emitted.at(-1)).toBe(even.answered[0]);
    // …but not the answer.
    expect(slow.answered).toEqual(even.answered);
  }, 60_000);
});
