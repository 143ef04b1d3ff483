/**
 * A language model's verdicts on the criteria the structured judge left unknown, with fake chat
 * models: a verdict stands only when the sentence it cites is in the patient's record; it is
 * marked `llm` and carries the record's sentence; nothing else of the judgement changes; ranking
 * never excludes a trial on it; a hook reads it only from the cache.
 */
import { describe, expect, it } from '@jest/globals';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { pino } from 'pino';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { LangChainLlm, type ChatLlm, type LlmMessage } from '../../src/llm/index.js';
import { parseCriterion, type CriterionKind } from '../../src/services/trials/matching/criteria-parse.js';
import { judgeTrial, type TrialJudgement } from '../../src/services/trials/matching/judge.js';
import { llmCriteriaRefiner, refineUnknownCriteria } from '../../src/services/trials/matching/llm-refine.js';
import { profileFromContext } from '../../src/services/trials/matching/profile.js';
import { scoreTrial } from '../../src/services/trials/matching/rank.js';

const silent = pino({ level: 'silent' });
const REF = new Date('2025-05-20T12:00:00Z');
const NOTE = 'Seen in clinic. She underwent a total knee replacement six weeks ago for end-stage gonarthrosis. She walks 200 metres with a cane. Lives alone.';

const resources = [
  { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1960-01-15' },
  {
    resourceType: 'DocumentReference', id: 'n1', status: 'current', subject: { reference: 'Patient/p1' }, date: '2025-05-20T10:00:00Z',
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(NOTE).toString('base64') } }],
  },
];
const profile = profileFromContext(buildPatientContext({ resources, patientId: 'p1', referenceTime: REF }));

const CRITERIA: ReadonlyArray<readonly [CriterionKind, string]> = [
  ['inclusion', 'Age 18 to 70 years'],
  ['inclusion', 'Diagnosis of knee osteoarthritis'],
  ['inclusion', 'Willing to attend weekly physiotherapy sessions'],
  ['exclusion', 'Requires a walking aid'],
];
const judgement: TrialJudgement = judgeTrial(profile, {
  nctId: 'NCT00000001',
  criteria: CRITERIA.map(([kind, text]) => ({ criterion: parseCriterion({ kind, text, origin: 'text' }) })),
});

/** A fake that records the question and answers with the given JSON. */
function answering(answer: unknown) {
  const asked: LlmMessage[][] = [];
  const inner = new LangChainLlm(new FakeListChatModel({ responses: [JSON.stringify(answer)] }));
  const llm: ChatLlm = { id: 'fake:model', complete: (m, s) => (asked.push([...m]), inner.complete(m, s)) };
  return { llm, asked };
}

const ANSWER = {
  verdicts: [
    // Real sentence of the note.
    { criterion: 1, status: 'met', quote: 'She underwent a total knee replacement six weeks ago for end-stage gonarthrosis.' },
    // Invented sentence.
    { criterion: 2, status: 'met', quote: 'She is keen to attend physiotherapy every week.' },
    // An attempt to overturn a criterion the structured judge settled from the record.
    { criterion: 0, status: 'not-met', quote: 'Seen in clinic.' },
  ],
};

