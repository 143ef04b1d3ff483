/**
 * Short cards (issue #18): a card the CDS Hooks Sandbox shows on one screen, buttons included.
 * CDS Hooks' guidance for cards is a summary, the decisive facts and a link, with the detail in a
 * SMART app; rendered with every reading in a table and every passage in full, the triage card of
 * the ED demo patient stood about 2,400 px tall and four diagnosis cards about 5,700 px, their
 * buttons two screens below the summary. So a card's detail holds the decisive values (computed
 * from the record, with units and dates), ONE guideline quotation with its source, and nothing
 * else; the full evidence stays in the card's extensions (`cairn-passages` and the service's own)
 * and in the Cairn app its `smart` link opens.
 *
 * The quotation is always verbatim: a whole passage when it fits, else whole sentences of one
 * (marked "(excerpt)"), never words changed or cut.
 */
import type { Link } from '../hooks/schema.js';
import { isStopWord, stem, words } from '../text/tokens.js';
import { blocks } from './markdown.js';
import { quoteBlock, sectionLine, shortSourceLine, sourceLine, type QuotedPassage } from './passages.js';

/** CDS Hooks 2.0 Card.summary: "<140 characters". */
export const SUMMARY_MAX_CHARS = 139;
/**
 * Issue #18: at most about eight blocks and 1,000 characters of detail, what the CDS Hooks
 * Sandbox shows with the card's buttons on one screen.
 */
export const DETAIL_MAX_CHARS = 1000;
export const DETAIL_MAX_BLOCKS = 8;

/** The summary cut to CDS Hooks' limit (the computed figures are in the detail). */
export function shortSummary(text: string): string {
  return text.length <= SUMMARY_MAX_CHARS ? text : text.slice(0, SUMMARY_MAX_CHARS);
}

/** What a card quotes: a whole passage, or whole sentences of it (`excerpt`), exactly as stored. */
export interface Quote {
  passage: QuotedPassage;
  /** A slice of `passage.text`, character for character. */
  text: string;
  excerpt: boolean;
}

/** A fact the card may leave out (the last first) when the detail would not fit otherwise. */
export interface OptionalBlock {
  optional: string;
}

export interface ShortDetailParts {
  /** Blocks computed from the record, in the order shown; falsy ones are left out. */
  facts: ReadonlyArray<string | OptionalBlock | false | null | undefined>;
  /** The passages the card rests on, the best first (all of them stay in `cairn-passages`). */
  passages: readonly QuotedPassage[];
  /**
   * How many of the first passages are quoted before any other whenever one of their quotations
   * fits (the passage behind the card's finding); default: none, all are ranked together.
   */
  preferred?: number;
  /**
   * What the quotation should speak to (the finding's criterion, the decision point's question):
   * of the passages and their sentences that fit, the one sharing most of its words is quoted.
   */
  relevance: string;
  /**
   * Quotations this matches are not quoted: a sentence that, out of its passage, says the opposite
   * of the card ("All chest pain patients do not meet level-1 or 2 criteria" under a level 2 set by
   * chest pain). The passage stays whole in `cairn-passages` and the app.
   */
  avoid?: RegExp;
}

export interface ShortDetail {
  detail: string;
  /** What the detail quotes; undefined when it quotes nothing. */
  quote?: Quote;
}

/**
 * The detail of a short card: the facts, then one quotation with its section line and source. The
 * facts come first: optional ones are dropped only when no quotation fits beside them all. Of the
 * quotations that fit (ranked by quoteCandidates) and share a word with the question, the best
 * is taken, with the document's full reference when that fits too, else its title and address
 * (shortSourceLine). When nothing fits, the required facts and the shortest relevant quotation: a
 * card never goes without the guideline's words it rests on.
 */
