/**
 * NEWS2: the National Early Warning Score 2 (Royal College of Physicians, 2017), chart 1 (the
 * scoring system) and chart 2 (clinical risk bands), implemented as published.
 *
 * Seven parameters, 0-3 points each: respiration rate, SpO2 (scale 1, or scale 2 for recorded
 * hypercapnic respiratory failure), air or oxygen, systolic BP, pulse, consciousness (ACVPU) and
 * temperature. The score is computed from what is recorded: a missing parameter contributes no
 * points, is listed in `missing`, and the total is then a lower bound (`complete: false`), never
 * presented as if the missing value were normal.
 */
import { CITATIONS } from './citations.js';
import type { TriageObservations } from './triage-input.js';
import { AVPU_WORDS, GCS_FULL } from './triage-input.js';
import type { Citation, ConsciousnessEvidence, Evidence, QuantityEvidence, ScoreApplicability } from './types.js';
import type { Chart } from './values.js';
import { describeValue, isBelow, lookUp } from './values.js';

export type News2Parameter =
  | 'respirationRate'
  | 'spo2'
  | 'airOrOxygen'
  | 'systolicBP'
  | 'pulse'
  | 'consciousness'
  | 'temperature';

/** Chart order, as on the RCP chart. */
export const NEWS2_PARAMETERS: readonly News2Parameter[] = [
  'respirationRate',
  'spo2',
  'airOrOxygen',
  'systolicBP',
  'pulse',
  'consciousness',
  'temperature',
];

export const NEWS2_LABELS: Readonly<Record<News2Parameter, string>> = {
  respirationRate: 'Respiration rate',
  spo2: 'SpO2',
  airOrOxygen: 'Air or oxygen',
  systolicBP: 'Systolic blood pressure',
  pulse: 'Pulse',
  consciousness: 'Consciousness',
  temperature: 'Temperature',
};

// --- Chart 1 (RCP 2017). Rows are inclusive on values rounded to the chart's resolution. -------

/** Respiration rate, breaths/min: ≤8 → 3, 9–11 → 1, 12–20 → 0, 21–24 → 2, ≥25 → 3 (RCP 2017 chart 1). */
export const RESPIRATION_RATE_CHART: Chart = {
  resolution: 1,
  rows: [
    { from: -Infinity, to: 8, points: 3 },
    { from: 9, to: 11, points: 1 },
    { from: 12, to: 20, points: 0 },
    { from: 21, to: 24, points: 2 },
    { from: 25, to: Infinity, points: 3 },
  ],
};

/** SpO2 scale 1, %: ≤91 → 3, 92–93 → 2, 94–95 → 1, ≥96 → 0 (RCP 2017 chart 1). */
export const SPO2_SCALE_1_CHART: Chart = {
  resolution: 1,
  rows: [
    { from: -Infinity, to: 91, points: 3 },
    { from: 92, to: 93, points: 2 },
    { from: 94, to: 95, points: 1 },
    { from: 96, to: Infinity, points: 0 },
  ],
};

/** SpO2 scale 2 on room air, %: ≤83 → 3, 84–85 → 2, 86–87 → 1, 88–92 and ≥93 on air → 0 (RCP 2017 chart 1). */
export const SPO2_SCALE_2_AIR_CHART: Chart = {
  resolution: 1,
  rows: [
    { from: -Infinity, to: 83, points: 3 },
    { from: 84, to: 85, points: 2 },
    { from: 86, to: 87, points: 1 },
    { from: 88, to: Infinity, points: 0 },
  ],
};

/**
 * SpO2 scale 2 on oxygen, %: as on air up to 92, then 93–94 → 1, 95–96 → 2, ≥97 → 3: above the
 * 88–92 % target on oxygen scores, because over-oxygenation harms these patients (RCP 2017 chart 1).
 */
export const SPO2_SCALE_2_OXYGEN_CHART: Chart = {
  resolution: 1,
  rows: [
    { from: -Infinity, to: 83, points: 3 },
    { from: 84, to: 85, points: 2 },
    { from: 86, to: 87, points: 1 },
    { from: 88, to: 92, points: 0 },
    { from: 93, to: 94, points: 1 },
    { from: 95, to: 96, points: 2 },
    { from: 97, to: Infinity, points: 3 },
  ],
};

/** Air or oxygen: air → 0, oxygen → 2 (RCP 2017 chart 1). */
export const AIR_POINTS = 0;
export const OXYGEN_POINTS = 2;

