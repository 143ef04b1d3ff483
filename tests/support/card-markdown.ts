/**
 * What a clinician sees of a card in a GitHub-flavoured markdown renderer (the CDS Hooks sandbox
 * renders `detail` as GFM): the detail rendered with marked, and the checks every shipped card
 * must pass there. Also a fixture knowledge base over the shipped guideline corpus, so the cards
 * quote real passages with their real titles and citations without a database.
 */
import { readFileSync } from 'node:fs';
import { marked } from 'marked';
import { parse, type HTMLElement } from 'node-html-parser';
import { PASSAGES_EXTENSION } from '../../src/cards/passages.js';
import { documentVersionOf, parseCorpus } from '../../src/knowledge/corpus/index.js';
import type { GuidelineSearch } from '../../src/knowledge/guideline-search.js';
import type { GuidelineHit, SearchOptions } from '../../src/knowledge/retriever.js';
import type { Card } from '../../src/hooks/schema.js';
import { shiftToNow } from '../../dev/fhir-server/time-shift.js';
import { repoPath } from './repo-root.js';

export const EDGE_CASES = [
  'ed-deteriorating-vitals.json',
  'hiv-trial-candidate.json',
  'implausible-values.json',
  'mixed-units.json',
  'notes-only.json',
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

  // Each citation at most once in the card.
  const passages = (card.extension?.[PASSAGES_EXTENSION] ?? []) as Array<{ citation: string }>;
  const all = root.text;
  for (const citation of new Set(passages.map((p) => p.citation))) {
    const n = all.split(citation).length - 1;
    if (n !== 1) problems.push(`citation shown ${n} times: ${citation.slice(0, 60)}…`);
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
