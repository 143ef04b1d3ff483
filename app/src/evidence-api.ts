/**
 * The parts of Cairn's API for apps the evidence viewer and the trial view read (their shapes are
 * documented in /openapi.json: PatientEvidence, PatientCards, CardFeedbackResult), and the calls.
 * Only what the screens show is typed here; every value comes from the API as it is.
 */
import { api } from './api';
import type { Client } from './smart';

export interface RuleRef {
  id: string;
  version: string;
}

export interface Citation {
  source: string;
  section: string;
  year: number;
  corpusId?: string;
}

/** One reading a score or decision used. */
export interface MeasuredValue {
  kind: 'quantity' | 'consciousness';
  parameter: string;
  label: string;
  value: number | string;
  unit?: string | null;
  comparator?: '<' | '<=' | '>=' | '>';
  effective: string;
  source: string;
  /** The value and unit as charted, when Cairn converted the value to `unit`. */
  recorded?: RecordedValue;
}

/** A value as the record gave it, before Cairn's unit conversion. */
export interface RecordedValue {
  value: number;
  unit: string;
}

export interface News2Parameter {
  parameter: string;
  label: string;
  status: 'scored' | 'missing' | 'lower-bound';
  points: number | null;
  maxPoints: number;
  evidence: MeasuredValue[];
  detail: string;
}

export interface EsiFinding {
  decisionPoint: 'A' | 'B' | 'C' | 'D';
  criterion: string;
  label: string;
  met: boolean | null;
  effect: 'sets-level' | 'floor' | 'consider';
  evidence: MeasuredValue[];
  detail: string;
  citation?: Citation;
}

export interface PassageMatch {
  chunkId: string;
  start: number;
  end: number;
}

/** Whether a score is validated for this patient (NEWS2: adults of 16 and over, not in pregnancy; qSOFA: adults). */
export interface Applicability {
  applicable: boolean | 'unknown';
  notes: string[];
}

export interface TriageEvidence {
  rule: RuleRef;
  indicator: 'critical' | 'warning' | 'info';
  card: boolean;
  windowHours: number;
  missing: string[];
  chiefComplaint: { text?: string; source?: string } | null;
  chiefComplaintNotRead?: { source: string; characters: number; detail: string };
  news2: {
    total: number;
    complete: boolean;
    maxPossibleTotal?: number;
    band: string;
    /** false: the band is only a floor, the items not recorded could raise it (absent from older answers: taken as settled). */
    bandSettled?: boolean;
    parameters: News2Parameter[];
    citation?: Citation;
    applicability?: Applicability;
  };
  qsofa: {
    total: number;
    complete: boolean;
    positive: 'yes' | 'no' | 'undetermined' | 'not-applicable';
    applicability?: Applicability;
    criteria: Array<{ criterion: string; label?: string; met: boolean | null; points: number | null; evidence: MeasuredValue[]; detail?: string }>;
    citation?: Citation;
  };
  shockIndex: {
    status: 'computed' | 'not-computed';
    value: number | null;
    elevated?: boolean | null;
    threshold: number;
    heartRate?: MeasuredValue;
    systolicBP?: MeasuredValue;
    detail?: string;
    applicability?: Applicability;
  };
  esi: {
    level: 1 | 2 | 3 | 4 | 5;
    setBy: 'A' | 'B' | 'C' | 'D';
    reason: string;
    possibleLevels: { mostUrgent: number; leastUrgent: number };
    deciding: EsiFinding[];
    findings: EsiFinding[];
    unassessed?: EsiFinding[];
    considerations?: EsiFinding[];
    citation?: Citation;
  };
  passages: string[];
  matches: PassageMatch[];
}

export interface DiagnosisFinding {
  condition: string;
  title: string;
  status: 'met' | 'not-met' | 'not-enough-data';
  stage: string | null;
  criterion: string | null;
  summary: string;
  evidence: Array<{ kind: 'reading' | 'computed'; label: string; value: number | string; unit: string | null; date: string | null; source: string | null; note?: string; recorded?: RecordedValue }>;
  guideline: { id: string; section: string; source: string };
  notes: string[];
  rule: RuleRef;
  problemList: { status: 'unknown-to-record' | 'recorded-same-stage' | 'recorded-different-stage'; reason: string };
  card: boolean;
  passages: { criterion?: string; nextStep?: string };
  matches: PassageMatch[];
}

export interface CriterionRow {
  number: number;
  kind: 'inclusion' | 'exclusion';
  text: string;
  status: 'met' | 'not-met' | 'unknown';
  basis: 'record' | 'note' | 'assumed-absent' | 'not-applicable' | 'llm' | 'none';
  category: string;
  alternatives?: string;
  evidence: Array<{ kind: 'record' | 'note'; source: string; text: string }>;
  reason: string;
}

export interface CriterionCounts {
  met: number;
  notMet: number;
  unknown: number;
  total: number;
}

export interface TrialMatch {
  nctId: string;
  title: string;
  status: string;
  /** "status as of <date>", with "may be out of date" past the stale limit: computed by Cairn from the date it read the status. */
  statusNote: string;
  statusMayBeOutOfDate: boolean;
  category: 'eligible' | 'excluded' | 'irrelevant';
  score: number;
  retrievalRank: number;
  summary: string;
  inclusion: CriterionCounts;
  exclusion: CriterionCounts;
  fits: boolean;
  /** Why it fits when no condition it studies is documented: the patient's words its text also uses. */
  sharedWords?: { words: string[]; statement: { kind: 'note' | 'record'; source: string; text: string } };
  criteria: CriterionRow[];
}

