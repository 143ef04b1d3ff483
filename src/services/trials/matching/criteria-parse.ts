/**
 * Eligibility criteria text → atomic criteria with whatever structure can be read reliably.
 *
 * Splitting: ClinicalTrials.gov writes criteria as bulleted or numbered lists, blank-line
 * separated paragraphs, or (older PDQ records) headed blocks ("PATIENT CHARACTERISTICS:",
 * "Age:", "- 18 and over"). Every bullet, number or paragraph is one criterion; a line ending in
 * a colon is a heading whose words become the `context` of the items under it ("Age: 18 and
 * over" is read with its heading); wrapped lines are joined; an "Exclusion Criteria" heading
 * anywhere switches the kind.
 *
 * Structure: age range (in years, any unit converted), sex, pregnancy or breastfeeding, conditions
 * and medications from the lexicon (codes where a Cairn value set covers them), lab and vital
 * thresholds with comparator, value and unit (converted to the PatientContext canonical unit),
 * ECOG / Karnofsky performance status, and whether the criterion asserts an absence ("No history
 * of…"). What cannot be read stays as text: the judge matches it against the notes.
 */
import { analyteMentions, conditionMentions, conceptById, medicationMentions, type Coding } from './lexicon.js';
import { extractMeasurements, type MeasurementStatement } from './measurements.js';
import { assertionAt, assertionSpans } from '../../../text/negation.js';
import { splitSentences } from '../../../text/sentences.js';
import { asciiFold, contentWords, isGeneric, stem, words } from '../../../text/tokens.js';

export type CriterionKind = 'inclusion' | 'exclusion';

/** Where a criterion came from: the criteria text, the record's age/sex fields, or its conditions list. */
export type CriterionOrigin = 'text' | 'structured-field' | 'conditions-field';

export interface AtomicCriterion {
  kind: CriterionKind;
  /** The criterion as written (wrapped lines joined). */
  text: string;
  /** The headings it sits under ("PATIENT CHARACTERISTICS > Age"), if any. */
  context?: string;
  origin: CriterionOrigin;
  /**
   * Items under a lead-in such as "One of the following:" are alternatives: they share this id,
   * and the group holds when any of them does.
   */
  alternatives?: string;
}

export type CriterionCategory =
  | 'age'
  | 'sex'
  | 'pregnancy'
  | 'contraception'
  | 'condition'
  | 'lab'
  | 'medication'
  | 'performance'
  | 'administrative'
  | 'other';

export interface AgeRange {
  /** Years (months, weeks and days converted). */
  min?: number;
  max?: number;
  minInclusive: boolean;
  maxInclusive: boolean;
}

export interface ConceptReference {
  conceptId: string;
  label: string;
  /** The words of the criterion that named it. */
  text: string;
  /** The criterion asks for its absence ("no history of X", "without X"). */
  negated: boolean;
  /**
   * A restrictive qualifier precedes it ("uncontrolled hypertension", "severe liver disease",
   * "recent myocardial infarction") or a time limit follows it ("within 6 months", "for more than
   * one week"): the plain condition in a record does not establish it.
   */
  qualified: boolean;
  /** Stems of the qualifying words ("uncontrolled", "brain", "stem"), or the markers 'other', 'current', 'time limit'. */
  qualifiers?: string[];
  /** Narrower concepts the criterion leaves out ("a pulmonary disorder other than asthma"). */
  except?: string[];
  valueSet?: string;
  coding?: Coding;
}

export interface PerformanceRequirement {
  scale: 'ecog' | 'karnofsky';
  min?: number;
  max?: number;
}

export interface CriterionStructure {
  category: CriterionCategory;
  age?: AgeRange;
  /** 'any': the criterion names both sexes as its subject (always met). */
  sex?: 'female' | 'male' | 'any';
  /** The criterion is about being pregnant and/or breastfeeding; `negated`: it asks for neither. */
  pregnancy?: { states: Array<'pregnant' | 'breastfeeding'>; negated: boolean };
  conditions: ConceptReference[];
  medications: ConceptReference[];
  /**
   * The medications are what the patient may be allergic or hypersensitive to ("Known allergy to
   * penicillin"), not what they take: an allergy to them is the fact asked about.
   */
  allergy?: true;
  labs: MeasurementStatement[];
  performance?: PerformanceRequirement;
  /** How the parts combine: every part must hold, or any one. */
  combinator: 'all' | 'any';
  /** The criterion as a whole asserts an absence. */
  negated: boolean;
  /** Stemmed content words, for lexical matching. */
  terms: string[];
  /**
   * Content words the structure does not account for (what is left once concept mentions, lab
   * statements and age, sex, pregnancy and performance wording are taken out; generic words
   * dropped): a further requirement the structured checks alone cannot confirm.
   */
  residual: string[];
}

export interface ParsedCriterion extends AtomicCriterion {
  structure: CriterionStructure;
}

/** Bump when parsing changes: the store re-parses every trial whose stored version differs. */
export const PARSER_VERSION = 14;

/** Wording that makes a criterion's medications allergens ("allergy to", "hypersensitivity to", "intolerance of"). */
export const ALLERGY_WORDING = /\b(?:allerg(?:y|ies|ic)|hypersensitiv(?:ity|ities|e)|intoleran(?:ce|t)|anaphyla(?:xis|ctic))\b/i;

// ---------------------------------------------------------------------------------------------
// Sections and items

const SECTION_HEADING =
  /^\s*(?:[-*•]\s*)?(?:key |main |major |general |specific |additional )?(inclusion|exclusion|eligibility)(?: and (?:inclusion|exclusion))?(?: criteria| criterion| requirements)?(?:\s*\([^)]*\))?\s*(?:include|includes|are)?\s*[:.-]?\s*/i;
const EXCLUSION_LEAD_IN = /^\s*(?:patients?|subjects?|participants?|individuals?|volunteers?|candidates?)\s+(?:will be|are|is|who are)\s+(?:excluded|ineligible|not eligible)\b[^:]*:\s*/i;
const INCLUSION_LEAD_IN = /^\s*(?:patients?|subjects?|participants?|individuals?|volunteers?|candidates?)\s+(?:will be|are|is)\s+(?:included|eligible)\b[^:]*:\s*/i;

const CRITERIA_FOR = /^\s*(?:[-*•]\s*)?criteria (?:for|of) (inclusion|exclusion)\s*[:.-]?\s*(.*)$/i;

export interface EligibilitySections {
  inclusion: string;
  exclusion: string;
}

/**
 * Splits a record's eligibility text at its first Exclusion heading (a line of its own, or
 * "Exclusion Criteria:" opening a line). Text before any heading counts as inclusion.
 */
