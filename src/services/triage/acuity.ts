/**
 * Acuity on the Emergency Severity Index, version 4 (AHRQ ESI Implementation Handbook, 2005):
 * the four decision points of the algorithm, each criterion a finding with its evidence.
 *
 *   A  requires an immediate life-saving intervention?          yes → level 1
 *   B  high-risk situation, new confusion/lethargy/disorientation,
 *      or severe pain/distress?                                 yes → level 2
 *   C  how many resources?  none → 5, one → 4, many → D
 *   D  danger-zone vital signs for age?                         yes → consider level 2, else 3
 *
 * The core, `assessAcuity`, is a pure function of data: the triage observations, the result of
 * the high-risk complaint match (made beforehand by the knowledge base, see `assessHighRisk`) and
 * the expected resources. It never guesses:
 * - a criterion whose data are missing is `met: null` and is reported in `unassessed`, with the
 *   most urgent level it could have set (`possibleLevels`);
 * - without a resource estimate, levels 4 and 5 are not assigned: the level is 3, the most urgent
 *   level left once A and B are not met, and `possibleLevels.leastUrgent` says it could be 5.
 *
 * The handbook describes a nurse's judgement; this module turns its examples into data-driven
 * criteria. Where it had to pick a number the handbook does not state, the criterion cites the
 * source of the number (PALS, ACLS, ATLS, Surviving Sepsis) beside the ESI chapter it implements.
 */
import type { Age } from '../../fhir/context/index.js';
import { CITATIONS } from './citations.js';
import type { ChiefComplaint, TriageObservations } from './triage-input.js';
import { AVPU_WORDS, complaintNotReadWords, describeExcluded, latestMentalStatus } from './triage-input.js';
import type { Citation, ConsciousnessEvidence, Evidence, GuidelinePassage, HighRiskMatcher, QuantityEvidence, VitalParameter } from './types.js';
import type { ResourceAdjustment, ResourceMatch, ResourceType } from './resources.js';
import { describeValue, isAbove, isAtLeast, isAtMost, isBelow } from './values.js';
import { withoutNegatedFindings } from './negation.js';
import { evaluateScore, outsideDomain, scoreFeatures, type FeatureValue, type ScoreResult, type TriageScoreModel } from './fitted-score.js';

export type EsiLevel = 1 | 2 | 3 | 4 | 5;
export type DecisionPoint = 'A' | 'B' | 'C' | 'D';

// --- thresholds ------------------------------------------------------------------------------

/** ESI v4 ch. 3, decision point A: "SpO2 < 90 percent". */
export const LEVEL1_SPO2_BELOW = 90;
/**
 * ESI v4 ch. 3 level-1 example "Overdose with a respiratory rate of 6"; the cut-off ≤ 8/min is the
 * most extreme respiration-rate band of NEWS2 (RCP 2017 chart 1), the handbook giving no number.
 */
export const LEVEL1_RESPIRATORY_RATE_AT_MOST = 8;
/** ATLS 10th ed. (2018): GCS ≤ 8 needs a definitive airway, an immediate life-saving intervention. */
export const LEVEL1_GCS_AT_MOST = 8;
/** ESI v4 ch. 3 level-1 example "Chest pain, pale, diaphoretic, blood pressure 70/palp" (adults). */
export const LEVEL1_SYSTOLIC_BP_AT_MOST = 70;
/** Adult hypotension: SBP < 90 mm Hg (Surviving Sepsis Campaign 2012, Dellinger et al. 2013). */
export const ADULT_HYPOTENSION_BELOW = 90;
/** ESI v4 ch. 6: "a heart rate of 32 or 180" found at triage is life-threatening (ch. 3: "30 or 200"). */
export const LEVEL1_HEART_RATE_AT_MOST = 32;
export const LEVEL1_HEART_RATE_AT_LEAST = 180;
/** AHA ACLS 2020: bradycardia typically < 50/min, tachyarrhythmia typically ≥ 150/min (with poor perfusion). */
export const UNSTABLE_BRADYCARDIA_BELOW = 50;
export const UNSTABLE_TACHYCARDIA_AT_LEAST = 150;
/** AHA PALS 2020: heart rate < 60/min with poor perfusion in an infant or child → start CPR. */
export const PAEDIATRIC_BRADYCARDIA_BELOW = 60;
/** ESI v4 ch. 4: a pain rating of 7/10 or greater is considered for level 2. */
export const SEVERE_PAIN_AT_LEAST = 7;
/** ESI v4 ch. 4 (pediatrics): fever in an infant under 28 days is ≥ 38.0 °C (100.4 °F). */
export const INFANT_FEVER_AT_LEAST = 38.0;
/** ESI v4 ch. 6: children 3-36 months "highly febrile" above 39.0 °C (ACEP 2003). */
export const CHILD_HIGH_FEVER_ABOVE = 39.0;
/** ESI v4 ch. 6, Figure 6-1: SpO2 < 92 % is a danger-zone vital sign at every age. */
export const DANGER_ZONE_SPO2_BELOW = 92;

export type DangerZoneAgeBand = 'under-3-months' | '3-months-to-3-years' | '3-to-8-years' | 'over-8-years';

