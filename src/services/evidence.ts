/**
 * A patient's evidence as structured data, for apps (GET /api/patients/{id}/evidence): what the
 * shipped services compute from the record, without the card around it. Triage (NEWS2, qSOFA,
 * shock index, the ESI decision points), every diagnosis finding with the values it rests on and
 * whether the problem list has it, trial matches with their criterion tables, the vital-sign and
 * lab series behind them, and the guideline passages, quoted in full with their document's edition.
 *
 * Nothing is computed here: each part comes from the same functions a card does (assessTriage,
 * evaluateCriteria and checkRecorded, the TrialMatcher), and whether a service would show a card
 * is asked of the card builders themselves, so no threshold or rule exists twice. What this module
 * adds is the choice of what to return and its shape.
 */
import type { Config } from '../config.js';
import { cairnVersion, type GuidelineRef, type RuleRef } from '../cards/provenance.js';
import { distinctPassages, type QuotedPassage } from '../cards/passages.js';
import { matchedRange } from '../cards/short-card.js';
import { derivePrefetchTemplates, type DataRequirements } from '../fhir/context/data-requirements.js';
import {
  buildPatientContext,
  defaultValueSetIndex,
  LAB_KEYS,
  QUANTITIES,
  VITAL_KEYS,
  type Age,
  type AdministrativeSex,
  type ConditionEntry,
  type Exclusion,
  type QuantityKey,
  type Reading,
} from '../fhir/context/index.js';
import { displayUnit } from '../fhir/context/units.js';
import type { GuidelineSearch } from '../knowledge/guideline-search.js';
import { findingsToShow, type HtnStage1Policy } from './diagnosis/alert-policy.js';
import { diagnosisCard } from './diagnosis/card.js';
import { DIAGNOSIS_RULES, evaluateCriteria } from './diagnosis/evaluate.js';
import type { Finding } from './diagnosis/finding.js';
import { criterionQuery, diagnosisBasis, nextStepQuery } from './diagnosis/guideline-basis.js';
import { checkRecorded, type RecordStatus } from './diagnosis/known.js';
import { DIAGNOSIS_DATA_REQUIREMENTS } from './diagnosis/service.js';
import type { AcuityFinding, AcuityResult } from './triage/acuity.js';
import { assessTriage, nothingToTriage, TRIAGE_RULE, WITH_FITTED_SCORE, type TriageAssessment } from './triage/assess.js';
import { highRiskPassage, triageCard, triageIndicator } from './triage/card.js';
import { DECISION_POINT_QUERY, guidelineBasis, NEWS2, NEWS2_BAND_QUERY, QSOFA_QUERY, SEPSIS } from './triage/guideline-basis.js';
import { knowledgeBaseHighRiskMatcher } from './triage/high-risk-matcher.js';
import type { News2Result } from './triage/news2.js';
import type { QsofaResult } from './triage/qsofa.js';
import { TRIAGE_DATA_REQUIREMENTS } from './triage/service.js';
import type { ShockIndexResult } from './triage/shock-index.js';
import { complaintNotReadConsequence, type ChiefComplaint, type ChiefComplaintNotRead, type SupplementalOxygen } from './triage/triage-input.js';
import type { TriageParameter } from './triage/types.js';
import { fittingTrials, TRIAL_MATCH_RULE } from './trials/card.js';
import type { TrialMatcher } from './trials/match.js';
import type { CriterionCounts, RankedTrial } from './trials/matching/rank.js';
import { RECRUITING_STATUSES } from './trials/matching/trial-record.js';
import { criterionRows, type CriterionRow } from './trials/screening/result.js';
import { fittingOptions, MAX_EMBEDDED_SENTENCES, TRIAL_CANDIDATES, TRIAL_MATCH_DATA_REQUIREMENTS } from './trials/service.js';
import { DEFAULT_TRIAL_STALE_DAYS, statusAsOfText, statusDate } from './trials/status-date.js';

