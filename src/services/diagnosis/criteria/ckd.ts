/**
 * Chronic kidney disease by KDIGO 2024 (Kidney Int 2024;105(4S):S117–S314), chapter 1.
 *
 * Definition: abnormal kidney structure or function present for MORE THAN 3 MONTHS. The two
 * laboratory markers Cairn can read:
 * - GFR <60 mL/min/1.73 m² (G3a–G5);
 * - albuminuria: urine albumin/creatinine ratio (ACR) ≥30 mg/g (≥3 mg/mmol; PatientContext gives mg/g).
 * Where the laboratory reported a creatinine without an eGFR, the eGFR is computed from it by
 * CKD-EPI 2021, as KDIGO 2024 recommends (egfr-from-creatinine.ts), and the card says so.
 * Chronicity ("persisting >3 months"; a single value does not establish CKD, and a new fall over
 * days to weeks is AKI/AKD instead): a marker is persistent when its most recent results form an
 * unbroken run of abnormal values whose first and last are at least 90 days apart (3 months ≈ 90
 * days). Any normal result in between breaks the run, and the run must end at the latest result
 * (results of one marker taken at the same instant that disagree are set aside: see trailingRun),
 * so CKD that the data show has resolved (e.g. eGFR back above 60 with normal ACR) is not raised.
 * Either marker suffices; eGFR ≥60 with normal ACR is not CKD, and G1/G2 alone (without a damage
 * marker) is not CKD.
 *
 * Staging (CGA classification; the Cause is not derivable from laboratory results):
 * - G category from the LATEST eGFR: G1 ≥90, G2 60–89, G3a 45–59, G3b 30–44, G4 15–29, G5 <15;
 * - A category from the LATEST ACR: A1 <30, A2 30–300, A3 >300 mg/g.
 * The stage is written "G3a A2"; a category without data is left out (e.g. "G3b" when no ACR).
 *
 * A value reported with a comparator (e.g. eGFR ">60") is read as what it says: ">60" is not
 * abnormal; a comparator that leaves the threshold open breaks a run and is not used for staging.
 */
import type { PatientContext, Reading } from '../../../fhir/context/index.js';
import type { Coding, EvidenceRow, Finding } from '../finding.js';
import { CONDITIONS, ICD10CM, SNOMED, fmt, fmtQuantity, newFinding } from '../finding.js';
import { computedRow, daysBetween, isAtLeast, isBelow, readingDay, readingRow, referenceTimeOf } from './shared.js';
import { egfrFromCreatinine } from './egfr-from-creatinine.js';
import type { RuleRef } from '../../../cards/provenance.js';

/**
 * The rule the card of this finding cites (card provenance, src/cards/provenance.ts): the CKD criterion (KDIGO 2024 GFR and albuminuria categories, chronicity) and its thresholds below.
 * Bump the version whenever that logic or a threshold changes, here or in the shared.ts helpers it uses.
 */
export const CKD_RULE: RuleRef = { id: 'diagnosis/ckd', version: '3' };

/** KDIGO 2024 ch. 1 (definition): GFR <60 mL/min/1.73 m² is decreased GFR. */
export const EGFR_THRESHOLD = 60;
/** KDIGO 2024 ch. 1 (definition): ACR ≥30 mg/g (3 mg/mmol) is albuminuria, a marker of kidney damage. */
export const ACR_THRESHOLD = 30;
/** KDIGO 2024 ch. 1 (definition): duration >3 months, read as first and last abnormal result ≥90 days apart. */
export const CHRONICITY_DAYS = 90;
/** KDIGO 2024: measure eGFR and ACR at least yearly in CKD; an older latest result is flagged. */
export const MONITORING_DAYS = 365;

export type GfrCategory = 'G1' | 'G2' | 'G3a' | 'G3b' | 'G4' | 'G5';
export type AlbuminuriaCategory = 'A1' | 'A2' | 'A3';

/** KDIGO 2024 GFR categories (mL/min/1.73 m²), on a value without a comparator. */
export function gfrCategory(egfr: number): GfrCategory {
  if (egfr >= 90) return 'G1';
  if (egfr >= 60) return 'G2';
  if (egfr >= 45) return 'G3a';
  if (egfr >= 30) return 'G3b';
  if (egfr >= 15) return 'G4';
  return 'G5';
}

/** KDIGO 2024 albuminuria categories (ACR mg/g): A1 <30, A2 30–300, A3 >300. */
export function albuminuriaCategory(acr: number): AlbuminuriaCategory {
  if (acr < 30) return 'A1';
  if (acr <= 300) return 'A2';
  return 'A3';
}

