/**
 * The cards Cairn issued about a patient, and feedback on them from an app:
 *
 * GET /api/patients/{id}/cards?service=&limit=: the patient's entries in the issued-card ledger
 * (src/ledger/issued-cards.ts), newest first, each with its latest feedback, and the override
 * reasons a card offers. The ledger knows patients only by their pseudonymous key, computed here
 * as the hooks compute it: from the FHIR server and the patient id (src/ledger/pseudonym.ts), the
 * server being the token's. Scopes as for the patient's evidence (patient-access.ts).
 *
 * POST /api/cards/{uuid}/feedback: the same feedback a CDS client sends (CDS Hooks 2.0 Feedback),
 * stored through the same store after the same checks (src/feedback/store.ts, src/ledger/feedback-check.ts),
 * so analytics counts it like any other. The outcome's time is the server's. Who may send it: a
 * token with a launch patient, for a card issued about that patient (403 otherwise: a card's
 * patient is known only by key, so an app could otherwise give feedback on any card whose uuid
 * it saw). Unknown or expired card: 404.
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Database } from '../../db/database.js';
import { InvalidFeedbackError, latestFeedback, saveFeedback, type FeedbackItem, type StoredFeedback } from '../../feedback/store.js';
import { operationOutcome } from '../../hooks/operation-outcome.js';
import { feedbackItemSchema, FHIR_ID_PATTERN, formatZodIssues, MAX_USER_COMMENT_CHARS, UUID_PATTERN } from '../../hooks/schema.js';
import { feedbackAgainstLedger } from '../../ledger/feedback-check.js';
import { issuedCard, issuedCardsOfPatient, type StoredIssuedCard } from '../../ledger/issued-cards.js';
import type { PatientKeyer } from '../../ledger/pseudonym.js';
import { OVERRIDE_REASONS, overrideReasonSystem } from '../../services/index.js';
import { setAuditDetails } from '../audit-routes.js';
import { smartCaller } from '../auth/smart-token.js';
import { apiOperation, jsonResponse, outcomeResponse, pathParameter, queryParameter, requestSchema, responseSchema, schemaRef, type ApiDoc } from './doc.js';
import { otherPatientRefusal, requirePatientRecordScopes } from './patient-access.js';
import { sendOutcome } from './send.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const SERVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

const listQuery = z.strictObject({
  service: z.string().regex(SERVICE_ID, 'must be a CDS service id').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
});

const uuid = z.string().regex(UUID_PATTERN, 'must be an RFC 4122 UUID');
const coding = z.strictObject({ system: z.string().min(1), code: z.string().min(1), display: z.string().min(1).optional() });

/** What an app sends; the outcome's time is added by the server. */
export const appFeedbackSchema = z.strictObject({
  outcome: z.enum(['accepted', 'overridden']),
  acceptedSuggestions: z.array(z.strictObject({ id: uuid })).min(1).optional().describe('Required when accepted (CDS Hooks 2.0): the suggestions of the card the user took.'),
  overrideReason: z
    .strictObject({
      reason: coding.describe('One of the override reasons (`overrideReasons` of GET /api/patients/{id}/cards).'),
      userComment: z.string().min(1).max(MAX_USER_COMMENT_CHARS).optional(),
    })
    .optional(),
});

const feedbackView = z.strictObject({
  outcome: z.enum(['accepted', 'overridden']),
  outcomeTimestamp: z.iso.datetime(),
  acceptedSuggestions: z.array(z.strictObject({ id: z.string() })).optional(),
  overrideReason: z
    .strictObject({ reason: coding.optional() })
    .optional()
    .describe("The reason's coding; a comment is not repeated here (free text may name anyone)."),
});

const cardView = z.strictObject({
  uuid: z.string(),
  service: z.string().describe('The CDS service that issued the card.'),
  hook: z.string(),
  issuedAt: z.iso.datetime(),
  summary: z.string(),
  indicator: z.enum(['info', 'warning', 'critical']),
  rule: z.strictObject({ id: z.string(), version: z.string().optional() }).nullable().describe('The rule that made the card (its provenance); the same ids as the evidence\'s `rule`.'),
  suggestionUuids: z.array(z.string()),
  feedback: feedbackView.nullable().describe('The latest feedback (the outcome analytics counts), or null.'),
});

