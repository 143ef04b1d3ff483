/**
 * The shipped demo patients: every bundle loads into the dev FHIR server (which validates each
 * resource), and the hand-made edge cases read as they were made to.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { buildPatientContext, latest, type PatientContext } from '../../src/fhir/context/index.js';
import { startDevFhirServer, type DevFhirServer } from '../../dev/fhir-server/index.js';
import { repoPath } from '../support/repo-root.js';

const EDGE = repoPath('fhir-profiles/examples/edge-cases');
const referenceTime = new Date('2026-11-24T09:00:00Z');
const context = (file: string): PatientContext =>
  buildPatientContext({ resources: [JSON.parse(readFileSync(`${EDGE}/${file}`, 'utf8'))], referenceTime });

let fhir: DevFhirServer;
beforeAll(async () => {
  fhir = await startDevFhirServer({ bundles: [repoPath('fhir-profiles/examples')] });
}, 60_000);
afterAll(() => fhir?.close());

describe('demo patients', () => {
  it('loads at least 20 Synthea patients and the 12 edge cases into the dev FHIR server', async () => {
    const res = await fetch(`${fhir.baseUrl}/Patient?_count=100&_summary=count`);
    const bundle = (await res.json()) as { total: number };
    expect(bundle.total).toBeGreaterThanOrEqual(32);
  });

  it('ED patient: deteriorating vitals kept in time order, new confusion last', () => {
    const ctx = context('ed-deteriorating-vitals.json');
    expect(ctx.currentEncounter?.class).toBe('emergency');
    expect(ctx.vitals.respiratoryRate.map((r) => r.value)).toEqual([18, 24, 30]);
    expect(ctx.vitals.systolicBP.map((r) => r.value)).toEqual([128, 104, 88]);
    expect(ctx.consciousness.map((c) => c.level)).toEqual(['A', 'A', 'C']);
    expect(latest(ctx.labs.lactate)?.value).toBe(4.2);
    expect(ctx.exclusions).toEqual([]);
  });

  it('mixed units: every value in its canonical unit, the original kept', () => {
    const ctx = context('mixed-units.json');
    expect(ctx.labs.fastingGlucose.map((r) => [Math.round(r.value * 10) / 10, r.unit])).toEqual([
      [133.3, 'mg/dL'],
      [134, 'mg/dL'],
    ]);
    expect(ctx.labs.fastingGlucose[0]?.original).toMatchObject({ value: 7.4, unit: 'mmol/L' });
    expect(ctx.labs.hba1c.map((r) => Math.round(r.value * 10) / 10)).toEqual([6.9, 7.1]);
    expect(ctx.labs.creatinine.map((r) => Math.round(r.value * 100) / 100)).toEqual([1.59, 1.62]);
    expect(Math.round((latest(ctx.vitals.temperature)?.value ?? 0) * 10) / 10).toBe(36.8);
    expect(Math.round(latest(ctx.vitals.bodyWeight)?.value ?? 0)).toBe(105);
    expect(Math.round(latest(ctx.labs.uacr)?.value ?? 0)).toBe(36);
    expect(ctx.exclusions).toEqual([]);
  });

  it('implausible values: each excluded with a reason, the plausible ones kept', () => {
    const ctx = context('implausible-values.json');
    expect(ctx.vitals.heartRate.map((r) => r.value)).toEqual([78]);
    expect(ctx.vitals.systolicBP.map((r) => r.value)).toEqual([118]);
    expect(ctx.vitals.temperature).toEqual([]);
    expect(ctx.vitals.spo2).toEqual([]);
    expect(ctx.labs.haemoglobin).toEqual([]);
    const reasons = ctx.exclusions.map((e) => e.reason).sort();
    expect(reasons.filter((r) => r === 'implausible-value').length).toBeGreaterThanOrEqual(5);
    expect(reasons).toContain('unknown-unit');
  });

  it('notes only: both notes decoded with their dates, no structured data invented', () => {
    const ctx = context('notes-only.json');
    expect(ctx.notes).toHaveLength(2);
    expect(ctx.notes.map((n) => n.text).join('\n')).toMatch(/HbA1c 8\.1%.*\n?.*|flank pain/);
    expect(ctx.labs.hba1c).toEqual([]);
    expect(ctx.conditions).toEqual([]);
  });

  it('trial candidate: coded HIV infection, its antiretroviral therapy and a clinic note', () => {
    const ctx = context('hiv-trial-candidate.json');
    expect(ctx.conditions.map((c) => c.codings.map((x) => x.code))).toEqual([['86406008']]);
    expect(ctx.medications).toHaveLength(1);
    expect(ctx.notes[0]?.text).toContain('confirmed by ELISA and western blot');
    expect(ctx.exclusions).toEqual([]);
  });
});
