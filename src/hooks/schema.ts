/**
 * CDS Hooks 2.0.1 protocol schemas, written from the spec's FHIR logical models
 * (HL7/cds-hooks input/fsh/logicals/CDSHooks{Request,Response,Services}.fsh, the hook
 * context logicals, and the invariants in input/fsh/invariants/) plus the Hook Library
 * STU1 pages for the required context fields.
 *
 * Two postures, on purpose:
 * - What we RECEIVE (hook requests, feedback) is parsed with loose objects: unknown fields
 *   pass through, so a client that is ahead of us (3.0 fields, vendor fields) is not refused,
 *   but every field we type is checked strictly.
 * - What we SEND (cards, discovery) uses strict objects: an unknown key there is almost always
 *   our own typo (`selectionbehavior`), and the client would silently ignore it.
 */
import { z } from 'zod';
import { FHIR_BASE_PROBLEMS, normaliseFhirBase } from '../fhir/server-allowlist.js';

// ---------------------------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------------------------

/**
 * RFC 4122 / 9562 UUID (versions 1-8, variant 10xx). The nil and max UUIDs are excluded:
 * hookInstance must be unguessable and card/suggestion uuids must be unique (spec: Request, Card).
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const uuidSchema = z.string().regex(UUID_PATTERN, 'must be an RFC 4122 UUID');

/** FHIR `id` datatype (R4 2.24.0.1). */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
export const fhirIdSchema = z.string().regex(FHIR_ID_PATTERN, 'must be a FHIR id ([A-Za-z0-9-.]{1,64})');

/** Relative reference `Type/id` (invariant ord-1; hook context `userId`, `selections`, action `resourceId`). */
export const RELATIVE_REFERENCE_PATTERN = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;
export const relativeReferenceSchema = z
  .string()
  .regex(RELATIVE_REFERENCE_PATTERN, 'must be a relative reference of the form ResourceType/id');

const NonEmptyString = z.string().min(1, 'must not be empty');

/**
 * Cross-field rules run even when other fields failed, so one report lists every problem.
 * Every such rule below only compares fields with undefined or literals, which is safe on a
 * malformed object.
 */
const evenIfInvalid = {
  when: (payload: z.core.ParsePayload): boolean => typeof payload.value === 'object' && payload.value !== null,
};

/** z.enum whose messages tell a missing field ("is required") from a wrong one. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const allowed = values.map((v) => `"${v}"`).join(' | ');
  return z.enum(values, {
    error: (issue) => (issue.input === undefined ? 'is required' : `must be one of ${allowed}`),
  });
}

/** Absolute http(s) URL: fhirServer, link.url, source.url, source.icon are all dereferenced by a browser or HTTP client. */
export const absoluteUrlSchema = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

/**
 * RFC 3339 date-time in UTC (feedback `outcomeTimestamp`). `Z` or `+00:00`; seconds required
 * (RFC 3339 has no minute-precision form).
 */
export const utcTimestampSchema = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/,
    'must be an RFC 3339 date-time in UTC (e.g. 2024-05-01T12:00:00Z)',
  )
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a real date-time');

/** The reserved `extension` member: a JSON object of named extension properties (spec: Extensions; CDSHooksElement.fsh). */
export const extensionSchema = z.record(z.string(), z.unknown());

/**
 * Any FHIR resource in JSON. Its content is validated elsewhere (`validateResource` in the
 * contract checker); here we only make sure it is an object naming its type.
 */
export const fhirResourceSchema = z.looseObject({
  resourceType: z.string().regex(/^[A-Z][A-Za-z]+$/, 'must be a FHIR resource type name'),
});
export type FhirResource = z.infer<typeof fhirResourceSchema>;

export const fhirBundleSchema = z.looseObject({
  resourceType: z.literal('Bundle'),
  entry: z.array(z.looseObject({ resource: fhirResourceSchema.optional() })).optional(),
});
export type FhirBundle = z.infer<typeof fhirBundleSchema>;

function resourceOf<T extends string>(type: T) {
  return z.looseObject({ resourceType: z.literal(type) });
}

// ---------------------------------------------------------------------------------------------
// Coding (spec: Data Types > Coding)
// ---------------------------------------------------------------------------------------------

