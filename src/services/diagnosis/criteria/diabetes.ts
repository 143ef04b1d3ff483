/**
 * Diabetes mellitus and prediabetes by the ADA Standards of Care in Diabetes—2025, section 2
 * (Diagnosis and Classification; Diabetes Care 2025;48(Suppl 1):S27–S49). The thresholds have been
 * unchanged for many editions.
 *
 * Diabetes (Table 2.1, criteria in nonpregnant individuals):
 * - HbA1c ≥6.5% (48 mmol/mol; IFCC values arrive already converted to NGSP % by PatientContext);
 * - fasting plasma glucose ≥126 mg/dL (7.0 mmol/L);
 * - (2-h OGTT glucose ≥200 mg/dL: no OGTT series in PatientContext, so not evaluated);
 * - random glucose ≥200 mg/dL only WITH classic symptoms or a hyperglycaemic crisis. Symptoms are
 *   almost never coded, so a random glucose is shown as context and never decides the status.
 * Confirmation: "in the absence of unequivocal hyperglycemia, diagnosis requires two abnormal test
 * results from the same sample or in two separate test samples"; if two different tests disagree,
 * the test above its threshold is repeated. Implemented as: two abnormal results (two different
 * tests on the same day = the same sample, or any two on different days) with no normal result of
 * either of those tests dated between them (inclusive of their days). Once confirmed, diabetes is
 * not undone by later normal results, which may reflect treatment (remission needs HbA1c <6.5% ≥3
 * months after stopping therapy: Riddle MC et al., ADA/EASD consensus, Diabetes Care 2021;44:2438).
 *
 * Type: type 1 and type 2 cannot be told apart from these laboratory results (ADA 2025 §2,
 * classification), so the finding is "diabetes mellitus" (SNOMED CT 73211009). The type 2 code
 * (44054006) would only be honest when the record already says type 2, and then the condition is
 * already known (see known.ts), so the generic code is always used.
 *
 * Prediabetes (§2, criteria defining prediabetes): HbA1c 5.7–6.4% or fasting glucose 100–125 mg/dL.
 * Judged on the LATEST result of each test, so a value that has since returned to normal does not
 * raise it. No confirmation rule is given for prediabetes.
 *
 * Results set aside (ADA 2025 §2, "when HbA1c is unreliable", and Table 2.1 being for nonpregnant
 * people): results taken during a recorded pregnancy; HbA1c when end-stage kidney disease is
 * recorded (haemodialysis). Pregnant now → not enough data (gestational diabetes criteria differ).
 *
 * Staleness (judgement call anchored in ADA 2025 §2: with normal results, repeat testing at least
 * every 3 years): a normal or prediabetic result older than 3 years no longer tells the current
 * state, so it gives "not enough data" rather than "not met".
 */
import type { PatientContext, Reading } from '../../../fhir/context/index.js';
import type { EvidenceRow, Finding } from '../finding.js';
import { fmt, fmtQuantity, newFinding } from '../finding.js';
import { DAY_MS, duringPregnancy, isAtLeast, pregnancyIntervals, readingDay, readingRow, referenceTimeOf } from './shared.js';
import type { RuleRef } from '../../../cards/provenance.js';

/**
 * The rule the card of this finding cites (card provenance, src/cards/provenance.ts): the diabetes criterion (ADA confirmation rules) and its thresholds below.
 * Bump the version whenever that logic or a threshold changes, here or in the shared.ts helpers it uses.
 */
export const DIABETES_RULE: RuleRef = { id: 'diagnosis/diabetes', version: '2' };
/**
 * The rule the card of this finding cites (card provenance, src/cards/provenance.ts): the prediabetes criterion (ADA) and its thresholds below.
 * Bump the version whenever that logic or a threshold changes, here or in the shared.ts helpers it uses.
 */
export const PREDIABETES_RULE: RuleRef = { id: 'diagnosis/prediabetes', version: '2' };

