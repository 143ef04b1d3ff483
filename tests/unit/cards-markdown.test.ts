/**
 * Every triage and diagnosis card of the demo patients (fhir-profiles/examples/edge-cases), made
 * by the shipped services' logic over a fixture knowledge base of the real guideline corpus, and
 * read as a GitHub-flavoured markdown renderer (the CDS Hooks sandbox) shows it: short (issue #18:
 * summary, at most 1,000 characters and 8 blocks of detail, one verbatim quotation with its source,
 * the link to the Cairn app), blocks on lines of their own, units as clinicians write them, no
 * internal names, each citation at most once. The trial-match card is checked the same way in
 * tests/integration/trial-card-markdown.test.ts (it needs a trial store).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { pino } from 'pino';
import { escapeInline } from '../../src/cards/markdown.js';
import { PASSAGES_EXTENSION, sectionLine, shortSourceLine, sourceLine, unquote, type QuotedPassage } from '../../src/cards/passages.js';
import type { GuidelineSearch } from '../../src/knowledge/guideline-search.js';
import type { Card } from '../../src/hooks/schema.js';
import type { HookInput, ServiceLogic } from '../../src/hooks/service.js';
import { LangChainLlm } from '../../src/llm/index.js';
import { llmHypothesisSource } from '../../src/services/diagnosis/hypothesis-source.js';
import { diagnosisLogic } from '../../src/services/diagnosis/service.js';
import { triageLogic } from '../../src/services/triage/service.js';
import { blocksContaining, corpusChunks, corpusSearch, demoPatient, EDGE_CASES, renderGfm, renderingProblems, shortCardProblems, type CorpusChunk } from '../support/card-markdown.js';
import { documentHash, provenanceProblems, suggestionProvenanceProblems } from '../support/provenance.js';
import { repoPath } from '../support/repo-root.js';
import { parseCorpus } from '../../src/knowledge/corpus/index.js';
import { DIAGNOSIS_EXTENSION } from '../../src/services/diagnosis/card.js';
import { TRIAGE_EXTENSION } from '../../src/services/triage/card.js';

const REF = new Date('2026-11-24T09:00:00Z');
const log = pino({ level: 'silent' });
const SMART_APP_URL = 'https://cairn.example.org/app/launch.html';

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
  let corpus: CorpusChunk[];
  const shown: Shown[] = [];

  beforeAll(async () => {
    search = await corpusSearch();
    corpus = await corpusChunks();
    const hypotheses = llmHypothesisSource({ llm: new LangChainLlm(new FakeListChatModel({ responses: [ANSWER] })), search, timeoutMs: 5000, concurrency: 1, log });
    const triage = triageLogic({ search, showInfoCards: true, now: () => REF, smartAppUrl: SMART_APP_URL });
    const diagnosis = diagnosisLogic({ search, indicator: 'warning', now: () => REF, hypotheses, smartAppUrl: SMART_APP_URL });
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

  it('keeps every card short: summary, at most 1,000 characters and 8 blocks of detail, one verbatim quotation with its source, the link to the Cairn app', () => {
    const problems = shown.flatMap(({ file, card }) => shortCardProblems(card, { corpus, smartAppUrl: SMART_APP_URL }).map((p) => `${file} "${card.summary}": ${p}`));
    expect(problems).toEqual([]);
    // Each card quotes one passage and carries all of them, raw, in its extension.
    for (const { card } of shown) {
      const passages = card.extension?.[PASSAGES_EXTENSION] as Array<{ text: string }>;
      expect(passages.length).toBeGreaterThan(0);
      expect(passages.filter((p) => unquote(card.detail ?? '').includes(p.text.split('\n')[0]!)).length).toBeLessThanOrEqual(1);
    }
    // The CKD card rests on two passages of one guideline: both in the extension, one quoted, its document named once.
    const ckd = shown.find((s) => s.card.summary.startsWith('Possible chronic kidney disease'))!.card;
    const carried = ckd.extension?.[PASSAGES_EXTENSION] as Array<{ citation: string; documentId: string }>;
    expect(carried).toHaveLength(2);
    expect(ckd.detail).toContain('a summary in Cairn’s own words');
    expect(ckd.detail!.split('Source: ').length - 1).toBe(1);
  });

  it('quotes the passage that speaks to the card: the decision point\'s question for ESI level 1', () => {
    const esi1 = shown.find((s) => s.card.summary.startsWith('ESI level 1'))!.card;
    expect(unquote(esi1.detail!.split('\n\n').find((b) => b.startsWith('>'))!)).toBe('Does the patient require immediate life-saving\nintervention?');
    expect(esi1.detail).toContain('— "Decision Point A: Is the Patient Dying?" (excerpt)');
  });

  it('gives every card one link to the Cairn app naming the service and the finding', () => {
    const contexts = shown.map(({ card }) => JSON.parse(card.links!.find((l) => l.type === 'smart')!.appContext!) as Record<string, unknown>);
    expect(contexts).toEqual(
      expect.arrayContaining([
        { service: 'triage', rule: 'triage/news2-qsofa-esi', esiLevel: 1, decisionPoint: 'A' },
        { service: 'diagnosis', rule: 'diagnosis/ckd', condition: 'ckd', stage: 'G3a A2' },
        { service: 'diagnosis', rule: 'diagnosis/llm-hypothesis', condition: 'diabetes' },
      ]),
    );
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

  it('writes units as clinicians do, with the time of each reading', () => {
    const triage = shown.find((s) => s.card.summary.startsWith('ESI level 1'))!.card;
    expect(blocksContaining(triage, 'Readings (NEWS2 points) of 2026-11-24 08:55 UTC:')).toEqual([
      'Readings (NEWS2 points) of 2026-11-24 08:55 UTC: Respiration rate 30/min (3), SpO2 88% (3), Systolic blood pressure 88 mmHg (3), Pulse 132/min (3), Consciousness C (Acute confusion) (3), Temperature 39.4 °C (2).',
    ]);
    const ckd = shown.find((s) => s.card.summary.startsWith('Possible chronic kidney disease'))!.card;
    expect(blocksContaining(ckd, '')).toEqual(
      expect.arrayContaining(['2026-08-02 08:50 UTC: eGFR 52 mL/min/1.73 m² (abnormal)', 'Duration of abnormal results 114 days (computed)']),
    );
    const obesity = shown.find((s) => s.card.summary.startsWith('Possible obesity'))!.card;
    expect(blocksContaining(obesity, 'BMI (weight / height²) 33.14 kg/m² (computed)')).toHaveLength(1);
  });

  it('keeps every reading, with its UCUM unit and source, in the card extension', () => {
    const triage = shown.find((s) => s.card.summary.startsWith('ESI level 1'))!.card;
    const evidence = (triage.extension?.[TRIAGE_EXTENSION] as { evidence: Array<{ label: string; value: number; unit: string; source: string }> }).evidence;
    expect(evidence).toEqual(expect.arrayContaining([expect.objectContaining({ label: 'Systolic blood pressure', value: 88, unit: 'mm[Hg]', source: expect.stringMatching(/^Observation\//) })]));
    const ckd = shown.find((s) => s.card.summary.startsWith('Possible chronic kidney disease'))!.card;
    expect((ckd.extension?.[DIAGNOSIS_EXTENSION] as { evidence: unknown[] }).evidence).toHaveLength(4);
  });

  it('names no internal data structure in the sepsis card', () => {
    const sepsis = shown.find((s) => s.card.summary.startsWith('Suspected sepsis'))!.card;
    expect(blocksContaining(sepsis, 'blood cultures')).toEqual(['Notes: blood cultures not checked: Cairn does not read microbiology results.']);
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

  it('ends a citation with one full stop, and says when the text is a summary in Cairn’s own words', () => {
    expect(sourceLine(passage({}))).toBe(
      'Source: Emergency Severity Index, Version 4: Chapter 3. Gilboy N, et al. 2005, Chapter 3 (Introduction to the Emergency Severity Index).',
    );
    expect(sourceLine(passage({ kind: 'summary', citation: 'RCP 2017', url: 'https://example.org' }))).toBe(
      'Source: Emergency Severity Index, Version 4: Chapter 3, a summary in Cairn’s own words of: RCP 2017. <https://example.org>',
    );
  });

  it('names a document by title and address when the full reference does not fit, and marks an excerpt', () => {
    expect(shortSourceLine(passage({ url: 'https://archive.ahrq.gov/research/esi/' }))).toBe('Source: Emergency Severity Index, Version 4: Chapter 3. <https://archive.ahrq.gov/research/esi/>');
    expect(shortSourceLine(passage({ kind: 'summary', title: 'NEWS2 (summary)' }))).toBe('Source: NEWS2 (summary), a summary in Cairn’s own words.');
    expect(sectionLine(passage({}), true)).toBe('— "Decision Point A" (excerpt)');
    expect(sectionLine(passage({ headingPath: [] }), true)).toBe('— (excerpt)');
  });
});
