import { describe, expect, it } from '@jest/globals';
import { operationOutcome } from '../../src/hooks/operation-outcome.js';
import {
  cardSchema,
  discoveryResponseSchema,
  feedbackRequestSchema,
  formatJsonPath,
  formatZodIssues,
  hookRequestSchema,
  parseHookContext,
  type HookRequest,
} from '../../src/hooks/schema.js';

/** Problems of a failed parse, as the HTTP layer would put them in an OperationOutcome. */
function problemsOf(schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return formatZodIssues(result.error as Parameters<typeof formatZodIssues>[0]);
}

// Shaped after the spec's patient-view example (CDS Hooks 2.0.1, Calling a CDS Service).
function patientViewRequest(): Record<string, unknown> {
  return {
    hookInstance: '0f7c1a3e-5d8b-4b2a-9e61-3c2d1f0a9b84',
    fhirServer: 'https://ehr.example.org/fhir',
    hook: 'patient-view',
    fhirAuthorization: {
      access_token: 'opaque-token-for-tests',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/Patient.read user/Observation.read',
      subject: 'cairn-cds',
    },
    context: { userId: 'Practitioner/pr-17', patientId: 'pat-42', encounterId: 'enc-9' },
    prefetch: {
      patient: { resourceType: 'Patient', id: 'pat-42', gender: 'female', birthDate: '1961-04-02' },
      lastEncounter: null,
    },
  };
}

// Shaped after the Hook Library order-select example: one selection among two draft orders.
function orderSelectRequest(): Record<string, unknown> {
  return {
    hook: 'order-select',
    hookInstance: 'a41e0d0c-2b7e-4c55-8f0f-6a8a51f6c0d2',
    context: {
      userId: 'PractitionerRole/role-3',
      patientId: 'pat-42',
      selections: ['MedicationRequest/draft-2'],
      draftOrders: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { resource: { resourceType: 'MedicationRequest', id: 'draft-1', status: 'draft', intent: 'order' } },
          { resource: { resourceType: 'MedicationRequest', id: 'draft-2', status: 'draft', intent: 'order' } },
        ],
      },
    },
  };
}

