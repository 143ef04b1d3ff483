/**
 * Every triage and diagnosis card of the demo patients (fhir-profiles/examples/edge-cases), made
 * by the shipped services' logic over a fixture knowledge base of the real guideline corpus, and
 * read as a GitHub-flavoured markdown renderer (the CDS Hooks sandbox) shows it: blocks on lines
 * of their own, tables that parse, units as clinicians write them, no internal names, each
 * citation once, the passages verbatim. The trial-match card is checked the same way in
 * tests/integration/trial-card-markdown.test.ts (it needs a trial store).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { pino } from 'pino';
import { evidenceTable } from '../../src/cards/evidence-table.js';
import { escapeInline } from '../../src/cards/markdown.js';
import { PASSAGES_EXTENSION, quotePassages, sourceLine, unquote, type QuotedPassage } from '../../src/cards/passages.js';
import type { GuidelineSearch } from '../../src/knowledge/guideline-search.js';
import type { Card } from '../../src/hooks/schema.js';
import type { HookInput, ServiceLogic } from '../../src/hooks/service.js';
import { LangChainLlm } from '../../src/llm/index.js';
import { llmHypothesisSource } from '../../src/services/diagnosis/hypothesis-source.js';
import { diagnosisLogic } from '../../src/services/diagnosis/service.js';
import { triageLogic } from '../../src/services/triage/service.js';
import { blocksContaining, corpusSearch, demoPatient, EDGE_CASES, renderGfm, renderingProblems } from '../support/card-markdown.js';
import { documentHash, provenanceProblems, suggestionProvenanceProblems } from '../support/provenance.js';
import { repoPath } from '../support/repo-root.js';
import { parseCorpus } from '../../src/knowledge/corpus/index.js';
import { DIAGNOSIS_EXTENSION } from '../../src/services/diagnosis/card.js';
import { TRIAGE_EXTENSION } from '../../src/services/triage/card.js';

const REF = new Date('2026-11-24T09:00:00Z');
const log = pino({ level: 'silent' });

/** A language model that names two conditions, each with a sentence of the notes-only patient's clinic note. */
const ANSWER = JSON.stringify({
  hypotheses: [
    { condition: 'diabetes', quote: 'Most recent HbA1c 8.1% despite metformin 1000 mg twice daily and empagliflozin 10 mg daily.' },
    { condition: 'ckd', quote: 'eGFR 52 mL/min/1.73m2 in March and 49 in August.' },
  ],
});

async function run(logic: ServiceLogic, file: string): Promise<Card[]> {
  const { bundle, patientId } = demoPatient(file, REF);
  const cards: Card[] = [];
  const input = { context: { patientId }, prefetch: { bundle }, log, signal: new AbortController().signal } as unknown as HookInput;
  await logic(input, (c) => cards.push(...c));
  return cards;
}

interface Shown {
  file: string;
  card: Card;
}

