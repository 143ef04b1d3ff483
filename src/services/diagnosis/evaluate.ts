/**
 * Runs every computable criterion of the diagnosis service over one PatientContext. Pure: the
 * same call feeds the CDS Hooks card, the evaluation command and the tests.
 *
 * A criterion that throws (a bug, never an expected outcome) does not take the others down: its
 * finding becomes "not enough data" with the error in its notes, so nothing is silently dropped
 * and nothing is guessed.
 */
import { excludedReadingsNote } from '../../cards/evidence.js';
import type { PatientContext, QuantityKey } from '../../fhir/context/index.js';
import type { RuleRef } from '../../cards/provenance.js';
import { AKI_RULE, evaluateAki } from './criteria/aki.js';
import { CKD_RULE, evaluateCkd } from './criteria/ckd.js';
import { DIABETES_RULE, PREDIABETES_RULE, evaluateDiabetes, evaluatePrediabetes } from './criteria/diabetes.js';
import { HYPERTENSION_RULE, evaluateHypertension } from './criteria/hypertension.js';
import { OBESITY_RULE, evaluateObesity } from './criteria/obesity.js';
import { SEPSIS_RULE, evaluateSepsis } from './criteria/sepsis.js';
import type { ConditionKey, Finding } from './finding.js';
import { newFinding } from './finding.js';

/** The rule of each condition's finding, as its criterion module versions it (card provenance). */
export const DIAGNOSIS_RULES: Readonly<Record<ConditionKey, RuleRef>> = {
  hypertension: HYPERTENSION_RULE,
  diabetes: DIABETES_RULE,
  prediabetes: PREDIABETES_RULE,
  ckd: CKD_RULE,
  aki: AKI_RULE,
  obesity: OBESITY_RULE,
  sepsis: SEPSIS_RULE,
};

function guarded(key: ConditionKey, run: () => Finding): Finding {
  try {
    return run();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return newFinding(key, { status: 'not-enough-data', summary: 'criterion could not be evaluated', notes: [`internal error: ${message}`] });
  }
}

/**
 * The measurements each criterion reads. A charted reading of one of them that the PatientContext
 * excluded (implausible, unit not understood, no value) is named in the finding's notes, so a
 * finding made from fewer readings than were charted says which were left out and why.
 */
const QUANTITIES_READ: Readonly<Record<ConditionKey, readonly QuantityKey[]>> = {
  hypertension: ['systolicBP', 'diastolicBP'],
  diabetes: ['hba1c', 'fastingGlucose', 'randomGlucose'],
  prediabetes: ['hba1c', 'fastingGlucose'],
  ckd: ['egfr', 'uacr', 'creatinine'],
  aki: ['creatinine'],
  obesity: ['bmi', 'bodyWeight', 'bodyHeight'],
  sepsis: ['respiratoryRate', 'systolicBP', 'gcs'],
};

/** One finding per condition, in a fixed order: hypertension, diabetes, prediabetes, CKD, AKI, obesity, sepsis. */
export function evaluateCriteria(ctx: PatientContext): Finding[] {
  const diabetes = guarded('diabetes', () => evaluateDiabetes(ctx));
  const findings = [
    guarded('hypertension', () => evaluateHypertension(ctx)),
    diabetes,
    guarded('prediabetes', () => evaluatePrediabetes(ctx, diabetes)),
    guarded('ckd', () => evaluateCkd(ctx)),
    guarded('aki', () => evaluateAki(ctx)),
    guarded('obesity', () => evaluateObesity(ctx)),
    guarded('sepsis', () => evaluateSepsis(ctx)),
  ];
  return findings.map((f) => {
    const note = excludedReadingsNote(ctx.exclusions, QUANTITIES_READ[f.condition]);
    return note ? { ...f, notes: [...f.notes, note] } : f;
  });
}
