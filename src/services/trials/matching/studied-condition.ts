/**
 * Whether the patient has the condition a trial studies, documented in the record or stated in a
 * note: what makes a trial worth a clinician's look, before any criterion is read. A trial's
 * conditions field ("Chronic Subdural Hematoma", "Heart Failure, Congestive") is matched
 *   1. by concept: the lexicon's concept for the name (lexicon.ts), present in the profile from a
 *      coded condition or an affirmed, current note mention (profile.ts);
 *   2. by its words: every content word of the name (generic words such as "disease" left out)
 *      within a few words of each other in one coded condition's text or one note sentence, where
 *      the note affirms it — not negated ("no history of diabetes"), not about someone else
 *      ("mother had breast cancer"), not uncertain ("rule out sepsis"; negation.ts) and not past
 *      history ("history of MI in 2010"; text/history.ts).
 * A coded, active condition is preferred to a note as evidence. Pure.
 */
import type { FactEvidence, NoteSentence, PatientProfile } from './profile.js';
import { conceptAncestry, conditionMentions } from './lexicon.js';
import { isPastMention } from '../../../text/history.js';
import { assertionAt, assertionSpans } from '../../../text/negation.js';
import { asciiFold, contentWords, isGeneric, stem } from '../../../text/tokens.js';
import { LRUCache } from 'lru-cache';

export interface StudiedConditionMatch {
  /** The trial's condition as its record names it. */
  condition: string;
  /** A coded condition (its display) or the note sentence exactly, with its source. */
  evidence: { kind: 'record' | 'note'; source: string; text: string; sentence?: number };
}

/** Conditions fields that name no condition of the patient's. */
const NOT_A_CONDITION = /^(?:healthy|healthy volunteers?|normal volunteers?|healthy subjects?)$/i;

/**
 * Words of a conditions field that name who is studied or how they are, not what they have
 * ("Children", "Infant, Newborn", "Asymptomatic", "Elderly"): not evidence that a patient has
 * what the trial is about, so they are not part of the words to match (a name made only of them
 * matches nothing).
 */
const POPULATION_WORDS = new Set(
  'child children infant infants newborn neonate adolescent adolescents adult adults elderly aged older women woman men man female male volunteer volunteers subject subjects patient patients healthy asymptomatic human humans'
    .split(' ')
    .map((w) => stem(w)),
);

/**
 * Words that name a broad class of conditions, not one condition ("Infections", "Neoplasms",
 * "Injuries"): a conditions field made only of them says too little of what the trial is for to
 * match by words ("Infections" on a study of recurrent infections in hyper-IgE syndrome is not a
 * trial for a patient with HIV infection). Such a name does not count; the trial's other
 * conditions and its criteria still may.
 */
const BROAD_CLASSES = new Set('infection infections neoplasm neoplasms tumor tumors tumour tumours lesion lesions injury injuries inflammation'.split(' ').map((w) => stem(w)));

/**
 * How far apart, in words, the words of a condition's name may be in a sentence: "heart failure"
 * within "heart failure with reduced ejection fraction" or "failure of the heart", not "heart" at
 * one end of a long sentence and "failure" at the other. Chosen by reading, not tuned.
 */
const MAX_WORD_SPREAD = 4;

/** The stems that must all be present for the name to count as stated; none when it is only generic words. */
export function conditionKeyStems(name: string): string[] {
  return [...new Set(contentWords(name).filter((w) => !isGeneric(w) && !POPULATION_WORDS.has(w)))];
}

