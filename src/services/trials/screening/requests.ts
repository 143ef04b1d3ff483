/**
 * The coordinator's requests, everything but HTTP: start a screening of patients (a list, or a
 * FHIR Group's members) against one trial, read a screening with a page of its results, and
 * cancel it.
 * src/http/screenings.ts parses, authenticates and maps the typed errors here to status codes.
 *
 * The checks run in a fixed order, which is the API's contract: an unknown trial is reported
 * before a malformed body, and another client's screening is reported absent before a malformed
 * query. That is why the route's parse result comes in as `Parsed` and is judged here, in turn.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database, Queryable } from '../../../db/database.js';
import { parseReference } from '../../../fhir/context/fhir-json.js';
import { FhirFetchError, type FhirGateway } from '../../../fhir/gateway.js';
import { trialVersions } from '../store/trial-store.js';
import type { ScreeningCategory } from './result.js';
import { cancelScreening as cancelStored, createScreening, getScreening, listResults, screeningOwner, type ItemStatus, type ResultPage, type Screening, type ScreeningSource } from './store.js';

/**
 * The most patients one screening takes: its creation is one transaction and its request one
 * body; a larger cohort is split into several screenings (or a Group per part).
 */
export const MAX_PATIENTS_PER_SCREENING = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NCT_ID = /^NCT[0-9]{8}$/;

/** What the route made of the request: its content, or why it is malformed. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: readonly string[] };

/** Where screenings read patients from, and the worker that runs them. */
export interface ScreeningBackend {
  fhirServer: string;
  gateway: FhirGateway;
  /** Tells the worker there is new work. */
  wake(): void;
}

export interface StartRequest {
  /** `Patient/<id>` references, in request order (repeats allowed); exactly one of patients and group. */
  patients?: readonly string[];
  /** A `Group/<id>` reference on the screening FHIR server. */
  group?: string;
  /** Makes a retried request return the screening it created the first time. */
  idempotencyKey?: string;
}

export type StartError =
  | { kind: 'unknown-trial'; nctId: string }
  | { kind: 'invalid'; problems: readonly string[] }
  /** No screening FHIR server is configured. */
  | { kind: 'not-configured' }
  | { kind: 'group-unreadable'; group: string; reason: string }
  | { kind: 'group-not-found'; group: string }
  | { kind: 'group-empty'; group: string }
  | { kind: 'group-too-large'; group: string; patients: number }
  /** The idempotency key was used before by this client for another request. */
  | { kind: 'key-conflict' };

export type StartOutcome = { ok: true; screening: Screening; replayed: boolean } | { ok: false; error: StartError };

export interface StartDeps {
  db: Database;
  log: Logger;
  /** Undefined when no screening FHIR server is configured. */
  screening?: ScreeningBackend;
}

/** Patient ids of a Group's active Patient members, in order, distinct. */
export function groupPatientIds(group: { member?: Array<{ entity?: { reference?: string }; inactive?: boolean }> }): string[] {
  const ids: string[] = [];
  for (const m of group.member ?? []) {
    if (m.inactive) continue;
    const ref = m.entity?.reference ? parseReference(m.entity.reference) : undefined;
    if (ref?.type === 'Patient') ids.push(ref.id);
  }
  return [...new Set(ids)];
}

/** The patients to screen: the list as given, or the Group's members read from the FHIR server. */
async function screenedPatients(
  backend: ScreeningBackend,
  request: StartRequest,
): Promise<{ ok: true; source: ScreeningSource; patientIds: string[] } | { ok: false; error: StartError }> {
  if (!request.group) {
    return { ok: true, source: { kind: 'patients' }, patientIds: [...new Set((request.patients ?? []).map((p) => p.slice('Patient/'.length)))] };
  }
  const group = request.group;
  let resource;
  try {
    resource = await backend.gateway.get(group);
  } catch (err) {
    return { ok: false, error: { kind: 'group-unreadable', group, reason: err instanceof FhirFetchError ? err.message : 'unexpected error' } };
  }
  if (!resource || resource.resourceType !== 'Group') return { ok: false, error: { kind: 'group-not-found', group } };
  const patientIds = groupPatientIds(resource);
  if (patientIds.length === 0) return { ok: false, error: { kind: 'group-empty', group } };
  if (patientIds.length > MAX_PATIENTS_PER_SCREENING) return { ok: false, error: { kind: 'group-too-large', group, patients: patientIds.length } };
  return { ok: true, source: { kind: 'group', group }, patientIds };
}

