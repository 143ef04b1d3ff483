/**
 * PatientContext build benchmark: one synthetic patient with 5,000 resources (mostly
 * Observations across every quantity and several units, plus conditions, medications,
 * encounters and notes), built repeatedly. Target: p95 < 50 ms.
 *
 *   npx tsx bench/context.ts [iterations]
 */
import { buildPatientContext, defaultValueSetIndex } from '../src/fhir/context/index.js';

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const REFERENCE_TIME = new Date('2025-01-01T00:00:00Z');
const TOTAL = 5000;

/** [LOINC code, value generator, unit] — a mix of canonical and converted units. */
const OBSERVATION_KINDS: Array<[string, (i: number) => number, string]> = [
  ['8867-4', (i) => 60 + (i % 50), '/min'],
  ['8867-4', (i) => 60 + (i % 50), 'beats/min'],
  ['9279-1', (i) => 12 + (i % 10), '{breaths}/min'],
  ['8310-5', (i) => 97 + (i % 5) / 2, '[degF]'],
  ['8310-5', (i) => 36 + (i % 4) / 2, 'Cel'],
  ['59408-5', (i) => 90 + (i % 10), '%'],
  ['29463-7', (i) => 150 + (i % 40), '[lb_av]'],
  ['8302-2', (i) => 160 + (i % 30), 'cm'],
  ['39156-5', (i) => 20 + (i % 15), 'kg/m2'],
  ['9269-2', (i) => 3 + (i % 13), '{score}'],
  ['4548-4', (i) => 5 + (i % 40) / 10, '%'],
  ['59261-8', (i) => 35 + (i % 40), 'mmol/mol'],
  ['2339-0', (i) => 80 + (i % 120), 'mg/dL'],
  ['14749-6', (i) => 4 + (i % 60) / 10, 'mmol/L'],
  ['2160-0', (i) => 0.6 + (i % 20) / 10, 'mg/dL'],
  ['14682-9', (i) => 50 + (i % 150), 'umol/L'],
  ['33914-3', (i) => 30 + (i % 90), 'mL/min/{1.73_m2}'],
  ['62238-1', (i) => 30 + (i % 90), 'mL/min/1.73m2'],
  ['14959-1', (i) => 5 + (i % 300), 'mg/g'],
  ['9318-7', (i) => 1 + (i % 30), 'mg/mmol'],
  ['718-7', (i) => 90 + (i % 80), 'g/L'],
  ['6690-2', (i) => 4 + (i % 10), '10*3/uL'],
  ['2524-7', (i) => 1 + (i % 30) / 10, 'mmol/L'],
  ['2823-3', (i) => 3.5 + (i % 20) / 10, 'mEq/L'],
  ['2951-2', (i) => 130 + (i % 15), 'mmol/L'],
  ['89579-7', (i) => 2 + (i % 100), 'ng/L'],
  ['18262-6', (i) => 2 + (i % 30) / 10, 'mmol/L'],
  ['2093-3', (i) => 150 + (i % 100), 'mg/dL'],
  ['777-3', (i) => 150 + (i % 250), '10*9/L'],
  ['1975-2', (i) => 5 + (i % 30), 'umol/L'],
  ['72514-3', (i) => i % 10, '{score}'], // pain score: not in any value set (realistic noise)
];

function isoAt(i: number): string {
  return new Date(Date.UTC(2015, 0, 1) + i * 15 * 60 * 60 * 1000).toISOString();
}

