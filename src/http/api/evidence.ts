/**
 * GET /api/patients/{id}/evidence[?encounter=]: a patient's evidence as structured JSON
 * (src/services/evidence.ts), read from the EHR with the app's own SMART token.
 *
 * Reading: the same FHIR searches as the services' prefetch (derived from their data
 * requirements), made on the token's FHIR server with the token, so the EHR applies its own
 * access rules to every read. Scopes (patient-access.ts):
 * - the token must allow reading the Patient and searching Observations and Conditions (without
 *   them there is nothing to compute on): 403 otherwise;
 * - other reads (encounters, medications, notes…) are made only when a scope allows them; those
 *   left out, or that the EHR refused or failed, are listed in `read` so an app can say what the
 *   evidence was computed without;
 * - a token that reads these only in the patient context (patient/…) is for its launch patient:
 *   another id gets 403.
 * A failed read of the Patient, Observations or Conditions is a 502: evidence computed without
 * them would present missing data as absent.
 */
import type { Request, Response, Router } from 'express';
import type { FhirResource } from 'fhir/r4.js';
import { createFhirGateway } from '../../fhir/gateway.js';
import { operationOutcome } from '../../hooks/operation-outcome.js';
import { resolvePrefetch, type PrefetchOutcome } from '../../hooks/prefetch/resolve.js';
import { FHIR_ID_PATTERN } from '../../hooks/schema.js';
import type { PatientKeyer } from '../../ledger/pseudonym.js';
import type { Logger } from '../../log.js';
import type { EvidenceEngine } from '../../services/evidence.js';
import { setAuditDetails } from '../audit-routes.js';
import { permits, type ReadInteraction } from '../auth/smart-scopes.js';
import { smartAccessToken, smartCaller } from '../auth/smart-token.js';
import { sendNotReady, type StartupTracker } from '../readiness.js';
import { apiOperation, jsonResponse, outcomeResponse, pathParameter, queryParameter, schemaRef, type ApiDoc, type Schema } from './doc.js';
import { otherPatientRefusal, PATIENT_RECORD_READS, requirePatientRecordScopes } from './patient-access.js';
import { sendOutcome } from './send.js';

export interface ApiEvidenceDeps {
  /** Undefined: the server was built without the services' logic (a bare app in tests): 503. */
  engine?: EvidenceEngine;
  fhir: { timeoutMs: number; concurrency: number; maxPages: number };
  patientKey: PatientKeyer;
  readiness: StartupTracker;
  log: Logger;
  onFhirCall?: (outcome: 'ok' | 'not-found' | 'error' | 'timeout', seconds: number) => void;
  now?: () => Date;
}

/** The resource type and interaction a prefetch template makes: `Patient/{{…}}` a read, `Observation?…` a search. */
function templateRead(template: string): { resourceType: string; interaction: ReadInteraction } | undefined {
  const m = /^([A-Z][A-Za-z]+)([/?])/.exec(template);
  return m ? { resourceType: m[1]!, interaction: m[2] === '/' ? 'read' : 'search' } : undefined;
}

export interface ReadReport {
  key: string;
  resourceType: string;
  status: 'read' | 'not-permitted' | 'failed';
  /** Resources read (a search's entries, all pages Cairn followed). */
  resources?: number;
  reason?: string;
}

function countOf(value: FhirResource | null | undefined): number {
  if (!value) return 0;
  return value.resourceType === 'Bundle' ? (value.entry?.length ?? 0) : 1;
}