/** Where all the key stems sit within MAX_WORD_SPREAD words of each other in `text`: the character span, if so. */
function wordSpan(text: string, keys: readonly string[]): { start: number; end: number } | undefined {
  // Words, with the clause each is in: a condition's words do not straddle ";" or "." ("heart sounds normal; renal failure").
  let clause = 0;
  // Hyphens split words, as contentWords splits them ("B-cell" holds the key word "cell").
  const tokens = [...text.matchAll(/[a-z0-9]+(?:'[a-z0-9]+)*|[;.]/gi)].flatMap((m) => {
    if (m[0] === ';' || m[0] === '.') {
      clause++;
      return [];
    }
    return [{ stem: stem(m[0].toLowerCase()), start: m.index, end: m.index + m[0].length, clause }];
  });
  for (let i = 0; i < tokens.length; i++) {
    const first = tokens[i] as { stem: string; clause: number };
    if (!keys.includes(first.stem)) continue;
    const window = tokens.slice(i, i + keys.length + MAX_WORD_SPREAD).filter((t) => t.clause === first.clause);
    if (keys.every((k) => window.some((t) => t.stem === k))) {
      const used = window.filter((t) => keys.includes(t.stem));
      const last = used.reduce((a, t) => Math.max(a, t.end), 0);
      return { start: (tokens[i] as { start: number }).start, end: last };
    }
  }
  return undefined;
}

/** The note sentence states the words as the patient's current condition. */
function affirmedInSentence(s: NoteSentence, keys: readonly string[], referenceYear: number): boolean {
  if (!keys.every((k) => s.stems.has(k))) return false;
  const folded = asciiFold(s.text);
  const span = wordSpan(folded, keys);
  if (!span) return false;
  const assertion = assertionAt(folded, span.start, span.end, assertionSpans(folded));
  return assertion === 'affirmed' && !isPastMention(folded, span.start, span.end, referenceYear);
}

function fromFact(condition: string, f: FactEvidence): StudiedConditionMatch {
  return { condition, evidence: { kind: f.sentence !== undefined ? 'note' : 'record', source: f.source, text: f.text, ...(f.sentence !== undefined && { sentence: f.sentence }) } };
}

/** What a condition name says, whoever the patient: its key stems and the lexicon concepts that name it whole (rule 1). */
interface ReadName {
  readonly keys: readonly string[];
  /** The narrowest concepts whose words are the whole name, in the order the name mentions them. */
  readonly concepts: readonly string[];
}

/**
 * Names read so far. A trial's conditions are the same on every call while the store holds it, and
 * reading a name through the lexicon was about a twentieth of a trial-match call's CPU in a profile
 * of the hook (docs/BENCHMARKS.md), repeated for each of the 20 candidate trials on every call.
 */
const readNames = new LRUCache<string, ReadName>({ max: 20_000 });

function readName(condition: string): ReadName {
  let read = readNames.get(condition);
  if (!read) {
    const keys = conditionKeyStems(condition);
    // 1. By concept, when the concept's words are the whole name ("Diabetes Mellitus"), not part of
    //    it: "Enteric Fever" is not "fever", "Lupus Nephritis" not any kidney disease.
    const mentions = conditionMentions(asciiFold(condition), true);
    // The narrowest concept of a name: "Pneumonia" is the pneumonia concept, not also any infection
    // (its broader concept), which a patient with HIV infection has.
    const broader = new Set(mentions.flatMap((m) => conceptAncestry(m.conceptId).slice(1)));
    const concepts = mentions
      .filter((m) => !m.negativeForm && !broader.has(m.conceptId))
      .filter((m) => {
        const covered = new Set(conditionKeyStems(m.text));
        return keys.every((k) => covered.has(k));
      })
      .map((m) => m.conceptId);
    read = { keys, concepts };
    readNames.set(condition, read);
  }
  return read;
}

/** An abbreviation in parentheses after a name: "Diffuse Large B-Cell Lymphoma (DLBCL)". */
const ABBREVIATION_AFTER = /^(.*\S)\s*\(([A-Z0-9][A-Za-z0-9-]{1,9})\)\s*$/;

/**
 * The names a conditions field gives: itself, or the name and its abbreviation apart when one
 * follows in parentheses ("Diffuse Large B-Cell Lymphoma (DLBCL)" asked the note for the word
 * "DLBCL" too, so a note saying "diffuse large B-cell lymphoma" did not match it).
 */
function namesOf(condition: string): string[] {
  const m = ABBREVIATION_AFTER.exec(condition);
  return m && (m[2]!.match(/[A-Z]/g) ?? []).length >= 2 ? [m[1]!, m[2]!] : [condition];
}

/** The first of the trial's conditions the patient has on the record or in a note (see the module comment). */
export function studiedConditionMatch(conditions: readonly string[], profile: PatientProfile): StudiedConditionMatch | undefined {
  const referenceYear = new Date(profile.context.referenceTime).getUTCFullYear();
  const studied = conditions.map((c) => c.trim()).filter((c) => c && !NOT_A_CONDITION.test(c));
  let noteMatch: StudiedConditionMatch | undefined;
  for (const [condition, name] of studied.flatMap((c) => namesOf(c).map((n) => [c, n] as const))) {
    const { keys, concepts } = readName(name);
    if (keys.length === 0 || keys.every((k) => BROAD_CLASSES.has(k))) continue;
    for (const conceptId of concepts) {
      const present = (profile.conditions.get(conceptId) ?? []).filter((f) => f.status === 'present' && f.past !== true);
      const recorded = present.find((f) => f.sentence === undefined);
      if (recorded) return fromFact(condition, recorded);
      if (present[0]) noteMatch ??= fromFact(condition, present[0]);
    }
    // 2. By its words.
    for (const c of profile.context.conditions) {
      if (c.activeAtReference === 'no' || c.tentative) continue;
      const label = c.text ?? c.codings[0]?.display;
      if (label && wordSpan(asciiFold(label), keys)) return { condition, evidence: { kind: 'record', source: c.source, text: label } };
    }
    if (!noteMatch) {
      const s = profile.sentences.find((x) => affirmedInSentence(x, keys, referenceYear));
      if (s) noteMatch = { condition, evidence: { kind: 'note', source: s.source, text: s.text, sentence: s.index } };
    }
  }
  return noteMatch;
}
