import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  PLAUSIBLE_RANGES,
  QUANTITIES,
  buildPatientContext,
  implausibility,
} from '../../src/fhir/context/index.js';
import type { ExclusionReason, PatientContext, Reading } from '../../src/fhir/context/index.js';
import { LAB_KEYS, VITAL_KEYS } from '../../src/fhir/context/types.js';

const REF = new Date('2025-01-01T00:00:00Z');
const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';

const KNOWN_REASONS: ReadonlySet<ExclusionReason> = new Set<ExclusionReason>([
  'not-a-resource',
  'malformed-resource',
  'unsupported-resource-type',
  'duplicate-resource',
  'different-patient',
  'prefetch-error',
  'bundle-incomplete',
  'entered-in-error',
  'status-not-usable',
  'refuted',
  'missing-value',
  'non-numeric-value',
  'unknown-unit',
  'implausible-value',
  'ambiguous-code',
  'missing-time',
  'invalid-time',
  'after-reference-time',
  'unknown-answer-code',
  'note-not-inline',
  'note-unsupported-content-type',
  'note-undecodable',
  // internal-error is deliberately absent: no input may provoke it.
]);

/** Realistic resources the mutations start from. */
const TEMPLATES: Array<Record<string, unknown>> = [
  { resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: '1960-02-29', deceasedBoolean: false },
  {
    resourceType: 'Observation',
    id: 'bp',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '85354-9' }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2024-12-01T10:00:00Z',
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 150, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 95, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
    ],
  },
  {
    resourceType: 'Observation',
    id: 'a1c',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '59261-8' }] },
    effectivePeriod: { start: '2024-11-01', end: '2024-11-02' },
    valueQuantity: { value: 53, unit: 'mmol/mol', comparator: '<' },
  },
  {
    resourceType: 'Observation',
    id: 'avpu',
    status: 'preliminary',
    code: { coding: [{ system: LOINC, code: '67775-7' }] },
    issued: '2024-12-01T10:00:00Z',
    valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '248234008' }] },
  },
  {
    resourceType: 'Condition',
    id: 'c1',
    clinicalStatus: { coding: [{ code: 'active' }] },
    verificationStatus: { coding: [{ code: 'confirmed' }] },
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }] },
    onsetDateTime: '2019-01-01',
    abatementDateTime: '2030-01-01',
  },
  {
    resourceType: 'Encounter',
    id: 'e1',
    status: 'in-progress',
    class: { code: 'EMER' },
    period: { start: '2024-12-31T22:00:00Z' },
    reasonCode: [{ text: 'fever' }],
    reasonReference: [{ reference: 'Condition/c1' }, { reference: '#nope' }],
  },
  {
    resourceType: 'MedicationStatement',
    id: 'm1',
    status: 'active',
    contained: [{ resourceType: 'Medication', id: 'x', code: { text: 'aspirin' } }],
    medicationReference: { reference: '#x' },
    effectiveDateTime: '2024-01-01',
  },
  {
    resourceType: 'DocumentReference',
    id: 'd1',
    status: 'current',
    date: '2024-12-01T00:00:00Z',
    content: [{ attachment: { contentType: 'text/html; charset=iso-8859-1', data: 'PHA+aGk8L3A+' } }],
  },
  { resourceType: 'DiagnosticReport', id: 'r1', status: 'final', code: { text: 'x' }, presentedForm: [{ contentType: 'text/plain', data: '' }], conclusion: 'ok' },
  { resourceType: 'AllergyIntolerance', id: 'a1', code: { text: 'peanut' }, category: ['food', 3], reaction: [{ manifestation: [{ text: 'hives' }] }] },
  {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [{ relation: 'next', url: 'x' }],
    entry: [{ resource: { resourceType: 'Observation', id: 'w', status: 'final', code: { coding: [{ system: LOINC, code: '29463-7' }] }, effectiveDateTime: '2024-01-01', valueQuantity: { value: 154, unit: 'lb' } } }],
  },
];

type Path = Array<string | number>;

function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setAt(root: unknown, path: Path, replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return replacement;
  const copy: unknown = structuredClone(root);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (remove && !Array.isArray(node)) delete node[last];
  else node[last] = replacement;
  return copy;
}

