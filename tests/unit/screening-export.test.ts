/** A screening's results as CSV, a FHIR Group of candidates and a ResearchSubject transaction (pure builders, no I/O). */
import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { validateResource } from '@medplum/core';
import type { Resource as MedplumResource } from '@medplum/fhirtypes';
import type { Bundle, ResearchStudy, ResearchSubject, Resource } from 'fhir/r4.js';
import { loadFhirDefinitions } from '../../dev/fhir-server/definitions.js';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import type { CriterionJudgement } from '../../src/services/trials/matching/judge.js';
import { NCT_SYSTEM, prepareTrial } from '../../src/services/trials/matching/trial-record.js';
import {
  candidatesGroup,
  criteriaSummary,
  CSV_BOM,
  CSV_COLUMNS,
  csvField,
  csvHeader,
  csvResultLine,
  exportFilename,
  researchSubjectsBundle,
} from '../../src/services/trials/screening/export.js';
import { screeningResult, type CriterionRow } from '../../src/services/trials/screening/result.js';
import { TRIALS } from '../integration/trials-fixtures.js';
import { judgementMaker } from '../support/criterion-judgements.js';

/** Medplum's validator checks the R4 JSON (structure, cardinality, value sets it binds, invariants). */
const validateR4 = (r: Resource) => validateResource(r as unknown as MedplumResource);

beforeAll(() => {
  loadFhirDefinitions();
});

/** RFC 4180 as a spreadsheet reads it: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) throw new Error('the last line has no CRLF');
  return rows;
}

describe('csvField', () => {
  const cases: Array<[string, string | number | undefined | null, string]> = [
    ['plain text as it is', 'eligible', 'eligible'],
    ['a number', 3, '3'],
    ['nothing as an empty field', undefined, ''],
    ['null as an empty field', null, ''],
    ['a comma quoted', 'age 45, female', '"age 45, female"'],
    ['quotes doubled inside quotes', 'the note says "no"', '"the note says ""no"""'],
    ['a line break quoted', 'line 1\nline 2', '"line 1\nline 2"'],
    ['a CR LF quoted', 'a\r\nb', '"a\r\nb"'],
    ['a formula defused', '=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
    ['a leading minus defused', '-1+2', "'-1+2"],
    ['a leading plus defused', '+cmd', "'+cmd"],
    ['a leading @ defused', '@SUM(A1)', "'@SUM(A1)"],
    ['a leading tab defused', '\tx', "'\tx"],
    ['"≥" kept as written', 'eGFR ≥ 30', 'eGFR ≥ 30'],
  ];
  it.each(cases)('%s', (_name, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

/** A fresh maker per test: criteria are numbered from #1 in each. */
let c = judgementMaker('record');
beforeEach(() => {
  c = judgementMaker('record');
});
const ctx = buildPatientContext({
  resources: [
    { resourceType: 'Patient', id: 'p', gender: 'female', birthDate: '1960-01-01' },
    { resourceType: 'Condition', id: 'c', code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] }, subject: { reference: 'Patient/p' } },
  ],
  patientId: 'p',
  referenceTime: new Date('2026-01-20T00:00:00Z'),
});
const rowsOf = (criteria: CriterionJudgement[]) => screeningResult({ nctId: 'NCT00000001', criteria }, ctx);

describe('criteriaSummary: the counts and deciding criteria the category was chosen on', () => {
  it('names the criteria that exclude, with their reasons, and the unknown ones', () => {
    const r = rowsOf([
      c('inclusion', 'met', { text: 'Essential hypertension', reason: 'Hypertension present' }),
      c('inclusion', 'unknown', { text: 'Systolic BP >= 140 mmHg', reason: 'systolic blood pressure: no comparable value recorded' }),
      c('exclusion', 'met', { text: 'eGFR < 30', category: 'lab', reason: 'eGFR 24 mL/min/1.73m2: < 30 holds' }),
    ]);
    expect(r.category).toBe('excluded');
    const s = criteriaSummary(r.criteria);
    expect(s.inclusion).toEqual({ met: 1, notMet: 0, unknown: 1, total: 2 });
    expect(s.exclusion).toEqual({ met: 1, notMet: 0, unknown: 0, total: 1 });
    expect(s.deciding.map((x) => x.number)).toEqual([3]);
    expect(s.unknown.map((x) => x.number)).toEqual([2]);
  });

  it('for an eligible patient: the documented inclusion criteria about what the trial studies, not age', () => {
    const r = rowsOf([c('inclusion', 'met', { category: 'age', reason: 'age 66 years; >= 18 years holds' }), c('inclusion', 'met', { reason: 'Hypertension present' }), c('exclusion', 'not-met', { basis: 'assumed-absent' })]);
    expect(r.category).toBe('eligible');
    expect(criteriaSummary(r.criteria).deciding.map((x) => x.number)).toEqual([2]);
  });

  it('counts "one of the following" alternatives as one criterion, as the summary line does', () => {
    const g = { alternatives: 'g1' };
    const r = rowsOf([c('inclusion', 'not-met', g), c('inclusion', 'met', g), c('inclusion', 'unknown')]);
    expect(criteriaSummary(r.criteria).inclusion).toEqual({ met: 1, notMet: 0, unknown: 1, total: 2 });
    expect(r.summary).toContain('1/2 inclusion met, 0 not met, 1 unknown');
  });
});

