/**
 * A patient the record says has died (Patient.deceasedBoolean true, or a deceasedDateTime):
 * - diagnosis still answers: a chart is completed after a death too (coding, the problem list of
 *   a death summary), and a finding the data show is as true then;
 * - trial-match gives no card, and does not even start matching (no trial enrols the dead);
 * - triage still gives its card, since the level stands on readings taken now, but says that
 *   the record contradicts them, with the date of death recorded.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { Card } from '../../src/hooks/schema.js';
import type { HookInput } from '../../src/hooks/service.js';
import type { GuidelineHit } from '../../src/knowledge/retriever.js';
import type { GuidelineSearch } from '../../src/knowledge/guideline-search.js';
import { diagnosisLogic } from '../../src/services/diagnosis/service.js';
import { triageLogic } from '../../src/services/triage/service.js';
import { trialMatchLogic, type TrialMatchServiceOptions } from '../../src/services/trials/service.js';
import { documentHash } from '../support/provenance.js';
import { repoPath } from '../support/repo-root.js';

const REF = new Date('2026-11-24T09:00:00Z');
const log = pino({ level: 'silent' });

const search: GuidelineSearch = {
  async search(_query, options): Promise<GuidelineHit[]> {
    const doc = options?.filters?.documentIds?.[0] ?? 'doc';
    return [{ chunkId: `${doc}#s1`, documentId: doc, title: 'G', headingPath: ['S'], text: 'Passage.', citation: 'Source 2024', kind: 'verbatim', documentHash: documentHash(doc), score: 1, ranks: {} }];
  },
};

type Resource = Record<string, unknown>;
function record(file: string): { resources: Resource[]; patient: Resource } {
  const bundle = JSON.parse(readFileSync(repoPath(`fhir-profiles/examples/edge-cases/${file}`), 'utf8')) as { entry: Array<{ resource: Resource }> };
  const resources = bundle.entry.map((e) => e.resource);
  return { resources, patient: resources.find((r) => r.resourceType === 'Patient')! };
}

/** Runs a service's logic on one record, the Patient changed by `deceased`; returns the cards it emitted. */
async function run(logic: (input: HookInput, emit: (cards: Card[]) => void) => Promise<void>, file: string, deceased: Resource): Promise<Card[]> {
  const { resources, patient } = record(file);
  const others = resources.filter((r) => r !== patient);
  const cards: Card[] = [];
  const input = {
    request: {} as HookInput['request'],
    context: { patientId: patient.id, userId: 'Practitioner/1' },
    prefetch: { patient: { ...patient, ...deceased }, rest: { resourceType: 'Bundle', type: 'searchset', entry: others.map((resource) => ({ resource })) } },
    log,
    signal: new AbortController().signal,
  } as unknown as HookInput;
  await logic(input, (c) => cards.push(...c));
  return cards;
}

const ALIVE = {};
const DIED = { deceasedBoolean: true };
const DIED_ON = { deceasedDateTime: '2020-01-01T00:00:00Z' };

describe('a patient recorded as deceased', () => {
  it('still gets its diagnosis cards: completing a chart after a death is documentation work', async () => {
    const logic = diagnosisLogic({ search, indicator: 'warning', now: () => REF });
    const alive = await run(logic, 'mixed-units.json', ALIVE);
    expect(alive.length).toBeGreaterThan(0);
    expect((await run(logic, 'mixed-units.json', DIED_ON)).map((c) => c.summary)).toEqual(alive.map((c) => c.summary));
  });

  it('gets no trial-match card, and the matcher is not asked', async () => {
    let asked = 0;
    const matcher = {
      prepare: () => {
        asked++;
        throw new Error('asked to match');
      },
    } as unknown as TrialMatchServiceOptions['matcher'];
    const logic = trialMatchLogic({ matcher, now: () => REF });
    expect(await run(logic, 'hiv-trial-candidate.json', DIED)).toEqual([]);
    expect(asked).toBe(0);
    await expect(run(logic, 'hiv-trial-candidate.json', ALIVE)).rejects.toThrow('asked to match');
  });

  it.each([
    [DIED, /\*\*Check the record\*\*: the Patient resource says this patient died, yet this card is computed from data of the last 24 h\./],
    [DIED_ON, /\*\*Check the record\*\*: the Patient resource says this patient died on 2020-01-01 00:00 UTC, yet this card is computed/],
  ])('still gets the triage card from the readings, which says the record contradicts them (%j)', async (deceased, warning) => {
    const logic = triageLogic({ search, showInfoCards: false, now: () => REF });
    const [card] = await run(logic, 'ed-deteriorating-vitals.json', deceased);
    expect(card?.indicator).toBe('critical');
    expect(card?.detail).toMatch(warning);
    const [alive] = await run(logic, 'ed-deteriorating-vitals.json', ALIVE);
    expect(alive?.detail).not.toMatch(/Check the record/);
  });
});
