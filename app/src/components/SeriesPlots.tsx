/**
 * The trend plots behind a finding: every vital-sign or lab series of which the finding used at
 * least one reading (matched by the readings' FHIR references, so nothing is guessed from names),
 * systolic and diastolic pressure in one plot. A series with a single reading is listed, not
 * plotted: one point is not a trend.
 */
import { useMemo } from 'react';
import type { PatientEvidence, Series } from '../evidence-api';
import { formatValue, formatWhen } from '../format';
import { TrendPlot } from './TrendPlot';

/** Series drawn together: the same unit, read together. */
const TOGETHER: ReadonlyArray<readonly string[]> = [['systolicBP', 'diastolicBP']];

export function seriesUsing(evidence: PatientEvidence, sources: ReadonlySet<string>): Series[] {
  return [...evidence.series.vitals, ...evidence.series.labs].filter((s) => s.points.some((p) => sources.has(p.source)));
}

function groups(series: readonly Series[]): Series[][] {
  const out: Series[][] = [];
  const placed = new Set<string>();
  for (const keys of TOGETHER) {
    const members = series.filter((s) => keys.includes(s.key));
    if (members.length > 1) {
      out.push(members);
      for (const m of members) placed.add(m.key);
    }
  }
  for (const s of series) if (!placed.has(s.key)) out.push([s]);
  return out;
}

const groupTitle = (g: readonly Series[]) => (g.length === 2 && g.every((s) => s.key.endsWith('BP')) ? 'Blood pressure' : g.map((s) => s.label).join(', '));

export function SeriesPlots({ evidence, sources }: { evidence: PatientEvidence; sources: ReadonlySet<string> }) {
  const plotted = useMemo(() => groups(seriesUsing(evidence, sources)), [evidence, sources]);
  const trends = plotted.filter((g) => new Set(g.flatMap((s) => s.points.map((p) => p.time))).size > 1);
  const single = plotted.filter((g) => !trends.includes(g)).flat();
  if (plotted.length === 0) return null;
  return (
    <div className="plots">
      {trends.length > 0 && (
        <div className="plot-grid">
          {trends.map((g) => (
            <TrendPlot key={g.map((s) => s.key).join('+')} title={groupTitle(g)} series={g} used={sources} />
          ))}
        </div>
      )}
      {single.length > 0 && (
        <p className="single-readings">
          <span className="muted">One reading only: </span>
          {single.map((s, i) => {
            const p = s.points[0]!;
            return (
              <span key={s.key}>
                {i > 0 && '; '}
                {s.label} {formatValue(p.value, s.unit, p.comparator)} ({formatWhen(p.time)})
              </span>
            );
          })}
        </p>
      )}
    </div>
  );
}
