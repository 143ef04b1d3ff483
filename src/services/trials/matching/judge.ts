/**
 * matching/ holds the pure stages of trial matching (criteria-parse, profile, measurements,
 * lexicon, trial-record, judge, rank, llm-refine): no database, no file, no embedding call, so
 * each is importable and table-testable in a unit test; store/ does the I/O (see ../match.ts).
 *
 * Criterion-level judgement: for one patient and one criterion, met / not met / unknown, with the
 * evidence it rests on (a PatientContext value with its source, or a sentence of a note) and a
 * reason a coordinator can read.
 *
 * Order of evidence:
 *   1. Structured checks against the record: age, sex, pregnancy, lab and vital thresholds
 *      (canonical units), coded conditions and medications (Cairn value sets), performance status.
 *   2. The notes: the same facts as stated in note sentences (concept mentions with negation,
 *      values such as "creatinine 2.3"); age and sex from the notes when the record lacks them.
 *   3. For what the parser could not structure: semantic and lexical matching of note sentences
 *      against the criterion (see SUPPORT below), with negation.
 *
 * "Met" is about the criterion's own statement: an exclusion criterion that is met excludes the
 * patient. An inclusion requirement counts as met only when it is documented.
 *
 * Unmentioned facts: following TrialGPT's criterion-level protocol (Jin et al., Nat Commun
 * 2024; its annotators and prompts treat "a medically important fact the note does not mention"
 * as not true for the patient), a condition, medication or other fact that no part of the record
 * mentions is assumed absent — but only in the patient's favour: the assumption may make an
 * exclusion "not met" or a "no history of X" inclusion "met", never an inclusion "not met" or an
 * exclusion "met" ("not documented" is not "documented absent"; the screener checks). The same
 * holds for a qualified fact the record does not show ("uncontrolled" hypertension, an MI "within
 * 6 months", unless the note dates it: see timeWindowPart) and for a lab threshold an exclusion
 * ties to a condition it names; a lab threshold alone, age, sex and inclusion thresholds are
 * never assumed. A fact the note states as history
 * only ("history of asthma") does not establish a criterion about the present ("active asthma"):
 * unknown. Judgements made this way have basis
 * `assumed-absent`, so a card can show them apart; ranking never excludes on them.
 */
import { LRUCache } from 'lru-cache';
import { ALLERGY_WORDING, PARTICIPANT_NOUNS, type CriterionKind, type CriterionStructure, type ConceptReference, type ParsedCriterion } from './criteria-parse.js';
import { conceptDescendants, medicationMentions } from './lexicon.js';
import { compare, type MeasurementStatement } from './measurements.js';
import type { FactEvidence, PatientProfile, ValueEvidence } from './profile.js';
import { assertionAt, assertionSpans } from '../../../text/negation.js';
import { cosineWith, sumOfSquares } from '../../../search/cosine.js';
import { asciiFold, contentWords, isGeneric, stem, words } from '../../../text/tokens.js';

export type CriterionStatus = 'met' | 'not-met' | 'unknown';

/**
 * What a judgement rests on: the structured record, a note sentence, the assumption that an
 * unmentioned fact is absent, the criterion not applying to the patient (pregnancy criteria for a
 * man: status unknown), a language model's verdict citing a sentence of the record that Cairn
 * found there (llm-refine.ts; only for criteria this judge left unknown), or nothing (unknown).
 */
export type JudgementBasis = 'record' | 'note' | 'assumed-absent' | 'not-applicable' | 'llm' | 'none';

export interface Evidence {
  kind: 'record' | 'note';
  /** `Patient/1`, `Observation/7`, `DocumentReference/3`. */
  source: string;
  /** The value or the sentence, as recorded. */
  text: string;
  /** Note evidence: the sentence's index in the profile, and its position within its note. */
  sentence?: number;
  /** Semantic matches: cosine similarity and word overlap with the criterion. */
  similarity?: number;
  overlap?: number;
}

export interface CriterionJudgement {
  /** Position of the criterion in the trial's list. */
  index: number;
  kind: CriterionKind;
  text: string;
  category: CriterionStructure['category'];
  origin: ParsedCriterion['origin'];
  /** Shared by alternatives ("one of the following"): the group holds when any member does. */
  alternatives?: string;
  status: CriterionStatus;
  basis: JudgementBasis;
  evidence: Evidence[];
  reason: string;
}

export interface JudgeOptions {
  /** Minimum cosine similarity between criterion and sentence for a semantic match (see SUPPORT). */
  similarityThreshold?: number;
  /** Minimum share of the criterion's content words found in the sentence (see SUPPORT). */
  overlapThreshold?: number;
  /**
   * Minimum cosine similarity when the sentence holds every content word of the criterion (or of
   * one of its alternatives) and there are at least two (see SUPPORT).
   */
  fullOverlapSimilarityThreshold?: number;
  /** Apply the unmentioned-facts rule (default true). */
  assumeUnmentionedAbsent?: boolean;
}

/**
 * SUPPORT — when a note sentence supports a criterion the parser could not structure:
 *   - word overlap ≥ 0.5: at least half of the criterion's content words (stemmed; function
 *     words and trial boilerplate removed, src/text/tokens.ts) occur in the sentence — a majority of what the
 *     criterion is about is named there;
 *   - and cosine similarity ≥ 0.55 with the default encoder (USE-lite): the 95th percentile of
 *     the similarity between eligibility criteria and note sentences of unrelated patients
 *     (20,000 random pairs of SIGIR trials' criteria and TREC CT 2021 note sentences: median
 *     0.31, 90th percentile 0.50, 95th 0.55), i.e. at most a 5 % chance that an unrelated
 *     sentence passes on meaning alone. Another encoder calibrates its own threshold the same way
 *     and passes it in `similarityThreshold`.
 * Both must pass: overlap alone matches "no history of heart disease" to "Raynaud's disease",
 * similarity alone matches sentences that are about the same organ but not the same fact.
 *   - When the sentence holds every content word of the criterion (or of one alternative), at
 *     least two, cosine ≥ 0.40 is enough: the words themselves are stated ("respiratory
 *     distress" inside a long examination sentence scores 0.41). 0.40 was chosen on the
 *     TrialGPT criterion annotations marked `training` (426; grid 0.55 → 0 in steps of 0.05, the
 *     highest value with the best accuracy there; 0.55 to 0.45 and 0.40 to 0 tie) and reported on
 *     the 63 held out (no change there), 2026-12-06. Similarity alone, without the words, is no
 *     evidence: for the inclusion criteria left unknown no threshold from 0.60 to 0.90 met more
 *     criteria the physicians marked included than ones they did not (docs/EVALUATION.md).
 */
export const DEFAULT_OVERLAP_THRESHOLD = 0.5;
export const DEFAULT_SIMILARITY_THRESHOLD = 0.55;
export const DEFAULT_FULL_OVERLAP_SIMILARITY_THRESHOLD = 0.4;

type SupportThresholds = Required<Pick<JudgeOptions, 'similarityThreshold' | 'overlapThreshold' | 'fullOverlapSimilarityThreshold'>>;

/** A part of a criterion, judged: true = the part's statement holds for the patient. */
interface Part {
  holds: boolean | null;
  /** The fact is not mentioned anywhere: the unmentioned-facts rule may decide it (holds = assumeAbsent). */
  unmentioned?: { holdsIfAbsent: boolean };
  basis: JudgementBasis;
  evidence: Evidence[];
  reason: string;
}

/** Evidence for a fact read from a note's sentence or from the record (a condition, age, sex, a value). */
function factEvidence(f: { source: string; text: string; sentence?: number }): Evidence & { kind: 'note' | 'record' } {
  return f.sentence !== undefined ? { kind: 'note', source: f.source, text: f.text, sentence: f.sentence } : { kind: 'record', source: f.source, text: f.text };
}