function withChange(base: Record<string, unknown>, change: (r: Record<string, unknown>) => void): Record<string, unknown> {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

const auth = (r: Record<string, unknown>) => r.fhirAuthorization as Record<string, unknown>;

describe('hookRequestSchema', () => {
  it.each([
    ['the spec-shaped patient-view request', patientViewRequest()],
    ['an order-select request without fhirServer or prefetch', orderSelectRequest()],
    ['unknown top-level fields (passthrough)', withChange(patientViewRequest(), (r) => (r['com.example.trace'] = 'x'))],
    ['fhirAuthorization with patient', withChange(patientViewRequest(), (r) => (auth(r).patient = 'pat-42'))],
    ['an extension object', withChange(patientViewRequest(), (r) => (r.extension = { 'com.example.flag': true }))],
    ['an http fhirServer on localhost (dev)', withChange(patientViewRequest(), (r) => (r.fhirServer = 'http://localhost:8103/fhir'))],
  ])('accepts %s', (_name, body) => {
    expect(problemsOf(hookRequestSchema, body)).toEqual([]);
  });

  it.each<[string, (r: Record<string, unknown>) => void, string]>([
    ['missing hook', (r) => delete r.hook, 'hook: is required'],
    ['empty hook', (r) => (r.hook = ''), 'hook: must not be empty'],
    ['missing hookInstance', (r) => delete r.hookInstance, 'hookInstance: is required'],
    ['hookInstance not a UUID', (r) => (r.hookInstance = 'instance-1'), 'hookInstance: must be an RFC 4122 UUID'],
    ['nil UUID as hookInstance', (r) => (r.hookInstance = '00000000-0000-0000-0000-000000000000'), 'hookInstance: must be an RFC 4122 UUID'],
    ['relative fhirServer', (r) => (r.fhirServer = '/fhir'), 'fhirServer: must be an absolute http(s) URL'],
    ['fhirAuthorization without fhirServer', (r) => delete r.fhirServer, 'fhirServer: required when fhirAuthorization is present'],
    ['token_type other than Bearer', (r) => (auth(r).token_type = 'bearer'), 'fhirAuthorization.token_type: must be "Bearer"'],
    ['expires_in as a string', (r) => (auth(r).expires_in = '300'), 'fhirAuthorization.expires_in: expected number'],
    ['missing access_token', (r) => delete auth(r).access_token, 'fhirAuthorization.access_token: is required'],
    ['missing scope', (r) => delete auth(r).scope, 'fhirAuthorization.scope: is required'],
    ['missing subject', (r) => delete auth(r).subject, 'fhirAuthorization.subject: is required'],
    ['patient that is not a FHIR id', (r) => (auth(r).patient = 'Patient/42'), 'fhirAuthorization.patient: must be a FHIR id'],
    ['missing context', (r) => delete r.context, 'context: is required'],
    ['context as an array', (r) => (r.context = ['patient-view']), 'context: expected record'],
    ['a prefetch value that is not a resource', (r) => ((r.prefetch as Record<string, unknown>).patient = 'Patient/1'), 'prefetch.patient: expected object'],
    ['a prefetch resource without resourceType', (r) => ((r.prefetch as Record<string, unknown>).patient = { id: '1' }), 'prefetch.patient.resourceType: is required'],
    ['extension that is not an object', (r) => (r.extension = 'x'), 'extension: expected record'],
  ])('rejects %s', (_name, change, expected) => {
    const problems = problemsOf(hookRequestSchema, withChange(patientViewRequest(), change));
    expect(problems).toContainEqual(expect.stringContaining(expected));
  });

  it('never echoes input values in its diagnostics (a request carries a token)', () => {
    const body = withChange(patientViewRequest(), (r) => {
      auth(r).token_type = 'secret-value-1';
      r.hookInstance = 'secret-value-2';
      r.fhirServer = 'secret-value-3';
    });
    const text = problemsOf(hookRequestSchema, body).join('\n');
    expect(text).not.toContain('secret-value');
  });

  it('types the parsed request', () => {
    const parsed: HookRequest = hookRequestSchema.parse(patientViewRequest());
    expect(parsed.fhirAuthorization?.token_type).toBe('Bearer');
    expect(parsed.prefetch?.lastEncounter).toBeNull();
  });
});

describe('parseHookContext', () => {
  const ctx = (hook: string, context: unknown) => parseHookContext(hook, context);
  const draftOrders = { resourceType: 'Bundle', type: 'collection', entry: [] };
  const base = { userId: 'Practitioner/pr-17', patientId: 'pat-42' };

  it.each<[string, string, unknown]>([
    ['patient-view', 'patient-view', base],
    ['patient-view with encounterId', 'patient-view', { ...base, encounterId: 'enc-9' }],
    ['patient-view from a patient portal', 'patient-view', { userId: 'Patient/pat-42', patientId: 'pat-42' }],
    ['order-select (spec-shaped)', 'order-select', orderSelectRequest().context],
    ['order-sign', 'order-sign', { ...base, draftOrders }],
    ['order-dispatch', 'order-dispatch', { patientId: 'pat-42', dispatchedOrders: ['ServiceRequest/sr-1'], performer: 'Organization/lab-1' }],
    ['encounter-start', 'encounter-start', { ...base, encounterId: 'enc-9' }],
    ['encounter-discharge', 'encounter-discharge', { ...base, encounterId: 'enc-9' }],
    ['appointment-book', 'appointment-book', { ...base, appointments: { resourceType: 'Bundle', type: 'collection' } }],
    ['allergyintolerance-create', 'allergyintolerance-create', { ...base, allergyIntolerance: { resourceType: 'AllergyIntolerance' } }],
    ['medication-refill without userId', 'medication-refill', { patientId: 'pat-42', medications: draftOrders }],
    ['problem-list-item-create', 'problem-list-item-create', { ...base, conditions: draftOrders }],
    ['extra vendor fields', 'patient-view', { ...base, 'com.example.tab': 'summary' }],
    ['an unknown hook with any object', 'com.example.custom-hook', { anything: [1, 2] }],
    ['an unknown hook with an empty context', 'com.example.custom-hook', {}],
  ])('accepts %s', (_name, hook, context) => {
    const result = ctx(hook, context);
    expect(result).toEqual({ ok: true, context });
  });

  it.each<[string, string, unknown, string]>([
    ['patient-view without patientId', 'patient-view', { userId: 'Practitioner/1' }, 'context.patientId: is required'],
    ['patient-view without userId', 'patient-view', { patientId: 'p' }, 'context.userId: is required'],
    ['a userId that is not Type/id', 'patient-view', { ...base, userId: 'pr-17' }, 'context.userId: must be a relative reference'],
    ['a patientId that is a reference', 'patient-view', { ...base, patientId: 'Patient/42' }, 'context.patientId: must be a FHIR id'],
    ['encounter-start without encounterId', 'encounter-start', base, 'context.encounterId: is required'],
    ['encounter-discharge without encounterId', 'encounter-discharge', base, 'context.encounterId: is required'],
    ['order-select without selections', 'order-select', { ...base, draftOrders }, 'context.selections: is required'],
    ['order-select with no selection', 'order-select', { ...base, draftOrders, selections: [] }, 'context.selections: must list at least one'],
    ['order-select without draftOrders', 'order-select', { ...base, selections: ['MedicationRequest/1'] }, 'context.draftOrders: is required'],
    ['order-sign without draftOrders', 'order-sign', base, 'context.draftOrders: is required'],
    ['draftOrders that is not a Bundle', 'order-sign', { ...base, draftOrders: { resourceType: 'MedicationRequest' } }, 'context.draftOrders.resourceType: expected "Bundle"'],
    ['order-dispatch without performer', 'order-dispatch', { patientId: 'p', dispatchedOrders: ['ServiceRequest/1'] }, 'context.performer: is required'],
    ['appointment-book without appointments', 'appointment-book', base, 'context.appointments: is required'],
    ['allergyintolerance-create with a Condition', 'allergyintolerance-create', { ...base, allergyIntolerance: { resourceType: 'Condition' } }, 'context.allergyIntolerance.resourceType'],
    ['medication-refill without medications', 'medication-refill', { patientId: 'p' }, 'context.medications: is required'],
    ['a context that is not an object', 'patient-view', 'pat-42', 'context: expected object'],
    ['an unknown hook with a non-object context', 'com.example.custom-hook', 'x', 'context: expected record'],
  ])('rejects %s', (_name, hook, context, expected) => {
    const result = ctx(hook, context);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toContainEqual(expect.stringContaining(expected));
  });

  it('returns a typed context for a standard hook', () => {
    const result = parseHookContext('order-select', orderSelectRequest().context);
    if (!result.ok) throw new Error(result.problems.join('; '));
    const selected: string[] = result.context.selections;
    expect(selected).toEqual(['MedicationRequest/draft-2']);
    expect(result.context.draftOrders.entry).toHaveLength(2);
  });
});

describe('cardSchema', () => {
  const card = {
    uuid: '6f1c3a52-8e0d-4c1b-a7f3-2b9e4d5c6a71',
    summary: 'Consider a statin',
    indicator: 'info',
    source: { label: 'Cairn' },
    suggestions: [{ label: 'Order a lipid panel', uuid: 'b3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b' }],
    selectionBehavior: 'at-most-one',
  };

  it('accepts a card with a suggestion and a selectionBehavior', () => {
    expect(problemsOf(cardSchema, card)).toEqual([]);
  });

  it('reports every problem of a card in one pass, cross-field rules included', () => {
    const { selectionBehavior: _omit, ...rest } = card;
    const problems = problemsOf(cardSchema, { ...rest, indicator: 'hard-stop', summary: 'x'.repeat(140) });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('indicator: must be one of'),
        expect.stringContaining('summary: must be under 140 characters'),
        expect.stringContaining('selectionBehavior: required when suggestions are present'),
      ]),
    );
  });

  it('counts summary characters as code points', () => {
    expect(problemsOf(cardSchema, { ...card, summary: '💊'.repeat(139) })).toEqual([]);
    expect(problemsOf(cardSchema, { ...card, summary: '💊'.repeat(140) })).toHaveLength(1);
  });
});