// ---------------------------------------------------------------------------------------------
// The answer

/** A guideline passage as quoted: its text exactly as stored, and the document edition it comes from. */
export interface PassageEvidence {
  chunkId: string;
  documentId: string;
  title: string;
  /** The document's own version or date, when it states one. */
  version?: string;
  /** SHA-256 of the document as ingested. */
  contentHash: string;
  headingPath: string[];
  /** Verbatim. */
  text: string;
  kind: 'verbatim' | 'summary';
  citation: string;
  url?: string;
  grade?: string;
  gradeSystem?: string;
}

/**
 * The part of a quoted passage that speaks to what the finding asked the guideline (the sentences
 * a card would quote of it: src/cards/short-card.ts matchedRange), as character offsets into the
 * passage's `text`, so an app can show the passage in full and mark that part.
 */
export interface PassageMatch {
  chunkId: string;
  start: number;
  end: number;
}

/** An ESI finding, its knowledge-base passage named by chunk id (quoted in `passages` when its edition is known). */
export type EsiFindingEvidence = Omit<AcuityFinding, 'passage'> & { passage?: string };

export interface TriageEvidence {
  rule: RuleRef;
  /** What the triage card's indicator would be (critical, warning, info). */
  indicator: 'critical' | 'warning' | 'info';
  /** True when the triage service would show a card now (an info card only when the site shows those). */
  card: boolean;
  windowHours: number;
  /** Parameters with no reading in the window. */
  missing: TriageParameter[];
  chiefComplaint: ChiefComplaint | null;
  /** A reason for visit too long to read as a chief complaint: its source, length and what was left unchecked. */
  chiefComplaintNotRead?: ChiefComplaintNotRead & { detail: string };
  supplementalOxygen: SupplementalOxygen;
  news2: News2Result;
  qsofa: QsofaResult;
  shockIndex: ShockIndexResult;
  esi: Omit<AcuityResult, 'deciding' | 'findings' | 'unassessed' | 'considerations'> & {
    deciding: EsiFindingEvidence[];
    findings: EsiFindingEvidence[];
    unassessed: EsiFindingEvidence[];
    considerations: EsiFindingEvidence[];
  };
  /** The chief complaint against the handbook's high-risk situations. */
  highRisk: { status: 'matched' | 'not-matched' | 'no-complaint' | 'unavailable'; complaint?: string; passage?: string };
  /** Chunk ids of the passages the card would quote, in its order. */
  passages: string[];
  /** Where each of those passages answers the triage's question (its decision point, NEWS2 band, qSOFA, the complaint). */
  matches: PassageMatch[];
}

export interface DiagnosisEvidence extends Omit<Finding, 'notes'> {
  rule: RuleRef;
  notes: string[];
  /** Whether the problem list already has the condition (any category, active or without status). */
  problemList: { status: RecordStatus; reason: string; recordedStage: string | null; dataStage: string | null; recorded: ConditionEntry[] };
  /** True when the diagnosis service would show a card for this finding now. */
  card: boolean;
  /** Chunk ids of the guideline's criterion and next step (met findings only). */
  passages: { criterion?: string; nextStep?: string };
  /** Where each of those passages speaks to the finding's criterion, or to its next step. */
  matches: PassageMatch[];
}