/** ESI v4 ch. 6, Figure 6-1 (decision point D): HR and RR above these, by age, are danger-zone. */
export const DANGER_ZONE_BY_AGE: Readonly<Record<DangerZoneAgeBand, { heartRateAbove: number; respiratoryRateAbove: number; label: string }>> = {
  'under-3-months': { heartRateAbove: 180, respiratoryRateAbove: 50, label: '< 3 months' },
  '3-months-to-3-years': { heartRateAbove: 160, respiratoryRateAbove: 40, label: '3 months - 3 years' },
  '3-to-8-years': { heartRateAbove: 140, respiratoryRateAbove: 30, label: '3 - 8 years' },
  'over-8-years': { heartRateAbove: 100, respiratoryRateAbove: 20, label: '> 8 years' },
};

/**
 * The handbook's age bands: < 3 months; 3 months to 3 years; 3 to 8 years; older than 8 years.
 * "Older than 8 years" is read literally, from the first completed month after the 8th birthday.
 * Unknown age: the > 8 years limits are used, the lowest (most sensitive) heart and respiratory
 * rate limits of the table, and the finding says so.
 */
export function dangerZoneAgeBand(age: Age | null): { band: DangerZoneAgeBand; basis: string } {
  if (!age) return { band: 'over-8-years', basis: 'age unknown: the > 8 years limits (the most sensitive) were used' };
  const basis = `age ${age.display}${age.approximate ? ' (approximate)' : ''}`;
  if (age.months < 3) return { band: 'under-3-months', basis };
  if (age.months < 36) return { band: '3-months-to-3-years', basis };
  if (age.months <= 96) return { band: '3-to-8-years', basis };
  return { band: 'over-8-years', basis };
}

/**
 * AHA PALS 2020 hypotension: SBP < 60 in term neonates (0-28 days), < 70 from 1 to 12 months,
 * < 70 + 2 × age in years from 1 to 10 years, < 90 from 10 years. Null: adult rules apply.
 */
export function paediatricHypotensionBelow(age: Age | null): number | null {
  if (!age || age.years >= 10) return null;
  if (age.days <= 28) return 60;
  if (age.years < 1) return 70;
  return 70 + 2 * age.years;
}

// --- inputs ----------------------------------------------------------------------------------

/** The chief complaint matched against the handbook's high-risk presentations (knowledge base). */
export type HighRiskAssessment =
  | { status: 'matched'; complaint: string; passage?: GuidelinePassage }
  | { status: 'not-matched'; complaint: string; passage?: GuidelinePassage }
  | { status: 'no-complaint' }
  | { status: 'unavailable'; complaint: string; reason: string };

/**
 * Decision point C: how many different resources the ED is expected to use (ESI v4 ch. 5). The
 * estimate from the resource table (resources.ts) carries its matches, so the card can show them.
 */
export type ResourceEstimate =
  | {
      status: 'estimated';
      count: 'none' | 'one' | 'many';
      basis: string;
      resources?: ResourceType[];
      matches?: ResourceMatch[];
      adjustments?: ResourceAdjustment[];
      unexplainedWords?: string[];
      unreadParts?: string[];
    }
  | { status: 'unknown'; reason: string };

export interface AcuityOptions {
  /**
   * ESI v4 ch. 4: pain ≥ 7/10 is "considered" for level 2, not assigned automatically.
   * `with-physiological-signs` (default): sets level 2 only with a danger-zone heart or respiratory
   * rate for age (the handbook's "diaphoretic, tachycardic" patient); otherwise a consideration.
   * `always`: any pain ≥ 7/10 sets level 2.
   */
  severePain?: 'with-physiological-signs' | 'always';
  /**
   * ESI v4 ch. 6: with danger-zone vitals the nurse "must strongly consider up-triaging".
   * `upgrade` (default): level 3 becomes 2. `consider`: stays 3, the finding is shown.
   */
  dangerZone?: 'upgrade' | 'consider';
  /**
   * ESI v4 appendix A, ch. 6 FAQ 8: vital signs need not be taken for levels 4 and 5, but "the
   * prudent nurse will ... take the vital sign information into account". `consider` (handbook
   * default): danger-zone vitals are shown beside a level 4 or 5. `level-3`: with danger-zone
   * vitals fewer than two resources are not trusted and the level stays 3.
   */
  dangerZoneWithFewerResources?: 'consider' | 'level-3';
  /**
   * The level given when no resource is expected: 5 (the handbook), or 4 as a safety margin
   * (the estimate of "none" is the least certain one, see docs/EVALUATION.md).
   */
  noResourceLevel?: 4 | 5;
  /**
   * Which route decides the high-risk complaint (decision point B). `either` (default): the
   * knowledge-base match of a chapter 4 section, or a resource-table row that ch. 4 names high
   * risk. `table-first`: when the complaint matched a resource-table row, the row's verdict stands
   * (the knowledge-base match can land on a ch. 4 section that says most such patients are not
   * level 2, e.g. Wound Management); the knowledge base decides complaints the table does not know
   * or understood only in part (a word no row accounts for).
   */
  highRiskSource?: 'either' | 'table-first';
  /**
   * Cairn's fitted points scores (fitted-score.ts, weights in triage-score.json) for two of the
   * handbook's "consider" judgements: when a danger-zone heart or respiratory rate (with or without
   * pain ≥ 7/10) becomes level 2, and whether the resource table's level 3 or 4 holds. Null
   * (default): the handbook's defaults above decide.
   */
  fittedScore?: TriageScoreModel | null;
}

export interface AcuityInput {
  observations: TriageObservations;
  highRisk: HighRiskAssessment;
  /** Default: unknown (then levels 4 and 5 are not assigned). */
  resources?: ResourceEstimate;
  options?: AcuityOptions;
}

// --- output ----------------------------------------------------------------------------------

