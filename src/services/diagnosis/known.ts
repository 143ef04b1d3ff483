/**
 * "Only what the clinician does not know yet": is the condition of a finding already in the
 * record? A card is worth showing only when it is not, or when the data show a different stage
 * from the one recorded (e.g. CKD stage 3a recorded, eGFR now in G4).
 *
 * What counts as recorded:
 * - a Condition whose code is in the condition's value set (fhir-profiles/valuesets), which already
 *   holds the more specific codes (hypertensive CKD and heart disease I11–I13 for hypertension;
 *   type 2 diabetes with complications E11.x and Synthea's complication codes for diabetes);
 * - for prediabetes, a recorded diabetes too: diabetes supersedes prediabetes;
 * - for CKD, also the SNOMED CT stage 3A/3B concepts (700378005, 700379002), which cairn-ckd does
 *   not list yet (listed here so a staged record is never missed);
 * - when a terminology server is configured (CAIRN_TERMINOLOGY_URL), also a Condition whose SNOMED CT
 *   code the server places under the condition's concept (RECORDING_CONCEPTS), e.g. a subtype of
 *   essential hypertension no value set lists; the lookups are in known-terminology.ts, and without
 *   an answer in time the value sets alone decide;
 * - any category (problem-list item, encounter diagnosis, health concern): each shows the clinician
 *   has seen it;
 * - active at the reference time, or with no clinical status at all (on the record and not said to
 *   be over). Resolved / inactive / remission and abated conditions do not count: the data showing
 *   the condition again is news;
 * - tentative ones (provisional, differential, unconfirmed) count: the clinician is already
 *   considering it, and Cairn's own accepted suggestion is written as provisional;
 * - entered-in-error and refuted Conditions never reach PatientContext (excluded by the builder).
 *
 * Stage: only CKD and obesity have codes that carry a stage Cairn can compare (CKD stage 1–5 and
 * 3a/3b in SNOMED CT and ICD-10-CM N18.x; obesity class 1–3 in ICD-10-CM E66.811–E66.813 and
 * Z68.3x/Z68.4x, SNOMED CT 408512008 BMI 40+). The most recently recorded staged entry is the
 * clinician's current view. A recorded condition without a stage is "recorded-same-stage": nothing
 * on the record contradicts the data.
 */
import type { CodingSummary, ConditionEntry, PatientContext } from '../../fhir/context/index.js';
import type { ConditionKey, Finding } from './finding.js';

export type RecordStatus = 'unknown-to-record' | 'recorded-same-stage' | 'recorded-different-stage';

export interface RecordCheck {
  status: RecordStatus;
  /** The Condition entries that record the condition (or a more specific / superseding one). */
  recorded: ConditionEntry[];
  /** The stage the record states (e.g. '3a', 'class 2'), when a recorded code carries one. */
  recordedStage: string | null;
  /** The stage the data show, in the same terms. */
  dataStage: string | null;
  /** One line for a reviewer: why this status. */
  reason: string;
}

/**
 * Conditions a terminology server found to record a finding's condition, beyond the value sets:
 * the `source` of each ConditionEntry whose SNOMED CT code is the condition's concept or a
 * descendant of it (known-terminology.ts). Absent when no server is configured or it could not
 * answer in time: then the value sets alone decide.
 */
export type RecordedBySubsumption = ReadonlyMap<ConditionKey, ReadonlySet<string>>;

/**
 * The SNOMED CT concepts whose descendants record each condition (asked of a terminology server
 * when one is configured). Prediabetes lists diabetes too: diabetes supersedes it.
 */
export const RECORDING_CONCEPTS: Readonly<Record<ConditionKey, readonly string[]>> = {
  hypertension: ['38341003'], // Hypertensive disorder, systemic arterial (disorder)
  diabetes: ['73211009'], // Diabetes mellitus (disorder)
  prediabetes: ['15777000', '73211009'], // Prediabetes (finding); Diabetes mellitus (disorder)
  ckd: ['709044004'], // Chronic kidney disease (disorder)
  aki: ['14669001'], // Acute kidney injury (disorder)
  obesity: ['414916001'], // Obesity (disorder)
  sepsis: ['91302008'], // Sepsis (disorder)
};

