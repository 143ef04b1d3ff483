/**
 * What a clinician sees of a card in a GitHub-flavoured markdown renderer (the CDS Hooks sandbox
 * renders `detail` as GFM): the detail rendered with marked, and the checks every shipped card
 * must pass there, including those of a short card (issue #18). Also a fixture knowledge base over
 * the shipped guideline corpus, so the cards quote real passages with their real titles and
 * citations without a database.
 */
import { readFileSync } from 'node:fs';
import { marked } from 'marked';
import { parse, type HTMLElement } from 'node-html-parser';
import { PASSAGES_EXTENSION, unquote } from '../../src/cards/passages.js';
import { readProvenance } from '../../src/cards/provenance.js';
import { documentVersionOf, parseCorpus } from '../../src/knowledge/corpus/index.js';
import type { GuidelineSearch } from '../../src/knowledge/guideline-search.js';
import type { GuidelineHit, SearchOptions } from '../../src/knowledge/retriever.js';
import type { Card } from '../../src/hooks/schema.js';
import { shiftToNow } from '../../dev/fhir-server/time-shift.js';
import { repoPath } from './repo-root.js';

/** The hand-made demo patients whose cards are checked. */
export const EDGE_CASES = [
  'aki-inpatient.json',
  'child-febrile-ed.json',
  'ed-deteriorating-vitals.json',
  'healthy-adult.json',
  'hiv-trial-candidate.json',
  'htn-stage1-diabetes.json',
  'implausible-values.json',
  'known-conditions.json',
  'mixed-units.json',
  'notes-only.json',
  'prediabetes.json',
  'thyroid-trial-candidate.json',
  'ward-news2-medium.json',
] as const;

/** A demo patient's Bundle shifted so that its latest time falls 5 minutes before `reference`, and its patient id. */
export function demoPatient(file: string, reference: Date): { bundle: unknown; patientId: string } {
  const raw = JSON.parse(readFileSync(repoPath('fhir-profiles/examples/edge-cases', file), 'utf8')) as { entry: Array<{ resource: { resourceType: string; id: string } }> };
  const bundle = shiftToNow(raw, reference.getTime() - 5 * 60_000);
  return { bundle, patientId: bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource.id };
}

/**
 * The shipped guideline corpus (guidelines/), parsed and chunked as ingest does, answering a
 * query with the chunks of the filtered documents that share the most words with it: real
 * passages, titles and citations, in a deterministic order.
 */
