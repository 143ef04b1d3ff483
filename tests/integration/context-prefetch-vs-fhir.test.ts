/**
 * The same patient must come out whether the EHR prefetches the record or Cairn fetches it from
 * the FHIR server with the derived prefetch templates: all 53 development Synthea bundles, loaded
 * into the dev FHIR server and fetched over HTTP, compared with the bundle given as prefetch.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { derivePrefetchTemplates } from '../../src/fhir/context/data-requirements.js';
import { buildPatientContext, defaultValueSetIndex, type PatientContext } from '../../src/fhir/context/index.js';
import { createFhirGateway } from '../../src/fhir/gateway.js';
import { startDevFhirServer, type DevFhirServer } from '../../dev/fhir-server/index.js';
import { prefetchData, resolvePrefetch } from '../../src/hooks/prefetch/resolve.js';
import { syntheaDataset, withDataset } from '../support/datasets.js';

const SYNTHEA = syntheaDataset();
const DIR = join(SYNTHEA.path ?? '', 'bundles');
const referenceTime = new Date('2026-11-24T00:00:00Z');
const files = SYNTHEA.path === undefined ? [] : readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const index = defaultValueSetIndex();
const observationSets = [...new Set([...index.observationBindings.values()].map((b) => b.valueSetId))];
const templates = derivePrefetchTemplates(
  { observationValueSets: observationSets, encounters: true, conditions: true, medications: true, allergies: true, procedures: true, notes: true },
  index,
);

/** What the services read; `stats` (counts of resources seen, including unrelated ones) is left out on purpose. */
function clinicalPicture(ctx: PatientContext) {
  const byRef = <T extends { source: string }>(items: readonly T[]) => [...items].sort((a, b) => a.source.localeCompare(b.source));
  return {
    patient: ctx.patient,
    vitals: ctx.vitals,
    labs: ctx.labs,
    consciousness: ctx.consciousness,
    pregnancy: ctx.pregnancy,
    conditions: byRef(ctx.conditions),
    medications: byRef(ctx.medications),
    allergies: byRef(ctx.allergies),
    procedures: byRef(ctx.procedures),
    notes: byRef(ctx.notes),
    encounters: byRef(ctx.encounters),
    exclusions: [...ctx.exclusions].sort((a, b) => `${a.source}${a.reason}`.localeCompare(`${b.source}${b.reason}`)),
  };
}

withDataset(SYNTHEA).describe('PatientContext through prefetch and through the dev FHIR server', () => {
  // Inside the suite so that no server starts when the data set is missing.
  let fhir: DevFhirServer;
  beforeAll(async () => {
    fhir = await startDevFhirServer({ bundles: [DIR] });
  }, 60_000);
  afterAll(() => fhir?.close());

  it('derived templates stay under 8,000 characters', () => {
    for (const t of Object.values(templates)) expect(t.length).toBeLessThan(8000);
  });

  it(`builds all ${files.length} Synthea bundles without error, with the same result both ways`, async () => {
    expect(files).toHaveLength(53);
    const gateway = createFhirGateway({ baseUrl: fhir.baseUrl, timeoutMs: 10_000, concurrency: 4, maxPages: 20 });
    for (const file of files) {
      const bundle = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { entry: Array<{ resource: { resourceType: string; id: string } }> };
      const patientId = bundle.entry.find((e) => e.resource.resourceType === 'Patient')?.resource.id;
      expect(patientId).toBeDefined();

      const viaPrefetch = buildPatientContext({ resources: [bundle], referenceTime, patientId });
      const outcomes = await resolvePrefetch({ templates, context: { patientId, userId: 'Practitioner/test' }, provided: undefined, gateway });
      expect(outcomes.filter((o) => o.source === 'failed')).toEqual([]);
      const viaServer = buildPatientContext({ resources: Object.values(prefetchData(outcomes)), referenceTime, patientId });

      expect(viaPrefetch.exclusions.filter((e) => e.reason === 'malformed-resource' || e.reason === 'not-a-resource')).toEqual([]);
      expect(clinicalPicture(viaServer)).toEqual(clinicalPicture(viaPrefetch));
    }
  }, 120_000);
});