const codingShape = {
  system: NonEmptyString,
  code: NonEmptyString,
  display: NonEmptyString.optional(),
  extension: extensionSchema.optional(),
};

/** Coding as we send it (source.topic): code and system REQUIRED, display OPTIONAL. */
export const codingSchema = z.strictObject(codingShape);
export type Coding = z.infer<typeof codingSchema>;

/** Card.overrideReasons: display is REQUIRED here (spec: Card attributes; invariant cds-resp-4). */
export const overrideReasonCodingSchema = z.strictObject({ ...codingShape, display: NonEmptyString });
export type OverrideReasonCoding = z.infer<typeof overrideReasonCodingSchema>;

// ---------------------------------------------------------------------------------------------
// Request (spec: Calling a CDS Service > HTTP Request; CDSHooksRequest.fsh)
// ---------------------------------------------------------------------------------------------

/**
 * `fhirServer` is a base URL Cairn may send the EHR's token to: no user name or password (a URL
 * with them is refused, and the message never repeats them), no query string or fragment (a base
 * URL has none, and relative reads are appended to it).
 */
export const fhirServerSchema = absoluteUrlSchema.superRefine((value, ctx) => {
  const normalised = normaliseFhirBase(value);
  if (!normalised.ok && normalised.problem !== 'not-a-url' && normalised.problem !== 'not-http') {
    ctx.addIssue({ code: 'custom', message: FHIR_BASE_PROBLEMS[normalised.problem] });
  }
});

export const fhirAuthorizationSchema = z.looseObject({
  access_token: NonEmptyString,
  // CDSHooksRequest.fsh: tokenType = #Bearer (exactly)
  token_type: z.literal('Bearer', {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be "Bearer"'),
  }),
  expires_in: z.number().int().nonnegative(),
  scope: NonEmptyString,
  subject: NonEmptyString,
  // Conditional (SHOULD when scopes are patient/...); invariant cds-r-2 is advisory in the prose, so not enforced.
  patient: fhirIdSchema.optional(),
  extension: extensionSchema.optional(),
});
export type FhirAuthorization = z.infer<typeof fhirAuthorizationSchema>;

/**
 * A prefetch value is a resource (often a searchset Bundle, or an OperationOutcome when the
 * client's own fetch failed) or `null` when the read found nothing (spec: Prefetch > Prefetch tokens,
 * "json-nullable" on CDSHooksRequest.prefetch.value). An absent key means "not provided".
 */
export const prefetchValueSchema = fhirResourceSchema.nullable();

export const hookRequestSchema = z
  .looseObject({
    hook: NonEmptyString,
    hookInstance: uuidSchema,
    fhirServer: fhirServerSchema.optional(),
    fhirAuthorization: fhirAuthorizationSchema.optional(),
    context: z.record(z.string(), z.unknown()),
    prefetch: z.record(NonEmptyString, prefetchValueSchema).optional(),
    extension: extensionSchema.optional(),
  })
  .superRefine((req, ctx) => {
    // spec: fhirServer "If fhirAuthorization is provided, this field is REQUIRED" (invariant cds-r-1)
    if (req.fhirAuthorization !== undefined && req.fhirServer === undefined) {
      ctx.addIssue({ code: 'custom', path: ['fhirServer'], message: 'required when fhirAuthorization is present' });
    }
  }, evenIfInvalid);
export type HookRequest = z.infer<typeof hookRequestSchema>;

// ---------------------------------------------------------------------------------------------
// Hook contexts (Hook Library STU1 pages; CDSHook*Context.fsh). Where the FSH and the hook page
// disagree (encounter-start encounterId, order-select selections), the hook page wins: it is
// the normative definition of the hook.
// ---------------------------------------------------------------------------------------------

const userId = relativeReferenceSchema;
const patientId = fhirIdSchema;
const encounterId = fhirIdSchema;

export const patientViewContextSchema = z.looseObject({
  userId,
  patientId,
  encounterId: encounterId.optional(),
});

export const orderSelectContextSchema = z.looseObject({
  userId,
  patientId,
  encounterId: encounterId.optional(),
  selections: z.array(relativeReferenceSchema).min(1, 'must list at least one selected order'),
  draftOrders: fhirBundleSchema,
});

export const orderSignContextSchema = z.looseObject({
  userId,
  patientId,
  encounterId: encounterId.optional(),
  draftOrders: fhirBundleSchema,
});

