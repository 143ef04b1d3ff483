import type { Bundle, FhirResource } from 'fhir/r4.js';
import { isObject } from '../../fhir/context/fhir-json.js';

/**
 * Whether a prefetch value is what its template asks for. CDS Hooks 2.0.1 §Prefetch: "It is the
 * CDS Service's responsibility to check prefetched data against its template to determine what
 * requests were satisfied (if any) and to programmatically retrieve any additional necessary
 * data." A read (`Patient/{{context.patientId}}`) must be a resource of that type with that id; a
 * search (`Observation?patient=…`) a searchset Bundle whose matches are of the searched type,
 * beside the OperationOutcomes a server may add (`search.mode` outcome) and, when the template
 * asks for them, included resources. When the search is by `patient`, a match whose subject or
 * patient names another Patient is another patient's data. Templates of other shapes (an
 * operation, a system-wide search) are not checked.
 *
 * The problems returned never contain ids: they are logged and may reach a 412.
 */
export function prefetchMismatch(renderedUrl: string, value: FhirResource): string | undefined {
  const shape = /^([A-Z][A-Za-z]+)(?:\/([^/?#]+)(?:\/_history\/[^/?#]+)?)?(?:\?(.*))?$/.exec(renderedUrl);
  if (!shape) return undefined;
  const [, type, rawId, query] = shape;
  if (rawId !== undefined) {
    if (rawId.startsWith('$')) return undefined; // an operation on the type
    if (query !== undefined) return undefined; // a read takes no parameters: not a shape we know
    if (value.resourceType !== type) return `a ${type} read answered with a ${value.resourceType}`;
    if (value.id !== decode(rawId)) return `a ${type} read answered with a ${type} of another id`;
    return undefined;
  }
  if (value.resourceType !== 'Bundle') return `a ${type} search answered with a ${value.resourceType}, not a searchset Bundle`;
  if (value.type !== 'searchset') return `a ${type} search answered with a Bundle of type ${String(value.type)}, not searchset`;
  const params = new URLSearchParams(query ?? '');
  const includes = [...params.keys()].some((k) => k === '_include' || k === '_revinclude' || k.startsWith('_include:') || k.startsWith('_revinclude:'));
  const patient = singlePatient(params);
  // Entries that are not objects, or hold no resource object, are not judged here: the
  // PatientContext builder excludes and reports them (fhir/context/collect.ts).
  const entries: unknown = (value as Bundle).entry;
  for (const entry of Array.isArray(entries) ? (entries as unknown[]) : []) {
    if (!isObject(entry) || !isObject(entry.resource)) continue;
    const resource = entry.resource as unknown as FhirResource;
    const mode = isObject(entry.search) ? entry.search.mode : undefined;
    if (resource.resourceType === 'OperationOutcome' && mode === 'outcome') continue;
    if (includes && mode === 'include') continue;
    if (resource.resourceType !== type) return `a ${type} search answered with a Bundle holding a ${resource.resourceType}`;
    if (patient !== undefined && namesAnotherPatient(resource, patient)) return `a ${type} search by patient answered with another patient's ${type}`;
  }
  return undefined;
}

/** The one patient id a `patient=` (or `subject=Patient/…`) search names; undefined when none or several. */
function singlePatient(params: URLSearchParams): string | undefined {
  const values = [...params.getAll('patient'), ...params.getAll('subject').filter((s) => s.startsWith('Patient/')).map((s) => s.slice('Patient/'.length))];
  if (values.length !== 1 || values[0]?.includes(',')) return undefined;
  const id = values[0]?.replace(/^Patient\//, '');
  return id === '' ? undefined : id;
}

/**
 * True when the resource's `subject` or `patient` reference is a literal `Patient/<id>` reference
 * (relative or absolute, with or without a version) to another id. Other references (`urn:uuid:`,
 * contained, a logical identifier) cannot be judged here and pass.
 */
function namesAnotherPatient(resource: FhirResource, patientId: string): boolean {
  const r = resource as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  for (const ref of [r.subject?.reference, r.patient?.reference]) {
    if (typeof ref !== 'string') continue;
    const m = /(?:^|\/)Patient\/([^/?#]+)(?:\/_history\/[^/?#]+)?$/.exec(ref);
    if (m?.[1] !== undefined && decode(m[1]) !== patientId) return true;
  }
  return false;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
