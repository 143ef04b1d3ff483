/**
 * The OpenAPI 3.1 document of everything Cairn serves over HTTP (GET /openapi.json): the API for
 * apps, the CDS Hooks endpoints, the coordinator screening API, the audit trail, the published
 * FHIR resources and the operations endpoints.
 *
 * Built in code so that request bodies come from the same zod schemas that check them
 * (z.toJSONSchema, JSON Schema 2020-12, the dialect OpenAPI 3.1 uses) and cannot drift; responses
 * are described here, next to each other, and the tests compare this document with the routes the
 * app registers (tests/unit/openapi.test.ts) and the API's answers with their schemas.
 */
import { cdsResponseSchema, discoveryResponseSchema, feedbackRequestSchema, hookRequestSchema, MAX_FEEDBACK_ITEMS } from '../hooks/schema.js';
import { FHIR_SERVER_HEADER } from './auth/smart-token.js';
import {
  FHIR_JSON,
  FHIR_SERVER_PARAMETER,
  jsonResponse,
  outcomeResponse,
  pathParameter,
  queryParameter,
  requestSchema,
  responseSchema,
  retryAfterHeader,
  schemaRef,
  type ApiDoc,
  type Operation,
  type Schema,
} from './api/doc.js';
import { cairnVersion } from '../services/index.js';
import { analyticsDoc } from './api/analytics.js';
import { cardsDoc } from './api/cards.js';
import { evidenceDoc } from './api/evidence.js';
import { screeningsDoc } from './api/screenings.js';
import { trialsDoc } from './api/trials.js';
import { screeningRequestSchema } from './screenings.js';

const ref = schemaRef;
const json = jsonResponse;
const outcome = outcomeResponse;
const retryAfter = retryAfterHeader;
const idParameter = pathParameter;
const cdsSecurity = [{ cdsClientJwt: [] }];

/** The API for apps, each part documented by the module that serves it. */
const API_DOCS: readonly ApiDoc[] = [evidenceDoc, cardsDoc, analyticsDoc, trialsDoc, screeningsDoc];

const criterionRow: Schema = {
  type: 'object',
  required: ['number', 'kind', 'text', 'status', 'basis', 'category', 'evidence', 'reason'],
  properties: {
    number: { type: 'integer', minimum: 1, description: "1-based position in the trial's criteria." },
    kind: { enum: ['inclusion', 'exclusion'] },
    text: { type: 'string', description: 'Verbatim from the trial record.' },
    status: { enum: ['met', 'not-met', 'unknown'] },
    basis: { enum: ['record', 'note', 'assumed-absent', 'not-applicable', 'none'], description: 'What the judgement rests on.' },
    category: { type: 'string', description: 'What the parser made of the criterion (age, condition, lab …).' },
    alternatives: { type: 'string', description: 'Shared by the alternatives of a "one of the following" list.' },
    evidence: {
      type: 'array',
      items: { type: 'object', required: ['kind', 'source', 'text'], properties: { kind: { enum: ['record', 'note'] }, source: { type: 'string' }, text: { type: 'string' } } },
    },
    reason: { type: 'string' },
  },
};

const screening: Schema = {
  type: 'object',
  required: ['id', 'nctId', 'status', 'source', 'progress', 'createdAt', 'updatedAt', 'links'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    nctId: { type: 'string', pattern: '^NCT[0-9]{8}$' },
    status: { enum: ['queued', 'running', 'completed', 'cancelled'] },
    source: { type: 'object', required: ['kind'], properties: { kind: { enum: ['patients', 'group'] }, group: { type: 'string' } } },
    progress: {
      type: 'object',
      required: ['total', 'done', 'failed', 'pending'],
      properties: { total: { type: 'integer' }, done: { type: 'integer' }, failed: { type: 'integer' }, pending: { type: 'integer' } },
    },
    error: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    completedAt: { type: 'string', format: 'date-time' },
    cancelledAt: { type: 'string', format: 'date-time' },
    links: { type: 'object', required: ['self'], properties: { self: { type: 'string', format: 'uri' } } },
  },
};