export function shortDetail(parts: ShortDetailParts): ShortDetail {
  const facts = parts.facts.filter((f): f is string | OptionalBlock => !!f && (typeof f === 'string' || f.optional.trim().length > 0));
  const optional = facts.filter((f): f is OptionalBlock => typeof f !== 'string');
  // A quotation that shares no word with the question is not quoted, however short: "These are
  // ungraded practice statements" or a sentence about normal blood pressure on a stage 1 card says
  // nothing of the finding, and a clinician would read it as advice for this patient.
  // A preferred passage quoted whole is exempt: the caller chose it as the one the finding rests on.
  const candidates = quotableCandidates(parts.passages, parts.relevance, parts.preferred ?? 0, parts.avoid);
  for (let drop = 0; drop <= optional.length; drop++) {
    const dropped = new Set(optional.slice(optional.length - drop));
    const kept = facts.filter((f) => typeof f === 'string' || !dropped.has(f)).map((f) => (typeof f === 'string' ? f : f.optional));
    if (candidates.length === 0) {
      const detail = blocks(...kept);
      if (fits(detail)) return { detail };
      continue;
    }
    for (const quote of candidates) {
      for (const full of [true, false]) {
        const detail = blocks(...kept, ...cachedQuotationBlocks(quote, full));
        if (fits(detail)) return { detail, quote };
      }
    }
  }
  // Nothing fits: the required facts and the shortest relevant quotation of the passage the card
  // rests on (the first), over the limit rather than without the guideline's words; a test keeps
  // every demo card within it.
  const required = facts.filter((f): f is string => typeof f === 'string');
  const own = candidates.filter((q) => q.passage === parts.passages[0]);
  const shortest = [...(own.length > 0 ? own : candidates)].sort((a, b) => a.text.length - b.text.length)[0];
  return shortest ? { detail: blocks(...required, ...quotationBlocks(shortest, false)), quote: shortest } : { detail: blocks(...required) };
}

/**
 * The quotations shortDetail may choose from, best first: quoteCandidates that speak to the
 * question, and the preferred passages whole. A card's passages come from fixed questions and its
 * relevance is the finding's, so the same list comes back on every hook about the same finding:
 * ranking it anew (units, weights, a sort over every excerpt) was about a quarter of a diagnosis
 * card's CPU time (CPU profile of bench:hooks, 2026-12-06). Kept per question and the passages'
 * texts (all the ranking reads of them), as positions into the passages given, so the quotes
 * returned always refer to the caller's own passage objects.
 */
function quotableCandidates(passages: readonly QuotedPassage[], relevance: string, preferred: number, avoid: RegExp | undefined): Quote[] {
  const key = `${preferred}\u0000${avoid?.source ?? ''}\u0000${relevance}\u0000${passages.map((p) => `${p.headingPath.length === 0 ? 0 : 1}${p.text}`).join('\u0001')}`;
  let ranked = rankingCache.get(key);
  if (!ranked) {
    const chosen = new Set(passages.slice(0, preferred));
    const quotes = quoteCandidates(passages, relevance, preferred).filter(
      (q) => (speaksTo(q, relevance) || (!q.excerpt && chosen.has(q.passage))) && !(avoid && q.excerpt && avoid.test(q.text.replace(/\s+/g, ' '))),
    );
    ranked = quotes.map((q) => ({ index: passages.indexOf(q.passage), text: q.text, excerpt: q.excerpt }));
    remember(rankingCache, key, ranked);
  }
  return ranked.map((r) => ({ passage: passages[r.index] as QuotedPassage, text: r.text, excerpt: r.excerpt }));
}

/** Entries each of these caches keeps at most (the oldest goes first): free text cannot grow them without end. */
const QUOTE_CACHE_SIZE = 2000;
const rankingCache = new Map<string, ReadonlyArray<{ index: number; text: string; excerpt: boolean }>>();
const blocksCache = new Map<string, string[]>();

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= QUOTE_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
}

