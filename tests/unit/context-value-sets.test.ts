import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  QUANTITIES,
  ValueSetLoadError,
  buildPatientContext,
  defaultValueSetIndex,
  latest,
  loadValueSets,
  shippedValueSetDirectory,
  valueSetIndexFromResources,
} from '../../src/fhir/context/index.js';
import { QUANTITY_KEYS } from '../../src/fhir/context/types.js';
import { configureCanonicalBase, DEFAULT_CANONICAL_BASE } from '../../src/canonical.js';

/** The value sets Cairn reads name their extensions under any base (src/canonical.ts); these tests use one that is not the default. */
const EXT = 'https://terminology.hospital.example/cairn/StructureDefinition';
const LOINC = 'http://loinc.org';

function quantityValueSet(id: string, code: string, key: string, unit: string): Record<string, unknown> {
  return {
    resourceType: 'ValueSet',
    id,
    compose: {
      include: [
        {
          system: LOINC,
          concept: [
            {
              code,
              extension: [
                { url: `${EXT}/quantity-key`, valueCode: key },
                { url: `${EXT}/canonical-unit`, valueCode: unit },
              ],
            },
          ],
        },
      ],
    },
  };
}

// Every LOINC code named in the PatientContext brief, by quantity.
const REQUIRED_CODES: Record<string, string[]> = {
  systolicBP: ['8480-6'],
  diastolicBP: ['8462-4'],
  heartRate: ['8867-4'],
  respiratoryRate: ['9279-1'],
  temperature: ['8310-5'],
  spo2: ['59408-5', '2708-6'],
  bodyWeight: ['29463-7'],
  bodyHeight: ['8302-2'],
  bmi: ['39156-5'],
  gcs: ['9269-2'],
  hba1c: ['4548-4', '17856-6', '59261-8'],
  fastingGlucose: ['1558-6'],
  randomGlucose: ['2339-0', '2345-7'],
  creatinine: ['2160-0', '38483-4', '14682-9'],
  egfr: ['33914-3', '48642-3', '48643-1', '62238-1', '88293-6', '88294-4', '98979-8'],
  uacr: ['9318-7', '14959-1', '14958-3', '32294-1'],
  haemoglobin: ['718-7'],
  wbc: ['6690-2', '26464-8'],
  lactate: ['2524-7', '32693-4'],
  potassium: ['2823-3', '6298-4'],
  sodium: ['2951-2', '2947-0'],
  ldl: ['18262-6', '2089-1', '13457-7'],
  totalCholesterol: ['2093-3'],
  platelets: ['777-3', '26515-7'],
  bilirubin: ['1975-2'],
};