export function splitEligibility(raw: string): EligibilitySections {
  const lines = raw.replace(/\r\n?/g, '\n').split('\n');
  const inclusion: string[] = [];
  const exclusion: string[] = [];
  let target = inclusion;
  for (const line of lines) {
    // "CRITERIA FOR EXCLUSION:", the heading written the other way round.
    const reversed = CRITERIA_FOR.exec(line);
    if (reversed) {
      target = (reversed[1] as string).toLowerCase() === 'exclusion' ? exclusion : inclusion;
      if (reversed[2]?.trim()) target.push(reversed[2]);
      continue;
    }
    const m = SECTION_HEADING.exec(line);
    if (m && /criteria|criterion|requirements|:/i.test(m[0]) && /^\s*(?:[-*•]\s*)?(?:key |main |major |general |specific |additional )?(?:inclusion|exclusion|eligibility)/i.test(line)) {
      const which = (m[1] as string).toLowerCase();
      if (which === 'exclusion') target = exclusion;
      else if (which === 'inclusion') target = inclusion;
      const rest = line.slice(m[0].length);
      if (rest.trim()) target.push(rest);
      continue;
    }
    const ex = EXCLUSION_LEAD_IN.exec(line);
    if (ex) {
      target = exclusion;
      const rest = line.slice(ex[0].length);
      if (rest.trim()) target.push(rest);
      continue;
    }
    const inc = INCLUSION_LEAD_IN.exec(line);
    if (inc && target === inclusion) {
      const rest = line.slice(inc[0].length);
      if (rest.trim()) target.push(rest);
      continue;
    }
    target.push(line);
  }
  return { inclusion: inclusion.join('\n').trim(), exclusion: exclusion.join('\n').trim() };
}

const BULLET = /^\s*(?:[-*•·▪◦‣⁃]|o(?=\s)|\(?\d{1,2}[.)](?!\d)|\(?[a-hj-z][.)](?=\s)|\(?(?:i{1,3}|iv|v|vi{1,3}|ix|x)[.)](?=\s))\s*/i;
const SKIP_ITEM = /^(?:see (?:disease|patient) characteristics|not specified|unspecified|none|n\/a|not applicable|no other restrictions?|other)\.?$/i;

/** Upper-case headings ("PATIENT CHARACTERISTICS:") open a block; others ("Age:") sit inside the current block. */
function headingLevel(heading: string): number {
  const letters = heading.replace(/[^A-Za-z]/g, '');
  return letters.length > 0 && letters === letters.toUpperCase() ? 1 : 2;
}

/**
 * One kind's criteria text → atomic criteria, split as a coordinator reads them:
 *   - every bullet, number or paragraph is an item; wrapped lines are joined;
 *   - an item (or an item's last sentence) ending in a colon is a lead-in, never a criterion
 *     ("Inclusion Criteria:", "Patients must meet all of the following:", "… The contraindications
 *     include subjects with the following devices or conditions:"): its words become the context
 *     of the items under it;
 *   - under "any / one / either / at least one of the following" the items are alternatives (one
 *     OR-criterion: they share an `alternatives` id); under "all of the following" each item is a
 *     criterion of its own (AND), as are items under any other lead-in;
 *   - a lead-in that is itself a list item governs the items nested under it: the next item at its
 *     own depth (same or smaller indentation once deeper items were seen, or the same kind of
 *     marker, "2." after "1.") ends it;
 *   - an "Exclusion Criteria" heading inside inclusion text switches to exclusion for the items
 *     after it (and vice versa).
 */
const ALTERNATIVES_LEAD_IN = /\b(?:one|any|either|at least one|one or more)\s+(?:\w+\s+)?of the following\b|\bany one of\b/i;

/** The nouns trials name their participants by. */
export const PARTICIPANT_NOUNS = 'volunteers?|patients?|subjects?|participants?|controls?|donors?|individuals?';

/** A paragraph of two to four words naming a group of participants, without punctuation. */
const GROUP_NAME_LINE = new RegExp(String.raw`^(?!(?:all|any|every|eligible|the|these|such)\b)[A-Za-z][\w-]*(?:\s+[\w-]+){0,2}\s+(?:${PARTICIPANT_NOUNS})$`, 'i');

type MarkerKind = 'symbol' | 'number' | 'letter' | 'roman' | 'none';

function markerKind(marker: string): MarkerKind {
  const m = marker.trim().replace(/^\(/, '');
  if (!m) return 'none';
  if (/^\d/.test(m)) return 'number';
  if (/^(?:i{1,3}|iv|v|vi{1,3}|ix|x)[.)]/i.test(m)) return 'roman';
  if (/^[a-z][.)]/i.test(m)) return 'letter';
  return 'symbol';
}

/**
 * Whether a line after a blank line carries on the item before it: ClinicalTrials.gov texts break
 * some wrapped items with blank lines ("… consistent histopathologic mucosal", blank, "changes OR";
 * "… symptoms (pyoderma, erythema", blank, "nodosum, …"). It does when the item has not ended (no
 * closing . ; : ! ?), the line is not a list item, and the sentence visibly goes on: a parenthesis
 * left open, a last word that cannot end one ("of", "with"), or a lower-case line that ends
 * in a bare "OR" / "AND" or is one. Otherwise a blank line ends the item, also before a lower-case
 * line ("… inflammatory bowel disease", blank, "age > 18" are two criteria).
 */
function continuesItem(itemLines: readonly string[], next: string): boolean {
  const item = itemLines.join(' ').trim();
  if (/[.;:!?]$/.test(item) || BULLET.test(next)) return false;
  const t = next.trim();
  const open = (item.match(/\(/g) ?? []).length > (item.match(/\)/g) ?? []).length;
  // Not a comma, "and" or "or": list items end with them ("Not pregnant,", "…; and").
  const unfinished = /(?:-|\b(?:a|an|the|of|with|to|in|for|by|as|at|on|than|from|including|such as))$/i.test(item);
  const connective = /^(?:or|and|and\/or)$/i.test(t) || (/^[a-z]/.test(t) && /\s(?:OR|AND)$/.test(t));
  return open || unfinished || connective;
}

/**
 * Numbered items joined by a trailing "OR" ("1. Crohn's disease … OR", "2. Unclassified IBD … OR",
 * "3. …") are alternatives, as "one of the following" items are: the chain shares one id, up to
 * the first item without the trailing OR. The OR itself is dropped from the text.
 */
