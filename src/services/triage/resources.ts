/**
 * ESI v4 decision point C: how many different resources the ED is expected to use before a
 * disposition (AHRQ ESI v4 Implementation Handbook, 2005, chapter 5). Pure: the chief complaint,
 * age and the number of active problems in, an estimate with its basis out.
 *
 * The knowledge is data, `resource-needs.json`: for common complaints, the kinds of resource that
 * prudent and customary emergency care uses, each row citing the handbook chapter or example it
 * follows. The complaint is matched word by word, not as a string: words are lower-cased,
 * abbreviations and synonyms mapped ("abd" → abdominal, "sob" → dyspnea), plurals stemmed, and a
 * word of five letters or more that is not itself a word of the table may differ from the table's
 * by one edit (misspellings such as "sezure"; "scalp" stays "scalp", never "scald"). A row term matches when all its words occur in the complaint, in any order
 * ("pain, chest" is chest pain). When several rows match different parts of the complaint the
 * resources are added up (two complaints need the resources of both); a match contained in a
 * longer one is dropped ("eye foreign body" is not also "eye").
 *
 * It never guesses down: no complaint, or a complaint that matches no row, gives `unknown`, and
 * the acuity stays at level 3 with the card saying the resources could not be estimated.
 */
import { withoutNegatedFindings } from './negation.js';
import { asciiFold, isStopWord, stem } from '../../text/tokens.js';
import table from './resource-needs.json' with { type: 'json' };

export type ResourceType =
  | 'lab'
  | 'ecg'
  | 'xray'
  | 'advanced-imaging'
  | 'iv-fluids'
  | 'parenteral-medication'
  | 'specialty-consultation'
  | 'simple-procedure'
  | 'complex-procedure';

export interface ResourceRow {
  id: string;
  label: string;
  terms: string[];
  resources: ResourceType[];
  citation: string;
  /** Set when the handbook (ch. 4) names the complaint a high-risk situation: decision point B, with this citation. */
  highRisk?: string;
  /** The situation is high risk only for a patient younger than this many years (ch. 4, Pediatrics). */
  highRiskBelowAge?: number;
}

export interface ResourceTable {
  resourceTypes: Record<ResourceType, string>;
  synonyms: Record<string, string>;
  /** Words that do not change which row applies (side, timing): ignored when asking whether the table understood the whole complaint. */
  fillerWords: string[];
  rows: ResourceRow[];
}

export const RESOURCE_TABLE: ResourceTable = table as ResourceTable;

/** A table row the complaint matched, with the words that matched it. */
export interface ResourceMatch {
  rowId: string;
  label: string;
  /** The complaint's words (after synonyms) that the row's term matched. */
  matchedWords: string[];
  resources: ResourceType[];
  citation: string;
  highRisk?: string;
  highRiskBelowAge?: number;
}

export interface ResourceAdjustment {
  id: 'older-adult' | 'multiple-active-problems' | 'problem-list-unread';
  detail: string;
  citation: string;
}

export type ResourceCount = 'none' | 'one' | 'many';

export interface EstimatedResources {
  status: 'estimated';
  count: ResourceCount;
  /** One line: the resources and why, computed from the matches and adjustments. */
  basis: string;
  /** Distinct kinds of resource expected (ESI counts kinds, not tests). */
  resources: ResourceType[];
  matches: ResourceMatch[];
  adjustments: ResourceAdjustment[];
  /**
   * Words of the complaint no row accounts for (function and filler words aside). Empty: the table
   * understood the whole complaint, and its high-risk verdict can stand alone (acuity.ts,
   * `highRiskSource: 'table-first'`).
   */
  unexplainedWords: string[];
  /**
   * Parts of a complaint of several ("L leg pain, s/p fall, SDH": split at commas, semicolons,
   * slashes between words, plus signs and spaced dashes) of which the table read no word, as
   * written. Such a part is a complaint of its own whose resources are unknown, so the estimate
   * covers only the rest (acuity.ts keeps level 3). A word left over within a part the table read
   * ("itchy rash on arms") qualifies that part and is not one.
   */
  unreadParts: string[];
}

export interface ResourceEstimateInput {
  complaint: string | null | undefined;
  /** Age in completed years, or null when unknown. */
  ageYears: number | null;
  /**
   * Active, confirmed problems on the record (the handbook's "multiple chronic medical problems").
   * null: the problem list could not be read (the EHR's prefetch failed and Cairn could not fetch
   * it), so the step up for multiple problems can be neither given nor ruled out.
   */
  activeProblems?: number | null;
}

