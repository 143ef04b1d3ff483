/**
 * Code lists as data. The LOINC / SNOMED CT / ICD-10 codes Cairn reads live in
 * `fhir-profiles/valuesets/*.json` as FHIR R4 ValueSet resources, so a clinician can review and
 * change them without reading TypeScript. This module loads them once at start-up into a
 * `ValueSetIndex` and answers "which quantity is this LOINC code?" and "is this code in set X?".
 *
 * Cairn-specific meaning is carried by concept extensions `<canonical base>/StructureDefinition/<name>`,
 * recognised by name under any base (src/canonical.ts), so a value set written under another base
 * (an earlier one, or a copy edited elsewhere) reads the same:
 * - `quantity-key` (valueCode): the PatientContext series this Observation code feeds, e.g. `systolicBP`;
 * - `canonical-unit` (valueCode): the UCUM unit of that series; must match units.ts, checked at load;
 * - `observation-role` (valueCode `panel`): a panel whose components carry the values (BP panel);
 * - `question` (valueCode `consciousness` | `pregnancy-status`): a coded-answer Observation;
 * - `answer-value` (valueCode): what an answer code means (AVPU level, pregnant / not-pregnant / unknown).
 *
 * Supported compose features: `include` / `exclude` with `concept` lists, and `filter`
 * `concept is-a <code>` for ICD-10-CM, ICD-10 and ICD-9-CM only, where the hierarchy is the code prefix
 * (E11 is-a covers E11.9, E11.22 ...). SNOMED CT hierarchies need a terminology server, so
 * SNOMED codes are listed explicitly. Anything else makes loading fail loudly: a silently ignored
 * rule in a clinical code list is worse than a service that does not start.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SYSTEM, arr, canonicalSystem, codeKey, isObject, normaliseCode, objects, prop, str, text } from './fhir-json.js';
import type { CodingSummary, ConsciousnessLevel, PregnancyStatusValue, QuantityKey } from './types.js';
import { QUANTITY_KEYS } from './types.js';
import { QUANTITIES } from './units.js';
import { isCairnExtension } from '../../canonical.js';
import { nearestDirectoryAbove } from '../shipped-files.js';

/** The names of Cairn's concept extensions (the last segment of their URLs). */
export const EXT = {
  quantityKey: 'quantity-key',
  canonicalUnit: 'canonical-unit',
  observationRole: 'observation-role',
  question: 'question',
  answerValue: 'answer-value',
} as const;

export type QuestionKey = 'consciousness' | 'pregnancy-status';

const ANSWER_VALUES: Readonly<Record<QuestionKey, readonly string[]>> = {
  consciousness: ['A', 'C', 'V', 'P', 'U'] satisfies readonly ConsciousnessLevel[],
  'pregnancy-status': ['pregnant', 'not-pregnant', 'unknown'] satisfies readonly PregnancyStatusValue[],
};

export type ObservationBinding =
  | { kind: 'quantity'; quantity: QuantityKey; canonicalUnit: string; valueSetId: string; display?: string }
  | { kind: 'panel'; valueSetId: string; display?: string }
  | { kind: 'question'; question: QuestionKey; valueSetId: string; display?: string };

export interface LoadedValueSet {
  id: string;
  url: string | null;
  name: string | null;
  title: string | null;
  description: string | null;
  /** Explicitly listed codes: codeKey → display. */
  codes: ReadonlyMap<string, string | null>;
  /** ICD-10 `is-a` filters as normalised prefixes per system. */
  prefixFilters: ReadonlyArray<{ system: string; prefix: string }>;
  /** Explicitly excluded codes (compose.exclude). */
  excluded: ReadonlySet<string>;
  /** For question value sets: answer codeKey → meaning. */
  answers: ReadonlyMap<string, string>;
  /** For answer-carrying value sets: which question the answers belong to. */
  question: QuestionKey | null;
  file: string | null;
}

export interface ValueSetIndex {
  /** Directory the sets were read from, or `in-memory`. */
  readonly source: string;
  readonly valueSets: ReadonlyMap<string, LoadedValueSet>;
  /** Observation code (codeKey) → what it feeds. */
  readonly observationBindings: ReadonlyMap<string, ObservationBinding>;
  /** Is system|code in the value set `valueSetId`? False for an unknown set id. */
  contains(valueSetId: string, system: string, code: string): boolean;
  /** Ids of the value sets containing any of the codings, sorted. */
  valueSetsContaining(codings: readonly CodingSummary[]): string[];
  /** The meaning of an answer code for a question (AVPU letter, pregnancy status). */
  answerFor(question: QuestionKey, system: string, code: string): string | undefined;
}

export class ValueSetLoadError extends Error {
  override readonly name = 'ValueSetLoadError';
}

const PREFIX_SYSTEMS: ReadonlySet<string> = new Set([SYSTEM.icd10cm, SYSTEM.icd10, SYSTEM.icd9cm]);

function extensionCode(element: unknown, name: string): string | undefined {
  for (const ext of objects(element, 'extension')) {
    if (isCairnExtension(str(ext, 'url'), name)) return str(ext, 'valueCode') ?? str(ext, 'valueString');
  }
  return undefined;
}