export function evidenceRoutes(router: Router, deps: ApiEvidenceDeps): void {
  router.get('/patients/:id/evidence', requirePatientRecordScopes, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const caller = smartCaller(res);
    if (!FHIR_ID_PATTERN.test(id)) return sendOutcome(res, 400, operationOutcome('error', 'invalid', 'the patient id must be a FHIR id ([A-Za-z0-9-.]{1,64})'));
    const encounter = req.query.encounter;
    if (encounter !== undefined && (typeof encounter !== 'string' || !FHIR_ID_PATTERN.test(encounter))) {
      return sendOutcome(res, 400, operationOutcome('error', 'invalid', 'encounter must be a FHIR id ([A-Za-z0-9-.]{1,64})'));
    }
    const refusal = otherPatientRefusal(caller, id);
    if (refusal) return sendOutcome(res, 403, operationOutcome('error', 'forbidden', refusal));
    setAuditDetails(res, { patientKey: await deps.patientKey({ fhirServer: caller.fhirServer, patientId: id }) });
    // The knowledge base (passages, the high-risk match) and the trial store must be loaded.
    if (!deps.readiness.ready) return sendNotReady(res, deps.readiness.state, 'patient evidence');
    const engine = deps.engine;
    if (!engine) return sendOutcome(res, 503, operationOutcome('error', 'not-supported', "this server was started without the services' logic; patient evidence is not available"));

    // Reads the token does not allow are not made (the EHR would refuse them): reported instead.
    const reports: ReadReport[] = [];
    const templates: Record<string, string> = {};
    for (const [key, template] of Object.entries(engine.templates)) {
      const read = templateRead(template);
      if (!read) continue;
      if (permits(caller.scopes, read.resourceType, read.interaction)) templates[key] = template;
      else reports.push({ key, resourceType: read.resourceType, status: 'not-permitted', reason: `the token's scopes do not allow ${read.interaction === 'read' ? 'reading' : 'searching'} ${read.resourceType}` });
    }
    const gateway = createFhirGateway({
      baseUrl: caller.fhirServer,
      accessToken: smartAccessToken(res),
      timeoutMs: deps.fhir.timeoutMs,
      concurrency: deps.fhir.concurrency,
      maxPages: deps.fhir.maxPages,
      ...(deps.onFhirCall && { onCall: deps.onFhirCall }),
    });
    // A caller who goes away stops the reads still queued.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const outcomes = await resolvePrefetch({ templates, context: { patientId: id }, provided: undefined, gateway, signal: gone.signal, first: ['patient'] });
    if (gone.signal.aborted) return;
    for (const o of outcomes) {
      const resourceType = templateRead(templates[o.key] ?? '')?.resourceType ?? 'unknown';
      reports.push(o.source === 'failed' ? { key: o.key, resourceType, status: 'failed', reason: o.reason } : { key: o.key, resourceType, status: 'read', resources: countOf(o.value) });
    }
    const failed = outcomes.filter((o): o is Extract<PrefetchOutcome, { source: 'failed' }> => o.source === 'failed');
    if (failed.length > 0) deps.log.warn({ fhirServer: caller.fhirServer, failed: failed.map((f) => ({ key: f.key, detail: f.detail ?? f.reason })) }, 'evidence: FHIR reads failed');
    const essential = failed.filter((f) => PATIENT_RECORD_READS.some(([type]) => templateRead(templates[f.key] ?? '')?.resourceType === type));
    if (essential.length > 0) {
      return sendOutcome(
        res,
        502,
        operationOutcome('error', 'transient', essential.map((f) => `${f.key}: ${f.reason}`)),
      );
    }
    const patient = outcomes.find((o) => o.key === 'patient');
    if (!patient?.value) return sendOutcome(res, 404, operationOutcome('error', 'not-found', `Patient/${id} was not found on the FHIR server`));

    const resources = outcomes.map((o) => o.value).filter((v): v is FhirResource => v !== null && v !== undefined);
    const encounterId = typeof encounter === 'string' ? encounter : caller.patient === id ? caller.encounter : undefined;
    const evidence = await engine.assess({ resources, patientId: id, referenceTime: deps.now?.() ?? new Date(), ...(encounterId && { encounterId }) });
    if (res.writableEnded || gone.signal.aborted) return;
    res.json({ fhirServer: caller.fhirServer, ...evidence, read: reports });
  });
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties), description?: string): Schema => ({
  type: 'object',
  ...(description && { description }),
  required,
  properties,
});
const str = { type: 'string' };
const num = { type: 'number' };
const int = { type: 'integer' };
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
const array = (items: Schema): Schema => ({ type: 'array', items });
const chunkIds = array({ type: 'string', description: 'A chunk id in `passages`.' });
const passageMatches = array(schemaRef('PassageMatch'));

/** The value as charted when Cairn converted it (`value` is then in the canonical `unit`): cards/evidence.ts recordedIfConverted. */
function recordedValue(): Schema {
  return obj({ value: num, unit: { type: 'string', description: "The recorded unit's UCUM code, or its text when it had none." } }, ['value', 'unit'], 'The value and unit as recorded, present only when Cairn converted the value.');
}

