import type { Bundle, FhirResource } from 'fhir/r4.js';

/**
 * The prefetch an EHR would send for a service from a whole record: the Patient for `patient`,
 * and for each other key a searchset Bundle of the resources of the type(s) it searches. The
 * evaluation commands use it so an evaluated record reaches the service exactly as a hook would.
 */
export function prefetchFromRecord(resources: readonly FhirResource[], templates: Readonly<Record<string, string>>): Record<string, FhirResource> {
  const out: Record<string, FhirResource> = {};
  for (const [key, template] of Object.entries(templates)) {
    const type = /^([A-Z][A-Za-z]+)[/?]/.exec(template)?.[1];
    if (!type) continue;
    if (template.startsWith(`${type}/`)) {
      const match = resources.find((r) => r.resourceType === type);
      if (match) out[key] = match;
      continue;
    }
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', entry: resources.filter((r) => r.resourceType === type).map((resource) => ({ resource })) };
    out[key] = bundle;
  }
  return out;
}