/** quotationBlocks kept per quoted text and everything of its passage the blocks show (fixed text, fixed markup). */
function cachedQuotationBlocks(q: Quote, full: boolean): string[] {
  const p = q.passage;
  const key = [full ? 1 : 0, q.excerpt ? 1 : 0, q.text, p.title, p.citation, p.url ?? '', p.kind, p.grade ?? '', p.gradeSystem ?? '', p.headingPath.join('\u0002')].join('\u0000');
  let found = blocksCache.get(key);
  if (!found) {
    found = quotationBlocks(q, full);
    remember(blocksCache, key, found);
  }
  return found;
}

/** Whether a quotation shares a content word with the question it should answer (any does, with no question). */
function speaksTo(quote: Quote, relevance: string): boolean {
  const wanted = termsOf(relevance);
  if (wanted.size === 0) return true;
  for (const t of termsOf(quote.text)) if (wanted.has(t)) return true;
  return false;
}

/** Within the limits: DETAIL_MAX_CHARS characters of markdown, DETAIL_MAX_BLOCKS blocks. */
export function fits(detail: string): boolean {
  return detail.length <= DETAIL_MAX_CHARS && blockCount(detail) <= DETAIL_MAX_BLOCKS;
}

/** Blocks of a detail as `blocks` joins them: a list, a table or a block quote counts as one. */
export function blockCount(detail: string): number {
  return detail.split(/\n[ \t]*\n/).filter((b) => b.trim().length > 0).length;
}

/** The quotation, its section line (saying "(excerpt)" when it is one) and its source line. */
export function quotationBlocks(q: Quote, fullReference = true): string[] {
  const section = sectionLine(q.passage, q.excerpt);
  return [quoteBlock(q), ...(section ? [section] : []), fullReference ? sourceLine(q.passage) : shortSourceLine(q.passage)];
}

/**
 * Every quotation a card could make from its passages, best first: each whole passage and each
 * excerpt of whole sentences (excerptsOf). Ranked by the relevance words (stemmed, stop words left
 * out) they contain, each weighted by how few of the passages' sentences contain it (inverse
 * document frequency, as full-text search weighs a query's words: "immediate" tells more than
 * "patient" in a handbook about patients); then a whole passage before an excerpt, then the order
 * of the passages, then the excerpt's position in its passage, then the shorter. The first
 * `preferred` passages come before all others; a document's opening text (a passage under no
 * heading) after all the rest: it says what the document is, not what it recommends.
 */
export function quoteCandidates(passages: readonly QuotedPassage[], relevance: string, preferred = 0): Quote[] {
  const wanted = termsOf(relevance);
  const units: Array<{ quote: Quote; tier: number; terms: Set<string>; rank: number; at: number }> = [];
  passages.forEach((passage, rank) => {
    const tier = passage.headingPath.length === 0 ? 2 : rank < preferred ? 0 : 1;
    units.push({ quote: { passage, text: passage.text, excerpt: false }, tier, terms: termsOf(passage.text), rank, at: 0 });
    for (const e of cachedExcerpts(passage.text)) {
      units.push({ quote: { passage, text: e.text, excerpt: true }, tier, terms: termsOf(e.text), rank, at: e.start });
    }
  });
  const weight = new Map<string, number>();
  for (const w of wanted) {
    const df = units.filter((u) => u.terms.has(w)).length;
    if (df > 0) weight.set(w, Math.log(1 + units.length / df));
  }
  const score = (terms: ReadonlySet<string>) => [...weight].reduce((sum, [w, x]) => sum + (terms.has(w) ? x : 0), 0);
  const scored = units.map((u) => ({ ...u, score: score(u.terms) }));
  scored.sort(
    (a, b) =>
      a.tier - b.tier ||
      b.score - a.score ||
      Number(a.quote.excerpt) - Number(b.quote.excerpt) ||
      a.rank - b.rank ||
      a.at - b.at ||
      a.quote.text.length - b.quote.text.length,
  );
  return scored.map((s) => s.quote);
}