const measured: Schema = obj(
  {
    kind: { enum: ['quantity', 'consciousness'] },
    parameter: str,
    label: str,
    value: { anyOf: [num, str] },
    unit: nullable(str),
    comparator: { enum: ['<', '<=', '>=', '>'] },
    effective: { type: 'string', description: 'FHIR dateTime as recorded.' },
    effectiveTime: { type: 'number', description: 'Epoch ms.' },
    source: { type: 'string', description: '`Observation/<id>`.' },
    code: str,
    recorded: recordedValue(),
  },
  ['kind', 'parameter', 'label', 'value', 'effective', 'source'],
  'One reading a score or decision used.',
);

const citation = obj({ source: str, section: str, year: int, corpusId: str }, ['source', 'section', 'year']);

const triage: Schema = obj(
  {
    rule: schemaRef('RuleRef'),
    indicator: { enum: ['critical', 'warning', 'info'] },
    card: { type: 'boolean', description: 'The triage service would show a card now.' },
    windowHours: num,
    missing: array(str),
    chiefComplaint: nullable({ type: 'object' }),
    chiefComplaintNotRead: obj(
      { source: str, characters: int, detail: str },
      ['source', 'characters', 'detail'],
      'A reason for visit too long to read as a chief complaint (more than 1,000 characters): not checked for high-risk situations or expected resources.',
    ),
    supplementalOxygen: { type: 'object' },
    news2: obj(
      {
        score: { const: 'NEWS2' },
        total: int,
        complete: { type: 'boolean' },
        maxPossibleTotal: int,
        band: { enum: ['low', 'low-medium', 'medium', 'high'] },
        anyParameterScored3: { type: 'boolean' },
        spo2Scale: { enum: [1, 2] },
        parameters: array(
          obj({ parameter: str, label: str, status: { enum: ['scored', 'missing', 'lower-bound'] }, points: nullable(int), maxPoints: int, evidence: array(schemaRef('MeasuredValue')), detail: str, citation }, [
            'parameter',
            'status',
            'points',
            'evidence',
          ]),
        ),
        missing: array(str),
        citation,
      },
      ['score', 'total', 'complete', 'band', 'parameters'],
      'NEWS2 (RCP 2017): each parameter with its points and the readings it was scored on.',
    ),
    qsofa: obj(
      {
        score: { const: 'qSOFA' },
        total: int,
        complete: { type: 'boolean' },
        positive: { enum: ['yes', 'no', 'undetermined'] },
        criteria: array(obj({ criterion: str, label: str, met: nullable({ type: 'boolean' }), points: nullable(int), evidence: array(schemaRef('MeasuredValue')), detail: str }, ['criterion', 'met', 'evidence'])),
        missing: array(str),
        citation,
      },
      ['score', 'total', 'complete', 'positive', 'criteria'],
      'qSOFA (Sepsis-3).',
    ),
    shockIndex: obj({ score: { const: 'shock-index' }, status: { enum: ['computed', 'not-computed'] }, value: nullable(num), elevated: nullable({ type: 'boolean' }), threshold: num, heartRate: schemaRef('MeasuredValue'), systolicBP: schemaRef('MeasuredValue'), detail: str, citation }, [
      'score',
      'status',
      'value',
      'threshold',
    ]),
    esi: obj(
      {
        system: { const: 'ESI v4' },
        level: { enum: [1, 2, 3, 4, 5] },
        setBy: { enum: ['A', 'B', 'C', 'D'] },
        reason: str,
        possibleLevels: obj({ mostUrgent: int, leastUrgent: int }),
        deciding: array(schemaRef('EsiFinding')),
        findings: array(schemaRef('EsiFinding')),
        unassessed: array(schemaRef('EsiFinding')),
        considerations: array(schemaRef('EsiFinding')),
        resources: { type: 'object' },
        dangerZone: { type: 'object' },
        citation,
      },
      ['system', 'level', 'setBy', 'reason', 'possibleLevels', 'deciding', 'findings'],
      'The ESI v4 decision points (AHRQ) in algorithm order, and the level they set.',
    ),
    highRisk: obj({ status: { enum: ['matched', 'not-matched', 'no-complaint', 'unavailable'] }, complaint: str, passage: str }, ['status']),
    passages: chunkIds,
    matches: passageMatches,
  },
  ['rule', 'indicator', 'card', 'windowHours', 'missing', 'news2', 'qsofa', 'shockIndex', 'esi', 'highRisk', 'passages', 'matches'],
);

