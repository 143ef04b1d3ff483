/**
 * Cards per day (uPlot): issued, accepted, overridden and without feedback, one line each, told
 * apart by colour and by dash and point shape. The canvas has an accessible name that says what
 * it shows; the numbers are in a table below it, in a <details>, for screen readers, keyboard
 * users and anyone who wants the exact counts.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDay } from '../workspace/ui';
import { OUTCOME_LABEL, OUTCOMES, type Outcome, type OutcomeCounts } from './types';

const STYLE: Record<Outcome, { stroke: string; dash?: number[] }> = {
  issued: { stroke: '#14324a' },
  accepted: { stroke: '#1b7a4b' },
  overridden: { stroke: '#b8323c', dash: [8, 4] },
  noFeedback: { stroke: '#66788a', dash: [2, 4] },
};

const DAY = 86_400;
const SHORT_DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

export function DailyChart({ days, description }: { days: Array<OutcomeCounts & { day: string }>; description: string }) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (!el || days.length === 0) return;
    const data: uPlot.AlignedData = [days.map((d) => dayStart(d.day)), ...OUTCOMES.map((o) => days.map((d) => d[o]))];
    const opts: uPlot.Options = {
      width: Math.max(320, el.clientWidth),
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
      axes: [
        {
          stroke: '#1b1f24',
          grid: { stroke: '#e3e7ec' },
          ticks: { stroke: '#c5ccd4' },
          // Day buckets: ticks on whole days only, never at hours.
          incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY],
          values: (_u, splits) => splits.map((ts) => SHORT_DAY.format(new Date(ts * 1000))),
        },
        { stroke: '#1b1f24', grid: { stroke: '#e3e7ec' }, ticks: { stroke: '#c5ccd4' }, label: 'Cards', labelSize: 20, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
      ],
      series: [
        { label: 'Day', value: (_u, v) => (v == null ? '' : formatDay(new Date(v * 1000).toISOString().slice(0, 10))) },
        ...OUTCOMES.map((o) => ({ label: OUTCOME_LABEL[o], stroke: STYLE[o].stroke, width: 2, ...(STYLE[o].dash && { dash: STYLE[o].dash }), points: { show: days.length <= 60, size: 6 } })),
      ],
      // The legend names the lines; exact counts are in the table below the chart.
      legend: { live: false },
    };
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, el.clientWidth), height: 280 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [days]);

  return (
    <figure className="an-chart">
      <div ref={box} role="img" aria-label={description} data-testid="analytics-chart" className="an-chart-canvas" />
      <figcaption className="visually-hidden">{description}</figcaption>
      <details className="an-numbers">
        <summary>Show the numbers per day</summary>
        <div className="an-scroll">
          <table className="ws-table">
            <caption className="visually-hidden">Cards per day</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                {OUTCOMES.map((o) => (
                  <th key={o} scope="col" className="num">
                    {OUTCOME_LABEL[o]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.day}>
                  <th scope="row">{formatDay(d.day)}</th>
                  {OUTCOMES.map((o) => (
                    <td key={o} className="num">
                      {d[o]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