/**
 * Queues a screening of `nctId` for the client `clientIss` ('' without authentication) and wakes
 * the worker; with an idempotency key this client used before for the same request, the
 * screening created then (`replayed`).
 */
export async function startScreening(deps: StartDeps, input: { nctId: string; clientIss: string; request: Parsed<StartRequest> }): Promise<StartOutcome> {
  const { nctId } = input;
  const known = NCT_ID.test(nctId) && (await trialVersions(deps.db, [nctId])).has(nctId);
  if (!known) return { ok: false, error: { kind: 'unknown-trial', nctId } };
  if (!input.request.ok) return { ok: false, error: { kind: 'invalid', problems: input.request.problems } };
  const request = input.request.value;
  const backend = deps.screening;
  if (!backend) return { ok: false, error: { kind: 'not-configured' } };

  const patients = await screenedPatients(backend, request);
  if (!patients.ok) return patients;
  const { source, patientIds } = patients;
  // The same key with another trial, source or patient list is a conflict, not a replay.
  const requestHash = createHash('sha256').update(JSON.stringify({ nctId, source, patientIds })).digest('hex');
  const outcome = await createScreening(deps.db, {
    nctId,
    fhirServer: backend.fhirServer,
    source,
    patientIds,
    clientIss: input.clientIss,
    ...(request.idempotencyKey !== undefined && { clientKey: request.idempotencyKey }),
    requestHash,
  });
  if (outcome.kind === 'conflict') return { ok: false, error: { kind: 'key-conflict' } };
  if (outcome.kind === 'created') {
    backend.wake();
    deps.log.info({ screening: outcome.screening.id, nctId, patients: patientIds.length }, 'screening queued');
  }
  return { ok: true, screening: outcome.screening, replayed: outcome.kind === 'existing' };
}

export interface PageQuery {
  offset: number;
  limit: number;
  category?: ScreeningCategory;
  status?: ItemStatus;
}

export type ReadError = { kind: 'not-found' } | { kind: 'invalid'; problems: readonly string[] };

export type ReadOutcome = { ok: true; screening: Screening; page: ResultPage; query: PageQuery } | { ok: false; error: ReadError };

/** A screening and one page of its results, for the client that created it only. */
export async function readScreening(db: Queryable, input: { id: string; clientIss: string; query: Parsed<PageQuery> }): Promise<ReadOutcome> {
  const notFound: ReadOutcome = { ok: false, error: { kind: 'not-found' } };
  const { id } = input;
  if (!UUID.test(id)) return notFound;
  // Another client's screening is reported as absent, not forbidden: its existence is not theirs to learn.
  const owner = await screeningOwner(db, id);
  if (owner === undefined || owner !== input.clientIss) return notFound;
  if (!input.query.ok) return { ok: false, error: { kind: 'invalid', problems: input.query.problems } };
  const query = input.query.value;
  const screening = await getScreening(db, id);
  if (!screening) return notFound;
  const page = await listResults(db, id, {
    offset: query.offset,
    limit: query.limit,
    ...(query.category && { category: query.category }),
    ...(query.status && { status: query.status }),
  });
  return { ok: true, screening, page, query };
}

/**
 * A screening of the client that created it, else undefined (another client's is absent, as for
 * reads): an export then pages through its results itself.
 */
export async function ownScreening(db: Queryable, input: { id: string; clientIss: string }): Promise<Screening | undefined> {
  if (!UUID.test(input.id)) return undefined;
  const owner = await screeningOwner(db, input.id);
  if (owner === undefined || owner !== input.clientIss) return undefined;
  return getScreening(db, input.id);
}

export type CancelOutcome = { ok: true; screening: Screening; cancelled: boolean } | { ok: false; error: { kind: 'not-found' } };

/**
 * Cancels a screening for the client that created it only (another client's is absent, as for
 * reads). Idempotent: cancelling a cancelled or completed screening changes nothing and returns it
 * (`cancelled` false). Patients being screened at that moment may still finish.
 */
export async function cancelScreening(db: Queryable, input: { id: string; clientIss: string }): Promise<CancelOutcome> {
  const notFound: CancelOutcome = { ok: false, error: { kind: 'not-found' } };
  if (!UUID.test(input.id)) return notFound;
  const owner = await screeningOwner(db, input.id);
  if (owner === undefined || owner !== input.clientIss) return notFound;
  const outcome = await cancelStored(db, input.id);
  return outcome ? { ok: true, ...outcome } : notFound;
}