export interface ResourceEstimateOptions {
  /**
   * From this age an estimate of fewer than two resources is raised by one step (none → one,
   * one → many). ESI v4 ch. 5: "an older adult with multiple chronic medical problems ... with a
   * head laceration from a fall will clearly need multiple resources". The handbook gives no age;
   * the number is the operating point chosen by cross-validation (docs/EVALUATION.md). null: off.
   */
  olderAdultAge: number | null;
  /** From this many active problems the same step up applies (ch. 5 example above). null: off. */
  multipleProblemsAtLeast: number | null;
}

/**
 * The operating point, chosen on the KTAS development split (Moon et al. 2019, 618 records) by the
 * rule in docs/EVALUATION.md: the lowest over-triage whose under-triage is at most the nurse's and
 * at most Cairn's before resources were estimated, checked by 5-fold cross-validation.
 * `npm run eval:triage -- --data <ktas.jsonl> --sweep` recomputes the curve and the choice.
 */
export const DEFAULT_RESOURCE_OPTIONS: ResourceEstimateOptions = { olderAdultAge: 80, multipleProblemsAtLeast: 2 };

export const RESOURCE_CITATION =
  'ESI v4 Implementation Handbook (AHRQ 2005), ch. 3 decision point C and ch. 5: two or more resources → level 3, one → level 4, none → level 5';

export type ResourceEstimateResult = EstimatedResources | { status: 'unknown'; reason: string; matches: [] };

// --- words ---------------------------------------------------------------------------------------

/** Lower-case words with synonyms applied (one word may become several), plurals stemmed. */
export function complaintWords(text: string, synonyms: Record<string, string> = RESOURCE_TABLE.synonyms): string[] {
  const raw = asciiFold(text).toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const out: string[] = [];
  for (const w of raw) {
    const mapped = synonyms[w] ?? synonyms[stem(w)];
    if (mapped !== undefined) out.push(...mapped.split(' ').map((m) => stem(m)));
    else out.push(stem(w));
  }
  return out;
}

/** True when the two words are equal or, both five letters or more, one edit apart (Damerau). */
export function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length < 5 || b.length < 5 || Math.abs(a.length - b.length) > 1) return false;
  return withinOneEdit(a, b);
}

function withinOneEdit(a: string, b: string): boolean {
  if (a.length === b.length) {
    const diff: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
    if (diff.length === 1) return true;
    // One transposition of neighbours ("rigth").
    return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
  }
  const [s, l] = a.length < b.length ? [a, b] : [b, a];
  let i = 0;
  while (i < s.length && s[i] === l[i]) i++;
  return s.slice(i) === l.slice(i + 1);
}

/**
 * A term's slot alternative that any stated amount fills ("took 30 tablets", "took ten pills"):
 * written `#number` in the table.
 */
const NUMBER_SLOT = '#number';
const NUMBER = /^(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|dozen)$/;

/** A term as slots of alternatives: "ankle|knee pain|injury" is [[ankle, knee], [pain, injury]]. */
function termSlots(term: string, synonyms: Record<string, string>): string[][] {
  return term
    .split(' ')
    .filter(Boolean)
    .map((slot) => slot.split('|').map((alt) => (alt === NUMBER_SLOT ? NUMBER_SLOT : complaintWords(alt, synonyms).join(' '))));
}

/**
 * A table made ready for matching, once per table: each row's terms as slots, and the vocabulary
 * (every word of the terms: a complaint word that is one of them matches only itself, "scalp" is
 * not "scald"). Building the slots of every term took most of a triage call's CPU when done per call.
 */
interface CompiledTable {
  rows: Array<{ row: ResourceRow; terms: string[][][] }>;
  vocabulary: Set<string>;
}

const COMPILED = new WeakMap<ResourceTable, CompiledTable>();

function compiled(t: ResourceTable): CompiledTable {
  let c = COMPILED.get(t);
  if (!c) {
    const rows = t.rows.map((row) => ({ row, terms: row.terms.map((term) => termSlots(term, t.synonyms)) }));
    const vocabulary = new Set(rows.flatMap((r) => r.terms.flatMap((slots) => slots.flat().flatMap((alt) => (alt === NUMBER_SLOT ? [] : alt.split(' '))))));
    COMPILED.set(t, (c = { rows, vocabulary }));
  }
  return c;
}

