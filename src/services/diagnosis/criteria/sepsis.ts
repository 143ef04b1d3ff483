/**
 * Suspected sepsis: qSOFA ≥2 in an adult with a suspected infection (Sepsis-3: Singer M et al.,
 * JAMA 2016;315(8):801–810; qSOFA derivation and validation: Seymour CW et al., JAMA
 * 2016;315(8):762–774). qSOFA is a bedside prompt, not the sepsis definition; the Surviving Sepsis
 * Campaign 2021 advises against qSOFA as the single screening tool (strong recommendation), so a
 * qSOFA below 2 never says "no sepsis" — it is simply "not met".
 *
 * qSOFA, 1 point each (Singer 2016):
 * - respiratory rate ≥22 /min;
 * - altered mentation: GCS <15, or an AVPU/ACVPU level other than Alert (new Confusion, Voice,
 *   Pain, Unresponsive);
 * - systolic blood pressure ≤100 mmHg.
 * Each item uses its most recent value in the 24 hours before the reference time (judgement call:
 * qSOFA describes the current state; Seymour 2016 scored it in a window around the onset of
 * infection). A missing item is not scored as normal: the score is "met" when the known points
 * already reach 2, "not met" when even the missing items could not bring it to 2, otherwise
 * "not enough data".
 *
 * Suspected infection (Seymour 2016 used antibiotics plus cultures; Cairn reads what
 * PatientContext has): an active or tentative Condition in cairn-infection or cairn-sepsis (minor,
 * mostly viral upper respiratory infections and acute bronchitis are deliberately not in it, see its
 * description), or an active order of a drug in cairn-antibiotics (a seed list, see its description). Cultures (LOINC
 * 600-7, ServiceRequest) are not in PatientContext and are not read. Without a suspected
 * infection the finding is "not met": qSOFA applies to patients with suspected infection.
 * Adults only (qSOFA was derived and validated in adults ≥18).
 */
import type { ConsciousnessReading, PatientContext, Reading } from '../../../fhir/context/index.js';
import type { EvidenceRow, Finding } from '../finding.js';
import { newFinding } from '../finding.js';
import { HOUR_MS, certainlyAtLeastAge, computedRow, isAtLeast, isAtMost, isBelow, readingRow, referenceTimeOf } from './shared.js';
import type { RuleRef } from '../../../cards/provenance.js';

/**
 * The rule the card of this finding cites (card provenance, src/cards/provenance.ts): the suspected-sepsis criterion (qSOFA with infection) and its thresholds below.
 * Bump the version whenever that logic or a threshold changes, here or in the shared.ts helpers it uses.
 */
export const SEPSIS_RULE: RuleRef = { id: 'diagnosis/sepsis', version: '2' };

// Sepsis-3 qSOFA criteria (Singer 2016; Seymour 2016).
export const QSOFA_RR = 22; // /min, at least
export const QSOFA_SBP = 100; // mmHg, at most
export const QSOFA_GCS_NORMAL = 15; // altered when below
export const QSOFA_MET = 2;
/** Most recent value within this many hours (judgement call, see the module comment). */
export const QSOFA_WINDOW_HOURS = 24;

type ItemScore = { points: 0 | 1 | undefined; rows: EvidenceRow[]; label: string };

function latestIn(readings: readonly Reading[], from: number, to: number): Reading | undefined {
  for (let i = readings.length - 1; i >= 0; i--) {
    const r = readings[i] as Reading;
    if (r.effectiveTime <= to && r.effectiveTime >= from) return r;
  }
  return undefined;
}

function toPoint(v: boolean | undefined): 0 | 1 | undefined {
  return v === undefined ? undefined : v ? 1 : 0;
}

function mentation(ctx: PatientContext, from: number, to: number): ItemScore {
  const gcs = latestIn(ctx.vitals.gcs, from, to);
  let avpu: ConsciousnessReading | undefined;
  for (let i = ctx.consciousness.length - 1; i >= 0; i--) {
    const c = ctx.consciousness[i] as ConsciousnessReading;
    if (c.effectiveTime <= to && c.effectiveTime >= from) {
      avpu = c;
      break;
    }
  }
  // The more recent of the two observations describes the current mental state.
  if (avpu && (!gcs || avpu.effectiveTime >= gcs.effectiveTime)) {
    return {
      label: 'altered mentation',
      points: avpu.level === 'A' ? 0 : 1,
      rows: [{ kind: 'reading', label: 'Level of consciousness (AVPU)', value: avpu.level, unit: null, date: avpu.effective, source: avpu.source }],
    };
  }
  if (gcs) return { label: 'altered mentation', points: toPoint(isBelow(gcs, QSOFA_GCS_NORMAL)), rows: [readingRow(gcs, 'Glasgow Coma Scale')] };
  return { label: 'altered mentation', points: undefined, rows: [] };
}

