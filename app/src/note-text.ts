/**
 * A note sentence in its place: the note's text from its DocumentReference (inline text/plain
 * attachments), and where the sentence the matcher cited sits in it, with the text around it.
 * Pure, without imports (tests/unit/app-text.test.ts runs it under Node).
 */

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function decodeBase64Utf8(data: string): string {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The plain text of a note (DocumentReference) carried inline, if any. */
export function noteText(r: Record<string, unknown>): string | undefined {
  const contents = Array.isArray(r.content) ? r.content : [];
  for (const c of contents) {
    const attachment = obj(obj(c)?.attachment);
    const data = str(attachment?.data);
    const type = str(attachment?.contentType) ?? 'text/plain';
    if (data && type.startsWith('text/')) {
      try {
        return decodeBase64Utf8(data);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** How much of the note around the sentence is shown (characters each side, cut at a word). */
const CONTEXT = 220;

/** The sentence's place in the note and the text around it; undefined when the note does not hold it. */
export function sentenceInNote(note: string, sentence: string): { before: string; match: string; after: string } | undefined {
  let at = note.indexOf(sentence);
  let length = sentence.length;
  if (at < 0) {
    // The matcher may have joined a hard-wrapped sentence: find it with any white space between its words.
    const words = sentence.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const m = words.length > 0 ? new RegExp(words.join('\\s+')).exec(note) : null;
    if (!m) return undefined;
    at = m.index;
    length = m[0].length;
  }
  const start = Math.max(0, at - CONTEXT);
  const end = Math.min(note.length, at + length + CONTEXT);
  const cutStart = start === 0 ? 0 : note.indexOf(' ', start) + 1 || start;
  const cutEnd = end === note.length ? end : note.lastIndexOf(' ', end) > at + length ? note.lastIndexOf(' ', end) : end;
  return {
    before: `${cutStart > 0 ? '… ' : ''}${note.slice(cutStart, at)}`,
    match: note.slice(at, at + length),
    after: `${note.slice(at + length, cutEnd)}${cutEnd < note.length ? ' …' : ''}`,
  };
}
