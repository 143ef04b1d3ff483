/**
 * Screenings and their durable job queue, on the one SQL path shared by PGlite and PostgreSQL.
 *
 * Each (screening, patient) row is both a queue item and, once done, its result. Why an own queue
 * rather than pg-boss: pg-boss needs its own schema, a pool of several connections and LISTEN/
 * NOTIFY maintenance loops, none of which fit PGlite's single embedded connection; and it would
 * keep the result apart from the item, so "result written" and "job finished" could disagree.
 * What a screening needs is small: claim a few pending items without two workers taking the same
 * one (`FOR UPDATE SKIP LOCKED`, which both backends have), a lease so that the items of a
 * crashed worker are taken again once it expires, and a completion that writes the result, the
 * item's status and the screening's counts in ONE transaction, guarded by the claim, so a result
 * is never lost and never stored twice.
 *
 * Item lifecycle: pending (unclaimed, or claimed with a lease) → done | failed. A claim sets
 * `claimed_by`, `lease_expires_at` and increments `attempts`; the completion only applies when the
 * row is still pending under that same claim (worker and attempt). A retry puts the item back to
 * pending with a delay (the lease field doubles as "not before").
 *
 * A cancelled screening is never claimed from again: its items not started stay pending for good,
 * those in flight may still complete (their counts no longer change its status).
 */
import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../../db/database.js';
import type { CriterionRow, PatientScreeningResult, ScreeningCategory } from './result.js';

export type ScreeningStatus = 'queued' | 'running' | 'completed' | 'cancelled';
export type ItemStatus = 'pending' | 'done' | 'failed';

export type ScreeningSource = { kind: 'patients' } | { kind: 'group'; group: string };

export interface NewScreening {
  nctId: string;
  fhirServer: string;
  source: ScreeningSource;
  /** Patient ids (no `Patient/` prefix), distinct, in request order. */
  patientIds: readonly string[];
  clientIss: string;
  clientKey?: string;
  /** Identifies the request, so a repeated key with another request is a conflict. */
  requestHash: string;
}

export interface Screening {
  id: string;
  nctId: string;
  fhirServer: string;
  source: ScreeningSource;
  status: ScreeningStatus;
  total: number;
  done: number;
  failed: number;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  cancelledAt: Date | null;
}

export type CreateOutcome =
  | { kind: 'created'; screening: Screening }
  | { kind: 'existing'; screening: Screening }
  | { kind: 'conflict'; screening: Screening };

interface ScreeningRow {
  id: string;
  nct_id: string;
  fhir_server: string;
  source: ScreeningSource;
  status: ScreeningStatus;
  total: number;
  done: number;
  failed: number;
  error: string | null;
  request_hash: string;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  cancelled_at: Date | null;
}

const SCREENING_COLUMNS = 'id, nct_id, fhir_server, source, status, total, done, failed, error, request_hash, created_at, updated_at, completed_at, cancelled_at';

function toScreening(r: ScreeningRow): Screening {
  return {
    id: r.id,
    nctId: r.nct_id,
    fhirServer: r.fhir_server,
    source: r.source,
    status: r.status,
    total: Number(r.total),
    done: Number(r.done),
    failed: Number(r.failed),
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
    cancelledAt: r.cancelled_at,
  };
}

async function findByClientKey(db: Queryable, iss: string, key: string): Promise<ScreeningRow | undefined> {
  const res = await db.query<ScreeningRow>(`SELECT ${SCREENING_COLUMNS} FROM screenings WHERE client_iss = $1 AND client_key = $2`, [iss, key]);
  return res.rows[0];
}

/**
 * Creates a screening with all its items in one transaction. With a client key already used by
 * the same client: the existing screening (same request) or a conflict (another request).
 */
