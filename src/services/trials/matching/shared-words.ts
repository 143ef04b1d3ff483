/**
 * The words of the patient's record and notes that a trial's text also uses, and that say
 * something about what it is for: the evidence a card can quote when no condition the trial
 * studies is documented as such (a note describing "fever, conjunctivitis, strawberry tongue"
 * beside a trial whose criteria list them). A word counts when it is a content word (no function
 * word, trial boilerplate or bare number, src/text/tokens.ts), not a generic one ("disease",
 * "treatment"), and rare in the store: in at most `maxShare` of its trials, so words every trial
 * uses ("blood", "pain" in a store of pain trials) do not count. Shown as the record writes them.
 *
 * Only the words of what the trial is about count (its titles, conditions, keywords and summary,
 * `SharedWordOptions.about`), and they must come from one statement: one note sentence, or the record's coded conditions and
 * medications together (`statementMatcher`). A description of findings ("fever, conjunctivitis,
 * strawberry tongue") is one sentence; words picked from across a record ("daily" here, "pain"
 * there, "allergic" in a third sentence) say nothing about what the trial is for.
 *
 * Pure: the store's BM25 index (src/search/bm25.ts) in, words out.
 */
import type { Bm25Index } from '../../../search/bm25.js';
import { contentWords, isGeneric, words } from '../../../text/tokens.js';

export interface SharedWord {
  /** As the record or note writes it (lower case). */
  word: string;
  /** Trials of the store whose text has it. */
  trials: number;
}

export interface SharedWordOptions {
  /** A word in more than this share of the store's trials does not count (0–1). */
  maxShare: number;
  /**
   * The trial's words of what it is about (title, conditions, keywords, summary): when given, only
   * these count. A dose ("mg daily") or a note's own vocabulary ("clinic", "despite") found in a
   * trial's eligibility text says nothing about what the trial is for.
   */
  about?: ReadonlySet<string>;
}

/**
 * At most this share of the store's trials may use a word for it to count. Chosen with the rule's
 * count (TRIAL_MIN_SHARED_WORDS, service.ts) on TREC CT 2021 and reported on SIGIR
 * (docs/EVALUATION.md, "Trial matching through the hook").
 */
export const SHARED_WORD_MAX_SHARE = 0.2;

/**
 * A query's words, read once for all the trials it is compared with: the index's terms of it, and
 * each term's first form as the query writes it. (The hook compares every patient statement with
 * each of 20 candidate trials; tokenizing the statements again for each trial was a sixth of the
 * matcher's CPU time in a profile of the trial-match hook.)
 */
export interface PreparedQuery {
  terms: readonly string[];
  surface: ReadonlyMap<string, string>;
}

export function prepareQuery(index: Bm25Index, query: string): PreparedQuery {
  const surface = new Map<string, string>();
  for (const w of words(query)) {
    const [term] = contentWords(w);
    if (term !== undefined && !surface.has(term)) surface.set(term, w);
  }
  return { terms: index.queryTerms(query), surface };
}

/** The query's counting words found in the trial, largest BM25 contribution first. */
export function sharedWords(index: Bm25Index, query: string | PreparedQuery, nctId: string, options: SharedWordOptions = { maxShare: SHARED_WORD_MAX_SHARE }): SharedWord[] {
  const { terms, surface } = typeof query === 'string' ? prepareQuery(index, query) : query;
  const limit = options.maxShare * index.size;
  return index.matchedTerms(terms, nctId).flatMap(({ term }) => {
    const word = surface.get(term);
    const trials = index.df(term);
    return word !== undefined && !isGeneric(term) && trials <= limit && (!options.about || options.about.has(term)) ? [{ word, trials }] : [];
  });
}

/** A statement of the patient's: one note sentence, or the record's coded entries together. */
export interface PatientStatement {
  kind: 'record' | 'note';
  /** `DocumentReference/1`, or `record` for the coded entries. */
  source: string;
  text: string;
  /** The sentence's index in the profile (notes). */
  sentence?: number;
}

/** The statement sharing the most counting words with a trial, and those words. */
export interface SharedStatement {
  words: SharedWord[];
  statement: PatientStatement;
}

/**
 * For each trial, the statement with the most counting words in its text (the first of equals),
 * or undefined when none has any. The statements are read once, whatever the number of trials.
 */
export function statementMatcher(index: Bm25Index, statements: readonly PatientStatement[]): (nctId: string, options?: SharedWordOptions) => SharedStatement | undefined {
  const prepared = statements.map((statement) => ({ statement, query: prepareQuery(index, statement.text) }));
  return (nctId, options) => {
    let best: SharedStatement | undefined;
    for (const { statement, query } of prepared) {
      const found = sharedWords(index, query, nctId, options);
      if (found.length > (best?.words.length ?? 0)) best = { words: found, statement };
    }
    return best;
  };
}
