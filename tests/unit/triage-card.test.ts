/**
 * The triage card end to end without I/O: FHIR Bundle → PatientContext → assessment → card, with a
 * fake knowledge base. Every card is checked against the CDS Hooks response contract.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { PASSAGES_EXTENSION, unquote } from '../../src/cards/passages.js';
import { readProvenance } from '../../src/cards/provenance.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import type { GuidelineHit, SearchOptions } from '../../src/knowledge/retriever.js';
import { assessTriage, nothingToTriage } from '../../src/services/triage/assess.js';
import { TRIAGE_EXTENSION, triageCard, triageIndicator } from '../../src/services/triage/card.js';
import { DECISION_POINT_B_QUERY, guidelineBasis } from '../../src/services/triage/guideline-basis.js';
import { RESOURCE_TABLE } from '../../src/services/triage/resources.js';
import type { GuidelineSearch } from '../../src/knowledge/guideline-search.js';
import { HIGH_RISK_DOCUMENT, knowledgeBaseHighRiskMatcher } from '../../src/services/triage/high-risk-matcher.js';
import { MAX_CHIEF_COMPLAINT_CHARS } from '../../src/services/triage/triage-input.js';
import { news2BandSettled } from '../../src/services/triage/news2.js';
import { documentHash, provenanceProblems, suggestionProvenanceProblems } from '../support/provenance.js';
import { repoPath } from '../support/repo-root.js';

const REF = new Date('2026-11-24T08:10:00Z');

const hit = (over: Partial<GuidelineHit>): GuidelineHit => ({
  chunkId: 'doc#section',
  documentId: 'doc',
  title: 'A guideline',
  headingPath: ['Section'],
  text: 'Verbatim passage text.\nSecond line.',
  citation: 'Source 2020',
  kind: 'verbatim',
  documentHash: documentHash(over.documentId ?? 'doc'),
  score: 1,
  ranks: { vector: 1, fulltext: 1 },
  ...over,
});

/** Answers every query with one passage from the document asked for; the high-risk chapter by section. */
function fakeSearch(highRiskSection: string | null): GuidelineSearch & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    async search(query: string, options?: SearchOptions) {
      queries.push(query);
      const doc = options?.filters?.documentIds?.[0] ?? 'doc';
      if (doc === HIGH_RISK_DOCUMENT) {
        return highRiskSection ? [hit({ documentId: doc, chunkId: `${doc}#hr`, headingPath: ['High-risk Situations', highRiskSection], text: `${highRiskSection} text` })] : [];
      }
      return [hit({ documentId: doc, chunkId: `${doc}#${queries.length}`, text: `Passage of ${doc}.` })];
    },
  };
}

const edBundle = JSON.parse(readFileSync(repoPath('fhir-profiles/examples/edge-cases/ed-deteriorating-vitals.json'), 'utf8')) as { entry: Array<{ resource: Record<string, unknown> }> };
const patientId = edBundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource.id as string;

async function cardFor(resources: unknown[], search: GuidelineSearch, showInfo = false) {
  const context = buildPatientContext({ resources, referenceTime: REF, patientId });
  const assessment = await assessTriage({ context, resources, matcher: knowledgeBaseHighRiskMatcher(search) });
  const passages = await guidelineBasis(assessment, search);
  return { assessment, card: triageCard(assessment, passages, { showInfo, patientId, now: REF.toISOString() }) };
}

/** An ED visit now: the patient, the reason for visit, and one set of vital signs (SpO2 98 %, 37 °C). */
function visitOf(reason: string, patient: { gender: string; birthDate: string }, v: { hr: number; rr: number; sbp: number }): unknown[] {
  const at = new Date(REF.getTime() - 10 * 60_000).toISOString();
  const vital = (id: string, code: string, value: number, unit: string) => ({
    resourceType: 'Observation', id, status: 'final', subject: { reference: `Patient/${patientId}` }, effectiveDateTime: at,
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code }] }, valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  });
  return [
    { resourceType: 'Patient', id: patientId, ...patient },
    { resourceType: 'Encounter', id: 'ed', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' }, subject: { reference: `Patient/${patientId}` }, period: { start: new Date(REF.getTime() - 30 * 60_000).toISOString() }, reasonCode: [{ text: reason }] },
    vital('hr', '8867-4', v.hr, '/min'), vital('rr', '9279-1', v.rr, '/min'), vital('spo2', '59408-5', 98, '%'), vital('sbp', '8480-6', v.sbp, 'mm[Hg]'), vital('t', '8310-5', 37, 'Cel'),
  ];
}

