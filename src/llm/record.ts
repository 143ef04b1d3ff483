/**
 * The patient's record as a language model reads it, and the check that what it quotes is really
 * there. Every answer Cairn takes from a model must rest on a sentence of the record; the sentence
 * is looked up here (whitespace and typographic quotes and dashes normalised, nothing else), and
 * what Cairn shows is the record's own sentence, never the model's copy of it.
 *
 * What can be quoted: note text (DocumentReference, DiagnosticReport), the problem list
 * (Condition text or display) and medications (text or display). Key values (latest readings)
 * are shown to the model as computed context but cannot be quoted: Cairn computes from readings
 * itself.
 */
import { series } from '../fhir/context/series.js';
import { QUANTITY_KEYS, type PatientContext } from '../fhir/context/types.js';
import { readableUnit } from '../fhir/context/units.js';
import { splitSentences } from '../text/sentences.js';

export type RecordPassageKind = 'note' | 'condition' | 'medication';

export interface RecordPassage {
  /** Short label the model sees and may cite (`N1`, `C3`, `M2`). */
  label: string;
  kind: RecordPassageKind;
  /** `DocumentReference/3`, `Condition/7`. */
  source: string;
  /** Date as recorded (note date; condition recorded date or onset; medication date), or null. */
  date: string | null;
  /** The note's title, when it has one. */
  title: string | null;
  /** A condition's clinical status as recorded (active, resolved …), so the model can tell past from present. */
  status?: string;
  text: string;
}

/** Notes most recent first (undated last), then the problem list, then active medications. */
export function recordPassages(ctx: PatientContext): RecordPassage[] {
  const notes = [...ctx.notes].sort((a, b) => (b.time ?? -Infinity) - (a.time ?? -Infinity));
  const out: RecordPassage[] = notes.map((n, i) => ({ label: `N${i + 1}`, kind: 'note', source: n.source, date: n.date, title: n.title, text: n.text }));
  let c = 0;
  for (const cond of ctx.conditions) {
    const text = cond.text ?? cond.codings.find((x) => x.display)?.display;
    if (!text) continue;
    out.push({ label: `C${++c}`, kind: 'condition', source: cond.source, date: cond.recordedDate ?? cond.onset, title: null, ...(cond.clinicalStatus !== 'unknown' && { status: cond.clinicalStatus }), text });
  }
  let m = 0;
  for (const med of ctx.medications) {
    const text = med.text ?? med.codings.find((x) => x.display)?.display;
    if (!med.isActive || !text) continue;
    out.push({ label: `M${++m}`, kind: 'medication', source: med.source, date: med.date, title: null, text });
  }
  return out;
}

export interface RenderOptions {
  /** Most characters of note text sent (default 24,000, about 6,000 tokens): the most recent notes first. */
  maxNoteChars?: number;
  /** Also list the latest reading of each quantity (default true). */
  keyValues?: boolean;
}

export const DEFAULT_MAX_NOTE_CHARS = 24_000;

export interface RenderedRecord {
  /** The text the model reads. Holds patient data: never log it. */
  text: string;
  /** Every quotable passage of the record (also those left out of `text` for length). */
  passages: RecordPassage[];
}

/**
 * The record as prompt text. It holds no reference time and no resource ids (the model needs
 * neither), so the same record always renders the same text: its hash identifies the record in
 * caches.
 */
