/**
 * Text primitives shared by the criteria parser, the judge and the BM25 baseline: words, a light
 * stemmer, content words, sentence splitting and negation scope. One tokenizer for everything, so
 * that "a word of the criterion occurs in the note" means the same thing in every stage.
 */

/** Unicode comparison signs and dashes as ASCII, so one set of patterns reads every record. */
export function asciiFold(text: string): string {
  return text
    .replace(/[≥⩾]/g, '>=')
    .replace(/[≤⩽]/g, '<=')
    .replace(/[‐‑‒–—―−]/g, '-')
    .replace(/[’‘`´]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[µμ]/g, 'u')
    .replace(/\u00a0/g, ' ');
}

/** Lower-case alphanumeric words, in order. */
export function words(text: string): string[] {
  return asciiFold(text).toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/**
 * Harman's S-stemmer (Harman 1991, "How effective is suffixing?", JASIS 42:7): plural endings
 * only. Enough to match "infections" with "infection" without merging "diabetes" into
 * "diabetic" or "patients" into "patient"-like medical terms that differ in meaning.
 */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && !word.endsWith('eies') && !word.endsWith('aies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('es') && !word.endsWith('aes') && !word.endsWith('ees') && !word.endsWith('oes')) {
    // "diseases" → "disease", "lesions" handled below; "diabetes" is a word of its own.
    if (word === 'diabetes' || word === 'herpes' || word === 'rabies' || word === 'scabies') return word;
    return word.slice(0, -1);
  }
  if (word.endsWith('s') && !word.endsWith('us') && !word.endsWith('ss') && !word.endsWith('is')) return word.slice(0, -1);
  return word;
}

/** English function words (the SMART list's commonest) plus comparison words the parser reads itself. */
const STOP_WORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down due during each either few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just may me might more most must my myself neither nor of off on once only or ' +
    'other our ours out over own per same shall she should so some such than that the their theirs them themselves then there ' +
    'these they this those through to too under until up upon very via was we were what when where which while who whom why will ' +
    'with within would you your yours e g ie eg etc'
  ).split(' '),
);

/**
 * Words that occur in eligibility criteria whatever the trial is about ("patients with a known
 * history of…"): they say nothing about whether a note sentence is about the criterion's subject.
 * General trial boilerplate, not chosen for any trial.
 */
const TRIAL_BOILERPLATE = new Set(
  (
    'patient subject participant individual people person volunteer study trial protocol criteria criterion inclusion exclusion ' +
    'eligible eligibility enrolment enrollment enrolled entry screening randomization randomisation visit baseline investigator ' +
    'history known documented diagnosis diagnosed evidence presence present current currently prior previous previously recent ' +
    'recently including include includes following defined define definition clinically clinical significant able ' +
    'year years old age aged month months week weeks day days time least greater less than equal no not without yes ' +
    'have has had be been must should may will would can could need needs require required requirement'
  ).split(' '),
);

/** Generic words that name no particular fact ("disease", "treatment"): never enough, alone, to match. */
const GENERIC = new Set(
  'disease disorder syndrome condition illness problem abnormality treatment therapy medication drug agent test level use receive receiving take taking type stage severe any'
    .split(' ')
    .map((w) => stem(w)),
);

export function isGeneric(stemmed: string): boolean {
  return GENERIC.has(stemmed);
}

export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/** Stemmed words that carry the subject of a text: no function words, no trial boilerplate, no bare numbers. */
export function contentWords(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (STOP_WORDS.has(w) || /^\d+$/.test(w) || w.length < 2) continue;
    const s = stem(w);
    if (TRIAL_BOILERPLATE.has(s) || TRIAL_BOILERPLATE.has(w)) continue;
    out.push(s);
  }
  return out;
}

export interface Sentence {
  text: string;
  /** Offset of the sentence in the text it was split from. */
  start: number;
  end: number;
}

/** Abbreviations after which a full stop does not end a sentence. */
const NO_BREAK_AFTER = /(?:\b(?:dr|mr|mrs|ms|st|vs|no|approx|e\.g|i\.e|etc|fig|pt|pts|hx|dx|tx|sx|wk|wks|yr|yrs|mo|mos|min|max|mg|ml|dl|inc|jr|sr|prof|resp|temp|avg|y\.o|b\.i\.d|t\.i\.d|q\.d)|\b[a-z])\.$/i;

/**
 * Sentences of a clinical note: split at . ! ? followed by a space and an upper-case letter, a
 * digit or an opening bracket, and at line breaks that end a line with punctuation or separate
 * paragraphs; never inside a decimal ("2.5"), after a common abbreviation ("Dr.", "vs.", "e.g.")
 * or inside de-identification brackets ("[**2148-10-1**]").
 */
export function splitSentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (trimmed) out.push({ text: trimmed, start: start + lead, end: start + lead + trimmed.length });
    start = end;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\n') {
      const before = text.slice(start, i).trimEnd();
      const blank = /^\s*\n/.test(text.slice(i + 1));
      // A numbered or bulleted line starts a new sentence; so does a paragraph break.
      const nextIsItem = /^\s*(?:\d+[.)]\s|[-*•]\s)/.test(text.slice(i + 1));
      if (blank || nextIsItem || /[.!?:;]$/.test(before)) push(i + 1);
      continue;
    }
    if (ch !== '.' && ch !== '!' && ch !== '?') continue;
    const next = text.slice(i + 1, i + 3);
    if (!/^\s+[A-Z0-9([]|^\s*$/.test(next) && i + 1 < text.length) continue;
    if (ch === '.' && NO_BREAK_AFTER.test(text.slice(Math.max(start, i - 8), i + 1))) continue;
    if (ch === '.' && /\d$/.test(text.slice(0, i)) && /^\d/.test(text.slice(i + 1))) continue;
    push(i + 1);
  }
  push(text.length);
  return out;
}

export type Assertion = 'affirmed' | 'negated' | 'uncertain' | 'other-person';

/**
 * NegEx-style triggers (Chapman et al., J Biomed Inform 2001;34:301–310, and its ConText
 * extension, Harkema et al., J Biomed Inform 2009;42:839–851): a pre-trigger scopes the words
 * after it up to a terminator or the end of the clause; a post-trigger scopes the words before it.
 * The scope is capped at MAX_SCOPE words, as NegEx caps it, so a missing full stop cannot negate a
 * whole paragraph.
 */
const PRE_TRIGGERS: ReadonlyArray<readonly [RegExp, Assertion]> = [
  [/\bno (?:known |prior |previous |past |personal |significant |other )*(?:history|hx|evidence|signs?|symptoms?) of\b/g, 'negated'],
  [/\b(?:denies|denied|deny|denying)\b/g, 'negated'],
  [/\b(?:negative for|free of|absence of|absent|without|w\/o|never had|never)\b/g, 'negated'],
  [/\b(?:not|no|nor)\b/g, 'negated'],
  // "non-" is not a trigger: "non-Hodgkin lymphoma", "non-small cell" name diseases. Negative
  // forms such as "nonsmoker" are listed with their concept (lexicon.ts) instead.
  [/\b(?:rule out|r\/o|to exclude|question of|suspected|suspicion of|concern for|possible|probable|cannot be excluded|versus|vs\.?)\b/g, 'uncertain'],
  [/\b(?:family history of|fh of|mother|father|sister|brother|daughter|son|sibling|grandmother|grandfather)\b(?: (?:had|has|with|of|died of))?/g, 'other-person'],
];

const POST_TRIGGERS: ReadonlyArray<readonly [RegExp, Assertion]> = [
  [/\b(?:(?:was|were|is|are|been) )?(?:ruled out|negative|excluded|not seen|not present|absent|unlikely|resolved)\b/g, 'negated'],
];

/** Words that end a trigger's scope: a new clause that may assert something else. */
const TERMINATORS = /\b(?:but|however|although|though|yet|except|apart from|aside from|which|who|whose|presents?|presented|complains?|reports?|reported|admits|notes?|now|still)\b|[.;:!?()]/g;

export const MAX_SCOPE = 10;

interface Span {
  start: number;
  end: number;
  assertion: Assertion;
}

/** Character spans of a (lower-cased, ASCII-folded) sentence that are negated, uncertain or about someone else. */
export function assertionSpans(sentence: string): Span[] {
  const s = asciiFold(sentence).toLowerCase();
  const spans: Span[] = [];
  const terminators: number[] = [];
  for (const m of s.matchAll(TERMINATORS)) terminators.push(m.index);
  const capEnd = (from: number): number => {
    let end = s.length;
    for (const t of terminators) {
      if (t >= from) {
        end = t;
        break;
      }
    }
    // At most MAX_SCOPE words after the trigger.
    const re = /[a-z0-9]+/g;
    re.lastIndex = from;
    let count = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null && m.index < end) {
      if (++count > MAX_SCOPE) return Math.min(end, m.index);
    }
    return end;
  };
  for (const [re, assertion] of PRE_TRIGGERS) {
    for (const m of s.matchAll(new RegExp(re.source, 'g'))) {
      const from = m.index + m[0].length;
      spans.push({ start: from, end: capEnd(from), assertion });
    }
  }
  for (const [re, assertion] of POST_TRIGGERS) {
    for (const m of s.matchAll(new RegExp(re.source, 'g'))) {
      // Back to the previous terminator or MAX_SCOPE words.
      let begin = 0;
      for (const t of terminators) if (t < m.index) begin = t + 1;
      const before = s.slice(begin, m.index);
      const ws = [...before.matchAll(/[a-z0-9]+/g)];
      if (ws.length > MAX_SCOPE) begin += (ws[ws.length - MAX_SCOPE] as RegExpMatchArray).index as number;
      spans.push({ start: begin, end: m.index, assertion });
    }
  }
  return spans;
}

/**
 * How a mention at [start, end) of the sentence is asserted. Negation wins over uncertainty, and
 * a mention about another person (family history) is never the patient's.
 */
export function assertionAt(sentence: string, start: number, end: number, spans: readonly Span[] = assertionSpans(sentence)): Assertion {
  let result: Assertion = 'affirmed';
  for (const sp of spans) {
    if (start >= sp.start && end <= sp.end + 1) {
      if (sp.assertion === 'other-person') return 'other-person';
      if (sp.assertion === 'negated') result = 'negated';
      else if (result === 'affirmed') result = 'uncertain';
    }
  }
  return result;
}

/** Cosine similarity of two vectors (the embedding models here return unit vectors, but do not rely on it). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