function describeRange(min: number | undefined, max: number | undefined, minIncl: boolean, maxIncl: boolean): string {
  const lo = min !== undefined ? `${minIncl ? '≥' : '>'} ${min}` : '';
  const hi = max !== undefined ? `${maxIncl ? '≤' : '<'} ${max}` : '';
  return [lo, hi].filter(Boolean).join(' and ');
}

function agePart(profile: PatientProfile, s: CriterionStructure): Part | undefined {
  const range = s.age;
  if (!range) return undefined;
  const wanted = describeRange(range.min, range.max, range.minInclusive, range.maxInclusive);
  const age = profile.age;
  if (!age) return { holds: null, basis: 'none', evidence: [], reason: `age ${wanted} years required; the patient's age is not recorded` };
  const a = age.value;
  const okMin = range.min === undefined || (range.minInclusive ? a >= range.min : a > range.min);
  const okMax = range.max === undefined || (range.maxInclusive ? a <= range.max : a < range.max);
  const evidence = factEvidence(age);
  return {
    holds: okMin && okMax,
    basis: evidence.kind,
    evidence: [evidence],
    reason: `age ${Number(a.toFixed(1))} years; ${wanted} years ${okMin && okMax ? 'holds' : 'does not hold'}`,
  };
}

function sexPart(profile: PatientProfile, s: CriterionStructure): Part | undefined {
  if (!s.sex) return undefined;
  const sex = profile.sex;
  if (s.sex === 'any') {
    const evidence = sex ? [factEvidence(sex)] : [];
    return { holds: true, basis: sex?.sentence !== undefined ? 'note' : 'record', evidence, reason: 'either sex' };
  }
  if (!sex) return { holds: null, basis: 'none', evidence: [], reason: `${s.sex} required; sex not recorded` };
  const evidence = factEvidence(sex);
  return { holds: sex.value === s.sex, basis: evidence.kind, evidence: [evidence], reason: `${sex.value}; ${s.sex} ${sex.value === s.sex ? 'matches' : 'required'}` };
}

/** Evidence about a concept (or a narrower one), strongest first: present, then absent, then uncertain. */
function conceptFacts(
  map: Map<string, FactEvidence[]>,
  conceptId: string,
  except: readonly string[] = [],
): { present: FactEvidence[]; absent: FactEvidence[]; uncertain: FactEvidence[]; past: FactEvidence[]; narrowerOnly: boolean } {
  let own = map.get(conceptId) ?? [];
  let narrowerIds = conceptDescendants(conceptId);
  if (except.length > 0) {
    // The narrower concepts the criterion leaves out ("other than asthma") are no evidence for it,
    // nor is their evidence, which the profile also files under each broader concept.
    const left = new Set(except.flatMap((id) => [id, ...conceptDescendants(id)]));
    const key = (f: FactEvidence) => `${f.source}\u0000${f.sentence ?? ''}\u0000${f.text}`;
    const leftEvidence = new Set([...left].flatMap((id) => (map.get(id) ?? []).map(key)));
    own = own.filter((f) => !leftEvidence.has(key(f)));
    narrowerIds = narrowerIds.filter((id) => !left.has(id));
  }
  const narrower = narrowerIds.flatMap((id) => map.get(id) ?? []);
  const all = [...own, ...narrower.filter((f) => f.status === 'present')];
  return {
    present: all.filter((f) => f.status === 'present'),
    absent: own.filter((f) => f.status === 'absent'),
    uncertain: own.filter((f) => f.status === 'uncertain'),
    past: [...own, ...narrower].filter((f) => f.status === 'past'),
    narrowerOnly: own.length === 0 && narrower.length > 0,
  };
}

/** Whether a broader concept's evidence exists (the record says "diabetes", the criterion asks "type 2 diabetes"). */
function broaderPresent(map: Map<string, FactEvidence[]>, ref: ConceptReference): FactEvidence | undefined {
  // The judge only needs to know that a broader fact exists, to say unknown rather than absent.
  for (const [id, facts] of map) {
    if (id === ref.conceptId) continue;
    if (conceptDescendants(id).includes(ref.conceptId)) {
      const present = facts.find((f) => f.status === 'present');
      if (present) return present;
    }
  }
  return undefined;
}

function conceptPart(map: Map<string, FactEvidence[]>, ref: ConceptReference, what: 'condition' | 'medication', criterionText = ''): Part {
  const facts = conceptFacts(map, ref.conceptId, ref.except);
  const wantPresent = !ref.negated;
  const label = ref.label.toLowerCase();
  if (facts.present.length > 0) {
    const f = facts.present[0] as FactEvidence;
    const timed = ref.qualifiers?.includes('time limit')
      ? (timeWindowPart(facts.present, ref, criterionText, wantPresent) ?? durationPart(facts.present, ref, criterionText, wantPresent))
      : undefined;
    if (timed) return timed;
    // A note sentence stating it as history, or as over ("quit smoking in 2010": history.ts).
    const asHistory = (e: FactEvidence) => e.sentence !== undefined && (HISTORY_ONLY.test(e.text) || e.past === true);
    const history = asksCurrent(criterionText) ? facts.present.find(asHistory) : undefined;
    if (history && facts.present.every(asHistory)) {
      // "Active tuberculosis" asked; the note says "history of tuberculosis": whether it is active
      // now is not stated. Unknown, and not assumed either way.
      return { holds: null, basis: 'none', evidence: [factEvidence(history)], reason: `${label} recorded as history; the criterion asks about the present` };
    }
    if (ref.qualified && !qualifierShown(facts.present, ref)) {
      // "Uncontrolled hypertension" asked; the record shows hypertension, not that it is
      // uncontrolled: the qualified fact itself is not mentioned.
      return {
        holds: null,
        unmentioned: { holdsIfAbsent: !wantPresent },
        basis: 'none',
        evidence: [factEvidence(f)],
        reason: `${label} is recorded, but not as ${(ref.qualifiers ?? ['qualified']).join(', ')}`,
      };
    }
    return { holds: wantPresent, basis: f.sentence !== undefined ? 'note' : 'record', evidence: [factEvidence(f)], reason: `${label} present` };
  }
  if (facts.absent.length > 0) {
    const f = facts.absent[0] as FactEvidence;
    return { holds: !wantPresent, basis: f.sentence !== undefined ? 'note' : 'record', evidence: [factEvidence(f)], reason: `${label} documented absent` };
  }
  if (facts.uncertain.length > 0) {
    const f = facts.uncertain[0] as FactEvidence;
    return { holds: null, basis: 'none', evidence: [factEvidence(f)], reason: `${label} only suspected or uncertain` };
  }
  if (facts.past.length > 0) {
    // Whether a criterion means "ever" or "now" is for the screener to read: history is shown, not judged.
    const f = facts.past[0] as FactEvidence;
    return { holds: null, basis: 'none', evidence: [factEvidence(f)], reason: `${label} recorded, but resolved or inactive by now` };
  }
  const broader = broaderPresent(map, ref);
  if (broader) {
    return { holds: null, basis: 'none', evidence: [factEvidence(broader)], reason: `a broader ${what} is recorded; ${label} itself is not stated` };
  }
  return { holds: null, unmentioned: { holdsIfAbsent: !wantPresent }, basis: 'none', evidence: [], reason: `${label} not mentioned` };
}

/** "No known drug allergies", "NKDA", "no known allergies": every drug allergy documented absent. */
const NO_KNOWN_ALLERGIES = /\b(?:no known (?:drug )?allergies|nkda|nka)\b/i;

/**
 * An allergy to a medication ("Known allergy to penicillin"): the record's AllergyIntolerance
 * entries, then a note sentence that names the drug (or a narrower one) beside allergy wording.
 * Taking the drug is not an allergy to it (that once made the criterion met on "Currently taking
 * amoxicillin"). "No known drug allergies" documents it absent; otherwise it is unmentioned.
 */