export interface TrialMatchEvidence {
  nctId: string;
  title: string;
  /** The trial's ClinicalTrials.gov status. */
  status: string;
  /** The day the status was read from ClinicalTrials.gov (YYYY-MM-DD), and whether that is longer ago than CAIRN_TRIAL_STALE_DAYS (status-date.ts). */
  statusAsOf: string;
  statusMayBeOutOfDate: boolean;
  /** As the card says it: "status as of 3 Feb 2023 — may be out of date". */
  statusNote: string;
  /** ClinicalTrials.gov's last-update date of the record (YYYY-MM-DD), when the record has one. */
  lastUpdatePosted: string | null;
  category: RankedTrial['category'];
  /** 0–100, from retrieval relevance (rank.ts). */
  score: number;
  retrievalRank: number;
  summary: string;
  inclusion: CriterionCounts;
  exclusion: CriterionCounts;
  /** True when the trial-match card would list it (recruiting, eligible, its subject met on documented evidence, or the words below). */
  fits: boolean;
  /**
   * When it fits with no condition it studies documented: the patient's words its text also uses,
   * and the one statement (a note sentence, or the coded entries) they come from, as the card says it.
   */
  sharedWords?: { words: string[]; statement: { kind: 'note' | 'record'; source: string; text: string } };
  contentHash: string;
  /** Every criterion in the trial's order: met / not-met / unknown, what it rests on, the evidence and why. */
  criteria: CriterionRow[];
}

export type TrialsEvidence =
  | { status: 'off'; reason: string }
  | { status: 'matched'; rule: RuleRef; comparison: 'meaning-and-words' | 'words-only'; candidates: number; matches: TrialMatchEvidence[] };

export interface SeriesPoint {
  /** FHIR dateTime as recorded. */
  time: string;
  value: number;
  comparator?: Reading['comparator'];
  /** Whether `time` is the clinically relevant time or only when the result was issued. */
  timeSource: Reading['timeSource'];
  source: string;
}

export interface SeriesEvidence {
  key: QuantityKey;
  label: string;
  /** UCUM, the unit every point is converted to. */
  unit: string;
  /** The unit as a clinician reads it (mmHg for mm[Hg]). */
  displayUnit: string;
  /** Oldest first. */
  points: SeriesPoint[];
}

export interface PatientEvidence {
  referenceTime: string;
  patient: { id: string; birthDate: string | null; age: Age | null; sex: AdministrativeSex };
  /** Null when there is nothing to triage on: no core vital sign in the window and no complaint. */
  triage: TriageEvidence | null;
  diagnosis: DiagnosisEvidence[];
  trials: TrialsEvidence;
  series: { vitals: SeriesEvidence[]; labs: SeriesEvidence[]; consciousness: Array<{ time: string; level: string; code: string; display?: string; source: string }> };
  /** Every passage quoted above, once. */
  passages: PassageEvidence[];
  provenance: { cairnVersion: string; rules: RuleRef[]; guidelines: GuidelineRef[]; trials: Array<{ nctId: string; contentHash: string }> };
  /** What the record held that was set aside, with why (implausible values, unknown units, entered in error…). */
  exclusions: Exclusion[];
}

// ---------------------------------------------------------------------------------------------
// The engine

export interface EvidenceDeps {
  search: GuidelineSearch;
  config: Pick<Config, 'diagnosisHtnStage1' | 'diagnosisIndicator' | 'triageInfoCards' | 'triageFittedScore' | 'trialStaleDays'>;
  /** Without it (trials off) there are no trial matches. */
  trials?: TrialMatcher;
}

export interface EvidenceInput {
  /** The FHIR resources read (Bundles are flattened by the context builder). */
  resources: unknown[];
  patientId: string;
  encounterId?: string;
  referenceTime: Date;
}

/** Everything the three services read, so one read of the record serves them all. */
export function evidenceDataRequirements(withTrials: boolean): DataRequirements {
  const parts = [TRIAGE_DATA_REQUIREMENTS, DIAGNOSIS_DATA_REQUIREMENTS, ...(withTrials ? [TRIAL_MATCH_DATA_REQUIREMENTS] : [])];
  const union = (pick: (d: DataRequirements) => readonly string[] | undefined) => [...new Set(parts.flatMap((d) => pick(d) ?? []))];
  const any = (pick: (d: DataRequirements) => boolean | undefined) => parts.some((d) => pick(d) === true);
  return {
    observationValueSets: union((d) => d.observationValueSets),
    extraObservationCodes: union((d) => d.extraObservationCodes),
    encounters: any((d) => d.encounters),
    conditions: any((d) => d.conditions),
    medications: any((d) => d.medications),
    allergies: any((d) => d.allergies),
    procedures: any((d) => d.procedures),
    notes: any((d) => d.notes),
  };
}