/** Value sets whose Conditions record each finding's condition. */
export const RECORDED_BY: Readonly<Record<ConditionKey, readonly string[]>> = {
  hypertension: ['cairn-hypertension'],
  diabetes: ['cairn-diabetes'],
  prediabetes: ['cairn-prediabetes', 'cairn-diabetes'],
  ckd: ['cairn-ckd'],
  aki: ['cairn-aki'],
  obesity: ['cairn-obesity'],
  sepsis: ['cairn-sepsis'],
};

const SCT = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';

/** CKD stage by code (SNOMED CT concepts; ICD-10-CM N18.x, FY2021 added N18.30–N18.32). */
const CKD_STAGE_BY_SNOMED: ReadonlyMap<string, string> = new Map([
  ['431855005', '1'],
  ['431856006', '2'],
  ['433144002', '3'],
  ['700378005', '3a'],
  ['700379002', '3b'],
  ['431857002', '4'],
  ['433146000', '5'],
  ['46177005', '5'], // end-stage renal disease
]);
const CKD_STAGE_BY_ICD: ReadonlyMap<string, string> = new Map([
  ['N181', '1'],
  ['N182', '2'],
  ['N183', '3'],
  ['N1830', '3'],
  ['N1831', '3a'],
  ['N1832', '3b'],
  ['N184', '4'],
  ['N185', '5'],
  ['N186', '5'], // end stage renal disease
]);

function icdKey(code: string): string {
  return code.replace(/\./g, '').toUpperCase().trim();
}

function isIcd(c: CodingSummary): boolean {
  return c.system === ICD10CM || c.system === ICD10;
}

function ckdStageOf(codings: readonly CodingSummary[]): string | null {
  for (const c of codings) {
    const s = c.system === SCT ? CKD_STAGE_BY_SNOMED.get(c.code.trim()) : isIcd(c) ? CKD_STAGE_BY_ICD.get(icdKey(c.code)) : undefined;
    if (s) return s;
  }
  return null;
}

/** Obesity class by code: ICD-10-CM E66.811–E66.813 (FY2025), Z68.30–Z68.45 BMI bands, SNOMED CT BMI 40+. */
function obesityClassOf(codings: readonly CodingSummary[]): string | null {
  for (const c of codings) {
    if (c.system === SCT && c.code.trim() === '408512008') return 'class 3';
    if (!isIcd(c)) continue;
    const k = icdKey(c.code);
    if (k === 'E66811') return 'class 1';
    if (k === 'E66812') return 'class 2';
    if (k === 'E66813') return 'class 3';
    const z = /^Z68(3[0-9]|4[1-5])$/.exec(k);
    if (z) {
      const band = Number(z[1]); // Z68.30–Z68.39: BMI 30–39.9 by whole unit; Z68.41–Z68.45: 40 and over
      if (band >= 41) return 'class 3';
      return band >= 35 ? 'class 2' : 'class 1';
    }
  }
  return null;
}

/** The stage of a finding in the terms of recorded codes ('3a' for G3a; 'class 1' for obesity). */
export function dataStageOf(finding: Finding): string | null {
  if (finding.stage === null) return null;
  if (finding.condition === 'ckd') {
    const m = /\bG(1|2|3a|3b|4|5)\b/.exec(finding.stage);
    return m ? (m[1] as string) : null;
  }
  if (finding.condition === 'obesity') return /^class [123]$/.test(finding.stage) ? finding.stage : null;
  return null;
}

function recordedStageOf(key: ConditionKey, entry: ConditionEntry): string | null {
  if (key === 'ckd') return ckdStageOf(entry.codings);
  if (key === 'obesity') return obesityClassOf(entry.codings);
  return null;
}

/** A recorded stage agrees with the data when equal, or when it is the coarser stage ('3' for '3a'/'3b'). */
function sameStage(recorded: string, data: string): boolean {
  return recorded === data || (recorded === '3' && (data === '3a' || data === '3b'));
}

/** Whether a Condition records `key` by the shipped value sets alone (offline). */
export function recordsByValueSet(key: ConditionKey, c: ConditionEntry): boolean {
  return c.valueSets.some((v) => RECORDED_BY[key].includes(v)) || (key === 'ckd' && ckdStageOf(c.codings) !== null);
}

/**
 * Conditions that record `key` (see the module comment for what counts), by the value sets and,
 * when given, by a terminology server's subsumption answers.
 */
export function recordedConditions(key: ConditionKey, ctx: PatientContext, bySubsumption?: RecordedBySubsumption): ConditionEntry[] {
  const subsumed = bySubsumption?.get(key);
  return ctx.conditions.filter((c) => c.activeAtReference !== 'no' && (recordsByValueSet(key, c) || (subsumed?.has(c.source) ?? false)));
}