/** SNOMED CT and ICD-10-CM codes per G category (SNOMED has no 3a/3b concept in cairn-ckd; ICD-10-CM N18.31/N18.32 do). */
const STAGE_CODES: Readonly<Record<GfrCategory, { snomed: Coding; icd10: Coding }>> = {
  G1: {
    snomed: { system: SNOMED, code: '431855005', display: 'Chronic kidney disease stage 1 (disorder)' },
    icd10: { system: ICD10CM, code: 'N18.1', display: 'Chronic kidney disease, stage 1' },
  },
  G2: {
    snomed: { system: SNOMED, code: '431856006', display: 'Chronic kidney disease stage 2 (disorder)' },
    icd10: { system: ICD10CM, code: 'N18.2', display: 'Chronic kidney disease, stage 2 (mild)' },
  },
  G3a: {
    snomed: { system: SNOMED, code: '433144002', display: 'Chronic kidney disease stage 3 (disorder)' },
    icd10: { system: ICD10CM, code: 'N18.31', display: 'Chronic kidney disease, stage 3a' },
  },
  G3b: {
    snomed: { system: SNOMED, code: '433144002', display: 'Chronic kidney disease stage 3 (disorder)' },
    icd10: { system: ICD10CM, code: 'N18.32', display: 'Chronic kidney disease, stage 3b' },
  },
  G4: {
    snomed: { system: SNOMED, code: '431857002', display: 'Chronic kidney disease stage 4 (disorder)' },
    icd10: { system: ICD10CM, code: 'N18.4', display: 'Chronic kidney disease, stage 4 (severe)' },
  },
  G5: {
    snomed: { system: SNOMED, code: '433146000', display: 'Chronic kidney disease stage 5 (disorder)' },
    icd10: { system: ICD10CM, code: 'N18.5', display: 'Chronic kidney disease, stage 5' },
  },
};

export interface MarkerRun {
  /** The unbroken run of abnormal results ending at the latest result (empty if the latest is normal or open). */
  run: Reading[];
  persistent: boolean;
  days: number;
  /** The latest result, leaving out discordant samples. */
  latest: Reading | undefined;
  /** Samples set aside: results of one marker taken at the same instant that disagree (one abnormal, one normal). */
  discordant: Reading[][];
}

/**
 * The trailing run of abnormal results of one marker (see the module comment).
 *
 * Results taken at the same instant are one sample. When such a sample holds both an abnormal and
 * a normal result (some records carry two panels per visit, e.g. eGFR 55 and 95 at 09:00), which
 * one is right cannot be told, and letting whichever happens to be listed last decide would make
 * the finding depend on the order of the record. Such a sample is set aside (reported in the
 * notes): it neither extends nor breaks the run. Added after error analysis on the development set
 * (Synthea records with two same-instant eGFR panels), not from a guideline threshold.
 */
export function trailingRun(readings: readonly Reading[], abnormal: (r: Reading) => boolean | undefined): MarkerRun {
  const samples: Reading[][] = [];
  for (const r of readings) {
    const last = samples[samples.length - 1];
    if (last && (last[0] as Reading).effectiveTime === r.effectiveTime) last.push(r);
    else samples.push([r]);
  }
  const isDiscordant = (sample: readonly Reading[]): boolean =>
    sample.some((r) => abnormal(r) === true) && sample.some((r) => abnormal(r) === false);
  const discordant = samples.filter(isDiscordant);
  const usable = samples.filter((s) => !isDiscordant(s));
  const lastSample = usable[usable.length - 1];
  const latest = lastSample?.[lastSample.length - 1];
  const run: Reading[] = [];
  for (let i = usable.length - 1; i >= 0; i--) {
    const sample = usable[i] as Reading[];
    if (sample.some((r) => abnormal(r) !== true)) break;
    run.unshift(...sample);
  }
  const first = run[0];
  const last = run[run.length - 1];
  const days = first && last ? daysBetween(first.effectiveTime, last.effectiveTime) : 0;
  return { run, persistent: run.length >= 2 && days >= CHRONICITY_DAYS, days, latest, discordant };
}

/**
 * The category of a reading, respecting a comparator: "<15" eGFR is certainly G5 and ">300" ACR
 * certainly A3, but "<45" eGFR could be G3b, G4 or G5, so it gets no category.
 */
