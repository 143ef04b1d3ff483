import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';

/**
 * Renders CDS Hooks prefetch templates. 2.0 tokens (`{{context.patientId}}`, `{{userPractitionerId}}`…)
 * and the 3.0 ballot's simpler FHIRPath (`{{today() - 90 days}}`, `ofType()`, `|`) go through one
 * path: each token is a FHIRPath expression over `{ context, userPractitionerId, … }`, compiled once.
 * A token that yields several values becomes a comma-joined list (a FHIR search OR), as 3.0 says.
 */
export type RenderResult =
  | { ok: true; url: string }
  /** A token had no value (e.g. the optional `encounterId` was not sent): this key does not apply to this call. */
  | { ok: false; reason: 'no-value'; token: string }
  | { ok: false; reason: 'invalid-token'; token: string; message: string };

const TOKEN = /\{\{\s*(.+?)\s*\}\}/g;
type Compiled = (resource: unknown, vars?: Record<string, unknown>) => unknown[];
const compiled = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let fn = compiled.get(expression);
  if (!fn) {
    fn = fhirpath.compile(expression, r4Model) as Compiled;
    compiled.set(expression, fn);
  }
  return fn;
}

/** The four user tokens of CDS Hooks 2.0 are derived from `context.userId` ("Practitioner/123"). */
function userTokens(context: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const userId = context.userId;
  if (typeof userId !== 'string') return out;
  const [type, id] = userId.split('/');
  if (!type || !id) return out;
  const name = { Practitioner: 'userPractitionerId', PractitionerRole: 'userPractitionerRoleId', Patient: 'userPatientId', RelatedPerson: 'userRelatedPersonId' }[type];
  if (name) out[name] = id;
  return out;
}

/** `variables` are earlier prefetch results, visible as `%key` (3.0, experimental). */
export function renderTemplate(
  template: string,
  context: Record<string, unknown>,
  variables: Record<string, unknown> = {},
): RenderResult {
  const env = { context, ...userTokens(context) };
  let failure: RenderResult | undefined;
  const url = template.replace(TOKEN, (_match, expression: string) => {
    if (failure) return '';
    let values: unknown[];
    try {
      values = compile(expression)(env, variables);
    } catch (err) {
      failure = { ok: false, reason: 'invalid-token', token: expression, message: (err as Error).message };
      return '';
    }
    const primitives = values.map((v) => (v !== null && typeof v === 'object' && 'toString' in v ? String(v) : v));
    if (primitives.length === 0) {
      failure = { ok: false, reason: 'no-value', token: expression };
      return '';
    }
    if (primitives.some((v) => typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') ||
        primitives.some((v) => String(v).startsWith('[object'))) {
      failure = { ok: false, reason: 'invalid-token', token: expression, message: 'the token must yield primitive values' };
      return '';
    }
    return primitives.map((v) => encodeURIComponent(String(v))).join(',');
  });
  return failure ?? { ok: true, url };
}

/** Names of other prefetch keys a template reads as `%key`; such keys resolve after those. */
export function templateDependencies(template: string, keys: string[]): string[] {
  const deps = new Set<string>();
  for (const match of template.matchAll(TOKEN)) {
    for (const v of (match[1] ?? '').matchAll(/%([A-Za-z_][A-Za-z0-9_]*)/g)) {
      if (v[1] && keys.includes(v[1])) deps.add(v[1]);
    }
  }
  return [...deps];
}
