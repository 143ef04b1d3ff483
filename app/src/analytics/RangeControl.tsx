/** The date range (UTC days, both included) and the service the analytics cover. */
import { useId } from 'react';

export interface Range {
  from: string;
  to: string;
  service: string;
}

/** The longest range the API answers (GET /api/analytics/feedback). */
export const MAX_DAYS = 366;
const MS_PER_DAY = 86_400_000;

export const today = () => new Date().toISOString().slice(0, 10);
export const daysBefore = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * MS_PER_DAY).toISOString().slice(0, 10);
export const daysIn = (r: Pick<Range, 'from' | 'to'>) => Math.round((Date.parse(`${r.to}T00:00:00Z`) - Date.parse(`${r.from}T00:00:00Z`)) / MS_PER_DAY) + 1;

/** Why the range cannot be asked for, if it cannot. */
export function rangeProblem(r: Pick<Range, 'from' | 'to'>): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(r.from) || !/^\d{4}-\d{2}-\d{2}$/.test(r.to)) return 'Enter both dates.';
  if (r.from > r.to) return 'The first day must not be after the last.';
  if (daysIn(r) > MAX_DAYS) return `At most ${MAX_DAYS} days at a time.`;
  return undefined;
}

const PRESETS = [7, 30, 90, 365];

export function RangeControl({ range, services, onChange, problem }: { range: Range; services: string[]; onChange: (r: Range) => void; problem?: string }) {
  const id = useId();
  const end = today();
  return (
    <form className="an-range" aria-label="Range shown" onSubmit={(e) => e.preventDefault()}>
      <div className="an-range-fields">
        <div className="ws-field">
          <label htmlFor={`${id}-from`}>From</label>
          <input id={`${id}-from`} type="date" value={range.from} max={range.to} onChange={(e) => onChange({ ...range, from: e.target.value })} aria-describedby={problem ? `${id}-problem` : undefined} />
        </div>
        <div className="ws-field">
          <label htmlFor={`${id}-to`}>To</label>
          <input id={`${id}-to`} type="date" value={range.to} min={range.from} onChange={(e) => onChange({ ...range, to: e.target.value })} aria-describedby={problem ? `${id}-problem` : undefined} />
        </div>
        <div className="ws-field">
          <label htmlFor={`${id}-service`}>Service</label>
          <select id={`${id}-service`} value={range.service} onChange={(e) => onChange({ ...range, service: e.target.value })}>
            <option value="">All services</option>
            {services.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="an-presets" role="group" aria-label="Quick ranges">
        {PRESETS.map((n) => {
          const from = daysBefore(end, n - 1);
          const active = range.to === end && range.from === from;
          return (
            <button key={n} type="button" className="ui-button ui-button-small" aria-pressed={active} onClick={() => onChange({ ...range, from, to: end })}>
              Last {n} days
            </button>
          );
        })}
      </div>
      {problem && (
        <p id={`${id}-problem`} className="ui-notice ui-notice-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