export const patientCardsSchema = z.strictObject({
  patient: z.string(),
  cards: z.array(cardView),
  overrideReasons: z.array(z.strictObject({ system: z.string(), code: z.string(), display: z.string() })).describe("Why a clinician may set a card aside: Cairn's override-reason CodeSystem, as the cards offer them."),
});

export const appFeedbackResultSchema = z.strictObject({
  card: z.string(),
  service: z.string(),
  stored: z.boolean().describe('False when the same feedback was already stored.'),
  feedback: feedbackView,
});

type FeedbackView = z.infer<typeof feedbackView>;

function viewOf(f: Pick<StoredFeedback, 'outcome' | 'outcomeTimestamp' | 'acceptedSuggestions' | 'overrideReason'>): FeedbackView {
  return {
    outcome: f.outcome,
    outcomeTimestamp: f.outcomeTimestamp.toISOString(),
    ...(f.acceptedSuggestions && { acceptedSuggestions: f.acceptedSuggestions.map((s) => ({ id: s.id })) }),
    ...(f.overrideReason && { overrideReason: f.overrideReason.reason ? { reason: f.overrideReason.reason } : {} }),
  };
}

function cardOf(c: StoredIssuedCard, feedback: StoredFeedback | undefined): z.infer<typeof cardView> {
  return {
    uuid: c.cardUuid,
    service: c.serviceId,
    hook: c.hook,
    issuedAt: c.issuedAt.toISOString(),
    summary: c.summary,
    indicator: c.indicator as z.infer<typeof cardView>['indicator'],
    rule: c.ruleId === null ? null : { id: c.ruleId, ...(c.ruleVersion !== null && { version: c.ruleVersion }) },
    suggestionUuids: c.suggestionUuids,
    feedback: feedback ? viewOf(feedback) : null,
  };
}

export interface ApiCardsDeps {
  db: Database;
  patientKey: PatientKeyer;
  /** The ledger's retention, named in the 404 for a card it no longer keeps. */
  cardRetentionDays: number;
  maxRequestBytes: number;
  now?: () => Date;
}

