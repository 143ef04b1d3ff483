/**
 * A piece of evidence in its place in the record, read from the EHR with the app's own token:
 * a note sentence shown inside its note with the sentence marked, or a coded entry with its type
 * and id, date, value and status as the resource holds them. What the matcher read (the API's
 * `text`) is always shown; when the resource cannot be read, that is said and nothing more.
 */
import { useEffect, useState } from 'react';
import { formatValue, formatWhen, shortReference } from '../format';
import { noteText, sentenceInNote } from '../note-text';
import type { Client } from '../smart';

type Json = Record<string, unknown>;

const reads = new Map<string, Promise<Json>>();

/** One read per resource and session: criteria of many trials cite the same condition or note. */
function readResource(client: Client, reference: string): Promise<Json> {
  const key = `${client.state.serverUrl}|${reference}`;
  let found = reads.get(key);
  if (!found) {
    found = client.request<Json>(reference);
    reads.set(key, found);
  }
  return found;
}

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const first = (v: unknown): Json | undefined => (Array.isArray(v) ? obj(v[0]) : undefined);

function conceptText(v: unknown): string | undefined {
  const c = obj(v);
  return str(c?.text) ?? str(first(c?.coding)?.display) ?? str(first(c?.coding)?.code);
}

/** What a coded entry says, from its own fields. */
export function entryFacts(r: Json): { what?: string; when?: string; value?: string; status?: string } {
  const quantity = obj(r.valueQuantity);
  const value =
    (quantity && typeof quantity.value === 'number' ? formatValue(quantity.value, str(quantity.unit) ?? str(quantity.code)) : undefined) ??
    conceptText(r.valueCodeableConcept) ??
    str(r.valueString) ??
    (typeof r.valueBoolean === 'boolean' ? String(r.valueBoolean) : undefined);
  const when =
    str(r.effectiveDateTime) ??
    str(obj(r.effectivePeriod)?.start) ??
    str(r.onsetDateTime) ??
    str(r.recordedDate) ??
    str(r.authoredOn) ??
    str(r.performedDateTime) ??
    str(r.issued) ??
    str(r.date) ??
    (r.resourceType === 'Patient' ? str(r.birthDate) : undefined);
  const status = conceptText(r.clinicalStatus) ?? str(r.status);
  const what = conceptText(r.code) ?? conceptText(r.medicationCodeableConcept) ?? conceptText(r.type);
  return { ...(what && { what }), ...(when && { when }), ...(value && { value }), ...(status && { status }) };
}

export function RecordEvidence({ client, item }: { client: Client; item: { kind: 'record' | 'note'; source: string; text: string } }) {
  const [resource, setResource] = useState<Json | null>();
  useEffect(() => {
    let live = true;
    readResource(client, item.source).then(
      (r) => live && setResource(r),
      () => live && setResource(null),
    );
    return () => {
      live = false;
    };
  }, [client, item.source]);

  const [type] = item.source.split('/');
  const ref = (
    <code className="ref" title={item.source}>
      {shortReference(item.source)}
    </code>
  );

  if (item.kind === 'note') {
    const note = resource ? noteText(resource) : undefined;
    const place = note ? sentenceInNote(note, item.text) : undefined;
    const facts = resource ? entryFacts(resource) : {};
    return (
      <div className="record-evidence note" data-testid="note-evidence">
        <div className="record-head">
          <span className="record-kind">Note</span> {facts.what && <span>{facts.what}</span>} {facts.when && <span className="muted">{formatWhen(facts.when)}</span>} {ref}
        </div>
        <p className="note-context">
          {place ? (
            <>
              {place.before}
              <mark>{place.match}</mark>
              {place.after}
            </>
          ) : (
            <mark>{item.text}</mark>
          )}
        </p>
        {resource === null && <p className="muted">The note itself could not be read; the sentence is as the matcher read it.</p>}
      </div>
    );
  }

  const facts = resource ? entryFacts(resource) : {};
  return (
    <div className="record-evidence entry" data-testid="record-evidence">
      <div className="record-head">
        <span className="record-kind">{type}</span> {ref}
      </div>
      <p className="entry-text">{item.text}</p>
      {resource && (
        <dl className="entry-facts">
          {facts.what && facts.what !== item.text && (
            <div>
              <dt>Entry</dt>
              <dd>{facts.what}</dd>
            </div>
          )}
          {facts.value && (
            <div>
              <dt>Value</dt>
              <dd>{facts.value}</dd>
            </div>
          )}
          {facts.when && (
            <div>
              <dt>{resource.resourceType === 'Patient' ? 'Birth date' : 'Date'}</dt>
              <dd>{formatWhen(facts.when)}</dd>
            </div>
          )}
          {facts.status && (
            <div>
              <dt>Status</dt>
              <dd>{facts.status}</dd>
            </div>
          )}
        </dl>
      )}
      {resource === null && <p className="muted">The entry itself could not be read.</p>}
    </div>
  );
}
