/**
 * GARMLE-G style retrieval queries: the hypothesis (a finding from the record, with its values)
 * plus a few key facts about the patient become the query text, and the codes become a preference
 * (or, on request, a filter). The text is short and made of the words guidelines use ("adult",
 * "systolic blood pressure 152 mmHg"), because both full-text search and the sentence encoder
 * match on words.
 *
 * The inputs are small plain objects on purpose: any finding or patient-context type that has
 * these fields can be passed as is.
 */
import { readableUnit } from '../fhir/context/units.js';
import type { CodeFilter } from './codes.js';
import { codeSystemKey } from './codes.js';
import type { SearchFilters } from './retriever.js';

export interface CodingLike {
  system?: string;
  code?: string;
  display?: string;
}

export interface FindingLike {
  code?: CodingLike;
  display?: string;
  /** e.g. "stage 2", "G3a A2", "high risk". */
  stage?: string;
  values?: ReadonlyArray<{ label: string; value: number | string; unit?: string }>;
}

export interface PatientFacts {
  /** Years. */
  age?: number;
  sex?: string;
  pregnant?: boolean;
  /** Key conditions (a few): display text or a coding. */
  conditions?: ReadonlyArray<string | { display?: string; code?: CodingLike }>;
}

export interface BuiltQuery {
  text: string;
  filters?: SearchFilters;
  /** Codes of the finding and the conditions: lifts their guidelines in hybrid ranking. */
  preferCodes?: CodeFilter;
}

export interface QueryBuilderOptions {
  /** Restrict results to documents listing the finding's own code (default false: prefer only). */
  filterByFindingCode?: boolean;
  /** Most conditions named in the text (default 4). */
  maxConditions?: number;
}

export function buildGuidelineQuery(finding: FindingLike, facts: PatientFacts = {}, options: QueryBuilderOptions = {}): BuiltQuery {
  const parts: string[] = [];
  const hypothesis = [finding.display ?? finding.code?.display, finding.stage].filter(nonEmpty).join(' ');
  if (hypothesis) parts.push(hypothesis);
  const values = (finding.values ?? [])
    .map((v) => [v.label, String(v.value), v.unit ? readableUnit(v.unit) : ''].filter(nonEmpty).join(' '))
    .filter(nonEmpty);
  if (values.length > 0) parts.push(values.join(', '));
  const patient = describePatient(facts);
  if (patient) parts.push(patient);
  const conditions = (facts.conditions ?? [])
    .map((c) => (typeof c === 'string' ? c : (c.display ?? c.code?.display)))
    .filter(nonEmpty)
    .filter((c) => c.toLowerCase() !== hypothesis.toLowerCase())
    .slice(0, options.maxConditions ?? 4);
  if (conditions.length > 0) parts.push(`with ${conditions.join(', ')}`);

  const codings: CodingLike[] = [finding.code, ...(facts.conditions ?? []).map((c) => (typeof c === 'string' ? undefined : c.code))].filter(
    (c): c is CodingLike => c !== undefined && nonEmpty(c.system) && nonEmpty(c.code),
  );
  const preferCodes = toCodeFilter(codings);
  const findingCodes = finding.code ? toCodeFilter([finding.code]) : undefined;
  return {
    text: parts.join('. '),
    ...(options.filterByFindingCode && findingCodes && { filters: { codes: findingCodes } }),
    ...(preferCodes && { preferCodes }),
  };
}

function describePatient(facts: PatientFacts): string {
  const words: string[] = [];
  const age = facts.age;
  if (age !== undefined && Number.isFinite(age) && age >= 0) {
    words.push(`${Math.floor(age)} years old`);
    words.push(age < 1 ? 'infant' : age < 12 ? 'child' : age < 18 ? 'adolescent' : age < 65 ? 'adult' : 'older adult');
  }
  const sex = facts.sex?.toLowerCase();
  if (sex === 'female' || sex === 'male') {
    const adult = age === undefined || age >= 18;
    words.push(sex === 'female' ? (adult ? 'woman' : 'girl') : adult ? 'man' : 'boy');
  }
  if (facts.pregnant) words.push('pregnant');
  return words.join(' ');
}

function toCodeFilter(codings: readonly CodingLike[]): CodeFilter | undefined {
  const out: Record<string, string[]> = {};
  for (const c of codings) {
    if (!c.system || !c.code) continue;
    const key = codeSystemKey(c.system);
    const list = (out[key] ??= []);
    if (!list.includes(c.code)) list.push(c.code);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function nonEmpty(s: string | undefined | null): s is string {
  return typeof s === 'string' && s.trim().length > 0;
}