export async function corpusSearch(): Promise<GuidelineSearch> {
  const { documents } = await parseCorpus([repoPath('guidelines')]);
  const words = (s: string) => new Set(s.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  const chunks = documents.flatMap((d) =>
    d.chunks.map((c) => {
      const hit: GuidelineHit = {
        chunkId: c.id,
        documentId: c.documentId,
        title: c.title,
        headingPath: c.headingPath,
        text: c.text,
        ...(c.url !== undefined && { url: c.url }),
        citation: c.citation,
        ...(c.grade !== undefined && { grade: c.grade }),
        ...(c.gradeSystem !== undefined && { gradeSystem: c.gradeSystem }),
        kind: d.meta.kind,
        documentHash: d.contentHash,
        documentVersion: documentVersionOf(d.meta),
        score: 0,
        ranks: {},
      };
      return { hit, words: words(`${c.context} ${c.text}`) };
    }),
  );
  return {
    search(query: string, options?: SearchOptions) {
      const ids = options?.filters?.documentIds;
      const q = [...words(query)];
      const scored = chunks
        .filter((c) => !ids || ids.includes(c.hit.documentId))
        .map((c) => ({ ...c.hit, score: q.filter((w) => c.words.has(w)).length }))
        .sort((a, b) => b.score - a.score || a.chunkId.localeCompare(b.chunkId));
      return Promise.resolve(scored.slice(0, options?.k ?? 5));
    },
  };
}

/** Every chunk of the shipped corpus, as ingest makes them. */
export async function corpusChunks(): Promise<CorpusChunk[]> {
  const { documents } = await parseCorpus([repoPath('guidelines')]);
  return documents.flatMap((d) =>
    d.chunks.map((c) => ({ documentId: c.documentId, title: c.title, text: c.text, citation: c.citation, ...(c.url !== undefined && { url: c.url }), kind: d.meta.kind })),
  );
}

export function renderGfm(markdown: string): HTMLElement {
  return parse(marked.parse(markdown, { gfm: true, async: false }));
}

/** Text of an element as the reader sees it (entities decoded, whitespace runs as one space). */
const seen = (e: HTMLElement) => e.text.replace(/\s+/g, ' ').trim();

function insideQuote(e: HTMLElement): boolean {
  for (let p = e.parentNode; p; p = p.parentNode) if (p.rawTagName === 'blockquote') return true;
  return false;
}

/**
 * What is wrong with a card's detail as a GFM renderer shows it; [] when nothing. Guideline
 * passages (block quotes) are verbatim corpus text: they are checked for citations only.
 */
export function renderingProblems(card: Card): string[] {
  const problems: string[] = [];
  const md = card.detail ?? '';
  const root = renderGfm(md);
  const blocks = root.querySelectorAll('p, li, td, th, h1, h2, h3, h4').filter((e) => !insideQuote(e));
  const text = [card.summary, ...blocks.map(seen)].join('\n');

  // Raw UCUM: a bracketed or braced unit, or UCUM's Celsius symbol after a number.
  for (const raw of text.match(/mm\[Hg\]|\[(?:degF|lb_av|oz_av|in_i|ft_i|IU)\]|\{[^}]*\}|\d\s*Cel\b|10\*\d/g) ?? []) problems.push(`raw UCUM code "${raw}"`);
  // Internal names: the context type, value-set ids, enum-style codes.
  for (const raw of text.match(/PatientContext|\bcairn-[a-z0-9-]+|\b[A-Z]+(?:_[A-Z]+)+\b|\bphase-\d/g) ?? []) problems.push(`internal name "${raw}"`);
  if (/(?<!\.)\.\.(?!\.)/.test(text)) problems.push(`double full stop in "${text.match(/[^\n]{0,40}(?<!\.)\.\.(?!\.)/)?.[0]}"`);

  // One line of source per paragraph: a soft break means two lines were run together.
  for (const p of root.querySelectorAll('p').filter((e) => !insideQuote(e))) {
    if (/\n/.test(p.text.trim())) problems.push(`lines run together in one paragraph: ${JSON.stringify(p.text.slice(0, 120))}`);
  }
  // Two lists a blank line apart render as one loose list (its items wrapped in paragraphs).
  if (root.querySelectorAll('li > p').some((e) => !insideQuote(e))) problems.push('lists run together into one loose list');
  // Every table the markdown writes is a table in the HTML; none is left as pipe text.
  const tablesWritten = md.split('\n').filter((l) => /^\|(?:\s*-{3,}\s*\|)+$/.test(l)).length;
  const tablesRendered = root.querySelectorAll('table').filter((e) => !insideQuote(e));
  if (tablesRendered.length !== tablesWritten) problems.push(`${tablesWritten} tables written, ${tablesRendered.length} rendered`);
  for (const b of blocks) if (/^\|/.test(seen(b))) problems.push(`pipe text outside a table: ${seen(b).slice(0, 80)}`);
  for (const table of tablesRendered) {
    const rows = table.querySelectorAll('tbody tr').map((tr) => tr.querySelectorAll('td').map(seen));
    const header = table.querySelectorAll('th').map(seen);
    header.forEach((h, i) => {
      if (rows.length > 0 && rows.every((r) => r[i] === '–' || r[i] === '')) problems.push(`column "${h}" is empty in every row`);
    });
    if (rows.some((r) => r.length !== header.length)) problems.push('a table row has more or fewer cells than the header (an unescaped pipe?)');
  }

  // Each citation at most once in the card (a short card may name a document by title and address only).
  const passages = (card.extension?.[PASSAGES_EXTENSION] ?? []) as Array<{ citation: string }>;
  const all = root.text;
  for (const citation of new Set(passages.map((p) => p.citation))) {
    const n = all.split(citation).length - 1;
    if (n > 1) problems.push(`citation shown ${n} times: ${citation.slice(0, 60)}…`);
  }
  return problems;
}

/** A guideline chunk as the corpus stores it (tests/support: parseCorpus), to check quotations against. */
export interface CorpusChunk {
  documentId: string;
  title: string;
  text: string;
  citation: string;
  url?: string;
  kind: string;
}

export interface ShortCardExpectations {
  /** The chunks of the shipped corpus: every quotation must be verbatim in one of them. */
  corpus: readonly CorpusChunk[];
  /** The CAIRN_SMART_APP_URL the card was built with; undefined: the card must have no smart link. */
  smartAppUrl?: string;
}

/** Issue #18: a short card fits one screen of the CDS Hooks Sandbox, buttons included. */
export const SHORT_CARD = { summaryChars: 140, detailChars: 1000, blocks: 8 } as const;

/**
 * What keeps a card from being a short card (issue #18); [] when nothing:
 * - summary under 140 characters (CDS Hooks), detail at most 1,000 characters and 8 blocks (what
 *   the renderer shows as paragraphs, lists, tables and quotes);
 * - a card with guideline passages quotes exactly one, verbatim from the corpus: the whole chunk,
 *   or whole sentences of it (starting where a sentence starts, ending with the sentence's
 *   punctuation or its block) marked "(excerpt)"; after it the source, naming the document by its
 *   title or full citation, with its address, and saying when the text is Cairn's own summary;
 * - the quotation is of a passage the card carries in `cairn-passages`;
 * - with a SMART app URL, exactly one `smart` link "Open evidence in Cairn" to it, whose appContext
 *   is JSON naming the service and the card's rule; without one, no smart link.
 */
