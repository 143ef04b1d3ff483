/**
 * Language-model hypotheses in the diagnosis service, with fake chat models: only listed
 * conditions with a quote found in the record are kept; a hook never waits for the model; the
 * next call for the same record uses them; a card from one says it is a hypothesis and carries
 * only Cairn's display, the record's sentence and guideline passages, verbatim.
 */
import { describe, expect, it } from '@jest/globals';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { pino } from 'pino';
import { formatTime } from '../../src/cards/evidence.js';
import { unquote } from '../../src/cards/passages.js';
import type { PrefetchData } from '../../src/hooks/prefetch/resolve.js';
import type { Card, HookRequest } from '../../src/hooks/schema.js';
import type { HookInput } from '../../src/hooks/service.js';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import type { GuidelineHit, SearchOptions } from '../../src/knowledge/retriever.js';
import { LangChainLlm, recordPassages, renderRecord, type ChatLlm } from '../../src/llm/index.js';
import { DIAGNOSIS_EXTENSION, findingReadings } from '../../src/services/diagnosis/card.js';
import { evaluateCriteria } from '../../src/services/diagnosis/evaluate.js';
import { CONDITIONS } from '../../src/services/diagnosis/finding.js';
import { HYPOTHESIS_LEAD, HYPOTHESIS_LEAD_RECORD, hypothesisCard } from '../../src/services/diagnosis/hypothesis-card.js';
import { llmHypothesisSource, type ReadyHypothesis } from '../../src/services/diagnosis/hypothesis-source.js';
import { checkHypotheses, hypothesisMessages, proposeHypotheses } from '../../src/services/diagnosis/hypotheses.js';
import { recordedConditions } from '../../src/services/diagnosis/known.js';
import { diagnosisLogic } from '../../src/services/diagnosis/service.js';
import { bp, condition, context, daysAgo, obs, patient, REF, SCT, type Json } from './diagnosis-fixtures.js';
import { note as noteResource } from '../support/fhir-builders.js';
import { documentHash, provenanceProblems } from '../support/provenance.js';

const silent = pino({ level: 'silent' });

const NOTE_TEXT =
  'Follow-up visit.  Reports polyuria and polydipsia\nfor the last three months. Denies chest pain. Weight stable.';
const NOTE_SENTENCE = 'Reports polyuria and polydipsia\nfor the last three months.';

function note(text: string, id = 'note-1', date = daysAgo(3)): Json {
  return noteResource({ id, text, date, description: 'Clinic note', contentType: 'text/plain; charset=utf-8' });
}

/** One HbA1c of 6.9%: diabetes needs a confirming test (ADA), so the computed finding is "not enough data". */
const singleHba1c = () => obs('4548-4', 6.9, '%', daysAgo(20));

/** A knowledge base that answers every query with passages of the filtered guideline, and records the queries. */
function fakeSearch() {
  const queries: Array<{ query: string; documentIds: readonly string[] | undefined }> = [];
  return {
    queries,
    async search(query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
      queries.push({ query, documentIds: options?.filters?.documentIds });
      const doc = options?.filters?.documentIds?.[0] ?? 'doc';
      const hit = (n: number, grade?: string): GuidelineHit => ({
        chunkId: `${doc}#s${n}`, documentId: doc, title: `Guideline ${doc}`, headingPath: [`Section ${n}`],
        text: `Passage ${n} of ${doc}.\nSecond line of passage ${n}.`, url: 'https://example.org/guideline', citation: 'Source 2025',
        kind: 'summary', documentHash: documentHash(doc), score: 1, ranks: {}, ...(grade && { grade, gradeSystem: 'ADA' }),
      });
      return query.includes('diagnostic criteria') ? [hit(1)] : [hit(1), hit(2, 'B')];
    },
  };
}

/** What a model might answer: valid items, an unlisted condition, an invented quote, and prose that must never be shown. */
const ANSWER = JSON.stringify({
  hypotheses: [
    { condition: 'diabetes', quote: 'Reports polyuria and polydipsia for the last three months.', reasoning: 'Classic osmotic symptoms strongly suggest type 2 diabetes.' },
    { condition: 'heart-failure', quote: 'Weight stable.' },
    { condition: 'ckd', quote: 'Reports foamy urine for the last three months.' },
  ],
});

/** A model whose answer the test releases, counting its calls. */
function controlledLlm() {
  let release: ((text: string) => void) | undefined;
  const llm: ChatLlm & { calls: number; release(text: string): void } = {
    id: 'fake:controlled',
    calls: 0,
    complete() {
      llm.calls++;
      return new Promise<string>((resolve) => (release = resolve));
    },
    release(text: string) {
      release?.(text);
    },
  };
  return llm;
}

