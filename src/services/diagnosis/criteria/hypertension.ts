/**
 * Hypertension by the 2017 ACC/AHA guideline (Whelton et al., Hypertension 2018;71:e13–e115).
 *
 * - Category from the AVERAGE blood pressure on at least two occasions (Section 3, Table 6
 *   footnote: "based on an average of ≥2 careful readings obtained on ≥2 occasions"; Section 4.1,
 *   Table 7, step 5: "use an average of ≥2 readings obtained on ≥2 occasions to estimate the individual's
 *   level of BP"). A single visit never makes the diagnosis.
 * - Occasion = a distinct calendar date (as recorded, i.e. the clinic's local date). Readings on the
 *   same day are averaged first, then the occasion means are averaged, so a visit with three
 *   readings weighs the same as a visit with one (the guideline averages per visit, then across
 *   visits). SBP and DBP are averaged separately.
 * - Categories (Table 6): normal <120 and <80; elevated 120–129 and <80; stage 1 130–139 or 80–89;
 *   stage 2 ≥140 or ≥90; SBP and DBP in different categories → the higher one.
 *
 * Judgement calls (the guideline sets no look-back window and no setting rule for EHR data):
 * - Window: office readings from the 24 months before the reference time. The guideline's own
 *   follow-up intervals (recheck within 1 month to 1 year by category, Figure 4) mean a current
 *   estimate should rest on recent visits; 24 months keeps two routine annual visits in view and
 *   matches the look-back of the OHSU/AHRQ hypertension CDS (HL7 FHIR IG "htnu18ig", library
 *   Hypertension: "Blood Pressure Observations for Last 2 Years"). All occasions in the window
 *   are used (no cap), so the mean is not tied to an arbitrary number of visits.
 * - Setting: only office-type readings. Readings from emergency, inpatient, observation or
 *   short-stay encounters are set aside (pain, acute illness, no seated rest: Section 4.1, Table 7
 *   measurement conditions), and home/virtual readings too, because out-of-office BP maps to office
 *   BP by a different table (Section 4.2, Table 11: home 135/85 ≈ office 140/90).
 * - Adults only (≥18 years at the reading and at the reference time): the categories are adult
 *   categories; children use percentiles (AAP 2017 Clinical Practice Guideline, Flynn et al.).
 * - Pregnancy: the categories do not apply (hypertensive disorders of pregnancy have their own
 *   criteria, ACOG Practice Bulletin 222, 2020), so the finding is "not enough data".
 */
import type { EncounterClass, PatientContext, Reading } from '../../../fhir/context/index.js';
import type { EvidenceRow, Finding } from '../finding.js';
import { fmt, newFinding } from '../finding.js';
import { DAY_MS, certainlyAtLeastAge, computedRow, mean, readingDay, readingRow, referenceTimeOf } from './shared.js';
import type { RuleRef } from '../../../cards/provenance.js';

/**
 * The rule the card of this finding cites (card provenance, src/cards/provenance.ts): the hypertension criterion (ACC/AHA 2017 mean over occasions, stages) and its thresholds below.
 * Bump the version whenever that logic or a threshold changes, here or in the shared.ts helpers it uses.
 */
export const HYPERTENSION_RULE: RuleRef = { id: 'diagnosis/hypertension', version: '2' };

/** Look-back for office readings (judgement call, see the module comment). */
export const BP_WINDOW_DAYS = 730;
/** ACC/AHA 2017 Section 4.1, Table 7: at least two occasions. */
export const MIN_OCCASIONS = 2;
/** The ACC/AHA 2017 guideline is a guideline for adults (its title and scope). */
export const ADULT_AGE_YEARS = 18;

// ACC/AHA 2017 Section 3, Table 6 (mm Hg).
export const STAGE2_SBP = 140;
export const STAGE2_DBP = 90;
export const STAGE1_SBP = 130;
export const STAGE1_DBP = 80;
export const ELEVATED_SBP = 120;
// ACC/AHA 2017 Section 11.2 (hypertensive crises): SBP >180 and/or DBP >120 is a severe elevation to assess for
// target-organ damage (hypertensive urgency or emergency).
export const SEVERE_SBP = 180;
export const SEVERE_DBP = 120;

