/**
 * All dx_synthea_smart_r4 bundles build into a PatientContext without error, and the latest
 * systolic BP / HbA1c / eGFR (and glucose, creatinine, UACR) agree with the dataset's ground
 * truth in index.jsonl (see the dataset README: `latest{bp, hba1c, egfr, glucose, creatinine, uacr}`).
 * Exclusion counts by reason are printed for review.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { buildPatientContext, conditionsIn, latest } from '../../src/fhir/context/index.js';
import type { LabKey, PatientContext, Reading } from '../../src/fhir/context/index.js';
import { readJsonLines, syntheaDataset, withDataset } from '../support/datasets.js';

const SYNTHEA = syntheaDataset();
const DATASET = SYNTHEA.path ?? '';
// After every record in the dataset (records end in 2021), so "latest" means latest in the file.
const REFERENCE_TIME = new Date('2030-01-01T00:00:00Z');

interface Latest {
  date: string;
  value: number;
  unit: string;
}
interface IndexRow {
  file: string;
  patient_id: string;
  birth_date: string;
  gender: string;
  deceased: string | null;
  conditions: Array<{ snomed: string; clinical_status: string }>;
  latest: {
    bp?: { date: string; sbp: number; dbp: number };
    hba1c?: Latest;
    egfr?: Latest;
    glucose?: Latest;
    creatinine?: Latest;
    uacr?: Latest;
  };
  has: { Hypertension: boolean; Diabetes: boolean; Prediabetes: boolean };
  has_ckd: boolean;
}

const available = SYNTHEA.path !== undefined;
const rows = readJsonLines<IndexRow>(SYNTHEA, 'index.jsonl');

interface Built {
  row: IndexRow;
  ctx: PatientContext;
  ms: number;
}

function buildAll(): Built[] {
  return rows.map((row) => {
    const bundle: unknown = JSON.parse(readFileSync(join(DATASET, row.file), 'utf8'));
    const t0 = performance.now();
    const ctx = buildPatientContext({ resources: [bundle], referenceTime: REFERENCE_TIME });
    return { row, ctx, ms: performance.now() - t0 };
  });
}

const suite = withDataset(SYNTHEA).describe;

suite('Synthea dx_synthea_smart_r4 bundles', () => {
  const built = available ? buildAll() : [];

  it('reads all bundles listed in index.jsonl', () => {
    expect(rows.length).toBe(53);
    expect(built).toHaveLength(rows.length);
  });

  it('builds every bundle without internal or malformed-resource errors', () => {
    for (const { row, ctx } of built) {
      const bad = ctx.exclusions.filter((e) => e.reason === 'internal-error' || e.reason === 'malformed-resource');
      expect({ file: row.file, bad }).toEqual({ file: row.file, bad: [] });
    }
  });

  it('patient demographics match the index', () => {
    for (const { row, ctx } of built) {
      expect(ctx.patient).toMatchObject({ id: row.patient_id, birthDate: row.birth_date, sex: row.gender });
      expect(ctx.patient?.deceased.status).toBe(row.deceased ? 'deceased' : 'not-recorded');
      if (row.deceased) expect(Date.parse(ctx.patient?.deceased.dateTime ?? '')).toBe(Date.parse(row.deceased));
    }
  });

  const expectLatest = (reading: Reading | undefined, truth: { date: string; value: number }, label: string): void => {
    expect({ label, present: reading !== undefined }).toEqual({ label, present: true });
    expect({ label, time: reading?.effectiveTime }).toEqual({ label, time: Date.parse(truth.date) });
    expect(reading?.value).toBeCloseTo(truth.value, 9);
  };

  it('latest systolic and diastolic BP agree with index.jsonl', () => {
    let checked = 0;
    for (const { row, ctx } of built) {
      if (!row.latest.bp) continue;
      expectLatest(latest(ctx.vitals.systolicBP), { date: row.latest.bp.date, value: row.latest.bp.sbp }, `${row.file} sbp`);
      expectLatest(latest(ctx.vitals.diastolicBP), { date: row.latest.bp.date, value: row.latest.bp.dbp }, `${row.file} dbp`);
      checked += 1;
    }
    expect(checked).toBe(53);
  });

  it.each<[keyof IndexRow['latest'], LabKey]>([
    ['hba1c', 'hba1c'],
    ['egfr', 'egfr'],
    ['glucose', 'randomGlucose'],
    ['creatinine', 'creatinine'],
    ['uacr', 'uacr'],
  ])('latest %s agrees with index.jsonl', (field, key) => {
    let checked = 0;
    for (const { row, ctx } of built) {
      const truth = row.latest[field] as Latest | undefined;
      if (!truth) {
        expect({ file: row.file, n: ctx.labs[key].length }).toEqual({ file: row.file, n: 0 });
        continue;
      }
      expectLatest(latest(ctx.labs[key]), truth, `${row.file} ${field}`);
      checked += 1;
    }
    console.log(`${field}: ${checked} patients checked against index.jsonl`);
    expect(checked).toBeGreaterThan(0);
  });

  it('condition value sets find the index conditions (Hypertension, Diabetes, Prediabetes, CKD)', () => {
    for (const { row, ctx } of built) {
      const ever = (id: string): boolean => conditionsIn(ctx, id, { includeInactive: true }).length > 0;
      expect({ file: row.file, htn: ever('cairn-hypertension'), pre: ever('cairn-prediabetes'), ckd: ever('cairn-ckd') }).toEqual({
        file: row.file,
        htn: row.has.Hypertension,
        pre: row.has.Prediabetes,
        ckd: row.has_ckd,
      });
      // cairn-diabetes also holds the diabetic-complication codes, which imply diabetes.
      if (row.has.Diabetes) expect(ever('cairn-diabetes')).toBe(true);
      const active = (code: string): boolean => row.conditions.some((c) => c.snomed === code && c.clinical_status === 'active');
      expect(conditionsIn(ctx, 'cairn-hypertension').length > 0).toBe(active('38341003'));
    }
  });

  it('replaying history: at one day before the last BP, the latest BP is the one before it and later data are excluded', () => {
    const replayExclusions = new Map<string, number>();
    let replayed = 0;
    for (const { row, ctx } of built) {
      const sbp = ctx.vitals.systolicBP;
      if (sbp.length < 2) continue;
      const last = sbp[sbp.length - 1] as Reading;
      const reference = new Date(last.effectiveTime - 24 * 3600 * 1000);
      const bundle: unknown = JSON.parse(readFileSync(join(DATASET, row.file), 'utf8'));
      const past = buildPatientContext({ resources: [bundle], referenceTime: reference });
      const expected = sbp.filter((r) => r.effectiveTime <= reference.getTime()).pop();
      expect(latest(past.vitals.systolicBP)?.source).toBe(expected?.source);
      expect(past.exclusions.some((e) => e.reason === 'after-reference-time')).toBe(true);
      for (const e of past.exclusions) replayExclusions.set(e.reason, (replayExclusions.get(e.reason) ?? 0) + 1);
      replayed += 1;
    }
    console.log(`replayed ${replayed} patients one day before their last BP; exclusions: ${JSON.stringify(Object.fromEntries(replayExclusions))}`);
    expect(replayed).toBeGreaterThan(40);
  });

  it('reports exclusion counts by reason', () => {
    const byReason = new Map<string, number>();
    const byDetail = new Map<string, number>();
    const readingNotes = new Map<string, number>();
    let readings = 0;
    for (const { ctx } of built) {
      for (const e of ctx.exclusions) {
        byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
        const shape = `${e.reason}: ${(e.detail ?? '').replace(/[\d.]+/g, '#').slice(0, 90)}`;
        byDetail.set(shape, (byDetail.get(shape) ?? 0) + 1);
      }
      for (const s of [...Object.values(ctx.vitals), ...Object.values(ctx.labs)]) {
        readings += s.length;
        for (const r of s) for (const n of r.notes ?? []) readingNotes.set(n, (readingNotes.get(n) ?? 0) + 1);
      }
    }
    const mapped = built.reduce((n, b) => n + b.ctx.stats.observationsNotMapped, 0);
    const times = built.map((b) => b.ms).sort((a, b) => a - b);
    console.log(
      [
        `bundles: ${built.length}; readings kept: ${readings}; observations not in any Cairn value set: ${mapped}`,
        `exclusions by reason: ${JSON.stringify(Object.fromEntries(byReason))}`,
        `notes on kept readings: ${JSON.stringify(Object.fromEntries(readingNotes))}`,
        `exclusion shapes: ${JSON.stringify(Object.fromEntries([...byDetail].sort((a, b) => b[1] - a[1]).slice(0, 10)), null, 1)}`,
        `build ms per bundle: median ${times[Math.floor(times.length / 2)]?.toFixed(1)}, max ${times[times.length - 1]?.toFixed(1)}`,
      ].join('\n'),
    );
    expect(byReason.get('internal-error') ?? 0).toBe(0);
  });
});
