/**
 * Past history or the present: whether a condition a note mentions (and affirms) is something the
 * patient had, rather than has. "Prior myocardial infarction", "s/p stroke", "history of MI in
 * 2010", "pneumonia 3 years ago", "asthma as a child" are past; "history of diabetes",
 * "past medical history of hypertension", "diabetes diagnosed in 2015" are not: in a history list a
 * chronic disease without an end is still present, and a diagnosis date says when it began, not
 * that it ended. This is ConText's "historical" value (Harkema et al., J Biomed Inform
 * 2009;42:839–851) narrowed to explicit markers: a word that says the episode is over, or a time
 * in the past attached to a history or an event; a bare "history of" is not enough.
 *
 * Negation and family history are negation.ts's; this module only tells, for an affirmed mention,
 * past from current. Pure.
 */
import { asciiFold } from './tokens.js';

/**
 * Words before a mention that say the episode is over ("prior MI", "s/p CABG", "remote stroke",
 * "old infarct", "quit smoking", "ex-smoker"). Not the "old" of an age: "a 41-year-old man with HIV
 * infection" has it now.
 */
const PAST_BEFORE =
  /\b(?:prior|previous|previously|remote|(?<!(?:year|yr|month|mo|week|wk|day)s?[- ])old|former|s\/p|status post|resolved|recovered from|treated for|survivor of|in remission from|healed|quit|quitted|stopped|gave up)\s+(?:[a-z-]+\s+){0,3}$|\bex-$/;

/** Numbers written as words in "N weeks ago" (PAST_TIME, recentWeeks); "a few" and "several" count as three. */
const NUMBER_WORDS: Readonly<Record<string, number>> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, 'a few': 3, few: 3, several: 3, many: 5,
};

/** A past time in the clause: a year, "N years ago" ("a few years ago"), "last year", "as a child", "in childhood", "at age 12". */
const PAST_TIME = new RegExp(
  String.raw`\b(?:in |since )?(?:19|20)\d{2}\b|\b(?:\d+|${Object.keys(NUMBER_WORDS).join('|')})\s*(?:years?|yrs?|months?|weeks?|decades?)\s+(?:ago|prior|previously|before)\b|\blast year\b|\bas a (?:child|teenager|teen|baby|young adult)\b|\bin (?:his|her|their)? ?(?:childhood|youth|twenties|thirties|teens)\b|\bat (?:the )?age (?:of )?\d+\b`,
  'g',
);

/** Words after a mention that say it is over ("hepatitis C treated and cured in 2018", "lymphoma, in remission"). */
const PAST_AFTER = /^\s*(?:[a-z-]+\s+){0,3}(?:cured|eradicated|in (?:complete )?remission)\b/;

/** The same right after a comma ("Hodgkin lymphoma, in complete remission"), where a clause otherwise ends. */
const PAST_AFTER_COMMA = /^\s*,\s*(?:now |currently )?(?:cured|eradicated|in (?:complete )?remission)\b/;

/** "Diagnosed in 2015", "since 2015": the start of something that may still be present. */
const ONSET = /\b(?:diagnosed|dx|since|began|started|onset|developed)\b[^.;]{0,20}$/;

/** A history or event wording the time attaches to ("history of", "h/o", "had", "underwent", "episode of"). */
const HISTORY_WORDS = /\b(?:history of|hx of|h\/o|had|has had|suffered|underwent|episode of|diagnosed with|treated for)\b/;

/** Where the clause around a mention begins and ends: full stops, semicolons, "but", and for the end also a comma. */
function clause(s: string, start: number, end: number): { before: string; after: string } {
  const head = s.slice(0, start);
  const cut = Math.max(head.lastIndexOf('.'), head.lastIndexOf(';'), head.search(/\bbut\b(?!.*\bbut\b)/));
  const before = head.slice(cut + 1);
  const tail = s.slice(end);
  const stop = tail.search(/[.;,]|\bbut\b|\band (?:now|currently|presents?)\b/);
  return { before, after: stop < 0 ? tail : tail.slice(0, stop) };
}

/**
 * "2 weeks ago", "two weeks ago": at most 14 days, which ConText does not call historical (Harkema
 * et al. 2009: a condition is historical when it began more than 14 days before the encounter), so
 * "hospitalized for stroke two weeks ago" is the current episode. Months, years and decades are past.
 */
function recentWeeks(time: string): boolean {
  const m = /^(\d+|a few|[a-z]+)\s*weeks?\b/.exec(time);
  if (!m) return false;
  const n = /^\d+$/.test(m[1] as string) ? Number(m[1]) : NUMBER_WORDS[m[1] as string];
  return n !== undefined && n <= 2;
}

/**
 * Whether the mention at [start, end) of the sentence is past history (see the module comment).
 * `referenceYear`: a year in the clause counts as past only when before it (default: the current
 * year).
 */
export function isPastMention(sentence: string, start: number, end: number, referenceYear: number = new Date().getUTCFullYear()): boolean {
  const s = asciiFold(sentence).toLowerCase();
  const { before, after } = clause(s, start, end);
  if (PAST_BEFORE.test(before) || PAST_AFTER.test(after) || PAST_AFTER_COMMA.test(s.slice(end))) return true;
  const times = [...`${before} ${after}`.matchAll(PAST_TIME)].map((m) => m[0]);
  const pastTimes = times.filter((t) => {
    const year = /(?:19|20)\d{2}/.exec(t);
    if (year) return Number(year[0]) < referenceYear;
    return !recentWeeks(t);
  });
  if (pastTimes.length === 0) return false;
  // A date that marks an onset ("diagnosed in 2015", "since 2015") is not an end.
  const timeAt = `${before} ${after}`.indexOf(pastTimes[0] as string);
  if (ONSET.test(`${before} ${after}`.slice(0, timeAt)) || /^(?:since)\b/.test(pastTimes[0] as string)) return false;
  return HISTORY_WORDS.test(before) || /\b(?:ago|prior|previously|before|as a|childhood|youth|at (?:the )?age)\b/.test(pastTimes.join(' '));
}