export type AcuityCriterion =
  | 'unresponsive'
  | 'spo2-below-90'
  | 'respiratory-rate-8-or-less'
  | 'systolic-bp-70-or-less'
  | 'hypotension-with-hypoperfusion'
  | 'paediatric-hypotension'
  | 'extreme-heart-rate'
  | 'unstable-heart-rate'
  | 'paediatric-bradycardia'
  | 'high-risk-complaint'
  | 'new-confusion-lethargy-disorientation'
  | 'severe-pain'
  | 'febrile-infant-under-3-months'
  | 'hypotension'
  | 'high-fever-3-to-36-months'
  | 'danger-zone-heart-rate'
  | 'danger-zone-respiratory-rate'
  | 'danger-zone-spo2';

export interface AcuityFinding {
  decisionPoint: DecisionPoint;
  criterion: AcuityCriterion;
  label: string;
  /** true: met; false: assessed and not met; null: could not be assessed (data missing). */
  met: boolean | null;
  /**
   * What the finding does when met: `sets-level` (the decision point's level), `floor` (rules
   * out levels 4 and 5) or `consider` (shown for the nurse's judgement; the level is unchanged).
   */
  effect: 'sets-level' | 'floor' | 'consider';
  evidence: Evidence[];
  detail: string;
  citation: Citation;
  /** The knowledge-base passage behind a high-risk complaint match. */
  passage?: GuidelinePassage;
}

export interface AcuityResult {
  system: 'ESI v4';
  level: EsiLevel;
  setBy: DecisionPoint;
  reason: string;
  /** The met findings that set the level (empty when it follows from C or from passing D). */
  deciding: AcuityFinding[];
  /** Every criterion evaluated, in algorithm order. */
  findings: AcuityFinding[];
  /** Range of levels consistent with what is known; both equal `level` when nothing is open. */
  possibleLevels: { mostUrgent: EsiLevel; leastUrgent: EsiLevel };
  /** Criteria at decision points above `level` that could not be assessed. */
  unassessed: AcuityFinding[];
  /** Met findings that did not change the level but a nurse should weigh. */
  considerations: AcuityFinding[];
  resources: ResourceEstimate;
  dangerZone: { band: DangerZoneAgeBand; basis: string };
  /** The fitted scores computed for this patient (only those that applied). */
  scores: ScoreResult[];
  citation: Citation;
}

// --- helpers ---------------------------------------------------------------------------------

const LEVEL_OF: Readonly<Record<DecisionPoint, EsiLevel>> = { A: 1, B: 2, C: 3, D: 2 };

function finding(
  decisionPoint: DecisionPoint,
  criterion: AcuityCriterion,
  label: string,
  met: boolean | null,
  evidence: Array<Evidence | null | undefined>,
  detail: string,
  citation: Citation,
  effect: AcuityFinding['effect'] = 'sets-level',
): AcuityFinding {
  return { decisionPoint, criterion, label, met, effect, evidence: evidence.filter((e): e is Evidence => !!e), detail, citation };
}

/** "heart rate not recorded in the last 24 h", or, when it was recorded but not usable, why. */
function missingDetail(what: string, obs: TriageObservations, vital?: VitalParameter): string {
  const excluded = vital ? obs.excluded[vital] : undefined;
  if (excluded?.length) return `${what} in the last ${obs.windowHours} h ${describeExcluded(excluded)}`;
  return `${what} not recorded in the last ${obs.windowHours} h`;
}

/** The newest mental-status assessments (AVPU and/or GCS taken at the newest time). */
function newestMentation(obs: TriageObservations): { avpu: ConsciousnessEvidence | null; gcs: QuantityEvidence | null } {
  const avpu = obs.consciousness.latest;
  const gcs = obs.vitals.gcs.latest;
  if (avpu && gcs) {
    if (avpu.effectiveTime > gcs.effectiveTime) return { avpu, gcs: null };
    if (gcs.effectiveTime > avpu.effectiveTime) return { avpu: null, gcs };
  }
  return { avpu, gcs };
}

/** One of: met, not met, or unknown, combined over alternatives ("any of"). */
function anyOf(values: Array<boolean | null>): boolean | null {
  if (values.some((v) => v === true)) return true;
  if (values.length > 0 && values.every((v) => v === false)) return false;
  return null;
}

// --- decision point A --------------------------------------------------------------------------

