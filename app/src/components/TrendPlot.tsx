/**
 * A trend plot of one or more series of readings sharing a unit (uPlot on a canvas), with what a
 * canvas cannot give: an accessible name that states the readings' range, and the readings as a
 * table under a disclosure. Readings the finding rests on are marked in the table.
 *
 * The plot shows the readings and nothing else: no reference bands or thresholds are drawn, since
 * the app states no clinical fact the API did not give.
 */
import { useEffect, useId, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../evidence-api';
import { formatNumber, formatUnit, formatWhen } from '../format';

/** Line colours with at least 4.5:1 contrast on white, told apart also by their point shapes' order in the legend. */
const COLOURS = ['#1d4f91', '#b3261e', '#1e6b3a', '#6b3fa0'];
const HEIGHT = 200;

interface Props {
  title: string;
  series: readonly Series[];
  /** FHIR references of the readings the finding used (marked in the table). */
  used?: ReadonlySet<string>;
}

/** One row per time, a column per series (readings at the same time side by side: systolic and diastolic). */
function tableRows(series: readonly Series[]): Array<{ time: string; cells: Array<{ value: string; source?: string } | undefined> }> {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.time)))].sort((a, b) => Date.parse(a) - Date.parse(b));
  return times.map((time) => ({
    time,
    cells: series.map((s) => {
      const p = s.points.find((x) => x.time === time);
      return p && { value: `${p.comparator ?? ''}${formatNumber(p.value)}`, source: p.source };
    }),
  }));
}

/** What the plot shows, in words: its accessible name. */
export function describeTrend(title: string, series: readonly Series[]): string {
  const parts = series.map((s) => {
    const pts = s.points;
    const first = pts[0];
    const last = pts[pts.length - 1];
    if (!first || !last) return `${s.label}: no readings`;
    const unit = formatUnit(s.unit) || s.displayUnit;
    const values = pts.map((p) => p.value);
    return `${s.label}: ${pts.length} reading${pts.length === 1 ? '' : 's'} from ${formatWhen(first.time)} to ${formatWhen(last.time)}, ${formatNumber(Math.min(...values))} to ${formatNumber(Math.max(...values))} ${unit}, latest ${formatNumber(last.value)} ${unit}`;
  });
  return `Trend plot, ${title}. ${parts.join('. ')}.`;
}

export function TrendPlot({ title, series, used }: Props) {
  const holder = useRef<HTMLDivElement>(null);
  const captionId = useId();
  const unit = formatUnit(series[0]?.unit) || series[0]?.displayUnit || '';

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const times = [...new Set(series.flatMap((s) => s.points.map((p) => Date.parse(p.time) / 1000)))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [
      times,
      ...series.map((s) => {
        const byTime = new Map(s.points.map((p) => [Date.parse(p.time) / 1000, p.value]));
        return times.map((t) => byTime.get(t) ?? null);
      }),
    ];
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true } },
      cursor: { drag: { x: false, y: false } },
      // The series' names only: values under the cursor are in the table, for every reading at once.
      legend: { show: true, live: false },
      axes: [
        { stroke: '#333', grid: { stroke: '#e3e6ea' }, ticks: { stroke: '#c5cad1' }, space: 90 },
        { stroke: '#333', grid: { stroke: '#e3e6ea' }, ticks: { stroke: '#c5cad1' }, label: unit, size: 56},
      ],
      series: [
        { label: 'Time', value: (_u, v) => (v == null ? '—' : formatWhen(new Date(v * 1000).toISOString())) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLOURS[i % COLOURS.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 7, fill: COLOURS[i % COLOURS.length] },
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : `${formatNumber(v)} ${unit}`),
        })),
      ],
    };
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series, unit]);

  const rows = tableRows(series);
  return (
    <figure className="trend" aria-labelledby={captionId}>
      <figcaption id={captionId} className="trend-title">
        {title} <span className="muted">({unit})</span>
      </figcaption>
      <div ref={holder} className="trend-canvas" role="img" aria-label={describeTrend(title, series)} data-testid="trend-plot" />
      <details className="trend-data">
        <summary>Readings as a table</summary>
        <table>
          <caption className="visually-hidden">{title}: every reading</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              {series.map((s) => (
                <th scope="col" key={s.key}>
                  {s.label} ({formatUnit(s.unit) || s.displayUnit})
                </th>
              ))}
              {used && <th scope="col">Used by this finding</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.time}>
                <th scope="row">{formatWhen(r.time)}</th>
                {r.cells.map((c, i) => (
                  <td key={series[i]?.key ?? i} title={c?.source}>
                    {c?.value ?? '—'}
                  </td>
                ))}
                {used && <td>{r.cells.some((c) => c?.source && used.has(c.source)) ? 'yes' : ''}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
