/**
 * A local stand-in of the ClinicalTrials.gov API v2 `GET /studies`, for the importer's tests (the
 * real API is never called: this machine has no internet, and tests must not depend on it).
 *
 * It serves the studies it is given as the API does, for the parameters the importer sends:
 * `query.cond` / `query.term` (case-insensitive substring of the conditions, or of the title,
 * summary and conditions), `filter.overallStatus`, `filter.ids`, `fields` (field paths: only those
 * parts of each study are returned; an unknown top-level part is a 400, as the API answers),
 * `pageSize` with an opaque `pageToken`, and `countTotal`. It fails when told to, by request
 * number: a 503 with Retry-After, a 429, or a connection dropped without an answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Failure = { status: 503 | 429 | 500; retryAfter?: string } | 'drop';

export interface StandInRequest {
  /** 1-based, in arrival order. */
  n: number;
  params: URLSearchParams;
  /** How it was answered. */
  outcome: 'ok' | 'failed' | 'refused';
  /** NCT ids of the studies returned. */
  nctIds: string[];
}

export interface CtgovStandIn {
  /** The API v2 base URL to give the importer (…/api/v2). */
  baseUrl: string;
  /** The studies served, by NCT id: change one between runs to simulate a registry update. */
  studies: Map<string, Record<string, unknown>>;
  requests: StandInRequest[];
  /** Failures to answer with, by request number (1-based). */
  failures: Map<number, Failure>;
  /** Requests that asked for whole records (the importer's step 3), and the ids they returned. */
  recordRequests(): StandInRequest[];
  close(): Promise<void>;
}

const TOP_LEVEL = new Set(['protocolSection', 'derivedSection', 'resultsSection', 'annotationSection', 'documentSection', 'hasResults']);

