/**
 * Notes an EHR keeps as Binary resources, read inline before the record is built.
 *
 * Why: EHRs commonly answer a DocumentReference search with attachments that carry only a `url`
 * to a Binary resource (`Binary/<id>`), the note's text left out of the search result. The
 * PatientContext builder reads only inline text (it does no I/O), so such notes were reported as
 * "attachment is only a URL" and never read: a condition stated only in a note could not make a
 * trial a candidate. Here, where Cairn may fetch from the EHR's FHIR server (a gateway with its
 * token), each such attachment of a text type is read from its Binary and put inline, in a copy of
 * the resource; the builder then reads it like any inline note.
 *
 * Bounds: only `Binary/<id>` reads through the gateway (which refuses anything outside the FHIR
 * base URL, so the EHR's token never leaves its server), at most MAX_FETCHED_ATTACHMENTS a call,
 * the newest documents first, each at most MAX_ATTACHMENT_CHARS of base64; within the caller's
 * signal (the hook deadline). A Binary that cannot be had leaves the attachment as it came, and
 * the builder reports it as not inline.
 */
import type { FhirResource } from 'fhir/r4.js';
import type { FhirGateway } from '../../fhir/gateway.js';

/** Attachments read per call: a note list of one patient rarely needs more than its recent notes. */
export const MAX_FETCHED_ATTACHMENTS = 20;

/** Base64 characters of one Binary kept (about 1.5 MB of text); notes are read only to MAX_NOTE_CHARS anyway. */
export const MAX_ATTACHMENT_CHARS = 2_000_000;

/** What the builder reads (notes.ts); a Binary of another type would be fetched for nothing. */
const TEXT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/markdown', 'text/html', 'application/xhtml+xml']);

/** `Binary/<id>` at the end of a relative or absolute URL (a FHIR id: 1-64 of [A-Za-z0-9.-]). */
const BINARY_URL = /(?:^|\/)Binary\/([A-Za-z0-9.-]{1,64})$/;

type Json = Record<string, unknown>;

interface Slot {
  attachment: Json;
  url: string;
  binaryId: string;
  time: number;
}

/**
 * The prefetch value with its url-only text attachments read inline, or the value itself when
 * there are none (or nothing could be read). Never changes the value given.
 */
export async function inlineAttachments(value: FhirResource, gateway: FhirGateway, budget: AttachmentBudget, signal?: AbortSignal): Promise<FhirResource> {
  // Most calls have no such attachment: nothing is copied for them.
  if (attachmentSlots(value as unknown as Json).length === 0) return value;
  const copy = structuredClone(value);
  const slots = attachmentSlots(copy as unknown as Json).sort((a, b) => b.time - a.time);
  const wanted = slots.filter(() => budget.take());
  if (wanted.length === 0) return value;
  const read = await Promise.all(
    wanted.map(async (s) => {
      try {
        // An absolute URL is asked as it is, so the gateway refuses one outside the FHIR base URL.
        const binary = await gateway.get(/^https?:\/\//i.test(s.url) ? s.url : `Binary/${s.binaryId}`, signal);
        if (binary?.resourceType !== 'Binary' || typeof binary.data !== 'string' || binary.data.length > MAX_ATTACHMENT_CHARS) return false;
        s.attachment.data = binary.data;
        if (typeof s.attachment.contentType !== 'string' && typeof binary.contentType === 'string') s.attachment.contentType = binary.contentType;
        return true;
      } catch {
        // Left as it came: the builder reports it as not inline.
        return false;
      }
    }),
  );
  return read.some(Boolean) ? copy : value;
}

/** How many attachments a call may still read (shared by every prefetch key of one call). */
export class AttachmentBudget {
  #left: number;
  constructor(max = MAX_FETCHED_ATTACHMENTS) {
    this.#left = max;
  }
  take(): boolean {
    if (this.#left <= 0) return false;
    this.#left--;
    return true;
  }
}

/** The url-only attachments of a text type (or of no stated type) in a resource or a Bundle's entries. */
function attachmentSlots(value: Json): Slot[] {
  const resources = value.resourceType === 'Bundle' ? (Array.isArray(value.entry) ? value.entry : []).map((e) => (e as Json | null)?.resource) : [value];
  const slots: Slot[] = [];
  for (const r of resources) {
    if (!isObject(r)) continue;
    const attachments =
      r.resourceType === 'DocumentReference'
        ? (Array.isArray(r.content) ? r.content : []).map((c) => (c as Json | null)?.attachment)
        : r.resourceType === 'DiagnosticReport'
          ? Array.isArray(r.presentedForm)
            ? r.presentedForm
            : []
          : [];
    const time = Date.parse(String(r.date ?? r.issued ?? r.effectiveDateTime ?? '')) || 0;
    for (const a of attachments) {
      if (!isObject(a) || a.data !== undefined || typeof a.url !== 'string') continue;
      const type = typeof a.contentType === 'string' ? (a.contentType.split(';')[0] ?? '').trim().toLowerCase() : undefined;
      if (type !== undefined && !TEXT_TYPES.has(type)) continue;
      const id = BINARY_URL.exec(a.url)?.[1];
      if (id) slots.push({ attachment: a, url: a.url, binaryId: id, time });
    }
  }
  return slots;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