function allergyPart(profile: PatientProfile, ref: ConceptReference): Part {
  const wanted = new Set([ref.conceptId, ...conceptDescendants(ref.conceptId)]);
  // A concept may group many drugs ("penicillin" and "vancomycin" are both the antibiotic concept):
  // an allergy to one is not an allergy to another, so a drug named in the criterion must be named
  // in the allergy; only the class's own name ("antibiotics") takes any of its drugs.
  const singular = (t: string) => asciiFold(t).toLowerCase().replace(/s$/, '');
  const classWide = singular(ref.text) === singular(ref.label);
  const same = (m: { conceptId: string; text: string }) => wanted.has(m.conceptId) && (classWide || singular(m.text) === singular(ref.text));
  // Read as a note sentence is (profile.ts readSentence).
  const names = (text: string) => medicationMentions(asciiFold(text), true).some((m) => same(m) && !m.negativeForm);
  const label = `allergy to ${ref.text.toLowerCase()}`;
  const wantPresent = !ref.negated;
  for (const a of profile.context.allergies) {
    if (a.clinicalStatus === 'inactive' || a.clinicalStatus === 'resolved') continue;
    const text = [a.text, ...a.codings.map((c) => c.display ?? '')].filter(Boolean).join('; ');
    if (text && names(text)) return { holds: wantPresent, basis: 'record', evidence: [{ kind: 'record', source: a.source, text }], reason: `${label} recorded` };
  }
  for (const sentence of profile.sentences) {
    if (!ALLERGY_WORDING.test(sentence.text)) continue;
    const mention = sentence.medications.find(same);
    if (!mention) continue;
    const evidence = [factEvidence({ source: sentence.source, text: sentence.text, sentence: sentence.index })];
    if (mention.assertion === 'affirmed') return { holds: wantPresent, basis: 'note', evidence, reason: `${label} stated` };
    if (mention.assertion === 'negated') return { holds: !wantPresent, basis: 'note', evidence, reason: `${label} denied` };
  }
  const none = profile.sentences.find((x) => NO_KNOWN_ALLERGIES.test(x.text));
  if (none) return { holds: !wantPresent, basis: 'note', evidence: [factEvidence({ source: none.source, text: none.text, sentence: none.index })], reason: 'no drug allergies documented' };
  return { holds: null, unmentioned: { holdsIfAbsent: !wantPresent }, basis: 'none', evidence: [], reason: `${label} not mentioned` };
}

/**
 * The criterion's qualifiers also appear in one piece of evidence: every qualifying word
 * ("uncontrolled", "brain stem"), currency for a medication ("currently", "taking", "receiving").
 * "Other" (than the condition under study) and a time limit ("within 6 months") are never taken as
 * shown: a note cannot settle them by its words.
 */
const CURRENT_USE = /\b(?:current|currently|ongoing|now|receiving|taking|continues|continuing|on treatment)\b/i;

function qualifierShown(evidence: readonly FactEvidence[], ref: ConceptReference): boolean {
  const qualifiers = ref.qualifiers ?? [];
  if (qualifiers.length === 0) return true;
  if (qualifiers.includes('time limit') || qualifiers.includes('other')) return false;
  return evidence.some((f) => {
    const stems = new Set(words(f.text).map(stem));
    return qualifiers.every((q) => (q === 'current' ? CURRENT_USE.test(f.text) : stems.has(q)));
  });
}

/**
 * Timing: a criterion limited to a recent window ("MI within the last 6 months", "in the past
 * year") against a note that dates the event by elapsed time ("an MI 3 months ago", "2 years
 * earlier"). Only a stated interval decides; without one the qualified fact stays as before (not
 * shown). Units as written: days, weeks, months (30.44 days), years (365.25 days).
 */
const NUMBER_WORDS: Readonly<Record<string, number>> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
};
const UNIT_DAYS: Readonly<Record<string, number>> = { hour: 1 / 24, day: 1, week: 7, month: 30.44, year: 365.25 };
const AMOUNT = String.raw`(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s*-?\s*(hour|day|week|month|year)s?`;
/** The window of a criterion: "within (the past|last) N units", "in the past/last/previous N units", "N units prior to". */
const WINDOW = new RegExp(String.raw`\b(?:within(?: the (?:past|last|previous|preceding))?|(?:in|during) the (?:past|last|previous|preceding))\s+${AMOUNT}\b|\b${AMOUNT}\s+(?:prior to|before)\b`, 'i');
/** "within the past year", "in the last month": one unit. */
const WINDOW_ONE = /\b(?:within|in|during) the (?:past|last|previous|preceding) (day|week|month|year)\b/i;
/** Elapsed time stated for an event: "3 months ago", "two years earlier", "6 weeks prior". */
const ELAPSED = new RegExp(String.raw`\b${AMOUNT}\s+(?:ago|earlier|before|previously|prior)\b`, 'i');

function days(amount: string, unit: string): number | undefined {
  const n = /^\d/.test(amount) ? Number(amount) : NUMBER_WORDS[amount.toLowerCase()];
  const u = UNIT_DAYS[unit.toLowerCase()];
  return n !== undefined && u !== undefined && Number.isFinite(n) ? n * u : undefined;
}

/** The criterion's time window in days, when it states one as an upper bound on how recent. */
export function criterionWindowDays(text: string): number | undefined {
  const m = WINDOW.exec(text);
  if (m) return m[1] && m[2] ? days(m[1], m[2]) : m[3] && m[4] ? days(m[3], m[4]) : undefined;
  const one = WINDOW_ONE.exec(text);
  return one?.[1] ? days('1', one[1]) : undefined;
}

/** Days since the event a sentence dates ("3 months ago"), if it says. */
export function statedElapsedDays(sentence: string): number | undefined {
  const m = ELAPSED.exec(sentence);
  return m?.[1] && m[2] ? days(m[1], m[2]) : undefined;
}

/**
 * Duration: a criterion that asks for a fact lasting at least some time ("fever more than one
 * week", "cough for at least 3 weeks") against a note that says how long it has lasted ("fever
 * and cough for 2 days", "a 3-week history of cough"). Added after looking at the
 * criterion-annotation errors (2026-12-06), as the counterpart of the window rule above.
 */
const MIN_DURATION = new RegExp(String.raw`\b(?:more than|longer than|greater than|over|at least|>=?|≥)\s*${AMOUNT}\b`, 'i');
/** How long the fact has lasted: "for 2 days", "for the past 3 weeks", "a 2-week history of". */
const LASTED = new RegExp(String.raw`\bfor\s+(?:the\s+(?:past|last)\s+)?${AMOUNT}\b|\b${AMOUNT}\s+history\b`, 'gi');

/** The criterion's minimum duration in days ("for more than one week": 7), if it states one. */
export function criterionMinDurationDays(text: string): number | undefined {
  const m = MIN_DURATION.exec(text);
  return m?.[1] && m[2] ? days(m[1], m[2]) : undefined;
}

/** How long a sentence says its fact has lasted, when it states exactly one duration. */
export function statedDurationDays(sentence: string): number | undefined {
  const found = [...sentence.matchAll(LASTED)].map((m) => (m[1] && m[2] ? days(m[1], m[2]) : m[3] && m[4] ? days(m[3], m[4]) : undefined));
  return found.length === 1 ? found[0] : undefined;
}

function durationPart(present: readonly FactEvidence[], ref: ConceptReference, criterionText: string, wantPresent: boolean): Part | undefined {
  const minimum = criterionMinDurationDays(criterionText);
  const others = (ref.qualifiers ?? []).filter((q) => q !== 'time limit');
  if (minimum === undefined || others.length > 0 || criterionWindowDays(criterionText) !== undefined) return undefined;
  const label = ref.label.toLowerCase();
  for (const f of present) {
    if (f.sentence === undefined) continue;
    const lasted = statedDurationDays(f.text);
    if (lasted === undefined) continue;
    const long = lasted >= minimum;
    return {
      holds: long === wantPresent,
      basis: 'note',
      evidence: [factEvidence(f)],
      reason: `${label} for about ${Math.round(lasted)} days: ${long ? 'at least' : 'less than'} the ${Math.round(minimum)} days asked`,
    };
  }
  return undefined;
}