export interface EvidenceEngine {
  /** The FHIR reads of one patient's evidence, as prefetch templates over `{{context.patientId}}`. */
  templates: Readonly<Record<string, string>>;
  assess(input: EvidenceInput): Promise<PatientEvidence>;
}

export function evidenceEngine(deps: EvidenceDeps): EvidenceEngine {
  const templates = derivePrefetchTemplates(evidenceDataRequirements(deps.trials !== undefined), defaultValueSetIndex());
  const matcher = knowledgeBaseHighRiskMatcher(deps.search);
  const htnStage1: HtnStage1Policy = deps.config.diagnosisHtnStage1 ?? 'with-indication';
  return {
    templates,
    async assess(input) {
      const { resources, patientId, referenceTime } = input;
      const ctx = buildPatientContext({ resources, referenceTime, patientId, ...(input.encounterId && { encounterId: input.encounterId }) });
      const now = referenceTime.toISOString();

      const [triaged, diagnosed, trials] = await Promise.all([
        (async (): Promise<{ evidence: TriageEvidence; passages: QuotedPassage[] } | null> => {
          // The same options as the hook (services/index.ts), so the app shows the card's level.
          const a = await assessTriage({ context: ctx, resources, matcher, ...(deps.config.triageFittedScore && { acuityOptions: WITH_FITTED_SCORE }) });
          if (nothingToTriage(a)) return null;
          const basis = await guidelineBasis(a, deps.search);
          const passages = distinctPassages([...basis, highRiskPassage(a)]);
          const card = triageCard(a, basis, { showInfo: deps.config.triageInfoCards ?? false, patientId, now, ...(input.encounterId && { encounterId: input.encounterId }) });
          return { evidence: triageEvidence(a, passages, card !== undefined), passages };
        })(),
        (async (): Promise<Array<{ evidence: DiagnosisEvidence; passages: QuotedPassage[] }>> => {
          const findings = evaluateCriteria(ctx);
          const shown = new Map(findingsToShow(findings, ctx, htnStage1).map((f) => [f.condition, f]));
          return Promise.all(
            findings.map(async (f) => {
              const finding = shown.get(f.condition) ?? f;
              const record = checkRecorded(finding, ctx);
              const basis = finding.status === 'met' ? await diagnosisBasis(finding, deps.search) : {};
              const card = shown.has(f.condition) && diagnosisCard(finding, record, basis, { patientId, indicator: deps.config.diagnosisIndicator ?? 'warning', now }) !== undefined;
              return {
                evidence: {
                  ...finding,
                  rule: DIAGNOSIS_RULES[finding.condition],
                  problemList: { status: record.status, reason: record.reason, recordedStage: record.recordedStage, dataStage: record.dataStage, recorded: record.recorded },
                  card,
                  passages: { ...(basis.criterion && { criterion: basis.criterion.chunkId }), ...(basis.nextStep && { nextStep: basis.nextStep.chunkId }) },
                  matches: passageMatches([
                    [basis.criterion, criterionQuery(finding)],
                    [basis.nextStep, nextStepQuery(finding)],
                  ]),
                },
                passages: distinctPassages([basis.criterion, basis.nextStep]),
              };
            }),
          );
        })(),
        trialEvidence(deps.trials, ctx, referenceTime, deps.config.trialStaleDays ?? DEFAULT_TRIAL_STALE_DAYS),
      ]);
      const triage = triaged?.evidence ?? null;
      const diagnosis = diagnosed.map((d) => d.evidence);
      // In the order the parts name them: triage's, then each finding's.
      const quoted = [...(triaged?.passages ?? []), ...diagnosed.flatMap((d) => d.passages)];
      const passages = distinctPassages(quoted);
      const rules = [...(triage ? [triage.rule] : []), ...diagnosis.map((d) => d.rule), ...(trials.status === 'matched' ? [trials.rule] : [])];
      return {
        referenceTime: ctx.referenceTime,
        patient: { id: patientId, birthDate: ctx.patient?.birthDate ?? null, age: ctx.patient?.age ?? null, sex: ctx.patient?.sex ?? 'unknown' },
        triage,
        diagnosis,
        trials,
        series: {
          vitals: VITAL_KEYS.flatMap((k) => seriesOf(k, ctx.vitals[k])),
          labs: LAB_KEYS.flatMap((k) => seriesOf(k, ctx.labs[k])),
          consciousness: ctx.consciousness.map((c) => ({ time: c.effective, level: c.level, code: c.coding.code, ...(c.coding.display && { display: c.coding.display }), source: c.source })),
        },
        passages: passages.map(passageEvidence),
        provenance: {
          cairnVersion: cairnVersion(),
          rules: [...new Map(rules.map((r) => [`${r.id}@${r.version}`, r])).values()],
          guidelines: [...new Map(passages.map((p) => [`${p.documentId}\u0000${p.documentHash}`, { documentId: p.documentId, ...(p.documentVersion !== undefined && { version: p.documentVersion }), contentHash: p.documentHash }])).values()],
          trials: trials.status === 'matched' ? trials.matches.map((m) => ({ nctId: m.nctId, contentHash: m.contentHash })) : [],
        },
        exclusions: ctx.exclusions,
      };
    },
  };
}

