/**
 * Cairn's canonical base: the URL under which its own FHIR artefacts are named, the override-reason
 * CodeSystem sent on every card, the value sets in fhir-profiles/valuesets, and its FHIR extensions
 * (`<base>/StructureDefinition/<name>`). Set by CAIRN_CANONICAL_BASE; by default the first public
 * URL + `/fhir` (config.ts), where Cairn itself answers `GET /fhir/CodeSystem/<id>` and
 * `GET /fhir/ValueSet/<id>` (src/fhir/published.ts), so the default canonical URLs resolve.
 *
 * Why module state rather than a parameter: the base is needed by pure card builders, by the
 * value-set loader and by the trial importer, far from where configuration is read, and it is one
 * value for the life of the process. It is set once at start-up (server.ts, and the CLIs that
 * write FHIR resources); anything that runs without start-up (tests, dev tools) gets the default
 * of a Cairn on its default port, the same value `loadConfig({})` gives.
 *
 * Writing uses the configured base. Reading never depends on it: what Cairn reads of its own
 * extensions (value-set concept extensions, the ResearchStudy extensions stored with every trial
 * in the database and in exported trial files) is matched by its path after the base, so data
 * written under an earlier base, or by another Cairn, keeps working when the base changes.
 */

/** The base when nothing configured it: a Cairn on its default port (config.ts: CAIRN_PUBLIC_URL default). */
export const DEFAULT_CANONICAL_BASE = 'http://localhost:3000/fhir';

let configured: string | undefined;

/** Sets the base for the rest of the process (undefined: back to the default). */
export function configureCanonicalBase(base: string | undefined): void {
  if (base === undefined) {
    configured = undefined;
    return;
  }
  const trimmed = base.replace(/\/+$/, '');
  const url = URL.canParse(trimmed) ? new URL(trimmed) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new Error(`canonical base must be an http(s) URL without query or fragment, got ${JSON.stringify(base)}`);
  }
  configured = trimmed;
}

/** The canonical base, without a trailing slash. */
export function canonicalBase(): string {
  return configured ?? DEFAULT_CANONICAL_BASE;
}

/** `<base>/<path>`, e.g. canonicalUrl('CodeSystem/cds-override-reason'). */
export function canonicalUrl(path: string): string {
  return `${canonicalBase()}/${path.replace(/^\/+/, '')}`;
}

/** The URL of Cairn's FHIR extension `name`, under the configured base: what Cairn writes. */
export function extensionUrl(name: string): string {
  return canonicalUrl(`StructureDefinition/${name}`);
}

/**
 * Whether `url` names Cairn's extension `name` under any base: an absolute http(s) URL ending in
 * `/StructureDefinition/<name>`. What Cairn reads (see the module comment). The names Cairn reads
 * this way appear only in resources Cairn wrote or ships (its value sets, its trials'
 * ResearchStudy), so another publisher's extension of the same name is not expected there.
 */
export function isCairnExtension(url: unknown, name: string): boolean {
  if (typeof url !== 'string' || !url.endsWith(`/StructureDefinition/${name}`)) return false;
  return /^https?:\/\/[^/]/.test(url);
}