/** Systolic BP, mm Hg: ≤90 → 3, 91–100 → 2, 101–110 → 1, 111–219 → 0, ≥220 → 3 (RCP 2017 chart 1). */
export const SYSTOLIC_BP_CHART: Chart = {
  resolution: 1,
  rows: [
    { from: -Infinity, to: 90, points: 3 },
    { from: 91, to: 100, points: 2 },
    { from: 101, to: 110, points: 1 },
    { from: 111, to: 219, points: 0 },
    { from: 220, to: Infinity, points: 3 },
  ],
};

/** Pulse, beats/min: ≤40 → 3, 41–50 → 1, 51–90 → 0, 91–110 → 1, 111–130 → 2, ≥131 → 3 (RCP 2017 chart 1). */
export const PULSE_CHART: Chart = {
  resolution: 1,
  rows: [
    { from: -Infinity, to: 40, points: 3 },
    { from: 41, to: 50, points: 1 },
    { from: 51, to: 90, points: 0 },
    { from: 91, to: 110, points: 1 },
    { from: 111, to: 130, points: 2 },
    { from: 131, to: Infinity, points: 3 },
  ],
};

/** Consciousness (ACVPU): alert → 0; new confusion, voice, pain or unresponsive → 3 (RCP 2017 chart 1). */
export const CONSCIOUSNESS_POINTS: Readonly<Record<ConsciousnessEvidence['value'], number>> = { A: 0, C: 3, V: 3, P: 3, U: 3 };

/** Temperature, °C: ≤35.0 → 3, 35.1–36.0 → 1, 36.1–38.0 → 0, 38.1–39.0 → 1, ≥39.1 → 2 (RCP 2017 chart 1). */
export const TEMPERATURE_CHART: Chart = {
  resolution: 0.1,
  rows: [
    { from: -Infinity, to: 35.0, points: 3 },
    { from: 35.1, to: 36.0, points: 1 },
    { from: 36.1, to: 38.0, points: 0 },
    { from: 38.1, to: 39.0, points: 1 },
    { from: 39.1, to: Infinity, points: 2 },
  ],
};

/** RCP 2017: NEWS2 is for adults aged 16 years and over. */
export const NEWS2_ADULT_AGE_YEARS = 16;

// --- Chart 2 (RCP 2017): clinical risk bands. ------------------------------------------------

/** Aggregate 5–6 → medium, ≥7 → high; 0–4 → low, or low-medium when any one parameter scores 3. */
export const MEDIUM_RISK_TOTAL = 5;
export const HIGH_RISK_TOTAL = 7;
export const RED_SCORE_POINTS = 3;

export type News2Band = 'low' | 'low-medium' | 'medium' | 'high';

export interface News2ParameterScore {
  parameter: News2Parameter;
  label: string;
  /**
   * `scored`: points are certain. `missing`: nothing recorded, no points counted.
   * `lower-bound`: the reading allows more than one row (a comparator such as "SpO2 < 95", or
   * scale 2 with air/oxygen unknown); the fewest points are counted.
   */
  status: 'scored' | 'missing' | 'lower-bound';
  /** Points counted in the total; null when missing. */
  points: number | null;
  /** The most points this parameter could score given what is known (3 when missing). */
  maxPoints: number;
  /** The readings used (e.g. SpO2 and the oxygen reading it was scored with). */
  evidence: Evidence[];
  detail: string;
  citation: Citation;
}

export interface News2Result {
  score: 'NEWS2';
  /** Sum of the points scored; a lower bound when `complete` is false. */
  total: number;
  /** True when every parameter was scored with certainty. */
  complete: boolean;
  /** The highest total consistent with what is known (missing parameters at 3 points). */
  maxPossibleTotal: number;
  parameters: News2ParameterScore[];
  /** Parameters with no reading in the window. */
  missing: News2Parameter[];
  /** Chart 2 band from `total` (a lower bound when incomplete). */
  band: News2Band;
  /** The band holds whatever the items not recorded would score (news2BandSettled): else it is only a floor. */
  bandSettled: boolean;
  /** Any single parameter scored 3 (a "red score"). */
  anyParameterScored3: boolean;
  spo2Scale: 1 | 2;
  spo2ScaleBasis: string;
  /** NEWS2 is validated for adults aged 16 and over, not in pregnancy (RCP 2017). */
  applicability: ScoreApplicability;
  citation: Citation;
}

function scoredFromChart(
  parameter: News2Parameter,
  chart: Chart,
  reading: QuantityEvidence | null,
  citation: Citation = CITATIONS.news2Chart1,
): News2ParameterScore {
  const label = NEWS2_LABELS[parameter];
  if (!reading) {
    return { parameter, label, status: 'missing', points: null, maxPoints: 3, evidence: [], detail: `${label}: not recorded in the window`, citation };
  }
  const hit = lookUp(chart, reading.value, reading.comparator);
  return {
    parameter,
    label,
    status: hit.certain ? 'scored' : 'lower-bound',
    points: hit.points,
    maxPoints: hit.maxPoints,
    evidence: [reading],
    detail: hit.certain
      ? `${label} ${describeValue(reading)}: ${hit.points}`
      : `${label} ${describeValue(reading)}: ${hit.points} to ${hit.maxPoints} (counted ${hit.points})`,
    citation,
  };
}