const finding: Schema = obj(
  {
    condition: { enum: ['hypertension', 'diabetes', 'prediabetes', 'ckd', 'aki', 'obesity', 'sepsis'] },
    title: str,
    status: { enum: ['met', 'not-met', 'not-enough-data'] },
    stage: nullable(str),
    criterion: nullable({ type: 'string', description: 'The rule of the guideline that decided the status.' }),
    summary: str,
    code: { type: 'object', description: 'The SNOMED CT (and ICD-10-CM) coding Cairn would suggest.' },
    evidence: array(
      obj(
        { kind: { enum: ['reading', 'computed'] }, label: str, value: { anyOf: [num, str] }, unit: nullable(str), date: nullable(str), source: nullable(str), note: str, recorded: recordedValue() },
        ['kind', 'label', 'value', 'unit', 'date', 'source'],
        'A reading from the record (with its source) or a value computed from them.',
      ),
    ),
    guideline: obj({ id: str, section: str, source: str }),
    notes: array(str),
    rule: schemaRef('RuleRef'),
    problemList: obj({ status: { enum: ['unknown-to-record', 'recorded-same-stage', 'recorded-different-stage'] }, reason: str, recordedStage: nullable(str), dataStage: nullable(str), recorded: array({ type: 'object' }) }),
    card: { type: 'boolean', description: 'The diagnosis service would show a card for it now.' },
    passages: obj({ criterion: str, nextStep: str }, []),
    matches: passageMatches,
  },
  ['condition', 'title', 'status', 'stage', 'criterion', 'summary', 'evidence', 'guideline', 'notes', 'rule', 'problemList', 'card', 'passages', 'matches'],
);

const series: Schema = obj({
  key: str,
  label: str,
  unit: { type: 'string', description: 'UCUM.' },
  displayUnit: str,
  points: array(obj({ time: str, value: num, comparator: { enum: ['<', '<=', '>=', '>'] }, timeSource: { enum: ['effective', 'issued'] }, source: str }, ['time', 'value', 'timeSource', 'source'])),
});

/** Every member but `sharedWords`, which only a trial fitting by the patient's words has. */
const TRIAL_MATCH_REQUIRED = ['nctId', 'title', 'status', 'statusAsOf', 'statusMayBeOutOfDate', 'statusNote', 'lastUpdatePosted', 'category', 'score', 'retrievalRank', 'summary', 'inclusion', 'exclusion', 'fits', 'contentHash', 'criteria'];

const trialMatch: Schema = obj({
  nctId: str,
  title: str,
  status: str,
  statusAsOf: { type: 'string', description: 'The day (YYYY-MM-DD, UTC) the status was read from ClinicalTrials.gov.' },
  statusMayBeOutOfDate: { type: 'boolean', description: 'The status was read longer ago than CAIRN_TRIAL_STALE_DAYS days (default 30).' },
  statusNote: { type: 'string', description: 'As the trial-match card says it: "status as of 3 Feb 2023", with " — may be out of date" when so.' },
  lastUpdatePosted: nullable({ type: 'string', description: 'ClinicalTrials.gov\'s "Last Update Posted" date of the record (YYYY-MM-DD).' }),
  category: { enum: ['eligible', 'excluded', 'irrelevant'] },
  score: num,
  retrievalRank: int,
  summary: str,
  inclusion: obj({ met: int, notMet: int, unknown: int, total: int }),
  exclusion: obj({ met: int, notMet: int, unknown: int, total: int }),
  fits: { type: 'boolean', description: 'The trial-match card would list it.' },
  sharedWords: obj(
    { words: array(str), statement: obj({ kind: { enum: ['note', 'record'] }, source: str, text: { type: 'string', description: 'Verbatim: the note sentence, or the coded entries.' } }) },
    ['words', 'statement'],
    'Present when the trial fits with no condition it studies documented: the patient’s words its text also uses, and the statement they come from.',
  ),
  contentHash: str,
  criteria: array(schemaRef('CriterionRow')),
}, TRIAL_MATCH_REQUIRED);

