/**
 * Reading a measured value against a published threshold table.
 *
 * Published charts are written at the resolution a nurse records: whole breaths, beats, mm Hg and
 * per cent, temperature to 0.1 °C ("35.1-36.0"). A converted value (98.6 °F → 36.999… °C) is
 * therefore rounded to the chart's resolution first, half away from zero, and then looked up, so
 * that every value lands in exactly one row, as it would on paper.
 *
 * A value recorded with a comparator ("SpO2 < 85") stands for a range; its points are certain
 * only when the whole range lies in rows with the same points. Otherwise the caller is told the
 * possible points and decides what "unknown" means for its score.
 */
import type { QuantityEvidence } from './types.js';

/** One row of a chart: from..to inclusive, on values rounded to the chart's resolution. */
export interface ChartRow {
  from: number;
  to: number;
  points: number;
}

export interface Chart {
  /** Recording resolution of the chart: 1 for whole numbers, 0.1 for temperature. */
  resolution: number;
  rows: readonly ChartRow[];
}

/** Rounds to the resolution, half away from zero; the epsilon absorbs binary noise (38.05 → 38.1). */
export function roundTo(value: number, resolution: number): number {
  const steps = value / resolution;
  const rounded = Math.sign(steps) * Math.round(Math.abs(steps) + 1e-9);
  // Re-derive through toFixed so 36.1 is 36.1, not 36.100000000000001.
  const decimals = Math.max(0, Math.round(-Math.log10(resolution)));
  return Number((rounded * resolution).toFixed(decimals));
}

/** The range of chart-resolution values a reading can stand for. */
export interface ValueRange {
  low: number;
  high: number;
}

export function possibleRange(value: number, comparator: QuantityEvidence['comparator'], resolution: number): ValueRange {
  const v = roundTo(value, resolution);
  switch (comparator) {
    case '<':
      return { low: -Infinity, high: roundTo(v - resolution, resolution) };
    case '<=':
      return { low: -Infinity, high: v };
    case '>':
      return { low: roundTo(v + resolution, resolution), high: Infinity };
    case '>=':
      return { low: v, high: Infinity };
    default:
      return { low: v, high: v };
  }
}

export interface ChartLookup {
  /** The fewest points the reading can score (= the points when `certain`). */
  points: number;
  /** The most points the reading can score. */
  maxPoints: number;
  /** True when the reading falls in rows with one number of points. */
  certain: boolean;
  /** The value after rounding to the chart's resolution (for the comparator-free case). */
  charted: number;
}

export function lookUp(chart: Chart, value: number, comparator?: QuantityEvidence['comparator']): ChartLookup {
  const range = possibleRange(value, comparator, chart.resolution);
  const hit = chart.rows.filter((row) => row.to >= range.low && row.from <= range.high).map((row) => row.points);
  if (hit.length === 0) {
    // Cannot happen for a chart whose rows cover the number line; fail loudly rather than score 0.
    throw new Error(`value ${value} is not covered by the chart`);
  }
  const points = Math.min(...hit);
  const maxPoints = Math.max(...hit);
  return { points, maxPoints, certain: points === maxPoints, charted: roundTo(value, chart.resolution) };
}

/**
 * Is the reading at or above / at or below a threshold? `null` when a comparator leaves it open
 * (e.g. "> 20" against "≥ 22").
 */
export function isAtLeast(e: QuantityEvidence, threshold: number, resolution: number): boolean | null {
  const r = possibleRange(e.value, e.comparator, resolution);
  if (r.low >= threshold) return true;
  if (r.high < threshold) return false;
  return null;
}

export function isAtMost(e: QuantityEvidence, threshold: number, resolution: number): boolean | null {
  const r = possibleRange(e.value, e.comparator, resolution);
  if (r.high <= threshold) return true;
  if (r.low > threshold) return false;
  return null;
}

export function isAbove(e: QuantityEvidence, threshold: number, resolution: number): boolean | null {
  return isAtLeast(e, roundTo(threshold + resolution, resolution), resolution);
}

export function isBelow(e: QuantityEvidence, threshold: number, resolution: number): boolean | null {
  return isAtMost(e, roundTo(threshold - resolution, resolution), resolution);
}

/** "36.5 Cel", "< 85 %", for details and logs. */
export function describeValue(e: QuantityEvidence): string {
  const v = Number.isInteger(e.value) ? String(e.value) : String(Number(e.value.toFixed(2)));
  const unit = e.unit === '{score}' ? '' : ` ${e.unit}`;
  return `${e.comparator ? `${e.comparator} ` : ''}${v}${unit}`;
}