describe('triage and diagnosis cards of the demo patients, as a GFM renderer shows them', () => {
  let search: GuidelineSearch;
  const shown: Shown[] = [];

  beforeAll(async () => {
    search = await corpusSearch();
    const hypotheses = llmHypothesisSource({ llm: new LangChainLlm(new FakeListChatModel({ responses: [ANSWER] })), search, timeoutMs: 5000, concurrency: 1, log });
    const triage = triageLogic({ search, showInfoCards: true, now: () => REF });
    const diagnosis = diagnosisLogic({ search, indicator: 'warning', now: () => REF, hypotheses });
    for (const file of EDGE_CASES) {
      for (const card of await run(triage, file)) shown.push({ file, card });
      // The first call starts the model's question in the background; the next one finds the answer.
      await run(diagnosis, file);
      await hypotheses.idle();
      for (const card of await run(diagnosis, file)) shown.push({ file, card });
    }
  }, 60_000);

  it('makes the cards the demo patients were made for', () => {
    const summaries = shown.map((s) => `${s.file}: ${s.card.summary}`);
    expect(summaries).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ed-deteriorating-vitals.json: ESI level 1 .*qSOFA 3\/3 · shock index 1.50$/),
        expect.stringMatching(/^ed-deteriorating-vitals.json: Suspected sepsis: /),
        expect.stringMatching(/^mixed-units.json: Possible hypertension, stage 2: /),
        expect.stringMatching(/^mixed-units.json: Possible chronic kidney disease, G3a A2: /),
        expect.stringMatching(/^notes-only.json: Hypothesis to consider \(language model, from the notes\): /),
      ]),
    );
    expect(shown.length).toBeGreaterThanOrEqual(10);
  });

  it('renders every card without run-together lines, raw UCUM codes, internal names, double full stops or repeated citations', () => {
    const problems = shown.flatMap(({ file, card }) => renderingProblems(card).map((p) => `${file} "${card.summary}": ${p}`));
    expect(problems).toEqual([]);
  });

  it('quotes every passage verbatim, its citation once', () => {
    for (const { card } of shown) {
      const passages = card.extension?.[PASSAGES_EXTENSION] as Array<{ text: string; citation: string }>;
      expect(passages.length).toBeGreaterThan(0);
      for (const p of passages) expect(unquote(card.detail ?? '')).toContain(p.text);
    }
    // The diagnosis cards quote two passages of one guideline: its long citation stands once.
    const ckd = shown.find((s) => s.card.summary.startsWith('Possible chronic kidney disease'))!.card;
    const citations = (ckd.extension?.[PASSAGES_EXTENSION] as Array<{ citation: string }>).map((p) => p.citation);
    expect(citations).toHaveLength(2);
    expect(ckd.detail!.split(citations[0]!).length - 1).toBe(1);
    expect(ckd.detail).toContain('a summary in Cairn’s own words of:');
  });

  it('gives every card its provenance: its service\'s rule, and the content hash and version of every shipped document it quotes', async () => {
    const { documents } = await parseCorpus([repoPath('guidelines')]);
    const byId = new Map(documents.map((d) => [d.id, d]));
    const ruleOf = (card: Card): string => {
      if (card.extension?.[TRIAGE_EXTENSION]) return 'triage/news2-qsofa-esi';
      const d = card.extension?.[DIAGNOSIS_EXTENSION] as { condition: string; hypothesis?: unknown };
      return d.hypothesis ? 'diagnosis/llm-hypothesis' : `diagnosis/${d.condition}`;
    };
    const problems = shown.flatMap(({ file, card }) =>
      provenanceProblems(card, { ruleId: ruleOf(card), hashOf: (id) => byId.get(id)?.contentHash, versionOf: (id) => byId.get(id)?.meta.version }).map(
        (p) => `${file} "${card.summary}": ${p}`,
      ),
    );
    expect(problems).toEqual([]);
    // Each suggestion: meta.source on what it creates, and a Provenance targeting it.
    const withSuggestions = shown.filter((s) => s.card.suggestions);
    expect(withSuggestions.length).toBeGreaterThan(2);
    expect(withSuggestions.flatMap(({ card }) => suggestionProvenanceProblems(card, REF.toISOString()))).toEqual([]);
  });

  it('shows NEWS2, qSOFA and the shock index on lines of their own', () => {
    const { card } = shown.find((s) => s.card.summary.startsWith('ESI level 1'))!;
    const qsofa = blocksContaining(card, 'qSOFA 3/3');
    expect(qsofa).toEqual(['qSOFA 3/3: positive.']);
    expect(blocksContaining(card, 'Shock index 1.50')).toEqual(['Shock index 1.50: heart rate 132/min ÷ systolic BP 88 mmHg (≥ 1).']);
    expect(blocksContaining(card, 'NEWS2 17')).toHaveLength(1);
    expect(blocksContaining(card, 'NEWS2 17')[0]).not.toContain('qSOFA');
  });

  it('writes units as clinicians do, in the tables too', () => {
    const cells = (card: Card) => renderGfm(card.detail ?? '').querySelectorAll('td').map((td) => td.text);
    const triage = shown.find((s) => s.card.summary.startsWith('ESI level 1'))!.card;
    expect(cells(triage)).toEqual(expect.arrayContaining(['88 mmHg', '39.4 °C', '30/min', '88%', '132/min']));
    const ckd = shown.find((s) => s.card.summary.startsWith('Possible chronic kidney disease'))!.card;
    expect(cells(ckd)).toEqual(expect.arrayContaining(['52 mL/min/1.73 m²', '48 mL/min/1.73 m²', '114 days']));
    const obesity = shown.find((s) => s.card.summary.startsWith('Possible obesity'))!.card;
    expect(cells(obesity)).toContain('33.14 kg/m²');
  });

  it('names no internal data structure in the sepsis card', () => {
    const sepsis = shown.find((s) => s.card.summary.startsWith('Suspected sepsis'))!.card;
    expect(blocksContaining(sepsis, 'blood cultures')).toEqual(['blood cultures not checked: Cairn does not read microbiology results']);
  });
});