function timeWindowPart(present: readonly FactEvidence[], ref: ConceptReference, criterionText: string, wantPresent: boolean): Part | undefined {
  const window = criterionWindowDays(criterionText);
  // Other qualifiers ("uncontrolled") must still be shown by the words; only timing is settled here.
  const others = (ref.qualifiers ?? []).filter((q) => q !== 'time limit');
  if (window === undefined || others.includes('other')) return undefined;
  const label = ref.label.toLowerCase();
  for (const f of present) {
    if (f.sentence === undefined) continue;
    const elapsed = statedElapsedDays(f.text);
    if (elapsed === undefined) continue;
    if (others.length > 0 && !qualifierShown([f], { ...ref, qualifiers: others })) continue;
    const within = elapsed <= window;
    return {
      holds: within === wantPresent,
      basis: 'note',
      evidence: [factEvidence(f)],
      reason: `${label} about ${Math.round(elapsed)} days ago: ${within ? 'within' : 'outside'} the ${Math.round(window)}-day window`,
    };
  }
  return undefined;
}

/** The criterion asks about the present state ("active", "current", "ongoing"). */
const CURRENT_STATE = /\b(?:active|current|currently|ongoing)\b/i;
function asksCurrent(criterionText: string): boolean {
  return CURRENT_STATE.test(criterionText) && !/\b(?:history of|or history|previous|prior)\b/i.test(criterionText);
}

/** A note sentence that states a fact as history only ("history of", "as a child", "previously", "N years ago"), not as present. */
const HISTORY_ONLY = /\b(?:history of|h\/o|as a child|in childhood|previously|in the past|formerly|former|remote|resolved|\d+ years? ago|years ago)\b/i;

function pregnancyPart(profile: PatientProfile, s: CriterionStructure): Part | undefined {
  const p = s.pregnancy;
  if (!p) return undefined;
  const wantPresent = !p.negated;
  const label = p.states.join(' or ');
  if (profile.sex?.value === 'male') {
    const ev = factEvidence(profile.sex);
    return { holds: !wantPresent, basis: ev.kind, evidence: [ev], reason: `male: not ${label}` };
  }
  const parts = p.states.map((state) =>
    conceptPart(profile.conditions, { conceptId: state === 'pregnant' ? 'pregnancy' : 'breastfeeding', label: state, text: state, negated: false, qualified: false }, 'condition'),
  );
  const present = parts.find((x) => x.holds === true);
  if (present) return { ...present, holds: wantPresent, reason: `${label}: ${present.reason}` };
  const absent = parts.filter((x) => x.holds === false);
  if (absent.length === parts.length) return { ...(absent[0] as Part), holds: !wantPresent, reason: `not ${label}` };
  const uncertain = parts.find((x) => x.holds === null && !x.unmentioned);
  if (uncertain) return { ...uncertain, reason: `${label}: ${uncertain.reason}` };
  return { holds: null, unmentioned: { holdsIfAbsent: !wantPresent }, basis: 'none', evidence: [], reason: `${label} not mentioned` };
}

function performancePart(profile: PatientProfile, s: CriterionStructure): Part | undefined {
  const req = s.performance;
  if (!req) return undefined;
  const want = describeRange(req.min, req.max, true, true);
  const p = profile.performance;
  if (!p) return { holds: null, basis: 'none', evidence: [], reason: `${req.scale.toUpperCase()} ${want} required; performance status not recorded` };
  // ECOG ↔ Karnofsky (Oken et al., Am J Clin Oncol 1982;5:649–655; Buccheri et al., Eur J Cancer
  // 1996;32A:1135–1141): ECOG 0 = KPS 90–100, 1 = 70–80, 2 = 50–60, 3 = 30–40, 4 = 10–20.
  let lo = p.value;
  let hi = p.value;
  if (p.scale !== req.scale) {
    if (p.scale === 'ecog') {
      hi = 100 - 20 * p.value;
      lo = hi - 10;
    } else {
      const e = p.value >= 90 ? 0 : p.value >= 70 ? 1 : p.value >= 50 ? 2 : p.value >= 30 ? 3 : p.value >= 10 ? 4 : 5;
      lo = e;
      hi = e;
    }
  }
  const inRange = (v: number) => (req.min === undefined || v >= req.min) && (req.max === undefined || v <= req.max);
  const ev: Evidence = { kind: 'note', source: p.source, text: p.text, ...(p.sentence !== undefined && { sentence: p.sentence }) };
  if (inRange(lo) && inRange(hi)) return { holds: true, basis: 'note', evidence: [ev], reason: `${p.scale.toUpperCase()} ${p.value}: within ${want}` };
  if (!inRange(lo) && !inRange(hi)) return { holds: false, basis: 'note', evidence: [ev], reason: `${p.scale.toUpperCase()} ${p.value}: outside ${want}` };
  return { holds: null, basis: 'none', evidence: [ev], reason: `${p.scale.toUpperCase()} ${p.value} does not convert unambiguously to ${req.scale}` };
}

function valueHolds(v: ValueEvidence, l: MeasurementStatement): boolean | null {
  const bound = l.canonical && v.canonical ? l.canonical : v.canonical || l.canonical ? undefined : { value: l.value, value2: l.value2, unit: l.unit };
  if (!bound) return null;
  if (!v.canonical && !l.canonical && (v.unit ?? '').toLowerCase().replace(/\s/g, '') !== (l.unit ?? '').toLowerCase().replace(/\s/g, '')) {
    // Same unit written, or no unit on either side: comparable as written.
    if (v.unit && l.unit) return null;
  }
  if (l.analyteId === 'blood-pressure') {
    if (v.value2 === undefined || bound.value2 === undefined) return null;
    const sys = compare(v.value, l.comparator, bound.value);
    const dia = compare(v.value2, l.comparator, bound.value2);
    // "BP > 170/100" is exceeded by either pressure; "BP < 160/90" needs both below.
    return l.comparator === '>' || l.comparator === '>=' ? sys || dia : sys && dia;
  }
  if (v.comparator) {
    // A recorded "<5" or ">60": decidable only when the whole open interval falls on one side.
    const open = v.comparator;
    if ((open === '>' || open === '>=') && (l.comparator === '>' || l.comparator === '>=') && v.value >= bound.value) return true;
    if ((open === '<' || open === '<=') && (l.comparator === '<' || l.comparator === '<=') && v.value <= bound.value) return true;
    return null;
  }
  return compare(v.value, l.comparator, bound.value, bound.value2);
}

function labPart(profile: PatientProfile, l: MeasurementStatement, assumable: boolean): Part | undefined {
  // A bare value ("severe anaemia (Hb 7 g/dL)") or a multiple of the normal limit cannot be checked.
  if (l.comparator === '=' || l.relative) return undefined;
  const bp = l.analyteId === 'blood-pressure';
  let candidates = profile.values.get(l.analyteId) ?? [];
  if (bp && candidates.length === 0) {
    const sys = profile.values.get('systolic-bp')?.[0];
    const dia = profile.values.get('diastolic-bp')?.[0];
    if (sys && dia) candidates = [{ ...sys, analyteId: 'blood-pressure', value2: dia.value, text: `${sys.value}/${dia.value} mmHg` }];
  }
  const label = `${l.label} ${l.comparator} ${l.canonical?.value ?? l.value}${l.value2 !== undefined ? (bp ? `/${l.canonical?.value2 ?? l.value2}` : `–${l.canonical?.value2 ?? l.value2}`) : ''} ${l.canonical?.unit ?? l.unit ?? ''}`.trim();
  for (const v of candidates) {
    const holds = valueHolds(v, l);
    if (holds === null) continue;
    const ev: Evidence = factEvidence(v);
    return {
      holds,
      basis: ev.kind,
      evidence: [ev],
      reason: `${l.label} ${Number(v.value.toPrecision(4))}${v.value2 !== undefined ? `/${v.value2}` : ''} ${v.unit ?? ''}: ${label} ${holds ? 'holds' : 'does not hold'}`.replace(/\s+/g, ' '),
    };
  }
  // No comparable value. A threshold alone ("BMI > 40", "creatinine > 1.28 mg/dL") is unknown, for
  // an exclusion too: a lab is measured at screening, and a note that reports none says nothing
  // about it. A threshold that quantifies a condition the exclusion names ("severe renal disease
  // (creatinine > 250 µmol/L)", "heart failure or EF < 30 %") follows that condition, which the
  // unmentioned-facts rule may assume absent. Both changed after looking at the TrialGPT
  // criterion-annotation errors (2026-12-06): the physicians marked threshold-only exclusions
  // mostly "not enough information", and those tied to a condition mostly "not excluded".
  return {
    holds: null,
    ...(assumable && { unmentioned: { holdsIfAbsent: false } }),
    basis: 'none',
    evidence: [],
    reason: `${label}: no comparable value recorded`,
  };
}