function decisionPointA(obs: TriageObservations): AcuityFinding[] {
  const { avpu, gcs } = newestMentation(obs);
  const spo2 = obs.vitals.spo2.latest;
  const rr = obs.vitals.respiratoryRate.latest;
  const sbp = obs.vitals.systolicBP.latest;
  const hr = obs.vitals.heartRate.latest;
  const age = obs.patient.age;
  const findings: AcuityFinding[] = [];

  // Responds only to pain, unresponsive, or GCS ≤ 8.
  {
    const byAvpu = avpu ? avpu.value === 'P' || avpu.value === 'U' : null;
    const byGcs = gcs ? isAtMost(gcs, LEVEL1_GCS_AT_MOST, 1) : null;
    const met = avpu || gcs ? anyOf([byAvpu, byGcs].filter((v) => v !== null)) : null;
    const parts: string[] = [];
    if (avpu) parts.push(`ACVPU ${AVPU_WORDS[avpu.value]}`);
    if (gcs) parts.push(`GCS ${describeValue(gcs)}`);
    findings.push(
      finding(
        'A',
        'unresponsive',
        'Responds only to pain or unresponsive (AVPU P/U, or GCS ≤ 8)',
        met,
        [avpu, gcs],
        parts.length > 0 ? parts.join('; ') : missingDetail('AVPU or GCS', obs),
        byGcs === true && byAvpu !== true ? CITATIONS.atlsAirway : CITATIONS.esiLevel1Avpu,
      ),
    );
  }

  findings.push(
    finding(
      'A',
      'spo2-below-90',
      'SpO2 < 90 %',
      spo2 ? isBelow(spo2, LEVEL1_SPO2_BELOW, 1) : null,
      [spo2],
      spo2 ? `SpO2 ${describeValue(spo2)}` : missingDetail('SpO2', obs, 'spo2'),
      CITATIONS.esiLevel1,
    ),
  );

  findings.push(
    finding(
      'A',
      'respiratory-rate-8-or-less',
      'Respiratory rate ≤ 8/min (apnoea or severe bradypnoea)',
      rr ? isAtMost(rr, LEVEL1_RESPIRATORY_RATE_AT_MOST, 1) : null,
      [rr],
      rr ? `respiratory rate ${describeValue(rr)}` : missingDetail('respiratory rate', obs, 'respiratoryRate'),
      CITATIONS.esiLevel1Examples,
    ),
  );

  const mental = latestMentalStatus(obs);
  const alteredMentation = mental.status === 'unknown' ? null : mental.status === 'altered';
  const paediatricBpLimit = paediatricHypotensionBelow(age);
  if (paediatricBpLimit === null) {
    // Adults (≥ 10 years, or age unknown: the adult limits are the higher, more sensitive ones).
    findings.push(
      finding(
        'A',
        'systolic-bp-70-or-less',
        'Systolic BP ≤ 70 mm Hg',
        sbp ? isAtMost(sbp, LEVEL1_SYSTOLIC_BP_AT_MOST, 1) : null,
        [sbp],
        sbp ? `systolic BP ${describeValue(sbp)}` : missingDetail('systolic BP', obs, 'systolicBP'),
        CITATIONS.esiLevel1Examples,
      ),
    );
    // Hypotension with a sign of hypoperfusion that data can show: altered mentation, or a heart
    // rate at or above the systolic pressure (shock index ≥ 1.0, Allgöwer 1967).
    const hypotensive = sbp ? isBelow(sbp, ADULT_HYPOTENSION_BELOW, 1) : null;
    const tachycardicForPressure = sbp && hr && !hr.comparator && !sbp.comparator ? hr.value >= sbp.value : null;
    const signs = anyOf([alteredMentation, tachycardicForPressure]);
    const met = hypotensive === false ? false : hypotensive === true ? signs : null;
    findings.push(
      finding(
        'A',
        'hypotension-with-hypoperfusion',
        'Systolic BP < 90 mm Hg with signs of hypoperfusion (altered mentation or heart rate ≥ systolic BP)',
        met,
        [sbp, met ? (tachycardicForPressure ? hr : mental.evidence) : null],
        sbp
          ? `systolic BP ${describeValue(sbp)}${hypotensive ? `; ${mental.detail}${hr ? `; heart rate ${describeValue(hr)}` : '; heart rate not recorded'}` : ''}`
          : missingDetail('systolic BP', obs, 'systolicBP'),
        CITATIONS.esiLevel1Examples,
      ),
    );
  } else {
    findings.push(
      finding(
        'A',
        'paediatric-hypotension',
        `Systolic BP below the PALS limit for age (< ${paediatricBpLimit} mm Hg)`,
        sbp ? isBelow(sbp, paediatricBpLimit, 1) : null,
        [sbp],
        sbp ? `systolic BP ${describeValue(sbp)} at ${age?.display ?? 'unknown age'}; in children hypotension is a late sign of shock` : missingDetail('systolic BP', obs, 'systolicBP'),
        CITATIONS.palsHypotension,
      ),
    );
  }

  const band = dangerZoneAgeBand(age);
  if (age && band.band !== 'over-8-years') {
    findings.push(
      finding(
        'A',
        'paediatric-bradycardia',
        'Heart rate < 60/min in an infant or child',
        hr ? isBelow(hr, PAEDIATRIC_BRADYCARDIA_BELOW, 1) : null,
        [hr],
        hr ? `heart rate ${describeValue(hr)} at ${age.display}` : missingDetail('heart rate', obs, 'heartRate'),
        CITATIONS.palsHypotension,
      ),
    );
  } else {
    findings.push(
      finding(
        'A',
        'extreme-heart-rate',
        'Heart rate ≤ 32 or ≥ 180/min',
        hr ? anyOf([isAtMost(hr, LEVEL1_HEART_RATE_AT_MOST, 1), isAtLeast(hr, LEVEL1_HEART_RATE_AT_LEAST, 1)]) : null,
        [hr],
        hr ? `heart rate ${describeValue(hr)}` : missingDetail('heart rate', obs, 'heartRate'),
        CITATIONS.esiExtremeHeartRate,
      ),
    );
    const abnormalRate = hr ? anyOf([isBelow(hr, UNSTABLE_BRADYCARDIA_BELOW, 1), isAtLeast(hr, UNSTABLE_TACHYCARDIA_AT_LEAST, 1)]) : null;
    const hypotensive = sbp ? isBelow(sbp, ADULT_HYPOTENSION_BELOW, 1) : null;
    const signs = anyOf([alteredMentation, hypotensive]);
    const met = abnormalRate === false ? false : abnormalRate === true ? signs : null;
    findings.push(
      finding(
        'A',
        'unstable-heart-rate',
        'Heart rate < 50 or ≥ 150/min with signs of hypoperfusion (systolic BP < 90 mm Hg or altered mentation)',
        met,
        [hr, met ? (hypotensive ? sbp : mental.evidence) : null],
        hr
          ? `heart rate ${describeValue(hr)}${abnormalRate ? `; ${sbp ? `systolic BP ${describeValue(sbp)}` : 'systolic BP not recorded'}; ${mental.detail}` : ''}`
          : missingDetail('heart rate', obs, 'heartRate'),
        CITATIONS.aclsRates,
      ),
    );
  }
  return findings;
}

