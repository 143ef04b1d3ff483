/**
 * Code systems as the corpus names them (front matter `codes: {snomed: […], icd10: […], loinc: […]}`)
 * and as FHIR names them (system URIs). Filters accept either.
 */

const SYSTEM_URIS: Record<string, string> = {
  'http://snomed.info/sct': 'snomed',
  'http://hl7.org/fhir/sid/icd-10-cm': 'icd10',
  'http://hl7.org/fhir/sid/icd-10': 'icd10',
  'http://loinc.org': 'loinc',
  'http://www.nlm.nih.gov/research/umls/rxnorm': 'rxnorm',
};

/** 'http://snomed.info/sct' → 'snomed'; short names pass through lower-cased; unknown URIs stay as they are. */
export function codeSystemKey(system: string): string {
  const trimmed = system.trim();
  return SYSTEM_URIS[trimmed] ?? (/^[a-z0-9-]+$/i.test(trimmed) ? trimmed.toLowerCase() : trimmed);
}

/**
 * The codes a document may list for this code: the code itself, and for ICD-10 its three-character
 * category, since guidelines cite categories (N18) and records carry subcodes (N18.3).
 */
export function matchingCodes(system: string, code: string): string[] {
  const c = code.trim();
  if (!c) return [];
  if (codeSystemKey(system) === 'icd10') {
    const upper = c.toUpperCase();
    const category = upper.split('.')[0] as string;
    return category !== upper ? [upper, category] : [upper];
  }
  return [c];
}

/** 'snomed|38341003': how a document's codes are stored and matched (ICD-10 upper-cased). */
export function codeKey(system: string, code: string): string {
  const key = codeSystemKey(system);
  return `${key}|${key === 'icd10' ? code.trim().toUpperCase() : code.trim()}`;
}

/** system → codes; a document matches when it lists any of them. */
export type CodeFilter = Readonly<Record<string, readonly string[]>>;

/** The stored keys a code filter matches, ICD-10 categories included. */
export function codeFilterKeys(filter: CodeFilter): string[] {
  const keys = new Set<string>();
  for (const [system, codes] of Object.entries(filter)) {
    for (const code of codes) for (const c of matchingCodes(system, code)) keys.add(codeKey(system, c));
  }
  return [...keys];
}