/** The best note sentence supporting free-text criterion words, or undefined. */
/**
 * The word sets a criterion's text is matched by: all its content words, and for "A, B or C" each
 * alternative on its own (each is enough). They depend on the text alone, so they are computed
 * once per distinct criterion, not once per patient and call (a hook judges some 300 criteria).
 */
const termSetCache = new LRUCache<string, string[][]>({ max: 20_000 });

/** Words that qualify a finding but name none (as stemmed by contentWords). */
const MODIFIER_STEMS: ReadonlySet<string> = new Set(
  ['chronic', 'acute', 'severe', 'mild', 'moderate', 'non', 'active', 'recent', 'recurrent', 'significant', 'uncontrolled', 'unstable', 'stable', 'progressive', 'advanced', 'malignant', 'known', 'prior', 'previous', 'current', 'persistent', 'new', 'documented', 'suspected', 'confirmed'].flatMap((w) => contentWords(w)),
);

function criterionTermSets(criterionText: string): string[][] {
  const cached = termSetCache.get(criterionText);
  if (cached) return cached;
  const terms = [...new Set(contentWords(criterionText))];
  const sets = [terms];
  if (/\bor\b|\band\/or\b/i.test(criterionText)) {
    for (const chunk of asciiFold(criterionText).split(/,|;|\band\/or\b|\bor\b/i)) {
      const chunkTerms = [...new Set(contentWords(chunk))];
      // A piece that only qualifies ("A history of chronic (>6 months)", cut from "…, non-infectious
      // lymphadenopathy") names nothing a note could state: "Chronic hepatitis C" is not it.
      if (chunkTerms.some((t) => !isGeneric(t) && !MODIFIER_STEMS.has(t)) && chunkTerms.length < terms.length) sets.push(chunkTerms);
    }
  }
  termSetCache.set(criterionText, sets);
  return sets;
}

/**
 * Each note sentence vector's sum of squares, computed once per profile rather than once per
 * criterion compared with it (src/search/cosine.ts). Keyed by the profile's vector array, which
 * is made once (profile.ts withSentenceEmbeddings) and never changed.
 */
const sentenceSquaresCache = new WeakMap<readonly number[][], number[]>();

function squaresOf(vectors: readonly number[][]): number[] {
  let squares = sentenceSquaresCache.get(vectors);
  if (!squares) {
    squares = vectors.map((v) => sumOfSquares(v));
    sentenceSquaresCache.set(vectors, squares);
  }
  return squares;
}

function semanticSupport(
  profile: PatientProfile,
  criterionText: string,
  criterionEmbedding: readonly number[] | undefined,
  opts: SupportThresholds,
  onlyTerms?: readonly string[],
): { sentence: number; similarity: number | undefined; overlap: number; negated: boolean; uncertain: boolean } | undefined {
  const sets = onlyTerms ? [[...new Set(onlyTerms)]] : criterionTermSets(criterionText);
  if (!sets[0]?.some((t) => !isGeneric(t))) return undefined;
  let best: { sentence: number; similarity: number | undefined; overlap: number; score: number; matched: string[] } | undefined;
  const criterionSquares = criterionEmbedding ? sumOfSquares(criterionEmbedding) : 0;
  const sentenceSquares = profile.sentenceEmbeddings ? squaresOf(profile.sentenceEmbeddings) : undefined;
  for (const s of profile.sentences) {
    const emb = profile.sentenceEmbeddings?.[s.index];
    const similarity = criterionEmbedding && emb ? cosineWith(criterionEmbedding, criterionSquares, emb, sentenceSquares?.[s.index] ?? sumOfSquares(emb)) : undefined;
    // Without embeddings (lexical-only mode) the overlap must carry the decision alone.
    if (similarity !== undefined && similarity < Math.min(opts.similarityThreshold, opts.fullOverlapSimilarityThreshold)) continue;
    // Between the two thresholds only a sentence holding every word of a set can pass: check that first (cheap, exits early).
    const fullOnly = similarity !== undefined && similarity < opts.similarityThreshold;
    for (const set of sets) {
      if (fullOnly && (set.length < 2 || !set.every((t) => s.stems.has(t)))) continue;
      const matched = fullOnly ? set : set.filter((t) => s.stems.has(t));
      if (!matched.some((t) => !isGeneric(t))) continue;
      const overlap = matched.length / set.length;
      // One shared word is not a match for a criterion of several ("respiratory failure" is not
      // "respiratory rate").
      if (overlap < opts.overlapThreshold || matched.length < Math.min(2, set.length)) continue;
      const score = overlap + (similarity ?? 0);
      if (!best || score > best.score) best = { sentence: s.index, similarity, overlap, score, matched };
    }
  }
  if (!best) return undefined;
  const s = profile.sentences[best.sentence];
  if (!s) return undefined;
  // Negation of the matched words in the sentence: most matched words negated = the sentence denies it.
  const folded = asciiFold(s.text).toLowerCase();
  const spans = assertionSpans(folded);
  let negated = 0;
  let uncertain = 0;
  let counted = 0;
  for (const term of best.matched.filter((t) => !isGeneric(t))) {
    const re = new RegExp(`\\b${term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\w*`, 'g');
    const m = re.exec(folded);
    if (!m) continue;
    counted++;
    const a = assertionAt(folded, m.index, m.index + m[0].length, spans);
    if (a === 'negated') negated++;
    else if (a === 'uncertain' || a === 'other-person') uncertain++;
  }
  return {
    sentence: best.sentence,
    similarity: best.similarity,
    overlap: best.overlap,
    negated: counted > 0 && negated * 2 > counted,
    uncertain: counted > 0 && uncertain * 2 > counted,
  };
}

function semanticPart(profile: PatientProfile, criterion: ParsedCriterion, embedding: readonly number[] | undefined, opts: SupportThresholds): Part {
  const s = criterion.structure;
  const support = semanticSupport(profile, criterion.text, embedding, opts);
  const wantPresent = !s.negated;
  if (!support) {
    return { holds: null, unmentioned: { holdsIfAbsent: !wantPresent }, basis: 'none', evidence: [], reason: 'nothing in the record addresses it' };
  }
  const sentence = profile.sentences[support.sentence] as PatientProfile['sentences'][number];
  const ev: Evidence = {
    kind: 'note',
    source: sentence.source,
    text: sentence.text,
    sentence: support.sentence,
    overlap: Number(support.overlap.toFixed(2)),
    ...(support.similarity !== undefined && { similarity: Number(support.similarity.toFixed(3)) }),
  };
  if (support.uncertain) return { holds: null, basis: 'none', evidence: [ev], reason: 'the note mentions it only as uncertain or about someone else' };
  // "Unable to provide informed consent" against "will provide informed consent": the sentence
  // states the ability the criterion says is lacking.
  const contradictsInability = INABILITY.test(criterion.text) && !INABILITY.test(sentence.text);
  const present = !support.negated && !contradictsInability;
  return { holds: present === wantPresent, basis: 'note', evidence: [ev], reason: `the note ${present ? 'states' : 'denies'} it` };
}