export const orderDispatchContextSchema = z.looseObject({
  patientId,
  dispatchedOrders: z.array(relativeReferenceSchema).min(1, 'must list at least one order'),
  performer: relativeReferenceSchema,
  fulfillmentTasks: z.array(resourceOf('Task')).optional(),
});

export const encounterStartContextSchema = z.looseObject({ userId, patientId, encounterId });
export const encounterDischargeContextSchema = z.looseObject({ userId, patientId, encounterId });

export const appointmentBookContextSchema = z.looseObject({
  userId,
  patientId,
  encounterId: encounterId.optional(),
  appointments: fhirBundleSchema,
});

export const allergyIntoleranceCreateContextSchema = z.looseObject({
  userId,
  patientId,
  encounterId: encounterId.optional(),
  allergyIntolerance: resourceOf('AllergyIntolerance'),
});

export const medicationRefillContextSchema = z.looseObject({
  // medication-refill is the one hook where userId is optional (refills may be automated)
  userId: userId.optional(),
  patientId,
  encounterId: encounterId.optional(),
  medications: fhirBundleSchema,
});

export const problemListItemCreateContextSchema = z.looseObject({
  userId,
  patientId,
  encounterId: encounterId.optional(),
  conditions: fhirBundleSchema,
});

export const medicationVerifyContextSchema = z.looseObject({
  userId,
  patientId,
  encounterId: encounterId.optional(),
  medication: fhirResourceSchema,
});

/** Standard hooks whose context we type. Deprecated hooks (medication-prescribe, order-review) are treated as unknown. */
export const HOOK_CONTEXT_SCHEMAS = {
  'patient-view': patientViewContextSchema,
  'order-select': orderSelectContextSchema,
  'order-sign': orderSignContextSchema,
  'order-dispatch': orderDispatchContextSchema,
  'encounter-start': encounterStartContextSchema,
  'encounter-discharge': encounterDischargeContextSchema,
  'appointment-book': appointmentBookContextSchema,
  'allergyintolerance-create': allergyIntoleranceCreateContextSchema,
  'medication-refill': medicationRefillContextSchema,
  'problem-list-item-create': problemListItemCreateContextSchema,
  'medication-verify': medicationVerifyContextSchema,
} as const;

export type StandardHook = keyof typeof HOOK_CONTEXT_SCHEMAS;
export type HookContexts = { [H in StandardHook]: z.infer<(typeof HOOK_CONTEXT_SCHEMAS)[H]> };
export type PatientViewContext = HookContexts['patient-view'];
export type OrderSelectContext = HookContexts['order-select'];
export type OrderSignContext = HookContexts['order-sign'];
export type OrderDispatchContext = HookContexts['order-dispatch'];
export type EncounterStartContext = HookContexts['encounter-start'];
export type EncounterDischargeContext = HookContexts['encounter-discharge'];
export type AppointmentBookContext = HookContexts['appointment-book'];
export type AllergyIntoleranceCreateContext = HookContexts['allergyintolerance-create'];
export type MedicationRefillContext = HookContexts['medication-refill'];
export type ProblemListItemCreateContext = HookContexts['problem-list-item-create'];
export type MedicationVerifyContext = HookContexts['medication-verify'];
/** Context of a hook we do not know: any JSON object. */
export type GenericHookContext = Record<string, unknown>;

/**
 * Context fields each standard hook marks as usable in prefetch tokens ("T" in the Hook Library
 * tables). Prefetch templates may only name these, as `{{context.<field>}}` (spec: Prefetch tokens).
 */
export const HOOK_PREFETCH_TOKEN_FIELDS: Record<StandardHook, readonly string[]> = {
  'patient-view': ['userId', 'patientId', 'encounterId'],
  'order-select': ['userId', 'patientId', 'encounterId'],
  'order-sign': ['userId', 'patientId', 'encounterId'],
  'order-dispatch': ['patientId', 'dispatchedOrders', 'performer'],
  'encounter-start': ['userId', 'patientId', 'encounterId'],
  'encounter-discharge': ['userId', 'patientId', 'encounterId'],
  'appointment-book': ['userId', 'patientId', 'encounterId'],
  'allergyintolerance-create': ['userId', 'patientId', 'encounterId'],
  'medication-refill': ['userId', 'patientId', 'encounterId'],
  'problem-list-item-create': ['userId', 'patientId', 'encounterId'],
  'medication-verify': ['userId', 'patientId', 'encounterId'],
};