export async function createScreening(db: Database, input: NewScreening): Promise<CreateOutcome> {
  if (input.patientIds.length === 0) throw new Error('a screening needs at least one patient');
  return db.transaction(async (tx) => {
    const id = randomUUID();
    const inserted = await tx.query<ScreeningRow>(
      `INSERT INTO screenings (id, nct_id, fhir_server, source, status, total, client_iss, client_key, request_hash)
       VALUES ($1, $2, $3, $4::jsonb, 'queued', $5, $6, $7, $8)
       ON CONFLICT (client_iss, client_key) WHERE client_key IS NOT NULL DO NOTHING
       RETURNING ${SCREENING_COLUMNS}`,
      [id, input.nctId, input.fhirServer, JSON.stringify(input.source), input.patientIds.length, input.clientIss, input.clientKey ?? null, input.requestHash],
    );
    const row = inserted.rows[0];
    if (!row) {
      // The key was used before (or by a concurrent request that committed first).
      const existing = await findByClientKey(tx, input.clientIss, input.clientKey as string);
      if (!existing) throw new Error('idempotency key conflict without a stored screening');
      return { kind: existing.request_hash === input.requestHash ? 'existing' : 'conflict', screening: toScreening(existing) };
    }
    await tx.query(
      `INSERT INTO screening_patients (screening_id, ordinal, patient_id)
       SELECT $1, u.ordinal - 1, u.patient_id FROM unnest($2::text[]) WITH ORDINALITY AS u(patient_id, ordinal)`,
      [id, [...input.patientIds]],
    );
    return { kind: 'created', screening: toScreening(row) };
  });
}

export async function getScreening(db: Queryable, id: string): Promise<Screening | undefined> {
  const res = await db.query<ScreeningRow>(`SELECT ${SCREENING_COLUMNS} FROM screenings WHERE id = $1`, [id]);
  const row = res.rows[0];
  return row ? toScreening(row) : undefined;
}

/**
 * Cancels a queued or running screening: no more of its patients are started. Its current state
 * when it is already cancelled or completed (nothing to cancel), undefined when it does not exist.
 */
export async function cancelScreening(db: Queryable, id: string): Promise<{ screening: Screening; cancelled: boolean } | undefined> {
  const res = await db.query<ScreeningRow>(
    `UPDATE screenings SET status = 'cancelled', cancelled_at = now(), updated_at = now()
      WHERE id = $1 AND status IN ('queued', 'running')
      RETURNING ${SCREENING_COLUMNS}`,
    [id],
  );
  const row = res.rows[0];
  if (row) return { screening: toScreening(row), cancelled: true };
  const current = await getScreening(db, id);
  return current && { screening: current, cancelled: false };
}

/** Who created the screening ('' without authentication): reads are limited to that client. */
export async function screeningOwner(db: Queryable, id: string): Promise<string | undefined> {
  const res = await db.query<{ client_iss: string }>('SELECT client_iss FROM screenings WHERE id = $1', [id]);
  return res.rows[0]?.client_iss;
}

/**
 * The screenings one client created, newest first, and how many there are. `client_iss` has no
 * index of its own: a client lists its screenings, a table with a row per screening (not per
 * patient), so the scan stays small.
 */
export async function listScreenings(
  db: Queryable,
  clientIss: string,
  opts: { offset: number; limit: number; status?: ScreeningStatus },
): Promise<{ total: number; screenings: Screening[] }> {
  const args = [clientIss, opts.status ?? null];
  const [page, count] = await Promise.all([
    db.query<ScreeningRow>(
      `SELECT ${SCREENING_COLUMNS} FROM screenings WHERE client_iss = $1 AND ($2::text IS NULL OR status = $2)
        ORDER BY created_at DESC, id OFFSET $3 LIMIT $4`,
      [...args, opts.offset, opts.limit],
    ),
    db.query<{ n: string }>('SELECT count(*) AS n FROM screenings WHERE client_iss = $1 AND ($2::text IS NULL OR status = $2)', args),
  ]);
  return { total: Number(count.rows[0]?.n ?? 0), screenings: page.rows.map(toScreening) };
}