function spo2Score(obs: TriageObservations, scale: 1 | 2): News2ParameterScore {
  const reading = obs.vitals.spo2.latest;
  if (scale === 1) return scoredFromChart('spo2', SPO2_SCALE_1_CHART, reading);
  const label = NEWS2_LABELS.spo2;
  const citation = CITATIONS.news2Scale2;
  if (!reading) {
    return { parameter: 'spo2', label, status: 'missing', points: null, maxPoints: 3, evidence: [], detail: `${label}: not recorded in the window`, citation };
  }
  const o2 = obs.supplementalOxygen;
  const air = lookUp(SPO2_SCALE_2_AIR_CHART, reading.value, reading.comparator);
  const oxygen = lookUp(SPO2_SCALE_2_OXYGEN_CHART, reading.value, reading.comparator);
  if (o2.status !== 'unknown') {
    const hit = o2.status === 'air' ? air : oxygen;
    return {
      parameter: 'spo2',
      label,
      status: hit.certain ? 'scored' : 'lower-bound',
      points: hit.points,
      maxPoints: hit.maxPoints,
      evidence: [reading, o2.evidence],
      detail: `${label} ${describeValue(reading)} on ${o2.status} (scale 2): ${hit.certain ? hit.points : `${hit.points} to ${hit.maxPoints}`}`,
      citation,
    };
  }
  // Air or oxygen unknown: on scale 2 a saturation of 93 % or more scores only on oxygen.
  const points = Math.min(air.points, oxygen.points);
  const maxPoints = Math.max(air.maxPoints, oxygen.maxPoints);
  return {
    parameter: 'spo2',
    label,
    status: points === maxPoints ? 'scored' : 'lower-bound',
    points,
    maxPoints,
    evidence: [reading],
    detail:
      points === maxPoints
        ? `${label} ${describeValue(reading)} (scale 2): ${points}`
        : `${label} ${describeValue(reading)} (scale 2): ${points} on air, ${oxygen.points} on oxygen; air or oxygen not recorded, counted ${points}`,
    citation,
  };
}

function airOrOxygenScore(obs: TriageObservations): News2ParameterScore {
  const o2 = obs.supplementalOxygen;
  const label = NEWS2_LABELS.airOrOxygen;
  const citation = CITATIONS.news2Chart1;
  if (o2.status === 'unknown') {
    return { parameter: 'airOrOxygen', label, status: 'missing', points: null, maxPoints: OXYGEN_POINTS, evidence: [], detail: `${label}: ${o2.detail}`, citation };
  }
  const points = o2.status === 'oxygen' ? OXYGEN_POINTS : AIR_POINTS;
  return {
    parameter: 'airOrOxygen',
    label,
    status: 'scored',
    points,
    maxPoints: points,
    evidence: [o2.evidence],
    detail: `${o2.status === 'oxygen' ? 'Oxygen' : 'Air'} (${o2.detail}): ${points}`,
    citation,
  };
}

/**
 * ACVPU from the latest AVPU assessment. When only a GCS is recorded (or it is more recent), GCS
 * 15 is read as Alert and GCS < 15 as not alert (3 points): GCS 15 means oriented, eyes open
 * spontaneously and obeying commands (Teasdale & Jennett, Lancet 1974), which is ACVPU "A"; a GCS
 * below 15 cannot be "A". This may score chronic confusion as new; that errs towards review.
 */