export function shortCardProblems(card: Card, expect: ShortCardExpectations): string[] {
  const problems: string[] = [];
  const md = card.detail ?? '';
  if (card.summary.length >= SHORT_CARD.summaryChars) problems.push(`summary of ${card.summary.length} characters`);
  if (md.length > SHORT_CARD.detailChars) problems.push(`detail of ${md.length} characters`);
  const rendered = renderGfm(md).childNodes.filter((n) => (n as HTMLElement).tagName !== undefined);
  if (rendered.length > SHORT_CARD.blocks) problems.push(`detail of ${rendered.length} blocks`);

  const carried = (card.extension?.[PASSAGES_EXTENSION] ?? []) as Array<{ chunkId: string; documentId: string; text: string; citation: string }>;
  const blocks = md.split(/\n[ \t]*\n/);
  const quotes = blocks.map((b, i) => ({ i, text: unquote(b) })).filter(({ i }) => (blocks[i] as string).startsWith('>'));
  const guideline = quotes.filter((q) => carried.some((p) => p.text.includes(q.text)));
  if (carried.length > 0 && guideline.length !== 1) problems.push(`${guideline.length} guideline quotations (one wanted)`);
  if (carried.length === 0 && guideline.length > 0) problems.push('a quotation with no passage in cairn-passages');
  for (const q of guideline) {
    const passage = carried.find((p) => p.text.includes(q.text))!;
    const chunk = expect.corpus.find((c) => c.documentId === passage.documentId && c.text === passage.text);
    if (!chunk) {
      problems.push(`passage ${passage.chunkId} is not a chunk of the corpus`);
      continue;
    }
    const whole = q.text === chunk.text;
    const section = blocks[q.i + 1] ?? '';
    const source = blocks.slice(q.i + 1).find((b) => b.startsWith('Source: ')) ?? '';
    if (!whole) {
      const at = chunk.text.indexOf(q.text);
      const before = chunk.text.slice(0, at);
      const after = chunk.text.slice(at + q.text.length);
      if (!(before.trim() === '' || /(?:[.!?:]["”’')\]]*\s+|\n\s*\n\s*(?:[-*]\s+)?)$/.test(before))) problems.push(`excerpt starts mid-sentence: ${q.text.slice(0, 50)}`);
      if (!(after.trim() === '' || /[.!?:]["”’')\]]*$/.test(q.text) || /^\s*\n\s*\n/.test(after))) problems.push(`excerpt ends mid-sentence: …${q.text.slice(-50)}`);
      if (!/\(excerpt\)/.test(section)) problems.push(`excerpt not marked "(excerpt)": ${q.text.slice(0, 50)}`);
    } else if (/\(excerpt\)/.test(section)) {
      problems.push('a whole passage marked "(excerpt)"');
    }
    const shown = renderGfm(source).text;
    if (!shown.includes(chunk.title.trim()) && !shown.includes(chunk.citation)) problems.push(`source line names neither the title nor the citation of ${chunk.documentId}`);
    if (chunk.url && !shown.includes(chunk.url)) problems.push(`source line without the address of ${chunk.documentId}`);
    if (chunk.kind === 'summary' && !shown.includes('a summary in Cairn’s own words')) problems.push(`source line of a summary does not say so: ${chunk.documentId}`);
  }

  const smart = (card.links ?? []).filter((l) => l.type === 'smart');
  if (expect.smartAppUrl === undefined) {
    if (smart.length > 0) problems.push('a smart link with no SMART app configured');
  } else if (smart.length !== 1) {
    problems.push(`${smart.length} smart links (one wanted)`);
  } else {
    const [link] = smart;
    if (link!.label !== 'Open evidence in Cairn' || link!.url !== expect.smartAppUrl) problems.push(`smart link ${link!.label} → ${link!.url}`);
    let context: unknown;
    try {
      context = JSON.parse(link!.appContext ?? '');
    } catch {
      problems.push(`appContext is not JSON: ${link!.appContext}`);
    }
    const c = context as { service?: unknown; rule?: unknown } | undefined;
    if (c && (typeof c.service !== 'string' || c.rule !== readProvenance(card)?.rule.id)) problems.push(`appContext names no service or another rule: ${link!.appContext}`);
  }
  return problems;
}

/** The rendered blocks (paragraphs and list items outside quotes) whose text contains `needle`. */
export function blocksContaining(card: Card, needle: string): string[] {
  return renderGfm(card.detail ?? '')
    .querySelectorAll('p, li')
    .filter((e) => !insideQuote(e))
    .map(seen)
    .filter((t) => t.includes(needle));
}