const screeningPage: Schema = {
  allOf: [
    ref('Screening'),
    {
      type: 'object',
      required: ['categories', 'results', 'page'],
      properties: {
        categories: {
          type: 'object',
          required: ['eligible', 'excluded', 'irrelevant', 'unknown'],
          properties: Object.fromEntries(['eligible', 'excluded', 'irrelevant', 'unknown'].map((c) => [c, { type: 'integer' }])),
        },
        results: {
          type: 'array',
          items: {
            type: 'object',
            required: ['patient', 'status', 'attempts'],
            properties: {
              patient: { type: 'string', pattern: '^Patient/' },
              status: { enum: ['pending', 'done', 'failed'] },
              category: { enum: ['eligible', 'excluded', 'irrelevant', 'unknown'] },
              summary: { type: 'string' },
              criteria: { type: 'array', items: ref('CriterionRow') },
              error: { type: 'string' },
              attempts: { type: 'integer' },
              finishedAt: { type: 'string', format: 'date-time' },
            },
          },
        },
        page: {
          type: 'object',
          required: ['offset', 'limit', 'matching'],
          properties: { offset: { type: 'integer' }, limit: { type: 'integer' }, matching: { type: 'integer' }, next: { type: 'string', format: 'uri' } },
        },
      },
    },
  ],
};


function cdsPaths(): Record<string, Record<string, Operation>> {
  const serviceId = idParameter('id', 'The CDS service id, as discovery lists it.');
  const jwtRefusal = { '401': { description: 'No valid CDS client JWT (authentication on): a bare 401, as CDS Hooks advises; the reason is in Cairn\'s log.' } };
  return {
    '/cds-services': {
      get: {
        tags: ['CDS Hooks'],
        summary: 'CDS Hooks discovery',
        security: cdsSecurity,
        responses: { '200': json('The services Cairn offers.', ref('DiscoveryResponse')), ...jwtRefusal },
      },
    },
    '/cds-services/{id}': {
      post: {
        tags: ['CDS Hooks'],
        summary: 'Call a CDS service (a hook)',
        description: 'Answers by CAIRN_HOOK_DEADLINE_MS with the cards that are ready. Every card is recorded in the issued-card ledger before the answer leaves.',
        security: cdsSecurity,
        parameters: [serviceId],
        requestBody: { required: true, content: { 'application/json': { schema: ref('HookRequest') } } },
        responses: {
          '200': json('The cards.', ref('CdsResponse')),
          '400': outcome('The request does not follow CDS Hooks 2.0, or its fhirServer is malformed.'),
          ...jwtRefusal,
          '404': outcome('No service with this id.'),
          '412': outcome('Required prefetch data could not be had (not sent, not fetchable, or the fhirServer is not allowed).'),
          '413': outcome('The body is larger than CAIRN_MAX_REQUEST_BYTES.'),
          '503': outcome('Overloaded, still starting, or the cards could not be recorded; try again.', retryAfter),
        },
      },
    },
    '/cds-services/{id}/feedback': {
      post: {
        tags: ['CDS Hooks'],
        summary: 'Feedback on cards this service issued',
        security: cdsSecurity,
        parameters: [serviceId],
        requestBody: { required: true, content: { 'application/json': { schema: ref('FeedbackRequest') } } },
        responses: {
          '200': json('Stored (idempotent: a repeated outcome counts as a duplicate).', ref('FeedbackResult')),
          '400': outcome('Malformed feedback, or an accepted suggestion the card did not carry.'),
          ...jwtRefusal,
          '404': outcome('No such service, or a card it did not issue (or no longer keeps).'),
          '413': outcome(`More than ${MAX_FEEDBACK_ITEMS} entries.`),
          '503': outcome('Cairn is still starting.', retryAfter),
        },
      },
    },
  };
}