function hookInput(prefetch: PrefetchData): HookInput {
  return {
    request: {} as HookRequest,
    context: { patientId: 'p1', userId: 'Practitioner/1' },
    prefetch,
    log: silent,
    signal: new AbortController().signal,
  };
}

async function runHook(logic: ReturnType<typeof diagnosisLogic>, resources: Json[]): Promise<Card[]> {
  const cards: Card[] = [];
  const prefetch = Object.fromEntries(resources.map((r, i) => [`r${i}`, r])) as unknown as PrefetchData;
  await logic(hookInput(prefetch), (c) => cards.push(...c));
  return cards;
}

const conditionOf = (c: Card) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string; hypothesis?: unknown } | undefined);

describe('checking a model’s hypotheses', () => {
  const ctx = context([note(NOTE_TEXT), singleHba1c()]);
  const passages = recordPassages(ctx);

  it('keeps a listed condition whose quote is in the record, with Cairn’s display and the record’s sentence', () => {
    const checked = checkHypotheses(JSON.parse(ANSWER) as { hypotheses: Array<{ condition: string; quote: string }> }, passages);
    expect(checked.hypotheses).toEqual([
      {
        condition: 'diabetes',
        display: 'Diabetes mellitus',
        code: CONDITIONS.diabetes.snomed,
        quote: { text: NOTE_SENTENCE, kind: 'note', source: 'DocumentReference/note-1', date: daysAgo(3), title: 'Clinic note' },
      },
    ]);
    expect(checked.dropped).toEqual({ notInList: 1, quoteNotFound: 1, repeated: 0, overLimit: 0 });
  });

  it('drops a condition outside the closed list even when its quote is real, and a repeated condition', () => {
    const checked = checkHypotheses(
      { hypotheses: [{ condition: 'Type 2 diabetes', quote: 'Reports polyuria and polydipsia' }, { condition: 'Diabetes ', quote: 'Reports polyuria and polydipsia' }, { condition: 'diabetes', quote: 'Denies chest pain. Weight stable.' }] },
      passages,
    );
    expect(checked.hypotheses.map((h) => h.condition)).toEqual(['diabetes']);
    expect(checked.dropped).toMatchObject({ notInList: 1, repeated: 1 });
  });

  it('asks a LangChain chat model and treats a malformed answer as no answer', async () => {
    const good = new LangChainLlm(new FakeListChatModel({ responses: [ANSWER] }));
    expect((await proposeHypotheses(ctx, good, { timeoutMs: 1000, log: silent }))?.hypotheses.map((h) => h.condition)).toEqual(['diabetes']);
    const bad = new LangChainLlm(new FakeListChatModel({ responses: ['{"hypotheses": "diabetes"}', 'I think diabetes.'] }));
    await expect(proposeHypotheses(ctx, bad, { timeoutMs: 1000, log: silent })).resolves.toBeUndefined();
    await expect(proposeHypotheses(ctx, bad, { timeoutMs: 1000, log: silent })).resolves.toBeUndefined();
  });

  it('shows the model the closed list and the record', () => {
    const record = renderRecord(ctx);
    const [system, user] = hypothesisMessages(record);
    for (const key of Object.keys(CONDITIONS)) expect(system!.content).toContain(`- ${key}: ${CONDITIONS[key as keyof typeof CONDITIONS].title}`);
    expect(user!.content).toBe(`PATIENT RECORD\n\n${record.text}`);
    expect(record.text).toContain('Reports polyuria and polydipsia');
    expect(record.text).toContain('hba1c: 6.9 %');
  });
});

