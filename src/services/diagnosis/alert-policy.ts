/**
 * Which met findings are worth interrupting a clinician for. Every criterion still computes its
 * finding (stage included); this decides only whether a card is shown.
 *
 * Stage 1 hypertension (ACC/AHA 2017 mean 130–139 / 80–89 mmHg) is the one finding with a choice:
 * - for most adults the guideline's next step at stage 1 is the same as for elevated BP: lifestyle
 *   change and a recheck in 3–6 months (ACC/AHA 2017 Section 8.1.2 and Figure 4, "BP thresholds and
 *   recommendations for treatment and follow-up"); it also advises confirming office readings from
 *   130 to 160 mmHg out of the office before labelling (Section 4.4, white-coat screening), and the
 *   USPSTF (2021, grade A) asks for out-of-office confirmation before treatment;
 * - it becomes a treatment decision in adults with diabetes or chronic kidney disease, where drug
 *   therapy starts at 130/80 mmHg (ACC/AHA 2017 Section 9.6, diabetes; Section 9.3, CKD);
 * - stage 2 (≥140/90) is hypertension in every major guideline (ACC/AHA 2017, ESC/ESH 2018, NICE
 *   NG136, JNC 7), so its card does not depend on which one a site follows.
 * Hence the default, `with-indication`: stage 1 is shown when diabetes or CKD is on the record or
 * met by the data in the same evaluation; `always` shows every stage 1 (the plain ACC/AHA reading),
 * `never` shows stage 2 only. The policy is a site's choice, read from CAIRN_DIAGNOSIS_HTN_STAGE1.
 */
import type { HtnStage1Policy } from '../../config.js';
import type { PatientContext } from '../../fhir/context/index.js';
import type { ConditionKey, Finding } from './finding.js';
import { recordedConditions, type RecordedBySubsumption } from './known.js';

export type { HtnStage1Policy };

/** ACC/AHA 2017 Sections 9.6 (diabetes) and 9.3 (CKD): drug therapy from 130/80 mmHg. */
const STAGE1_INDICATIONS: readonly ConditionKey[] = ['diabetes', 'ckd'];

export interface AlertDecision {
  alert: boolean;
  /** Computed from the record: why a stage 1 finding is shown (added to the finding's notes). */
  note?: string;
}

/**
 * @param finding a met finding
 * @param findings every finding of the same evaluation (a met diabetes or CKD finding counts as an indication)
 */
export function alertDecision(
  finding: Finding,
  findings: readonly Finding[],
  ctx: PatientContext,
  htnStage1: HtnStage1Policy,
  bySubsumption?: RecordedBySubsumption,
): AlertDecision {
  if (finding.status !== 'met') return { alert: false };
  if (finding.condition !== 'hypertension' || finding.stage !== 'stage 1') return { alert: true };
  if (htnStage1 === 'always') return { alert: true };
  if (htnStage1 === 'never') return { alert: false };
  for (const key of STAGE1_INDICATIONS) {
    const recorded = recordedConditions(key, ctx, bySubsumption)[0];
    if (recorded) return { alert: true, note: `shown at stage 1 because ${nameOf(key)} is on the record (${recorded.source})` };
    const met = findings.find((f) => f.condition === key && f.status === 'met');
    if (met) return { alert: true, note: `shown at stage 1 because the data meet the ${nameOf(key)} criterion (${met.summary})` };
  }
  return { alert: false };
}

/** The met findings that get a card, with the reason added to a stage 1 finding's notes. */
export function findingsToShow(findings: readonly Finding[], ctx: PatientContext, htnStage1: HtnStage1Policy, bySubsumption?: RecordedBySubsumption): Finding[] {
  const shown: Finding[] = [];
  for (const f of findings) {
    const decision = alertDecision(f, findings, ctx, htnStage1, bySubsumption);
    if (decision.alert) shown.push(decision.note ? { ...f, notes: [...f.notes, decision.note] } : f);
  }
  return shown;
}

function nameOf(key: ConditionKey): string {
  return key === 'ckd' ? 'chronic kidney disease' : key;
}