function combine(parts: readonly Part[], combinator: 'all' | 'any'): boolean | null {
  const values = parts.map((p) => p.holds);
  if (combinator === 'all') {
    if (values.some((v) => v === false)) return false;
    if (values.every((v) => v === true)) return true;
    return null;
  }
  if (values.some((v) => v === true)) return true;
  if (values.every((v) => v === false)) return false;
  return null;
}

function statusOf(holds: boolean | null): CriterionStatus {
  return holds === null ? 'unknown' : holds ? 'met' : 'not-met';
}

/**
 * A criterion about a test's result ("negative allergy skin test", "positive result on screening
 * for hepatitis B surface antigen", "positive tests for myocardial ischemia"). The unmentioned-facts
 * rule is about conditions and exposures a note would name; a result exists only once the test is
 * done, and a note that reports none says neither "negative" nor "positive": unknown, for the
 * screener. Added after looking at the criterion-annotation errors (2026-12-06; see
 * docs/EVALUATION.md, criterion level).
 */
const TEST_RESULT =
  /\b(?:positive|negative)\b[^.;]{0,60}\b(?:tests?|testing|screening|results?|challenge|cultures?|serology|assay|PCR)\b|\b(?:tests?|tested|testing|results?|cultures?)\s+(?:\w+\s+){0,3}?(?:positive|negative)\b/i;

/**
 * Conditions that only apply from a given age, so that a criterion about them is not applicable to
 * a younger child (as one about pregnancy is not to a man). Substance use: 9, the age from which
 * NIAAA's "Alcohol Screening and Brief Intervention for Youth: A Practitioner's Guide" (2011) screens
 * (tobacco is asked about later still: CDC's National Youth Tobacco Survey starts at grade 6);
 * military service: 17, the minimum age of enlistment (10 U.S.C. § 505).
 */
const ADULT_ONLY_CONDITIONS: ReadonlyMap<string, number> = new Map([
  ['substance-abuse', 9],
  ['smoking', 9],
]);
const MILITARY_SERVICE = /\b(?:army|military|navy|soldiers?|recruits?|enlist\w*)\b/i;
const MILITARY_SERVICE_MIN_AGE = 17;

/** The age from which the criterion can apply, when the patient is younger; undefined otherwise. */
function childTooYoungFor(profile: PatientProfile, criterion: ParsedCriterion): number | undefined {
  const age = profile.age?.value;
  if (age === undefined) return undefined;
  const s = criterion.structure;
  // Only a criterion about the state itself ("alcoholism", "army recruit"); "non-smoker" a child is.
  if (s.negated || s.labs.length > 0 || s.medications.length > 0 || s.age || s.pregnancy) return undefined;
  let from: number | undefined;
  if (s.conditions.length > 0) {
    const ages = s.conditions.map((c) => (c.negated ? undefined : ADULT_ONLY_CONDITIONS.get(c.conceptId)));
    if (ages.every((a): a is number => a !== undefined)) from = Math.min(...ages);
  } else if (MILITARY_SERVICE.test(criterion.text)) from = MILITARY_SERVICE_MIN_AGE;
  return from !== undefined && age < from ? from : undefined;
}

export interface JudgeInput {
  criterion: ParsedCriterion;
  /** The criterion's embedding (same model as the profile's sentences), for semantic matching. */
  embedding?: readonly number[];
  index: number;
}

/** Judges one criterion (see the module comment). Pure. */
/** Consent and compliance: the only administrative facts a note can state ("will provide informed consent"). */
const CONSENT =
  /\b(?:consent\w*|voluntar(?:y|ily)|(?:comply|compliance|compliant|adhere\w*) with (?:the |all )?(?:trial|study|protocol)\w*|(?:trial|study) (?:protocol|procedures|requirements)|participat\w* in (?:the|this) (?:study|trial))\b/i;
/** Consent, voluntariness or compliance named by the criterion itself (not "participation in this study", which is often about a previous one). */
const CONSENT_WORDING = /\b(?:consent\w*|voluntar(?:y|ily)|comply|complian\w*|compliant)\b/i;
/** The criterion is about being unable or unwilling (a fact in itself, not the absence of one). */
const INABILITY =
  /\b(?:inability|unable|unwilling\w*|refus\w*|lack of|not (?:be )?(?:able|willing|signed|accept\w*)|no (?:signed |written )?(?:informed )?consent|do(?:es)? not (?:accept|sign|give|provide|consent|agree)|failure to|cannot|unreliable)\b/i;

function consentPart(profile: PatientProfile, criterion: ParsedCriterion): Part | undefined {
  if (!CONSENT.test(criterion.text)) return undefined;
  for (const s of profile.sentences) {
    const folded = asciiFold(s.text).toLowerCase();
    const m = CONSENT.exec(folded);
    if (!m) continue;
    const assertion = assertionAt(folded, m.index, m.index + m[0].length);
    if (assertion === 'uncertain' || assertion === 'other-person') continue;
    const ableAndWilling = assertion === 'affirmed' && !INABILITY.test(folded);
    const asksInability = INABILITY.test(criterion.text);
    const ev: Evidence = { kind: 'note', source: s.source, text: s.text, sentence: s.index };
    return { holds: asksInability ? !ableAndWilling : ableAndWilling, basis: 'note', evidence: [ev], reason: `the note ${ableAndWilling ? 'states' : 'denies'} consent or compliance` };
  }
  return undefined;
}

/**
 * A criterion that says more than its structure: "patients with leg ulcers due to diabetes" is not
 * met by diabetes alone. Applies to inclusion criteria (requirements, all of which must hold) and
 * to criteria whose parts are joined by "and"/"with"; two or more residual content words make a
 * further requirement (one is usually a modifier the word lists do not know).
 */
const RESIDUAL_MIN_WORDS = 2;

function residualPart(
  profile: PatientProfile,
  criterion: ParsedCriterion,
  embedding: readonly number[] | undefined,
  opts: SupportThresholds,
): Part | undefined {
  const s = criterion.structure;
  const residual = s.residual ?? [];
  if (s.negated || residual.length < RESIDUAL_MIN_WORDS) return undefined;
  if (criterion.kind !== 'inclusion' && s.combinator !== 'all') return undefined;
  const support = semanticSupport(profile, criterion.text, embedding, opts, residual);
  const shown = residual.slice(0, 6).join(', ');
  if (!support || support.uncertain) {
    return { holds: null, unmentioned: { holdsIfAbsent: false }, basis: 'none', evidence: [], reason: `not documented: ${shown}` };
  }
  const sentence = profile.sentences[support.sentence] as PatientProfile['sentences'][number];
  const ev: Evidence = { kind: 'note', source: sentence.source, text: sentence.text, sentence: support.sentence, overlap: Number(support.overlap.toFixed(2)), ...(support.similarity !== undefined && { similarity: Number(support.similarity.toFixed(3)) }) };
  return { holds: !support.negated, basis: 'note', evidence: [ev], reason: `the note ${support.negated ? 'denies' : 'states'} ${shown}` };
}

/**
 * "At least two of the following", "two or more of": how many of a criterion's listed items must
 * hold (2 or more; "at least one" is the plain any). Added after looking at the
 * criterion-annotation errors (2026-12-06).
 */
const AT_LEAST_OF = /\b(?:at least (\w+)|(\w+) or more)\s+(?:[\w-]+\s+){0,5}?of\b/i;
const COUNT_WORDS: Readonly<Record<string, number>> = { two: 2, three: 3, four: 4, five: 5, '2': 2, '3': 3, '4': 4, '5': 5 };