describe('csvResultLine', () => {
  const header = parseCsv(csvHeader().slice(CSV_BOM.length))[0];

  it('starts the file with a byte order mark and names every column', () => {
    expect(csvHeader().startsWith('\uFEFFpatient,status,category,')).toBe(true);
    expect(header).toEqual([...CSV_COLUMNS]);
  });

  it('writes a screened patient as one line a spreadsheet reads back field by field', () => {
    const r = rowsOf([
      c('inclusion', 'met', { reason: 'Hypertension present' }),
      c('exclusion', 'met', { category: 'lab', reason: 'eGFR 24 mL/min/1.73m2, "low": < 30 holds' }),
      c('exclusion', 'unknown', { reason: 'pregnancy not mentioned' }),
    ]);
    const line = csvResultLine({ patientId: 'p-1', status: 'done', category: r.category, criteria: r.criteria, summary: r.summary, error: null });
    expect(line.endsWith('\r\n')).toBe(true);
    const [fields] = parseCsv(line);
    expect(Object.fromEntries((fields as string[]).map((f, i) => [header?.[i], f]))).toEqual({
      patient: 'Patient/p-1',
      status: 'done',
      category: 'excluded',
      'inclusion met': '1',
      'inclusion not met': '0',
      'inclusion unknown': '0',
      'exclusion met': '1',
      'exclusion not met': '0',
      'exclusion unknown': '1',
      'deciding criteria': '#2 exclusion met: eGFR 24 mL/min/1.73m2, "low": < 30 holds',
      'unknown criteria': '#3',
      summary: r.summary,
      error: '',
    });
  });

  it('writes patients not screened (pending, failed) with their status and error, and no counts', () => {
    const [pending] = parseCsv(csvResultLine({ patientId: 'p-2', status: 'pending', category: null, criteria: null, summary: null, error: null }));
    expect(pending).toEqual(['Patient/p-2', 'pending', ...Array(CSV_COLUMNS.length - 2).fill('')]);
    const [failed] = parseCsv(csvResultLine({ patientId: 'p-3', status: 'failed', category: null, criteria: null, summary: null, error: 'FHIR server answered 500' }));
    expect(failed).toHaveLength(CSV_COLUMNS.length);
    expect(failed?.slice(0, 3)).toEqual(['Patient/p-3', 'failed', '']);
    expect(failed?.at(-1)).toBe('FHIR server answered 500');
  });

  it('keeps several deciding criteria apart, and a criterion table stored before alternatives were recorded', () => {
    const criteria: CriterionRow[] = [
      { number: 1, kind: 'inclusion', text: 'Type 2 diabetes', status: 'not-met', basis: 'record', category: 'condition', evidence: [], reason: 'Type 2 diabetes documented absent' },
      { number: 2, kind: 'exclusion', text: 'Insulin therapy', status: 'met', basis: 'note', category: 'medication', evidence: [{ kind: 'note', source: 'DocumentReference/n1', text: 'Started on insulin.' }], reason: 'the note states it' },
    ];
    const [fields] = parseCsv(csvResultLine({ patientId: 'x', status: 'done', category: 'excluded', criteria, summary: 's', error: null }));
    expect(fields?.[CSV_COLUMNS.indexOf('deciding criteria')]).toBe('#2 exclusion met: the note states it | #1 inclusion not-met: Type 2 diabetes documented absent');
  });
});

const SCREENING = { id: '3f1c2b9a-5d7e-4f60-9a1b-2c3d4e5f6a7b', nctId: 'NCT00000001', status: 'completed' as const, createdAt: new Date('2026-03-02T10:00:00Z') };