export function isStandardHook(hook: string): hook is StandardHook {
  return Object.prototype.hasOwnProperty.call(HOOK_CONTEXT_SCHEMAS, hook);
}

export type HookContextResult<C> = { ok: true; context: C } | { ok: false; problems: string[] };

/**
 * Validate `context` against the hook's definition. Problems carry `context.`-prefixed paths so
 * they can go straight into a 400 OperationOutcome. Unknown hooks accept any JSON object.
 */
export function parseHookContext<H extends StandardHook>(hook: H, context: unknown): HookContextResult<HookContexts[H]>;
export function parseHookContext(
  hook: string,
  context: unknown,
): HookContextResult<HookContexts[StandardHook] | GenericHookContext>;
export function parseHookContext(
  hook: string,
  context: unknown,
): HookContextResult<HookContexts[StandardHook] | GenericHookContext> {
  const schema = isStandardHook(hook) ? HOOK_CONTEXT_SCHEMAS[hook] : z.record(z.string(), z.unknown());
  const result = schema.safeParse(context);
  if (result.success) return { ok: true, context: result.data };
  return { ok: false, problems: formatZodIssues(result.error, ['context']) };
}

// ---------------------------------------------------------------------------------------------
// Response (spec: CDS Service Response; CDSHooksResponse.fsh)
// ---------------------------------------------------------------------------------------------

export const sourceSchema = z.strictObject({
  label: NonEmptyString,
  url: absoluteUrlSchema.optional(),
  icon: absoluteUrlSchema.optional(),
  topic: codingSchema.optional(),
  extension: extensionSchema.optional(),
});
export type Source = z.infer<typeof sourceSchema>;

export const actionSchema = z
  .strictObject({
    type: oneOf(['create', 'update', 'delete']),
    // REQUIRED in 2.0.1 (invariant cds-resp-5); 3.0 relaxes it for systemActions only.
    description: NonEmptyString,
    resource: fhirResourceSchema.optional(),
    resourceId: relativeReferenceSchema.optional(),
    extension: extensionSchema.optional(),
  })
  .superRefine((action, ctx) => {
    // spec: Action "When the type attribute is create, the resource attribute SHALL contain a new
    // FHIR resource... For update, this holds the updated resource in its entirety"
    if ((action.type === 'create' || action.type === 'update') && action.resource === undefined) {
      ctx.addIssue({ code: 'custom', path: ['resource'], message: `required when type is ${action.type}` });
    }
    // spec: resourceId "SHOULD be provided when the type attribute is delete"; the deprecated form
    // puts the id in resource. Without either the client cannot know what to delete.
    if (action.type === 'delete' && action.resource === undefined && action.resourceId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['resourceId'], message: 'a delete action needs resourceId (or resource)' });
    }
  }, evenIfInvalid);
export type Action = z.infer<typeof actionSchema>;

export const suggestionSchema = z.strictObject({
  label: NonEmptyString,
  uuid: uuidSchema.optional(),
  isRecommended: z.boolean().optional(),
  actions: z.array(actionSchema).optional(),
  // 3.0 STU (invariant cds-resp-7); a service SHALL NOT send it unless the client documents support.
  actionSelectionBehavior: oneOf(['all', 'any', 'at-most-one']).optional(),
  extension: extensionSchema.optional(),
});
export type Suggestion = z.infer<typeof suggestionSchema>;

export const linkSchema = z
  .strictObject({
    label: NonEmptyString,
    url: absoluteUrlSchema,
    type: oneOf(['absolute', 'smart']),
    appContext: NonEmptyString.optional(),
    autolaunchable: z.boolean().optional(),
    extension: extensionSchema.optional(),
  })
  .superRefine((link, ctx) => {
    // spec: Link "The appContext field should only be valued if the link type is smart and is not valid for absolute links"
    if (link.appContext !== undefined && link.type !== 'smart') {
      ctx.addIssue({ code: 'custom', path: ['appContext'], message: 'only allowed on links of type smart' });
    }
  }, evenIfInvalid);
export type Link = z.infer<typeof linkSchema>;