/** The complaint words a term matches (each slot by a different word), or null. */
function matchTerm(slots: string[][], words: readonly string[], vocabulary: ReadonlySet<string>): string[] | null {
  const like = (w: string, p: string): boolean => (p === NUMBER_SLOT ? NUMBER.test(w) : w === p || (!vocabulary.has(w) && sameWord(w, p)));
  const used: string[] = [];
  const usedIdx = new Set<number>();
  for (const alternatives of slots) {
    let found = false;
    for (const alt of alternatives) {
      // An alternative may be several words after synonyms ("lbp" → low back pain): all must occur.
      const parts = alt.split(' ');
      const idx: number[] = [];
      for (const p of parts) {
        const k = words.findIndex((w, j) => !usedIdx.has(j) && !idx.includes(j) && like(w, p));
        if (k < 0) break;
        idx.push(k);
      }
      if (idx.length === parts.length) {
        idx.forEach((k) => usedIdx.add(k));
        used.push(...idx.map((k) => words[k]!));
        found = true;
        break;
      }
    }
    if (!found) return null;
  }
  return used;
}

// --- the estimate --------------------------------------------------------------------------------

/**
 * Matches kept per table and complaint text: an emergency department sees the same few hundred
 * complaints ("chest pain", "abd pain") all day, and matching one against every term of the table
 * was the largest part of a triage call's CPU after its compilation (CPU profile of bench:hooks,
 * 2026-12-06). Bounded, oldest out first, so free text cannot grow it without end.
 */
const MATCH_CACHE_SIZE = 5000;
const MATCHES = new WeakMap<ResourceTable, Map<string, readonly ResourceMatch[]>>();

