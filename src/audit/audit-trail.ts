/**
 * The audit trail: one structured log line (`msg: "audit"`) and one `audit_events` row per audited
 * call. The log line is for log shippers; the rows back GET /audit for an operator.
 *
 * Rows are written by group commit after the response (audited calls never wait for their audit
 * row), gathered for up to 250 ms, so under load they go in a few statements a second; on
 * shutdown `flush()` waits for them. The log line is written at once, so even a row lost to a
 * crash is in the log.
 */
import type { Logger } from 'pino';
import type { Database, Queryable } from '../db/database.js';
import { GroupCommit } from '../db/group-commit.js';
import type { AuditRecord, StoredAuditRecord } from './audit-event.js';

const COLUMNS = [
  'action',
  'method',
  'route',
  'status',
  'outcome',
  'issuer',
  'subject',
  'service_id',
  'hook_instance',
  'patient_key',
  'cards',
  'entity',
  'duration_ms',
] as const;

/** One record as a row of audit_events, in JSON (the whole batch goes as one jsonb parameter). */
function rowJson(r: AuditRecord): Record<(typeof COLUMNS)[number], unknown> {
  return {
    action: r.action,
    method: r.method,
    route: r.route,
    status: r.status,
    outcome: r.outcome,
    issuer: r.issuer ?? null,
    subject: r.subject ?? null,
    service_id: r.serviceId ?? null,
    hook_instance: r.hookInstance ?? null,
    patient_key: r.patientKey ?? null,
    cards: r.cards ?? null,
    entity: r.entity ?? null,
    duration_ms: r.durationMs,
  };
}

const INSERT_RECORDS = `INSERT INTO audit_events (${COLUMNS.join(', ')}) SELECT ${COLUMNS.join(', ')} FROM jsonb_populate_recordset(NULL::audit_events, $1::jsonb)`;

/**
 * The batch as ONE jsonb parameter of a statement of fixed text, prepared once (as the ledger's
 * insert): a VALUES list of 13 parameters a row was a new text for every batch size, parsed and
 * planned anew, with each of its hundreds of parameters bound in JavaScript on the database's
 * thread, about a tenth of a millisecond per audited hook call there (docs/BENCHMARKS.md).
 */
async function insertRecords(tx: Queryable, records: readonly AuditRecord[]): Promise<void> {
  await tx.query(INSERT_RECORDS, [JSON.stringify(records.map(rowJson))], { statementName: 'cairn_audit_insert' });
}

interface Row {
  id: string;
  recorded_at: Date;
  action: AuditRecord['action'];
  method: string;
  route: string;
  status: number;
  outcome: string;
  issuer: string | null;
  subject: string | null;
  service_id: string | null;
  hook_instance: string | null;
  patient_key: string | null;
  cards: number | null;
  entity: string | null;
  duration_ms: number;
}

function fromRow(r: Row): StoredAuditRecord {
  return {
    id: r.id,
    recordedAt: r.recorded_at,
    action: r.action,
    method: r.method,
    route: r.route,
    status: r.status,
    outcome: r.outcome,
    ...(r.issuer !== null && { issuer: r.issuer }),
    ...(r.subject !== null && { subject: r.subject }),
    ...(r.service_id !== null && { serviceId: r.service_id }),
    ...(r.hook_instance !== null && { hookInstance: r.hook_instance }),
    ...(r.patient_key !== null && { patientKey: r.patient_key }),
    ...(r.cards !== null && { cards: r.cards }),
    ...(r.entity !== null && { entity: r.entity }),
    durationMs: r.duration_ms,
  };
}

export interface AuditPageQuery {
  /** Page size (1–500). */
  count: number;
  /** Only records older than this id (the previous page's last id): stable paging while new calls arrive. */
  before?: string;
}

/** What the HTTP layer needs of the trail (tests give an in-memory one). */
export interface AuditSink {
  record(r: AuditRecord): void;
  page(query: AuditPageQuery): Promise<StoredAuditRecord[]>;
}

export class AuditTrail implements AuditSink {
  readonly #db: Database;
  readonly #log: Logger;
  readonly #writer: GroupCommit<AuditRecord>;

  constructor(db: Database, log: Logger) {
    this.#db = db;
    this.#log = log;
    // Gathered for up to 250 ms: one statement per call cost the embedded database (PGlite runs
    // on the event loop) about a millisecond of every hook.
    this.#writer = new GroupCommit(db, { writeBatch: insertRecords, gatherMs: 250 });
  }

  /** Logs the call and queues its row; never throws (a failed row write is logged as an error). */
  record(r: AuditRecord): void {
    this.#log.info({ audit: r }, 'audit');
    this.#writer.write([r]).catch((err: unknown) => {
      this.#log.error({ err: { message: (err as Error).message }, audit: r }, 'audit record not stored');
    });
  }

  /** Newest first. */
  async page(query: AuditPageQuery, db: Queryable = this.#db): Promise<StoredAuditRecord[]> {
    const res = await db.query<Row>(
      `SELECT * FROM audit_events WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2`,
      [query.before ?? null, query.count],
    );
    return res.rows.map(fromRow);
  }

  async purgeOlderThan(days: number): Promise<number> {
    const res = await this.#db.query(`DELETE FROM audit_events WHERE recorded_at < now() - make_interval(days => $1::int)`, [days]);
    return res.rowCount;
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }
}