export function atLeastCount(text: string): number | undefined {
  const m = AT_LEAST_OF.exec(text);
  const word = (m?.[1] ?? m?.[2])?.toLowerCase();
  return word !== undefined ? COUNT_WORDS[word] : undefined;
}

function both(a: boolean | null, b: boolean | null): boolean | null {
  if (a === false || b === false) return false;
  if (a === true && b === true) return true;
  return null;
}

/**
 * A heading that names one group of participants ("FOR HEALTHY VOLUNTEERS:", "FOR HIV POSITIVE
 * VOLUNTEERS:", "For patients undergoing bronchoscopy:", "Cohort B:"): the criteria under it are
 * that group's, as a coordinator reads them. Not a heading for everyone ("For all patients:").
 */
const PARTICIPANTS = String.raw`(?:${PARTICIPANT_NOUNS})`;
const GROUP_HEADING_FORMS = [
  String.raw`for\s+(?!all\s+${PARTICIPANTS}\s*:?\s*$)(?:\S+\s+){0,6}?${PARTICIPANTS}\b.*`,
  String.raw`healthy (?:volunteers?|controls?|subjects?|participants?)`,
  String.raw`(?:cohort|arm|group|part)\s+[\w-]+`,
  // A heading line that is only the group's name ("Affected Subjects", "Healthy Volunteers",
  // "PATIENTS", "ASTHMATICS"); one naming two groups ("CONTROLS AND PATIENTS") is for both.
  String.raw`(?!(?:for|all|any|every|eligible|the|these|such)\b)(?!.*\b(?:and|or)\b)(?:[\w-]+\s+){0,3}(?:${PARTICIPANTS}|\w+(?:atics|etics|ptics))`,
  // A lead-in about one kind of participant ("A healthy volunteer who meets any of the following…").
  String.raw`(?:an?|the)\s+(?:[\w-]+\s+){1,3}?${PARTICIPANTS}\s+who\b.*`,
];
const GROUP_HEADING = new RegExp(String.raw`^(?:${GROUP_HEADING_FORMS.map((form) => `(?:${form})`).join('|')})\s*:?\s*$`, 'i');

/**
 * One key for the names a trial gives the same group: "Affected Subjects" over its inclusion
 * criteria and "An affected participant who meets any of the following…" over its exclusions,
 * "FOR HEALTHY VOLUNTEERS:" and "Healthy volunteers".
 */
function groupKey(group: string): string {
  const g = group.toLowerCase().replace(/:\s*$/, '').replace(/^for\s+/, '').trim();
  const who = new RegExp(String.raw`^(?:an?|the)\s+(.*?)\b${PARTICIPANTS}\s+who\b`).exec(g);
  const phrase = who ? `${who[1] ?? ''}participants` : g.replace(new RegExp(String.raw`\b${PARTICIPANTS}\b`, 'g'), 'participants');
  return phrase.replace(/\s+/g, ' ').trim();
}

/** The participant group a criterion's headings limit it to, if any (the nearest such heading). */
export function participantGroup(context: string | undefined): string | undefined {
  return context
    ?.split(' > ')
    .map((h) => h.trim())
    .reverse()
    .find((h) => GROUP_HEADING.test(h));
}

/** Judges one criterion (see the module comment), whatever group of participants it is for (see judgeTrial). Pure. */
export function judgeCriterion(profile: PatientProfile, input: JudgeInput, options: JudgeOptions = {}): CriterionJudgement {
  const { criterion, embedding, index } = input;
  const s = criterion.structure;
  const opts = {
    similarityThreshold: options.similarityThreshold ?? DEFAULT_SIMILARITY_THRESHOLD,
    overlapThreshold: options.overlapThreshold ?? DEFAULT_OVERLAP_THRESHOLD,
    fullOverlapSimilarityThreshold: options.fullOverlapSimilarityThreshold ?? DEFAULT_FULL_OVERLAP_SIMILARITY_THRESHOLD,
  };
  const assume = (options.assumeUnmentionedAbsent ?? true) && !TEST_RESULT.test(criterion.text);
  const base = {
    index,
    kind: criterion.kind,
    text: criterion.text,
    category: s.category,
    origin: criterion.origin,
    ...(criterion.alternatives !== undefined && { alternatives: criterion.alternatives }),
  };
  const unknown = (basis: JudgementBasis, reason: string, evidence: Evidence[] = []): CriterionJudgement => ({ ...base, status: 'unknown', basis, evidence, reason });

  // Pregnancy, breastfeeding and contraception criteria do not apply to male patients.
  const male = profile.sex?.value === 'male';
  const onlyPregnancy = s.category === 'pregnancy' && !s.age && s.conditions.length === 0 && s.labs.length === 0 && s.medications.length === 0;
  if (male && (onlyPregnancy || (s.category === 'contraception' && /\b(?:women|woman|females?|child[- ]?bearing|pregnan\w*)\b/i.test(criterion.text)))) {
    return unknown('not-applicable', 'applies to women only; the patient is male', [factEvidence(profile.sex as NonNullable<PatientProfile['sex']>)]);
  }

  // Substance use and military service do not apply to a young child (see ADULT_ONLY_CONDITIONS).
  const childAge = childTooYoungFor(profile, criterion);
  if (childAge) {
    const age = profile.age as NonNullable<PatientProfile['age']>;
    return unknown('not-applicable', `applies from age ${childAge} years; the patient is ${age.value}`, [factEvidence(age)]);
  }

  if (s.category === 'administrative' || s.category === 'contraception') {
    // Consent, willingness, logistics: only the screener can settle them, unless a note says so.
    const part = consentPart(profile, criterion);
    if (part && part.holds !== null) return { ...base, status: statusOf(part.holds), basis: part.basis, evidence: part.evidence, reason: part.reason };
    return unknown('none', 'to be confirmed at screening');
  }

  // Age and sex always restrict ("female patients who are pregnant" = female AND pregnant); the
  // other parts combine as the criterion's wording says ("X, Y or Z" = any).
  const demographic: Part[] = [];
  for (const p of [agePart(profile, s), sexPart(profile, s)]) if (p) demographic.push(p);
  const parts: Part[] = [];
  for (const p of [pregnancyPart(profile, s), performancePart(profile, s)]) if (p) parts.push(p);
  for (const l of s.labs) {
    const p = labPart(profile, l, criterion.kind === 'exclusion' && s.conditions.length > 0);
    if (p) parts.push(p);
  }
  for (const c of s.conditions) parts.push(conceptPart(profile.conditions, c, 'condition', criterion.text));
  for (const m of s.medications) parts.push(s.allergy ? allergyPart(profile, m) : conceptPart(profile.medications, m, 'medication', criterion.text));

  // Nothing structured could be judged: the notes, by meaning and words.
  if (!parts.some((p) => p.holds !== null) && !demographic.some((p) => p.holds !== null)) {
    const unparsed = s.conditions.length === 0 && s.medications.length === 0 && s.labs.length === 0 && !s.age && !s.sex && !s.pregnancy && !s.performance;
    // A criterion that leaves a concept out ("other than type 1 diabetes") is not read by its words:
    // they name what it leaves out, and a note stating that would match them.
    const excepting = [...s.conditions, ...s.medications].some((r) => r.except !== undefined);
    const conceptsUnmentioned = parts.length > 0 && parts.every((p) => p.unmentioned && p.evidence.length === 0) && !excepting;
    if (unparsed || conceptsUnmentioned) {
      // Consent or compliance worded outside the administrative category ("signed inform consent",
      // "patient compliant with study procedures", "patient is voluntary"): a note that states it
      // decides, as for the administrative criteria above. Added after looking at the
      // criterion-annotation errors (2026-12-06).
      const consent = unparsed && CONSENT_WORDING.test(criterion.text) ? consentPart(profile, criterion) : undefined;
      if (consent && consent.holds !== null) return { ...base, status: statusOf(consent.holds), basis: consent.basis, evidence: consent.evidence, reason: consent.reason };
      const semantic = semanticPart(profile, criterion, embedding, opts);
      if (semantic.holds !== null || parts.length === 0) {
        parts.length = 0;
        parts.push(semantic);
      }
    }
  }
  if (parts.length === 0 && demographic.length === 0) return unknown('none', 'nothing the record can be checked against');

  // The structured parts, then what the criterion says beyond them.
  // "At least two of the following: …": a count of the listed items, not any one of them.
  const needed = s.combinator === 'any' && parts.length > 1 ? atLeastCount(criterion.text) : undefined;
  const combineListed = (ps: readonly Part[]): boolean | null => {
    if (needed === undefined) return combine(ps, s.combinator);
    const shown = ps.filter((p) => p.holds === true).length;
    const open = ps.filter((p) => p.holds === null).length;
    return shown >= needed ? true : shown + open < needed ? false : null;
  };
  const combineParts = (ps: readonly Part[], ds: readonly Part[]): boolean | null =>
    ps.length === 0 ? combine(ds, 'all') : ds.length === 0 ? combineListed(ps) : both(combine(ds, 'all'), combineListed(ps));
  let holds = combineParts(parts, demographic);
  // The residual words of a counted list are its other items, not a further requirement.
  const residual = holds === true && needed === undefined && parts.every((p) => p.basis !== 'note' || p.evidence.every((e) => e.overlap === undefined)) ? residualPart(profile, criterion, embedding, opts) : undefined;
  const all = [...demographic, ...parts, ...(residual ? [residual] : [])];
  if (residual) holds = both(holds, residual.holds);

  if (holds === null && assume) {
    // The unmentioned-facts rule: unmentioned parts take their "absent" value — only when the
    // result favours the patient (inclusion met, exclusion not met); an assumption never counts
    // against eligibility.
    const assumed = parts.map((p) => (p.holds === null && p.unmentioned ? { ...p, holds: p.unmentioned.holdsIfAbsent } : p));
    let result = combineParts(assumed, demographic);
    if (residual) result = both(result, residual.holds ?? residual.unmentioned?.holdsIfAbsent ?? null);
    const favours = (criterion.kind === 'inclusion' && result === true) || (criterion.kind === 'exclusion' && result === false);
    if (result !== null && favours) {
      const decisive = [...demographic, ...assumed, ...(residual ? [residual] : [])].filter((p) => (p.holds ?? p.unmentioned?.holdsIfAbsent) === result);
      return {
        ...base,
        status: statusOf(result),
        basis: 'assumed-absent',
        evidence: decisive.flatMap((p) => p.evidence),
        reason: `${decisive.map((p) => p.reason).join('; ')} (not mentioned: assumed absent)`,
      };
    }
  }
  const decisive = holds === null ? all : all.filter((p) => p.holds === holds);
  const basis: JudgementBasis = holds === null ? 'none' : decisive.some((p) => p.basis === 'record') ? 'record' : 'note';
  return { ...base, status: statusOf(holds), basis, evidence: decisive.flatMap((p) => p.evidence), reason: decisive.map((p) => p.reason).join('; ') };
}