describe('triage card', () => {
  it('shows a converted reading beside the value as recorded: 103 °F as 39.4 °C, not 39.44', async () => {
    const resources = structuredClone(edBundle);
    for (const { resource } of resources.entry.filter((e) => JSON.stringify(e.resource.code ?? '').includes('8310-5'))) {
      resource.valueQuantity = { value: 103, unit: '°F', system: 'http://unitsofmeasure.org', code: '[degF]' };
    }
    const { card } = await cardFor([resources], fakeSearch('Respiratory'));
    expect(card!.detail).toMatch(/Temperature 39\.4 °C \(recorded 103 °F\) \(2\)/);
    const figures = card!.extension?.[TRIAGE_EXTENSION] as { evidence: Array<{ label: string; value: number; unit: string; recorded?: unknown }> };
    // The extension keeps the full-precision canonical value and the record's own.
    expect(figures.evidence.find((e) => e.label === 'Temperature')).toMatchObject({ unit: 'Cel', recorded: { value: 103, unit: '[degF]' } });
  });

  it('is critical for the deteriorating ED patient, with the values, the missing data and verbatim passages', async () => {
    const { assessment, card } = await cardFor([edBundle], fakeSearch('Respiratory'));
    expect(card).toBeDefined();
    expect(checkCdsResponse({ cards: [{ ...card, uuid: '2b8c5f8e-2b0a-4c6e-9d7e-0e6f8b7a1c11', suggestions: card!.suggestions?.map((s, i) => ({ ...s, uuid: `2b8c5f8e-2b0a-4c6e-9d7e-0e6f8b7a1c2${i}` })) }] })).toEqual([]);
    expect(card!.indicator).toBe('critical');
    expect(card!.summary.length).toBeLessThan(140);
    expect(card!.summary).toMatch(/^ESI level 1 .*NEWS2 ≥?\d+ \(high\).*qSOFA 3\/3/);
    expect(assessment.acuity.level).toBe(1);
    // The values it used, with units, times and points; what was not recorded (the NEWS2 parameters on the card, all in the extension).
    expect(card!.detail).toMatch(/Readings \(NEWS2 points\) of 2026-11-24 08:00 UTC: Respiration rate 30\/min \(3\), /);
    expect(card!.detail).toMatch(/\*\*NEWS2 \d+\*\* \(high clinical risk\), a lower bound: up to \d+ with Air or oxygen, not recorded in the last 24 h\./);
    const figures = card!.extension?.[TRIAGE_EXTENSION] as { notRecorded: string[]; evidence: Array<{ label: string; value: number; unit: string; time: string; contribution: string }> };
    expect(figures.notRecorded).toContain('painScore');
    expect(figures.evidence).toContainEqual(expect.objectContaining({ label: 'Respiration rate', value: 30, unit: '/min', time: expect.stringMatching(/^2026-11-24T08:00/), contribution: '3 NEWS2 points' }));
    // qSOFA ≥ 2: lactate and blood cultures as valid FHIR proposals.
    expect(card!.selectionBehavior).toBe('any');
    const orders = card!.suggestions?.[0]?.actions?.filter((a) => a.resource?.resourceType === 'ServiceRequest');
    expect(orders?.map((a) => (a.resource as unknown as { code: { coding: Array<{ code: string }> } }).code.coding[0]?.code)).toEqual(['2524-7', '600-7']);
    // Passages: raw in the extension; the detail quotes one of them, exactly.
    const passages = card!.extension?.[PASSAGES_EXTENSION] as Array<{ text: string }>;
    expect(passages.length).toBeGreaterThan(1);
    const quotes = card!.detail!.split('\n\n').filter((b) => b.startsWith('>')).map(unquote);
    expect(quotes).toHaveLength(1);
    expect(passages.filter((p) => p.text.includes(quotes[0]!))).toHaveLength(1);
    expect(card!.detail!.length).toBeLessThanOrEqual(1000);
    expect(card!.extension?.[TRIAGE_EXTENSION]).toMatchObject({ esiLevel: 1, setBy: 'A', qsofa: 3 });
  });

  it('says a vital sign recorded but excluded was excluded, with the value as recorded and why, not that it was not recorded', async () => {
    // The newest heart rates recorded as 400 /min and in a unit Cairn does not read.
    const bundle = structuredClone(edBundle);
    const heartRates = bundle.entry.filter((e) => e.resource.resourceType === 'Observation' && JSON.stringify(e.resource.code).includes('"8867-4"'));
    expect(heartRates.length).toBeGreaterThan(1);
    for (const [i, e] of heartRates.entries()) e.resource.valueQuantity = i === heartRates.length - 1 ? { value: 400, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } : { value: 90, unit: 'beats' };
    const { assessment, card } = await cardFor([bundle], fakeSearch('Respiratory'));
    expect(assessment.observations.excluded.heartRate?.map((r) => [r.value, r.unit, r.reason, r.effective])).toEqual(
      heartRates.map((e, i) => (i === heartRates.length - 1 ? [400, '/min', 'implausible-value'] : [90, 'beats', 'unknown-unit']).concat(e.resource.effectiveDateTime as string)),
    );
    expect(card!.detail).toContain(`Pulse excluded (400/min, implausible; ${heartRates.length - 1} earlier)`);
    expect(card!.detail).not.toMatch(/Pulse[^.;]*not recorded/);
    expect(card!.extension?.[TRIAGE_EXTENSION]).toMatchObject({ notRecorded: expect.arrayContaining(['heartRate']), excluded: { heartRate: expect.any(Array) } });
  });

  it('shows an excluded reading as a clinician writes it: no float noise, display units', async () => {
    const bundle = structuredClone(edBundle);
    const temperatures = bundle.entry.filter((e) => e.resource.resourceType === 'Observation' && JSON.stringify(e.resource.code).includes('"8310-5"'));
    expect(temperatures.length).toBeGreaterThan(0);
    for (const e of temperatures) e.resource.valueQuantity = { value: 55.5555555, unit: 'Cel', system: 'http://unitsofmeasure.org', code: 'Cel' };
    const { card } = await cardFor([bundle], fakeSearch('Respiratory'));
    expect(card!.detail).toMatch(/Temperature excluded \(55\.56 °C, implausible/);
    expect(card!.detail).not.toContain('55.5555555');
  });

  it('does not read a reason for visit far longer than a chief complaint, and says so instead of "no complaint"', async () => {
    const withReasons = (reasonCode: unknown[]) => {
      const bundle = structuredClone(edBundle);
      bundle.entry.find((e) => e.resource.resourceType === 'Encounter')!.resource.reasonCode = reasonCode;
      return bundle;
    };
    // 1,000 characters are still read (the bound is the joined text of the reasons).
    const atBound = 'Short of breath and feverish since yesterday; '.repeat(21).padEnd(MAX_CHIEF_COMPLAINT_CHARS, '.');
    const read = await cardFor([withReasons([{ text: atBound }])], fakeSearch(null));
    expect(atBound).toHaveLength(MAX_CHIEF_COMPLAINT_CHARS);
    expect(read.assessment.observations.chiefComplaint?.text).toBe(atBound);
    expect(read.assessment.observations.chiefComplaintNotRead).toBeUndefined();

    // A pasted note (or an attacker's body) as the reason for visit: 40,000 distinct reasons.
    const reasons = Array.from({ length: 40_000 }, (_, i) => ({ text: `chest pain ${i}` }));
    const search = fakeSearch('Chest pain');
    const started = performance.now();
    const { assessment, card } = await cardFor([withReasons(reasons)], search);
    expect(performance.now() - started).toBeLessThan(2_000);
    const characters = reasons.reduce((n, r, i) => n + r.text.length + (i > 0 ? 2 : 0), 0);
    expect(assessment.observations.chiefComplaint).toBeNull();
    expect(assessment.observations.chiefComplaintNotRead).toEqual({ source: expect.stringMatching(/^Encounter\//), characters });
    // Neither the guideline search nor the resource table saw the text; C is unknown, never guessed down.
    expect(search.queries.every((q) => q.length <= MAX_CHIEF_COMPLAINT_CHARS)).toBe(true);
    expect(assessment.highRisk.status).toBe('no-complaint');
    expect(assessment.acuity.level).toBe(1);
    expect(card!.detail).toContain(`**Chief complaint not read**: ${characters.toLocaleString('en-US')} characters of reason for visit, more than the 1,000 read as a chief complaint`);
    expect(card!.extension?.[TRIAGE_EXTENSION]).toMatchObject({ chiefComplaintNotRead: { characters } });
    expect(assessment.acuity.resources).toEqual({ status: 'unknown', reason: expect.stringMatching(/^the chief complaint was not read \(\d/) });
  });

  it('carries its provenance: the triage rule and the content hash of every quoted document; its orders have meta.source and a Provenance', async () => {
    const { card } = await cardFor([edBundle], fakeSearch('Respiratory'));
    expect(provenanceProblems(card!, { ruleId: 'triage/news2-qsofa-esi', hashOf: documentHash })).toEqual([]);
    expect(readProvenance(card!)?.guidelines.length).toBeGreaterThan(1);
    expect(suggestionProvenanceProblems(card!, REF.toISOString())).toEqual([]);
    // The two orders and their Provenance: three create actions, the Provenance last.
    expect(card!.suggestions?.[0]?.actions?.map((a) => (a.resource as { resourceType: string }).resourceType)).toEqual(['ServiceRequest', 'ServiceRequest', 'Provenance']);
    // Built twice from the same data: the same ids (name-based), so the card is reproducible.
    const again = await cardFor([edBundle], fakeSearch('Respiratory'));
    expect(again.card).toEqual(card);
  });

  it('with the knowledge base down, quotes nothing and its provenance names no guideline (empty lists left out of the JSON: validators refuse them)', async () => {
    const down: GuidelineSearch = { search: () => Promise.reject(new Error('database down')) };
    const { card } = await cardFor([edBundle], down);
    expect(card!.extension).not.toHaveProperty(PASSAGES_EXTENSION);
    expect(card!.extension?.['cairn-provenance']).not.toHaveProperty('guidelines');
    expect(readProvenance(card!)).toMatchObject({ rule: { id: 'triage/news2-qsofa-esi' }, guidelines: [] });
    expect(suggestionProvenanceProblems(card!, REF.toISOString())).toEqual([]);
    const provenance = card!.suggestions![0]!.actions!.at(-1)!.resource as { entity?: unknown };
    expect(provenance.entity).toBeUndefined();
  });

  it('names the high-risk handbook passage it quotes in its provenance', async () => {
    const ed = { ...edBundle, entry: edBundle.entry.filter((e) => e.resource.resourceType !== 'Observation') };
    const { card } = await cardFor([ed], fakeSearch('Respiratory'));
    expect(readProvenance(card!)?.guidelines.map((g) => g.documentId)).toContain(HIGH_RISK_DOCUMENT);
    expect(provenanceProblems(card!, { ruleId: 'triage/news2-qsofa-esi', hashOf: documentHash })).toEqual([]);
  });

  it('uses the handbook passage when the complaint matches a high-risk situation', async () => {
    const ed = { ...edBundle, entry: edBundle.entry.filter((e) => e.resource.resourceType !== 'Observation') };
    const { assessment, card } = await cardFor([ed], fakeSearch('Respiratory'));
    expect(assessment.highRisk.status).toBe('matched');
    expect(assessment.acuity.level).toBe(2);
    expect(card!.indicator).toBe('critical');
    // The passage behind the level is the one quoted.
    expect(card!.detail).toContain('\n\n> Respiratory text\n\n— "High-risk Situations › Respiratory"');
  });

  it('links to the Cairn app when its URL is configured, naming the service and the level', async () => {
    const context = buildPatientContext({ resources: [edBundle], referenceTime: REF, patientId });
    const search = fakeSearch('Respiratory');
    const assessment = await assessTriage({ context, resources: [edBundle], matcher: knowledgeBaseHighRiskMatcher(search) });
    const passages = await guidelineBasis(assessment, search);
    const options = { showInfo: false, patientId, now: REF.toISOString() };
    const card = triageCard(assessment, passages, { ...options, smartAppUrl: 'https://cairn.example.org/app/launch.html' })!;
    expect(card.links?.[0]).toEqual({
      label: 'Open evidence in Cairn',
      url: 'https://cairn.example.org/app/launch.html',
      type: 'smart',
      appContext: '{"service":"triage","rule":"triage/news2-qsofa-esi","esiLevel":1,"decisionPoint":"A"}',
    });
    expect(triageCard(assessment, passages, options)!.links?.filter((l) => l.type === 'smart')).toEqual([]);
  });

  it('does not call a complaint high risk when the best handbook section is not a high-risk situation', async () => {
    const search = fakeSearch(null);
    const ed = { ...edBundle, entry: edBundle.entry.filter((e) => e.resource.resourceType !== 'Observation') };
    const { assessment } = await cardFor([ed], search);
    expect(assessment.highRisk.status).toBe('not-matched');
  });

  it('returns no card when there are no vitals and no complaint', async () => {
    const patientOnly = edBundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource;
    const { assessment, card } = await cardFor([patientOnly], fakeSearch(null), true);
    expect(nothingToTriage(assessment)).toBe(true);
    expect(card === undefined || card.indicator === 'info').toBe(true);
  });

  it.each([
    [{ acuity: 3, news2: 4, red: false }, 'info'],
    [{ acuity: 3, news2: 4, red: true }, 'warning'],
    [{ acuity: 3, news2: 5, red: false }, 'warning'],
    [{ acuity: 3, news2: 6, red: false }, 'warning'],
    [{ acuity: 3, news2: 7, red: false }, 'critical'],
    [{ acuity: 2, news2: 0, red: false }, 'critical'],
    [{ acuity: 1, news2: 0, red: false }, 'critical'],
    // NEWS2 outside its population (a child, pregnancy) raises nothing.
    [{ acuity: 3, news2: 9, red: true, applicable: false }, 'info'],
  ])('indicator for %j is %s', (x, expected) => {
    const applicability = { applicable: 'applicable' in x ? x.applicable : true, notes: [] };
    const a = { acuity: { level: x.acuity }, news2: { total: x.news2, anyParameterScored3: x.red, applicability } } as unknown as Parameters<typeof triageIndicator>[0];
    expect(triageIndicator(a)).toBe(expected);
  });
});

describe('triage card: a level set by a high-risk complaint quotes the handbook on that complaint', () => {
  /** ESI v4 ch. 4, "High-risk Situations › Cardiovascular", as the corpus holds it (caveats included). */
  const CARDIOVASCULAR = 'Chest pain is also a very common chief complaint.\nThe presentation of acute coronary syndromes (ACS)\nis not always specific, and it is sometimes difficult to\ndetermine the risk of ACS at triage. Patients who\nhave an episode of chest or epigastric discomfort,\nwith or without accompanying symptoms, usually\nwill need an ECG performed rapidly to determine\nthe presence of ACS and need to be identified as\nhigh risk-ESI level 2. It is important for the triage\nnurse to incorporate into his or her knowledge of\nwomen and presentational symptoms characteristic\nof heart disease. The 54-year-old obese female who\npresents to the ED with epigastric pain and fatigue is\nat risk of ACS and should be assigned to ESI level 2high risk. Patients with chest pain that are\nphysiologically unstable and require immediate\nintervention such as intubation or hemodynamic\nsupport should be triaged as ESI level 1. All chest\npain patients do not meet level-1 or 2 criteria. For\nexample, a 20-year-old healthy patient with chest\npain, cough, and fever of 101° is at low risk for ACS\nand does not meet ESI level-1 or 2 criteria. Each\npatient must be assessed individually. Other highrisk cardiovascular situations would include the\npossibility of a hypertensive crisis, acute vascular\narterial occlusions, and patients who present with a\nfever post valve replacement.\n\n### Dental, Ear, Nose, and Throat';
  const chestPainRow = RESOURCE_TABLE.rows.find((r) => r.id === 'chest-pain')!;

  /** Normal adult vital signs now, and the reason for visit given. */
  const edVisit = (reason: string) => visitOf(reason, { gender: 'male', birthDate: '1958-03-02' }, { hr: 78, rr: 16, sbp: 132 });

  /** The row's question gets the Cardiovascular section; the knowledge-base matcher's two searches disagree, so the table decides. */
  function chapterFourSearch(): GuidelineSearch & { queries: Array<{ query: string; documentId?: string }> } {
    const queries: Array<{ query: string; documentId?: string }> = [];
    return {
      queries,
      async search(query: string, options?: SearchOptions) {
        const documentId = options?.filters?.documentIds?.[0];
        queries.push({ query, ...(documentId && { documentId }) });
        if (documentId === HIGH_RISK_DOCUMENT) {
          if (query === chestPainRow.highRisk) return [hit({ documentId, chunkId: `${documentId}#cardio`, headingPath: ['High-risk Situations', 'Cardiovascular'], text: CARDIOVASCULAR })];
          const section = options?.mode === 'fulltext' ? 'Respiratory' : 'Wound Management';
          return [hit({ documentId, chunkId: `${documentId}#${section}`, headingPath: ['High-risk Situations', section], text: `${section} text.` })];
        }
        return [hit({ documentId: documentId ?? 'doc', chunkId: `${documentId}#${queries.length}`, text: `Passage of ${documentId}.` })];
      },
    };
  }

  it('names the chapter the row cites: anaphylaxis is a level-1 example of chapter 3, not a chapter 4 situation', async () => {
    const { assessment, card } = await cardFor(edVisit('anaphylaxis'), chapterFourSearch());
    expect(assessment.acuity).toMatchObject({ level: 2, setBy: 'B' });
    expect(card!.detail!.split('\n\n')[0]).toContain('chief complaint "anaphylaxis" matches "Anaphylaxis or allergic swelling of the airway", a high-risk situation in ESI chapter 3.');
  });

  it('names the complaint and the row in the level\'s line, quotes its chapter 4 section, and never a caveat that reads as the opposite', async () => {
    const search = chapterFourSearch();
    const { assessment, card } = await cardFor(edVisit('CHEST PAIN'), search);
    expect(assessment.acuity).toMatchObject({ level: 2, setBy: 'B' });
    expect(assessment.highRisk.status).not.toBe('matched');
    const blocks = card!.detail!.split('\n\n');
    expect(blocks[0]).toContain('set at decision point B: should not wait (high risk): chief complaint "CHEST PAIN" matches "Chest pain or discomfort", a high-risk situation in ESI chapter 4.');
    // The row's own summary asked chapter 4; the decision point's question is B's high-risk one, not the general B question.
    expect(search.queries).toContainEqual({ query: chestPainRow.highRisk, documentId: HIGH_RISK_DOCUMENT });
    expect(search.queries).toContainEqual({ query: DECISION_POINT_B_QUERY.highRisk, documentId: 'ahrq-esi-v4-ch3-algorithm' });
    const quote = unquote(blocks.find((b) => b.startsWith('>'))!);
    expect(CARDIOVASCULAR.replace(/\s+/g, ' ')).toContain(quote.replace(/\s+/g, ' '));
    expect(blocks).toContain('— "High-risk Situations › Cardiovascular" (excerpt)');
    expect(quote).not.toMatch(/do not meet|does not meet/);
    expect(card!.detail!.length).toBeLessThanOrEqual(1000);
    expect(checkCdsResponse({ cards: [{ ...card!, uuid: '2b8c5f8e-2b0a-4c6e-9d7e-0e6f8b7a1c11' }] })).toEqual([]);
  });

  it.each([
    ['new-confusion-lethargy-disorientation', DECISION_POINT_B_QUERY.confusion],
    ['severe-pain', DECISION_POINT_B_QUERY.pain],
    // A febrile young infant and hypotension are high-risk situations (ESI v4 ch. 4 and 6).
    ['febrile-infant-under-3-months', DECISION_POINT_B_QUERY.highRisk],
    ['hypotension', DECISION_POINT_B_QUERY.highRisk],
  ])('asks decision point B\'s question for the criterion that set the level (%s)', async (criterion, question) => {
    const asked: string[] = [];
    const search: GuidelineSearch = { search: async (query) => (asked.push(query), []) };
    const a = { acuity: { setBy: 'B', deciding: [{ criterion }], resources: { status: 'unknown', reason: 'test' } }, news2: { band: 'low', applicability: { applicable: true, notes: [] } }, qsofa: { positive: 'no' } };
    await guidelineBasis(a as unknown as Parameters<typeof guidelineBasis>[0], search);
    expect(asked).toEqual([question]);
  });
});

describe('triage card: what the knowledge base matched', () => {
  it('does not call a complaint high risk when the resource table read it whole and named no high-risk row', async () => {
    // The knowledge base's nearest high-risk passage is whatever it is; "fever and cough" is a table row that is not high risk.
    const { assessment, card } = await cardFor(
      visitOf('fever and cough', { gender: 'male', birthDate: '1980-01-01' }, { hr: 88, rr: 16, sbp: 124 }),
      fakeSearch('Infectious Disease'),
      true,
    );
    expect(assessment.highRisk.status).toBe('matched');
    expect(assessment.acuity.findings.find((f) => f.criterion === 'high-risk-complaint')?.met).toBe(false);
    expect(assessment.acuity.level).toBe(3);
    expect(card!.detail).not.toContain('high-risk situation');
  });
});

describe('triage: a chief complaint the resource table read only in part', () => {
  const adult = (complaint: string) => visitOf(complaint, { gender: 'female', birthDate: '1980-01-01' }, { hr: 80, rr: 16, sbp: 124 });

  it('is not put at level 4 or 5 on the part it read, and the card names the words it did not', async () => {
    // "leg pain" is one X-ray (level 4); "transfer" and "consult" are not words of the table.
    const { assessment, card } = await cardFor(adult('L leg pain, transfer, consult'), fakeSearch(null), true);
    expect(assessment.acuity.level).toBe(3);
    expect(assessment.acuity.possibleLevels.leastUrgent).toBe(5);
    expect(card!.detail).toContain('but the resource table did not read "transfer" and "consult" of the chief complaint: levels 4 and 5 need a resource estimate of all of it');
  });

  it('reads a bleed inside the skull among the parts as high risk, level 2, and names the situation', async () => {
    // Before stop 38 "s/p fall" and "SDH" were unread and this complaint stayed at level 3.
    const { assessment, card } = await cardFor(adult('L leg pain, s/p fall, SDH'), fakeSearch(null), true);
    expect([assessment.acuity.level, assessment.acuity.setBy]).toEqual([2, 'B']);
    expect(card!.detail).toContain('matches "Bleeding inside the skull (subarachnoid, subdural or intracerebral)", a high-risk situation in ESI chapter 4');
  });

  it.each(['L leg pain', 'itchy rash on arms', 'ankle sprain, left'])(
    'a complaint of one part it read keeps the level its resources give, words qualifying it aside: %s',
    async (complaint) => {
      const { assessment } = await cardFor(adult(complaint), fakeSearch(null), true);
      expect(assessment.acuity.setBy).toBe('C');
      expect(assessment.acuity.level).toBeGreaterThanOrEqual(4);
    },
  );
});

describe('triage card: NEWS2 as a lower bound', () => {
  it('gives no band the items not recorded could change, and no "NEWS2 ≥0" in the summary', async () => {
    // Normal vital signs, but no AVPU and no record of air or oxygen: 0 so far, up to 5 (medium: oxygen 2, consciousness 3).
    const { assessment, card } = await cardFor(visitOf('sprained ankle', { gender: 'female', birthDate: '1980-01-01' }, { hr: 80, rr: 16, sbp: 124 }), fakeSearch(null), true);
    expect(assessment.news2).toMatchObject({ total: 0, complete: false, band: 'low', maxPossibleTotal: 5 });
    expect(card!.summary).not.toContain('NEWS2');
    expect(card!.detail).toContain('**NEWS2 ≥0**, a lower bound: up to 5 with');
    expect(card!.detail).not.toContain('low clinical risk');
  });

  it('keeps a band no missing item can change', () => {
    expect(news2BandSettled({ complete: false, band: 'high', maxPossibleTotal: 20 })).toBe(true);
    expect(news2BandSettled({ complete: false, band: 'medium', maxPossibleTotal: 6 })).toBe(true);
    expect(news2BandSettled({ complete: false, band: 'medium', maxPossibleTotal: 8 })).toBe(false);
    expect(news2BandSettled({ complete: false, band: 'low', maxPossibleTotal: 3 })).toBe(false);
    expect(news2BandSettled({ complete: true, band: 'low', maxPossibleTotal: 2 })).toBe(true);
  });
});

describe('triage card: adult scores are not applied to children', () => {
  /** A 2-month-old with vital signs normal for the age (PALS 2020 ranges), the reason for visit given. */
  const infant = (reason: string) => visitOf(reason, { gender: 'female', birthDate: '2026-09-20' }, { hr: 140, rr: 38, sbp: 80 });

  it('a 2-month-old with normal vital signs: no NEWS2 or qSOFA alarm, no sepsis work-up, and the card says why', async () => {
    const { assessment, card } = await cardFor(infant('cough'), fakeSearch(null), true);
    // The adult charts would score these normal infant values high and call qSOFA positive.
    expect(assessment.news2.total).toBeGreaterThanOrEqual(7);
    expect(assessment.qsofa.total).toBeGreaterThanOrEqual(2);
    expect(assessment.qsofa.positive).toBe('not-applicable');
    expect(triageIndicator(assessment)).toBe('info');
    expect(card!.indicator).toBe('info');
    expect(card!.suggestions).toBeUndefined();
    expect(card!.summary).not.toMatch(/NEWS2|qSOFA|shock index/);
    expect(card!.detail).toContain(
      '**NEWS2 and qSOFA not used**: age 2 months: adult scores (NEWS2 is validated from 16 years, qSOFA for adults); use a paediatric early warning score.',
    );
    expect(card!.detail).toMatch(/\*\*Shock index 1\.75\*\*: .*\(age 2 months: adult threshold not applied/);
    expect(card!.detail).not.toContain('NEWS2 points');
    expect(card!.extension?.[TRIAGE_EXTENSION]).toMatchObject({ news2NotApplicable: [expect.stringContaining('under 16')], qsofaNotApplicable: [expect.stringContaining('adults')] });
  });

  it('in pregnancy: NEWS2 not used; qSOFA shown with why a low total does not reassure', async () => {
    const pregnant = [
      ...visitOf('fever', { gender: 'female', birthDate: '1995-03-02' }, { hr: 100, rr: 20, sbp: 104 }),
      {
        resourceType: 'Condition', id: 'preg', subject: { reference: `Patient/${patientId}` },
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '77386006', display: 'Pregnant' }] },
        onsetDateTime: new Date(REF.getTime() - 90 * 86_400_000).toISOString(),
      },
    ];
    const { assessment, card } = await cardFor(pregnant, fakeSearch(null), true);
    expect(assessment.qsofa).toMatchObject({ total: 0, positive: 'no', applicability: { applicable: 'unknown' } });
    expect(card!.detail).toContain('**NEWS2 not used**: pregnant: NEWS2 is not validated in pregnancy');
    // A lower bound of 0 is not in the one-line summary (it would read as reassurance).
    expect(card!.summary).not.toContain('qSOFA');
    expect(card!.detail).toContain('**qSOFA 0/3** (lower bound; pregnant: qSOFA is not validated in pregnancy, where it misses much of sepsis; a total under 2 does not rule sepsis out).');
  });

  it('without the card asked for, a child with normal vital signs gets none', async () => {
    const { card } = await cardFor(infant('cough'), fakeSearch(null));
    expect(card).toBeUndefined();
  });
});

describe('triage card: a high-risk row quotes its situation', () => {
  // The Genitourinary section of ESI v4 ch. 4 as shipped: testicular torsion, dialysis, urinary retention.
  const chapter = readFileSync(repoPath('guidelines/ahrq-esi-v4-ch4-level-2.md'), 'utf8');
  const genitourinary = chapter.slice(chapter.indexOf('### Genitourinary') + '### Genitourinary'.length, chapter.indexOf('###', chapter.indexOf('### Genitourinary') + 5)).trim();

  it('quotes testicular torsion on a testicular pain card, not the urinary catheterization beside it', async () => {
    const search: GuidelineSearch = {
      async search(_query: string, options?: SearchOptions) {
        const doc = options?.filters?.documentIds?.[0] ?? 'doc';
        if (doc === HIGH_RISK_DOCUMENT) return [hit({ documentId: doc, chunkId: `${doc}#gu`, headingPath: ['High-risk Situations', 'Genitourinary'], text: genitourinary })];
        return [hit({ documentId: doc, chunkId: `${doc}#other`, text: 'Before assigning a patient to ESI level 3, the nurse needs to look at the patient vital signs.' })];
      },
    };
    const { assessment, card } = await cardFor(visitOf('left testicle pain since this morning', { gender: 'male', birthDate: '2009-03-01' }, { hr: 96, rr: 16, sbp: 128 }), search);
    expect([assessment.acuity.level, assessment.acuity.setBy]).toEqual([2, 'B']);
    const quote = card!.detail!.split('\n\n').find((b) => b.startsWith('>'))!;
    expect(quote).toMatch(/testicular\s+torsion/);
    expect(quote).not.toMatch(/catheterization|dialysis/);
  });

  it('quotes the section the row cites before the knowledge base\'s nearest passage to the complaint', async () => {
    const section = (heading: string) => {
      const at = chapter.indexOf(`### ${heading}`) + heading.length + 4;
      return chapter.slice(at, chapter.indexOf('###', at)).trim();
    };
    const search: GuidelineSearch = {
      async search(query: string, options?: SearchOptions) {
        const doc = options?.filters?.documentIds?.[0] ?? 'doc';
        if (doc !== HIGH_RISK_DOCUMENT) return [hit({ documentId: doc, chunkId: `${doc}#other`, text: 'Passage of another document.' })];
        // The row asks with its own summary, which names its section; the complaint alone is nearest the aneurysm.
        const heading = query.includes('Cardiovascular') ? 'Cardiovascular' : 'Abdominal and Gastrointestinal';
        return [hit({ documentId: doc, chunkId: `${doc}#${heading}`, headingPath: ['High-risk Situations', heading], text: section(heading) })];
      },
    };
    const { card } = await cardFor(visitOf('chest pain radiating to left arm', { gender: 'male', birthDate: '1954-03-01' }, { hr: 96, rr: 18, sbp: 150 }), search);
    expect(card!.detail).toContain('"High-risk Situations › Cardiovascular"');
    expect(card!.detail).not.toMatch(/aneurysm/);
  });
});