describe('candidatesGroup', () => {
  it('is a valid actual Group of the eligible patients, naming the trial and the screening', () => {
    const group = candidatesGroup({ screening: SCREENING, trialTitle: 'Intensive Blood Pressure Lowering in Hypertension', patientIds: ['a', 'b-2'] });
    expect(() => validateR4(group)).not.toThrow();
    expect(group).toMatchObject({
      resourceType: 'Group',
      type: 'person',
      actual: true,
      quantity: 2,
      name: 'Candidates for NCT00000001: Intensive Blood Pressure Lowering in Hypertension',
      identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${SCREENING.id}` }],
      member: [{ entity: { reference: 'Patient/a' } }, { entity: { reference: 'Patient/b-2' } }],
    });
    expect(group.text?.div).toContain('2 patients');
  });

  it('says so when the screening has not finished, and stays valid with no candidates', () => {
    const group = candidatesGroup({ screening: { ...SCREENING, status: 'running' }, patientIds: [] });
    expect(() => validateR4(group)).not.toThrow();
    expect(group.member).toBeUndefined();
    expect(group.quantity).toBe(0);
    expect(group.text?.div).toContain('patients screened so far only');
  });
});

describe('researchSubjectsBundle', () => {
  const study = prepareTrial(TRIALS[0] as (typeof TRIALS)[number]).researchStudy;
  let n = 0;
  const uuids = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

  it('is a valid transaction: the study created unless present (by NCT id), one candidate ResearchSubject per patient, each created once', () => {
    n = 0;
    const bundle: Bundle = researchSubjectsBundle({ screening: SCREENING, study, patientIds: ['a', 'b'], newUuid: uuids });
    expect(() => validateR4(bundle)).not.toThrow();
    for (const e of bundle.entry ?? []) expect(() => validateR4(e.resource as Resource)).not.toThrow();
    expect(bundle.type).toBe('transaction');
    const [studyEntry, ...subjects] = bundle.entry ?? [];
    expect(studyEntry?.request).toEqual({ method: 'POST', url: 'ResearchStudy', ifNoneExist: `identifier=${encodeURIComponent(`${NCT_SYSTEM}|NCT00000001`)}` });
    expect(studyEntry?.fullUrl).toBe('urn:uuid:00000000-0000-4000-8000-000000000001');
    const created = studyEntry?.resource as ResearchStudy;
    expect(created.id).toBeUndefined();
    expect(created.identifier).toContainEqual(expect.objectContaining({ system: NCT_SYSTEM, value: 'NCT00000001' }));
    expect(subjects.map((e) => e.fullUrl)).toEqual(['urn:uuid:00000000-0000-4000-8000-000000000002', 'urn:uuid:00000000-0000-4000-8000-000000000003']);
    const once = (patient: string) => `identifier=${encodeURIComponent(`urn:ietf:rfc:3986|urn:uuid:${SCREENING.id}`)}&patient=${encodeURIComponent(`Patient/${patient}`)}`;
    expect(subjects.map((e) => e.request)).toEqual([
      { method: 'POST', url: 'ResearchSubject', ifNoneExist: once('a') },
      { method: 'POST', url: 'ResearchSubject', ifNoneExist: once('b') },
    ]);
    expect(subjects[1]?.resource).toEqual({
      resourceType: 'ResearchSubject',
      identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${SCREENING.id}` }],
      status: 'candidate',
      study: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001', type: 'ResearchStudy', identifier: { system: NCT_SYSTEM, value: 'NCT00000001' }, display: study.title as string },
      individual: { reference: 'Patient/b' },
    });
  });

  it('is checked by a validator that can fail: a subject without a status, a Group whose actual is not a boolean', () => {
    const bundle = researchSubjectsBundle({ screening: SCREENING, patientIds: ['a'], newUuid: uuids });
    const { status: _status, ...noStatus } = bundle.entry?.[0]?.resource as ResearchSubject;
    expect(() => validateR4(noStatus as unknown as Resource)).toThrow(/status/);
    expect(() => validateR4({ ...candidatesGroup({ screening: SCREENING, patientIds: [] }), actual: 'yes' } as unknown as Resource)).toThrow(/Group.actual/);
  });

  it('gives every entry its own random (version 4) UUID as fullUrl', () => {
    const bundle = researchSubjectsBundle({ screening: SCREENING, study, patientIds: ['a', 'b', 'c'], newUuid: randomUUID });
    const urls = (bundle.entry ?? []).map((e) => e.fullUrl);
    expect(new Set(urls).size).toBe(4);
    for (const url of urls) expect(url).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('refers to the study by its NCT id alone when the trial is no longer in the store', () => {
    const bundle = researchSubjectsBundle({ screening: SCREENING, patientIds: ['a'], newUuid: uuids });
    expect(() => validateR4(bundle)).not.toThrow();
    expect(bundle.entry).toHaveLength(1);
    expect((bundle.entry?.[0]?.resource as ResearchSubject).study).toEqual({ type: 'ResearchStudy', identifier: { system: NCT_SYSTEM, value: 'NCT00000001' } });
  });

  it('is an empty transaction, not even the study, when no patient was eligible', () => {
    const bundle = researchSubjectsBundle({ screening: SCREENING, study, patientIds: [], newUuid: uuids });
    expect(() => validateR4(bundle)).not.toThrow();
    expect(bundle).toEqual({ resourceType: 'Bundle', type: 'transaction' });
  });
});

describe('exportFilename', () => {
  it.each([
    ['csv', 'NCT00000001-screening-3f1c2b9a.csv'],
    ['group', 'NCT00000001-screening-3f1c2b9a-candidates-group.json'],
    ['research-subjects', 'NCT00000001-screening-3f1c2b9a-research-subjects-bundle.json'],
  ] as const)('%s → %s', (format, name) => {
    expect(exportFilename(SCREENING, format)).toBe(name);
  });
});
