/** ClinicalTrials.gov API v2 and corpus records → TrialRecord → FHIR R4 ResearchStudy and criteria. */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { validateResource } from '@medplum/core';
import type { Resource as MedplumResource } from '@medplum/fhirtypes';
import type { ResearchStudy } from 'fhir/r4.js';
import { loadFhirDefinitions } from '../../dev/fhir-server/definitions.js';
import { configureCanonicalBase, extensionUrl } from '../../src/canonical.js';
import {
  fhirStatus,
  fromCorpusRecord,
  CTGOV_V2_FIELDS,
  fromCtgovV2,
  NCT_SYSTEM,
  normaliseStatus,
  parseTrialFile,
  phaseCode,
  prepareTrial,
  recordsFromJson,
  TRIAL_EXTENSIONS,
  TrialImportError,
} from '../../src/services/trials/matching/trial-record.js';
import { projectFields } from '../support/ctgov-standin.js';
import { readTrialFile } from '../../src/services/trials/store/trial-files.js';
import { mapInSlices } from '../../src/slices.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Medplum's validator checks the R4 JSON. Its TypeScript types describe the same JSON as the
 * `@types/fhir` ones Cairn ships, but type references more narrowly (`Reference.type` is a union
 * of resource names, not a string), so the resource is handed over as Medplum's type.
 */
const validateR4 = (rs: ResearchStudy) => validateResource(rs as unknown as MedplumResource);

/** A ClinicalTrials.gov API v2 study, shaped as the API returns it (fields trimmed). */
const V2_STUDY = {
  protocolSection: {
    identificationModule: { nctId: 'NCT01234567', briefTitle: 'Metformin in Prediabetes and Hypertension', officialTitle: 'A Randomised Trial of Metformin' },
    statusModule: { overallStatus: 'RECRUITING' },
    descriptionModule: { briefSummary: 'Does metformin lower blood pressure in adults with prediabetes?' },
    conditionsModule: { conditions: ['Hypertension', 'Prediabetes'], keywords: ['metformin'] },
    designModule: { studyType: 'INTERVENTIONAL', phases: ['PHASE2', 'PHASE3'] },
    armsInterventionsModule: { interventions: [{ type: 'DRUG', name: 'Metformin' }] },
    eligibilityModule: {
      eligibilityCriteria:
        'Inclusion Criteria:\n\n* Adults aged 40 to 75 years\n* Systolic blood pressure 140-159 mmHg\n* HbA1c between 5.7% and 6.4%\n\nExclusion Criteria:\n\n* Type 1 or type 2 diabetes\n* eGFR < 45 mL/min/1.73m2\n* Pregnant or breastfeeding',
      healthyVolunteers: false,
      sex: 'ALL',
      minimumAge: '40 Years',
      maximumAge: '75 Years',
    },
    contactsLocationsModule: { locations: [{ facility: 'Example Hospital', city: 'Leeds', country: 'United Kingdom' }] },
  },
};

const CORPUS_RECORD = {
  nct_id: 'NCT00000102',
  brief_title: 'Congenital Adrenal Hyperplasia: Calcium Channels as Therapeutic Targets',
  official_title: '',
  conditions: ['Congenital Adrenal Hyperplasia'],
  keywords: [],
  interventions: [{ type: 'Drug', name: 'Nifedipine' }],
  study_type: 'Interventional',
  phase: 'Phase 1/Phase 2',
  overall_status: 'Completed',
  brief_summary: 'This study will test extended release nifedipine.',
  gender: 'All',
  minimum_age: '14 Years',
  maximum_age: '35 Years',
  healthy_volunteers: 'No',
  eligibility_criteria_raw: 'Inclusion Criteria:\n\n-  diagnosed with Congenital Adrenal Hyperplasia (CAH)\n\n-  normal ECG during baseline evaluation\n\nExclusion Criteria:\n\n-  history of liver disease, or elevated liver function tests\n\n-  history of cardiovascular disease',
  inclusion_criteria: '',
  exclusion_criteria: '',
  source: 'ctgov_xml_2023-02-03',
  judged_in: ['trec_2022'],
};

beforeAll(() => {
  loadFhirDefinitions();
});