function passageEvidence(p: QuotedPassage): PassageEvidence {
  return {
    chunkId: p.chunkId,
    documentId: p.documentId,
    title: p.title,
    ...(p.documentVersion !== undefined && { version: p.documentVersion }),
    contentHash: p.documentHash,
    headingPath: p.headingPath,
    text: p.text,
    kind: p.kind,
    citation: p.citation,
    ...(p.url !== undefined && { url: p.url }),
    ...(p.grade !== undefined && { grade: p.grade }),
    ...(p.gradeSystem !== undefined && { gradeSystem: p.gradeSystem }),
  };
}

function passageMatches(asked: ReadonlyArray<readonly [QuotedPassage | undefined, string]>): PassageMatch[] {
  return asked.flatMap(([passage, question]) => {
    const range = passage && matchedRange(passage, question);
    return passage && range ? [{ chunkId: passage.chunkId, ...range }] : [];
  });
}

/** What the triage asked of each passage it quotes: the question it was retrieved for (guideline-basis.ts), by its document. */
function triageQuestion(a: TriageAssessment, p: QuotedPassage): string {
  const hr = a.highRisk;
  if ((hr.status === 'matched' || hr.status === 'not-matched') && hr.passage?.chunkId === p.chunkId) return `${hr.complaint} ${DECISION_POINT_QUERY.B}`;
  if (p.documentId === NEWS2) return NEWS2_BAND_QUERY[a.news2.band] ?? `NEWS2 ${a.news2.band} clinical risk`;
  if (p.documentId === SEPSIS) return QSOFA_QUERY;
  return `${DECISION_POINT_QUERY[a.acuity.setBy]} ${a.acuity.reason}`;
}

function esiFinding(f: AcuityFinding): EsiFindingEvidence {
  const { passage, ...rest } = f;
  return { ...rest, ...(passage && { passage: passage.chunkId }) };
}

