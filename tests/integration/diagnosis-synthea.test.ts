/**
 * The diagnosis criteria against the Synthea development set (dx_synthea_smart_r4, 53 bundles).
 *
 * For each patient and target condition (hypertension, diabetes, prediabetes, CKD): remove the
 * Condition resources whose code is in the target's value set, build the PatientContext at the
 * date of the last Encounter, run evaluateCriteria, the card policy (alert-policy.ts, default
 * stage 1 hypertension rule) and the "already known?" check, and count the condition as raised
 * when the finding is shown and not already on the record (same stage). The gold
 * label is the target Condition active at that date in the full record (README "How to score").
 *
 * The subset "whose data meet the guideline's criteria" is decided by a deliberately simple,
 * independent reading of each guideline written here (not the criteria code), so sensitivity on
 * it measures the implementation rather than restating it.
 *
 * Figures are printed for the report; only sanity bounds are asserted (the formal evaluation is
 * `npm run eval:diagnosis`). Thresholds are the guidelines' and are not tuned to this data.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { buildPatientContext } from '../../src/fhir/context/index.js';
import { findingsToShow } from '../../src/services/diagnosis/alert-policy.js';
import { evaluateCriteria } from '../../src/services/diagnosis/evaluate.js';
import type { Finding } from '../../src/services/diagnosis/finding.js';
import { checkRecorded } from '../../src/services/diagnosis/known.js';
import { dataMeetCriteria, lastEncounterTime, rates, TARGETS, withoutTarget, type Bundle, type Rates, type Target } from '../../dev/eval/diagnosis.js';
import { readJsonLines, syntheaDataset, withDataset } from '../support/datasets.js';

const SYNTHEA = syntheaDataset();
const DATASET = SYNTHEA.path ?? '';

interface IndexRow {
  file: string;
  selection_group: string;
}
const available = SYNTHEA.path !== undefined;
const rows = readJsonLines<IndexRow>(SYNTHEA, 'index.jsonl');

interface Outcome {
  file: string;
  group: string;
  key: Target;
  gold: boolean;
  raised: boolean;
  finding: Finding;
  known: string;
  dataMeet: boolean;
}

function evaluateAll(): Outcome[] {
  const out: Outcome[] = [];
  for (const row of rows) {
    const bundle = JSON.parse(readFileSync(join(DATASET, row.file), 'utf8')) as Bundle;
    const referenceTime = lastEncounterTime(bundle);
    const full = buildPatientContext({ resources: [bundle], referenceTime });
    for (const { key, valueSet } of TARGETS) {
      const gold = full.conditions.some((c) => c.valueSets.includes(valueSet) && c.activeAtReference === 'yes');
      const ctx = buildPatientContext({ resources: [withoutTarget(bundle, valueSet)], referenceTime });
      const findings = evaluateCriteria(ctx);
      const finding = findings.find((f) => f.condition === key) as Finding;
      const known = checkRecorded(finding, ctx).status;
      const shown = findingsToShow(findings, ctx, 'with-indication').some((f) => f.condition === key);
      const raised = shown && known !== 'recorded-same-stage';
      out.push({ file: row.file, group: row.selection_group, key, gold, raised, finding, known, dataMeet: dataMeetCriteria(key, ctx) });
    }
  }
  return out;
}

const fmtRate = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(2));

const suite = withDataset(SYNTHEA).describe;

suite('diagnosis criteria on the Synthea development set', () => {
  const outcomes = available ? evaluateAll() : [];

  it('evaluates all 53 bundles for the 4 targets without internal errors', () => {
    expect(rows).toHaveLength(53);
    expect(outcomes).toHaveLength(53 * TARGETS.length);
    const errors = outcomes.filter((o) => o.finding.notes.some((n) => n.startsWith('internal error')));
    expect(errors.map((o) => `${o.file} ${o.key}`)).toEqual([]);
  });

  it('reports sensitivity and specificity per condition, overall and on the criteria-met subset', () => {
    const summary: Record<string, unknown> = {};
    const lines: string[] = ['condition     | overall sens (TP/P) | spec (TN/N)      | data-meet subset: sens (TP/P) | spec on non-meeting controls | gold+ by status'];
    for (const { key } of TARGETS) {
      const mine = outcomes.filter((o) => o.key === key);
      const overall = rates(mine);
      const subset = rates(mine.filter((o) => o.dataMeet));
      const controlsNotMeeting = rates(mine.filter((o) => !o.dataMeet));
      const statusOfPositives: Record<string, number> = {};
      for (const o of mine.filter((x) => x.gold)) {
        const s = o.raised ? 'raised' : o.finding.status === 'met' ? `met-but-${o.known}` : o.finding.status;
        statusOfPositives[s] = (statusOfPositives[s] ?? 0) + 1;
      }
      lines.push(
        `${key.padEnd(13)} | ${fmtRate(overall.sensitivity)} (${overall.truePositives}/${overall.positives})`.padEnd(37) +
          ` | ${fmtRate(overall.specificity)} (${overall.trueNegatives}/${overall.negatives})`.padEnd(19) +
          ` | ${fmtRate(subset.sensitivity)} (${subset.truePositives}/${subset.positives})`.padEnd(32) +
          ` | ${fmtRate(controlsNotMeeting.specificity)} (${controlsNotMeeting.trueNegatives}/${controlsNotMeeting.negatives})`.padEnd(31) +
          ` | ${JSON.stringify(statusOfPositives)}`,
      );
      const falsePositives = mine.filter((o) => !o.gold && o.raised).map((o) => `${o.file.slice(8, 30)} [${o.finding.stage ?? ''}] ${o.finding.summary}`);
      const missedMeeting = mine.filter((o) => o.gold && o.dataMeet && !o.raised).map((o) => `${o.file.slice(8, 30)} ${o.finding.status}: ${o.finding.summary}`);
      summary[key] = { overall, subset, controlsNotMeeting, statusOfPositives, falsePositives, missedMeeting };
    }
    // For the card policy discussion: hypertension if every stage 1 finding raised a card (policy 'always').
    const htn = outcomes.filter((o) => o.key === 'hypertension');
    const everyStage1 = rates(htn.map((o) => ({ ...o, raised: o.finding.status === 'met' && o.known !== 'recorded-same-stage' })));
    lines.push(
      `hypertension, every stage 1 shown: sens ${fmtRate(everyStage1.sensitivity)} (${everyStage1.truePositives}/${everyStage1.positives}), spec ${fmtRate(everyStage1.specificity)} (${everyStage1.trueNegatives}/${everyStage1.negatives})`,
    );
    console.log(`${lines.join('\n')}\n${JSON.stringify(summary, null, 1)}`);

    // Sanity bounds only.
    for (const { key } of TARGETS) {
      const r = summary[key] as { overall: Rates; subset: Rates };
      expect(r.overall.positives).toBeGreaterThan(0);
      expect(r.overall.specificity ?? 0).toBeGreaterThanOrEqual(0.5);
      if (r.subset.positives > 0) expect(r.subset.sensitivity ?? 0).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('every raised finding carries evidence with FHIR references and a guideline citation', () => {
    for (const o of outcomes.filter((x) => x.raised)) {
      const readings = o.finding.evidence.filter((e) => e.kind === 'reading');
      expect(readings.length).toBeGreaterThan(0);
      expect(readings.every((e) => /^Observation\//.test(e.source ?? ''))).toBe(true);
      expect(o.finding.guideline.id).toMatch(/^summary-/);
      expect(o.finding.summary).toMatch(/\d/);
    }
  });
});