function isQuantityKey(v: string): v is QuantityKey {
  return (QUANTITY_KEYS as readonly string[]).includes(v);
}

function isQuestionKey(v: string): v is QuestionKey {
  return v === 'consciousness' || v === 'pregnancy-status';
}

interface MutableIndexParts {
  valueSets: Map<string, LoadedValueSet>;
  bindings: Map<string, ObservationBinding>;
}

function addValueSet(resource: unknown, file: string | null, parts: MutableIndexParts): void {
  const where = file ?? 'in-memory ValueSet';
  const fail = (msg: string): never => {
    throw new ValueSetLoadError(`${where}: ${msg}`);
  };
  if (!isObject(resource) || str(resource, 'resourceType') !== 'ValueSet') fail('not a FHIR ValueSet');
  const id = text(resource, 'id') ?? fail('ValueSet.id is required');
  if (parts.valueSets.has(id)) fail(`duplicate ValueSet id ${id}`);
  const compose = prop(resource, 'compose');
  if (!isObject(compose)) fail('ValueSet.compose is required (Cairn reads compose, not expansion)');

  const codes = new Map<string, string | null>();
  const prefixFilters: Array<{ system: string; prefix: string }> = [];
  const excluded = new Set<string>();
  const answers = new Map<string, string>();
  let question: QuestionKey | null = null;

  for (const include of objects(compose, 'include')) {
    const rawSystem = text(include, 'system') ?? fail('compose.include.system is required (valueSet imports are not supported)');
    const system = canonicalSystem(rawSystem);
    if (arr(include, 'valueSet').length > 0) fail('compose.include.valueSet is not supported');
    for (const filter of objects(include, 'filter')) {
      const op = str(filter, 'op');
      const property = str(filter, 'property');
      const value = text(filter, 'value');
      if (!PREFIX_SYSTEMS.has(system) || op !== 'is-a' || property !== 'concept' || !value) {
        fail(`unsupported filter ${JSON.stringify(filter)} for ${system} (only ICD-10 and ICD-9-CM "concept is-a <code>")`);
      }
      prefixFilters.push({ system, prefix: normaliseCode(system, value as string) });
    }
    for (const concept of objects(include, 'concept')) {
      const code = text(concept, 'code') ?? fail('concept.code is required');
      const key = codeKey(system, code);
      const display = text(concept, 'display') ?? null;
      if (codes.has(key)) fail(`code ${system}|${code} listed twice`);
      codes.set(key, display);

      const quantity = extensionCode(concept, EXT.quantityKey);
      const canonicalUnit = extensionCode(concept, EXT.canonicalUnit);
      const role = extensionCode(concept, EXT.observationRole);
      const q = extensionCode(concept, EXT.question);
      const answer = extensionCode(concept, EXT.answerValue);
      let binding: ObservationBinding | undefined;
      if (quantity !== undefined) {
        if (!isQuantityKey(quantity)) fail(`${code}: unknown quantity-key ${JSON.stringify(quantity)}`);
        const expected = QUANTITIES[quantity as QuantityKey].canonicalUnit;
        if (canonicalUnit !== expected) {
          fail(`${code}: canonical-unit ${JSON.stringify(canonicalUnit)} for ${quantity} must be ${JSON.stringify(expected)} (units.ts)`);
        }
        binding = { kind: 'quantity', quantity: quantity as QuantityKey, canonicalUnit: expected, valueSetId: id };
      } else if (role === 'panel') {
        binding = { kind: 'panel', valueSetId: id };
      } else if (role !== undefined) {
        fail(`${code}: unknown observation-role ${JSON.stringify(role)}`);
      } else if (q !== undefined) {
        if (!isQuestionKey(q)) fail(`${code}: unknown question ${JSON.stringify(q)}`);
        binding = { kind: 'question', question: q as QuestionKey, valueSetId: id };
        question = q as QuestionKey;
      }
      if (binding) {
        if (display) binding.display = display;
        const previous = parts.bindings.get(key);
        if (previous) fail(`${system}|${code} is already bound in ${previous.valueSetId}`);
        parts.bindings.set(key, binding);
      }
      if (answer !== undefined) answers.set(key, answer);
    }
  }
  for (const exclude of objects(compose, 'exclude')) {
    const system = canonicalSystem(text(exclude, 'system') ?? fail('compose.exclude.system is required'));
    if (arr(exclude, 'filter').length > 0 || arr(exclude, 'valueSet').length > 0) fail('compose.exclude supports concept lists only');
    for (const concept of objects(exclude, 'concept')) {
      excluded.add(codeKey(system, text(concept, 'code') ?? fail('exclude concept.code is required')));
    }
  }
  if (codes.size === 0 && prefixFilters.length === 0) fail('ValueSet includes no codes');
  if (answers.size > 0) {
    if (!question) fail('answer-value extensions need a concept carrying the question extension in the same ValueSet');
    const allowed = ANSWER_VALUES[question as QuestionKey];
    for (const [key, meaning] of answers) {
      if (!allowed.includes(meaning)) fail(`answer ${key} has meaning ${JSON.stringify(meaning)}; allowed: ${allowed.join(', ')}`);
    }
  }
  parts.valueSets.set(id, {
    id,
    url: text(resource, 'url') ?? null,
    name: text(resource, 'name') ?? null,
    title: text(resource, 'title') ?? null,
    description: text(resource, 'description') ?? null,
    codes,
    prefixFilters,
    excluded,
    answers,
    question,
    file,
  });
}

