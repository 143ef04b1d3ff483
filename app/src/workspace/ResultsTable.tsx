/**
 * The screening's results, one row per patient: the result, the inclusion and exclusion counts,
 * what decided it and what is left to check. Columns sort (buttons in the headers, aria-sort);
 * each patient's criteria open below their row (a button: Enter or Space).
 */
import { Fragment, useMemo, useState } from 'react';
import { CriteriaDrilldown } from './CriteriaDrilldown';
import { CATEGORY_HINT, resultLabel, resultRank, summarise, type CriteriaSummary } from './criteria';
import type { PatientLabel } from './patients';
import type { PatientResult } from './types';
import { SortHeader, useSorted } from './ui';

type Column = 'patient' | 'result' | 'inclusion' | 'exclusion' | 'unknown';

interface Row {
  result: PatientResult;
  id: string;
  name: string;
  label?: PatientLabel;
  summary?: CriteriaSummary;
}

const byNumber = (a: number | undefined, b: number | undefined) => (a ?? -1) - (b ?? -1);
const COMPARE: Record<Column, (a: Row, b: Row) => number> = {
  patient: (a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  result: (a, b) => resultRank(a.result) - resultRank(b.result),
  inclusion: (a, b) => byNumber(a.summary?.inclusion.met, b.summary?.inclusion.met),
  exclusion: (a, b) => byNumber(a.summary?.exclusion.met, b.summary?.exclusion.met),
  unknown: (a, b) => byNumber(a.summary?.unknown.length, b.summary?.unknown.length),
};

function Deciding({ row, cancelled }: { row: Row; cancelled: boolean }) {
  const r = row.result;
  if (r.status === 'failed') return <span className="ws-meta">{r.error ?? 'failed'}</span>;
  if (r.status !== 'done' || !row.summary) return <span className="ws-meta">{cancelled ? 'not screened: the screening was cancelled' : 'not screened yet'}</span>;
  const first = row.summary.deciding[0];
  if (!first) return <span className="ws-meta">{r.category ? CATEGORY_HINT[r.category] : ''}</span>;
  const others = row.summary.deciding.length - 1;
  return (
    <span>
      #{first.number} {first.kind} {first.status === 'not-met' ? 'not met' : first.status}: {first.reason}
      {others > 0 && <span className="ws-meta"> (and {others} more)</span>}
    </span>
  );
}

export function ResultsTable({ results, labels, caption, cancelled = false }: { results: PatientResult[]; labels: Map<string, PatientLabel>; caption: string; cancelled?: boolean }) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const rows = useMemo<Row[]>(
    () =>
      results.map((result) => {
        const id = result.patient.replace(/^Patient\//, '');
        const label = labels.get(id);
        return { result, id, name: label?.name ?? result.patient, ...(label && { label }), ...(result.criteria && { summary: summarise(result.criteria) }) };
      }),
    [results, labels],
  );
  const { sorted, sort, toggle } = useSorted<Row, Column>(rows, COMPARE, { key: 'result', direction: 'ascending' });
  const flip = (id: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <table className="ws-table ws-results" data-testid="results-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <SortHeader label="Patient" column="patient" sort={sort} onSort={toggle} />
          <SortHeader label="Result" column="result" sort={sort} onSort={toggle} />
          <SortHeader label="Inclusion met" column="inclusion" sort={sort} onSort={toggle} className="num" />
          <SortHeader label="Exclusion met" column="exclusion" sort={sort} onSort={toggle} className="num" />
          <SortHeader label="To check" column="unknown" sort={sort} onSort={toggle} className="num" />
          <th scope="col">Decided by</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((row) => {
          const expanded = open.has(row.id);
          const panel = `ws-criteria-${row.id}`;
          const s = row.summary;
          const tone = row.result.status === 'done' ? row.result.category : row.result.status;
          return (
            <Fragment key={row.id}>
              <tr data-testid="result-row" data-patient={row.id} data-category={row.result.category ?? row.result.status} className={expanded ? 'is-open' : undefined}>
                <th scope="row">
                  <button type="button" className="ws-disclosure" aria-expanded={expanded} aria-controls={expanded ? panel : undefined} onClick={() => flip(row.id)}>
                    <span aria-hidden="true" className="ws-disclosure-mark">
                      {expanded ? '▾' : '▸'}
                    </span>
                    <span>
                      <span className="ws-patient-name">{row.name}</span>
                      <span className="visually-hidden">: criteria</span>
                      {row.label && (
                        <span className="ws-meta ws-patient-meta">
                          {[row.label.gender, row.label.birthDate && `born ${row.label.birthDate}`].filter(Boolean).join(', ')} · {row.id}
                        </span>
                      )}
                    </span>
                  </button>
                </th>
                <td>
                  <span className={`ws-chip ws-chip-${tone ?? 'pending'}`}>{resultLabel(row.result, cancelled)}</span>
                </td>
                <td className="num">{s ? `${s.inclusion.met} / ${s.inclusion.total}` : '—'}</td>
                <td className="num">{s ? `${s.exclusion.met} / ${s.exclusion.total}` : '—'}</td>
                <td className="num">{s ? s.unknown.length : '—'}</td>
                <td className="ws-deciding">
                  <Deciding row={row} cancelled={cancelled} />
                </td>
              </tr>
              {expanded && (
                <tr className="ws-drilldown-row">
                  <td colSpan={6}>
                    <CriteriaDrilldown id={panel} result={row.result} patientName={row.name} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