function coordinatorPaths(): Record<string, Record<string, Operation>> {
  const jwtRefusal = { '401': { description: 'No valid CDS client JWT (authentication on).' } };
  const screeningId = idParameter('id', 'The screening id.', { type: 'string', format: 'uuid' });
  return {
    '/trials/{nctId}/screenings': {
      post: {
        tags: ['Coordinator screenings'],
        summary: 'Screen patients against one trial',
        description: 'Queues a screening; the patients are read from CAIRN_SCREENING_FHIR_URL with Cairn\'s own credentials. Visible only to the client (JWT iss) that created it.',
        security: cdsSecurity,
        parameters: [
          idParameter('nctId', 'ClinicalTrials.gov id of a trial in the trial store.', { type: 'string', pattern: '^NCT[0-9]{8}$' }),
          { name: 'Idempotency-Key', in: 'header', required: false, description: 'Repeating a request with the same key returns the screening created the first time.', schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' } },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: ref('ScreeningRequest') } } },
        responses: {
          '202': json('Queued (or, with a repeated Idempotency-Key, the screening created before).', ref('Screening'), {
            Location: { description: 'The screening\'s URL.', schema: { type: 'string', format: 'uri' } },
            'Idempotent-Replayed': { description: '`true` when the answer is the earlier screening.', schema: { type: 'string' } },
          }),
          '400': outcome('Malformed body, or an unknown or empty Group.'),
          ...jwtRefusal,
          '404': outcome('No such trial in the trial store.'),
          '409': outcome('The Idempotency-Key was used for another request.'),
          '502': outcome('The Group could not be read from the FHIR server.'),
          '503': outcome('Screening is not configured (CAIRN_SCREENING_FHIR_URL), or Cairn is still starting.', retryAfter),
        },
      },
    },
    '/screenings/{id}': {
      get: {
        tags: ['Coordinator screenings'],
        summary: 'A screening with a page of its results',
        security: cdsSecurity,
        parameters: [
          screeningId,
          queryParameter('offset', 'Results to skip.', { type: 'integer', minimum: 0, default: 0 }),
          queryParameter('limit', 'Results in the page.', { type: 'integer', minimum: 1, maximum: 500, default: 100 }),
          queryParameter('category', 'Only results in this category.', { enum: ['eligible', 'excluded', 'irrelevant', 'unknown'] }),
          queryParameter('status', 'Only results with this status.', { enum: ['pending', 'done', 'failed'] }),
        ],
        responses: {
          '200': json('The screening and the page.', ref('ScreeningPage')),
          '400': outcome('Malformed query.'),
          ...jwtRefusal,
          '404': outcome('No such screening for this client.'),
          '503': outcome('Cairn is still starting.', retryAfter),
        },
      },
      delete: {
        tags: ['Coordinator screenings'],
        summary: 'Cancel a screening',
        security: cdsSecurity,
        parameters: [screeningId],
        responses: {
          '200': json('The screening, cancelled (or as it was, when already finished).', ref('Screening')),
          ...jwtRefusal,
          '404': outcome('No such screening for this client.'),
          '503': outcome('Cairn is still starting.', retryAfter),
        },
      },
    },
  };
}

function operationsPaths(): Record<string, Record<string, Operation>> {
  const status = (values: string[]): Schema => ({ type: 'object', required: ['status'], properties: { status: { enum: values }, step: { type: 'string' }, reason: { type: 'string' } } });
  return {
    '/healthz': { get: { tags: ['Operations'], summary: 'The process is up', security: [], responses: { '200': json('Up.', status(['ok'])) } } },
    '/readyz': {
      get: {
        tags: ['Operations'],
        summary: 'Start-up is done and the database (and Redis, when used) answer',
        security: [],
        responses: {
          '200': json('Ready.', status(['ready'])),
          '503': json('Starting (with the step), failed, or a dependency does not answer (`<name>-unreachable`).', { type: 'object', required: ['status'], properties: { status: { type: 'string' }, step: { type: 'string' }, reason: { type: 'string' } } }),
        },
      },
    },
    '/metrics': {
      get: {
        tags: ['Operations'],
        summary: 'Prometheus metrics',
        security: [],
        responses: { '200': { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/openapi.json': {
      get: { tags: ['Operations'], summary: 'This document', security: [], responses: { '200': json('OpenAPI 3.1.', { type: 'object' }) } },
    },
    '/audit': {
      get: {
        tags: ['Audit'],
        summary: 'The audit trail, newest first',
        description: 'With authentication on, only clients of issuers in CAIRN_AUDIT_ISSUERS may read it.',
        security: cdsSecurity,
        parameters: [
          queryParameter('_count', 'Page size.', { type: 'integer', minimum: 1, maximum: 500, default: 50 }),
          queryParameter('before', 'Only records older than this id (the next link sets it).', { type: 'string', pattern: '^[0-9]{1,18}$' }),
        ],
        responses: {
          '200': { description: 'A FHIR searchset Bundle of AuditEvents.', content: { [FHIR_JSON]: { schema: ref('Bundle') } } },
          '400': outcome('Malformed paging parameters.'),
          '401': { description: 'No valid CDS client JWT (authentication on).' },
          '403': outcome('The client\'s issuer is not in CAIRN_AUDIT_ISSUERS.'),
          '503': outcome('Cairn is still starting.', retryAfter),
        },
      },
    },
    '/fhir/{type}/{id}': {
      get: {
        tags: ['Published FHIR resources'],
        summary: "Cairn's CodeSystem and ValueSets at their canonical URLs",
        security: [],
        parameters: [idParameter('type', 'A FHIR resource type Cairn publishes (CodeSystem, ValueSet).'), idParameter('id', 'The resource id.')],
        responses: {
          '200': { description: 'The resource.', content: { [FHIR_JSON]: { schema: ref('FhirResource') } } },
          '404': outcome('Cairn publishes no such resource.'),
        },
      },
    },
  };
}

function schemas(): Record<string, Schema> {
  return {
    OperationOutcome: {
      type: 'object',
      required: ['resourceType', 'issue'],
      properties: {
        resourceType: { const: 'OperationOutcome' },
        issue: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['severity', 'code'],
            properties: { severity: { enum: ['fatal', 'error', 'warning', 'information'] }, code: { type: 'string' }, diagnostics: { type: 'string' } },
          },
        },
      },
    },
    DiscoveryResponse: responseSchema(discoveryResponseSchema),
    HookRequest: requestSchema(hookRequestSchema),
    CdsResponse: responseSchema(cdsResponseSchema),
    FeedbackRequest: requestSchema(feedbackRequestSchema),
    FeedbackResult: {
      type: 'object',
      required: ['stored', 'duplicates'],
      properties: { stored: { type: 'integer', minimum: 0 }, duplicates: { type: 'integer', minimum: 0 } },
    },
    ScreeningRequest: requestSchema(screeningRequestSchema),
    Screening: screening,
    ScreeningPage: screeningPage,
    CriterionRow: criterionRow,
    Bundle: { type: 'object', required: ['resourceType', 'type'], properties: { resourceType: { const: 'Bundle' }, type: { type: 'string' } } },
    FhirResource: { type: 'object', required: ['resourceType'], properties: { resourceType: { type: 'string' }, id: { type: 'string' }, url: { type: 'string' } } },
    ...Object.assign({}, ...API_DOCS.map((d) => d.schemas)),
  };
}

/** The document, with Cairn's public URL as its server. */
export function openApiDocument(publicUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cairn',
      version: cairnVersion(),
      summary: 'FHIR-native clinical decision support (CDS Hooks 2.0) grounded in clinical practice guidelines',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: publicUrl }],
    tags: [
      { name: 'API for apps', description: 'JSON for SMART apps; authenticated with the app\'s SMART access token, checked by introspection at its EHR.' },
      { name: 'CDS Hooks', description: 'CDS Hooks 2.0 services, authenticated with a CDS client JWT when CAIRN_REQUIRE_AUTH is on.' },
      { name: 'Coordinator screenings', description: 'Screening patients against a trial, for a CDS client (JWT).' },
      { name: 'Audit', description: 'The audit trail, for operators.' },
      { name: 'Published FHIR resources', description: 'Cairn\'s code systems and value sets.' },
      { name: 'Operations', description: 'Health, readiness, metrics and this document.' },
    ],
    paths: { ...Object.assign({}, ...API_DOCS.map((d) => d.paths)), ...cdsPaths(), ...coordinatorPaths(), ...operationsPaths() },
    components: {
      securitySchemes: {
        smartToken: {
          type: 'http',
          scheme: 'bearer',
          description: `A SMART on FHIR access token from an EHR in CAIRN_SMART_FHIR_SERVERS, named with the ${FHIR_SERVER_HEADER} header. Cairn checks it at the introspection endpoint of the EHR's .well-known/smart-configuration and caches the answer for at most 60 s.`,
        },
        cdsClientJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A CDS client JWT (CDS Hooks 2.0 §Trusting CDS Clients) signed by an issuer in CAIRN_TRUSTED_ISSUERS, its aud the URL called. Required when CAIRN_REQUIRE_AUTH is on.',
        },
      },
      parameters: { FhirServer: FHIR_SERVER_PARAMETER },
      schemas: schemas(),
    },
  };
}
