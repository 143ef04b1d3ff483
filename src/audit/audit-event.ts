/**
 * One audited call (a hook, feedback, a screening, an audit read or a call of the API for apps), and how it maps to a FHIR R4
 * AuditEvent (http://hl7.org/fhir/R4/auditevent.html), so that an operator can hand the trail to
 * any AuditEvent consumer. Pure: no I/O here.
 *
 * What is never in it: tokens, names, FHIR resource ids of patients. The patient is the ledger's
 * pseudonymous key (src/ledger/pseudonym.ts); the caller is the JWT's issuer and subject.
 */
import type { AuditEvent } from 'fhir/r4.js';

export type AuditAction = 'hook' | 'feedback' | 'screening' | 'audit' | 'api';

export interface AuditRecord {
  action: AuditAction;
  method: string;
  /** The route template (`/cds-services/:id`), never the raw path. */
  route: string;
  status: number;
  /** Short machine word: `cards`, `no-cards`, `refused`, `bad-request`, `not-found`, `error`… */
  outcome: string;
  /**
   * Who: the verified JWT's `iss` and `sub`; for the API for apps, the FHIR server whose SMART
   * token was accepted and the token's `sub` (else its `fhirUser`). Absent when authentication is
   * off or failed.
   */
  issuer?: string;
  subject?: string;
  serviceId?: string;
  hookInstance?: string;
  patientKey?: string;
  cards?: number;
  /** The other object of the call: a screening id, a trial's NCT id. */
  entity?: string;
  durationMs: number;
}

export interface StoredAuditRecord extends AuditRecord {
  id: string;
  recordedAt: Date;
}

const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';

/** AuditEvent.action (R4 value set audit-event-action): E execute, C create, R read, D delete. */
function actionCode(r: AuditRecord): 'C' | 'R' | 'U' | 'D' | 'E' {
  if (r.action === 'hook') return 'E';
  if (r.method === 'GET') return 'R';
  if (r.method === 'DELETE') return 'D';
  return 'C';
}

function interaction(r: AuditRecord): string {
  if (r.action === 'hook' || r.action === 'feedback') return 'operation';
  if (r.method === 'GET') return r.action === 'audit' ? 'search-type' : 'read';
  if (r.method === 'DELETE') return 'delete';
  return 'create';
}

/** AuditEvent.outcome (R4 value set audit-event-outcome): 0 success, 4 minor failure (the caller's), 8 serious failure (ours). */
function outcomeCode(status: number): '0' | '4' | '8' {
  if (status < 400) return '0';
  return status < 500 ? '4' : '8';
}

/**
 * `pseudonymSystem` names the identifier system of the patient keys (a Cairn canonical URL), so
 * a reader knows the value is a keyed hash and not a FHIR id.
 */
export function toAuditEvent(r: StoredAuditRecord, pseudonymSystem: string): AuditEvent {
  const end = r.recordedAt;
  const start = new Date(end.getTime() - Math.round(r.durationMs));
  const entity: NonNullable<AuditEvent['entity']> = [];
  if (r.patientKey) {
    entity.push({
      what: { identifier: { system: pseudonymSystem, value: r.patientKey } },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  if (r.hookInstance || r.entity || r.serviceId) {
    entity.push({
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      ...(r.hookInstance && { what: { identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${r.hookInstance}` } } }),
      ...(r.entity && !r.hookInstance && { what: { display: r.entity } }),
      ...(r.serviceId && { name: r.serviceId }),
      detail: [
        ...(r.cards !== undefined ? [{ type: 'cards', valueString: String(r.cards) }] : []),
        ...(r.entity && r.hookInstance ? [{ type: 'entity', valueString: r.entity }] : []),
      ],
    });
  }
  return {
    resourceType: 'AuditEvent',
    id: r.id,
    type: { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: RESTFUL_INTERACTION, code: interaction(r) }],
    action: actionCode(r),
    period: { start: start.toISOString(), end: end.toISOString() },
    recorded: end.toISOString(),
    outcome: outcomeCode(r.status),
    outcomeDesc: `${r.method} ${r.route} ${r.status} ${r.outcome}`,
    agent: [
      {
        requestor: true,
        ...(r.issuer
          ? { who: { identifier: { system: r.issuer, ...(r.subject && { value: r.subject }) } } }
          : { who: { display: 'unauthenticated caller' } }),
      },
    ],
    source: { observer: { display: 'Cairn' }, type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }] },
    ...(entity.length > 0 && { entity }),
  };
}