export type TrialsEvidence = { status: 'off'; reason: string } | { status: 'matched'; rule: RuleRef; comparison: string; candidates: number; matches: TrialMatch[] };

export interface SeriesPoint {
  time: string;
  value: number;
  comparator?: string;
  timeSource: 'effective' | 'issued';
  source: string;
}

export interface Series {
  key: string;
  label: string;
  unit: string;
  displayUnit: string;
  points: SeriesPoint[];
}

export interface Passage {
  chunkId: string;
  documentId: string;
  title: string;
  version?: string;
  contentHash: string;
  headingPath: string[];
  text: string;
  kind: 'verbatim' | 'summary';
  citation: string;
  url?: string;
  grade?: string;
  gradeSystem?: string;
}

export interface PatientEvidence {
  fhirServer: string;
  referenceTime: string;
  patient: { id: string; birthDate: string | null; age: { display?: string } | null; sex: string };
  triage: TriageEvidence | null;
  diagnosis: DiagnosisFinding[];
  trials: TrialsEvidence;
  series: { vitals: Series[]; labs: Series[]; consciousness: Array<{ time: string; level: string; code: string; display?: string; source: string }> };
  passages: Passage[];
  exclusions: Array<{ source: string; reason: string; detail?: string }>;
  read: Array<{ key: string; resourceType: string; status: 'read' | 'not-permitted' | 'failed'; resources?: number; reason?: string }>;
}

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface CardFeedback {
  outcome: 'accepted' | 'overridden';
  outcomeTimestamp: string;
  acceptedSuggestions?: Array<{ id: string }>;
  overrideReason?: { reason?: Coding };
}

export interface IssuedCard {
  uuid: string;
  service: string;
  hook: string;
  issuedAt: string;
  summary: string;
  indicator: 'info' | 'warning' | 'critical';
  rule: { id: string; version?: string } | null;
  suggestionUuids: string[];
  feedback: CardFeedback | null;
}

export interface PatientCards {
  patient: string;
  cards: IssuedCard[];
  overrideReasons: Array<Coding & { display: string }>;
}

export interface TrialDetail {
  nctId: string;
  title: string;
  officialTitle?: string;
  summary?: string;
  status: string;
  /** "status as of <date>", with "may be out of date" past the stale limit: computed by Cairn from the date it read the status. */
  statusNote: string;
  statusMayBeOutOfDate: boolean;
  phase: string | null;
  conditions: string[];
  links?: { registry?: string };
}

const patientPath = (id: string) => `/api/patients/${encodeURIComponent(id)}`;

/**
 * How long a patient's evidence is reused between screens (the evidence viewer, then a trial's
 * criteria): computing it reads the whole record, and a minute later it is the same record.
 */
const EVIDENCE_REUSE_MS = 60_000;
let lastEvidence: { key: string; at: number; answer: Promise<PatientEvidence> } | undefined;

export function readEvidence(client: Client, patientId: string): Promise<PatientEvidence> {
  const key = `${client.state.serverUrl}|${patientId}`;
  if (lastEvidence?.key === key && Date.now() - lastEvidence.at < EVIDENCE_REUSE_MS) return lastEvidence.answer;
  const answer = api<PatientEvidence>(client, `${patientPath(patientId)}/evidence`);
  lastEvidence = { key, at: Date.now(), answer };
  // A failed read is not reused.
  answer.catch(() => {
    if (lastEvidence?.answer === answer) lastEvidence = undefined;
  });
  return answer;
}

/** The most cards a patient's view lists: several hook calls' worth of each service's cards. */
const CARDS_LIMIT = 100;
export const readCards = (client: Client, patientId: string) => api<PatientCards>(client, `${patientPath(patientId)}/cards?limit=${CARDS_LIMIT}`);

export const readTrial = (client: Client, nctId: string) => api<TrialDetail>(client, `/api/trials/${encodeURIComponent(nctId)}`);

export type FeedbackRequest =
  | { outcome: 'accepted'; acceptedSuggestions: Array<{ id: string }> }
  | { outcome: 'overridden'; overrideReason: { reason: Coding; userComment?: string } };

export const sendFeedback = (client: Client, cardUuid: string, feedback: FeedbackRequest) =>
  api<{ card: string; service: string; stored: boolean; feedback: CardFeedback }>(client, `/api/cards/${encodeURIComponent(cardUuid)}/feedback`, { method: 'POST', body: JSON.stringify(feedback) });

/** The newest card Cairn issued for a finding: the same rule (cards list newest first). */
export function latestCardFor(cards: readonly IssuedCard[], ruleId: string): IssuedCard | undefined {
  return cards.find((c) => c.rule?.id === ruleId);
}

/**
 * The card link's appContext (CDS Hooks 2.0), which the EHR returns beside the access token: JSON
 * naming the service, the rule and the finding. Anything else is ignored (the app opens at the top).
 */
export interface AppContext {
  service?: string;
  rule?: string;
  condition?: string;
  nctIds?: string[];
  decisionPoint?: string;
}

export function appContextOf(client: Client): AppContext | undefined {
  const raw: unknown = client.state.tokenResponse?.appContext;
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const o = parsed as Record<string, unknown>;
    const text = (k: string) => (typeof o[k] === 'string' ? { [k]: o[k] } : {});
    const nctIds = Array.isArray(o.nctIds) ? o.nctIds.filter((x): x is string => typeof x === 'string') : undefined;
    return { ...text('service'), ...text('rule'), ...text('condition'), ...text('decisionPoint'), ...(nctIds && { nctIds }) };
  } catch {
    return undefined;
  }
}
