import type { ValueSetIndex } from './value-sets.js';

/**
 * What a service's logic reads from the record, and the CDS Hooks prefetch templates that fetch
 * exactly that (the AHRQ CDS Connect pattern: prefetch derived from the data requirements).
 * Observation searches list the LOINC codes of the value sets the logic reads, so the EHR sends
 * only relevant readings; codes are spread over several keys when one URL would grow past the
 * length EHRs and proxies reliably accept.
 */
export interface DataRequirements {
  /** Value set ids (fhir-profiles/valuesets) whose Observation codes the logic reads. */
  observationValueSets?: readonly string[];
  /** Further Observation codes (`system|code`) read outside the value sets (e.g. pain scores). */
  extraObservationCodes?: readonly string[];
  encounters?: boolean;
  conditions?: boolean;
  medications?: boolean;
  allergies?: boolean;
  procedures?: boolean;
  /** Clinical notes (DocumentReference) for text matching. */
  notes?: boolean;
}

/** About 8,000 characters is the request-line limit of common servers and proxies (e.g. Apache's 8,190). */
export const MAX_TEMPLATE_LENGTH = 8000;
/** The most a page of a prefetch search may hold; beyond it the EHR pages and Cairn follows `next`. */
const PAGE_SIZE = 1000;

const PATIENT = '{{context.patientId}}';

export function derivePrefetchTemplates(needs: DataRequirements, index: ValueSetIndex): Record<string, string> {
  const templates: Record<string, string> = { patient: `Patient/${PATIENT}` };
  if (needs.observationValueSets?.length || needs.extraObservationCodes?.length) {
    const codes = [...new Set([...observationCodes(needs.observationValueSets ?? [], index), ...(needs.extraObservationCodes ?? [])])].sort();
    const chunks = chunkCodes(codes, `Observation?patient=${PATIENT}&_count=${PAGE_SIZE}&code=`);
    chunks.forEach((chunk, i) => {
      templates[chunks.length === 1 ? 'observations' : `observations${i + 1}`] = chunk;
    });
  }
  if (needs.encounters) templates.encounters = `Encounter?patient=${PATIENT}&_count=${PAGE_SIZE}`;
  if (needs.conditions) templates.conditions = `Condition?patient=${PATIENT}&_count=${PAGE_SIZE}`;
  if (needs.medications) {
    templates.medicationRequests = `MedicationRequest?patient=${PATIENT}&_count=${PAGE_SIZE}`;
    templates.medicationStatements = `MedicationStatement?patient=${PATIENT}&_count=${PAGE_SIZE}`;
  }
  if (needs.allergies) templates.allergies = `AllergyIntolerance?patient=${PATIENT}&_count=${PAGE_SIZE}`;
  if (needs.procedures) templates.procedures = `Procedure?patient=${PATIENT}&_count=${PAGE_SIZE}`;
  if (needs.notes) {
    templates.notes = `DocumentReference?patient=${PATIENT}&_count=${PAGE_SIZE}`;
    // Narrative reports (presentedForm) are notes too.
    templates.reports = `DiagnosticReport?patient=${PATIENT}&_count=${PAGE_SIZE}`;
  }
  return templates;
}

/** `system|code` of every Observation code (quantities, panels, questions) bound to the given value sets, sorted. */
function observationCodes(valueSetIds: readonly string[], index: ValueSetIndex): string[] {
  const wanted = new Set(valueSetIds);
  for (const id of valueSetIds) {
    if (!index.valueSets.has(id)) throw new Error(`data requirements name an unknown value set: ${id}`);
  }
  const codes: string[] = [];
  for (const [key, binding] of index.observationBindings) if (wanted.has(binding.valueSetId)) codes.push(key);
  return codes.sort();
}

function chunkCodes(codes: string[], prefix: string): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const code of codes) {
    // ':' '/' and '|' are legal in a query (RFC 3986 §3.4); ',' would split the OR list, so it is escaped.
    const encoded = code.replace(/[^A-Za-z0-9\-._~:/|]/g, (c) => encodeURIComponent(c));
    const candidate = current ? `${current},${encoded}` : encoded;
    if (prefix.length + candidate.length > MAX_TEMPLATE_LENGTH && current) {
      chunks.push(prefix + current);
      current = encoded;
    } else {
      current = candidate;
    }
  }
  if (current) chunks.push(prefix + current);
  return chunks;
}