describe('ClinicalTrials.gov API v2', () => {
  const record = fromCtgovV2(V2_STUDY);
  it('reads identifiers, status, phase, conditions, eligibility and sites', () => {
    expect(record).toMatchObject({
      nctId: 'NCT01234567',
      title: 'Metformin in Prediabetes and Hypertension',
      overallStatus: 'RECRUITING',
      phase: 'phase-2-phase-3',
      sex: 'all',
      minimumAge: '40 Years',
      healthyVolunteers: false,
      conditions: ['Hypertension', 'Prediabetes'],
      sites: [{ facility: 'Example Hospital', city: 'Leeds', country: 'United Kingdom' }],
    });
    expect(record.exclusionText).toContain('eGFR < 45');
  });

  it('becomes a valid FHIR R4 ResearchStudy: NCT identifier, coded conditions, criteria as a Group', () => {
    const t = prepareTrial(record);
    const rs = t.researchStudy;
    expect(() => validateR4(rs)).not.toThrow();
    expect(rs.identifier).toEqual([{ use: 'official', system: NCT_SYSTEM, value: 'NCT01234567' }]);
    expect(rs.status).toBe('active');
    expect(rs.phase?.coding?.[0]?.code).toBe('phase-2-phase-3');
    expect(rs.condition?.[0]).toEqual({ coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertensive disorder, systemic arterial (disorder)' }], text: 'Hypertension' });
    expect(rs.extension?.find((e) => e.url === extensionUrl(TRIAL_EXTENSIONS.eligibility))?.valueMarkdown).toContain('Inclusion Criteria');
    const group = rs.contained?.[0] as { characteristic: Array<{ exclude: boolean; code: { text?: string } }> };
    expect(group.characteristic.filter((ch) => ch.exclude).map((ch) => ch.code.text)).toEqual(['Type 1 or type 2 diabetes', 'eGFR < 45 mL/min/1.73m2', 'Pregnant or breastfeeding']);
    expect(rs.site).toEqual([{ display: 'Example Hospital, Leeds, United Kingdom' }]);
  });

  it('adds the record age limits and the studied conditions as criteria of their own', () => {
    const t = prepareTrial(record);
    expect(t.criteria.slice(0, 2).map((c) => [c.origin, c.text])).toEqual([
      ['structured-field', 'Age 40 Years to 75 Years'],
      ['conditions-field', 'Condition studied: Hypertension; Prediabetes'],
    ]);
    expect(t.criteria.filter((c) => c.origin === 'text').map((c) => [c.kind, c.structure.category])).toEqual([
      ['inclusion', 'age'],
      ['inclusion', 'lab'],
      ['inclusion', 'lab'],
      ['exclusion', 'condition'],
      ['exclusion', 'lab'],
      ['exclusion', 'pregnancy'],
    ]);
    expect(t.searchText).not.toContain('eGFR');
  });

  it('reads an API page of studies', () => {
    expect(recordsFromJson({ studies: [V2_STUDY, V2_STUDY] }, 'page.json')).toHaveLength(2);
  });
});

describe('the dates of a record (#19: a status is dated)', () => {
  const dated = {
    ...V2_STUDY,
    protocolSection: { ...V2_STUDY.protocolSection, statusModule: { overallStatus: 'RECRUITING', lastUpdatePostDateStruct: { date: '2025-03-14', type: 'ACTUAL' } } },
    derivedSection: { miscInfoModule: { versionHolder: '2025-05-02' } },
  };

  it.each([
    ['an API v2 study: its last-update date, and the data version of a saved file as its snapshot date', fromCtgovV2(dated), '2025-03-14', '2025-05-02'],
    ['an API v2 study as the importer asks for it (no data version)', fromCtgovV2({ protocolSection: dated.protocolSection }), '2025-03-14', undefined],
    ['an API v2 study without dates', fromCtgovV2(V2_STUDY), undefined, undefined],
    ['a corpus record: the export date its source names', fromCorpusRecord(CORPUS_RECORD), undefined, '2023-02-03'],
    ['a corpus record with a last-update date', fromCorpusRecord({ ...CORPUS_RECORD, last_update_posted: '2022-11-30' }), '2022-11-30', '2023-02-03'],
    ['a corpus record from an undated source', fromCorpusRecord({ ...CORPUS_RECORD, source: 'manual' }), undefined, undefined],
    ['an impossible date is none', fromCtgovV2({ protocolSection: { ...dated.protocolSection, statusModule: { overallStatus: 'RECRUITING', lastUpdatePostDateStruct: { date: '2025-02-30' } } } }), undefined, undefined],
  ])('%s', (_name, record, lastUpdatePosted, snapshotDate) => {
    expect(record.lastUpdatePosted).toBe(lastUpdatePosted);
    expect(record.snapshotDate).toBe(snapshotDate);
  });

  it('the ResearchStudy carries both dates as extensions (valueDate), stays valid R4, and reads them back', () => {
    const record = fromCtgovV2(dated);
    const rs = prepareTrial(record).researchStudy;
    expect(() => validateR4(rs)).not.toThrow();
    expect(rs.extension?.find((e) => e.url === extensionUrl(TRIAL_EXTENSIONS.lastUpdatePosted))?.valueDate).toBe('2025-03-14');
    expect(rs.extension?.find((e) => e.url === extensionUrl(TRIAL_EXTENSIONS.snapshotDate))?.valueDate).toBe('2025-05-02');
    expect(recordsFromJson(rs, 'rs.json')[0]).toMatchObject({ lastUpdatePosted: '2025-03-14', snapshotDate: '2025-05-02' });
  });

  it('a changed last-update date changes the content hash (the record was revised)', () => {
    const later = { ...dated, protocolSection: { ...dated.protocolSection, statusModule: { overallStatus: 'RECRUITING', lastUpdatePostDateStruct: { date: '2025-04-01' } } } };
    expect(prepareTrial(fromCtgovV2(later)).contentHash).not.toBe(prepareTrial(fromCtgovV2(dated)).contentHash);
  });

  it('CTGOV_V2_FIELDS, the fields the importer asks for, are every field the mapping reads: a study cut down to them maps the same', () => {
    const full = { ...dated, protocolSection: { ...dated.protocolSection, sponsorCollaboratorsModule: { leadSponsor: { name: 'X' } } }, hasResults: false };
    const cut = projectFields(full, CTGOV_V2_FIELDS);
    expect(cut).not.toHaveProperty('protocolSection.sponsorCollaboratorsModule');
    const { snapshotDate: _left, ...expected } = fromCtgovV2(full);
    expect(fromCtgovV2(cut)).toEqual(expected);
  });
});

describe('TREC/SIGIR corpus records', () => {
  it('reads the record, splitting the raw eligibility text itself', () => {
    const r = fromCorpusRecord(CORPUS_RECORD);
    expect(r).toMatchObject({ nctId: 'NCT00000102', phase: 'phase-1-phase-2', overallStatus: 'COMPLETED', sex: 'all', minimumAge: '14 Years', healthyVolunteers: false });
    expect(r.inclusionText).toContain('Congenital Adrenal Hyperplasia');
    expect(r.exclusionText).toContain('liver disease');
    const t = prepareTrial(r);
    expect(t.researchStudy.status).toBe('completed');
    expect(() => validateR4(t.researchStudy)).not.toThrow();
  });

  it('round-trips through its own ResearchStudy', () => {
    const r = fromCorpusRecord(CORPUS_RECORD);
    const again = recordsFromJson(prepareTrial(r).researchStudy, 'rs.json')[0];
    expect(again).toMatchObject({ nctId: r.nctId, title: r.title, sex: r.sex, minimumAge: r.minimumAge, maximumAge: r.maximumAge, overallStatus: 'COMPLETED' });
    expect(again?.exclusionText).toBe(r.exclusionText);
  });

  describe('under another canonical base', () => {
    afterEach(() => configureCanonicalBase(undefined));

    it('writes its extensions under the configured base, and reads back a ResearchStudy written under any base', () => {
      const r = fromCtgovV2(V2_STUDY);
      configureCanonicalBase('https://cairn.hospital-a.example/fhir');
      const prepared = prepareTrial(r);
      const written = prepared.researchStudy;
      expect(written.extension?.map((e) => e.url)).toEqual([
        'https://cairn.hospital-a.example/fhir/StructureDefinition/eligibility-criteria',
        'https://cairn.hospital-a.example/fhir/StructureDefinition/ctgov-overall-status',
        'https://cairn.hospital-a.example/fhir/StructureDefinition/official-title',
      ]);
      // Stored (or exported) under base A, read by a Cairn whose base has since changed.
      configureCanonicalBase('https://terminology.hospital-b.example/cairn');
      const again = recordsFromJson(written, 'rs.json')[0];
      expect(again).toMatchObject({ nctId: r.nctId, overallStatus: r.overallStatus, officialTitle: r.officialTitle, eligibilityText: r.eligibilityText });
      // The content hash does not depend on the base: changing it re-imports nothing.
      expect(prepareTrial(r).contentHash).toBe(prepared.contentHash);
    });

    it('ignores an extension of the same name under a path that is not a StructureDefinition', () => {
      const rs = { ...prepareTrial(fromCtgovV2(V2_STUDY)).researchStudy };
      rs.extension = [{ url: 'https://elsewhere.example/fhir/CodeSystem/ctgov-overall-status', valueCode: 'RECRUITING' }];
      expect(recordsFromJson(rs, 'rs.json')[0]?.overallStatus).toBe('UNKNOWN');
    });
  });

  it('the content hash ignores key order and changes with the content', () => {
    const a = prepareTrial(fromCorpusRecord(CORPUS_RECORD)).contentHash;
    const reordered = Object.fromEntries(Object.entries(CORPUS_RECORD).reverse());
    expect(prepareTrial(fromCorpusRecord(reordered)).contentHash).toBe(a);
    expect(prepareTrial(fromCorpusRecord({ ...CORPUS_RECORD, brief_title: 'Other' })).contentHash).not.toBe(a);
  });
});

describe('files and vocabularies', () => {
  it('JSON lines: errors name the file and line', () => {
    const text = `${JSON.stringify(CORPUS_RECORD)}\n{not json}\n`;
    expect(() => parseTrialFile(text, 'trials.jsonl')).toThrow(/^trials\.jsonl:2: invalid JSON/);
    expect(() => parseTrialFile(JSON.stringify({ nct_id: 'X1' }), 'bad.json')).toThrow(TrialImportError);
    expect(parseTrialFile(`${JSON.stringify(CORPUS_RECORD)}\n\n${JSON.stringify({ ...CORPUS_RECORD, nct_id: 'NCT00000103' })}`, 'ok.jsonl')).toHaveLength(2);
  });

  it('reading a file gives what parsing its text gives, JSON lines a slice at a time, errors naming the line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-trial-file-'));
    try {
      const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ ...CORPUS_RECORD, nct_id: `NCT${String(i).padStart(8, '0')}` }));
      const files: Record<string, string> = {
        'ok.jsonl': `${lines.join('\n')}\n\n`,
        'array.json': `[${lines.slice(0, 3).join(',')}]`,
        'array-lines.jsonl': `[${lines[0]}]\n${lines[1]}`,
        'empty.jsonl': '\n  \n',
      };
      for (const [name, text] of Object.entries(files)) {
        await writeFile(join(dir, name), text);
        expect(await readTrialFile(join(dir, name))).toEqual(parseTrialFile(text, join(dir, name)));
      }
      expect((await readTrialFile(join(dir, 'ok.jsonl'))).map((r) => r.nctId)).toEqual(lines.map((_, i) => `NCT${String(i).padStart(8, '0')}`));
      await writeFile(join(dir, 'bad.jsonl'), `${lines[0]}\n${lines[1]}\n{not json}\n`);
      await expect(readTrialFile(join(dir, 'bad.jsonl'))).rejects.toThrow(/bad\.jsonl:3: invalid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('long parsing gives the event loop a turn after each slice, at least one item per slice, in order', async () => {
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    try {
      // Ten items of 3 ms in slices of 5 ms: a turn after every second item, so timers run meanwhile.
      const out = await mapInSlices(Array.from({ length: 10 }, (_, i) => i), (n) => (busy(3), n * 2), 5);
      expect(out).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      expect(turns).toBeGreaterThanOrEqual(3);
      // An item longer than a slice still goes alone, whole.
      expect(await mapInSlices(['a', 'b'], (x) => (busy(8), x.toUpperCase()), 5)).toEqual(['A', 'B']);
    } finally {
      clearInterval(ticker);
    }
  });

  it('starts no item once the signal has aborted, and rejects with its reason', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = mapInSlices([1, 2, 3, 4], (n) => {
      seen.push(n);
      if (n === 2) controller.abort(new Error('deadline'));
      return n;
    }, 5, controller.signal);
    await expect(run).rejects.toThrow('deadline');
    expect(seen).toEqual([1, 2]);
  });

  it.each<[string | string[], string | undefined]>([
    ['Phase 1/Phase 2', 'phase-1-phase-2'],
    [['PHASE3'], 'phase-3'],
    ['N/A', 'n-a'],
    [['EARLY_PHASE1'], 'early-phase-1'],
    ['', undefined],
  ])('phase %j → %s', (raw, code) => {
    expect(phaseCode(raw)).toBe(code);
  });

  it('statuses: only recruiting ones are active; unknown status is never active', () => {
    expect(normaliseStatus('Active, not recruiting')).toBe('ACTIVE_NOT_RECRUITING');
    expect(normaliseStatus('Unknown status')).toBe('UNKNOWN');
    expect(fhirStatus('RECRUITING')).toBe('active');
    expect(fhirStatus('UNKNOWN')).toBe('closed-to-accrual');
    expect(fhirStatus('TERMINATED')).toBe('administratively-completed');
  });
});
