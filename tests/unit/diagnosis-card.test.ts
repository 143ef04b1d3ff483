/**
 * The diagnosis card from FHIR to card without I/O: mixed-unit demo patient → PatientContext →
 * criteria → "already known?" → card, with a fake knowledge base. Checked against the contract.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { PASSAGES_EXTENSION } from '../../src/cards/passages.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { checkCdsResponse } from '../../dev/hooks-contract.js';
import type { GuidelineHit, SearchOptions } from '../../src/knowledge/retriever.js';
import { diagnosisCard, DIAGNOSIS_EXTENSION } from '../../src/services/diagnosis/card.js';
import { evaluateCriteria } from '../../src/services/diagnosis/evaluate.js';
import { diagnosisBasis } from '../../src/services/diagnosis/guideline-basis.js';
import { checkRecorded } from '../../src/services/diagnosis/known.js';
import { documentHash, PACKAGE_VERSION, provenanceProblems, suggestionProvenanceProblems } from '../support/provenance.js';
import { repoPath } from '../support/repo-root.js';
import { configureCanonicalBase, DEFAULT_CANONICAL_BASE } from '../../src/canonical.js';
import { readProvenance } from '../../src/cards/provenance.js';
import { HYPERTENSION_RULE } from '../../src/services/diagnosis/criteria/hypertension.js';
import { DIAGNOSIS_RULES } from '../../src/services/diagnosis/evaluate.js';
import type { ConditionKey } from '../../src/services/diagnosis/finding.js';

const REF = new Date('2026-11-24T09:00:00Z');
const bundle = JSON.parse(readFileSync(repoPath('fhir-profiles/examples/edge-cases/mixed-units.json'), 'utf8')) as { entry: Array<{ resource: Record<string, unknown> }> };
const patientId = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource.id as string;

const search = {
  async search(query: string, options?: SearchOptions): Promise<GuidelineHit[]> {
    const doc = options?.filters?.documentIds?.[0] ?? 'doc';
    const hit = (n: number, grade?: string): GuidelineHit => ({
      chunkId: `${doc}#s${n}`, documentId: doc, title: `Guideline ${doc}`, headingPath: [`Section ${n}`], text: `Passage ${n} of ${doc}, on the diagnostic criteria.`,
      url: 'https://example.org/guideline', citation: 'Source 2024', kind: 'summary', documentHash: documentHash(doc), documentVersion: '2024', score: 1, ranks: {}, ...(grade && { grade, gradeSystem: 'ACC/AHA' }),
    });
    return query.includes('diagnostic criteria') ? [hit(1)] : [hit(1), hit(2), hit(3, 'I B-R')];
  },
};

async function cards(resources: unknown[], smartAppUrl?: string) {
  const ctx = buildPatientContext({ resources, referenceTime: REF, patientId });
  const out = [];
  for (const f of evaluateCriteria(ctx).filter((x) => x.status === 'met')) {
    const card = diagnosisCard(f, checkRecorded(f, ctx), await diagnosisBasis(f, search), { patientId, indicator: 'warning', now: REF.toISOString(), ...(smartAppUrl && { smartAppUrl }) });
    if (card) out.push(card);
  }
  return out;
}

describe('diagnosis card', () => {
  it('raises stage 2 hypertension with the averaged readings, a provisional Condition and graded guideline text', async () => {
    const all = await cards([bundle]);
    const htn = all.find((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string }).condition === 'hypertension');
    expect(htn).toBeDefined();
    expect(htn!.summary).toMatch(/^Possible hypertension, stage 2: .*147\/92 mmHg/);
    expect(htn!.summary.length).toBeLessThan(140);
    const withUuids = { ...htn!, uuid: '6f1c8a0e-5b1d-4c2a-9e3f-7a8b9c0d1e2f', suggestions: htn!.suggestions!.map((s) => ({ ...s, uuid: '6f1c8a0e-5b1d-4c2a-9e3f-7a8b9c0d1e30' })) };
    expect(checkCdsResponse({ cards: [withUuids] })).toEqual([]);
    const condition = htn!.suggestions![0]!.actions![0]!.resource as unknown as { verificationStatus: { coding: Array<{ code: string }> }; evidence: Array<{ detail: unknown[] }> };
    expect(condition.verificationStatus.coding[0]!.code).toBe('provisional');
    expect(condition.evidence[0]!.detail.length).toBeGreaterThanOrEqual(3);
    const passages = htn!.extension?.[PASSAGES_EXTENSION] as Array<{ chunkId: string; grade?: string }>;
    expect(passages.map((p) => p.chunkId)).toEqual(['summary-acc-aha-2017-blood-pressure#s1', 'summary-acc-aha-2017-blood-pressure#s3']);
    expect(passages[1]!.grade).toBe('I B-R');
    // Short: the finding, the readings with their dates and units, one of the two passages quoted.
    expect(htn!.detail!.length).toBeLessThanOrEqual(1000);
    expect(htn!.detail!.match(/^- \d{4}-\d\d-\d\d \d\d:\d\d UTC: Systolic blood pressure \d+ mmHg, Diastolic blood pressure \d+ mmHg$/gm)).toHaveLength(3);
    expect(htn!.detail!.split('\n\n').filter((b) => b.startsWith('> '))).toHaveLength(1);
  });

  it('shows a converted result beside the value as recorded (HbA1c in mmol/mol, glucose in mmol/L)', async () => {
    const diabetes = (await cards([bundle])).find((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string }).condition === 'diabetes')!;
    // The mixed-units patient's HbA1c is charted in IFCC units: the card writes the % it used and the figure charted.
    expect(diabetes.detail).toMatch(/HbA1c 7\.09% \(recorded 54 mmol\/mol\)/);
    const rows = (diabetes.extension?.[DIAGNOSIS_EXTENSION] as { evidence: Array<{ label: string; unit: string; recorded?: unknown }> }).evidence;
    expect(rows.find((r) => r.label.startsWith('HbA1c'))).toMatchObject({ unit: '%', recorded: { value: 54, unit: 'mmol/mol' } });
  });

  it('names a charted reading it could not use, instead of only counting what is left', async () => {
    const edited = structuredClone(bundle);
    const panel = edited.entry.map((e) => e.resource).find((r) => JSON.stringify(r.code ?? '').includes('85354-9') && Array.isArray(r.component))!;
    const systolic = (panel.component as Array<{ code: unknown; valueQuantity: { value: number } }>).find((c) => JSON.stringify(c.code).includes('8480-6'))!;
    systolic.valueQuantity.value = 400;
    const htn = (await cards([edited])).find((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string }).condition === 'hypertension')!;
    expect(htn.detail).toMatch(/recorded but not used: Systolic blood pressure 400 mmHg on \d{4}-\d\d-\d\d \d\d:\d\d UTC \(implausible\)/);
  });

  it("escapes the record's own words it quotes: a problem-list entry's text cannot inject markdown", async () => {
    const edited = structuredClone(bundle);
    edited.entry.push({ resource: { resourceType: 'Condition', id: 'c-free-text', code: { text: '*HTN* [see](javascript:alert(1))' }, subject: { reference: `Patient/${patientId}` } } });
    const htn = (await cards([edited])).find((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string }).condition === 'hypertension')!;
    expect(htn.detail).toContain('it holds "\\*HTN\\* \\[see\\](javascript:alert(1))" (Condition/c-free-text)');
  });

  it('links to the Cairn app when its URL is configured, naming the rule, the condition and its stage', async () => {
    const htn = (await cards([bundle], 'https://cairn.example.org/app/launch.html')).find((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string }).condition === 'hypertension')!;
    expect(htn.links).toEqual([
      {
        label: 'Open evidence in Cairn',
        url: 'https://cairn.example.org/app/launch.html',
        type: 'smart',
        appContext: '{"service":"diagnosis","rule":"diagnosis/hypertension","condition":"hypertension","stage":"stage 2"}',
      },
      { label: 'Source guideline', url: 'https://example.org/guideline', type: 'absolute' },
    ]);
    for (const card of await cards([bundle])) expect(card.links?.filter((l) => l.type === 'smart')).toEqual([]);
  });

  it('every card carries the rule of its condition and the content hash and version of each quoted document', async () => {
    const all = await cards([bundle]);
    expect(all.length).toBeGreaterThan(1);
    for (const card of all) {
      const condition = (card.extension?.[DIAGNOSIS_EXTENSION] as { condition: ConditionKey }).condition;
      expect(provenanceProblems(card, { ruleId: `diagnosis/${condition}`, hashOf: documentHash, versionOf: () => '2024' })).toEqual([]);
      expect(readProvenance(card)?.rule).toEqual(DIAGNOSIS_RULES[condition]);
    }
  });

  it('suggests the Condition with meta.source naming Cairn and the rule, and a Provenance targeting it', async () => {
    const htn = (await cards([bundle])).find((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string }).condition === 'hypertension')!;
    expect(suggestionProvenanceProblems(htn, REF.toISOString())).toEqual([]);
    const [create, provenance] = htn.suggestions![0]!.actions!;
    const condition = create!.resource as { resourceType: string; id: string; meta: { source: string } };
    expect(condition.resourceType).toBe('Condition');
    expect(condition.meta.source).toBe(`${DEFAULT_CANONICAL_BASE}#cairn@${PACKAGE_VERSION};diagnosis/hypertension@${HYPERTENSION_RULE.version}`);
    expect(provenance).toMatchObject({ type: 'create', resource: { resourceType: 'Provenance', target: [{ reference: `urn:uuid:${condition.id}`, type: 'Condition' }] } });
  });

  it('names its rule, release and CodeSystem under the configured canonical base', async () => {
    configureCanonicalBase('https://cds.hospital.example/fhir');
    try {
      const htn = (await cards([bundle])).find((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string }).condition === 'hypertension')!;
      const condition = htn.suggestions![0]!.actions![0]!.resource as unknown as { meta: { source: string } };
      expect(condition.meta.source.startsWith('https://cds.hospital.example/fhir#cairn@')).toBe(true);
      expect(new Set(htn.overrideReasons!.map((r) => r.system))).toEqual(new Set(['https://cds.hospital.example/fhir/CodeSystem/cds-override-reason']));
      expect(suggestionProvenanceProblems(htn, REF.toISOString())).toEqual([]);
    } finally {
      configureCanonicalBase(undefined);
    }
  });

  it('stays silent when the condition is already on the problem list', async () => {
    const recorded = {
      resourceType: 'Condition',
      id: 'htn-recorded',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
      subject: { reference: `Patient/${patientId}` },
    };
    const all = await cards([bundle, recorded]);
    expect(all.some((c) => (c.extension?.[DIAGNOSIS_EXTENSION] as { condition: string }).condition === 'hypertension')).toBe(false);
  });

  it('gives no card when the guideline passage cannot be retrieved', async () => {
    const ctx = buildPatientContext({ resources: [bundle], referenceTime: REF, patientId });
    const f = evaluateCriteria(ctx).find((x) => x.condition === 'hypertension')!;
    expect(diagnosisCard(f, checkRecorded(f, ctx), {}, { patientId, indicator: 'warning', now: REF.toISOString() })).toBeUndefined();
  });
});