/** spec: Card summary "<140-character"; counted in code points so an emoji is one character. */
export const SUMMARY_MAX_CHARS = 139;

export const cardSchema = z
  .strictObject({
    uuid: uuidSchema.optional(),
    summary: NonEmptyString.refine(
      (s) => [...s].length <= SUMMARY_MAX_CHARS,
      `must be under 140 characters (at most ${SUMMARY_MAX_CHARS})`,
    ),
    detail: NonEmptyString.optional(),
    indicator: oneOf(['info', 'warning', 'critical']),
    source: sourceSchema,
    suggestions: z.array(suggestionSchema).optional(),
    selectionBehavior: oneOf(['at-most-one', 'any']).optional(),
    overrideReasons: z.array(overrideReasonCodingSchema).optional(),
    links: z.array(linkSchema).optional(),
    extension: extensionSchema.optional(),
  })
  .superRefine((card, ctx) => {
    // spec: selectionBehavior "MUST also be provided" if suggestions are present (invariant cds-resp-6)
    if (card.suggestions !== undefined && card.selectionBehavior === undefined) {
      ctx.addIssue({ code: 'custom', path: ['selectionBehavior'], message: 'required when suggestions are present' });
    }
  }, evenIfInvalid);
export type Card = z.infer<typeof cardSchema>;

export const cdsResponseSchema = z.strictObject({
  cards: z.array(cardSchema),
  systemActions: z.array(actionSchema).optional(),
  extension: extensionSchema.optional(),
});
export type CdsResponse = z.infer<typeof cdsResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Discovery (spec: Discovery; CDSHooksServices.fsh)
// ---------------------------------------------------------------------------------------------

export const serviceDefinitionSchema = z.strictObject({
  hook: NonEmptyString,
  title: NonEmptyString.optional(),
  description: NonEmptyString,
  // The id is a path segment of {base}/cds-services/{id}: keep it to URL-unreserved characters.
  id: z.string().regex(/^[A-Za-z0-9._~-]+$/, 'must be a non-empty URL path segment ([A-Za-z0-9._~-])'),
  prefetch: z.record(NonEmptyString, NonEmptyString).optional(),
  usageRequirements: NonEmptyString.optional(),
  // 3.0 ballot (advertised behind a flag)
  version: NonEmptyString.optional(),
  hookVersion: NonEmptyString.optional(),
  extension: extensionSchema.optional(),
});
export type ServiceDefinition = z.infer<typeof serviceDefinitionSchema>;

export const discoveryResponseSchema = z.strictObject({
  services: z.array(serviceDefinitionSchema),
  extension: extensionSchema.optional(),
});
export type DiscoveryResponse = z.infer<typeof discoveryResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Feedback (spec: Feedback; invariants cds-fb-1..3)
// ---------------------------------------------------------------------------------------------

/**
 * Cairn's bound on a clinician's override comment, not the spec's: a sentence or two typed in the
 * EHR's card view. Without it, a 3 MB comment was stored as feedback on a real card.
 */
export const MAX_USER_COMMENT_CHARS = 2_000;

export const overrideReasonSchema = z
  .looseObject({
    reason: z.looseObject(codingShape).optional(),
    userComment: NonEmptyString.max(MAX_USER_COMMENT_CHARS, `must be at most ${MAX_USER_COMMENT_CHARS.toLocaleString('en-US')} characters`).optional(),
    extension: extensionSchema.optional(),
  })
  .superRefine((o, ctx) => {
    // invariant cds-fb-3
    if (o.reason === undefined && o.userComment === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'must contain a reason, a userComment, or both' });
    }
  }, evenIfInvalid);
export type OverrideReason = z.infer<typeof overrideReasonSchema>;

/**
 * Cairn's bound on what one feedback entry stores besides its card, outcome and time, not the
 * spec's: `acceptedSuggestions` and `overrideReason` are kept as the EHR sent them, extensions and
 * all, so each is bounded as JSON text. A card of Cairn's has at most a few suggestions and a
 * coded reason; without it, a 9 MB `overrideReason.extension` was stored as feedback on a real card.
 */
export const MAX_FEEDBACK_MEMBER_CHARS = 16_384;