/**
 * The part of a passage that speaks to a question: the excerpt a card asking `relevance` would
 * quote of this passage alone (quoteCandidates' ranking), as character offsets into its text, so
 * an app showing the passage in full can mark it. The whole passage when it has no smaller
 * excerpt; undefined when no excerpt shares a word with the question (nothing to mark).
 */
export function matchedRange(passage: QuotedPassage, relevance: string): { start: number; end: number } | undefined {
  const wanted = termsOf(relevance);
  const quote = quoteCandidates([passage], relevance).find((q) => q.excerpt) ?? { text: passage.text };
  if (![...termsOf(quote.text)].some((t) => wanted.has(t))) return undefined;
  const start = passage.text.indexOf(quote.text);
  return start < 0 ? undefined : { start, end: start + quote.text.length };
}

/**
 * The stemmed content words of a text. Passages and their excerpts are the same few hundred texts
 * on every hook (the corpus is fixed), so their word sets are kept: tokenising them again was a
 * sixth of a triage call. Bounded, so free text (a relevance string) cannot grow it without end.
 */
const TERMS_CACHE_SIZE = 5000;
const termsCache = new Map<string, Set<string>>();

function termsOf(text: string): Set<string> {
  const cached = termsCache.get(text);
  if (cached) return cached;
  const terms = new Set(words(text).filter((w) => !isStopWord(w)).map(stem));
  if (termsCache.size >= TERMS_CACHE_SIZE) termsCache.delete(termsCache.keys().next().value as string);
  termsCache.set(text, terms);
  return terms;
}

/** excerptsOf, kept per passage text like termsOf (the same passages come back on every hook). */
const excerptsCache = new Map<string, readonly Excerpt[]>();
function cachedExcerpts(text: string): readonly Excerpt[] {
  let found = excerptsCache.get(text);
  if (!found) {
    found = excerptsOf(text);
    if (excerptsCache.size >= TERMS_CACHE_SIZE) excerptsCache.delete(excerptsCache.keys().next().value as string);
    excerptsCache.set(text, found);
  }
  return found;
}

/** A slice of a passage's text: `text` is `passage.slice(start, start + text.length)`. */
export interface Excerpt {
  start: number;
  text: string;
}

interface Block {
  kind: 'paragraph' | 'item' | 'table';
  start: number;
  end: number;
}

const ITEM = /^[ \t]*(?:[-*+]|\d+[.)])[ \t]+/;

/**
 * The excerpts a card may quote of a passage: its whole sentences, and its paragraphs and list
 * items when they hold more than one, each a verbatim slice of the text, in order, the whole
 * passage left out. A sentence ends at `.`, `!` or `?` (and any closing quotation mark or
 * bracket) before white space and a word that starts with a capital or has one ("qSOFA"), unless
 * the word before the full stop is an initial or a common abbreviation ("e.g.", "et al."); so
 * does a colon before such a word, which opens a sentence of its own ("…(conceptual algorithm):
 * Does the patient require immediate life-saving intervention?"). A sentence also ends with its
 * paragraph or list item. A sentence that ends its paragraph with a colon takes
 * the list or table that follows: it is their lead-in ("It gives 1 point each for:" says nothing
 * alone), and items after a lead-in are parts of its sentence, not sentences of their own.
 */
