/**
 * Checks the guideline corpus (guidelines/*.md) and the labelled retrieval query set
 * (dev/eval/retrieval-queries.jsonl) against each other.
 *
 *   npx tsx eval/check-queries.ts [--queries FILE] [--guidelines DIR] [--sources DIR]
 *
 * Section anchors are computed exactly as docs/GUIDELINES.md specifies:
 *   anchor = `${docId}#${slug}`, where slug is the heading path (the `##` heading, or
 *   `parent/child` for a `###` heading) lowercased, with every run of characters other
 *   than a-z and 0-9 replaced by '-', and leading/trailing '-' trimmed.
 *
 * It verifies that:
 *   - every guideline file has valid front matter (id = file name, kind, licence, codes,
 *     sections[].heading naming a heading of the body), only `##`/`###` headings, and
 *     unique anchors; summaries open with the "> Summary written by Cairn" note;
 *   - every paragraph of a `kind: verbatim` file occurs verbatim in the shared source files
 *     (skipped with a notice when the sources directory is absent);
 *   - every query has a unique id, a query text not copied from the corpus, and 1 to 3
 *     relevant anchors that all exist; every guideline document is the target of a query.
 * Exits with status 1 on any error.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  return value ?? fallback;
}

const queriesFile = resolve(root, arg('--queries', 'dev/eval/retrieval-queries.jsonl'));
const guidelinesDir = resolve(root, arg('--guidelines', 'guidelines'));
const sourcesDir = resolve(
  root,
  arg('--sources', process.env.CAIRN_GUIDELINE_SOURCES ?? '../shared/data/guidelines_open'),
);

const errors: string[] = [];
const notes: string[] = [];
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function slug(headingPath: string): string {
  return headingPath
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

interface Section {
  level: 2 | 3;
  heading: string;
  path: string;
  anchor: string;
  body: string;
}

interface GuidelineDoc {
  id: string;
  file: string;
  kind: string;
  body: string;
  sections: Section[];
}

const SECTION_SOFT_LIMIT = 1200;
const KINDS = new Set(['verbatim', 'summary']);
const GRADE_SYSTEMS = new Set(['USPSTF', 'ACC/AHA', 'GRADE', 'ADA', 'KDIGO', 'RCP', 'SSC', 'AHRQ']);
const REQUIRED_STRINGS = ['id', 'title', 'publisher', 'version', 'url', 'licence', 'kind', 'source'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function splitFrontMatter(text: string): { front: string; body: string; bodyLine: number } | undefined {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m || m[1] === undefined) return undefined;
  return { front: m[1], body: text.slice(m[0].length), bodyLine: m[0].split('\n').length };
}

function parseSections(id: string, file: string, body: string, firstLine: number): Section[] {
  const sections: Section[] = [];
  const lines = body.split('\n');
  let fence: string | undefined;
  let h2: string | undefined;
  let current: { section: Section; lines: string[] } | undefined;
  const close = (): void => {
    if (current) {
      current.section.body = current.lines.join('\n').trim();
      sections.push(current.section);
    }
  };
  lines.forEach((line, index) => {
    const fenceMatch = /^\s*(```|~~~)/.exec(line);
    if (fenceMatch) {
      const marker = fenceMatch[1];
      if (fence === undefined) fence = marker;
      else if (fence === marker) fence = undefined;
    }
    const m = fence === undefined ? /^(#{1,6})[ \t]+(.*?)[ \t]*$/.exec(line) : null;
    if (!m || m[1] === undefined || m[2] === undefined) {
      current?.lines.push(line);
      return;
    }
    const level = m[1].length;
    const heading = m[2];
    const where = `${file}:${firstLine + index}`;
    if (level !== 2 && level !== 3) {
      errors.push(`${where}: only ## and ### headings are allowed, found "${line}"`);
      current?.lines.push(line);
      return;
    }
    if (level === 3 && h2 === undefined) {
      errors.push(`${where}: ### heading "${heading}" before any ## heading`);
      return;
    }
    close();
    if (level === 2) h2 = heading;
    const path = level === 2 ? heading : `${h2}/${heading}`;
    const s = slug(path);
    if (!s) errors.push(`${where}: heading "${heading}" gives an empty anchor`);
    current = { section: { level, heading, path, anchor: `${id}#${s}`, body: '' }, lines: [] };
  });
  close();
  return sections;
}

function checkFront(file: string, front: Record<string, unknown>, headings: Set<string>): void {
  const id = basename(file, '.md');
  for (const key of REQUIRED_STRINGS) {
    if (typeof front[key] !== 'string' || (front[key] as string).trim() === '') {
      errors.push(`${file}: front matter "${key}" must be a non-empty string`);
    }
  }
  if (front.id !== id) errors.push(`${file}: id "${String(front.id)}" must equal the file name "${id}"`);
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) errors.push(`${file}: id "${id}" is not kebab-case`);
  if (!KINDS.has(String(front.kind))) errors.push(`${file}: kind must be verbatim or summary`);
  if (typeof front.year !== 'number') errors.push(`${file}: year must be a number`);
  if (!Array.isArray(front.topics) || front.topics.some((t) => typeof t !== 'string')) {
    errors.push(`${file}: topics must be a list of strings`);
  }
  if (!isRecord(front.codes)) {
    errors.push(`${file}: codes must be a mapping of snomed / icd10 / loinc lists`);
  } else {
    for (const [system, list] of Object.entries(front.codes)) {
      if (!['snomed', 'icd10', 'loinc'].includes(system)) errors.push(`${file}: unknown code system "${system}"`);
      if (!Array.isArray(list) || list.some((c) => typeof c !== 'string')) {
        errors.push(`${file}: codes.${system} must be a list of strings (quote the codes)`);
      }
    }
  }
  if (!Array.isArray(front.sections)) {
    errors.push(`${file}: sections must be a list (use [] when the source gives no grades)`);
    return;
  }
  for (const entry of front.sections) {
    if (!isRecord(entry) || typeof entry.heading !== 'string' || typeof entry.grade !== 'string') {
      errors.push(`${file}: each sections entry needs string heading and grade`);
      continue;
    }
    if (!headings.has(entry.heading)) {
      errors.push(`${file}: sections heading "${entry.heading}" is not a heading of the body`);
    }
    if (!GRADE_SYSTEMS.has(String(entry.gradeSystem))) {
      errors.push(`${file}: sections "${entry.heading}" has unknown gradeSystem "${String(entry.gradeSystem)}"`);
    }
  }
}

function loadGuidelines(): GuidelineDoc[] {
  if (!existsSync(guidelinesDir)) {
    errors.push(`guidelines directory not found: ${guidelinesDir}`);
    return [];
  }
  const docs: GuidelineDoc[] = [];
  const files = readdirSync(guidelinesDir)
    .filter((f) => f.endsWith('.md'))
    .sort();
  for (const name of files) {
    const file = join(guidelinesDir, name);
    const text = readFileSync(file, 'utf8');
    const split = splitFrontMatter(text);
    if (!split) {
      notes.push(`${name}: no front matter, skipped (not a guideline document)`);
      continue;
    }
    let front: unknown;
    try {
      front = parseYaml(split.front);
    } catch (e) {
      errors.push(`${name}: front matter is not valid YAML: ${(e as Error).message}`);
      continue;
    }
    if (!isRecord(front)) {
      errors.push(`${name}: front matter is not a mapping`);
      continue;
    }
    const id = basename(name, '.md');
    const sections = parseSections(id, name, split.body, split.bodyLine);
    if (sections.length === 0) errors.push(`${name}: no ## sections`);
    checkFront(name, front, new Set(sections.map((s) => s.heading)));
    const seen = new Set<string>();
    for (const s of sections) {
      if (seen.has(s.anchor)) errors.push(`${name}: duplicate anchor ${s.anchor}`);
      seen.add(s.anchor);
    }
    const kind = String(front.kind);
    if (kind === 'summary') {
      const first = split.body.split('\n').find((l) => l.trim() !== '') ?? '';
      if (!first.startsWith('> Summary written by Cairn')) {
        errors.push(`${name}: a summary must open with the "> Summary written by Cairn ..." note line`);
      }
    }
    docs.push({ id, file: name, kind, body: split.body, sections });
  }
  return docs;
}

function loadSourceTexts(): string[] | undefined {
  if (!existsSync(sourcesDir)) return undefined;
  const texts: string[] = [];
  for (const name of readdirSync(sourcesDir)) {
    const file = join(sourcesDir, name);
    if (name.endsWith('.txt')) texts.push(readFileSync(file, 'utf8'));
    if (name.endsWith('.jsonl')) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const record: unknown = JSON.parse(line);
        if (isRecord(record) && typeof record.text === 'string') texts.push(record.text);
      }
    }
  }
  return texts;
}

function checkVerbatim(docs: GuidelineDoc[]): number {
  const sources = loadSourceTexts();
  if (!sources) {
    notes.push(`verbatim check skipped: sources directory not found (${sourcesDir})`);
    return 0;
  }
  let checked = 0;
  for (const doc of docs.filter((d) => d.kind === 'verbatim')) {
    for (const section of doc.sections) {
      for (const paragraph of section.body.split(/\n[ \t]*\n/)) {
        if (!paragraph.trim()) continue;
        checked += 1;
        if (!sources.some((s) => s.includes(paragraph))) {
          errors.push(`${doc.file} [${section.path}]: paragraph not found verbatim in the sources: "${paragraph.slice(0, 80)}..."`);
        }
      }
    }
  }
  return checked;
}

interface Query {
  id: string;
  query: string;
  relevant: string[];
}

const normalise = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();

function checkQueries(docs: GuidelineDoc[]): Query[] {
  if (!existsSync(queriesFile)) {
    errors.push(`query file not found: ${queriesFile}`);
    return [];
  }
  const anchors = new Set(docs.flatMap((d) => d.sections.map((s) => s.anchor)));
  const corpus = normalise(docs.map((d) => d.body).join('\n'));
  const ids = new Set<string>();
  const texts = new Set<string>();
  const queries: Query[] = [];
  readFileSync(queriesFile, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (!line.trim()) return;
      const where = `${basename(queriesFile)}:${index + 1}`;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        errors.push(`${where}: not valid JSON`);
        return;
      }
      if (!isRecord(parsed) || typeof parsed.id !== 'string' || typeof parsed.query !== 'string' || !Array.isArray(parsed.relevant)) {
        errors.push(`${where}: expected {"id": string, "query": string, "relevant": string[]}`);
        return;
      }
      const q: Query = { id: parsed.id, query: parsed.query, relevant: parsed.relevant.map(String) };
      if (ids.has(q.id)) errors.push(`${where}: duplicate id ${q.id}`);
      ids.add(q.id);
      if (!q.query.trim()) errors.push(`${where}: empty query`);
      const text = normalise(q.query);
      if (texts.has(text)) errors.push(`${where}: duplicate query text`);
      texts.add(text);
      if (text.length >= 40 && corpus.includes(text)) errors.push(`${where}: query ${q.id} is copied from the corpus`);
      if (q.relevant.length < 1 || q.relevant.length > 3) errors.push(`${where}: ${q.id} needs 1 to 3 relevant anchors`);
      if (new Set(q.relevant).size !== q.relevant.length) errors.push(`${where}: ${q.id} repeats an anchor`);
      for (const a of q.relevant) {
        if (!anchors.has(a)) errors.push(`${where}: ${q.id} label "${a}" is not an anchor of the corpus`);
      }
      queries.push(q);
    });
  const covered = new Set(queries.flatMap((q) => q.relevant.map((a) => a.split('#')[0])));
  for (const d of docs) {
    if (!covered.has(d.id)) errors.push(`no query is labelled with a section of ${d.id}`);
  }
  return queries;
}

const docs = loadGuidelines();
const verbatimParagraphs = checkVerbatim(docs);
const queries = checkQueries(docs);

const sectionCount = docs.reduce((n, d) => n + d.sections.length, 0);
const long = docs.flatMap((d) => d.sections.filter((s) => s.body.length > SECTION_SOFT_LIMIT));
out(`guidelines: ${docs.length} documents, ${sectionCount} sections (${docs.filter((d) => d.kind === 'verbatim').length} verbatim, ${docs.filter((d) => d.kind === 'summary').length} summary)`);
for (const d of docs) out(`  ${d.id}: ${d.kind}, ${d.sections.length} sections`);
out(`sections over ${SECTION_SOFT_LIMIT} characters (the ingester splits them): ${long.length}`);
out(`verbatim paragraphs checked against the sources: ${verbatimParagraphs}`);
out(`queries: ${queries.length}, labels: ${queries.reduce((n, q) => n + q.relevant.length, 0)}`);
for (const n of notes) out(`note: ${n}`);
if (errors.length > 0) {
  for (const e of errors) console.error(`error: ${e}`);
  console.error(`${errors.length} error(s)`);
  process.exit(1);
}
out('OK: every label names an existing section anchor');