// --- decision point B --------------------------------------------------------------------------

function decisionPointB(
  obs: TriageObservations,
  highRisk: HighRiskAssessment,
  resources: ResourceEstimate,
  options: Required<AcuityOptions>,
  dangerZoneRate: boolean | null,
  dangerZoneScore: ScoreResult | null,
): AcuityFinding[] {
  const findings: AcuityFinding[] = [];
  const age = obs.patient.age;

  {
    // Two routes to a high-risk complaint: the knowledge-base match of the handbook's chapter 4,
    // and a resource-table row that ch. 4 names high risk (the table cites the passage).
    const tableRow = resources.status === 'estimated' ? resources.matches?.find((m) => m.highRisk !== undefined) : undefined;
    // The table decides alone only when it understood every word of the complaint.
    const tableDecides =
      options.highRiskSource === 'table-first' &&
      resources.status === 'estimated' &&
      (resources.matches?.length ?? 0) > 0 &&
      (resources.unexplainedWords?.length ?? 1) === 0;
    const met = tableRow ? true : tableDecides ? false : highRisk.status === 'matched' ? true : highRisk.status === 'not-matched' ? false : null;
    const rows = resources.status === 'estimated' ? (resources.matches ?? []).map((m) => `"${m.label}"`).join(' and ') : '';
    const detail = tableRow
      ? `chief complaint matches "${tableRow.label}" (words "${tableRow.matchedWords.join(' ')}"), a high-risk situation of the ESI handbook: ${tableRow.highRisk}`
      : tableDecides
        ? `chief complaint matches ${rows} of the resource table, which the ESI handbook does not name high risk`
        : highRisk.status === 'matched'
        ? `chief complaint "${highRisk.complaint}" matches a high-risk presentation of the ESI handbook`
        : highRisk.status === 'not-matched'
          ? `chief complaint "${highRisk.complaint}" matched no high-risk presentation in the knowledge base`
          : highRisk.status === 'no-complaint'
            ? `${obs.chiefComplaintNotRead ? `chief complaint not read (${complaintNotReadWords(obs.chiefComplaintNotRead)})` : 'no chief complaint recorded'}: high-risk presentations could not be checked`
            : `high-risk presentations could not be checked (knowledge base unavailable: ${highRisk.reason})`;
    const f = finding('B', 'high-risk-complaint', 'High-risk situation (chief complaint)', met, [], detail, CITATIONS.esiLevel2);
    if ((highRisk.status === 'matched' || highRisk.status === 'not-matched') && highRisk.passage) f.passage = highRisk.passage;
    findings.push(f);
  }

  {
    // Any departure from "alert": ch. 4 tells the nurse to assume it is new when history is unknown.
    const mental = latestMentalStatus(obs);
    findings.push(
      finding(
        'B',
        'new-confusion-lethargy-disorientation',
        'New confusion, lethargy or disorientation (not alert, or GCS < 15)',
        mental.status === 'unknown' ? null : mental.status === 'altered',
        [mental.evidence],
        mental.status === 'unknown' ? missingDetail('AVPU or GCS', obs) : `${mental.detail}${mental.status === 'altered' ? '; assumed new (baseline not recorded)' : ''}`,
        CITATIONS.esiNewConfusion,
      ),
    );
  }

  {
    const pain = obs.pain.latest;
    const severe = pain ? isAtLeast(pain, SEVERE_PAIN_AT_LEAST, 1) : null;
    const scoreSaysNot2 = dangerZoneScore !== null && !dangerZoneScore.urgent;
    const setsLevel = options.severePain === 'always' || (dangerZoneRate === true && !scoreSaysNot2);
    const signs =
      options.severePain === 'always'
        ? ''
        : dangerZoneRate === true
          ? dangerZoneScore
            ? `; with a danger-zone heart or respiratory rate for age: ${dangerZoneScore.summary}${scoreSaysNot2 ? ': for the nurse to consider' : ''}`
            : '; with a danger-zone heart or respiratory rate for age'
          : dangerZoneRate === false
            ? '; heart and respiratory rate not in the danger zone: for the nurse to consider'
            : '; heart or respiratory rate not recorded: for the nurse to consider';
    findings.push(
      finding(
        'B',
        'severe-pain',
        'Severe pain (≥ 7/10)',
        severe,
        [pain],
        pain ? `pain ${describeValue(pain)}/10${severe ? signs : ''}` : missingDetail('pain score', obs),
        CITATIONS.esiSeverePain,
        setsLevel ? 'sets-level' : 'consider',
      ),
    );
  }

  if (age && age.months < 3) {
    const temp = obs.vitals.temperature.latest;
    findings.push(
      finding(
        'B',
        'febrile-infant-under-3-months',
        'Fever ≥ 38.0 °C in an infant under 3 months',
        temp ? isAtLeast(temp, INFANT_FEVER_AT_LEAST, 0.1) : null,
        [temp],
        temp ? `temperature ${describeValue(temp)} at ${age.display}` : `${missingDetail('temperature', obs, 'temperature')} (required under 3 years)`,
        CITATIONS.esiFebrileInfant,
      ),
    );
  }

  if (paediatricHypotensionBelow(age) === null) {
    // Judgement call: the handbook's level-1 hypotension needs signs of hypoperfusion; without
    // them an adult SBP < 90 mm Hg is still treated as a high-risk situation (ch. 6 case: BP 90/60
    // with tachycardia was up-triaged to level 2), rather than left to resources.
    const sbp = obs.vitals.systolicBP.latest;
    findings.push(
      finding(
        'B',
        'hypotension',
        'Systolic BP < 90 mm Hg',
        sbp ? isBelow(sbp, ADULT_HYPOTENSION_BELOW, 1) : null,
        [sbp],
        sbp ? `systolic BP ${describeValue(sbp)}` : missingDetail('systolic BP', obs, 'systolicBP'),
        CITATIONS.hypotensionAdult,
      ),
    );
  }
  return findings;
}