// ADA 2025 §2, Table 2.1 (diabetes).
export const HBA1C_DIABETES = 6.5; // %
export const FPG_DIABETES = 126; // mg/dL
export const RANDOM_GLUCOSE_DIABETES = 200; // mg/dL, diagnostic only with classic symptoms
// ADA 2025 §2, prediabetes criteria.
export const HBA1C_PREDIABETES = 5.7; // %
export const FPG_PREDIABETES = 100; // mg/dL
/** ADA 2025 §2: repeat testing at least every 3 years when results are normal (used as staleness). */
export const RETEST_YEARS = 3;

export type GlycaemicTest = 'hba1c' | 'fastingGlucose';

const LABEL: Readonly<Record<GlycaemicTest, string>> = { hba1c: 'HbA1c', fastingGlucose: 'Fasting plasma glucose' };
const DIABETES_THRESHOLD: Readonly<Record<GlycaemicTest, number>> = { hba1c: HBA1C_DIABETES, fastingGlucose: FPG_DIABETES };
const PREDIABETES_THRESHOLD: Readonly<Record<GlycaemicTest, number>> = { hba1c: HBA1C_PREDIABETES, fastingGlucose: FPG_PREDIABETES };
const DECIMALS: Readonly<Record<GlycaemicTest, number>> = { hba1c: 1, fastingGlucose: 0 };

export interface GlycaemicResult {
  test: GlycaemicTest;
  reading: Reading;
  day: string;
  /** At or above the diabetes threshold; undefined when a comparator leaves it open. */
  diabetic: boolean | undefined;
  /** At or above the prediabetes threshold. */
  atLeastPrediabetic: boolean | undefined;
}

/** SNOMED CT / ICD-10-CM codes of end-stage kidney disease (HbA1c unreliable on haemodialysis, ADA 2025 §2). */
const ESKD_CODES: ReadonlySet<string> = new Set(['46177005', 'N18.6', 'N186']);

interface Collected {
  results: GlycaemicResult[];
  notes: string[];
}

/** HbA1c and fasting glucose results usable for diagnosis, oldest first. */
export function glycaemicResults(ctx: PatientContext): Collected {
  const notes: string[] = [];
  const pregnancies = pregnancyIntervals(ctx);
  const eskd = ctx.conditions.find((c) => c.activeAtReference !== 'no' && c.codings.some((k) => ESKD_CODES.has(k.code)));
  const results: GlycaemicResult[] = [];
  let inPregnancy = 0;
  for (const test of ['hba1c', 'fastingGlucose'] as const) {
    if (test === 'hba1c' && eskd && ctx.labs.hba1c.length > 0) {
      notes.push(`HbA1c not used: end-stage kidney disease recorded (${eskd.source}); glucose criteria only`);
      continue;
    }
    for (const r of ctx.labs[test]) {
      if (duringPregnancy(pregnancies, r.effectiveTime)) {
        inPregnancy += 1;
        continue;
      }
      results.push({
        test,
        reading: r,
        day: readingDay(r),
        diabetic: isAtLeast(r, DIABETES_THRESHOLD[test]),
        atLeastPrediabetic: isAtLeast(r, PREDIABETES_THRESHOLD[test]),
      });
    }
  }
  if (inPregnancy > 0) notes.push(`${inPregnancy} result(s) taken during a recorded pregnancy not used`);
  const open = results.filter((r) => r.diabetic === undefined).length;
  if (open > 0) notes.push(`${open} result(s) recorded with a comparator that leaves the threshold open not used`);
  results.sort((a, b) => a.reading.effectiveTime - b.reading.effectiveTime);
  return { results, notes };
}

function describe(r: GlycaemicResult): string {
  return `${LABEL[r.test]} ${fmtQuantity(r.reading.value, r.reading.unit, DECIMALS[r.test])} on ${r.day}`;
}

export interface ConfirmedPair {
  first: GlycaemicResult;
  second: GlycaemicResult;
  sameSample: boolean;
}

/**
 * The most recent pair of abnormal results that confirms diabetes (ADA 2025 §2), or undefined.
 * A normal result of either test dated within the pair's days breaks the pair: the abnormal test
 * was repeated and came back normal, or the two tests disagreed on the same sample.
 */
