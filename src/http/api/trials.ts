/**
 * GET /api/trials?q=&status=&offset=&limit=: search the trial store (exact keyword search, stable
 * pages; src/services/trials/store/trial-store.ts listTrials).
 * GET /api/trials/{nctId}: one trial with its criteria as the matcher reads them, in order.
 *
 * Trial records are public registry data: any accepted SMART token may read them, whatever its
 * scopes.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { operationOutcome } from '../../hooks/operation-outcome.js';
import { formatZodIssues } from '../../hooks/schema.js';
import { listTrials, loadTrial } from '../../services/trials/store/trial-store.js';
import { DEFAULT_TRIAL_STALE_DAYS, statusAsOfText, statusDate } from '../../services/trials/status-date.js';
import { apiOperation, jsonResponse, outcomeResponse, pathParameter, queryParameter, responseSchema, schemaRef, type ApiDoc } from './doc.js';
import { sendOutcome } from './send.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const NCT_ID = /^NCT\d{8}$/;
/** ClinicalTrials.gov overall statuses are upper snake case (RECRUITING, NOT_YET_RECRUITING …). */
const STATUS = /^[A-Z][A-Z_]{1,39}$/;

const querySchema = z.strictObject({
  q: z.string().max(500, 'at most 500 characters').optional(),
  status: z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter((v) => v.length > 0))
    .pipe(z.array(z.string().regex(STATUS, 'each status must be a ClinicalTrials.gov overall status, e.g. RECRUITING')).max(20))
    .optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
});

/** When the status was read, as the trial-match card says it (src/services/trials/status-date.ts). */
const statusDateFields = {
  statusAsOf: z.string().describe('The day (YYYY-MM-DD, UTC) the status was read from ClinicalTrials.gov: by the importer, or the snapshot the record came from.'),
  statusMayBeOutOfDate: z.boolean().describe('The status was read longer ago than CAIRN_TRIAL_STALE_DAYS days (default 30).'),
  statusNote: z.string().describe('What the trial-match card says of it: "status as of 3 Feb 2023", with " — may be out of date" when so.'),
  fetchedAt: z.string().describe('When the status was read (ISO 8601 date-time, UTC).'),
  lastUpdatePosted: z.string().nullable().describe('ClinicalTrials.gov\'s "Last Update Posted" date of the record (YYYY-MM-DD); null when the record has none.'),
};

const trialSummary = z.strictObject({
  nctId: z.string(),
  title: z.string(),
  status: z.string().describe('ClinicalTrials.gov overall status.'),
  ...statusDateFields,
  phase: z.string().nullable(),
  conditions: z.array(z.string()),
  sex: z.enum(['all', 'female', 'male']),
  minAgeYears: z.number().nullable(),
  maxAgeYears: z.number().nullable(),
  criteria: z.number().int().describe('Number of atomic eligibility criteria.'),
  contentHash: z.string().describe('SHA-256 of the record as imported and the parser that read it.'),
  links: z.strictObject({ self: z.string(), registry: z.string() }),
});

export const trialListSchema = z.strictObject({
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  trials: z.array(trialSummary),
  next: z.string().optional(),
});

export const trialDetailSchema = z.strictObject({
  nctId: z.string(),
  title: z.string(),
  officialTitle: z.string().optional(),
  summary: z.string().optional(),
  status: z.string(),
  ...statusDateFields,
  phase: z.string().nullable(),
  conditions: z.array(z.string()),
  keywords: z.array(z.string()),
  interventions: z.array(z.strictObject({ type: z.string().optional(), name: z.string() })),
  sex: z.enum(['all', 'female', 'male']),
  minimumAge: z.string().optional(),
  maximumAge: z.string().optional(),
  healthyVolunteers: z.boolean().optional(),
  source: z.string(),
  contentHash: z.string(),
  criteria: z.array(
    z.strictObject({
      number: z.number().int().describe("1-based position in the trial's criteria."),
      kind: z.enum(['inclusion', 'exclusion']),
      text: z.string().describe('Verbatim from the trial record.'),
      context: z.string().optional().describe('The lead-in the criterion sits under, verbatim.'),
      alternatives: z.string().optional().describe('Shared by the alternatives of a "one of the following" list.'),
      category: z.string().describe('What the parser made of it (age, condition, lab …).'),
    }),
  ),
  links: z.strictObject({ registry: z.string() }),
});