function finish(parts: MutableIndexParts, source: string): ValueSetIndex {
  const valueSets: ReadonlyMap<string, LoadedValueSet> = parts.valueSets;
  // Reverse index for explicit codes: codeKey → value set ids.
  const explicit = new Map<string, string[]>();
  const prefixSets: Array<{ system: string; prefix: string; id: string }> = [];
  for (const vs of valueSets.values()) {
    for (const key of vs.codes.keys()) {
      const ids = explicit.get(key) ?? [];
      ids.push(vs.id);
      explicit.set(key, ids);
    }
    for (const f of vs.prefixFilters) prefixSets.push({ ...f, id: vs.id });
  }
  const answersByQuestion = new Map<QuestionKey, Map<string, string>>();
  for (const vs of valueSets.values()) {
    if (!vs.question) continue;
    const m = answersByQuestion.get(vs.question) ?? new Map<string, string>();
    for (const [k, v] of vs.answers) m.set(k, v);
    answersByQuestion.set(vs.question, m);
  }

  const containsKey = (vs: LoadedValueSet, system: string, key: string, normalised: string): boolean => {
    if (vs.excluded.has(key)) return false;
    if (vs.codes.has(key)) return true;
    return vs.prefixFilters.some((f) => f.system === system && normalised.startsWith(f.prefix));
  };

  return {
    source,
    valueSets,
    observationBindings: parts.bindings,
    contains(valueSetId, system, code) {
      const vs = valueSets.get(valueSetId);
      if (!vs) return false;
      const sys = canonicalSystem(system);
      const normalised = normaliseCode(sys, code);
      return containsKey(vs, sys, `${sys}|${normalised}`, normalised);
    },
    valueSetsContaining(codings) {
      const found = new Set<string>();
      for (const c of codings) {
        const sys = canonicalSystem(c.system);
        const normalised = normaliseCode(sys, c.code);
        const key = `${sys}|${normalised}`;
        for (const id of explicit.get(key) ?? []) {
          const vs = valueSets.get(id);
          if (vs && !vs.excluded.has(key)) found.add(id);
        }
        if (PREFIX_SYSTEMS.has(sys)) {
          for (const f of prefixSets) {
            if (f.system === sys && normalised.startsWith(f.prefix) && !valueSets.get(f.id)?.excluded.has(key)) found.add(f.id);
          }
        }
      }
      return [...found].sort();
    },
    answerFor(question, system, code) {
      return answersByQuestion.get(question)?.get(codeKey(system, code));
    },
  };
}

/** Builds an index from ValueSet resources already in memory (tests, or a caller with its own store). */
export function valueSetIndexFromResources(resources: readonly unknown[], source = 'in-memory'): ValueSetIndex {
  const parts: MutableIndexParts = { valueSets: new Map(), bindings: new Map() };
  for (const r of resources) addValueSet(r, null, parts);
  return finish(parts, source);
}

/**
 * Reads every `*.json` ValueSet in `dir`. Throws ValueSetLoadError on any invalid file: call once
 * at start-up so a broken code list stops the service instead of silently matching nothing.
 */
export function loadValueSets(dir: string): ValueSetIndex {
  const parts: MutableIndexParts = { valueSets: new Map(), bindings: new Map() };
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch (err) {
    throw new ValueSetLoadError(`cannot read value set directory ${dir}: ${(err as Error).message}`);
  }
  if (files.length === 0) throw new ValueSetLoadError(`no *.json value sets in ${dir}`);
  for (const f of files) {
    const path = join(dir, f);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ValueSetLoadError(`${path}: invalid JSON: ${(err as Error).message}`);
    }
    const id = text(json, 'id');
    if (id !== undefined && `${id}.json` !== f) throw new ValueSetLoadError(`${path}: file name must be <id>.json (id is ${id})`);
    addValueSet(json, path, parts);
  }
  return finish(parts, resolve(dir));
}

/** The shipped directory: the nearest `fhir-profiles/valuesets` above this module (src/ or dist/). */
export function shippedValueSetDirectory(): string {
  const found = nearestDirectoryAbove(import.meta.url, join('fhir-profiles', 'valuesets'));
  if (!found) throw new ValueSetLoadError('fhir-profiles/valuesets not found above the PatientContext module');
  return found;
}

let defaultIndex: ValueSetIndex | undefined;

/** The shipped value sets, loaded on first use and cached for the life of the process. */
export function defaultValueSetIndex(): ValueSetIndex {
  defaultIndex ??= loadValueSets(shippedValueSetDirectory());
  return defaultIndex;
}
