/**
 * The FHIR terminology resources Cairn publishes at its canonical URLs: the CodeSystem of override
 * reasons sent on every card (fhir-profiles/codesystems) and the value sets its logic reads
 * (fhir-profiles/valuesets). The HTTP layer answers `GET /fhir/CodeSystem/<id>` and
 * `GET /fhir/ValueSet/<id>` with them, so that with the default canonical base (the public URL +
 * `/fhir`, src/canonical.ts) every canonical URL Cairn sends resolves to its definition.
 *
 * The shipped files name themselves under the default base; each is served rebased onto the
 * configured one: its `url`, and every canonical inside it under the file's own base (extension
 * URLs, code systems and value sets it refers to), now under the configured base. Resources of
 * other publishers (LOINC, SNOMED CT, HL7) are left as they are.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObject, str, type JsonObject } from './context/fhir-json.js';
import { nearestDirectoryAbove } from './shipped-files.js';

/** Resource type → its folder under fhir-profiles/. */
export const PUBLISHED_FOLDERS = { CodeSystem: 'codesystems', ValueSet: 'valuesets' } as const;
export type PublishedType = keyof typeof PUBLISHED_FOLDERS;

export function isPublishedType(type: string): type is PublishedType {
  return Object.prototype.hasOwnProperty.call(PUBLISHED_FOLDERS, type);
}

/** The shipped `fhir-profiles` directory: the nearest above this module (src/ or dist/). */
export function shippedProfilesDirectory(): string {
  const found = nearestDirectoryAbove(import.meta.url, 'fhir-profiles');
  if (!found) throw new Error('fhir-profiles not found above the published-resources module');
  return found;
}

/**
 * Every published resource as shipped, keyed `<type>/<id>`. A file that is not JSON, not of the
 * folder's type or without an id is an error: a broken definition must not be served as if fine.
 */
export function loadPublishedResources(root: string = shippedProfilesDirectory()): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  for (const [type, folder] of Object.entries(PUBLISHED_FOLDERS)) {
    const dir = join(root, folder);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const path = join(dir, file);
      const resource: unknown = JSON.parse(readFileSync(path, 'utf8'));
      const id = str(resource, 'id');
      if (!isObject(resource) || str(resource, 'resourceType') !== type || !id) throw new Error(`${path}: not a ${type} with an id`);
      out.set(`${type}/${id}`, resource);
    }
  }
  return out;
}

/** The keys whose values are canonical URLs in the resources Cairn publishes. */
const CANONICAL_KEYS: ReadonlySet<string> = new Set(['url', 'system', 'valueSet']);

/**
 * A copy of `resource` named under `base`: its `url` becomes `<base>/<type>/<id>`, and every
 * canonical that the file put under its own base is moved to `base`.
 */
export function rebased(resource: JsonObject, base: string): JsonObject {
  const type = str(resource, 'resourceType') ?? '';
  const id = str(resource, 'id') ?? '';
  const own = str(resource, 'url');
  const suffix = `/${type}/${id}`;
  const oldBase = own?.endsWith(suffix) ? own.slice(0, -suffix.length) : undefined;
  const move = (v: string): string => (oldBase !== undefined && v.startsWith(`${oldBase}/`) ? `${base}${v.slice(oldBase.length)}` : v);
  const walk = (value: unknown, canonical: boolean): unknown => {
    if (typeof value === 'string') return canonical ? move(value) : value;
    if (Array.isArray(value)) return value.map((v) => walk(v, canonical));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, CANONICAL_KEYS.has(k))]));
    return value;
  };
  return { ...(walk(resource, false) as JsonObject), url: `${base}${suffix}` };
}