/** Every row the complaint matches, longest term first, matches contained in another dropped. */
export function matchResourceRows(complaint: string, t: ResourceTable = RESOURCE_TABLE): ResourceMatch[] {
  let cache = MATCHES.get(t);
  if (!cache) MATCHES.set(t, (cache = new Map()));
  let found = cache.get(complaint);
  if (!found) {
    found = matchRows(complaint, t);
    if (cache.size >= MATCH_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(complaint, found);
  }
  return [...found];
}

function matchRows(complaint: string, t: ResourceTable): ResourceMatch[] {
  const words = complaintWords(complaint, t.synonyms);
  const { rows, vocabulary } = compiled(t);
  const candidates: ResourceMatch[] = [];
  for (const { row, terms } of rows) {
    let best: string[] | null = null;
    // Every word any of the row's terms matched: "vomiting and diarrhea" is one row read through two
    // of its terms, and a word left out would count as one the table did not understand.
    const all = new Set<string>();
    for (const slots of terms) {
      const m = matchTerm(slots, words, vocabulary);
      if (!m) continue;
      for (const w of m) all.add(w);
      if (!best || m.length > best.length) best = m;
    }
    if (best) {
      const bestWords = best;
      candidates.push({
        rowId: row.id,
        label: row.label,
        matchedWords: [...bestWords, ...[...all].filter((w) => !bestWords.includes(w))],
        resources: [...row.resources],
        citation: row.citation,
        ...(row.highRisk !== undefined && { highRisk: row.highRisk }),
        ...(row.highRiskBelowAge !== undefined && { highRiskBelowAge: row.highRiskBelowAge }),
      });
    }
  }
  // Drop a match whose words are all inside a strictly longer match ("eye" inside "eye foreign body").
  return candidates
    .filter((m) => !candidates.some((o) => o !== m && o.matchedWords.length > m.matchedWords.length && m.matchedWords.every((w) => o.matchedWords.includes(w))))
    .sort((x, y) => y.matchedWords.length - x.matchedWords.length);
}

/** ESI counts kinds of resource; a complex procedure (conscious sedation) counts two (appendix A, ch. 5 FAQ 4). */
export function countOf(resources: readonly ResourceType[]): ResourceCount {
  const n = new Set(resources).size + (resources.includes('complex-procedure') ? 1 : 0);
  return n === 0 ? 'none' : n === 1 ? 'one' : 'many';
}

const STEP_UP: Record<ResourceCount, ResourceCount> = { none: 'one', one: 'many', many: 'many' };

export function describeResources(resources: readonly ResourceType[], t: ResourceTable = RESOURCE_TABLE): string {
  return resources.length === 0 ? 'no resources' : [...new Set(resources)].map((r) => t.resourceTypes[r]).join(', ');
}

export function estimateResources(
  input: ResourceEstimateInput,
  options: ResourceEstimateOptions = DEFAULT_RESOURCE_OPTIONS,
  t: ResourceTable = RESOURCE_TABLE,
): ResourceEstimateResult {
  const complaint = input.complaint?.trim();
  if (!complaint || !/\p{L}/u.test(complaint)) return { status: 'unknown', reason: 'no chief complaint recorded', matches: [] };
  // What the complaint says is absent ("no chest pain, here for a refill") is not matched.
  const read = withoutNegatedFindings(complaint);
  if (!/\p{L}/u.test(read)) return { status: 'unknown', reason: `chief complaint "${complaint}" states only what is absent`, matches: [] };
  const matches = forPatientAge(matchResourceRows(read, t), input.ageYears);
  if (matches.length === 0) {
    return { status: 'unknown', reason: `chief complaint "${complaint}" matched no row of the resource table`, matches: [] };
  }
  const resources = [...new Set(matches.flatMap((m) => m.resources))];
  const explained = new Set(matches.flatMap((m) => m.matchedWords));
  const filler = new Set(t.fillerWords.map((w) => stem(w)));
  const unexplainedWords = meaningfulWords(read, filler, t).filter((w) => !explained.has(w));
  let count = countOf(resources);
  const adjustments: ResourceAdjustment[] = [];
  if (count !== 'many') {
    const example = 'ESI v4 ch. 5 example: an older adult with multiple chronic medical problems needs more resources than a healthy teenager with the same injury';
    if (options.olderAdultAge !== null && input.ageYears !== null && input.ageYears >= options.olderAdultAge) {
      adjustments.push({ id: 'older-adult', detail: `age ${input.ageYears} years (≥ ${options.olderAdultAge}): one more resource expected`, citation: example });
    } else if (options.multipleProblemsAtLeast !== null && input.activeProblems === null) {
      // Missing data never makes a patient less urgent: the step up a long problem list would give is assumed.
      adjustments.push({
        id: 'problem-list-unread',
        detail: 'the problem list could not be read, so the step up for multiple active problems cannot be ruled out: one more resource assumed',
        citation: example,
      });
    } else if (options.multipleProblemsAtLeast !== null && (input.activeProblems ?? 0) >= options.multipleProblemsAtLeast) {
      adjustments.push({
        id: 'multiple-active-problems',
        detail: `${input.activeProblems} active problems on the record (≥ ${options.multipleProblemsAtLeast}): one more resource expected`,
        citation: example,
      });
    }
    if (adjustments.length > 0) count = STEP_UP[count];
  }
  const rows = matches.map((m) => `"${m.label}"`).join(' and ');
  const basis = `complaint matched ${rows}: ${describeResources(resources, t)}${adjustments.length > 0 ? `; ${adjustments.map((a) => a.detail).join('; ')}` : ''}`;
  return { status: 'estimated', count, basis, resources, matches, adjustments, unexplainedWords: [...new Set(unexplainedWords)], unreadParts: unreadParts(read, explained, filler, t) };
}

/**
 * A situation the handbook names high risk for children only (ch. 4, Pediatrics: seizures, burns,
 * head trauma…) is not high risk for an older patient, nor for one whose age is unknown: the row
 * then counts its resources only, as it did before it was high risk for anyone.
 */
function forPatientAge(matches: readonly ResourceMatch[], ageYears: number | null): ResourceMatch[] {
  return matches.map((m) => {
    if (m.highRisk === undefined || m.highRiskBelowAge === undefined || (ageYears !== null && ageYears < m.highRiskBelowAge)) return m;
    const { highRisk: _highRisk, ...adult } = m;
    return adult;
  });
}

/** The words of a complaint that say something: not filler (side, timing), function words, numbers or single letters. */
function meaningfulWords(text: string, filler: ReadonlySet<string>, t: ResourceTable): string[] {
  return complaintWords(text, t.synonyms).filter((w) => !filler.has(w) && !isStopWord(w) && !/^\d+$/.test(w) && w.length > 1);
}

/**
 * Where a complaint of several parts is split: the separators EHRs and nurses put between
 * complaints. A slash between single letters is an abbreviation ("s/p", "n/v/d", "h/o"), not one.
 */
const COMPLAINT_PARTS = /[,;+]|\s-\s|(?<=[a-z]{2})\/|\/(?=[a-z]{2})/i;

/**
 * The parts of a complaint of several of which the table read no word (ResourceEstimate.unreadParts).
 * Read in the whole complaint, not part by part: "pain, leg" is leg pain written the other way round.
 */
function unreadParts(complaint: string, explained: ReadonlySet<string>, filler: ReadonlySet<string>, t: ResourceTable): string[] {
  const parts = complaint.split(COMPLAINT_PARTS).map((p) => p.trim());
  if (parts.length < 2) return [];
  return parts.filter((part) => {
    const content = meaningfulWords(part, filler, t);
    return content.length > 0 && content.every((w) => !explained.has(w));
  });
}