function consciousnessScore(obs: TriageObservations): News2ParameterScore {
  const label = NEWS2_LABELS.consciousness;
  const citation = CITATIONS.news2Chart1;
  const avpu = obs.consciousness.latest;
  const gcs = obs.vitals.gcs.latest;
  const useGcs = gcs !== null && (avpu === null || gcs.effectiveTime > avpu.effectiveTime);
  if (!useGcs && avpu) {
    const points = CONSCIOUSNESS_POINTS[avpu.value];
    return { parameter: 'consciousness', label, status: 'scored', points, maxPoints: points, evidence: [avpu], detail: `${label}: ${AVPU_WORDS[avpu.value]} (${avpu.value}): ${points}`, citation };
  }
  if (gcs) {
    const below15 = isBelow(gcs, GCS_FULL, 1);
    if (below15 === null) {
      return { parameter: 'consciousness', label, status: 'lower-bound', points: 0, maxPoints: 3, evidence: [gcs], detail: `${label}: GCS ${describeValue(gcs)} does not say whether the patient is alert; counted 0`, citation };
    }
    const points = below15 ? 3 : 0;
    return {
      parameter: 'consciousness',
      label,
      status: 'scored',
      points,
      maxPoints: points,
      evidence: [gcs],
      detail: `${label}: GCS ${describeValue(gcs)} read as ${below15 ? 'not alert (GCS < 15)' : 'alert (GCS 15)'}; no more recent AVPU: ${points}`,
      citation,
    };
  }
  return { parameter: 'consciousness', label, status: 'missing', points: null, maxPoints: 3, evidence: [], detail: `${label}: no AVPU or GCS recorded in the window`, citation };
}

/**
 * Whether the band holds whatever the items not recorded would score: complete, or already high,
 * or the highest possible total (each missing item scoring 3, RCP 2017 chart 1) falls in the same
 * band. A lower bound of 0 with two items missing is not "low": it could be medium.
 */
export function news2BandSettled(r: Pick<News2Result, 'complete' | 'band' | 'maxPossibleTotal'>): boolean {
  return r.complete || r.band === 'high' || news2Band(r.maxPossibleTotal, true) === r.band;
}

export function news2Band(total: number, anyParameterScored3: boolean): News2Band {
  if (total >= HIGH_RISK_TOTAL) return 'high';
  if (total >= MEDIUM_RISK_TOTAL) return 'medium';
  return anyParameterScored3 ? 'low-medium' : 'low';
}

function applicability(obs: TriageObservations): News2Result['applicability'] {
  const notes: string[] = [];
  let applicable: boolean | 'unknown' = true;
  const age = obs.patient.age;
  if (!age) {
    applicable = 'unknown';
    notes.push('age unknown: NEWS2 is validated for adults aged 16 and over');
  } else if (age.years < NEWS2_ADULT_AGE_YEARS) {
    applicable = false;
    notes.push(`age ${age.display}: NEWS2 is not validated under 16 years; use a paediatric early warning score`);
  }
  if (obs.patient.pregnancy === 'pregnant') {
    applicable = false;
    notes.push('pregnant: NEWS2 is not validated in pregnancy; use an obstetric early warning score');
  }
  return { applicable, notes };
}

export function computeNews2(obs: TriageObservations): News2Result {
  const hypercapnia = obs.hypercapnicRespiratoryFailure;
  const spo2Scale: 1 | 2 = hypercapnia.recorded ? 2 : 1;
  const spo2ScaleBasis = hypercapnia.recorded
    ? `scale 2: hypercapnic respiratory failure recorded (${hypercapnia.conditions.map((c) => `${c.text}, ${c.source}`).join('; ')}); the prescribed 88-92 % target is assumed, confirm it`
    : hypercapnia.notUsed.length > 0
      ? `scale 1: hypercapnic respiratory failure listed but not used (${hypercapnia.notUsed.map((c) => `${c.text}: ${c.why}`).join('; ')})`
      : 'scale 1: no hypercapnic respiratory failure recorded';

  const parameters: News2ParameterScore[] = [
    scoredFromChart('respirationRate', RESPIRATION_RATE_CHART, obs.vitals.respiratoryRate.latest),
    spo2Score(obs, spo2Scale),
    airOrOxygenScore(obs),
    scoredFromChart('systolicBP', SYSTOLIC_BP_CHART, obs.vitals.systolicBP.latest),
    scoredFromChart('pulse', PULSE_CHART, obs.vitals.heartRate.latest),
    consciousnessScore(obs),
    scoredFromChart('temperature', TEMPERATURE_CHART, obs.vitals.temperature.latest),
  ];
  const total = parameters.reduce((sum, p) => sum + (p.points ?? 0), 0);
  const maxPossibleTotal = parameters.reduce((sum, p) => sum + p.maxPoints, 0);
  const anyParameterScored3 = parameters.some((p) => p.points === RED_SCORE_POINTS);
  const complete = parameters.every((p) => p.status === 'scored');
  const band = news2Band(total, anyParameterScored3);
  return {
    score: 'NEWS2',
    total,
    complete,
    maxPossibleTotal,
    parameters,
    missing: parameters.filter((p) => p.status === 'missing').map((p) => p.parameter),
    band,
    bandSettled: news2BandSettled({ complete, band, maxPossibleTotal }),
    anyParameterScored3,
    spo2Scale,
    spo2ScaleBasis,
    applicability: applicability(obs),
    citation: CITATIONS.news2Bands,
  };
}