export interface PatientResult {
  patientId: string;
  status: ItemStatus;
  category: ScreeningCategory | null;
  summary: string | null;
  criteria: CriterionRow[] | null;
  error: string | null;
  attempts: number;
  finishedAt: Date | null;
}

export interface ResultPage {
  results: PatientResult[];
  /** Items matching the filter (all pages). */
  matching: number;
  categories: Record<ScreeningCategory, number>;
}

/** A screening_patients row as the result queries select it (RESULT_COLUMNS). */
interface ResultRow {
  patient_id: string;
  status: ItemStatus;
  category: ScreeningCategory | null;
  summary: string | null;
  criteria: CriterionRow[] | null;
  error: string | null;
  attempts: number;
  finished_at: Date | null;
}

const RESULT_COLUMNS = 'patient_id, status, category, summary, criteria, error, attempts, finished_at';

function toPatientResult(r: ResultRow): PatientResult {
  return {
    patientId: r.patient_id,
    status: r.status,
    category: r.category,
    summary: r.summary,
    criteria: r.criteria,
    error: r.error,
    attempts: Number(r.attempts),
    finishedAt: r.finished_at,
  };
}

export async function listResults(
  db: Queryable,
  id: string,
  opts: { offset: number; limit: number; category?: ScreeningCategory; status?: ItemStatus },
): Promise<ResultPage> {
  const filter = 'screening_id = $1 AND ($2::text IS NULL OR category = $2) AND ($3::text IS NULL OR status = $3)';
  const args = [id, opts.category ?? null, opts.status ?? null];
  const [page, matching, categories] = await Promise.all([
    db.query<ResultRow>(
      `SELECT ${RESULT_COLUMNS} FROM screening_patients
       WHERE ${filter} ORDER BY ordinal OFFSET $4 LIMIT $5`,
      [...args, opts.offset, opts.limit],
    ),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM screening_patients WHERE ${filter}`, args),
    db.query<{ category: ScreeningCategory; n: string }>(
      "SELECT category, count(*) AS n FROM screening_patients WHERE screening_id = $1 AND status = 'done' GROUP BY category",
      [id],
    ),
  ]);
  const counts: Record<ScreeningCategory, number> = { eligible: 0, excluded: 0, irrelevant: 0, unknown: 0 };
  for (const r of categories.rows) counts[r.category] = Number(r.n);
  return {
    results: page.rows.map(toPatientResult),
    matching: Number(matching.rows[0]?.n ?? 0),
    categories: counts,
  };
}

/**
 * The results after position `after` (-1: from the start), in request order, at most `limit`:
 * an export walks a screening of thousands of patients in bounded pages. Keyset paging on the
 * primary key (screening_id, ordinal) costs the same for the last page as for the first, where
 * OFFSET would rescan every row before it.
 */
export async function resultsAfter(
  db: Queryable,
  id: string,
  opts: { after: number; limit: number; category?: ScreeningCategory },
): Promise<Array<PatientResult & { ordinal: number }>> {
  const res = await db.query<ResultRow & { ordinal: number }>(
    `SELECT ordinal, ${RESULT_COLUMNS} FROM screening_patients
      WHERE screening_id = $1 AND ordinal > $2 AND ($3::text IS NULL OR category = $3)
      ORDER BY ordinal LIMIT $4`,
    [id, opts.after, opts.category ?? null, opts.limit],
  );
  return res.rows.map((r) => ({ ordinal: Number(r.ordinal), ...toPatientResult(r) }));
}

/** The patient ids of one category after position `after`, in request order, at most `limit` (keyset pages, as above). */
export async function patientIdsAfter(db: Queryable, id: string, opts: { after: number; limit: number; category: ScreeningCategory }): Promise<Array<{ ordinal: number; patientId: string }>> {
  const res = await db.query<{ ordinal: number; patient_id: string }>(
    `SELECT ordinal, patient_id FROM screening_patients
      WHERE screening_id = $1 AND ordinal > $2 AND status = 'done' AND category = $3
      ORDER BY ordinal LIMIT $4`,
    [id, opts.after, opts.category, opts.limit],
  );
  return res.rows.map((r) => ({ ordinal: Number(r.ordinal), patientId: r.patient_id }));
}

// ---------------------------------------------------------------------------------------------
// Queue

export interface ClaimedItem {
  screeningId: string;
  ordinal: number;
  patientId: string;
  nctId: string;
  fhirServer: string;
  /** The claim: the completion applies only while the row is still held under it. */
  workerId: string;
  attempt: number;
}

/**
 * Claims up to `limit` pending items whose lease is free or expired, oldest screening first.
 * Concurrent claimers skip each other's locked rows, so an item goes to one worker at a time.
 */
export async function claimItems(db: Database, opts: { workerId: string; limit: number; leaseMs: number }): Promise<ClaimedItem[]> {
  if (opts.limit <= 0) return [];
  return db.transaction(async (tx) => {
    const res = await tx.query<{ screening_id: string; ordinal: number; patient_id: string; nct_id: string; fhir_server: string; attempts: number }>(
      `WITH picked AS (
         SELECT sp.screening_id, sp.ordinal
         FROM screening_patients sp JOIN screenings s ON s.id = sp.screening_id
         WHERE sp.status = 'pending' AND s.status <> 'cancelled'
           AND (sp.lease_expires_at IS NULL OR sp.lease_expires_at < clock_timestamp())
         ORDER BY s.created_at, sp.screening_id, sp.ordinal
         LIMIT $2
         FOR UPDATE OF sp SKIP LOCKED
       )
       UPDATE screening_patients sp
       SET claimed_by = $1, claimed_at = clock_timestamp(), attempts = sp.attempts + 1,
           lease_expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
       FROM picked, screenings s
       WHERE sp.screening_id = picked.screening_id AND sp.ordinal = picked.ordinal AND s.id = sp.screening_id
       RETURNING sp.screening_id, sp.ordinal, sp.patient_id, s.nct_id, s.fhir_server, sp.attempts`,
      [opts.workerId, opts.limit, opts.leaseMs],
    );
    const ids = [...new Set(res.rows.map((r) => r.screening_id))];
    if (ids.length > 0) {
      await tx.query("UPDATE screenings SET status = 'running', updated_at = now() WHERE id = ANY($1::uuid[]) AND status = 'queued'", [ids]);
    }
    return res.rows.map((r) => ({
      screeningId: r.screening_id,
      ordinal: Number(r.ordinal),
      patientId: r.patient_id,
      nctId: r.nct_id,
      fhirServer: r.fhir_server,
      workerId: opts.workerId,
      attempt: Number(r.attempts),
    }));
  });
}

const HELD = "screening_id = $1 AND ordinal = $2 AND status = 'pending' AND claimed_by = $3 AND attempts = $4";

/** Counts one finished item into its screening (same transaction as the item's change). */
async function countFinished(tx: Queryable, screeningId: string, column: 'done' | 'failed'): Promise<void> {
  await tx.query(
    `UPDATE screenings SET ${column} = ${column} + 1, updated_at = now(),
       status = CASE WHEN status = 'cancelled' THEN status WHEN done + failed + 1 >= total THEN 'completed' ELSE 'running' END,
       completed_at = CASE WHEN status = 'cancelled' THEN completed_at WHEN done + failed + 1 >= total THEN now() ELSE NULL END
     WHERE id = $1`,
    [screeningId],
  );
}

/** A screened item and its result, waiting to be stored. */
export interface Completion {
  item: ClaimedItem;
  result: PatientScreeningResult;
}

/**
 * Stores the results and marks their items done: each row only while it is still held under its
 * claim (worker and attempt), and the screening's count raised by the rows that were, in ONE
 * statement per screening (so one transaction). Returns, aligned with `completions`, whether each
 * was stored; false when its claim was lost (the lease expired and another worker took the item):
 * nothing of it is written, so no result is stored twice. A batch of patients costs one round
 * trip instead of a transaction per patient, and the screening's row, which every completion
 * updates, is locked once per batch instead of once per patient. One statement per screening:
 * each then locks a single screening row, so two workers' batches cannot deadlock on two.
 */
export async function completeItems(db: Queryable, completions: readonly Completion[]): Promise<boolean[]> {
  const stored = new Set<string>();
  const key = (screeningId: string, ordinal: number) => `${screeningId}\u0000${ordinal}`;
  const byScreening = new Map<string, Completion[]>();
  for (const c of completions) byScreening.set(c.item.screeningId, [...(byScreening.get(c.item.screeningId) ?? []), c]);
  for (const [screeningId, batch] of byScreening) {
    const col = <T>(f: (c: Completion) => T): T[] => batch.map(f);
    // Data-modifying CTEs run exactly once, on one snapshot; the count reads what the first one stored.
    const res = await db.query<{ ordinal: number }>(
      `WITH stored AS (
         UPDATE screening_patients sp
         SET status = 'done', category = u.category, summary = u.summary, criteria = u.criteria::jsonb, error = NULL,
             finished_at = now(), claimed_by = NULL, lease_expires_at = NULL
         FROM unnest($2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])
           AS u(ordinal, claimed_by, attempts, category, summary, criteria)
         WHERE sp.screening_id = $1 AND sp.ordinal = u.ordinal
           AND sp.status = 'pending' AND sp.claimed_by = u.claimed_by AND sp.attempts = u.attempts
         RETURNING sp.ordinal
       ),
       counted AS (
         UPDATE screenings s SET done = s.done + c.n, updated_at = now(),
           status = CASE WHEN s.status = 'cancelled' THEN s.status WHEN s.done + s.failed + c.n >= s.total THEN 'completed' ELSE 'running' END,
           completed_at = CASE WHEN s.status = 'cancelled' THEN s.completed_at WHEN s.done + s.failed + c.n >= s.total THEN now() ELSE NULL END
         FROM (SELECT count(*)::int AS n FROM stored) c
         WHERE s.id = $1 AND c.n > 0
         RETURNING s.id
       )
       SELECT ordinal FROM stored`,
      [
        screeningId,
        col((c) => c.item.ordinal),
        col((c) => c.item.workerId),
        col((c) => c.item.attempt),
        col((c) => c.result.category),
        col((c) => c.result.summary),
        col((c) => JSON.stringify(c.result.criteria)),
      ],
    );
    for (const r of res.rows) stored.add(key(screeningId, Number(r.ordinal)));
  }
  return completions.map((c) => stored.has(key(c.item.screeningId, c.item.ordinal)));
}

/** One result: `completeItems` of one. False when the claim was lost. */
export async function completeItem(db: Queryable, item: ClaimedItem, result: PatientScreeningResult): Promise<boolean> {
  const [stored] = await completeItems(db, [{ item, result }]);
  return stored === true;
}

/**
 * Records a failed attempt: back to pending after `retryAfterMs` while attempts remain (a
 * transient error), else failed for good with its error. False when the claim was lost.
 */
export async function failItem(db: Database, item: ClaimedItem, error: string, opts: { retryAfterMs?: number }): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (opts.retryAfterMs !== undefined) {
      const res = await tx.query(
        `UPDATE screening_patients SET error = $5, claimed_by = NULL,
           lease_expires_at = clock_timestamp() + make_interval(secs => $6::double precision / 1000)
         WHERE ${HELD}`,
        [item.screeningId, item.ordinal, item.workerId, item.attempt, error, opts.retryAfterMs],
      );
      return res.rowCount === 1;
    }
    const res = await tx.query(
      `UPDATE screening_patients SET status = 'failed', error = $5, finished_at = now(), claimed_by = NULL, lease_expires_at = NULL
       WHERE ${HELD}`,
      [item.screeningId, item.ordinal, item.workerId, item.attempt, error],
    );
    if (res.rowCount !== 1) return false;
    await countFinished(tx, item.screeningId, 'failed');
    return true;
  });
}

/** Fails every still pending item of a screening at once (e.g. its trial can no longer be read). */
export async function failScreening(db: Database, screeningId: string, error: string): Promise<void> {
  await db.transaction(async (tx) => {
    const res = await tx.query(
      `UPDATE screening_patients SET status = 'failed', error = $2, finished_at = now(), claimed_by = NULL, lease_expires_at = NULL
       WHERE screening_id = $1 AND status = 'pending'`,
      [screeningId, error],
    );
    await tx.query(
      `UPDATE screenings SET failed = failed + $2, error = $3, updated_at = now(),
         status = CASE WHEN status <> 'cancelled' AND done + failed + $2 >= total THEN 'completed' ELSE status END,
         completed_at = CASE WHEN status <> 'cancelled' AND done + failed + $2 >= total THEN now() ELSE completed_at END
       WHERE id = $1`,
      [screeningId, res.rowCount, error],
    );
  });
}

/** Which of these screenings are cancelled: a worker checks the patients it claimed ahead before starting them. */
export async function cancelledScreenings(db: Queryable, screeningIds: readonly string[]): Promise<Set<string>> {
  if (screeningIds.length === 0) return new Set();
  const res = await db.query<{ id: string }>("SELECT id FROM screenings WHERE id = ANY($1::uuid[]) AND status = 'cancelled'", [[...new Set(screeningIds)]]);
  return new Set(res.rows.map((r) => r.id));
}

/** Gives back claimed items that will not be started (their screening was cancelled); the attempt is not counted. */
export async function releaseItems(db: Queryable, items: readonly ClaimedItem[]): Promise<number> {
  if (items.length === 0) return 0;
  const res = await db.query(
    `UPDATE screening_patients sp SET claimed_by = NULL, lease_expires_at = NULL, attempts = greatest(sp.attempts - 1, 0)
     FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[]) AS u(screening_id, ordinal, claimed_by, attempts)
     WHERE sp.screening_id = u.screening_id AND sp.ordinal = u.ordinal AND sp.status = 'pending'
       AND sp.claimed_by = u.claimed_by AND sp.attempts = u.attempts`,
    [items.map((i) => i.screeningId), items.map((i) => i.ordinal), items.map((i) => i.workerId), items.map((i) => i.attempt)],
  );
  return res.rowCount;
}

/**
 * Gives back a stopping worker's unfinished claims so that the next start takes them at once
 * (instead of after the lease); the interrupted attempt is not counted.
 */
export async function releaseClaims(db: Database, workerId: string): Promise<number> {
  const res = await db.query(
    `UPDATE screening_patients SET claimed_by = NULL, lease_expires_at = NULL, attempts = greatest(attempts - 1, 0)
     WHERE claimed_by = $1 AND status = 'pending'`,
    [workerId],
  );
  return res.rowCount;
}

/** Items not yet finished (for the worker's start-up log). */
export async function countUnfinished(db: Queryable): Promise<{ screenings: number; patients: number }> {
  const res = await db.query<{ screenings: string; patients: string }>(
    `SELECT count(DISTINCT sp.screening_id) AS screenings, count(*) AS patients
       FROM screening_patients sp JOIN screenings s ON s.id = sp.screening_id
      WHERE sp.status = 'pending' AND s.status <> 'cancelled'`,
  );
  return { screenings: Number(res.rows[0]?.screenings ?? 0), patients: Number(res.rows[0]?.patients ?? 0) };
}