export function confirmingPair(results: readonly GlycaemicResult[]): ConfirmedPair | undefined {
  const abnormal = results.filter((r) => r.diabetic === true);
  const normal = results.filter((r) => r.diabetic === false);
  let best: ConfirmedPair | undefined;
  for (let j = 0; j < abnormal.length; j++) {
    const b = abnormal[j] as GlycaemicResult;
    for (let i = 0; i < j; i++) {
      const a = abnormal[i] as GlycaemicResult;
      const sameSample = a.day === b.day;
      if (sameSample && a.test === b.test) continue; // a duplicate of one test is not a second test
      const broken = normal.some((n) => (n.test === a.test || n.test === b.test) && n.day >= a.day && n.day <= b.day);
      if (broken) continue;
      if (!best || b.reading.effectiveTime >= best.second.reading.effectiveTime) best = { first: a, second: b, sameSample };
    }
  }
  return best;
}

function latestOf(results: readonly GlycaemicResult[], test: GlycaemicTest): GlycaemicResult | undefined {
  for (let i = results.length - 1; i >= 0; i--) {
    const r = results[i] as GlycaemicResult;
    if (r.test === test && r.diabetic !== undefined) return r;
  }
  return undefined;
}

/** Random glucose ≥200 mg/dL in the look-back: shown, never decisive without coded symptoms. */
function randomGlucoseContext(ctx: PatientContext, from: number): EvidenceRow[] {
  return ctx.labs.randomGlucose
    .filter((r) => r.effectiveTime >= from && isAtLeast(r, RANDOM_GLUCOSE_DIABETES) === true)
    .map((r) =>
      readingRow(r, 'Glucose (random)', `≥${RANDOM_GLUCOSE_DIABETES} mg/dL: diagnostic only with classic symptoms or a hyperglycaemic crisis; not used`),
    );
}

export function evaluateDiabetes(ctx: PatientContext): Finding {
  const ref = referenceTimeOf(ctx);
  const retestFrom = ref - RETEST_YEARS * 365.25 * DAY_MS;
  if (ctx.pregnancy.status === 'pregnant') {
    return newFinding('diabetes', {
      status: 'not-enough-data',
      summary: 'pregnant: ADA criteria for nonpregnant adults do not apply (gestational diabetes criteria differ)',
    });
  }
  const { results, notes } = glycaemicResults(ctx);
  const context = randomGlucoseContext(ctx, retestFrom);
  if (context.length > 0) notes.push(`${context.length} random glucose value(s) ≥${RANDOM_GLUCOSE_DIABETES} mg/dL shown but not used (symptoms not recorded)`);

  const pair = confirmingPair(results);
  if (pair) {
    const evidence: EvidenceRow[] = [
      readingRow(pair.first.reading, LABEL[pair.first.test], 'abnormal result'),
      readingRow(pair.second.reading, LABEL[pair.second.test], pair.sameSample ? 'abnormal result, same sample' : 'confirming abnormal result'),
    ];
    for (const test of ['hba1c', 'fastingGlucose'] as const) {
      const latest = latestOf(results, test);
      if (latest && latest !== pair.first && latest !== pair.second && latest.reading.effectiveTime > pair.second.reading.effectiveTime) {
        evidence.push(readingRow(latest.reading, LABEL[test], 'latest result'));
        if (latest.diabetic === false) {
          notes.push(`latest ${describe(latest)} is below ${fmtQuantity(DIABETES_THRESHOLD[test], latest.reading.unit, DECIMALS[test])}, which may reflect treatment`);
        }
      }
    }
    evidence.push(...context);
    return newFinding('diabetes', {
      status: 'met',
      criterion: pair.sameSample
        ? 'two different tests above the diabetes threshold in the same sample'
        : 'two results above the diabetes threshold on separate samples',
      summary: `${describe(pair.first)} and ${describe(pair.second)}`,
      evidence,
      notes,
    });
  }

  if (results.length === 0) {
    return newFinding('diabetes', { status: 'not-enough-data', summary: 'no HbA1c or fasting glucose result', evidence: context, notes });
  }

  // An abnormal result still awaiting its confirmation: it is the latest result of its test.
  const pending = (['hba1c', 'fastingGlucose'] as const)
    .map((t) => latestOf(results, t))
    .filter((r): r is GlycaemicResult => r !== undefined && r.diabetic === true)
    .sort((a, b) => b.reading.effectiveTime - a.reading.effectiveTime)[0];
  if (pending) {
    return newFinding('diabetes', {
      status: 'not-enough-data',
      criterion: null,
      summary: `${describe(pending)} not yet confirmed: ADA requires a second abnormal result`,
      evidence: [readingRow(pending.reading, LABEL[pending.test], 'abnormal result awaiting confirmation'), ...context],
      notes,
    });
  }

  const latest = results[results.length - 1] as GlycaemicResult;
  const evidence = (['hba1c', 'fastingGlucose'] as const)
    .map((t) => latestOf(results, t))
    .filter((r): r is GlycaemicResult => r !== undefined)
    .map((r) => readingRow(r.reading, LABEL[r.test], 'latest result'));
  if (latest.reading.effectiveTime < retestFrom) {
    return newFinding('diabetes', {
      status: 'not-enough-data',
      summary: `latest result ${describe(latest)} is more than ${RETEST_YEARS} years old`,
      evidence: [...evidence, ...context],
      notes,
    });
  }
  return newFinding('diabetes', {
    status: 'not-met',
    summary: `no confirmed result above the diabetes threshold; latest ${describe(latest)}`,
    evidence: [...evidence, ...context],
    notes,
  });
}