describe('card markdown pieces', () => {
  const passage = (over: Partial<QuotedPassage>): QuotedPassage => ({
    chunkId: 'd#1',
    documentId: 'd',
    title: 'Emergency Severity Index, Version 4: Chapter 3',
    headingPath: ['Decision Point A'],
    text: 'Line one\nline two.',
    citation: 'Gilboy N, et al. 2005, Chapter 3 (Introduction to the Emergency Severity Index).',
    kind: 'verbatim',
    documentHash: documentHash('d'),
    ...over,
  });

  it.each([
    'Criteria: *not* _this_ `code` ~~struck~~ [link](http://x) <b>bold</b> | pipe &amp; entity',
    'snake_case_words and 2*3*4 and a\\backslash',
    'Age < 18 or > 65; <ULN> [PEL]',
  ])('record text escaped with escapeInline renders as written: %s', (raw) => {
    expect(renderGfm(`Before: ${escapeInline(raw)}`).querySelector('p')!.text).toBe(`Before: ${raw}`);
  });

  it('keeps a table a table when a cell holds a pipe or markup, with no empty Time column', () => {
    const md = evidenceTable([{ label: 'A | B *c*', value: 'x|y', contribution: 'met' }], 'Use');
    const table = renderGfm(`Lead.\n\n${md}`).querySelector('table')!;
    expect(table.querySelectorAll('th').map((th) => th.text)).toEqual(['Finding', 'Value', 'Use']);
    expect(table.querySelectorAll('td').map((td) => td.text)).toEqual(['A | B *c*', 'x|y', 'met']);
  });

  it('ends a citation with one full stop, and says when the text is a summary in Cairn’s own words', () => {
    expect(sourceLine(passage({}))).toBe(
      'Source: Emergency Severity Index, Version 4: Chapter 3. Gilboy N, et al. 2005, Chapter 3 (Introduction to the Emergency Severity Index).',
    );
    expect(sourceLine(passage({ kind: 'summary', citation: 'RCP 2017', url: 'https://example.org' }))).toBe(
      'Source: Emergency Severity Index, Version 4: Chapter 3, a summary in Cairn’s own words of: RCP 2017. <https://example.org>',
    );
  });

  it('quotes passages of one document together, its citation once after them', () => {
    const parts = quotePassages([passage({}), passage({ chunkId: 'e#1', documentId: 'e', citation: 'Other 2020' }), passage({ chunkId: 'd#2', headingPath: ['B'], grade: '1A', gradeSystem: 'KDIGO' })]);
    expect(parts).toEqual([
      '> Line one\n> line two.',
      '— "Decision Point A"',
      '> Line one\n> line two.',
      '— "B" (KDIGO grade 1A)',
      sourceLine(passage({})),
      '> Line one\n> line two.',
      '— "Decision Point A"',
      'Source: Emergency Severity Index, Version 4: Chapter 3. Other 2020.',
    ]);
  });
});
