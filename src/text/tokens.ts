/**
 * Words of clinical text: ASCII folding, the tokenizer, a plural-only stemmer, stop words and
 * content words. One tokenizer for the criteria parser, the judge and the BM25 baseline, so that
 * "a word of the criterion occurs in the note" means the same thing in every stage.
 */

/**
 * Unicode comparison signs and dashes as ASCII, and letters without their diacritics, so one set of
 * patterns reads every record: "Sjögren" and "Sjogren", "Guillain-Barré" and "Guillain-Barre" are
 * the same words (the tokenizer keeps a-z only, and would otherwise split "Ménière" into "m", "ni",
 * "re"). Like "≥" to ">=", a ligature can fold to two letters ("ß" to "ss"): code that maps folded
 * text back to the original folds it character by character (card.ts foldedEligibility).
 */
export function asciiFold(text: string): string {
  const folded = text
    .replace(/[≥⩾]/g, '>=')
    .replace(/[≤⩽]/g, '<=')
    .replace(/[‐‑‒–—―−]/g, '-')
    .replace(/[’‘`´]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[µμ]/g, 'u')
    .replace(/\u00a0/g, ' ');
  return LATIN_WITH_MARKS.test(folded) ? withoutDiacritics(folded) : folded;
}

/** Latin letters with diacritics and ligatures (Latin-1 Supplement to Latin Extended-B), or a combining mark. */
const LATIN_WITH_MARKS = /[\u00c0-\u024f]|\p{M}/u;
const LIGATURES: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D' };

function withoutDiacritics(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[ßæÆœŒøØłŁđĐ]/g, (c) => LIGATURES[c] ?? c);
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