/** Cairn's bound on suggestions accepted in one entry: a card of Cairn's carries at most a few. */
export const MAX_ACCEPTED_SUGGESTIONS = 20;

function boundedJson(ctx: z.RefinementCtx, value: unknown, path: string): void {
  if (value === undefined) return;
  const chars = JSON.stringify(value).length;
  if (chars > MAX_FEEDBACK_MEMBER_CHARS) {
    ctx.addIssue({
      code: 'custom',
      path: [path],
      message: `must be at most ${MAX_FEEDBACK_MEMBER_CHARS.toLocaleString('en-US')} characters as JSON (got ${chars.toLocaleString('en-US')})`,
    });
  }
}

export const feedbackItemSchema = z
  .looseObject({
    card: uuidSchema,
    outcome: oneOf(['accepted', 'overridden']), // invariant cds-fb-1
    acceptedSuggestions: z
      .array(z.looseObject({ id: uuidSchema }))
      .min(1)
      .max(MAX_ACCEPTED_SUGGESTIONS, `at most ${MAX_ACCEPTED_SUGGESTIONS} accepted suggestions per entry`)
      .optional(),
    overrideReason: overrideReasonSchema.optional(),
    outcomeTimestamp: utcTimestampSchema,
    extension: extensionSchema.optional(),
  })
  .superRefine((item, ctx) => {
    // invariant cds-fb-2
    if (item.outcome === 'accepted' && item.acceptedSuggestions === undefined) {
      ctx.addIssue({ code: 'custom', path: ['acceptedSuggestions'], message: 'required when outcome is accepted' });
    }
    // spec: overrideReason is "The reason for overriding the card"; it is meaningless on an accepted card
    if (item.outcome === 'accepted' && item.overrideReason !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['overrideReason'], message: 'only allowed when outcome is overridden' });
    }
    // What is stored as sent (store.ts rowParams): bounded as the JSON text it is stored as.
    boundedJson(ctx, item.acceptedSuggestions, 'acceptedSuggestions');
    boundedJson(ctx, item.overrideReason, 'overrideReason');
  }, evenIfInvalid);
export type FeedbackItem = z.infer<typeof feedbackItemSchema>;

/**
 * Cairn's bound on one feedback request, not the spec's: feedback is sent per card action (CDS
 * Hooks 2.0 "Feedback": one entry per card the user accepted or overrode), so a real request
 * holds a handful. 100 keeps one request's insert to a few milliseconds; 60,000 entries (6.5 MB,
 * under the body limit) once held the event loop for 15 s.
 */
export const MAX_FEEDBACK_ITEMS = 100;

export const feedbackRequestSchema = z.looseObject({
  feedback: z
    .array(feedbackItemSchema)
    .min(1, 'must contain at least one feedback entry')
    .max(MAX_FEEDBACK_ITEMS, `at most ${MAX_FEEDBACK_ITEMS} feedback entries per request`),
  extension: extensionSchema.optional(),
});
export type FeedbackRequest = z.infer<typeof feedbackRequestSchema>;

// ---------------------------------------------------------------------------------------------
// Diagnostics
// ---------------------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `cards[0].suggestions[1].uuid`, `prefetch["my key"]`; the root is `(root)`. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      out += IDENTIFIER.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? '(root)' : out;
}

/**
 * Turn zod issues into short `path: problem` strings for OperationOutcome diagnostics.
 * Never echoes input values: a request may carry an access token.
 */
export function formatZodIssues(error: z.ZodError, basePath: readonly PropertyKey[] = []): string[] {
  return error.issues.flatMap((issue) => formatZodIssue(issue, basePath));
}

/** One issue as `path: problem` strings (an unknown-keys issue gives one string per key). */
export function formatZodIssue(issue: z.core.$ZodIssue, basePath: readonly PropertyKey[] = []): string[] {
  const path = [...basePath, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatJsonPath([...path, key])}: unknown field`);
  }
  return [`${formatJsonPath(path)}: ${describeIssue(issue)}`];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // zod reports a missing key as an invalid_type whose received value is undefined
      return issue.message.endsWith('received undefined')
        ? `is required (expected ${issue.expected})`
        : issue.message.replace(/^Invalid input: /, '');
    case 'invalid_union':
      return 'does not match any allowed form';
    default:
      return issue.message.replace(/^Invalid (input|option): /, '');
  }
}