// --- decision point C (floors) -------------------------------------------------------------------

function decisionPointCFloors(obs: TriageObservations): AcuityFinding[] {
  const age = obs.patient.age;
  if (!age || age.months < 3 || age.months >= 36) return [];
  const temp = obs.vitals.temperature.latest;
  return [
    finding(
      'C',
      'high-fever-3-to-36-months',
      'Fever > 39.0 °C at 3-36 months (immunisation status and source unknown to Cairn)',
      temp ? isAbove(temp, CHILD_HIGH_FEVER_ABOVE, 0.1) : null,
      [temp],
      temp ? `temperature ${describeValue(temp)} at ${age.display}` : `${missingDetail('temperature', obs, 'temperature')} (required under 3 years)`,
      CITATIONS.esiFebrileChild,
      'floor',
    ),
  ];
}

// --- decision point D ------------------------------------------------------------------------

function decisionPointD(
  obs: TriageObservations,
  band: { band: DangerZoneAgeBand; basis: string },
  effect: AcuityFinding['effect'],
  rateEffect: AcuityFinding['effect'] = effect,
): AcuityFinding[] {
  const limits = DANGER_ZONE_BY_AGE[band.band];
  const hr = obs.vitals.heartRate.latest;
  const rr = obs.vitals.respiratoryRate.latest;
  const spo2 = obs.vitals.spo2.latest;
  return [
    finding(
      'D',
      'danger-zone-heart-rate',
      `Heart rate > ${limits.heartRateAbove}/min (${limits.label})`,
      hr ? isAbove(hr, limits.heartRateAbove, 1) : null,
      [hr],
      hr ? `heart rate ${describeValue(hr)}; ${band.basis}` : missingDetail('heart rate', obs, 'heartRate'),
      CITATIONS.esiDangerZone,
      rateEffect,
    ),
    finding(
      'D',
      'danger-zone-respiratory-rate',
      `Respiratory rate > ${limits.respiratoryRateAbove}/min (${limits.label})`,
      rr ? isAbove(rr, limits.respiratoryRateAbove, 1) : null,
      [rr],
      rr ? `respiratory rate ${describeValue(rr)}; ${band.basis}` : missingDetail('respiratory rate', obs, 'respiratoryRate'),
      CITATIONS.esiDangerZone,
      rateEffect,
    ),
    finding(
      'D',
      'danger-zone-spo2',
      'SpO2 < 92 %',
      spo2 ? isBelow(spo2, DANGER_ZONE_SPO2_BELOW, 1) : null,
      [spo2],
      spo2 ? `SpO2 ${describeValue(spo2)}` : missingDetail('SpO2', obs, 'spo2'),
      CITATIONS.esiDangerZone,
      effect,
    ),
  ];
}

// --- the algorithm ---------------------------------------------------------------------------

/** The features of Cairn's fitted scores for this patient (the same for the card and the fit). */
export function fittedScoreFeatures(obs: TriageObservations, highRisk: HighRiskAssessment, resources: ResourceEstimate): FeatureValue[] {
  const limits = DANGER_ZONE_BY_AGE[dangerZoneAgeBand(obs.patient.age).band];
  return scoreFeatures({
    heartRate: obs.vitals.heartRate.latest,
    respiratoryRate: obs.vitals.respiratoryRate.latest,
    systolicBP: obs.vitals.systolicBP.latest,
    temperature: obs.vitals.temperature.latest,
    pain: obs.pain.latest,
    ageYears: obs.patient.age?.years ?? null,
    heartRateLine: limits.heartRateAbove,
    respiratoryRateLine: limits.respiratoryRateAbove,
    resources: resources.status === 'estimated' ? (resources.resources ?? null) : null,
    highRiskPassage: highRisk.status === 'matched',
  });
}

/** "one resource expected (complaint matched …)" or "no resources expected (…)": an estimate of fewer than two. */
function fewResourcesExpected(r: Extract<ResourceEstimate, { status: 'estimated' }>): string {
  return `${r.count === 'one' ? 'one resource' : 'no resources'} expected (${r.basis})`;
}