export type BpCategory = 'normal' | 'elevated' | 'stage 1' | 'stage 2';

/** ACC/AHA 2017 Table 6 on mean values; the higher of the SBP and DBP categories wins. */
export function bpCategory(meanSbp: number, meanDbp: number): BpCategory {
  if (meanSbp >= STAGE2_SBP || meanDbp >= STAGE2_DBP) return 'stage 2';
  if (meanSbp >= STAGE1_SBP || meanDbp >= STAGE1_DBP) return 'stage 1';
  if (meanSbp >= ELEVATED_SBP) return 'elevated';
  return 'normal';
}

/** Encounter classes whose BP readings are office readings in the guideline's sense. */
const OFFICE_CLASSES: ReadonlySet<EncounterClass> = new Set(['ambulatory', 'other', 'unknown']);

interface Occasion {
  day: string;
  sbp: Reading[];
  dbp: Reading[];
  meanSbp: number;
  meanDbp: number;
}

export function evaluateHypertension(ctx: PatientContext): Finding {
  const ref = referenceTimeOf(ctx);
  const notes: string[] = [];

  if (!ctx.patient?.birthDate) {
    return newFinding('hypertension', {
      status: 'not-enough-data',
      summary: 'age unknown: the ACC/AHA blood pressure categories apply to adults only',
    });
  }
  if (!certainlyAtLeastAge(ctx, ref, ADULT_AGE_YEARS)) {
    return newFinding('hypertension', {
      status: 'not-enough-data',
      summary: `age ${ctx.patient.age?.display ?? 'under 18 years'}: adult blood pressure categories do not apply (paediatric percentiles needed)`,
    });
  }
  if (ctx.pregnancy.status === 'pregnant') {
    return newFinding('hypertension', {
      status: 'not-enough-data',
      summary: 'pregnant: ACC/AHA categories do not apply to blood pressure in pregnancy',
      evidence: ctx.pregnancy.evidence.slice(0, 1).map((e) => ({
        kind: 'reading' as const,
        label: 'Pregnancy status',
        value: e.value,
        unit: null,
        date: e.date,
        source: e.source,
      })),
    });
  }

  const encounterClass = new Map(ctx.encounters.map((e) => [e.source, e.class]));
  const from = ref - BP_WINDOW_DAYS * DAY_MS;
  let setAside = 0;
  let child = 0;
  let withComparator = 0;
  // Readings that name an encounter the record does not hold (not prefetched, or not read): their
  // setting is unknown, so they count as office readings, and the card says how many.
  const unknownSetting = new Set<string>();
  const usable = (r: Reading): boolean => {
    if (r.effectiveTime < from || r.effectiveTime > ref) return false;
    if (r.comparator) {
      withComparator += 1;
      return false;
    }
    const cls = r.encounter ? encounterClass.get(r.encounter) : undefined;
    if (r.encounter && cls === undefined) unknownSetting.add(r.source);
    if (cls !== undefined && !OFFICE_CLASSES.has(cls)) {
      setAside += 1;
      return false;
    }
    if (!certainlyAtLeastAge(ctx, r.effectiveTime, ADULT_AGE_YEARS)) {
      child += 1;
      return false;
    }
    return true;
  };
  const sbp = ctx.vitals.systolicBP.filter(usable);
  const dbp = ctx.vitals.diastolicBP.filter(usable);
  if (setAside > 0) notes.push(`${setAside} reading(s) from emergency, inpatient or home/virtual settings not used (office readings only)`);
  if (child > 0) notes.push(`${child} reading(s) taken before age 18 not used`);
  if (withComparator > 0) notes.push(`${withComparator} reading(s) recorded with a comparator (< or >) not used`);
  if (unknownSetting.size > 0) {
    notes.push(`${unknownSetting.size} blood pressure observation(s) belong to an encounter the record sent does not hold: setting unknown, counted as office readings`);
  }

  // Group by calendar day; an occasion needs both a systolic and a diastolic value.
  const byDay = new Map<string, { sbp: Reading[]; dbp: Reading[] }>();
  for (const r of sbp) {
    const d = byDay.get(readingDay(r)) ?? { sbp: [], dbp: [] };
    d.sbp.push(r);
    byDay.set(readingDay(r), d);
  }
  for (const r of dbp) {
    const d = byDay.get(readingDay(r)) ?? { sbp: [], dbp: [] };
    d.dbp.push(r);
    byDay.set(readingDay(r), d);
  }
  const occasions: Occasion[] = [...byDay.entries()]
    .filter(([, d]) => d.sbp.length > 0 && d.dbp.length > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, d]) => ({ day, sbp: d.sbp, dbp: d.dbp, meanSbp: mean(d.sbp.map((r) => r.value)), meanDbp: mean(d.dbp.map((r) => r.value)) }));
  const incomplete = byDay.size - occasions.length;
  if (incomplete > 0) notes.push(`${incomplete} day(s) with only a systolic or only a diastolic value not used`);

  const evidence: EvidenceRow[] = [];
  for (const o of occasions) {
    for (const r of o.sbp) evidence.push(readingRow(r, 'Systolic blood pressure'));
    for (const r of o.dbp) evidence.push(readingRow(r, 'Diastolic blood pressure'));
  }

  if (occasions.length < MIN_OCCASIONS) {
    const older = ctx.vitals.systolicBP.filter((r) => r.effectiveTime < from).length;
    if (older > 0) notes.push(`${older} older systolic reading(s) outside the 24-month window not used`);
    const only = occasions[0];
    return newFinding('hypertension', {
      status: 'not-enough-data',
      summary: only
        ? `${fmt(only.meanSbp, 0)}/${fmt(only.meanDbp, 0)} mmHg on 1 visit (${only.day}) in the last 24 months; ACC/AHA needs ≥2 visits`
        : 'no office blood pressure in the last 24 months',
      evidence,
      notes,
    });
  }

  const meanSbp = mean(occasions.map((o) => o.meanSbp));
  const meanDbp = mean(occasions.map((o) => o.meanDbp));
  const category = bpCategory(meanSbp, meanDbp);
  const first = occasions[0] as Occasion;
  const last = occasions[occasions.length - 1] as Occasion;
  const span = `${first.day} – ${last.day}`;
  evidence.push(computedRow(`Mean systolic blood pressure (${occasions.length} visits)`, meanSbp, 'mm[Hg]', span));
  evidence.push(computedRow(`Mean diastolic blood pressure (${occasions.length} visits)`, meanDbp, 'mm[Hg]', span));

  const severe = occasions.filter((o) => o.meanSbp > SEVERE_SBP || o.meanDbp > SEVERE_DBP);
  if (severe.length > 0) {
    notes.push(`severe elevation (>${SEVERE_SBP}/${SEVERE_DBP} mmHg) on ${severe.map((o) => o.day).join(', ')}`);
  }

  const met = category === 'stage 1' || category === 'stage 2';
  const meanText = `mean ${fmt(meanSbp, 0)}/${fmt(meanDbp, 0)} mmHg over ${occasions.length} visits (${span})`;
  return newFinding('hypertension', {
    status: met ? 'met' : 'not-met',
    stage: category,
    criterion: met
      ? category === 'stage 2'
        ? `mean SBP ≥${STAGE2_SBP} or DBP ≥${STAGE2_DBP} mmHg on ≥${MIN_OCCASIONS} occasions`
        : `mean SBP ${STAGE1_SBP}–${STAGE2_SBP - 1} or DBP ${STAGE1_DBP}–${STAGE2_DBP - 1} mmHg on ≥${MIN_OCCASIONS} occasions`
      : null,
    summary: met ? meanText : `${meanText}: ${category} blood pressure, not hypertension`,
    evidence,
    notes,
  });
}