export function evaluateSepsis(ctx: PatientContext): Finding {
  const ref = referenceTimeOf(ctx);
  if (!ctx.patient?.birthDate || !certainlyAtLeastAge(ctx, ref, 18)) {
    return newFinding('sepsis', { status: 'not-enough-data', summary: 'qSOFA is validated in adults only; age under 18 or unknown' });
  }
  const from = ref - QSOFA_WINDOW_HOURS * HOUR_MS;
  const rr = latestIn(ctx.vitals.respiratoryRate, from, ref);
  const sbp = latestIn(ctx.vitals.systolicBP, from, ref);
  const items: ItemScore[] = [
    { label: `respiratory rate ≥${QSOFA_RR}/min`, points: rr ? toPoint(isAtLeast(rr, QSOFA_RR)) : undefined, rows: rr ? [readingRow(rr, 'Respiratory rate')] : [] },
    mentation(ctx, from, ref),
    { label: `systolic BP ≤${QSOFA_SBP} mmHg`, points: sbp ? toPoint(isAtMost(sbp, QSOFA_SBP)) : undefined, rows: sbp ? [readingRow(sbp, 'Systolic blood pressure')] : [] },
  ];
  const known = items.filter((i) => i.points !== undefined);
  const score = known.reduce((n, i) => n + (i.points as number), 0);
  const missing = items.length - known.length;
  const evidence: EvidenceRow[] = items.flatMap((i) => i.rows);
  evidence.push(computedRow(missing > 0 ? `qSOFA (${missing} item(s) not recorded in ${QSOFA_WINDOW_HOURS} h)` : 'qSOFA', score, null, null));

  const infections = ctx.conditions.filter(
    (c) => (c.valueSets.includes('cairn-infection') || c.valueSets.includes('cairn-sepsis')) && c.activeAtReference === 'yes',
  );
  const antibiotics = ctx.medications.filter((m) => m.isActive && m.valueSets.includes('cairn-antibiotics'));
  for (const c of infections) {
    evidence.push({ kind: 'reading', label: 'Infection (condition)', value: c.text ?? c.codings[0]?.display ?? c.codings[0]?.code ?? '', unit: null, date: c.onset, source: c.source });
  }
  for (const m of antibiotics) {
    evidence.push({ kind: 'reading', label: 'Antibiotic (active order)', value: m.text ?? m.codings[0]?.display ?? m.codings[0]?.code ?? '', unit: null, date: m.date, source: m.source });
  }
  // Microbiology results are not part of what the diagnosis service reads (service.ts DIAGNOSIS_DATA_REQUIREMENTS).
  const notes = ['blood cultures not checked: Cairn does not read microbiology results'];
  const points = items.filter((i) => i.points === 1).map((i) => i.label);
  const scoreText = `qSOFA ${score}${missing > 0 ? ` with ${missing} item(s) missing` : ''}${points.length > 0 ? ` (${points.join(', ')})` : ''}`;

  if (infections.length === 0 && antibiotics.length === 0) {
    return newFinding('sepsis', {
      status: 'not-met',
      summary: `no suspected infection recorded (no infection condition or antibiotic order); ${scoreText}`,
      evidence,
      notes,
    });
  }
  const infectionText = infections.length > 0 ? 'infection recorded' : 'antibiotic ordered';
  if (score >= QSOFA_MET) {
    return newFinding('sepsis', {
      status: 'met',
      stage: null,
      criterion: `qSOFA ≥${QSOFA_MET} with suspected infection`,
      summary: `${scoreText}; ${infectionText}`,
      evidence,
      notes,
    });
  }
  if (score + missing < QSOFA_MET) {
    return newFinding('sepsis', { status: 'not-met', summary: `${scoreText}; ${infectionText}`, evidence, notes });
  }
  return newFinding('sepsis', {
    status: 'not-enough-data',
    summary: `${scoreText}; ${infectionText}: missing qSOFA items could bring it to ${QSOFA_MET}`,
    evidence,
    notes,
  });
}