export async function startCtgovStandIn(studies: ReadonlyArray<Record<string, unknown>>, failures: Map<number, Failure> = new Map()): Promise<CtgovStandIn> {
  const byId = new Map(studies.map((s) => [nctIdOf(s), s]));
  const requests: StandInRequest[] = [];
  const server: Server = createServer((req, res) => answer(req, res));
  const standIn: CtgovStandIn = {
    baseUrl: '',
    studies: byId,
    requests,
    failures,
    recordRequests: () => requests.filter((r) => r.outcome === 'ok' && (r.params.get('fields') ?? '').includes('eligibilityModule')),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  function answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://standin');
    const n = requests.length + 1;
    const entry: StandInRequest = { n, params: url.searchParams, outcome: 'failed', nctIds: [] };
    requests.push(entry);
    if (req.method !== 'GET' || url.pathname !== '/api/v2/studies') {
      entry.outcome = 'refused';
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const failure = failures.get(n);
    if (failure === 'drop') {
      // The connection closes with no answer at all.
      req.socket.destroy();
      return;
    }
    if (failure) {
      res.writeHead(failure.status, { 'content-type': 'text/plain', ...(failure.retryAfter !== undefined && { 'retry-after': failure.retryAfter }) }).end('try again later');
      return;
    }
    const p = url.searchParams;
    const fields = (p.get('fields') ?? '').split(/[,|]/).filter(Boolean);
    const unknown = fields.find((f) => !TOP_LEVEL.has(f.split('.')[0] as string));
    if (unknown) {
      entry.outcome = 'refused';
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`Unknown field: ${unknown}`);
      return;
    }
    let list = [...byId.values()].sort((a, b) => nctIdOf(a).localeCompare(nctIdOf(b)));
    const cond = p.get('query.cond')?.toLowerCase();
    if (cond) list = list.filter((s) => conditionsOf(s).some((c) => c.toLowerCase().includes(cond)));
    const term = p.get('query.term')?.toLowerCase();
    if (term) list = list.filter((s) => JSON.stringify([titleOf(s), conditionsOf(s)]).toLowerCase().includes(term));
    const statuses = p.get('filter.overallStatus')?.split(/[,|]/);
    if (statuses) list = list.filter((s) => statuses.includes(statusOf(s)));
    const ids = p.get('filter.ids')?.split(/[,|]/);
    if (ids) list = list.filter((s) => ids.includes(nctIdOf(s)));
    const pageSize = Number(p.get('pageSize') ?? 10);
    const offset = p.get('pageToken') ? Number(Buffer.from(p.get('pageToken') as string, 'base64url').toString()) : 0;
    const page = list.slice(offset, offset + pageSize);
    const next = offset + pageSize < list.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : undefined;
    entry.outcome = 'ok';
    entry.nctIds = page.map(nctIdOf);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        ...(p.get('countTotal') === 'true' && { totalCount: list.length }),
        studies: page.map((s) => (fields.length > 0 ? projectFields(s, fields) : s)),
        ...(next && { nextPageToken: next }),
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standIn.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
  return standIn;
}

/** A minimal API v2 study: what the importer reads, plus a sponsor it must not ask for. */
export function v2Study(nctId: string, o: { title: string; conditions: string[]; status?: string; lastUpdate: string; inclusion: string; exclusion: string }): Record<string, unknown> {
  return {
    protocolSection: {
      identificationModule: { nctId, briefTitle: o.title },
      statusModule: { overallStatus: o.status ?? 'RECRUITING', lastUpdatePostDateStruct: { date: o.lastUpdate, type: 'ACTUAL' } },
      sponsorCollaboratorsModule: { leadSponsor: { name: 'Example Sponsor', class: 'OTHER' } },
      descriptionModule: { briefSummary: `${o.title}.` },
      conditionsModule: { conditions: o.conditions },
      designModule: { studyType: 'INTERVENTIONAL', phases: ['PHASE3'] },
      eligibilityModule: { eligibilityCriteria: `Inclusion Criteria:\n\n${o.inclusion}\n\nExclusion Criteria:\n\n${o.exclusion}`, sex: 'ALL', minimumAge: '18 Years' },
    },
    derivedSection: { miscInfoModule: { versionHolder: '2025-05-19' } },
    hasResults: false,
  };
}

/** Sets a study's last-update date (and optionally its status and criteria): a registry update. */
export function updateStudy(study: Record<string, unknown>, change: { lastUpdate: string; status?: string; exclusion?: string }): Record<string, unknown> {
  const copy = structuredClone(study) as { protocolSection: Record<string, Record<string, unknown>> };
  const status = copy.protocolSection.statusModule as Record<string, unknown>;
  status.lastUpdatePostDateStruct = { date: change.lastUpdate, type: 'ACTUAL' };
  if (change.status) status.overallStatus = change.status;
  if (change.exclusion) {
    const elig = copy.protocolSection.eligibilityModule as { eligibilityCriteria: string };
    elig.eligibilityCriteria = `${elig.eligibilityCriteria}\n${change.exclusion}`;
  }
  return copy;
}

/** A study with only the given field paths, as API v2's `fields` parameter returns it. */
export function projectFields(study: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const keys = path.split('.');
    let from: unknown = study;
    for (const k of keys) from = typeof from === 'object' && from !== null ? (from as Record<string, unknown>)[k] : undefined;
    if (from === undefined) continue;
    let to = out;
    for (const k of keys.slice(0, -1)) to = (to[k] ??= {}) as Record<string, unknown>;
    to[keys[keys.length - 1] as string] = structuredClone(from);
  }
  return out;
}

const section = (s: Record<string, unknown>, module: string): Record<string, unknown> =>
  ((s.protocolSection as Record<string, unknown> | undefined)?.[module] as Record<string, unknown> | undefined) ?? {};
const nctIdOf = (s: Record<string, unknown>): string => String(section(s, 'identificationModule').nctId);
const titleOf = (s: Record<string, unknown>): string => String(section(s, 'identificationModule').briefTitle ?? '');
const statusOf = (s: Record<string, unknown>): string => String(section(s, 'statusModule').overallStatus);
const conditionsOf = (s: Record<string, unknown>): string[] => (section(s, 'conditionsModule').conditions as string[] | undefined) ?? [];
