/**
 * Which FHIR servers Cairn may read: the guard against a hook request's `fhirServer` making Cairn
 * GET an address of the caller's choosing (server-side request forgery: loopback admin ports,
 * cloud metadata, the intranet). A `fhirServer` is compared, after WHATWG URL parsing, with the
 * base URLs the operator listed. That parsing is what makes the comparison sound: `0x7f000001`,
 * `2130706433`, `127.1` and `127.0.0.1.` all become `127.0.0.1`, host names are lower-cased, a
 * default port disappears and `..` segments are resolved, so a spelling cannot slip past the list,
 * and the comparison is on the URL that is then fetched.
 */

/** Why a URL cannot be a FHIR base URL (the messages never repeat the URL: it may hold a password). */
export type FhirBaseProblem = 'not-a-url' | 'not-http' | 'credentials' | 'query-or-fragment';

export const FHIR_BASE_PROBLEMS: Record<FhirBaseProblem, string> = {
  'not-a-url': 'is not an absolute URL',
  'not-http': 'must be an http or https URL',
  credentials: 'must not carry a user name or password',
  'query-or-fragment': 'must not have a query string or fragment',
};

/**
 * A base URL in canonical form: `scheme://host[:port][/path]`, lower-case scheme and host, no
 * default port, no trailing slash. An origin alone (`https://ehr.example.org`) has no path.
 */
export function normaliseFhirBase(raw: string): { ok: true; base: string } | { ok: false; problem: FhirBaseProblem } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: 'not-a-url' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, problem: 'not-http' };
  if (url.username !== '' || url.password !== '') return { ok: false, problem: 'credentials' };
  // `raw.includes` as well: the parser drops an empty `?` or `#`, which still says the value is not a base URL.
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) return { ok: false, problem: 'query-or-fragment' };
  return { ok: true, base: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/**
 * True when `url` is `base` or below it: the same origin (scheme, host, port) and a path equal
 * to the base's path or continuing it after a `/` (`/fhir` covers `/fhir/Patient/1` and
 * `/fhir?_getpages=…`, not `/fhirx` or `/admin`). A URL with a user name or password never is.
 */
export function isUnderBase(url: string | URL, base: string): boolean {
  let u: URL;
  let b: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
    b = new URL(base);
  } catch {
    return false;
  }
  if (u.username !== '' || u.password !== '' || u.origin !== b.origin) return false;
  const basePath = b.pathname.replace(/\/+$/, '');
  return basePath === '' || u.pathname === basePath || u.pathname.startsWith(`${basePath}/`);
}

/**
 * The FHIR servers one caller may name: a list of base URLs (normalised; empty means none), or
 * any loopback address (development without CAIRN_FHIR_SERVERS: the dev FHIR server runs there).
 */
export type FhirServerAllowlist = { kind: 'bases'; bases: readonly string[] } | { kind: 'loopback' };

export function fhirServerAllowed(allowlist: FhirServerAllowlist, fhirServer: string): boolean {
  const normalised = normaliseFhirBase(fhirServer);
  if (!normalised.ok) return false;
  if (allowlist.kind === 'loopback') return isLoopback(new URL(normalised.base));
  return allowlist.bases.some((base) => isUnderBase(normalised.base, base));
}

/**
 * `localhost`, 127.0.0.0/8 and `[::1]` (also IPv4-mapped, `[::ffff:7f00:1]`). The host is already
 * in the parser's canonical form, so other spellings of these addresses arrive as one of these.
 */
export function isLoopback(url: URL): boolean {
  const host = url.hostname;
  if (host === 'localhost' || host === '[::1]') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  return /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}