function triageEvidence(a: TriageAssessment, passages: readonly QuotedPassage[], card: boolean): TriageEvidence {
  const { deciding, findings, unassessed, considerations, ...esi } = a.acuity;
  const hr = a.highRisk;
  return {
    rule: TRIAGE_RULE,
    indicator: triageIndicator(a),
    card,
    windowHours: a.observations.windowHours,
    missing: a.observations.missing,
    chiefComplaint: a.observations.chiefComplaint,
    ...(a.observations.chiefComplaintNotRead && {
      chiefComplaintNotRead: { ...a.observations.chiefComplaintNotRead, detail: complaintNotReadConsequence(a.observations.chiefComplaintNotRead) },
    }),
    supplementalOxygen: a.observations.supplementalOxygen,
    news2: a.news2,
    qsofa: a.qsofa,
    shockIndex: a.shockIndex,
    esi: { ...esi, deciding: deciding.map(esiFinding), findings: findings.map(esiFinding), unassessed: unassessed.map(esiFinding), considerations: considerations.map(esiFinding) },
    highRisk: {
      status: hr.status,
      ...(hr.status !== 'no-complaint' && { complaint: hr.complaint }),
      ...((hr.status === 'matched' || hr.status === 'not-matched') && hr.passage && { passage: hr.passage.chunkId }),
    },
    passages: passages.map((p) => p.chunkId),
    matches: passageMatches(passages.map((p) => [p, triageQuestion(a, p)] as const)),
  };
}

function seriesOf(key: QuantityKey, readings: readonly Reading[]): SeriesEvidence[] {
  if (readings.length === 0) return [];
  const q = QUANTITIES[key];
  return [
    {
      key,
      label: q.label,
      unit: q.canonicalUnit,
      displayUnit: displayUnit(q.canonicalUnit),
      points: readings.map((r) => ({ time: r.effective, value: r.value, ...(r.comparator && { comparator: r.comparator }), timeSource: r.timeSource, source: r.source })),
    },
  ];
}

async function trialEvidence(matcher: TrialMatcher | undefined, ctx: Parameters<TrialMatcher['prepare']>[0], now: Date, staleAfterDays: number): Promise<TrialsEvidence> {
  if (!matcher) return { status: 'off', reason: 'trial matching is off on this server (CAIRN_TRIALS=none and no CAIRN_CTGOV_REFRESH)' };
  // As the trial-match service: the recruiting trials closest to the record, note sentences by meaning up to the same bound.
  const prepared = await matcher.prepare(ctx, { maxEmbeddedSentences: MAX_EMBEDDED_SENTENCES });
  const result = await matcher.match(prepared.profile, { k: TRIAL_CANDIDATES, statuses: RECRUITING_STATUSES });
  const fitting = new Map(fittingTrials(result, fittingOptions()).map((f) => [f.ranked.nctId, f]));
  const trials = new Map(result.trials.map((t) => [t.nctId, t]));
  const judgements = new Map(result.judgements.map((j) => [j.nctId, j]));
  const matches: TrialMatchEvidence[] = result.ranking.flatMap((r) => {
    const trial = trials.get(r.nctId);
    const judgement = judgements.get(r.nctId);
    if (!trial || !judgement) return [];
    const date = statusDate(trial.fetchedAt, now, staleAfterDays);
    const fit = fitting.get(r.nctId);
    return [
      {
        nctId: r.nctId,
        title: trial.title,
        status: trial.status,
        statusAsOf: date.asOf,
        statusMayBeOutOfDate: date.stale,
        statusNote: statusAsOfText(date),
        lastUpdatePosted: trial.lastUpdatePosted,
        category: r.category,
        score: r.score,
        retrievalRank: r.retrievalRank,
        summary: r.summary,
        inclusion: r.inclusion,
        exclusion: r.exclusion,
        fits: fit !== undefined,
        ...(fit?.shared &&
          !fit.match && {
            sharedWords: {
              words: fit.shared.words.map((w) => w.word),
              statement: { kind: fit.shared.statement.kind, source: fit.shared.statement.source, text: fit.shared.statement.text },
            },
          }),
        contentHash: trial.contentHash,
        criteria: criterionRows(judgement),
      },
    ];
  });
  return { status: 'matched', rule: TRIAL_MATCH_RULE, comparison: prepared.embedding === 'lexical-only' ? 'words-only' : 'meaning-and-words', candidates: result.candidates.length, matches };
}