describe('shipped value sets', () => {
  const index = loadValueSets(shippedValueSetDirectory());

  it.each(Object.entries(REQUIRED_CODES))('%s codes are bound', (quantity, codes) => {
    for (const code of codes) {
      expect(index.observationBindings.get(`${LOINC}|${code}`)).toMatchObject({ kind: 'quantity', quantity });
    }
  });

  it('binds the troponin codes to troponin I or T', () => {
    const kinds = ['6598-7', '10839-9', '42757-5', '49563-0', '67151-1', '89579-7'].map((c) => {
      const b = index.observationBindings.get(`${LOINC}|${c}`);
      return b?.kind === 'quantity' ? b.quantity : undefined;
    });
    expect(kinds).toEqual(['troponinT', 'troponinI', 'troponinI', 'troponinI', 'troponinT', 'troponinI']);
  });

  it('every quantity has at least one code, and the BP panels are known', () => {
    const bound = new Set([...index.observationBindings.values()].flatMap((b) => (b.kind === 'quantity' ? [b.quantity] : [])));
    expect([...QUANTITY_KEYS].filter((k) => !bound.has(k))).toEqual([]);
    expect(index.observationBindings.get(`${LOINC}|85354-9`)?.kind).toBe('panel');
    expect(index.observationBindings.get(`${LOINC}|55284-4`)?.kind).toBe('panel');
  });

  it('contains the Synthea condition codes and the ICD-10-CM hierarchies', () => {
    const sct = 'http://snomed.info/sct';
    const icd = 'http://hl7.org/fhir/sid/icd-10-cm';
    expect(index.contains('cairn-hypertension', sct, '38341003')).toBe(true);
    expect(index.contains('cairn-diabetes', sct, '44054006')).toBe(true);
    expect(index.contains('cairn-prediabetes', sct, '15777000')).toBe(true);
    for (const code of ['431855005', '431856006', '127013003', '90781000119102']) expect(index.contains('cairn-ckd', sct, code)).toBe(true);
    expect(index.contains('cairn-hypertension', icd, 'I10')).toBe(true);
    expect(index.contains('cairn-hypertension', icd, 'I16.0')).toBe(true);
    expect(index.contains('cairn-diabetes', icd, 'E11.65')).toBe(true);
    expect(index.contains('cairn-diabetes', icd, 'O24.410')).toBe(false); // gestational diabetes is not in the set
    expect(index.contains('cairn-ckd', icd, 'N18.31')).toBe(true);
    expect(index.contains('cairn-ckd', icd, 'E11.22')).toBe(true);
    expect(index.contains('cairn-ckd', icd, 'E11.9')).toBe(false);
    expect(index.contains('cairn-prediabetes', icd, 'R73.03')).toBe(true);
    expect(index.contains('cairn-prediabetes', icd, 'R73.9')).toBe(false);
    expect(index.contains('no-such-set', sct, '38341003')).toBe(false);
  });

  it('maps AVPU and pregnancy-status answers', () => {
    expect(index.answerFor('consciousness', 'http://snomed.info/sct', '422768004')).toBe('U');
    expect(index.answerFor('pregnancy-status', LOINC, 'LA15173-0')).toBe('pregnant');
    expect(index.answerFor('pregnancy-status', 'urn:oid:2.16.840.1.113883.6.96', '60001007')).toBe('not-pregnant');
  });

  it('the default index is the shipped directory, loaded once', () => {
    expect(defaultValueSetIndex()).toBe(defaultValueSetIndex());
    expect(defaultValueSetIndex().valueSets.size).toBe(index.valueSets.size);
  });
});

describe('Cairn extensions under another canonical base', () => {
  it('are read by their name after the base, whatever the base', () => {
    // This test's base, the default, and the placeholder base value sets were written under before #17.
    for (const base of [EXT, `${DEFAULT_CANONICAL_BASE}/StructureDefinition`, 'https://cairn.example.org/fhir/StructureDefinition']) {
      const vs = JSON.parse(JSON.stringify(quantityValueSet('hr', '8867-4', 'heartRate', '/min')).replaceAll(EXT, base)) as unknown;
      expect(valueSetIndexFromResources([vs]).observationBindings.get(`${LOINC}|8867-4`)).toMatchObject({ kind: 'quantity', quantity: 'heartRate' });
    }
  });

  it('are not read when the URL is not a StructureDefinition of that name', () => {
    for (const url of ['https://x.example/fhir/CodeSystem/quantity-key', 'https://x.example/fhir/StructureDefinition/quantity-key-2', 'quantity-key', 'urn:x:StructureDefinition/quantity-key']) {
      const vs = JSON.parse(JSON.stringify(quantityValueSet('hr', '8867-4', 'heartRate', '/min')).replace(`${EXT}/quantity-key`, url)) as unknown;
      expect(valueSetIndexFromResources([vs]).observationBindings.has(`${LOINC}|8867-4`)).toBe(false);
    }
  });

  it('the shipped value sets read the same under a configured base (they are not rewritten on load)', () => {
    configureCanonicalBase('https://cairn.hospital.example/fhir');
    try {
      const index = loadValueSets(shippedValueSetDirectory());
      expect(index.observationBindings.get(`${LOINC}|8867-4`)).toMatchObject({ kind: 'quantity', quantity: 'heartRate' });
      expect(index.answerFor('consciousness', 'http://snomed.info/sct', '422768004')).toBe('U');
    } finally {
      configureCanonicalBase(undefined);
    }
  });
});