describe('a hook with hypotheses', () => {
  const resources = [patient(), note(NOTE_TEXT), singleHba1c()];

  it('answers at once while the model has not answered, and uses the hypotheses on the next call', async () => {
    const llm = controlledLlm();
    const search = fakeSearch();
    const source = llmHypothesisSource({ llm, search, timeoutMs: 60_000, concurrency: 1, log: silent });
    const logic = diagnosisLogic({ search, indicator: 'warning', now: () => REF, hypotheses: source });

    const first = await runHook(logic, resources);
    // The model was asked and has not answered: the hook came back anyway, with no hypothesis card.
    expect(llm.calls).toBe(1);
    expect(first.filter((c) => conditionOf(c)?.hypothesis)).toEqual([]);
    // Another call meanwhile does not ask again.
    await runHook(logic, resources);
    expect(llm.calls).toBe(1);
    expect(search.queries.some((q) => q.query.startsWith('Diabetes mellitus'))).toBe(false);

    llm.release(ANSWER);
    await source.idle();
    // The hypothesis's retrieval ran in the background, filtered to its condition's guideline.
    const hypothesisQueries = search.queries.filter((q) => q.query.startsWith('Diabetes mellitus'));
    expect(hypothesisQueries.length).toBe(2);
    expect(hypothesisQueries.every((q) => q.documentIds?.[0] === 'summary-ada-diabetes-diagnosis')).toBe(true);

    const before = search.queries.length;
    const second = await runHook(logic, resources);
    expect(llm.calls).toBe(1);
    // The hook itself retrieved nothing for the hypothesis: its passages were ready.
    expect(search.queries.slice(before).some((q) => q.query.startsWith('Diabetes mellitus'))).toBe(false);
    const cards = second.filter((c) => conditionOf(c)?.hypothesis);
    expect(cards).toHaveLength(1);
    expect(cards[0]!.summary).toBe(`${HYPOTHESIS_LEAD}: Diabetes mellitus`);
    expect(cards[0]!.indicator).toBe('info');
    expect(cards[0]!.suggestions).toBeUndefined();
    expect(checkCdsResponse({ cards: [{ ...cards[0]!, uuid: '6f1c8a0e-5b1d-4c2a-9e3f-7a8b9c0d1e2f' }] })).toEqual([]);
  });

  it('returns while a model that never answers is still pending', async () => {
    let pending = 0;
    const never: ChatLlm = { id: 'fake:never', complete: () => (pending++, new Promise<string>(() => {})) };
    const search = fakeSearch();
    const logic = diagnosisLogic({ search, indicator: 'warning', now: () => REF, hypotheses: llmHypothesisSource({ llm: never, search, timeoutMs: 60_000, concurrency: 1, log: silent }) });
    const started = Date.now();
    const cards = await runHook(logic, [...resources, bp(150, 95, daysAgo(60)), bp(152, 96, daysAgo(30))]);
    expect(Date.now() - started).toBeLessThan(400);
    expect(pending).toBe(1);
    // The computed findings' cards came back regardless.
    expect(cards.map((c) => conditionOf(c)?.condition)).toEqual(['hypertension']);
  });

  it('with LangChain’s fake answering late: the first call does not wait, the next one has the card', async () => {
    const llm = new LangChainLlm(new FakeListChatModel({ responses: [ANSWER], sleep: 150 }));
    const search = fakeSearch();
    const source = llmHypothesisSource({ llm, search, timeoutMs: 5000, concurrency: 1, log: silent });
    const logic = diagnosisLogic({ search, indicator: 'warning', now: () => REF, hypotheses: source });
    const started = Date.now();
    expect((await runHook(logic, resources)).filter((c) => conditionOf(c)?.hypothesis)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(150);
    await source.idle();
    expect((await runHook(logic, resources)).filter((c) => conditionOf(c)?.hypothesis).map((c) => conditionOf(c)?.condition)).toEqual(['diabetes']);
  });

  it('asks again when the record changes, and not when it does not', async () => {
    const llm = new LangChainLlm(new FakeListChatModel({ responses: [ANSWER, ANSWER] }));
    let calls = 0;
    const counting: ChatLlm = { id: 'fake:counting', complete: (m, s) => (calls++, llm.complete(m, s)) };
    const search = fakeSearch();
    const source = llmHypothesisSource({ llm: counting, search, timeoutMs: 5000, concurrency: 1, log: silent });
    const logic = diagnosisLogic({ search, indicator: 'warning', now: () => REF, hypotheses: source });
    await runHook(logic, resources);
    await source.idle();
    await runHook(logic, resources);
    expect(calls).toBe(1);
    await runHook(logic, [...resources, note('Second visit. Still thirsty all the time, drinks five litres a day.', 'note-2', daysAgo(1))]);
    await source.idle();
    expect(calls).toBe(2);
  });
});

describe('the hypothesis card', () => {
  const ctx = context([note(NOTE_TEXT), singleHba1c()]);
  const search = fakeSearch();
  const passages = async (key: 'diabetes' | 'ckd') => {
    const [criterion] = await search.search('x diagnostic criteria', { filters: { documentIds: [CONDITIONS[key].guideline.id] } });
    const next = await search.search('x management', { filters: { documentIds: [CONDITIONS[key].guideline.id] } });
    return { criterion: criterion!, nextStep: next[1]! };
  };
  const hypothesis = async (): Promise<ReadyHypothesis> => ({
    ...checkHypotheses({ hypotheses: [{ condition: 'diabetes', quote: 'Reports polyuria and polydipsia' }] }, recordPassages(ctx)).hypotheses[0]!,
    basis: await passages('diabetes'),
  });
  const diabetes = evaluateCriteria(ctx).find((f) => f.condition === 'diabetes')!;

  it('holds only our display, the record’s sentence verbatim with its source and date, computed values and verbatim passages', async () => {
    const h = await hypothesis();
    expect(diabetes.status).toBe('not-enough-data');
    const card = hypothesisCard(h, { finding: diabetes, recorded: [] })!;
    const detail = card.detail!;
    // Take out everything that is quoted or computed; what is left is Cairn's fixed wording.
    const blocks = detail.split('\n\n');
    const quoted = blocks.filter((b) => b.startsWith('>')).map(unquote);
    // The record's sentence and one guideline passage (the criterion, whole: it fits), each exactly; both passages in the extension.
    expect(quoted).toEqual([NOTE_SENTENCE, h.basis.criterion!.text]);
    expect((card.extension?.['cairn-passages'] as Array<{ text: string }>).map((p) => p.text)).toEqual([h.basis.criterion!.text, h.basis.nextStep!.text]);
    expect(detail).toContain(`**From the record** (Clinic note, DocumentReference/note-1, ${formatTime(daysAgo(3))}):`);
    expect(detail).toContain(`**Computed from the record**: Diabetes mellitus: ${diabetes.summary} (not enough data to decide).`);
    const computed = findingReadings(diabetes);
    const fixed = blocks.filter(
      (b) => !b.startsWith('>') && !b.startsWith('—') && !b.startsWith('Source: ') && b !== computed && !b.startsWith('**From the record**') && !b.startsWith('**Computed from the record**'),
    );
    expect(fixed).toEqual(['Not computed from the data: a language model pointed to this part of the record, and Cairn retrieved the guideline passage below for it.']);
    // The guideline's citation, once.
    expect(blocks.filter((b) => b.startsWith('Source: '))).toEqual(['Source: Guideline summary-ada-diabetes-diagnosis, a summary in Cairn’s own words of: Source 2025. <https://example.org/guideline>']);
    expect(detail.length).toBeLessThanOrEqual(1000);
    expect(detail).not.toMatch(/osmotic|strongly suggest|type 2/i);
  });

  it('carries the hypothesis rule and the content hash of the document it quotes, and suggests nothing to create', async () => {
    const card = hypothesisCard(await hypothesis(), { finding: diabetes, recorded: [] })!;
    expect(provenanceProblems(card, { ruleId: 'diagnosis/llm-hypothesis', hashOf: documentHash })).toEqual([]);
    expect(card.suggestions).toBeUndefined();
  });

  it('is not made when the condition is recorded, computed as met or not met, or no passage was retrieved', async () => {
    const h = await hypothesis();
    const recordedCtx = context([note(NOTE_TEXT), singleHba1c(), condition(SCT, '44054006')]);
    expect(recordedConditions('diabetes', recordedCtx).length).toBe(1);
    expect(hypothesisCard(h, { finding: diabetes, recorded: recordedConditions('diabetes', recordedCtx) })).toBeUndefined();
    expect(hypothesisCard(h, { finding: { ...diabetes, status: 'met' }, recorded: [] })).toBeUndefined();
    expect(hypothesisCard(h, { finding: { ...diabetes, status: 'not-met' }, recorded: [] })).toBeUndefined();
    expect(hypothesisCard({ ...h, basis: {} }, { finding: diabetes, recorded: [] })).toBeUndefined();
    expect(hypothesisCard(h, { recorded: [] })?.detail).not.toContain('Computed from the record');
  });

  it('says "from the record" when the sentence is a medication entry, not a note', async () => {
    const med = { resourceType: 'MedicationRequest', id: 'med-1', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' }, authoredOn: daysAgo(10), medicationCodeableConcept: { text: 'metformin 500 mg oral tablet twice daily' } };
    const medCtx = context([singleHba1c(), med]);
    const [h] = checkHypotheses({ hypotheses: [{ condition: 'diabetes', quote: 'metformin 500 mg oral tablet twice daily' }] }, recordPassages(medCtx)).hypotheses;
    expect(h!.quote).toMatchObject({ kind: 'medication', source: 'MedicationRequest/med-1' });
    const card = hypothesisCard({ ...h!, basis: await passages('diabetes') }, { recorded: [] })!;
    expect(card.summary).toBe(`${HYPOTHESIS_LEAD_RECORD}: Diabetes mellitus`);
    expect(card.detail).toContain('**From the record** (MedicationRequest/med-1,');
  });

  it('links to the Cairn app when its URL is configured, naming the rule and the condition', async () => {
    const h = await hypothesis();
    const card = hypothesisCard(h, { finding: diabetes, recorded: [], smartAppUrl: 'https://cairn.example.org/app/launch.html' })!;
    expect(card.links?.filter((l) => l.type === 'smart')).toEqual([
      { label: 'Open evidence in Cairn', url: 'https://cairn.example.org/app/launch.html', type: 'smart', appContext: '{"service":"diagnosis","rule":"diagnosis/llm-hypothesis","condition":"diabetes"}' },
    ]);
    expect(hypothesisCard(h, { finding: diabetes, recorded: [] })!.links?.filter((l) => l.type === 'smart')).toEqual([]);
  });
});