function synthesisePatient(): unknown[] {
  const entries: unknown[] = [
    { fullUrl: 'urn:uuid:p1', resource: { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1961-07-14' } },
  ];
  const subject = { reference: 'urn:uuid:p1' };
  let n = 1;
  for (let i = 0; n < TOTAL * 0.1; i++, n++) {
    entries.push({
      resource: {
        resourceType: 'Encounter',
        id: `enc-${i}`,
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: i % 7 === 0 ? 'EMER' : 'AMB' },
        subject,
        period: { start: isoAt(i * 10), end: isoAt(i * 10 + 1) },
        reasonCode: [{ coding: [{ system: SCT, code: '267036007' }], text: 'dyspnoea' }],
      },
    });
  }
  const conditionCodes = ['38341003', '44054006', '15777000', '431855005', '10509002', '72892002'];
  for (let i = 0; n < TOTAL * 0.14; i++, n++) {
    entries.push({
      resource: {
        resourceType: 'Condition',
        id: `cond-${i}`,
        clinicalStatus: { coding: [{ code: i % 3 === 0 ? 'resolved' : 'active' }] },
        verificationStatus: { coding: [{ code: 'confirmed' }] },
        code: { coding: [{ system: SCT, code: conditionCodes[i % conditionCodes.length] }, { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }] },
        subject,
        onsetDateTime: isoAt(i * 30),
        ...(i % 3 === 0 ? { abatementDateTime: isoAt(i * 30 + 20) } : {}),
      },
    });
  }
  for (let i = 0; n < TOTAL * 0.18; i++, n++) {
    entries.push({
      resource: {
        resourceType: 'MedicationRequest',
        id: `med-${i}`,
        status: i % 4 === 0 ? 'stopped' : 'active',
        intent: 'order',
        medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: String(316049 + (i % 20)) }] },
        subject,
        authoredOn: isoAt(i * 20),
      },
    });
  }
  for (let i = 0; n < TOTAL * 0.19; i++, n++) {
    entries.push({
      resource: {
        resourceType: 'DocumentReference',
        id: `doc-${i}`,
        status: 'current',
        date: isoAt(i * 100),
        content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(`Progress note ${i}: stable, BP reviewed.`).toString('base64') } }],
      },
    });
  }
  // The rest: Observations, a BP panel every 6th.
  for (let i = 0; n < TOTAL; i++, n++) {
    if (i % 6 === 0) {
      entries.push({
        resource: {
          resourceType: 'Observation',
          id: `bp-${i}`,
          status: 'final',
          code: { coding: [{ system: LOINC, code: '85354-9' }] },
          subject,
          effectiveDateTime: isoAt(i),
          component: [
            { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 110 + (i % 60), unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
            { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 70 + (i % 30), unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
          ],
        },
      });
      continue;
    }
    const [code, value, unit] = OBSERVATION_KINDS[i % OBSERVATION_KINDS.length] as [string, (i: number) => number, string];
    entries.push({
      resource: {
        resourceType: 'Observation',
        id: `obs-${i}`,
        status: 'final',
        code: { coding: [{ system: LOINC, code }] },
        subject,
        effectiveDateTime: isoAt(i),
        valueQuantity: { value: value(i), unit, system: UCUM, code: unit },
      },
    });
  }
  return [{ resourceType: 'Bundle', type: 'searchset', entry: entries }];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const iterations = Number(process.argv[2] ?? 300);
const resources = synthesisePatient();
const valueSets = defaultValueSetIndex(); // start-up cost, outside the measured loop

// Warm-up: JIT and the per-(quantity, unit) conversion cache.
let ctx = buildPatientContext({ resources, referenceTime: REFERENCE_TIME, valueSets });
for (let i = 0; i < 20; i++) ctx = buildPatientContext({ resources, referenceTime: REFERENCE_TIME, valueSets });

const times: number[] = [];
for (let i = 0; i < iterations; i++) {
  const t0 = performance.now();
  ctx = buildPatientContext({ resources, referenceTime: REFERENCE_TIME, valueSets });
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);

const readings = [...Object.values(ctx.vitals), ...Object.values(ctx.labs)].reduce((s, r) => s + r.length, 0);
const reasons: Record<string, number> = {};
for (const e of ctx.exclusions) reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
console.log(`resources: ${ctx.stats.resourcesSeen} (${JSON.stringify(ctx.stats.resourcesByType)})`);
console.log(`readings kept: ${readings}; conditions: ${ctx.conditions.length}; medications: ${ctx.medications.length}; notes: ${ctx.notes.length}; exclusions: ${JSON.stringify(reasons)}`);
console.log(`iterations: ${iterations}`);
console.log(
  `build ms  p50 ${percentile(times, 50).toFixed(2)}  p95 ${percentile(times, 95).toFixed(2)}  p99 ${percentile(times, 99).toFixed(2)}  max ${(times[times.length - 1] as number).toFixed(2)}`,
);
console.log(percentile(times, 95) < 50 ? 'p95 target (< 50 ms): met' : 'p95 target (< 50 ms): NOT met');