export function assessAcuity(input: AcuityInput): AcuityResult {
  const obs = input.observations;
  const options: Required<AcuityOptions> = {
    severePain: input.options?.severePain ?? 'with-physiological-signs',
    dangerZone: input.options?.dangerZone ?? 'upgrade',
    dangerZoneWithFewerResources: input.options?.dangerZoneWithFewerResources ?? 'consider',
    noResourceLevel: input.options?.noResourceLevel ?? 5,
    highRiskSource: input.options?.highRiskSource ?? 'either',
    fittedScore: input.options?.fittedScore ?? null,
  };
  const resources: ResourceEstimate = input.resources ?? { status: 'unknown', reason: 'no resource estimate was given' };
  const band = dangerZoneAgeBand(obs.patient.age);

  // The fitted scores (fitted-score.ts): the danger-zone score only with a danger-zone heart or
  // respiratory rate; the resource score only where the resource table chooses between 3 and 4.
  const model =
    options.fittedScore && !outsideDomain({ ageYears: obs.patient.age?.years ?? null, heartRate: obs.vitals.heartRate.latest }, options.fittedScore) ? options.fittedScore : null;
  const features = model ? fittedScoreFeatures(obs, input.highRisk, resources) : null;
  const dRates = decisionPointD(obs, band, 'consider').filter((f) => f.criterion !== 'danger-zone-spo2');
  const dangerZoneRate = anyOf(dRates.map((f) => f.met));
  const dangerZoneScore = model && features && dangerZoneRate === true && options.dangerZone === 'upgrade' ? evaluateScore('danger-zone', features, model) : null;
  const rateEffect: AcuityFinding['effect'] = options.dangerZone === 'upgrade' && !(dangerZoneScore && !dangerZoneScore.urgent) ? 'sets-level' : 'consider';
  const d = decisionPointD(obs, band, options.dangerZone === 'upgrade' ? 'sets-level' : 'consider', rateEffect);
  const a = decisionPointA(obs);
  const b = decisionPointB(obs, input.highRisk, resources, options, dangerZoneRate, dangerZoneScore);
  // Severe pain with a danger-zone rate that the score did not make level 2: not below level 3.
  const painFloor = dangerZoneScore !== null && !dangerZoneScore.urgent && b.some((f) => f.criterion === 'severe-pain' && f.met === true);
  const resourceScore =
    model && features && resources.status === 'estimated' && resources.count !== 'none'
      ? evaluateScore('resources', features, model, resources.count === 'one')
      : null;
  const scores: ScoreResult[] = [];
  const c = decisionPointCFloors(obs);
  const findings = [...a, ...b, ...c, ...d];
  const setting = (fs: AcuityFinding[]): AcuityFinding[] => fs.filter((f) => f.met === true && f.effect === 'sets-level');

  let level: EsiLevel;
  let setBy: DecisionPoint;
  let reason: string;
  let deciding: AcuityFinding[] = [];
  // Could the level be less urgent than assigned, had the resources been known?
  let lessUrgentIfFewerResources = false;

  const floors = c.filter((f) => f.met === true);
  // Parts of the complaint the resource table did not read ("s/p fall" and "SDH" of "L leg pain,
  // s/p fall, SDH"): its estimate covers only the rest, and levels 4 and 5 need an estimate of all
  // of it, as they do when nothing of it was read (ESI v4 ch. 5: levels 4 and 5 rest on the resources expected).
  const unread = resources.status === 'estimated' ? (resources.unreadParts ?? []) : [];
  if (setting(a).length > 0) {
    level = 1;
    setBy = 'A';
    deciding = setting(a);
    reason = `requires immediate life-saving intervention: ${deciding.map((f) => f.label).join('; ')}`;
  } else if (setting(b).length > 0) {
    level = 2;
    setBy = 'B';
    deciding = setting(b);
    reason = `should not wait (high risk): ${deciding.map((f) => f.label).join('; ')}`;
  } else if (
    resources.status === 'estimated' &&
    resources.count !== 'many' &&
    unread.length === 0 &&
    floors.length === 0 &&
    !painFloor &&
    !(options.dangerZoneWithFewerResources === 'level-3' && d.some((f) => f.met === true))
  ) {
    level = resources.count === 'one' ? 4 : options.noResourceLevel;
    setBy = 'C';
    const margin = resources.count === 'none' && level === 4 ? '; level 5 is not assigned (safety margin of the operating point)' : '';
    reason = `${fewResourcesExpected(resources)}${margin}`;
    if (resources.count === 'one' && resourceScore) {
      scores.push(resourceScore);
      if (resourceScore.urgent) {
        level = 3;
        reason = `${reason}; level 3 or 4: ${resourceScore.summary} → level 3`;
      } else reason = `${reason}; level 3 or 4: ${resourceScore.summary} → level 4`;
    }
  } else {
    const dangerWithFew = resources.status === 'estimated' && resources.count !== 'many' && floors.length === 0 && (unread.length === 0 || d.some((f) => f.met === true));
    const why =
      resources.status === 'unknown'
        ? `resources could not be estimated (${resources.reason}): levels 4 and 5 need a resource estimate`
        : resources.count === 'many'
          ? `two or more resources expected (${resources.basis})`
          : dangerWithFew
            ? `${fewResourcesExpected(resources)}, but with danger-zone vital signs the estimate is not relied on`
            : unread.length > 0 && floors.length === 0
              ? `${fewResourcesExpected(resources)}, but the resource table did not read ${unread.map((p) => `"${p}"`).join(' and ')} of the chief complaint: levels 4 and 5 need a resource estimate of all of it`
              : `${floors.map((f) => f.label).join('; ')}: at least level 3`;
    lessUrgentIfFewerResources = (resources.status === 'unknown' || unread.length > 0) && floors.length === 0;
    const dangerMet = d.filter((f) => f.met === true);
    // The values, not only the lines: "heart rate 128/min; respiratory rate 26/min".
    const dangerValues = dangerMet.map((f) => f.detail.split(';')[0]).join('; ');
    if (setting(d).length > 0 && !dangerWithFew) {
      level = 2;
      setBy = 'D';
      deciding = setting(d);
      const scored = dangerZoneScore && !deciding.some((f) => f.criterion === 'danger-zone-spo2') ? `; ${dangerValues}, level 2 or 3: ${dangerZoneScore.summary} → level 2` : '';
      reason = `danger-zone vital signs (${deciding.map((f) => f.label).join('; ')}); ${why}${scored}`;
    } else if (dangerZoneScore && !dangerZoneScore.urgent && dangerMet.length > 0 && (!dangerWithFew || painFloor)) {
      level = 3;
      setBy = 'D';
      const pain = b.find((f) => f.criterion === 'severe-pain' && f.met === true);
      const painWords = pain ? `severe pain (${pain.detail.split(';')[0]}) with ` : '';
      const floorWords = painFloor && dangerWithFew ? ' (with severe pain and a danger-zone rate, not below level 3)' : '';
      reason = `${why}; ${painWords}danger-zone vital signs (${dangerValues}), level 2 or 3: ${dangerZoneScore.summary} → level 3${floorWords}`;
    } else if (
      resourceScore &&
      !resourceScore.urgent &&
      resources.status === 'estimated' &&
      resources.count === 'many' &&
      unread.length === 0 &&
      floors.length === 0 &&
      dangerMet.length === 0
    ) {
      scores.push(resourceScore);
      level = 4;
      setBy = 'C';
      reason = `${why}; level 3 or 4: ${resourceScore.summary} → level 4`;
    } else if (dangerWithFew) {
      level = 3;
      setBy = 'D';
      deciding = d.filter((f) => f.met === true);
      reason = `${why} (${deciding.map((f) => f.label).join('; ')}): level 3`;
    } else {
      level = 3;
      setBy = 'D';
      reason = `${why}; no danger-zone vital signs`;
      if (resourceScore && resources.status === 'estimated' && resources.count === 'many' && floors.length === 0 && dangerMet.length === 0) {
        scores.push(resourceScore);
        reason = `${reason}; level 3 or 4: ${resourceScore.summary} → level 3`;
      }
    }
  }
  // The danger-zone score is reported when it decided: on the way to D, or severe pain with a rate.
  if (dangerZoneScore && (setBy === 'D' || painFloor || deciding.some((f) => f.criterion === 'severe-pain'))) scores.unshift(dangerZoneScore);

  // Criteria that could not be assessed and would have set a more urgent level. Decision point D
  // only applies on the way to level 3 (not when C gave 4 or 5).
  const dApplies = setBy === 'D';
  const unassessed = findings.filter((f) => {
    if (f.met !== null || f.effect === 'consider') return false;
    if (f.decisionPoint === 'D') return dApplies && LEVEL_OF.D < level;
    if (f.decisionPoint === 'C') return level > 3; // a floor matters only when 4 or 5 was assigned
    return LEVEL_OF[f.decisionPoint] < level;
  });
  const mostUrgent = Math.min(level, ...unassessed.map((f) => LEVEL_OF[f.decisionPoint])) as EsiLevel;
  const leastUrgent: EsiLevel = lessUrgentIfFewerResources ? 5 : level;

  // Met findings that did not set the level: "consider" findings, and danger-zone vitals found
  // when the level came from resources (ESI v4 appendix A, ch. 6 FAQ 8: the prudent nurse weighs them).
  const considerations = findings.filter(
    (f) => f.met === true && !deciding.includes(f) && (f.effect === 'consider' || (f.decisionPoint === 'D' && setBy === 'C')),
  );

  return {
    system: 'ESI v4',
    level,
    setBy,
    reason,
    deciding,
    findings,
    possibleLevels: { mostUrgent, leastUrgent },
    unassessed,
    considerations,
    resources,
    dangerZone: band,
    scores,
    citation: CITATIONS.esiAlgorithm,
  };
}