function chainTrailingOr(items: Array<{ text: string; kind: CriterionKind; alternatives?: string }>, newId: () => string): void {
  let chain: string | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const endsOr = /\s(?:OR|or)$/.test(item.text);
    const next = items[i + 1];
    if (chain === undefined && endsOr && next !== undefined && next.kind === item.kind && item.alternatives === undefined && next.alternatives === undefined) chain = newId();
    if (endsOr) item.text = item.text.replace(/\s+(?:OR|or)$/, '');
    if (chain !== undefined && item.alternatives === undefined) item.alternatives = chain;
    if (!endsOr || next === undefined || next.kind !== item.kind || next.alternatives !== undefined) chain = undefined;
  }
}

/** A short line that names a block ("Performance status:", "PATIENT CHARACTERISTICS:"), not the end of a wrapped sentence ("devices or conditions:"). */
function isHeadingLine(line: string): boolean {
  const t = line.trim();
  return /:\s*$/.test(t) && t.length <= 100 && /^[A-Z]/.test(t);
}

export function splitCriteria(text: string, kind: CriterionKind): AtomicCriterion[] {
  const items: Array<{ text: string; context: string[]; kind: CriterionKind; alternatives?: string }> = [];
  let currentKind = kind;
  // Level 1: upper-case block headings; 1.5: "one of the following" lead-ins; 2: other headings;
  // 3: a list item's lead-in (governs the items nested under it, see `indent` and `marker`).
  interface Heading {
    level: number;
    text: string;
    alternatives?: string;
    /** For a list item's lead-in: its indentation and marker kind, and whether deeper items followed. */
    indent?: number;
    marker?: MarkerKind;
    deeper?: boolean;
  }
  const headings: Heading[] = [];
  let serial = 0;
  const pushHeading = (level: number, heading: string, alternatives: boolean, at?: { indent: number; marker: MarkerKind }) => {
    // A block heading ("OTHER:", "Age:") ends every list item's lead-in before it.
    if (!at) while (headings.length > 0 && (headings[headings.length - 1] as Heading).indent !== undefined) headings.pop();
    while (headings.length > 0 && (headings[headings.length - 1] as Heading).level >= level && (headings[headings.length - 1] as Heading).indent === undefined) headings.pop();
    headings.push({ level, text: heading, ...(alternatives && { alternatives: `${currentKind}-${++serial}` }), ...(at && { indent: at.indent, marker: at.marker }) });
  };
  /** A new list item at `indent` with `marker`: close the list lead-ins it is a sibling (or an ancestor) of. */
  const closeListLeadIns = (indent: number, marker: MarkerKind) => {
    for (let i = headings.length - 1; i >= 0; i--) {
      const h = headings[i] as Heading;
      if (h.indent === undefined) continue;
      if (indent > h.indent) h.deeper = true;
      const sibling = indent < h.indent || (h.deeper === true && indent <= h.indent) || (marker !== 'none' && marker !== 'symbol' && marker === h.marker && indent <= h.indent);
      if (sibling) headings.splice(i);
    }
  };
  let current: { lines: string[]; indent: number; marker: MarkerKind } | undefined;
  const addItem = (joined: string) => {
    const group = [...headings].reverse().find((h) => h.alternatives)?.alternatives;
    items.push({ text: joined, context: headings.map((h) => h.text), kind: currentKind, ...(group !== undefined && { alternatives: group }) });
  };
  const leadIn = (heading: string, at: { indent: number; marker: MarkerKind } | undefined) => {
    const alternatives = ALTERNATIVES_LEAD_IN.test(heading);
    const listItem = at !== undefined && at.marker !== 'none';
    pushHeading(listItem ? 3 : alternatives ? 1.5 : headingLevel(heading), heading, alternatives, listItem ? at : undefined);
  };
  const flush = () => {
    if (!current) return;
    const joined = current.lines.join(' ').replace(/\s+/g, ' ').trim();
    const at = { indent: current.indent, marker: current.marker };
    current = undefined;
    if (!joined) return;
    if (/:$/.test(joined)) {
      const heading = joined.replace(/:$/, '').trim();
      const section = SECTION_HEADING.exec(joined);
      if (section && /^(?:key |main |major |general |specific |additional )?(?:inclusion|exclusion)/i.test(heading)) {
        const which = (section[1] as string).toLowerCase();
        currentKind = which === 'exclusion' ? 'exclusion' : which === 'inclusion' ? 'inclusion' : currentKind;
        headings.length = 0;
        return;
      }
      // A lead-in is the item's last sentence: what comes before it in the item is a criterion
      // ("Subjects with a contraindication to MRI will be excluded. The contraindications include:").
      const sentences = splitSentences(joined).map((x) => x.text.trim()).filter(Boolean);
      if (sentences.length > 1) {
        const last = sentences[sentences.length - 1] as string;
        addItem(joined.slice(0, joined.lastIndexOf(last)).trim());
        leadIn(last.replace(/:$/, '').trim(), at);
        return;
      }
      leadIn(heading, at);
      return;
    }
    // A paragraph that is only a group's name ("Affected Subjects", "Healthy Volunteers") heads
    // that group's criteria, as a block heading does.
    if (at.marker === 'none' && GROUP_NAME_LINE.test(joined)) {
      pushHeading(1, joined, false);
      return;
    }
    // A lead-in without a colon ("One of the following histologically confirmed diagnoses").
    if (ALTERNATIVES_LEAD_IN.test(joined) && joined.length <= 100 && !/[.;]$/.test(joined)) {
      leadIn(joined.replace(/[.:]$/, ''), at);
      return;
    }
    const section = SECTION_HEADING.exec(joined);
    if (section && /^(?:key |main |major |general |specific |additional )?(?:inclusion|exclusion)(?: criteria| criterion)\s*[:.-]/i.test(joined)) {
      const which = (section[1] as string).toLowerCase();
      currentKind = which === 'exclusion' ? 'exclusion' : 'inclusion';
      headings.length = 0;
      const rest = joined.slice(section[0].length).trim();
      if (rest) items.push({ text: rest, context: [], kind: currentKind });
      return;
    }
    addItem(joined);
  };
  const lines = asciiFold(text).replace(/\r\n?/g, '\n').replace(/^\s*:\s*/, '').split('\n');
  // A blank line ends the item, unless what follows carries on its sentence (see continuesItem).
  let blankSeen = false;
  for (const line of lines) {
    if (!line.trim()) {
      if (current && current.lines.length > 0) blankSeen = true;
      else flush();
      continue;
    }
    if (blankSeen) {
      blankSeen = false;
      if (current && continuesItem(current.lines, line)) {
        current.lines.push(line.trim());
        continue;
      }
      flush();
    }
    const indent = (/^[ \t]*/.exec(line)?.[0] ?? '').replace(/\t/g, '    ').length;
    // A section heading on its own line starts a new item even without a blank line before it.
    if (current && /^\s*(?:key |main |major )?(?:inclusion|exclusion)(?: criteria| criterion)?\s*:?\s*$/i.test(line)) flush();
    const bullet = BULLET.exec(line);
    if (bullet) {
      flush();
      const marker = markerKind(bullet[0]);
      closeListLeadIns(indent, marker);
      current = { lines: [line.slice(bullet[0].length)], indent, marker };
      continue;
    }
    // A heading line ("Performance status:") after an item's text starts a new item.
    if (current && current.lines.length > 0 && isHeadingLine(line)) flush();
    if (!current) {
      closeListLeadIns(indent, 'none');
      current = { lines: [], indent, marker: 'none' };
    }
    // A line that ends a heading starts a new item.
    const previous = current.lines[current.lines.length - 1];
    if (previous !== undefined && /:\s*$/.test(previous) && previous.length <= 100) {
      flush();
      current = { lines: [], indent, marker: 'none' };
    }
    current.lines.push(line.trim());
  }
  flush();
  chainTrailingOr(items, () => `${kind}-or-${++serial}`);

  const out: AtomicCriterion[] = [];
  for (const item of items) {
    // A paragraph holding several sentences is several criteria.
    const sentences = splitSentences(item.text)
      .map((s) => s.text.trim())
      .filter((s) => s.length > 1);
    for (const sentence of sentences.length > 0 ? sentences : [item.text]) {
      const clean = sentence.replace(/^[-*•;,.\s]+/, '').trim();
      if (!clean || SKIP_ITEM.test(clean) || !/[a-z0-9]/i.test(clean)) continue;
      out.push({
        kind: item.kind,
        text: clean,
        ...(item.context.length > 0 && { context: item.context.join(' > ') }),
        origin: 'text',
        ...(item.alternatives !== undefined && { alternatives: item.alternatives }),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Structure

const UNIT_YEARS: Record<string, number> = { year: 1, yr: 1, month: 1 / 12, mo: 1 / 12, week: 7 / 365.25, wk: 7 / 365.25, day: 1 / 365.25 };

function yearsOf(value: number, unit: string | undefined): number {
  const key = (unit ?? 'year').toLowerCase().replace(/s$/, '').replace(/^years?$/, 'year');
  const factor = UNIT_YEARS[key] ?? 1;
  return Number((value * factor).toFixed(4));
}

const AGE_UNIT = String.raw`(years?|yrs?|months?|mos?|weeks?|wks?|days?)`;
const DURATION_BEFORE = /\b(?:for|within|since|duration|ago|past|last|during|after|before|prior|previous|history|diagnosed|treated|treatment|follow(?:ed|-up)?|every|period|least \d+ (?:years?|months?) since)\s*(?:of\s*)?(?:at least|more than|less than|over|the)?\s*$/i;
const AGE_WORDS = /\b(?:age[ds]?|old|older|younger|of age|adults?|children|child|birthday|infants?|adolescents?|pediatric|paediatric)\b/i;
const PERSON_BEFORE = /\b(?:men|women|males?|females?|patients?|subjects?|children|adults?|participants?|persons?|people|volunteers?|individuals?|boys?|girls?|infants?|adolescents?)\s*(?:and|or)?\s*(?:(?:men|women|males?|females?)\s*)?(?:aged?|between|from|of)?\s*(?:the ages? of)?\s*$/i;

/**
 * The age range a criterion sets, in years. A number counts as an age only near age words
 * ("aged", "years old", "of age", "older", a heading "Age"), or right after the people it
 * describes ("women 18-45 years"); never after a duration word ("for at least 5 years").
 */
export function parseAge(text: string, context?: string): AgeRange | undefined {
  const t = asciiFold(text).toLowerCase();
  const ageContext = AGE_WORDS.test(t) || (context !== undefined && /\bage\b/i.test(context));
  const candidates: Array<{ range: AgeRange; index: number }> = [];
  // A number without a unit is an age only right after "age" ("age >= 18"), or when the whole
  // item sits under an "Age:" heading and is short ("18 and over").
  const headingOnly = context !== undefined && /\bage\b/i.test(context) && t.length <= 40;
  // "≥ 18 years" as the whole criterion is an age.
  const atStart = (index: number): boolean => /^[\s\-*•(]*$/.test(t.slice(0, index));
  const ageNear = (index: number): boolean => headingOnly || /\bage[ds]?\s*(?:of|is|:|=)?\s*$/.test(t.slice(Math.max(0, index - 16), index));
  const accept = (index: number, explicitAge: boolean, end?: number): boolean => {
    const before = t.slice(Math.max(0, index - 40), index);
    // "At least 4 weeks since prior chemotherapy": a duration, not an age.
    if (end !== undefined && /^\s*(?:since|after|ago|prior|from|before|following|of (?:treatment|therapy|follow)|duration|post)/.test(t.slice(end))) return false;
    if (DURATION_BEFORE.test(before) && !/\bage[ds]?\s*(?:of\s*)?(?:at least|over|more than|between|from)?\s*$/.test(before)) return false;
    return explicitAge || ageContext || PERSON_BEFORE.test(before);
  };
  const num = String.raw`(\d{1,3}(?:\.\d+)?)`;
  // Ranges: "18-65 years", "between 18 and 65 years of age", "aged 18 to 75", "ages 2 through 17".
  const rangeRe = new RegExp(String.raw`(?:\b(aged?|ages?(?: of)?|between(?: the ages? of)?|from)\s*)?${num}\s*${AGE_UNIT}?\s*(?:-|to|and|through|until)\s*${num}\s*${AGE_UNIT}?(\s*(?:of age|old|inclusive))?`, 'g');
  for (const m of t.matchAll(rangeRe)) {
    const lead = m[1];
    const unit = m[5] ?? m[3];
    const explicit = Boolean(lead && /age/.test(lead)) || Boolean(m[6] && /age|old/.test(m[6]));
    if (!unit && !explicit && !headingOnly) continue;
    if (lead && /^(between|from)/.test(lead) && !unit && !ageContext) continue;
    if (!accept(m.index, explicit)) continue;
    const lo = yearsOf(Number(m[2]), m[3] ?? unit);
    const hi = yearsOf(Number(m[4]), unit);
    if (!(hi > lo) || hi > 130) continue;
    candidates.push({ range: { min: lo, max: hi, minInclusive: true, maxInclusive: true }, index: m.index });
  }
  // Lower bounds: ">= 18 years", "at least 18 years of age", "older than 40", "18 years or older", "18 and over".
  const minPre = new RegExp(String.raw`(>=|>|(?:greater|more|older) than or equal to|equal to or (?:greater|more|older) than|at least|older than|over|above|greater than|more than|minimum(?: age)?(?: of)?|aged? (?:>=|>|at least|over|above))\s*${num}\s*${AGE_UNIT}?`, 'g');
  for (const m of t.matchAll(minPre)) {
    if (!m[3] && !ageNear(m.index) && !/age|older/.test(m[1] as string)) continue;
    if (!accept(m.index, /age|older/.test(m[1] as string) || atStart(m.index), m.index + m[0].length)) continue;
    const strict = m[1] === '>' || (/older than|over|above|greater than|more than/.test(m[1] as string) && !/equal/.test(m[1] as string));
    candidates.push({ range: { min: yearsOf(Number(m[2]), m[3]), minInclusive: !strict, maxInclusive: true }, index: m.index });
  }
  const minPost = new RegExp(String.raw`${num}\s*${AGE_UNIT}?\s*(?:of age|old)?\s*(?:or|and)\s*(?:older|over|above|greater|more)\b`, 'g');
  for (const m of t.matchAll(minPost)) {
    if (!m[2] && !ageNear(m.index) && !/older/.test(m[0])) continue;
    if (!accept(m.index, false)) continue;
    candidates.push({ range: { min: yearsOf(Number(m[1]), m[2]), minInclusive: true, maxInclusive: true }, index: m.index });
  }
  // Upper bounds: "< 65 years", "younger than 65", "under 18 years of age", "65 years or younger", "up to 75 years".
  const maxPre = new RegExp(String.raw`(<=|<|(?:less|younger) than or equal to|equal to or (?:less|younger) than|younger than|under|below|less than|up to|no older than|not older than|maximum(?: age)?(?: of)?)\s*${num}\s*${AGE_UNIT}?`, 'g');
  for (const m of t.matchAll(maxPre)) {
    if (!m[3] && !ageNear(m.index) && !/age|older|younger/.test(m[1] as string)) continue;
    if (!accept(m.index, /younger|older/.test(m[1] as string) || atStart(m.index), m.index + m[0].length)) continue;
    const strict = m[1] === '<' || (/younger than|under|below|less than/.test(m[1] as string) && !/equal/.test(m[1] as string));
    candidates.push({ range: { max: yearsOf(Number(m[2]), m[3]), minInclusive: true, maxInclusive: !strict }, index: m.index });
  }
  const maxPost = new RegExp(String.raw`${num}\s*${AGE_UNIT}?\s*(?:of age|old)?\s*(?:or|and)\s*(?:younger|under|below|less)\b`, 'g');
  for (const m of t.matchAll(maxPost)) {
    if (!m[2] && !ageNear(m.index) && !/younger/.test(m[0])) continue;
    if (!accept(m.index, false)) continue;
    candidates.push({ range: { max: yearsOf(Number(m[1]), m[2]), minInclusive: true, maxInclusive: true }, index: m.index });
  }
  if (candidates.length === 0) {
    // PDQ blocks: heading "Age:" over a bare "18 and over" / "Over 18" / "Adult".
    return undefined;
  }
  // An age in parentheses or brackets qualifies the one stated outside them for some participants
  // ("ages 0-75 (… may be as young as 0-2 years old for mail-in samples)"): the one outside is the range.
  const asides = blankParentheses(t);
  const inParentheses = (index: number): boolean => asides[index] !== t[index];
  const outside = candidates.filter((c) => !inParentheses(c.index));
  const used = outside.length > 0 ? outside : candidates;
  // Different bounds for each sex ("40 years for males and 50 years for females", "boys with bone
  // ages 2 to 13 years and girls … 2 to 11"): which applies is not for the parser to pick.
  const distinct = (bound: 'min' | 'max') => new Set(used.map((c) => c.range[bound]).filter((v) => v !== undefined)).size;
  if ((distinct('min') > 1 || distinct('max') > 1) && boundsPerSex(t)) return undefined;
  // Combine: the bounds stated.
  const range: AgeRange = { minInclusive: true, maxInclusive: true };
  for (const { range: r } of used.sort((a, b) => a.index - b.index)) {
    if (r.min !== undefined && (range.min === undefined || r.min > range.min)) {
      range.min = r.min;
      range.minInclusive = r.minInclusive;
    }
    if (r.max !== undefined && (range.max === undefined || r.max < range.max)) {
      range.max = r.max;
      range.maxInclusive = r.maxInclusive;
    }
  }
  // Bounds that leave no age ("age 12 to 15 … age greater than 15", two groups' ages read as one).
  if (range.min !== undefined && range.max !== undefined && (range.min > range.max || (range.min === range.max && !(range.minInclusive && range.maxInclusive)))) return undefined;
  return range;
}

/** The text names each sex on its own ("for males … for females"), not both together ("male or female"). */
function boundsPerSex(lower: string): boolean {
  const apart = lower.replace(/\b(?:males?|men|boys)\s+(?:and|or|&)\s+(?:females?|women|girls)\b|\b(?:females?|women|girls)\s+(?:and|or|&)\s+(?:males?|men|boys)\b/g, ' ');
  return /\b(?:males?|men|boys)\b/.test(apart) && /\b(?:females?|women|girls)\b/.test(apart);
}

const CONTRACEPTION = /\b(?:child[- ]?bearing|contracepti\w*|birth[- ]control|barrier method|abstinen\w*|sterili[sz]\w*|fertile|of reproductive potential|able to become pregnant|potential to become pregnant)\b/i;

/**
 * The sex a criterion restricts to, when it names one and not the other; 'any' when it names
 * both as its subject ("Males and females", "Patients of both sexes"): met by everyone.
 */
export function parseSex(text: string, context?: string): 'female' | 'male' | 'any' | undefined {
  const t = asciiFold(text).toLowerCase();
  if (CONTRACEPTION.test(t)) return undefined;
  if (/\b(?:both|either|any) (?:sex|sexes|gender|genders)\b/.test(t)) return 'any';
  const female = /\b(?:women|woman|females?|girls?|ladies|postmenopausal|post-menopausal|premenopausal|pre-menopausal)\b/.test(t);
  const male = /\b(?:men|man|males?|boys?)\b/.test(t);
  if (female && male) {
    return /^(?:(?:healthy|adult|adults|ambulatory)\s+)*(?:men|males?|women|females?)\s*(?:and|or|\/|&)\s*(?:men|males?|women|females?)\b/.test(t) ? 'any' : undefined;
  }
  if (!female && !male) return undefined;
  const heading = context !== undefined && /\b(?:sex|gender)\b/i.test(context);
  const subject =
    /^(?:(?:healthy|adult|ambulatory|postmenopausal|post-menopausal|premenopausal|pre-menopausal|non-pregnant|nonpregnant|pregnant|elderly|older|young|hiv[- ]infected|sexually active|obese|overweight)\s+)*(?:women|woman|females?|girls?|men|man|males?|boys?)\b/.test(t) ||
    /^(?:sex|gender)\s*:?\s*(?:female|male|women|men)\b/.test(t) ||
    /\b(?:must be|are|is|be)\s+(?:a\s+)?(?:female|male|women|men|woman|man)\b/.test(t) ||
    /\b(?:female|male)\s+(?:patients?|subjects?|volunteers?|participants?|adults?|children)\b/.test(t) ||
    /^(?:postmenopausal|post-menopausal|premenopausal|pre-menopausal)\b/.test(t);
  if (!subject && !heading) return undefined;
  // "Women who are pregnant" is about pregnancy, not sex (handled there).
  if (/^(?:women|woman|females?)\s+(?:who are|who is|that are)\s+(?:pregnant|breast|lactating|nursing)/.test(t)) return undefined;
  return female ? 'female' : 'male';
}

/** ECOG / Zubrod / WHO (0–5) or Karnofsky / Lansky (0–100) requirements. */
export function parsePerformance(text: string, context?: string): PerformanceRequirement | undefined {
  const t = asciiFold(text).toLowerCase();
  const heading = context !== undefined && /performance/i.test(context);
  const range = (s: string): { min?: number; max?: number } | undefined => {
    let m = /^\s*(?:score\s*|status\s*|grade\s*|of\s*|ps\s*|is\s*|must be\s*|:\s*)*(\d{1,3})\s*%?\s*(?:-|to|through|or)\s*(\d{1,3})\s*%?/.exec(s);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      return { min: Math.min(a, b), max: Math.max(a, b) };
    }
    m = /^\s*(?:score\s*|status\s*|grade\s*|of\s*|ps\s*|is\s*|must be\s*|:\s*)*(<=|>=|<|>|at least|no more than|not more than|less than|greater than|more than|no greater than|at most|up to)\s*(\d{1,3})\s*%?/.exec(s);
    if (m) {
      const v = Number(m[2]);
      const c = m[1] as string;
      if (c === '<=' || /no more|not more|no greater|at most|up to/.test(c)) return { max: v };
      if (c === '<' || /less than/.test(c)) return { max: v - 1 };
      if (c === '>=' || /at least/.test(c)) return { min: v };
      return { min: v + 1 };
    }
    m = /^\s*(?:score\s*|status\s*|grade\s*|of\s*|ps\s*|is\s*|must be\s*|:\s*)*(\d{1,3})\s*%?\s*(?:or (?:less|lower|better)|or (?:more|higher|greater))?/.exec(s);
    if (m) {
      const v = Number(m[1]);
      if (/or (?:less|lower|better)/.test(m[0])) return { max: v };
      if (/or (?:more|higher|greater)/.test(m[0])) return { min: v };
      return { min: v, max: v };
    }
    return undefined;
  };
  const karnofsky = /\b(?:karnofsky|kps|lansky)(?:\s+performance)?(?:\s+status)?(?:\s+score)?/.exec(t);
  if (karnofsky) {
    const r = range(t.slice(karnofsky.index + karnofsky[0].length));
    if (r) return { scale: 'karnofsky', ...r };
  }
  const ecog = /\b(?:ecog|zubrod|who|gog|eastern cooperative oncology group)(?:\s*\(ecog\))?(?:\s+performance)?(?:\s+status)?(?:\s*\(ps\))?(?:\s+score)?/.exec(t);
  if (ecog && (ecog[0].includes('ecog') || ecog[0].includes('zubrod') || ecog[0].includes('performance') || heading)) {
    const r = range(t.slice(ecog.index + ecog[0].length));
    if (r && (r.max ?? r.min ?? 0) <= 5) return { scale: 'ecog', ...r };
  }
  const generic = /\bperformance status(?:\s+score)?/.exec(t);
  const start = generic ? generic.index + generic[0].length : heading ? 0 : -1;
  if (start >= 0) {
    const r = range(t.slice(start));
    if (r) {
      const top = r.max ?? r.min ?? 0;
      // A 0–5 value is an ECOG/WHO grade; a value of 10 or more is a Karnofsky percentage.
      if (top <= 5) return { scale: 'ecog', ...r };
      if (top >= 10) return { scale: 'karnofsky', ...r };
    }
  }
  return undefined;
}

const ADMINISTRATIVE =
  /\b(?:informed consent|consent form|sign(?:ed)? (?:the )?consent|give consent|provide consent|willing(?:ness)?|able to (?:comply|understand|read|follow|attend|communicate|return)|ability to (?:comply|understand|read|follow|attend|communicate|give)|comply with|compliance with|follow-up visits|study visits|available for|reside|residence|live within|travel to (?:the )?(?:study|clinic|site|centre|center|hospital)|telephone|speak english|english[- ]speaking|read and write|literate|insurance|legal guardian|legally authorized|participat\w+ in (?:another|other|a) (?:clinical |investigational )?(?:study|trial)|enrolled in (?:another|other) (?:study|trial)|unable to (?:comply|consent|understand|give|provide|read)|inability to (?:comply|consent|understand|give|provide|read)|unwilling|investigator'?s? (?:opinion|judgment|judgement|discretion))\b/i;

/** Words that narrow a condition: the record must show them too. */
const QUALIFIER_WORDS =
  /\b(uncontrolled|poorly controlled|severe|significant|active|recent|acute|unstable|decompensated|advanced|symptomatic|end[- ]stage|progressive|refractory|serious|major|life[- ]threatening|untreated|moderate|newly diagnosed|recurrent|metastatic|malignant|stage [0-9iv]+|class [0-9iv]+|grade [0-9iv]+|histologically|biopsy[- ]proven)\b/gi;
/** A time limit after the mention ("within 6 months", "in the past year", "for more than one week"). */
const TIME_LIMIT_AFTER =
  /^\W{0,3}(?:[\w'-]+\s+){0,4}?(?:within|in the (?:past|last|previous)|during the (?:past|last|previous)|(?:for |lasting )?(?:more than|at least|over|longer than|greater than|less than|>=?|<=?)\s*(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s*(?:hours?|days?|weeks?|months?|years?))\b/i;

/** Where a noun phrase starts: the words before the mention, back to a preposition or clause break. */
const PHRASE_BREAK = /\b(?:of|to|with|for|in|on|by|due|from|as|at|after|before|than|including|such|like|or|and|who|that|which|has|have|had|is|are|was|were|except|without|requiring|secondary|because|following|e\.g|i\.e)\b|[.;:,()/]/gi;

/**
 * What narrows a mention: qualifier words ("uncontrolled", "severe"), the other words of its noun
 * phrase ("brain stem" tumours, "small noncleaved cell" lymphoma — a narrower disease than the
 * lexicon's), "other" ("other malignancy": not the one under study), currency for medications
 * ("concurrent chemotherapy"), and a time limit after it ("within 6 months"). Stems, plus the
 * markers 'other', 'current' and 'time limit'.
 */
function qualifiersOf(before: string, after: string, kind: 'condition' | 'medication'): string[] {
  const phrase = before.replace(PHRASE_BREAK, '|').split('|').pop() ?? '';
  const out = new Set<string>();
  for (const m of phrase.matchAll(QUALIFIER_WORDS)) for (const w of words(m[1] as string)) if (!/^\d+$/.test(w)) out.add(stem(w));
  for (const w of contentWords(phrase).filter((x) => !isGeneric(x)).slice(-3)) out.add(w);
  if (/\bother\b/i.test(phrase)) out.add('other');
  if (kind === 'medication' && /\b(?:concurrent|current|currently|ongoing|concomitant)\b/i.test(phrase)) out.add('current');
  if (TIME_LIMIT_AFTER.test(after)) out.add('time limit');
  return [...out];
}

function conceptReferences(text: string, kind: 'condition' | 'medication', skip: ReadonlyArray<{ start: number; end: number }>): ConceptReference[] {
  const folded = asciiFold(text);
  const spans = assertionSpans(folded);
  const mentions = kind === 'condition' ? conditionMentions(folded, true) : medicationMentions(folded, true);
  const out: ConceptReference[] = [];
  const seen = new Set<string>();
  const exceptions = exceptionScopes(folded);
  for (const m of mentions) {
    if (skip.some((s) => m.start < s.end && m.end > s.start)) continue;
    // "Other than asthma": what the criterion leaves out of the concept named before it.
    if (exceptions.some((x) => m.start >= x.start && m.end <= x.end)) {
      const broader = out[out.length - 1];
      if (broader) broader.except = [...(broader.except ?? []), m.conceptId];
      continue;
    }
    if (seen.has(m.conceptId)) continue;
    seen.add(m.conceptId);
    const concept = conceptById(m.conceptId);
    if (!concept) continue;
    const assertion = assertionAt(folded, m.start, m.end, spans);
    const qualifiers = qualifiersOf(folded.slice(Math.max(0, m.start - 50), m.start), folded.slice(m.end, m.end + 60), kind);
    out.push({
      conceptId: concept.id,
      label: concept.label,
      text: m.text,
      negated: m.negativeForm ? assertion !== 'negated' : assertion === 'negated',
      qualified: qualifiers.length > 0,
      ...(qualifiers.length > 0 && { qualifiers }),
      ...(concept.valueSet !== undefined && { valueSet: concept.valueSet }),
      ...(concept.coding !== undefined && { coding: concept.coding }),
    });
  }
  return out;
}

const EXCEPTION_WORDS = /\b(?:other than|except(?:ing)?(?: for)?|besides|apart from|excluding|with the exception of)\s+/gi;

/**
 * Where a criterion names what it leaves out: from "other than", "except", "excluding"… to the end
 * of the list that follows ("other than asthma or COPD"), which a parenthesis, a semicolon, a colon
 * or a full stop ends ("other than asthma (e.g., chronic bronchitis…)": the examples are of what
 * the criterion asks about).
 */
function exceptionScopes(folded: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (const m of folded.matchAll(EXCEPTION_WORDS)) {
    const start = m.index + m[0].length;
    const stop = /[(;:.]|\b(?:who|that|which|with|and)\b/i.exec(folded.slice(start));
    out.push({ start, end: stop ? start + stop.index : folded.length });
  }
  return out;
}

function conceptSpans(text: string): Array<{ start: number; end: number }> {
  const folded = asciiFold(text);
  return [...conditionMentions(folded, true), ...medicationMentions(folded, true)].map((m) => ({ start: m.start, end: m.end }));
}

const NEGATED_START = /^(?:no|not|never|none|without|absence of|absent|free of|must not|should not|cannot|may not|does not|do not|did not|has not|have not|had not|non[- ]|negative)\b/i;
/**
 * Who the criterion is about, before what it asks ("Patients who have never received…",
 * "Subjects that are not…"): the negation that follows is the criterion's own, as if it opened it.
 */
const SUBJECT_LEAD_IN =
  /^(?:all |any )?(?:patients?|subjects?|participants?|individuals?|persons?|people|adults?|children|women|men|those)\s+(?:who|that)\s+(?:(?:have|has|had|are|is|were|was|do|does|did|will)\s+)?(?=(?:no|not|never)\b)/i;
const NEGATIVE_PREGNANCY_TEST = /\bnegative (?:serum |urine |blood |beta[- ]?hcg |b-?hcg )?pregnancy test\b|\bpregnancy test (?:must be |is |that is )?negative\b|\bnot (?:be )?pregnant\b|\bnon-?pregnant\b/i;

/** Wording of the structured parts: not part of the residual. */
const STRUCTURE_WORDS = new Set(
  (
    'age aged old older younger year month week day adult child children infant adolescent elderly inclusive between over under above below ' +
    'male female men women man woman boy girl sex gender both either pregnant pregnancy breastfeeding lactating nursing ' +
    'ecog karnofsky kps zubrod performance status score who grade race ethnicity ' +
    'celsius fahrenheit degree degrees mg dl ml kg mmhg hg mmol umol percent times ratio count level value normal limit uln'
  )
    .split(' ')
    .flatMap((w) => contentWords(w)),
);

/**
 * Every name of an analyte the criterion gives a threshold for, wherever it stands: "Body mass
 * index (BMI) of 30 kg/m2 or more" reads its threshold after "BMI", and "Body mass index" is the
 * same measurement, not a further requirement (it left the criterion unknown on a recorded BMI of 34).
 */
function measuredNameSpans(text: string, labs: readonly MeasurementStatement[]): Array<{ start: number; end: number }> {
  const measured = new Set(labs.map((l) => l.analyteId));
  return analyteMentions(text).filter((m) => measured.has(m.analyte.id));
}

function residualWords(text: string, spans: ReadonlyArray<{ start: number; end: number }>): string[] {
  // Parentheses hold definitions, examples and abbreviations ("obese (BMI > 27)"), not further requirements.
  let blanked = text.replace(/\([^()]*\)/g, (m) => ' '.repeat(m.length));
  for (const sp of spans) {
    if (sp.start < 0 || sp.end > blanked.length || sp.end <= sp.start) continue;
    blanked = `${blanked.slice(0, sp.start)}${' '.repeat(sp.end - sp.start)}${blanked.slice(sp.end)}`;
  }
  return [...new Set(contentWords(blanked).filter((w) => !isGeneric(w) && !STRUCTURE_WORDS.has(w)))];
}

/** Reads the structure of one criterion (see the module comment). */
export function parseCriterion(criterion: AtomicCriterion): ParsedCriterion {
  const text = asciiFold(criterion.text);
  const lower = text.toLowerCase();
  const context = criterion.context;
  // A heading such as "Age:", "Performance status:" or "Renal:" qualifies a bare item ("18 and over").
  const withContext = context ? `${context.split(' > ').pop() ?? ''}: ${text}` : text;

  const age = parseAge(text, context);
  const sex = parseSex(text, context);
  const performance = parsePerformance(text, context);
  const labs = extractMeasurements(withContext).filter((l) => !(performance && /ecog|karnofsky|performance/i.test(l.text)));
  // Measurement spans are in `withContext` coordinates; shift them onto `text`.
  const shift = withContext.length - text.length;
  const labSpans = labs.map((l) => ({ start: l.start - shift, end: l.end - shift }));
  // An age stated outside parentheses makes what they hold an aside about some participants ("ages
  // 0-75 (… 18 or older for patients without IBD …)"): their conditions are not the criterion's.
  const asides = blankParentheses(text);
  const conceptText = asides !== text && parseAge(asides, context) !== undefined ? asides : text;
  const conditionsAll = conceptReferences(conceptText, 'condition', labSpans);
  const pregnancyRefs = conditionsAll.filter((c) => c.conceptId === 'pregnancy' || c.conceptId === 'breastfeeding');
  const conditions = conditionsAll.filter((c) => c.conceptId !== 'pregnancy' && c.conceptId !== 'breastfeeding');
  const medications = conceptReferences(conceptText, 'medication', labSpans);
  const contraception = CONTRACEPTION.test(lower);
  const administrative = ADMINISTRATIVE.test(lower);

  let pregnancy: CriterionStructure['pregnancy'];
  if (pregnancyRefs.length > 0 && !contraception) {
    const states = pregnancyRefs.map((r) => (r.conceptId === 'pregnancy' ? 'pregnant' : 'breastfeeding') as 'pregnant' | 'breastfeeding');
    const negated = NEGATIVE_PREGNANCY_TEST.test(lower) || pregnancyRefs.every((r) => r.negated);
    pregnancy = { states: [...new Set(states)], negated };
  }

  const negated = NEGATED_START.test(lower.trim().replace(SUBJECT_LEAD_IN, '')) || (pregnancy?.negated ?? false) || (() => {
    const refs = [...conditions, ...medications];
    return refs.length > 0 && refs.every((r) => r.negated);
  })();

  const category: CriterionCategory =
    administrative && conditions.length === 0 && labs.length === 0
      ? 'administrative'
      : contraception
        ? 'contraception'
        : performance
          ? 'performance'
          : labs.length > 0
            ? 'lab'
            : pregnancy
              ? 'pregnancy'
              : conditions.length > 0
                ? 'condition'
                : medications.length > 0
                  ? 'medication'
                  : age
                    ? 'age'
                    : sex
                      ? 'sex'
                      : 'other';

  const hasAnd = /\band\b|\bwith\b/.test(lower);
  const hasOr = /\bor\b|\/|,/.test(lower);
  const combinator: CriterionStructure['combinator'] = negated ? 'all' : hasAnd && !hasOr ? 'all' : 'any';

  const structure: CriterionStructure = {
    category,
    ...(age !== undefined && { age }),
    ...(sex !== undefined && { sex }),
    ...(pregnancy !== undefined && { pregnancy }),
    conditions,
    medications,
    ...(medications.length > 0 && ALLERGY_WORDING.test(text) && { allergy: true as const }),
    labs,
    ...(performance !== undefined && { performance }),
    combinator,
    negated,
    terms: [...new Set(contentWords(text))],
    residual: residualWords(text, [...labSpans, ...measuredNameSpans(text, labs), ...conceptSpans(text)]),
  };
  return { ...criterion, structure };
}

/** The text with everything inside parentheses or brackets blanked (same length, so spans still line up). */
function blankParentheses(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '(' || ch === '[') depth++;
    out += depth > 0 ? ' ' : ch;
    if ((ch === ')' || ch === ']') && depth > 0) depth--;
  }
  return out;
}

/** Splits and parses a record's inclusion and exclusion text. */
export function parseCriteria(sections: EligibilitySections): ParsedCriterion[] {
  return [...splitCriteria(sections.inclusion, 'inclusion'), ...splitCriteria(sections.exclusion, 'exclusion')].map(parseCriterion);
}

/** A readable one-line summary of what was parsed (for printing a criterion table). */
export function describeStructure(s: CriterionStructure): string {
  const parts: string[] = [];
  if (s.age) {
    const lo = s.age.min !== undefined ? `${s.age.minInclusive ? '>=' : '>'}${s.age.min}` : '';
    const hi = s.age.max !== undefined ? `${s.age.maxInclusive ? '<=' : '<'}${s.age.max}` : '';
    parts.push(`age ${[lo, hi].filter(Boolean).join(' & ')} y`);
  }
  if (s.sex) parts.push(`sex ${s.sex}`);
  if (s.pregnancy) parts.push(`${s.pregnancy.negated ? 'not ' : ''}${s.pregnancy.states.join('/')}`);
  for (const c of s.conditions) parts.push(`${c.negated ? 'no ' : ''}${c.qualified ? '(qualified) ' : ''}${c.label}${c.coding ? ` [${c.coding.code}]` : ''}`);
  for (const m of s.medications) parts.push(`${m.negated ? 'no ' : ''}drug: ${m.label}`);
  for (const l of s.labs) {
    const v = l.canonical ?? { value: l.value, value2: l.value2, unit: l.unit ?? '' };
    const bound = l.comparator === 'between' ? `${v.value}-${v.value2 ?? ''}` : `${l.comparator} ${v.value}${v.value2 !== undefined ? `/${v.value2}` : ''}`;
    parts.push(`${l.label} ${bound}${l.relative ? ` x ${l.relative}` : ` ${v.unit}`}`.trim());
  }
  if (s.performance) parts.push(`${s.performance.scale} ${s.performance.min ?? ''}-${s.performance.max ?? ''}`);
  return `${s.category}${parts.length > 0 ? `: ${parts.join('; ')}` : ''}`;
}
