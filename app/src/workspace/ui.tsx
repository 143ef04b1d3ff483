/**
 * Small pieces shared by the coordinator workspace and the feedback analytics: notices (errors
 * as the API words them, empty states that say why), sortable table headers (a button in the
 * header cell, aria-sort on the cell: WAI-ARIA APG "Sortable Table") and date formatting.
 */
import { useMemo, useState, type ReactNode } from 'react';

export function ErrorNotice({ title, message }: { title: string; message: string }) {
  return (
    <div className="ui-notice ui-notice-error" role="alert">
      <strong>{title}</strong> {message}
    </div>
  );
}

/** An empty state: what is missing and what to do about it. */
export function EmptyNotice({ children }: { children: ReactNode }) {
  return <p className="ui-notice ui-notice-empty">{children}</p>;
}

export type SortDirection = 'ascending' | 'descending';
export interface SortState<K extends string> {
  key: K;
  direction: SortDirection;
}

/** Rows sorted by the chosen column; choosing the same column again reverses the order. */
export function useSorted<T, K extends string>(rows: readonly T[], compare: Record<K, (a: T, b: T) => number>, initial: SortState<K>) {
  const [sort, setSort] = useState<SortState<K>>(initial);
  const sorted = useMemo(() => {
    const by = compare[sort.key];
    const sign = sort.direction === 'ascending' ? 1 : -1;
    // Stable: equal rows keep their order (the request order).
    return rows.map((row, i) => ({ row, i })).sort((a, b) => sign * by(a.row, b.row) || a.i - b.i).map((x) => x.row);
  }, [rows, compare, sort]);
  const toggle = (key: K) => setSort((s) => ({ key, direction: s.key === key && s.direction === 'ascending' ? 'descending' : 'ascending' }));
  return { sorted, sort, toggle };
}

export function SortHeader<K extends string>({ label, column, sort, onSort, className }: { label: string; column: K; sort: SortState<K>; onSort: (k: K) => void; className?: string }) {
  const active = sort.key === column;
  return (
    <th scope="col" aria-sort={active ? sort.direction : 'none'} className={className}>
      <button type="button" className="ui-sort" onClick={() => onSort(column)}>
        {label}
        <span aria-hidden="true" className="ui-sort-mark">
          {active ? (sort.direction === 'ascending' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

export function formatDateTime(iso: string): string {
  return DATE_TIME.format(new Date(iso));
}

/** A UTC day (YYYY-MM-DD) as a date in the user's words, without shifting it by their time zone. */
export function formatDay(day: string): string {
  return DATE.format(new Date(`${day}T00:00:00Z`));
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