// --- the knowledge-base step, kept outside the pure core -------------------------------------------

/**
 * Runs the injected matcher on the chief complaint. A matcher failure is reported as
 * `unavailable`, never as "not high risk".
 */
export async function assessHighRisk(complaint: ChiefComplaint | string | null | undefined, matcher: HighRiskMatcher): Promise<HighRiskAssessment> {
  const text = (typeof complaint === 'string' ? complaint : complaint?.text)?.trim();
  if (!text) return { status: 'no-complaint' };
  // The knowledge base is asked about what the complaint states, not what it says is absent.
  const stated = withoutNegatedFindings(text);
  if (!/\p{L}/u.test(stated)) return { status: 'not-matched', complaint: text };
  try {
    const result: unknown = await matcher(stated);
    if (typeof result !== 'object' || result === null || typeof (result as { matched?: unknown }).matched !== 'boolean') {
      return { status: 'unavailable', complaint: text, reason: 'the matcher returned no matched: boolean' };
    }
    const { matched, passage } = result as { matched: boolean; passage?: GuidelinePassage };
    const base = { status: matched ? ('matched' as const) : ('not-matched' as const), complaint: text };
    return passage ? { ...base, passage } : base;
  } catch (err) {
    return { status: 'unavailable', complaint: text, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** Matches the chief complaint through the knowledge base, then runs the pure algorithm. */
export async function assessAcuityWithMatcher(
  observations: TriageObservations,
  matcher: HighRiskMatcher,
  resources?: ResourceEstimate,
  options?: AcuityOptions,
): Promise<AcuityResult> {
  const highRisk = await assessHighRisk(observations.chiefComplaint, matcher);
  const input: AcuityInput = { observations, highRisk };
  if (resources) input.resources = resources;
  if (options) input.options = options;
  return assessAcuity(input);
}
