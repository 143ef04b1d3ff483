/**
 * Assertion scope: whether a mention in a sentence is affirmed, negated, uncertain or about
 * someone else ("denies chest pain", "rule out sepsis", "family history of diabetes").
 */
import { asciiFold } from './tokens.js';

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