/** A template with 1–4 random mutations: a value replaced by arbitrary JSON, or a key removed. */
const mutatedResource = fc
  .tuple(
    fc.constantFrom(...TEMPLATES),
    fc.array(fc.tuple(fc.nat(), fc.oneof(fc.jsonValue(), fc.constantFrom(null, '', -1, 1e308, '2024-13-01', 'Observation', 'final', 'entered-in-error')), fc.boolean()), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([template, mutations]) => {
    let resource: unknown = template;
    for (const [pick, replacement, remove] of mutations) {
      const all = paths(resource);
      const path = all[pick % all.length] as Path;
      resource = setAt(resource, path, replacement, remove);
    }
    return resource;
  });

function allReadings(ctx: PatientContext): Reading[] {
  return [...VITAL_KEYS.flatMap((k) => ctx.vitals[k]), ...LAB_KEYS.flatMap((k) => ctx.labs[k])];
}

/** Invariants that must hold for every context, whatever the input. */
function checkInvariants(ctx: PatientContext): void {
  expect(Number.isFinite(Date.parse(ctx.referenceTime))).toBe(true);
  for (const k of VITAL_KEYS) expect(Array.isArray(ctx.vitals[k])).toBe(true);
  for (const k of LAB_KEYS) expect(Array.isArray(ctx.labs[k])).toBe(true);
  for (const e of ctx.exclusions) {
    expect(KNOWN_REASONS.has(e.reason)).toBe(true);
    expect(typeof e.source).toBe('string');
    // The per-resource guard turns an exception into 'could not be read'; the readers are meant
    // to handle every shape without throwing, so reaching that guard is a bug.
    expect(e.detail ?? '').not.toMatch(/^could not be read/);
  }
  for (const k of [...VITAL_KEYS, ...LAB_KEYS]) {
    const s = VITAL_KEYS.includes(k as never) ? ctx.vitals[k as (typeof VITAL_KEYS)[number]] : ctx.labs[k as (typeof LAB_KEYS)[number]];
    for (let i = 1; i < s.length; i++) expect((s[i] as Reading).effectiveTime).toBeGreaterThanOrEqual((s[i - 1] as Reading).effectiveTime);
  }
  for (const r of allReadings(ctx)) {
    expect(Number.isFinite(r.value)).toBe(true);
    expect(r.unit).toBe(QUANTITIES[r.quantity].canonicalUnit);
    expect(implausibility(r.quantity, r.value, r.unit)).toBeUndefined();
    expect(r.source).toMatch(/^Observation/);
    expect(r.effectiveTime).toBeLessThanOrEqual(REF.getTime() + 5 * 60 * 1000);
  }
}

describe('the builder never throws', () => {
  it('on arbitrary values as the resource list items', () => {
    fc.assert(
      fc.property(fc.array(fc.anything({ maxDepth: 4, withNullPrototype: true, withObjectString: true }), { maxLength: 8 }), (resources) => {
        const ctx = buildPatientContext({ resources, referenceTime: REF });
        checkInvariants(ctx);
      }),
      { numRuns: 300 },
    );
  });

  it('on an arbitrary value as the whole input', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 3 }), (input) => {
        const ctx = buildPatientContext(input as { resources: unknown[] });
        expect(ctx.exclusions.some((e) => e.reason === 'internal-error')).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('on mutated FHIR-like resources and Bundles of them', () => {
    fc.assert(
      fc.property(fc.array(mutatedResource, { minLength: 1, maxLength: 6 }), fc.boolean(), (resources, wrap) => {
        const input = wrap ? [{ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) }] : resources;
        const ctx = buildPatientContext({ resources: input, referenceTime: REF });
        checkInvariants(ctx);
      }),
      { numRuns: 500 },
    );
  });
});

describe('plausibility is exact at the bounds', () => {
  it('a systolic BP is kept if and only if it lies in the plausible range', () => {
    const range = PLAUSIBLE_RANGES.systolicBP;
    fc.assert(
      fc.property(fc.double({ min: -100, max: 600, noNaN: true }), (value) => {
        const ctx = buildPatientContext({
          referenceTime: REF,
          resources: [
            {
              resourceType: 'Observation',
              id: 's',
              status: 'final',
              code: { coding: [{ system: LOINC, code: '8480-6' }] },
              effectiveDateTime: '2024-12-01',
              valueQuantity: { value, unit: 'mm[Hg]' },
            },
          ],
        });
        const plausible = value > range.low && value < range.high;
        expect(ctx.vitals.systolicBP.length).toBe(plausible ? 1 : 0);
        if (plausible) expect(ctx.vitals.systolicBP[0]?.value).toBe(value);
        else expect(ctx.exclusions.map((e) => e.reason)).toEqual(['implausible-value']);
      }),
      { numRuns: 300 },
    );
  });
});