export interface TrialCriteria {
  nctId: string;
  criteria: ReadonlyArray<{ criterion: ParsedCriterion; embedding?: readonly number[] }>;
}

export interface TrialJudgement {
  nctId: string;
  criteria: CriterionJudgement[];
}

/** Judges every criterion of a trial. Pure: embeddings come with the criteria and the profile. */
export function judgeTrial(profile: PatientProfile, trial: TrialCriteria, options: JudgeOptions = {}): TrialJudgement {
  const criteria = trial.criteria.map((c, index) =>
    judgeCriterion(profile, { criterion: c.criterion, index, ...(c.embedding !== undefined && { embedding: c.embedding }) }, options),
  );
  return { nctId: trial.nctId, criteria: withinGroups(criteria, groupsOf(trial.criteria.map((c) => c.criterion)), hasDisease(profile)) };
}

/** Conditions a healthy volunteer may have: habits and states, not diseases. */
const NOT_DISEASE: ReadonlySet<string> = new Set(['smoking', 'pregnancy', 'breastfeeding', 'obesity']);

/** A condition other than a habit or state is present now (not past history) on the record or in a note. */
function hasDisease(profile: PatientProfile): boolean {
  for (const [conceptId, evidence] of profile.conditions) {
    if (!NOT_DISEASE.has(conceptId) && evidence.some((e) => e.status === 'present' && !e.past)) return true;
  }
  return false;
}

/** Healthy volunteers, and controls (healthy by definition in a study of patients). */
const HEALTHY_GROUP = /\bhealthy\b|\bcontrols?\b/i;
/** The group of a trial's inclusion criteria outside any heading when only healthy volunteers are named. */
const STUDIED_PATIENTS_GROUP = 'the patients studied: the criteria under no group heading';

/**
 * Each criterion's participant group. Healthy volunteers are never everyone: when the only group a
 * trial names is its healthy volunteers ("INCLUSION CRITERIA FOR HEALTHY VOLUNTEERS:") and it has
 * inclusion criteria under no group heading, those are the criteria of the patients it studies, a group of their own
 * (a patient with Crohn's disease is not excluded by the healthy volunteers' "History of
 * inflammatory bowel disease"). The record's age, sex and conditions fields stay everyone's.
 */
function groupsOf(criteria: readonly ParsedCriterion[]): Array<string | undefined> {
  const groups = criteria.map((c) => participantGroup(c.context));
  const named = groups.filter((g): g is string => g !== undefined);
  // Only when the healthy volunteers are the only group named: a trial that names its patient
  // groups too ("FOR HIV POSITIVE VOLUNTEERS:") keeps the criteria outside them everyone's.
  if (named.length === 0 || !named.every((g) => HEALTHY_GROUP.test(g))) return groups;
  return groups.map((g, i) => g ?? (criteria[i]!.origin === 'text' && criteria[i]!.kind === 'inclusion' ? STUDIED_PATIENTS_GROUP : undefined));
}

const against = (j: CriterionJudgement): boolean => (j.kind === 'inclusion' && j.status === 'not-met') || (j.kind === 'exclusion' && j.status === 'met');

/**
 * Criteria of several participant groups ("FOR PATIENTS:", "FOR HEALTHY VOLUNTEERS:"), read as a
 * coordinator reads them: the patient needs to fit one group, not all. While some group has no
 * judgement against the patient, the judgements against the patient in the other groups become
 * unknown, with the group named (an HIV-positive patient is not excluded by the healthy
 * volunteers' "Absence of HIV infection"); when every group has one, they stand. A trial with a
 * single such group keeps its judgements: that group is everyone.
 */
function withinGroups(criteria: CriterionJudgement[], groups: ReadonlyArray<string | undefined>, ill: boolean): CriterionJudgement[] {
  const keys = groups.map((g) => (g === undefined ? undefined : groupKey(g)));
  // The groups a patient could fit are those with inclusion criteria: a heading over exclusions
  // alone ("CONTROLS: in addition to the above…") adds to a group, it is not one to fit.
  const named = new Set(keys.filter((k, i): k is string => k !== undefined && criteria[i]!.kind === 'inclusion'));
  if (named.size < 2) return criteria;
  // A patient with a disease on the record or in a note is no healthy volunteer, whatever that
  // group's criteria say or leave unsaid.
  const failed = new Set(keys.filter((k, i) => k !== undefined && named.has(k) && (against(criteria[i]!) || (ill && HEALTHY_GROUP.test(groups[i]!)))));
  if (failed.size >= named.size) return criteria;
  return criteria.map((j, i) => {
    const group = groups[i];
    if (group === undefined || !against(j)) return j;
    return { ...j, status: 'unknown', basis: 'not-applicable', reason: `for one group of participants only (${group.replace(/:\s*$/, '')}), and the patient may fit another: ${j.reason}` };
  });
}