export function evaluatePrediabetes(ctx: PatientContext, diabetes: Finding = evaluateDiabetes(ctx)): Finding {
  const ref = referenceTimeOf(ctx);
  const retestFrom = ref - RETEST_YEARS * 365.25 * DAY_MS;
  if (ctx.pregnancy.status === 'pregnant') {
    return newFinding('prediabetes', { status: 'not-enough-data', summary: 'pregnant: ADA criteria for nonpregnant adults do not apply' });
  }
  if (diabetes.status === 'met') {
    return newFinding('prediabetes', {
      status: 'not-met',
      summary: `diabetes criteria met instead (${diabetes.summary})`,
      evidence: diabetes.evidence.filter((e) => e.kind === 'reading'),
    });
  }
  const { results, notes } = glycaemicResults(ctx);
  const latest = (['hba1c', 'fastingGlucose'] as const)
    .map((t) => latestOf(results, t))
    .filter((r): r is GlycaemicResult => r !== undefined && r.reading.effectiveTime >= retestFrom);
  const evidence = latest.map((r) => readingRow(r.reading, LABEL[r.test], 'latest result'));
  if (latest.length === 0) {
    const older = results[results.length - 1];
    return newFinding('prediabetes', {
      status: 'not-enough-data',
      summary: older
        ? `latest result ${describe(older)} is more than ${RETEST_YEARS} years old`
        : 'no HbA1c or fasting glucose result',
      notes,
    });
  }
  const diabetic = latest.filter((r) => r.diabetic === true);
  if (diabetic.length > 0) {
    return newFinding('prediabetes', {
      status: 'not-enough-data',
      summary: `${diabetic.map(describe).join(' and ')} is in the diabetes range, awaiting confirmation`,
      evidence,
      notes,
    });
  }
  const inRange = latest.filter((r) => r.atLeastPrediabetic === true && r.diabetic === false);
  if (inRange.length > 0) {
    const ranges = inRange.map((r) =>
      r.test === 'hba1c'
        ? `HbA1c ${fmt(HBA1C_PREDIABETES, 1)}–${fmt(HBA1C_DIABETES - 0.1, 1)}%`
        : `fasting glucose ${FPG_PREDIABETES}–${FPG_DIABETES - 1} mg/dL`,
    );
    return newFinding('prediabetes', {
      status: 'met',
      criterion: ranges.join(' and '),
      summary: inRange.map(describe).join(' and '),
      evidence,
      notes,
    });
  }
  return newFinding('prediabetes', {
    status: 'not-met',
    summary: `latest ${latest.map(describe).join(' and ')} below the prediabetes range`,
    evidence,
    notes,
  });
}