export function excerptsOf(text: string): Excerpt[] {
  const found = new Map<string, Excerpt>();
  const wholeStart = text.length - text.trimStart().length;
  const wholeEnd = text.trimEnd().length;
  const add = (start: number, end: number) => {
    while (start < end && /\s/.test(text.charAt(start))) start++;
    while (end > start && /\s/.test(text.charAt(end - 1))) end--;
    if (end <= start || (start === wholeStart && end === wholeEnd)) return;
    const key = `${start}:${end}`;
    if (!found.has(key)) found.set(key, { start, text: text.slice(start, end) });
  };
  const parsed = blocksOf(text);
  for (let i = 0; i < parsed.length; i++) {
    const b = parsed[i] as Block;
    // A table is no sentence; it is quoted only with its lead-in.
    if (b.kind === 'table') continue;
    const bodyStart = b.kind === 'item' ? b.start + (ITEM.exec(text.slice(b.start, b.end))?.[0].length ?? 0) : b.start;
    const sentences = sentenceSpans(text, bodyStart, b.end);
    const [lastStart, lastEnd] = sentences[sentences.length - 1] ?? [bodyStart, b.end];
    let blockEnd = b.end;
    let next = i + 1;
    if (/:\s*$/.test(text.slice(lastStart, lastEnd)) && isListOrTable(parsed[next])) {
      // The lead-in and everything it introduces, up to the next paragraph.
      while (isListOrTable(parsed[next])) next++;
      blockEnd = (parsed[next - 1] as Block).end;
    }
    for (const [s, e] of sentences) add(s, e === lastEnd ? blockEnd : e);
    if (sentences.length > 1) add(bodyStart, blockEnd);
    i = next - 1;
  }
  return [...found.values()].sort((a, b) => a.start - b.start || a.text.length - b.text.length);
}

function isListOrTable(b: Block | undefined): boolean {
  return b !== undefined && (b.kind === 'item' || b.kind === 'table');
}

/** Paragraphs, list items (with their wrapped lines) and tables, by character offsets. */
function blocksOf(text: string): Block[] {
  const out: Block[] = [];
  let current: Block | undefined;
  let offset = 0;
  for (const line of text.split('\n')) {
    const start = offset;
    const end = offset + line.length;
    offset = end + 1;
    if (line.trim().length === 0 || /^[ \t]*>[ \t]*$/.test(line)) {
      current = undefined;
      continue;
    }
    const kind: Block['kind'] = /^[ \t]*\|/.test(line) ? 'table' : ITEM.test(line) ? 'item' : 'paragraph';
    // A wrapped line continues its paragraph or item, a row its table; a new item starts afresh.
    if (current && ((kind === 'paragraph' && current.kind !== 'table') || (kind === 'table' && current.kind === 'table'))) {
      current.end = end;
      continue;
    }
    current = { kind, start, end };
    out.push(current);
  }
  return out;
}

/** Words after which a full stop does not end a sentence. */
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'al', 'vs', 'approx', 'cf', 'dr', 'no', 'fig', 'st', 'ca', 'etc']);
const BOUNDARY = /[.!?:]["”’')\]]*(?=\s+["“‘(]?(?:[A-Z]|[a-z]+[A-Z]))/g;

/** The sentences between start and end, as [start, end) spans. */
function sentenceSpans(text: string, start: number, end: number): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const body = text.slice(start, end);
  let from = 0;
  for (const m of body.matchAll(BOUNDARY)) {
    if (body.charAt(m.index) === '.') {
      const word = (/([A-Za-z][A-Za-z.]*)$/.exec(body.slice(from, m.index))?.[1] ?? '').toLowerCase();
      if (ABBREVIATIONS.has(word) || /^(?:[a-z]\.)*[a-z]$/.test(word)) continue;
    }
    const stop = m.index + m[0].length;
    spans.push([start + from, start + stop]);
    from = stop;
  }
  if (body.slice(from).trim().length > 0) spans.push([start + from, end]);
  return spans;
}

/** The label every short card's SMART link carries. */
export const SMART_LINK_LABEL = 'Open evidence in Cairn';

/**
 * The card's link to the Cairn app, which shows the full evidence (every passage, every reading,
 * every criterion): `type: smart`, so the EHR launches it with the patient in context.
 * `appContext` names the service and the finding, as JSON, so the app opens at that finding. No
 * card uuid: the service builds the card before the answer gives it one (src/hooks/invoke.ts),
 * and a random value in the card's content would keep it from being reproduced from the ledger.
 */
export function smartLink(url: string | undefined, context: Readonly<Record<string, unknown>> & { service: string }): Link[] {
  if (!url) return [];
  return [{ label: SMART_LINK_LABEL, url, type: 'smart', appContext: JSON.stringify(context) }];
}