/**
 * Words that name each condition in a Condition's text or display (our own list). Used only to
 * point the clinician at entries the code lists did not recognise (free text, a local code, a
 * SNOMED CT concept no value set lists), never to decide that a condition is recorded: "diabetes
 * insipidus" or "pulmonary hypertension" would match too, and only a reader can tell.
 */
const NAMED_BY: Readonly<Record<ConditionKey, RegExp>> = {
  hypertension: /\b(?:hypertension|hypertensive|htn|high blood pressure)\b/i,
  diabetes: /\b(?:diabetes|diabetic|dm|t[12]dm|niddm|iddm)\b/i,
  prediabetes: /\b(?:pre-?diabet(?:es|ic)|impaired fasting glucose|impaired glucose tolerance|diabetes|diabetic|t2dm)\b/i,
  ckd: /\b(?:ckd|esrd|chronic (?:kidney|renal)|kidney disease|renal (?:disease|insufficiency|failure)|end[- ]stage renal)\b/i,
  aki: /\b(?:aki|acute (?:kidney|renal) (?:injury|failure))\b/i,
  obesity: /\b(?:obesity|obese)\b/i,
  sepsis: /\b(?:sepsis|septic|septicaemia|septicemia)\b/i,
};

/**
 * Active entries whose words name `key`, asked only when none records it by code: what a
 * clinician should look at before believing "not on the problem list".
 */
function unlistedMentions(key: ConditionKey, ctx: PatientContext): Array<{ source: string; text: string }> {
  return ctx.conditions.flatMap((c) => {
    if (c.activeAtReference === 'no') return [];
    const text = c.text ?? c.codings.find((k) => k.display)?.display;
    return text && NAMED_BY[key].test(text) ? [{ source: c.source, text }] : [];
  });
}

export function checkRecorded(finding: Finding, ctx: PatientContext, bySubsumption?: RecordedBySubsumption): RecordCheck {
  const recorded = recordedConditions(finding.condition, ctx, bySubsumption);
  const dataStage = dataStageOf(finding);
  if (recorded.length === 0) {
    const unlisted = unlistedMentions(finding.condition, ctx);
    const quoted = unlisted.slice(0, 2).map((u) => `"${u.text.length > 60 ? `${u.text.slice(0, 59)}…` : u.text}" (${u.source})`);
    const more = unlisted.length > 2 ? ` and ${unlisted.length - 2} more` : '';
    const title = finding.title.toLowerCase();
    const reason =
      unlisted.length === 0
        ? `no active ${title} on the record`
        : `no active ${title} coded as such on the record; it holds ${quoted.join(', ')}${more}, not in Cairn's code lists: check ${unlisted.length === 1 ? 'it' : 'them'}`;
    return { status: 'unknown-to-record', recorded, recordedStage: null, dataStage, reason };
  }
  const sources = recorded.map((c) => c.source).join(', ');
  const superseded =
    finding.condition === 'prediabetes' && recorded.every((c) => !c.valueSets.includes('cairn-prediabetes'))
      ? ' (diabetes recorded, which supersedes prediabetes)'
      : '';
  // The most recently recorded entry that states a stage (recordedDate, else onset).
  const when = (c: ConditionEntry): number => (c.recordedDate ? Date.parse(c.recordedDate) : (c.onsetTime ?? -Infinity));
  const staged = recorded
    .map((c) => ({ c, stage: recordedStageOf(finding.condition, c) }))
    .filter((x): x is { c: ConditionEntry; stage: string } => x.stage !== null)
    .sort((a, b) => when(b.c) - when(a.c))[0];
  if (!staged || dataStage === null) {
    return {
      status: 'recorded-same-stage',
      recorded,
      recordedStage: staged?.stage ?? null,
      dataStage,
      reason: `recorded as ${sources}${superseded}${staged || dataStage === null ? '' : ' (no stage on the record)'}`,
    };
  }
  if (sameStage(staged.stage, dataStage)) {
    return { status: 'recorded-same-stage', recorded, recordedStage: staged.stage, dataStage, reason: `recorded at the same stage (${staged.c.source})` };
  }
  return {
    status: 'recorded-different-stage',
    recorded,
    recordedStage: staged.stage,
    dataStage,
    reason: `recorded as stage ${staged.stage} (${staged.c.source}); the data show ${dataStage}`,
  };
}