export const trialsDoc: ApiDoc = {
  paths: {
    '/api/trials': {
      get: apiOperation({
        summary: 'Search the trial store',
        description:
          'Full-text search over what each trial is about (title, conditions, keywords) and its summary and inclusion criteria, best match first; without `q`, every trial in NCT id order. A `q` that is an NCT id finds that trial. Any accepted SMART token may call it.',
        parameters: [
          queryParameter('q', 'Words to search for (web-search syntax: "quoted phrase", or, -word).', { type: 'string', maxLength: 500 }),
          queryParameter('status', 'Comma-separated ClinicalTrials.gov overall statuses, e.g. RECRUITING,NOT_YET_RECRUITING.', { type: 'string' }),
          queryParameter('offset', 'Trials to skip.', { type: 'integer', minimum: 0, default: 0 }),
          queryParameter('limit', 'Trials in the page.', { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
        ],
        responses: { '200': jsonResponse('A page of trials, with the number that match and a link to the next page.', schemaRef('TrialList')) },
      }),
    },
    '/api/trials/{nctId}': {
      get: apiOperation({
        summary: 'One trial with its eligibility criteria',
        parameters: [pathParameter('nctId', 'ClinicalTrials.gov id.', { type: 'string', pattern: '^NCT[0-9]{8}$' })],
        responses: { '200': jsonResponse('The trial.', schemaRef('TrialDetail')), '404': outcomeResponse('No such trial in the trial store.') },
      }),
    },
  },
  schemas: { TrialList: responseSchema(trialListSchema), TrialDetail: responseSchema(trialDetailSchema) },
};

const registry = (nctId: string) => `https://clinicaltrials.gov/study/${nctId}`;

export interface TrialRoutesDeps {
  db: Database;
  publicUrl: string;
  /** CAIRN_TRIAL_STALE_DAYS (default 30). */
  staleAfterDays?: number;
  now?: () => Date;
}

export function trialRoutes(router: Router, deps: TrialRoutesDeps): void {
  const dated = (t: { fetchedAt: string; lastUpdatePosted: string | null }) => {
    const d = statusDate(t.fetchedAt, deps.now?.() ?? new Date(), deps.staleAfterDays ?? DEFAULT_TRIAL_STALE_DAYS);
    return { statusAsOf: d.asOf, statusMayBeOutOfDate: d.stale, statusNote: statusAsOfText(d), fetchedAt: t.fetchedAt, lastUpdatePosted: t.lastUpdatePosted };
  };
  router.get('/trials', async (req: Request, res: Response) => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) return sendOutcome(res, 400, operationOutcome('error', 'invalid', formatZodIssues(parsed.error)));
    const { q, status, offset, limit } = parsed.data;
    const { total, trials } = await listTrials(deps.db, { ...(q !== undefined && { text: q }), ...(status && { statuses: status }), offset, limit });
    const nextOffset = offset + trials.length;
    const next = new URLSearchParams({ ...(q !== undefined && { q }), ...(status && { status: status.join(',') }), offset: String(nextOffset), limit: String(limit) });
    res.json({
      total,
      offset,
      limit,
      trials: trials.map((t) => ({ ...t, ...dated(t), links: { self: `${deps.publicUrl}/api/trials/${t.nctId}`, registry: registry(t.nctId) } })),
      ...(trials.length > 0 && nextOffset < total && { next: `${deps.publicUrl}/api/trials?${next.toString()}` }),
    });
  });

  router.get('/trials/:nctId', async (req: Request, res: Response) => {
    const nctId = String(req.params.nctId);
    const trial = NCT_ID.test(nctId) ? await loadTrial(deps.db, nctId) : undefined;
    if (!trial) return sendOutcome(res, 404, operationOutcome('error', 'not-found', `no trial ${nctId.slice(0, 64)} in the trial store`));
    const r = trial.record;
    res.json({
      nctId: trial.nctId,
      title: trial.title,
      ...(r.officialTitle !== undefined && { officialTitle: r.officialTitle }),
      ...(r.summary !== undefined && { summary: r.summary }),
      status: trial.status,
      ...dated(trial),
      phase: trial.phase,
      conditions: trial.conditions,
      keywords: r.keywords,
      interventions: r.interventions.map((i) => ({ ...(i.type !== undefined && { type: i.type }), name: i.name })),
      sex: r.sex,
      ...(r.minimumAge !== undefined && { minimumAge: r.minimumAge }),
      ...(r.maximumAge !== undefined && { maximumAge: r.maximumAge }),
      ...(r.healthyVolunteers !== undefined && { healthyVolunteers: r.healthyVolunteers }),
      source: r.source,
      contentHash: trial.contentHash,
      criteria: trial.criteria.map((c) => ({
        number: c.ordinal + 1,
        kind: c.criterion.kind,
        text: c.criterion.text,
        ...(c.criterion.context !== undefined && { context: c.criterion.context }),
        ...(c.criterion.alternatives !== undefined && { alternatives: c.criterion.alternatives }),
        category: c.criterion.structure.category,
      })),
      links: { registry: registry(trial.nctId) },
    });
  });
}
