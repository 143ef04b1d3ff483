import { beforeAll, describe, expect, it } from '@jest/globals';
import { checkCdsResponse, checkDiscoveryResponse, checkFhirResource, loadFhirDefinitions } from '../../dev/hooks-contract.js';

type Json = Record<string, unknown>;

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VER_STATUS = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';

/**
 * A response exercising every part of the contract: a card with two suggestions (create a
 * ServiceRequest; create a MedicationRequest and a Condition, delete by resourceId), override
 * reasons, an absolute and a smart link, plus a systemAction. Shaped after the spec's examples.
 */
function fullResponse(): Json {
  return {
    cards: [
      {
        uuid: '4e0a3b52-95f4-4c1d-8e6a-0f1b2c3d4e5f',
        summary: 'Ten-year ASCVD risk 12.4%: consider a moderate-intensity statin',
        detail: 'Risk computed with the **pooled cohort equations** from the last lipid panel.',
        indicator: 'warning',
        source: {
          label: 'Cairn guideline service',
          url: 'https://cairn.example.org/about',
          icon: 'https://cairn.example.org/icon.png',
          topic: { system: 'http://example.org/cairn/topics', code: 'cv-prevention', display: 'Cardiovascular prevention' },
        },
        suggestions: [
          {
            label: 'Order a fasting lipid panel',
            uuid: '8b1c2d3e-4f50-4a61-b728-394a5b6c7d8e',
            isRecommended: true,
            actions: [
              {
                type: 'create',
                description: 'Order a lipid panel',
                resource: {
                  resourceType: 'ServiceRequest',
                  status: 'draft',
                  intent: 'proposal',
                  subject: { reference: 'Patient/pat-42' },
                  code: { coding: [{ system: 'http://loinc.org', code: '57698-3', display: 'Lipid panel with direct LDL' }] },
                },
              },
            ],
          },
          {
            label: 'Start atorvastatin 20 mg daily',
            uuid: 'c9d0e1f2-a3b4-4c5d-9e6f-708192a3b4c5',
            actions: [
              {
                type: 'create',
                description: 'Prescribe atorvastatin',
                resource: {
                  resourceType: 'MedicationRequest',
                  status: 'draft',
                  intent: 'proposal',
                  subject: { reference: 'Patient/pat-42' },
                  medicationCodeableConcept: {
                    coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '617310', display: 'atorvastatin 20 MG Oral Tablet' }],
                  },
                  dosageInstruction: [{ text: 'once daily', timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } }],
                },
              },
              {
                type: 'create',
                description: 'Record hyperlipidaemia on the problem list',
                resource: {
                  resourceType: 'Condition',
                  clinicalStatus: { coding: [{ system: CLINICAL, code: 'active' }] },
                  verificationStatus: { coding: [{ system: VER_STATUS, code: 'confirmed' }] },
                  category: [{ coding: [{ system: CATEGORY, code: 'problem-list-item' }] }],
                  code: { coding: [{ system: 'http://snomed.info/sct', code: '55822004', display: 'Hyperlipidemia' }] },
                  subject: { reference: 'Patient/pat-42' },
                },
              },
              { type: 'delete', description: 'Remove the duplicate draft', resourceId: 'MedicationRequest/draft-7' },
            ],
          },
        ],
        selectionBehavior: 'any',
        overrideReasons: [
          { code: 'patient-refused', system: 'http://example.org/cairn/override-reasons', display: 'Patient refused' },
          { code: 'contraindicated', system: 'http://example.org/cairn/override-reasons', display: 'Contraindicated' },
        ],
        links: [
          { label: 'ACC/AHA 2019 primary prevention guideline', url: 'https://www.ahajournals.org/doi/10.1161/CIR.0000000000000678', type: 'absolute' },
          { label: 'Risk calculator app', url: 'https://apps.example.org/ascvd/launch', type: 'smart', appContext: '{"ldl":142}' },
        ],
      },
    ],
    systemActions: [
      {
        type: 'update',
        description: 'Mark the risk observation final',
        resource: {
          resourceType: 'Observation',
          id: 'risk-1',
          status: 'final',
          code: { text: 'ASCVD 10-year risk' },
          subject: { reference: 'Patient/pat-42' },
          valueQuantity: { value: 12.4, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
        },
      },
    ],
  };
}

