/**
 * Clinical notes as plain text: DocumentReference.content[].attachment and
 * DiagnosticReport.presentedForm[] (plus DiagnosticReport.conclusion).
 *
 * Only inline attachments are read (the builder does no I/O): `data` is base64 by the FHIR spec;
 * a `data` value that is not valid base64-encoded text is read as plain text, because some feeds
 * put the note there unencoded. text/plain, text/markdown and text/html / XHTML (tags stripped)
 * are accepted; anything else (PDF, RTF, images) is reported, never guessed at.
 */
import type { BuildEnv } from './env.js';
import { acceptTime } from './env.js';
import type { JsonObject } from './fhir-json.js';
import { choiceTime, codedText, objects, plainTime, prop, str, text } from './fhir-json.js';
import type { SourceItem } from './collect.js';
import type { ClinicalNote } from './types.js';

/** Longer texts are cut (and flagged): enough for any clinical note, bounded for memory. */
export const MAX_NOTE_CHARS = 200_000;

const PLAIN_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/markdown']);
const HTML_TYPES: ReadonlySet<string> = new Set(['text/html', 'application/xhtml+xml']);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeData(data: string, charset: string): string {
  const compact = data.replace(/\s+/g, '');
  if (compact.length % 4 === 0 && BASE64.test(compact)) {
    const bytes = Buffer.from(compact, 'base64');
    if (charset === 'iso-8859-1' || charset === 'latin1' || charset === 'windows-1252') return bytes.toString('latin1');
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      // Not valid UTF-8 once decoded: the value was not base64-encoded text. Fall through.
    }
  }
  return data;
}

const ENTITIES = new Map<string, string>([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', ' '],
]);

/** HTML → readable text: drops script/style, turns block ends into line breaks, decodes entities. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|table|ul|ol)\s*>/gi, '\n')
    // Inline elements join the words around them ("<b>HIV infection</b>, on" is "HIV infection, on").
    .replace(/<\/?(b|i|u|em|strong|span|a|font|sup|sub|mark|small|abbr|code)\b[^>]*>/gi, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e.startsWith('#x') || e.startsWith('#X')) return safeCodePoint(parseInt(e.slice(2), 16)) ?? m;
      if (e.startsWith('#')) return safeCodePoint(parseInt(e.slice(1), 10)) ?? m;
      return ENTITIES.get(e.toLowerCase()) ?? m;
    })
    .replace(/[ \t\f\v\r]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function safeCodePoint(n: number): string | undefined {
  return Number.isInteger(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : undefined;
}

interface NoteMeta {
  source: string;
  resourceType: ClinicalNote['resourceType'];
  title: string | null;
  type: ClinicalNote['type'];
  date: string | null;
  time: number | null;
}

function readAttachment(attachment: JsonObject, part: string, meta: NoteMeta, env: BuildEnv): ClinicalNote | undefined {
  const contentTypeRaw = text(attachment, 'contentType') ?? '';
  const [mediaType = '', ...params] = contentTypeRaw.split(';').map((s) => s.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '') ?? 'utf-8';
  const data = str(attachment, 'data');
  if (data === undefined) {
    const url = text(attachment, 'url');
    env.exclude(meta.source, 'note-not-inline', `${part}: ${url ? `attachment is only a URL (${url.slice(0, 80)})` : 'attachment has no data'}`);
    return undefined;
  }
  const isHtml = HTML_TYPES.has(mediaType);
  if (!PLAIN_TYPES.has(mediaType) && !isHtml) {
    env.exclude(meta.source, 'note-unsupported-content-type', `${part}: content type ${contentTypeRaw ? JSON.stringify(contentTypeRaw) : 'missing'}`);
    return undefined;
  }
  let body = decodeData(data, charset);
  if (isHtml) body = htmlToText(body);
  body = body.trim();
  if (!body) {
    env.exclude(meta.source, 'note-undecodable', `${part}: empty text after decoding`);
    return undefined;
  }
  const truncated = body.length > MAX_NOTE_CHARS;
  return {
    ...meta,
    part,
    title: text(attachment, 'title') ?? meta.title,
    contentType: contentTypeRaw,
    text: truncated ? body.slice(0, MAX_NOTE_CHARS) : body,
    truncated,
  };
}

export function readDocumentReference(item: SourceItem, env: BuildEnv): ClinicalNote[] {
  const r = item.resource;
  const status = text(r, 'status');
  const docStatus = text(r, 'docStatus');
  if (status === 'entered-in-error' || docStatus === 'entered-in-error') {
    env.exclude(item.source, 'entered-in-error');
    return [];
  }
  const when = plainTime(r, 'date') ?? choiceTime(prop(r, 'context'), 'period');
  if (when !== undefined && !acceptTime(env, item.source, 'document date', when)) return [];
  const type = codedText(prop(r, 'type')) ?? null;
  const meta: NoteMeta = {
    source: item.source,
    resourceType: 'DocumentReference',
    title: text(r, 'description') ?? type?.text ?? type?.codings[0]?.display ?? null,
    type,
    date: when ? when.raw : null,
    time: when ? when.time : null,
  };
  const notes: ClinicalNote[] = [];
  objects(r, 'content').forEach((content, i) => {
    const attachment = prop(content, 'attachment');
    if (!attachment || typeof attachment !== 'object' || Array.isArray(attachment)) {
      env.exclude(item.source, 'malformed-resource', `content[${i}] has no attachment`);
      return;
    }
    const note = readAttachment(attachment as JsonObject, `content[${i}]`, meta, env);
    if (note) notes.push(note);
  });
  return notes;
}

export function readDiagnosticReportText(item: SourceItem, env: BuildEnv): ClinicalNote[] {
  const r = item.resource;
  const forms = objects(r, 'presentedForm');
  const conclusion = text(r, 'conclusion');
  // Most reports are only a grouping of result Observations: nothing to read, nothing to report.
  if (forms.length === 0 && !conclusion) return [];
  const status = text(r, 'status');
  if (status === 'entered-in-error') {
    env.exclude(item.source, 'entered-in-error');
    return [];
  }
  if (status === 'cancelled') {
    env.exclude(item.source, 'status-not-usable', 'report cancelled');
    return [];
  }
  const when = choiceTime(r, 'effective') ?? plainTime(r, 'issued');
  if (when !== undefined && !acceptTime(env, item.source, 'report time', when)) return [];
  const type = codedText(prop(r, 'code')) ?? null;
  const meta: NoteMeta = {
    source: item.source,
    resourceType: 'DiagnosticReport',
    title: type?.text ?? type?.codings[0]?.display ?? null,
    type,
    date: when ? when.raw : null,
    time: when ? when.time : null,
  };
  const notes: ClinicalNote[] = [];
  forms.forEach((form, i) => {
    const note = readAttachment(form, `presentedForm[${i}]`, meta, env);
    if (note) notes.push(note);
  });
  if (conclusion) {
    notes.push({ ...meta, part: 'conclusion', contentType: 'text/plain', text: conclusion.slice(0, MAX_NOTE_CHARS), truncated: conclusion.length > MAX_NOTE_CHARS });
  }
  return notes;
}
