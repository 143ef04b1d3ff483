/**
 * The lexicon skips a pattern whose literal is missing from the text's compact form, without
 * running its regular expression. That is only a shortcut if no text the expression matches lacks
 * the literal: checked here on texts built from the lexicon's own terms, spelled as notes spell
 * them (any case, spaces and hyphens added, dropped or swapped, plural endings), among other
 * words and characters that fold or case-map oddly.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compact, conditionMentions, CONDITIONS, lexiconPatterns, medicationMentions, MEDICATIONS } from '../../src/services/trials/matching/lexicon.js';
import { asciiFold } from '../../src/text/tokens.js';

const TERMS = [...CONDITIONS, ...MEDICATIONS].flatMap((c) => [...c.terms, ...(c.abbr ?? []), ...(c.negativeTerms ?? [])]);
const PATTERNS = lexiconPatterns();

/** A lexicon term as a note might write it. */
const spelled = fc
  .tuple(
    fc.constantFrom(...TERMS),
    fc.constantFrom('as-is', 'upper', 'lower', 'title'),
    fc.constantFrom('keep', 'drop', 'hyphen', 'space'),
    fc.constantFrom('', 's', 'es'),
  )
  .map(([term, casing, separators, suffix]) => {
    let t = separators === 'keep' ? term : term.replace(/[- ]/g, separators === 'drop' ? '' : separators === 'hyphen' ? '-' : ' ');
    if (casing === 'upper') t = t.toUpperCase();
    else if (casing === 'lower') t = t.toLowerCase();
    else if (casing === 'title') t = t.replace(/\b[a-z]/g, (c) => c.toUpperCase());
    return t + suffix;
  });

const filler = fc.constantFrom(' ', ', ', '. ', ' - ', '-', '', 'no ', 'history of ', 'patient ', '2 ', 'İ', 'ſ', 'K', 'ß', 'é', '–', '\u00a0', '≥', 'µg');

const noteText = fc.array(fc.oneof(spelled, filler, fc.string({ maxLength: 6 })), { maxLength: 12 }).map((parts) => parts.join(''));

describe('trial lexicon: the literal check only skips patterns that cannot match', () => {
  it('every pattern that matches a text has its literal in the text', () => {
    expect(PATTERNS.filter((p) => p.literal !== undefined).length).toBeGreaterThan(500);
    fc.assert(
      fc.property(noteText, (text) => {
        const folded = asciiFold(text);
        const compacted = compact(folded);
        for (const p of PATTERNS) {
          if (p.literal === undefined) continue;
          const re = new RegExp(p.re.source, p.re.flags);
          if (re.test(folded)) expect([p.conceptId, p.re.source, compacted.includes(p.literal)]).toEqual([p.conceptId, p.re.source, true]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('still finds the concepts of a note sentence', () => {
    const s = 'Hx of type-2 Diabetes and CHF; no chest pain. Never smoked, on LISINOPRIL.';
    expect(conditionMentions(s, true).map((m) => [m.conceptId, m.negativeForm])).toEqual([
      ['type-2-diabetes', false],
      ['heart-failure', false],
      ['chest-pain', false],
      ['smoking', true],
    ]);
    expect(medicationMentions(s, true).map((m) => m.conceptId)).toEqual(['antihypertensive']);
  });
});