describe('feedbackRequestSchema', () => {
  const accepted = {
    card: '6f1c3a52-8e0d-4c1b-a7f3-2b9e4d5c6a71',
    outcome: 'accepted',
    acceptedSuggestions: [{ id: 'b3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b' }],
    outcomeTimestamp: '2024-05-01T14:30:00Z',
  };
  const overridden = {
    card: '9d2e4f60-7a1b-4c3d-8e5f-a6b7c8d9e0f1',
    outcome: 'overridden',
    overrideReason: {
      reason: { code: 'patient-refused', system: 'http://example.org/cds-services/fhir/CodeSystem/override-reasons', display: 'Patient refused' },
      userComment: 'Discussed; will revisit next visit.',
    },
    outcomeTimestamp: '2024-05-01T14:31:07.250Z',
  };

  it.each<[string, unknown]>([
    ['an accepted card (spec-shaped)', { feedback: [accepted] }],
    ['an overridden card with a reason (spec-shaped)', { feedback: [overridden] }],
    ['a batch of both', { feedback: [accepted, overridden] }],
    ['an overridden card without a reason', { feedback: [{ ...overridden, overrideReason: undefined }] }],
    ['an override with only a comment', { feedback: [{ ...overridden, overrideReason: { userComment: 'not relevant' } }] }],
    ['a +00:00 UTC offset', { feedback: [{ ...accepted, outcomeTimestamp: '2024-05-01T14:30:00+00:00' }] }],
  ])('accepts %s', (_name, body) => {
    expect(problemsOf(feedbackRequestSchema, body)).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['accepted without acceptedSuggestions', { feedback: [{ ...accepted, acceptedSuggestions: undefined }] }, 'feedback[0].acceptedSuggestions: required when outcome is accepted'],
    ['an overrideReason on an accepted card', { feedback: [{ ...accepted, overrideReason: overridden.overrideReason }] }, 'feedback[0].overrideReason: only allowed when outcome is overridden'],
    ['an empty overrideReason', { feedback: [{ ...overridden, overrideReason: {} }] }, 'feedback[0].overrideReason: must contain a reason, a userComment, or both'],
    ['an outcome outside the value set', { feedback: [{ ...accepted, outcome: 'ignored' }] }, 'feedback[0].outcome: must be one of'],
    ['a timestamp with a local offset', { feedback: [{ ...accepted, outcomeTimestamp: '2024-05-01T16:30:00+02:00' }] }, 'feedback[0].outcomeTimestamp: must be an RFC 3339 date-time in UTC'],
    ['a timestamp without seconds', { feedback: [{ ...accepted, outcomeTimestamp: '2024-05-01T14:30Z' }] }, 'feedback[0].outcomeTimestamp'],
    ['an impossible date', { feedback: [{ ...accepted, outcomeTimestamp: '2024-13-45T14:30:00Z' }] }, 'feedback[0].outcomeTimestamp: must be a real date-time'],
    ['a card id that is not a uuid', { feedback: [{ ...accepted, card: 'card-1' }] }, 'feedback[0].card: must be an RFC 4122 UUID'],
    ['an accepted suggestion without id', { feedback: [{ ...accepted, acceptedSuggestions: [{}] }] }, 'feedback[0].acceptedSuggestions[0].id: is required'],
    ['a reason coding without code', { feedback: [{ ...overridden, overrideReason: { reason: { system: 'http://x.org' } } }] }, 'feedback[0].overrideReason.reason.code: is required'],
    ['no feedback entries', { feedback: [] }, 'feedback: must contain at least one feedback entry'],
  ])('rejects %s', (_name, body, expected) => {
    expect(problemsOf(feedbackRequestSchema, body)).toContainEqual(expect.stringContaining(expected));
  });
});