export function cardRoutes(router: Router, deps: ApiCardsDeps): void {
  router.get('/patients/:id/cards', requirePatientRecordScopes, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const caller = smartCaller(res);
    if (!FHIR_ID_PATTERN.test(id)) return sendOutcome(res, 400, operationOutcome('error', 'invalid', 'the patient id must be a FHIR id ([A-Za-z0-9-.]{1,64})'));
    const query = listQuery.safeParse(req.query);
    if (!query.success) return sendOutcome(res, 400, operationOutcome('error', 'invalid', formatZodIssues(query.error)));
    const refusal = otherPatientRefusal(caller, id);
    if (refusal) return sendOutcome(res, 403, operationOutcome('error', 'forbidden', refusal));
    const key = await deps.patientKey({ fhirServer: caller.fhirServer, patientId: id });
    setAuditDetails(res, { patientKey: key, ...(query.data.service && { serviceId: query.data.service }) });
    const cards = await issuedCardsOfPatient(deps.db, key, { limit: query.data.limit, ...(query.data.service && { serviceId: query.data.service }) });
    const feedback = await latestFeedback(deps.db, cards.map((c) => c.cardUuid));
    const system = overrideReasonSystem();
    res.json({
      patient: id,
      cards: cards.map((c) => cardOf(c, feedback.get(c.cardUuid))),
      overrideReasons: Object.values(OVERRIDE_REASONS).map((r) => ({ system, code: r.code, display: r.display })),
    });
  });

  const json = express.json({ limit: deps.maxRequestBytes, type: ['application/json', 'application/*+json'], strict: true });
  router.post('/cards/:uuid/feedback', json, async (req: Request, res: Response) => {
    const cardUuid = String(req.params.uuid).toLowerCase();
    const caller = smartCaller(res);
    if (!UUID_PATTERN.test(cardUuid)) return sendOutcome(res, 400, operationOutcome('error', 'invalid', 'the card must be named by its uuid'));
    const body = appFeedbackSchema.safeParse(req.body);
    if (!body.success) return sendOutcome(res, 400, operationOutcome('error', 'invalid', formatZodIssues(body.error)));
    // The CDS Hooks item this is: the same schema checks it (an acceptance names suggestions, an override reason is for overrides).
    const item: FeedbackItem = {
      card: cardUuid,
      outcome: body.data.outcome,
      ...(body.data.acceptedSuggestions && { acceptedSuggestions: body.data.acceptedSuggestions }),
      ...(body.data.overrideReason && { overrideReason: body.data.overrideReason }),
      outcomeTimestamp: (deps.now?.() ?? new Date()).toISOString(),
    };
    const checked = feedbackItemSchema.safeParse(item);
    if (!checked.success) return sendOutcome(res, 400, operationOutcome('error', 'invalid', formatZodIssues(checked.error)));

    const card = await issuedCard(deps.db, cardUuid);
    if (card) setAuditDetails(res, { serviceId: card.serviceId, hookInstance: card.hookInstance, cards: 1, ...(card.patientKey && { patientKey: card.patientKey }) });
    if (card) {
      const own = caller.patient === undefined ? undefined : await deps.patientKey({ fhirServer: caller.fhirServer, patientId: caller.patient });
      if (own === undefined || card.patientKey !== own) {
        return sendOutcome(res, 403, operationOutcome('error', 'forbidden', 'feedback from an app is for cards issued about the patient in its launch context, and this card is about another patient'));
      }
    }
    const serviceId = card?.serviceId ?? 'unknown';
    const problem = feedbackAgainstLedger([item], new Map(card ? [[card.cardUuid, card]] : []), serviceId, deps.cardRetentionDays);
    if (problem) {
      // The unknown card's message names no service: the caller did not name one.
      const messages = card ? problem.messages : [`Cairn issued no card ${cardUuid} in the last ${deps.cardRetentionDays} days; feedback is accepted only for cards it issued`];
      return sendOutcome(res, problem.status, operationOutcome('error', problem.status === 404 ? 'not-found' : 'invalid', messages));
    }
    try {
      const saved = await saveFeedback(deps.db, serviceId, [item], new Map([[cardUuid, card!.hookInstance]]));
      res.json({
        card: cardUuid,
        service: serviceId,
        stored: saved.stored === 1,
        feedback: viewOf({ ...item, outcomeTimestamp: new Date(item.outcomeTimestamp), acceptedSuggestions: item.acceptedSuggestions ?? null, overrideReason: item.overrideReason ?? null }),
      });
    } catch (err) {
      if (!(err instanceof InvalidFeedbackError)) throw err;
      sendOutcome(res, 400, operationOutcome('error', 'invalid', err.message));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

export const cardsDoc: ApiDoc = {
  paths: {
    '/api/patients/{id}/cards': {
      get: apiOperation({
        summary: 'The cards Cairn issued about a patient',
        description:
          "From the issued-card ledger, newest first: each card's uuid, service, hook, time, summary, indicator, rule and suggestion uuids, with its latest feedback; and the override reasons to offer. " +
          "The patient is matched by the ledger's pseudonymous key of the token's FHIR server and the id. Scopes as for the patient's evidence; a patient-context token is for its launch patient only.",
        parameters: [
          pathParameter('id', "The patient's FHIR id on the token's FHIR server.", { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' }),
          queryParameter('service', 'Only the cards of this CDS service.', { type: 'string' }),
          queryParameter('limit', `At most this many cards (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}).`, { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
        ],
        responses: { '200': jsonResponse('The cards.', schemaRef('PatientCards')) },
      }),
    },
    '/api/cards/{uuid}/feedback': {
      post: apiOperation({
        summary: 'Feedback on an issued card (accepted, or overridden with a reason)',
        description:
          'Stored like CDS Hooks feedback for the card (the same checks; the outcome time is the server\'s), and counted by GET /api/analytics/feedback. ' +
          "The token must have a launch patient, and the card must have been issued about that patient.",
        parameters: [pathParameter('uuid', "The card's uuid.", { type: 'string', format: 'uuid' })],
        requestBody: { required: true, content: { 'application/json': { schema: requestSchema(appFeedbackSchema) } } },
        responses: {
          '200': jsonResponse('Stored.', schemaRef('CardFeedbackResult')),
          '404': outcomeResponse('Cairn issued no such card (or no longer keeps it).'),
        },
      }),
    },
  },
  schemas: { PatientCards: responseSchema(patientCardsSchema), CardFeedbackResult: responseSchema(appFeedbackResultSchema) },
};