const patientEvidence: Schema = obj(
  {
    fhirServer: str,
    referenceTime: { type: 'string', format: 'date-time' },
    patient: obj({ id: str, birthDate: nullable(str), age: nullable({ type: 'object' }), sex: { enum: ['male', 'female', 'other', 'unknown'] } }),
    triage: nullable(schemaRef('TriageEvidence')),
    diagnosis: array(schemaRef('DiagnosisFinding')),
    trials: {
      oneOf: [
        obj({ status: { const: 'off' }, reason: str }),
        obj({ status: { const: 'matched' }, rule: schemaRef('RuleRef'), comparison: { enum: ['meaning-and-words', 'words-only'] }, candidates: int, matches: array(trialMatch) }),
      ],
    },
    series: obj({
      vitals: array(schemaRef('Series')),
      labs: array(schemaRef('Series')),
      consciousness: array(obj({ time: str, level: { enum: ['A', 'C', 'V', 'P', 'U'] }, code: str, display: str, source: str }, ['time', 'level', 'code', 'source'])),
    }),
    passages: array(schemaRef('Passage')),
    provenance: obj({
      cairnVersion: str,
      rules: array(schemaRef('RuleRef')),
      guidelines: array(obj({ documentId: str, version: str, contentHash: str }, ['documentId', 'contentHash'])),
      trials: array(obj({ nctId: str, contentHash: str })),
    }),
    exclusions: array(obj({ source: str, reason: str, detail: str }, ['source', 'reason'])),
    read: array(
      obj({ key: str, resourceType: str, status: { enum: ['read', 'not-permitted', 'failed'] }, resources: int, reason: str }, ['key', 'resourceType', 'status'], 'One FHIR read: made, left out for the token\'s scopes, or failed.'),
    ),
  },
  undefined,
);

export const evidenceDoc: ApiDoc = {
  paths: {
    '/api/patients/{id}/evidence': {
      get: apiOperation({
        summary: "A patient's evidence as structured data",
        description:
          "Read from the token's FHIR server with the token: triage (NEWS2, qSOFA, shock index, ESI decision points), every diagnosis finding with the values that decided it and whether the problem list has it, trial matches with their criterion tables, the vital-sign and lab series, and the guideline passages quoted in full with their document's version and content hash. " +
          'Needs scopes to read the Patient and search Observations and Conditions; other reads are made only when the scopes allow them (see `read`). A patient-context token is for its launch patient only.',
        parameters: [
          pathParameter('id', 'The patient\'s FHIR id on the token\'s FHIR server.', { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' }),
          queryParameter('encounter', 'The current encounter (its reason is the chief complaint); default the token\'s encounter context for its own patient.', { type: 'string' }),
        ],
        responses: {
          '200': jsonResponse('The evidence.', schemaRef('PatientEvidence')),
          '404': outcomeResponse('The FHIR server has no such patient.'),
          '502': outcomeResponse('The FHIR server failed to give the Patient, its Observations or its Conditions.'),
        },
      }),
    },
  },
  schemas: {
    PatientEvidence: patientEvidence,
    TriageEvidence: triage,
    DiagnosisFinding: finding,
    Series: series,
    MeasuredValue: measured,
    EsiFinding: obj(
      { decisionPoint: { enum: ['A', 'B', 'C', 'D'] }, criterion: str, label: str, met: nullable({ type: 'boolean' }), effect: { enum: ['sets-level', 'floor', 'consider'] }, evidence: array(schemaRef('MeasuredValue')), detail: str, citation, passage: str },
      ['decisionPoint', 'criterion', 'label', 'met', 'effect', 'evidence', 'detail'],
    ),
    RuleRef: obj({ id: str, version: str }),
    PassageMatch: obj(
      { chunkId: str, start: int, end: int },
      undefined,
      "The part of a quoted passage that speaks to what the finding asked the guideline (the sentences a card would quote of it): `text.slice(start, end)` of the passage with this chunk id.",
    ),
    Passage: obj(
      { chunkId: str, documentId: str, title: str, version: str, contentHash: str, headingPath: array(str), text: { type: 'string', description: 'Verbatim.' }, kind: { enum: ['verbatim', 'summary'] }, citation: str, url: str, grade: str, gradeSystem: str },
      ['chunkId', 'documentId', 'title', 'contentHash', 'headingPath', 'text', 'kind', 'citation'],
    ),
  },
};