describe('discoveryResponseSchema', () => {
  it('accepts a spec-shaped discovery response', () => {
    const body = {
      services: [
        {
          hook: 'patient-view',
          title: 'Statin use for primary prevention',
          description: 'Suggests a statin when guideline criteria are met.',
          id: 'statin-primary-prevention',
          prefetch: { patient: 'Patient/{{context.patientId}}' },
          usageRequirements: 'Needs lipid results in the FHIR server.',
        },
      ],
    };
    expect(problemsOf(discoveryResponseSchema, body)).toEqual([]);
  });
});

describe('formatZodIssues and formatJsonPath', () => {
  it.each<[(string | number)[], string]>([
    [[], '(root)'],
    [['cards', 0, 'suggestions', 1, 'uuid'], 'cards[0].suggestions[1].uuid'],
    [['prefetch', 'my key'], 'prefetch["my key"]'],
    [['services', 0, 'prefetch', 'lab-results'], 'services[0].prefetch["lab-results"]'],
  ])('formats %j as %s', (path, expected) => {
    expect(formatJsonPath(path)).toBe(expected);
  });

  it('says "is required" for missing fields and names unknown fields one by one', () => {
    const problems = problemsOf(cardSchema, { indicator: 'info', source: { label: 'Cairn', lable: 'x' }, summry: 'x' });
    expect(problems).toEqual(
      expect.arrayContaining([
        'summary: is required (expected string)',
        'source.lable: unknown field',
        'summry: unknown field',
      ]),
    );
  });

  it('prefixes a base path', () => {
    const result = cardSchema.safeParse({});
    if (result.success) throw new Error('expected a failure');
    expect(formatZodIssues(result.error, ['cards', 2])).toContainEqual(expect.stringMatching(/^cards\[2\]\.summary: /));
  });
});

describe('operationOutcome', () => {
  it('builds one issue per diagnostic', () => {
    expect(operationOutcome('error', 'invalid', ['hook: is required', 'context: is required'])).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'invalid', diagnostics: 'hook: is required' },
        { severity: 'error', code: 'invalid', diagnostics: 'context: is required' },
      ],
    });
  });

  it('accepts a single string', () => {
    expect(operationOutcome('error', 'not-found', 'no such service').issue).toEqual([
      { severity: 'error', code: 'not-found', diagnostics: 'no such service' },
    ]);
  });

  it('keeps at least one issue and never emits an empty diagnostics string', () => {
    expect(operationOutcome('fatal', 'exception', []).issue).toEqual([{ severity: 'fatal', code: 'exception' }]);
    expect(operationOutcome('error', 'timeout', ['', '  ', 'took too long']).issue).toEqual([
      { severity: 'error', code: 'timeout', diagnostics: 'took too long' },
    ]);
  });
});