export function categoryOf<C extends string>(r: Reading, category: (value: number) => C): C | undefined {
  const nudge = Math.max(Math.abs(r.value) * 1e-9, 1e-9);
  switch (r.comparator) {
    case undefined:
      return category(r.value);
    case '<':
    case '<=': {
      const c = category(r.comparator === '<' ? r.value - nudge : r.value);
      return c === category(0) ? c : undefined;
    }
    case '>':
    case '>=': {
      const c = category(r.comparator === '>' ? r.value + nudge : r.value);
      return c === category(Number.MAX_SAFE_INTEGER) ? c : undefined;
    }
  }
}

function upTo(readings: readonly Reading[], ref: number): Reading[] {
  return readings.filter((r) => r.effectiveTime <= ref);
}

export function evaluateCkd(ctx: PatientContext): Finding {
  const ref = referenceTimeOf(ctx);
  // Where the laboratory reported creatinine without an eGFR, the eGFR KDIGO says to estimate from it.
  const computed = new Map(egfrFromCreatinine(ctx, ctx.labs.egfr).map((c) => [c.reading, c]));
  const egfr = upTo([...ctx.labs.egfr, ...computed.keys()], ref).sort((x, y) => x.effectiveTime - y.effectiveTime);
  const acr = upTo(ctx.labs.uacr, ref);
  const notes: string[] = [];
  if (egfr.length === 0 && acr.length === 0) {
    return newFinding('ckd', { status: 'not-enough-data', summary: 'no eGFR or urine albumin/creatinine ratio result' });
  }

  const gfrRun = trailingRun(egfr, (r) => isBelow(r, EGFR_THRESHOLD));
  const acrRun = trailingRun(acr, (r) => isAtLeast(r, ACR_THRESHOLD));
  const latestEgfr = gfrRun.latest;
  const latestAcr = acrRun.latest;
  const g = latestEgfr ? categoryOf(latestEgfr, gfrCategory) : undefined;
  const a = latestAcr ? categoryOf(latestAcr, albuminuriaCategory) : undefined;
  const stage = [g, a].filter((x) => x !== undefined).join(' ') || null;

  const evidence: EvidenceRow[] = [];
  // A computed eGFR is labelled with the creatinine it came from; its row links to that result.
  const labelOf = (r: Reading, label: string): string => {
    const from = computed.get(r);
    return from ? `${label} (CKD-EPI 2021, from creatinine ${fmtQuantity(from.creatinine.value, 'mg/dL', 2)}, age ${from.ageYears}, ${from.sex})` : label;
  };
  const addRun = (run: MarkerRun, label: string): void => {
    for (const r of run.run) evidence.push(readingRow(r, labelOf(r, label), 'abnormal'));
    if (run.latest && !run.run.includes(run.latest)) evidence.push(readingRow(run.latest, labelOf(run.latest, label), 'latest result'));
  };
  addRun(gfrRun, 'eGFR');
  addRun(acrRun, 'Urine albumin/creatinine ratio');

  const describeRun = (run: MarkerRun, name: string, unit: string, decimals: number): string => {
    const first = run.run[0] as Reading;
    const last = run.run[run.run.length - 1] as Reading;
    return `${name} ${fmtQuantity(first.value, unit, decimals)} (${readingDay(first)}) to ${fmtQuantity(last.value, unit, decimals)} (${readingDay(last)}), ${run.run.length} results over ${fmt(run.days, 0)} days`;
  };

  const latestResult = [latestEgfr, latestAcr].filter((r): r is Reading => r !== undefined).sort((x, y) => y.effectiveTime - x.effectiveTime)[0];
  if (latestResult && daysBetween(latestResult.effectiveTime, ref) > MONITORING_DAYS) {
    notes.push(`latest kidney result is from ${readingDay(latestResult)}, more than a year before the reference time (KDIGO: at least yearly)`);
  }
  const used = new Set([...gfrRun.run, ...(gfrRun.latest ? [gfrRun.latest] : [])].filter((r) => computed.has(r))).size;
  if (used > 0) {
    notes.push(`${used === 1 ? 'one eGFR was' : `${used} eGFR values were`} computed from creatinine by CKD-EPI 2021 (KDIGO 2024 Rec. 1.2.4.1), where the laboratory reported none`);
  }
  if (!a) notes.push('no albuminuria category: no usable urine albumin/creatinine ratio');
  for (const [run, label, unit] of [[gfrRun, 'eGFR', 'mL/min/1.73 m²'], [acrRun, 'ACR', 'mg/g']] as const) {
    for (const sample of run.discordant) {
      notes.push(`${label} results taken at the same time disagree (${sample.map((r) => `${r.comparator ?? ''}${fmt(r.value, 0)}`).join(' and ')} ${unit} on ${readingDay(sample[0] as Reading)}): not used`);
    }
  }

  if (gfrRun.persistent || acrRun.persistent) {
    const parts: string[] = [];
    if (gfrRun.persistent) parts.push(describeRun(gfrRun, 'eGFR', 'mL/min/{1.73_m2}', 0));
    if (acrRun.persistent) parts.push(describeRun(acrRun, 'ACR', 'mg/g', 0));
    const days = Math.max(gfrRun.persistent ? gfrRun.days : 0, acrRun.persistent ? acrRun.days : 0);
    evidence.push(computedRow('Duration of abnormal results', Math.floor(days), 'd', null));
    if (!gfrRun.persistent && g !== undefined && g !== 'G1' && g !== 'G2') {
      notes.push(`eGFR below ${EGFR_THRESHOLD} for less than ${CHRONICITY_DAYS} days: the ${g} category may reflect an acute change`);
    }
    const codes = g ? STAGE_CODES[g] : undefined;
    return newFinding('ckd', {
      status: 'met',
      stage,
      code: codes ?? { snomed: CONDITIONS.ckd.snomed, icd10: CONDITIONS.ckd.icd10 as Coding },
      criterion: [
        gfrRun.persistent ? `eGFR <${EGFR_THRESHOLD} mL/min/1.73 m² for ≥${CHRONICITY_DAYS} days` : null,
        acrRun.persistent ? `ACR ≥${ACR_THRESHOLD} mg/g for ≥${CHRONICITY_DAYS} days` : null,
      ]
        .filter((x) => x !== null)
        .join(' and '),
      summary: parts.join('; '),
      evidence,
      notes,
    });
  }

  const shortRuns = [gfrRun.run.length > 0 ? gfrRun : undefined, acrRun.run.length > 0 ? acrRun : undefined];
  const [gShort, aShort] = shortRuns;
  if (gShort || aShort) {
    const parts: string[] = [];
    if (gShort) parts.push(`eGFR <${EGFR_THRESHOLD} for ${gShort.run.length === 1 ? 'a single result' : `${fmt(gShort.days, 0)} days`} (latest ${fmtQuantity((gShort.latest as Reading).value, 'mL/min/{1.73_m2}', 0)} on ${readingDay(gShort.latest as Reading)})`);
    if (aShort) parts.push(`ACR ≥${ACR_THRESHOLD} for ${aShort.run.length === 1 ? 'a single result' : `${fmt(aShort.days, 0)} days`} (latest ${fmtQuantity((aShort.latest as Reading).value, 'mg/g', 0)} on ${readingDay(aShort.latest as Reading)})`);
    return newFinding('ckd', {
      status: 'not-enough-data',
      stage,
      summary: `${parts.join('; ')}: KDIGO requires >3 months to establish CKD`,
      evidence,
      notes,
    });
  }

  const normals: string[] = [];
  if (latestEgfr) normals.push(`eGFR ${latestEgfr.comparator ?? ''}${fmt(latestEgfr.value, 0)} mL/min/1.73 m² on ${readingDay(latestEgfr)}`);
  if (latestAcr) normals.push(`ACR ${latestAcr.comparator ?? ''}${fmt(latestAcr.value, 0)} mg/g on ${readingDay(latestAcr)}`);
  const openLatest =
    (latestEgfr !== undefined && isBelow(latestEgfr, EGFR_THRESHOLD) === undefined) ||
    (latestAcr !== undefined && isAtLeast(latestAcr, ACR_THRESHOLD) === undefined);
  // With a normal eGFR and no ACR (or the reverse), the other marker is unknown: that is not "no CKD".
  if (openLatest || !latestAcr || !latestEgfr) {
    const none = (run: MarkerRun, name: string): string => (run.discordant.length > 0 ? `; no usable ${name} (results taken together disagree)` : `; no ${name}`);
    const missing = !latestAcr ? none(acrRun, 'urine albumin/creatinine ratio') : !latestEgfr ? none(gfrRun, 'eGFR') : '';
    return newFinding('ckd', {
      status: 'not-enough-data',
      stage,
      summary: `latest ${normals.join(', ')}${missing}`,
      evidence,
      notes,
    });
  }
  return newFinding('ckd', {
    status: 'not-met',
    stage,
    summary: `latest ${normals.join(', ')}: neither marker abnormal`,
    evidence,
    notes,
  });
}