export function renderRecord(ctx: PatientContext, options: RenderOptions = {}): RenderedRecord {
  const passages = recordPassages(ctx);
  const lines: string[] = [];
  const p = ctx.patient;
  if (p) lines.push(`PATIENT: ${p.age ? `${p.age.years} years` : 'age not recorded'}, sex ${p.sex}`);
  let budget = options.maxNoteChars ?? DEFAULT_MAX_NOTE_CHARS;
  const notes = passages.filter((x) => x.kind === 'note');
  if (notes.length > 0) lines.push('', 'NOTES');
  for (const n of notes) {
    if (budget <= 0) break;
    const text = n.text.length > budget ? n.text.slice(0, budget) : n.text;
    budget -= text.length;
    lines.push(`[${n.label}] ${[n.title, n.date?.slice(0, 10)].filter(Boolean).join(', ')}`, text, '');
  }
  const listed = (kind: RecordPassageKind, heading: string) => {
    const items = passages.filter((x) => x.kind === kind);
    if (items.length === 0) return;
    lines.push('', heading);
    for (const x of items) {
      const about = [x.status, x.date?.slice(0, 10)].filter(Boolean).join(', ');
      lines.push(`[${x.label}] ${x.text}${about ? ` (${about})` : ''}`);
    }
  };
  listed('condition', 'PROBLEM LIST');
  listed('medication', 'ACTIVE MEDICATIONS');
  if (options.keyValues ?? true) {
    const values: string[] = [];
    for (const key of QUANTITY_KEYS) {
      const readings = series(ctx, key);
      const last = readings[readings.length - 1];
      if (last) values.push(`- ${key}: ${last.comparator ?? ''}${last.value} ${readableUnit(last.unit)} (${last.effective.slice(0, 10)})`);
    }
    if (values.length > 0) lines.push('', 'KEY VALUES (latest reading of each; computed, not quotable)', ...values);
  }
  return { text: lines.join('\n').trim(), passages };
}

export interface FoundQuote {
  passage: RecordPassage;
  /** The record's own text: the whole sentence(s) the quote falls in, exactly as recorded. */
  text: string;
  /** Offsets of `text` in the passage. */
  start: number;
  end: number;
}

/** A quote shorter than this must be a whole passage (a problem-list entry): a fragment of a sentence proves nothing. */
const MIN_QUOTE_WORDS = 3;
const MIN_QUOTE_CHARS = 12;

/**
 * Finds a quote in the record: the first passage whose text contains it once whitespace runs are
 * collapsed and curly quotes and dashes straightened. Case and every other character must match.
 * The result is widened to the whole sentence, so a card never shows "history of diabetes" cut
 * out of "no history of diabetes".
 */
export function findQuote(quote: string, passages: readonly RecordPassage[]): FoundQuote | undefined {
  const wanted = normalise(cleanQuote(quote)).text;
  if (!wanted) return undefined;
  const longEnough = wanted.split(' ').length >= MIN_QUOTE_WORDS && wanted.length >= MIN_QUOTE_CHARS;
  for (const passage of passages) {
    const { text, map } = normalise(passage.text);
    if (!longEnough && text !== wanted) continue;
    const at = text.indexOf(wanted);
    if (at < 0) continue;
    const start = map[at] as number;
    const end = (map[at + wanted.length - 1] as number) + 1;
    const sentences = splitSentences(passage.text).filter((s) => s.end > start && s.start < end);
    const from = sentences[0]?.start ?? start;
    const to = sentences[sentences.length - 1]?.end ?? end;
    return { passage, text: passage.text.slice(from, to), start: from, end: to };
  }
  return undefined;
}

/** Models wrap quotes in quotation marks or ellipses; those are not part of the record's text. */
function cleanQuote(quote: string): string {
  return quote
    .trim()
    .replace(/^(?:\.\.\.|…)\s*/, '')
    .replace(/\s*(?:\.\.\.|…)$/, '')
    .replace(/^["'“”‘’«»]+|["'“”‘’«»]+$/g, '')
    // A closing full stop or comma the record may not have: the words before it still have to match.
    .replace(/[.,;]$/, '')
    .trim();
}

const FOLD: Readonly<Record<string, string>> = { '‘': "'", '’': "'", '“': '"', '”': '"', '–': '-', '—': '-', '‐': '-', '‑': '-' };

/** Whitespace runs → one space, curly quotes and dashes straightened, trimmed; `map[i]` is the original offset of character i. */
export function normalise(text: string): { text: string; map: number[] } {
  let out = '';
  const map: number[] = [];
  let pendingSpace = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      pendingSpace = out.length > 0;
      continue;
    }
    if (pendingSpace) {
      out += ' ';
      map.push(i - 1);
      pendingSpace = false;
    }
    out += FOLD[ch] ?? ch;
    map.push(i);
  }
  return { text: out, map };
}