describe('value set loader validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-vs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each<[string, unknown[], RegExp]>([
    ['unknown quantity key', [quantityValueSet('a', '8867-4', 'pulse', '/min')], /unknown quantity-key/],
    ['canonical unit differing from units.ts', [quantityValueSet('a', '8867-4', 'heartRate', '{beats}/min')], /must be "\/min"/],
    ['one code bound twice', [quantityValueSet('a', '8867-4', 'heartRate', '/min'), quantityValueSet('b', '8867-4', 'heartRate', '/min')], /already bound/],
    [
      'unsupported SNOMED filter',
      [{ resourceType: 'ValueSet', id: 'x', compose: { include: [{ system: 'http://snomed.info/sct', filter: [{ property: 'concept', op: 'is-a', value: '73211009' }] }] } }],
      /unsupported filter/,
    ],
    ['not a ValueSet', [{ resourceType: 'CodeSystem', id: 'x' }], /not a FHIR ValueSet/],
    ['empty value set', [{ resourceType: 'ValueSet', id: 'x', compose: { include: [] } }], /includes no codes/],
  ])('rejects %s', (_name, resources, message) => {
    expect(() => valueSetIndexFromResources(resources)).toThrow(ValueSetLoadError);
    expect(() => valueSetIndexFromResources(resources)).toThrow(message);
  });

  it('rejects a directory file whose name is not <id>.json, and invalid JSON', () => {
    writeFileSync(join(dir, 'wrong-name.json'), JSON.stringify(quantityValueSet('other', '8867-4', 'heartRate', '/min')));
    expect(() => loadValueSets(dir)).toThrow(/file name must be <id>.json/);
    rmSync(join(dir, 'wrong-name.json'));
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(() => loadValueSets(dir)).toThrow(/invalid JSON/);
    rmSync(join(dir, 'broken.json'));
    expect(() => loadValueSets(join(dir, 'missing'))).toThrow(ValueSetLoadError);
  });

  it('honours compose.exclude', () => {
    const index = valueSetIndexFromResources([
      {
        resourceType: 'ValueSet',
        id: 'htn',
        compose: {
          include: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', filter: [{ property: 'concept', op: 'is-a', value: 'I10' }, { property: 'concept', op: 'is-a', value: 'I15' }] }],
          exclude: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', concept: [{ code: 'I15.0' }] }],
        },
      },
    ]);
    expect(index.contains('htn', 'http://hl7.org/fhir/sid/icd-10-cm', 'I15.1')).toBe(true);
    expect(index.contains('htn', 'http://hl7.org/fhir/sid/icd-10-cm', 'I15.0')).toBe(false);
  });

  it('a caller-supplied index drives the builder (code → quantity lives in data, not code)', () => {
    const index = valueSetIndexFromResources([quantityValueSet('local', '9999-9', 'heartRate', QUANTITIES.heartRate.canonicalUnit)]);
    const ctx = buildPatientContext({
      valueSets: index,
      referenceTime: new Date('2025-01-01T00:00:00Z'),
      resources: [
        {
          resourceType: 'Observation',
          id: 'x',
          status: 'final',
          code: { coding: [{ system: LOINC, code: '9999-9' }] },
          effectiveDateTime: '2024-12-01',
          valueQuantity: { value: 64, unit: '/min' },
        },
        {
          resourceType: 'Observation',
          id: 'y',
          status: 'final',
          code: { coding: [{ system: LOINC, code: '8867-4' }] },
          effectiveDateTime: '2024-12-01',
          valueQuantity: { value: 70, unit: '/min' },
        },
      ],
    });
    expect(latest(ctx.vitals.heartRate)?.source).toBe('Observation/x');
    expect(ctx.vitals.heartRate).toHaveLength(1);
    expect(ctx.stats.observationsNotMapped).toBe(1);
  });
});