// Navigation helpers for the mutations below (the fixture's shape is fixed, so the casts are safe).
const card = (r: Json): Json => (r.cards as Json[])[0] as Json;
const suggestion = (r: Json, i: number): Json => (card(r).suggestions as Json[])[i] as Json;
const action = (r: Json, s: number, a: number): Json => (suggestion(r, s).actions as Json[])[a] as Json;
const resource = (r: Json, s: number, a: number): Json => action(r, s, a).resource as Json;
const link = (r: Json, i: number): Json => (card(r).links as Json[])[i] as Json;
const systemAction = (r: Json): Json => (r.systemActions as Json[])[0] as Json;

function checkWith(change: (r: Json) => void): string[] {
  const body = fullResponse();
  change(body);
  return checkCdsResponse(body);
}

beforeAll(() => {
  loadFhirDefinitions(); // about 0.5 s, once per test file
});

describe('checkCdsResponse: conformant responses', () => {
  it.each<[string, unknown]>([
    ['the empty response {"cards": []}', { cards: [] }],
    ['the full response (suggestions, actions, links, systemActions)', fullResponse()],
    ['the response after a JSON round trip', JSON.parse(JSON.stringify(fullResponse()))],
    [
      'a minimal info card',
      { cards: [{ uuid: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed', summary: 'No action needed', indicator: 'info', source: { label: 'Cairn' } }] },
    ],
    ['a summary of exactly 139 characters', (() => { const r = fullResponse(); card(r).summary = 'x'.repeat(139); return r; })()],
    ['extension objects on card and suggestion', (() => { const r = fullResponse(); card(r).extension = { 'org.example.rank': 1 }; suggestion(r, 0).extension = { 'org.example.score': 0.9 }; return r; })()],
    ['undefined optional properties (they vanish in JSON)', (() => { const r = fullResponse(); card(r).detail = undefined; return r; })()],
  ])('%s', (_name, body) => {
    expect(checkCdsResponse(body)).toEqual([]);
  });
});

describe('checkCdsResponse: violations', () => {
  it.each<[string, (r: Json) => void, string]>([
    // Top level
    ['cards missing', (r) => delete r.cards, 'cards: is required'],
    ['an unknown top-level field', (r) => (r.card = []), 'card: unknown field'],
    ['an empty systemActions array', (r) => (r.systemActions = []), 'systemActions: must not be an empty array'],
    // Card (spec: Card attributes)
    ['a 140-character summary', (r) => (card(r).summary = 'x'.repeat(140)), 'cards[0].summary: must be under 140 characters'],
    ['a missing summary', (r) => delete card(r).summary, 'cards[0].summary: is required'],
    ['a missing card uuid', (r) => delete card(r).uuid, 'cards[0].uuid: is required'],
    ['a card uuid that is not RFC 4122', (r) => (card(r).uuid = 'card-1'), 'cards[0].uuid: must be an RFC 4122 UUID'],
    ['a uuid of the wrong variant', (r) => (card(r).uuid = '4e0a3b52-95f4-4c1d-0e6a-0f1b2c3d4e5f'), 'cards[0].uuid: must be an RFC 4122 UUID'],
    ['an indicator outside info|warning|critical', (r) => (card(r).indicator = 'hard-stop'), 'cards[0].indicator: must be one of'],
    ['a missing source', (r) => delete card(r).source, 'cards[0].source: is required'],
    ['an empty source label', (r) => ((card(r).source as Json).label = ''), 'cards[0].source.label: must not be an empty string'],
    ['a missing source label', (r) => delete (card(r).source as Json).label, 'cards[0].source.label: is required'],
    ['a relative source url', (r) => ((card(r).source as Json).url = '/about'), 'cards[0].source.url: must be an absolute http(s) URL'],
    ['a source topic without system', (r) => delete ((card(r).source as Json).topic as Json).system, 'cards[0].source.topic.system: is required'],
    ['suggestions without selectionBehavior', (r) => delete card(r).selectionBehavior, 'cards[0].selectionBehavior: required when suggestions are present'],
    ['a selectionBehavior outside at-most-one|any', (r) => (card(r).selectionBehavior = 'all'), 'cards[0].selectionBehavior: must be one of'],
    [
      'two recommended suggestions under at-most-one',
      (r) => { card(r).selectionBehavior = 'at-most-one'; suggestion(r, 1).isRecommended = true; },
      'cards[0].suggestions: 2 suggestions are isRecommended but selectionBehavior is at-most-one',
    ],
    ['a misspelt card field', (r) => (card(r).selectionbehavior = 'any'), 'cards[0].selectionbehavior: unknown field'],
    // Suggestion
    ['a missing suggestion uuid', (r) => delete suggestion(r, 1).uuid, 'cards[0].suggestions[1].uuid: is required'],
    ['a suggestion without label', (r) => delete suggestion(r, 0).label, 'cards[0].suggestions[0].label: is required'],
    ['a suggestion uuid equal to the card uuid', (r) => (suggestion(r, 0).uuid = card(r).uuid), 'cards[0].suggestions[0].uuid: duplicates cards[0].uuid'],
    // Override reasons (spec: Card overrideReasons, Coding)
    ['an override reason without display', (r) => delete (card(r).overrideReasons as Json[])[1]?.display, 'cards[0].overrideReasons[1].display: is required'],
    ['an override reason without system', (r) => delete (card(r).overrideReasons as Json[])[0]?.system, 'cards[0].overrideReasons[0].system: is required'],
    ['an override reason without code', (r) => delete (card(r).overrideReasons as Json[])[0]?.code, 'cards[0].overrideReasons[0].code: is required'],
    // Links (spec: Link)
    ['a link without label', (r) => delete link(r, 0).label, 'cards[0].links[0].label: is required'],
    ['a relative link url', (r) => (link(r, 0).url = 'guideline.html'), 'cards[0].links[0].url: must be an absolute http(s) URL'],
    ['a link type outside absolute|smart', (r) => (link(r, 0).type = 'SMART'), 'cards[0].links[0].type: must be one of'],
    ['a missing link type', (r) => delete link(r, 1).type, 'cards[0].links[1].type: is required'],
    ['appContext on an absolute link', (r) => (link(r, 0).appContext = 'x'), 'cards[0].links[0].appContext: only allowed on links of type smart'],
    // Actions (spec: Action)
    ['an upper-case action type (cqf-ruler#11)', (r) => (action(r, 0, 0).type = 'CREATE'), 'cards[0].suggestions[0].actions[0].type: must be one of'],
    ['an action without description', (r) => delete action(r, 0, 0).description, 'cards[0].suggestions[0].actions[0].description: is required'],
    ['a create action without resource', (r) => delete action(r, 0, 0).resource, 'cards[0].suggestions[0].actions[0].resource: required when type is create'],
    ['a resource sent as a string (cqf-ruler#11)', (r) => (action(r, 0, 0).resource = JSON.stringify(resource(r, 0, 0))), 'cards[0].suggestions[0].actions[0].resource: expected object'],
    ['an update action without resource', (r) => (systemAction(r).resource = undefined), 'systemActions[0].resource: required when type is update'],
    ['an update of a resource without id', (r) => delete (systemAction(r).resource as Json).id, "systemActions[0].resource.id: an update action's resource needs an id"],
    ['a delete action with neither resource nor resourceId', (r) => delete action(r, 1, 2).resourceId, 'cards[0].suggestions[1].actions[2].resourceId: a delete action needs resourceId'],
    ['a resourceId that is not Type/id', (r) => (action(r, 1, 2).resourceId = 'draft-7'), 'cards[0].suggestions[1].actions[2].resourceId: must be a relative reference'],
    // No null, no empty values, anywhere
    ['null at the top of a card', (r) => (card(r).detail = null), 'cards[0].detail: must not be null'],
    ['null deep inside a FHIR resource', (r) => (resource(r, 0, 0).note = [{ text: null }]), 'cards[0].suggestions[0].actions[0].resource.note[0].text: must not be null'],
    ['an empty string deep inside a FHIR resource', (r) => ((resource(r, 1, 0).dosageInstruction as Json[])[0]!.text = ''), 'cards[0].suggestions[1].actions[0].resource.dosageInstruction[0].text: must not be an empty string'],
    ['a blank string', (r) => (card(r).detail = '   '), 'cards[0].detail: must not be an empty string'],
    ['an empty links array', (r) => (card(r).links = []), 'cards[0].links: must not be an empty array'],
    ['an empty actions array', (r) => (suggestion(r, 0).actions = []), 'cards[0].suggestions[0].actions: must not be an empty array'],
    ['an empty extension object', (r) => (card(r).extension = {}), 'cards[0].extension: must not be an empty object'],
    ['an empty object inside a resource', (r) => (resource(r, 0, 0).code = {}), 'cards[0].suggestions[0].actions[0].resource.code: must not be an empty object'],
    ['NaN (serialises as null)', (r) => ((resource(r, 1, 0).dosageInstruction as Json[])[0]!.sequence = Number.NaN), 'dosageInstruction[0].sequence: must be a finite number'],
  ])('reports %s', (_name, change, expected) => {
    expect(checkWith(change)).toContainEqual(expect.stringContaining(expected));
  });

  it('reports a bare non-object body', () => {
    expect(checkCdsResponse([])).toEqual(['(root): must be a JSON object with a cards array']);
    expect(checkCdsResponse(null)).toEqual(['(root): must be a JSON object with a cards array']);
  });

  it('reports one message per fault, not a null and a type error for the same field', () => {
    expect(checkWith((r) => (card(r).detail = null))).toEqual(['cards[0].detail: must not be null (omit the field instead)']);
    // validateResource would add "Invalid null value" and "Missing required property" at the same place
    expect(checkWith((r) => (resource(r, 0, 0).note = [{ text: null }]))).toEqual([
      'cards[0].suggestions[0].actions[0].resource.note[0].text: must not be null (omit the field instead)',
    ]);
  });

  it('reports a string given for a FHIR object once, not once per character', () => {
    expect(checkWith((r) => (resource(r, 0, 0).subject = 'Patient/pat-42'))).toEqual([
      'cards[0].suggestions[0].actions[0].resource: ServiceRequest.subject: expected an object, got a string',
    ]);
  });

  it('reports all violations of a response at once', () => {
    const problems = checkWith((r) => {
      card(r).summary = 'x'.repeat(200);
      delete card(r).uuid;
      delete card(r).selectionBehavior;
      resource(r, 0, 0).intent = 'suggestion';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('cards[0].summary'),
        expect.stringContaining('cards[0].uuid'),
        expect.stringContaining('cards[0].selectionBehavior'),
        expect.stringContaining('ServiceRequest.intent'),
      ]),
    );
  });
});

describe('checkCdsResponse: FHIR resources in actions', () => {
  const at = 'cards[0].suggestions[0].actions[0].resource';
  const condition = 'cards[0].suggestions[1].actions[1].resource';

  it.each<[string, (r: Json) => void, string]>([
    // validateResource (structure, cardinality, types, invariants)
    ['a ServiceRequest missing intent', (r) => delete resource(r, 0, 0).intent, `${at}: ServiceRequest.intent: Missing required property`],
    ['a ServiceRequest missing subject', (r) => delete resource(r, 0, 0).subject, `${at}: ServiceRequest.subject: Missing required property`],
    ['an unknown FHIR property', (r) => (resource(r, 0, 0).orderDetails = 'fasting'), `${at}: ServiceRequest.orderDetails: Invalid additional property`],
    ['a number given as a string', (r) => (((resource(r, 1, 0).dosageInstruction as Json[])[0]!.timing as Json).repeat = { frequency: '1' }), 'MedicationRequest.dosageInstruction[0].timing.repeat.frequency'],
    ['an unknown resource type', (r) => (action(r, 0, 0).resource = { resourceType: 'Prescription' }), `${at}: Prescription: Unknown data type`],
    ['a Condition breaking invariant con-5', (r) => ((resource(r, 1, 1).verificationStatus as Json).coding = [{ system: VER_STATUS, code: 'entered-in-error' }]), `${condition}: Condition: Constraint con-5 not met`],
    // required bindings that validateResource does not check
    ['a ServiceRequest status outside request-status', (r) => (resource(r, 0, 0).status = 'pending'), `${at}: ServiceRequest.status: "pending" is not in the required value set http://hl7.org/fhir/ValueSet/request-status`],
    ['a ServiceRequest intent outside request-intent', (r) => (resource(r, 0, 0).intent = 'suggestion'), `${at}: ServiceRequest.intent: "suggestion" is not in the required value set`],
    ['a MedicationRequest status outside its value set', (r) => (resource(r, 1, 0).status = 'revoked'), 'MedicationRequest.status: "revoked" is not in the required value set http://hl7.org/fhir/ValueSet/medicationrequest-status'],
    ['a MedicationRequest intent outside its value set', (r) => (resource(r, 1, 0).intent = 'directive'), 'MedicationRequest.intent: "directive" is not in the required value set'],
    ['a Condition verificationStatus with an invalid code', (r) => ((resource(r, 1, 1).verificationStatus as Json).coding = [{ system: VER_STATUS, code: 'suspected' }]), `${condition}: Condition.verificationStatus: needs a coding from the required value set http://hl7.org/fhir/ValueSet/condition-ver-status`],
    ['a Condition clinicalStatus in the wrong system', (r) => ((resource(r, 1, 1).clinicalStatus as Json).coding = [{ system: 'http://snomed.info/sct', code: '55561003' }]), `${condition}: Condition.clinicalStatus: needs a coding from the required value set http://hl7.org/fhir/ValueSet/condition-clinical`],
    ['a Condition clinicalStatus given as text only', (r) => (resource(r, 1, 1).clinicalStatus = { text: 'active' }), `${condition}: Condition.clinicalStatus: needs a coding`],
    ['a Condition category code not in condition-category', (r) => ((resource(r, 1, 1).category as Json[])[0] = { coding: [{ system: CATEGORY, code: 'problem-list' }] }), `${condition}: Condition.category[0].coding[0]: "problem-list" is not a code of ${CATEGORY}`],
    ['an Observation status outside observation-status', (r) => ((systemAction(r).resource as Json).status = 'done'), 'systemActions[0].resource: Observation.status: "done" is not in the required value set'],
    ['a required binding inside a data type (Timing.repeat.periodUnit)', (r) => ((((resource(r, 1, 0).dosageInstruction as Json[])[0]!.timing as Json).repeat as Json).periodUnit = 'day'), 'MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit: "day" is not in the required value set'],
    ['a required binding in a contained resource', (r) => (resource(r, 0, 0).contained = [{ resourceType: 'Observation', id: 'o1', status: 'fnal', code: { text: 'x' } }]), `${at}: ServiceRequest.contained[0](Observation).status: "fnal"`],
  ])('reports %s', (_name, change, expected) => {
    expect(checkWith(change)).toContainEqual(expect.stringContaining(expected));
  });

  it('accepts codes from other systems beside the required one (extensible category, extra codings)', () => {
    const problems = checkWith((r) => {
      const c = resource(r, 1, 1);
      (c.clinicalStatus as Json).coding = [
        { system: CLINICAL, code: 'active' },
        { system: 'http://snomed.info/sct', code: '55561003' },
      ];
      (c.category as Json[]).push({ coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/condition-category', code: 'health-concern' }] });
    });
    expect(problems).toEqual([]);
  });

  it('checks a resource on its own (for card builders)', () => {
    expect(
      checkFhirResource({ resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/1' } }),
    ).toEqual([]);
    expect(checkFhirResource({ resourceType: 'ServiceRequest', status: 'active', subject: { reference: 'Patient/1' } })).toEqual([
      'ServiceRequest.intent: Missing required property',
    ]);
  });
});

describe('checkDiscoveryResponse', () => {
  function discovery(): Json {
    return {
      services: [
        {
          hook: 'patient-view',
          title: 'Statin use for primary prevention',
          description: 'Suggests a statin when guideline criteria are met.',
          id: 'statin-primary-prevention',
          prefetch: {
            patient: 'Patient/{{context.patientId}}',
            lipids: 'Observation?patient={{context.patientId}}&code=http://loinc.org|2093-3&_sort=-date&_count=1',
            practitioner: '{{userPractitionerId}}',
          },
        },
        // The same id MAY serve another hook (spec: Discovery).
        { hook: 'order-sign', description: 'Checks statin orders.', id: 'statin-primary-prevention' },
      ],
    };
  }
  const service = (r: Json, i = 0): Json => (r.services as Json[])[i] as Json;
  const prefetch = (r: Json): Json => service(r).prefetch as Json;
  const checkWithChange = (change: (r: Json) => void, options?: Parameters<typeof checkDiscoveryResponse>[1]): string[] => {
    const body = discovery();
    change(body);
    return checkDiscoveryResponse(body, options);
  };

  it.each<[string, unknown]>([
    ['a spec-shaped discovery response', discovery()],
    ['no services', { services: [] }],
  ])('accepts %s', (_name, body) => {
    expect(checkDiscoveryResponse(body)).toEqual([]);
  });

  it('accepts 3.0-ballot FHIRPath tokens when asked to', () => {
    const change = (r: Json) => (prefetch(r).recent = 'Observation?patient={{context.patientId}}&date=ge{{today() - 90 days}}');
    expect(checkWithChange(change, { specVersion: '3.0' })).toEqual([]);
    expect(checkWithChange(change)).toContainEqual(expect.stringContaining('{{today() - 90 days}} is not a 2.0 prefetch token'));
  });

  it.each<[string, (r: Json) => void, string]>([
    ['services missing', (r) => delete r.services, 'services: is required'],
    ['a service without hook', (r) => delete service(r).hook, 'services[0].hook: is required'],
    ['a service without description', (r) => delete service(r).description, 'services[0].description: is required'],
    ['a service without id', (r) => delete service(r).id, 'services[0].id: is required'],
    ['an id that is not a path segment', (r) => (service(r).id = 'statin/primary'), 'services[0].id: must be a non-empty URL path segment'],
    ['a prefetch template that is not a string', (r) => (prefetch(r).patient = { resourceType: 'Patient' }), 'services[0].prefetch.patient: expected string'],
    ['an empty prefetch template', (r) => (prefetch(r).patient = ''), 'services[0].prefetch.patient: must not be an empty string'],
    ['an empty prefetch object', (r) => (service(r).prefetch = {}), 'services[0].prefetch: must not be an empty object'],
    ['a null title', (r) => (service(r).title = null), 'services[0].title: must not be null'],
    ['a duplicate hook and id', (r) => (service(r, 1).hook = 'patient-view'), 'services[1]: duplicates the hook and id of services[0]'],
    ['a 1.0-style token', (r) => (prefetch(r).patient = 'Patient/{{Patient.id}}'), 'services[0].prefetch.patient: token {{Patient.id}} is not a 2.0 prefetch token'],
    ['a context field the hook does not offer as a token', (r) => (prefetch(r).orders = 'MedicationRequest?_id={{context.draftOrders}}'), 'patient-view does not allow context.draftOrders as a prefetch token'],
    ['unbalanced token delimiters', (r) => (prefetch(r).patient = 'Patient/{{context.patientId}'), 'services[0].prefetch.patient: has unbalanced {{ }} token delimiters'],
    ['an absolute template URL', (r) => (prefetch(r).patient = 'https://ehr.example.org/fhir/Patient/{{context.patientId}}'), 'must be relative to fhirServer'],
    ['a misspelt field', (r) => (service(r).usagerequirements = 'x'), 'services[0].usagerequirements: unknown field'],
  ])('reports %s', (_name, change, expected) => {
    expect(checkWithChange(change)).toContainEqual(expect.stringContaining(expected));
  });
});
