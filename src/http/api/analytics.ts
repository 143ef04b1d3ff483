/**
 * GET /api/analytics/feedback?from=&to=&service=&bucket=day: what clinicians did with the issued
 * cards (src/feedback/analytics.ts), for quality review in an app.
 *
 * Who may read: a SMART token with a scope in the `user` context, i.e. one issued to a user of the
 * EHR (a clinician, a coordinator, a quality lead) rather than to a patient's own app. The answer
 * holds counts only: no patient, no card text, no override comment.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { daysBetween, feedbackAnalytics } from '../../feedback/analytics.js';
import { operationOutcome } from '../../hooks/operation-outcome.js';
import { formatZodIssues } from '../../hooks/schema.js';
import { hasUserContext } from '../auth/smart-scopes.js';
import { requireSmartScope } from '../auth/smart-token.js';
import { apiOperation, jsonResponse, queryParameter, responseSchema, schemaRef, type ApiDoc } from './doc.js';
import { sendOutcome } from './send.js';

/** Default range: the last 30 days, today included. */
const DEFAULT_DAYS = 30;
/** Longest range: a year (and a leap day), so one answer's series stays a few hundred points per kind. */
const MAX_DAYS = 366;

const day = z.iso.date('must be a date YYYY-MM-DD');

const querySchema = z.strictObject({
  from: day.optional(),
  to: day.optional(),
  service: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a CDS service id').optional(),
  bucket: z.literal('day', 'only day buckets are offered').default('day'),
});

const counts = {
  issued: z.number().int(),
  accepted: z.number().int(),
  overridden: z.number().int(),
  noFeedback: z.number().int().describe('Issued without any feedback. Not the same as dismissed: CDS Hooks feedback has no outcome for a dismissed card.'),
};

export const feedbackAnalyticsSchema = z.strictObject({
  from: z.iso.date(),
  to: z.iso.date(),
  bucket: z.literal('day'),
  totals: z.strictObject(counts),
  kinds: z.array(
    z.strictObject({
      serviceId: z.string(),
      ruleId: z.string().nullable().describe('The rule that made the cards (card provenance); null for cards without provenance.'),
      ...counts,
      overrideReasons: z.array(
        z.strictObject({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional(), count: z.number().int() }).describe('Absent coding: overridden without a reason.'),
      ),
      series: z.array(z.strictObject({ day: z.iso.date(), ...counts })),
    }),
  ),
});

export const analyticsDoc: ApiDoc = {
  paths: {
    '/api/analytics/feedback': {
      get: apiOperation({
        summary: 'What clinicians did with the issued cards',
        description:
          'Per service and kind of card (its rule id), over the cards issued in the range: issued, accepted, overridden (with the reasons given) and without feedback, in total and per UTC day of issue. ' +
          "A card's outcome is its latest feedback. Needs a token with a `user/` scope.",
        parameters: [
          queryParameter('from', `First day (UTC), included. Default: ${DEFAULT_DAYS - 1} days before \`to\`.`, { type: 'string', format: 'date' }),
          queryParameter('to', 'Last day (UTC), included. Default: today.', { type: 'string', format: 'date' }),
          queryParameter('service', 'Only this CDS service.', { type: 'string' }),
          queryParameter('bucket', 'The series bucket; only `day`.', { enum: ['day'], default: 'day' }),
        ],
        responses: { '200': jsonResponse('The counts.', schemaRef('FeedbackAnalytics')) },
      }),
    },
  },
  schemas: { FeedbackAnalytics: responseSchema(feedbackAnalyticsSchema) },
};

function today(now: Date): string {
  return now.toISOString().slice(0, 10);
}

function parse(req: Request, now: Date): { ok: true; from: string; to: string; service?: string } | { ok: false; problems: string[] } {
  const parsed = querySchema.safeParse(req.query);
  if (!parsed.success) return { ok: false, problems: formatZodIssues(parsed.error) };
  const to = parsed.data.to ?? today(now);
  const from = parsed.data.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  if (from > to) return { ok: false, problems: ['from must not be after to'] };
  if (daysBetween(from, to).length > MAX_DAYS) return { ok: false, problems: [`at most ${MAX_DAYS} days per request`] };
  return { ok: true, from, to, ...(parsed.data.service && { service: parsed.data.service }) };
}

export function analyticsRoutes(router: Router, deps: { db: Database; now?: () => Date }): void {
  router.get(
    '/analytics/feedback',
    requireSmartScope((caller) =>
      hasUserContext(caller.scopes) ? undefined : { scope: 'user/*.rs', why: 'card analytics are for users of the EHR: the token needs a scope in the user context (user/…)' },
    ),
    async (req: Request, res: Response) => {
      const query = parse(req, deps.now?.() ?? new Date());
      if (!query.ok) return sendOutcome(res, 400, operationOutcome('error', 'invalid', query.problems));
      res.json(await feedbackAnalytics(deps.db, { from: query.from, to: query.to, ...(query.service && { serviceId: query.service }) }));
    },
  );
}