describe('refining unknown criteria', () => {
  it('starts from the structured judgement: age met from the record, two criteria unknown, one assumed absent', () => {
    expect(judgement.criteria.map((c) => [c.status, c.basis])).toEqual([
      ['met', 'record'],
      ['unknown', 'none'],
      ['unknown', 'none'],
      ['not-met', 'assumed-absent'],
    ]);
  });

  it('accepts a verdict citing a sentence of the record, and rejects one citing an invented sentence', async () => {
    const { llm } = answering(ANSWER);
    const r = await refineUnknownCriteria(profile, judgement, llm, { timeoutMs: 1000, log: silent });
    expect(r.answered).toBe(true);
    const [age, oa, physio, aid] = r.judgement.criteria;
    expect(oa).toMatchObject({ status: 'met', basis: 'llm' });
    expect(oa!.evidence).toEqual([
      { kind: 'note', source: 'DocumentReference/n1', text: 'She underwent a total knee replacement six weeks ago for end-stage gonarthrosis.', sentence: 1 },
    ]);
    expect(oa!.reason).toBe('language model (fake:model) verdict, citing DocumentReference/n1; to be confirmed by the screener');
    // The invented quote: the verdict is discarded, the criterion stays as the judge left it.
    expect(physio).toEqual(judgement.criteria[2]);
    // Criteria the judge settled are neither asked about nor changed.
    expect(age).toEqual(judgement.criteria[0]);
    expect(aid).toEqual(judgement.criteria[3]);
    expect(r.counts).toEqual({ asked: 2, accepted: 1, saidUnknown: 0, quoteNotFound: 1, notAsked: 1 });
  });

  it('asks only about the unknown criteria (and, on request, those assumed absent)', async () => {
    const { llm, asked } = answering({ verdicts: [{ criterion: 3, status: 'met', quote: 'She walks 200 metres with a cane.' }] });
    await refineUnknownCriteria(profile, judgement, llm, { timeoutMs: 1000, log: silent });
    const criteriaPart = asked[0]![1]!.content.split('CRITERIA\n')[1];
    expect(criteriaPart).toBe('[1] (inclusion) Diagnosis of knee osteoarthritis\n[2] (inclusion) Willing to attend weekly physiotherapy sessions');
    const withAssumed = answering({ verdicts: [{ criterion: 3, status: 'met', quote: 'She walks 200 metres with a cane.' }] });
    const r = await refineUnknownCriteria(profile, judgement, withAssumed.llm, { timeoutMs: 1000, log: silent, alsoAssumedAbsent: true });
    expect(r.judgement.criteria[3]).toMatchObject({ status: 'met', basis: 'llm', evidence: [{ text: 'She walks 200 metres with a cane.', sentence: 2 }] });
  });

  it('keeps unknown what the model calls unknown or decides without a quote', async () => {
    const { llm } = answering({ verdicts: [{ criterion: 1, status: 'Unknown' }, { criterion: 2, status: 'not met' }] });
    const r = await refineUnknownCriteria(profile, judgement, llm, { timeoutMs: 1000, log: silent });
    expect(r.judgement).toEqual(judgement);
    expect(r.counts).toMatchObject({ saidUnknown: 1, quoteNotFound: 1, accepted: 0 });
  });

  it('changes nothing when the answer is malformed or late', async () => {
    const malformed = new LangChainLlm(new FakeListChatModel({ responses: ['{"verdicts":[{"criterion":"first","status":"yes"}]}'] }));
    const a = await refineUnknownCriteria(profile, judgement, malformed, { timeoutMs: 1000, log: silent });
    expect([a.answered, a.judgement]).toEqual([false, judgement]);
    const late = new LangChainLlm(new FakeListChatModel({ responses: [JSON.stringify(ANSWER)], sleep: 300 }));
    const b = await refineUnknownCriteria(profile, judgement, late, { timeoutMs: 30, log: silent });
    expect([b.answered, b.judgement]).toEqual([false, judgement]);
  });

  it('never excludes a trial on a language model’s verdict alone', async () => {
    const { llm } = answering({ verdicts: [{ criterion: 3, status: 'met', quote: 'She walks 200 metres with a cane.' }] });
    const r = await refineUnknownCriteria(profile, judgement, llm, { timeoutMs: 1000, log: silent, alsoAssumedAbsent: true });
    expect(r.judgement.criteria[3]).toMatchObject({ kind: 'exclusion', status: 'met', basis: 'llm' });
    expect(scoreTrial({ nctId: 'NCT00000001', relevance: 0.9, retrievalRank: 1, judgement: r.judgement }, 10).category).toBe('eligible');
  });
});

describe('refinements for hooks', () => {
  it('are read from the cache: none at once while the model is pending, the refined judgement afterwards', async () => {
    let release!: (text: string) => void;
    let calls = 0;
    const llm: ChatLlm = { id: 'fake:controlled', complete: () => (calls++, new Promise<string>((resolve) => (release = resolve))) };
    const refiner = llmCriteriaRefiner({ llm, timeoutMs: 60_000, concurrency: 1, log: silent });
    expect(refiner.ready('p1', profile, judgement)).toBeUndefined();
    expect(refiner.ready('p1', profile, judgement)).toBeUndefined();
    expect(calls).toBe(1);
    release(JSON.stringify(ANSWER));
    await refiner.idle();
    const ready = refiner.ready('p1', profile, judgement);
    expect(ready?.criteria[1]).toMatchObject({ status: 'met', basis: 'llm' });
    expect(calls).toBe(1);
  });
});
