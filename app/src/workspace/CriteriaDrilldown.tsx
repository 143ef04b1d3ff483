/**
 * One patient's criterion table for the trial, as Cairn judged it: every criterion in the trial's
 * order, verbatim, met / not met / unknown, what the judgement rests on, the evidence (the
 * recorded value or the note sentence, quoted with its place in the record) and the reason.
 * Nothing here is reworded: texts are the trial record's and the record's own.
 */
import { BASIS_LABEL, CATEGORY_HINT, CATEGORY_LABEL, STATUS_LABEL, summarise } from './criteria';
import type { CriterionRow, PatientResult } from './types';
import { EmptyNotice } from './ui';
import { COUNTING_NOTE } from '../criteria-order';

const STATUS_MARK: Record<CriterionRow['status'], string> = { met: '✓', 'not-met': '✗', unknown: '?' };

function CriterionTable({ title, rows, kind }: { title: string; rows: CriterionRow[]; kind: 'inclusion' | 'exclusion' }) {
  if (rows.length === 0) return null;
  // For an inclusion criterion "met" is good news, for an exclusion criterion it is the opposite.
  const tone = (s: CriterionRow['status']) => (s === 'unknown' ? 'unknown' : (s === 'met') === (kind === 'inclusion') ? 'good' : 'bad');
  let lastGroup: string | undefined;
  return (
    <table className="ws-criteria">
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col" className="num">
            #
          </th>
          <th scope="col">Criterion</th>
          <th scope="col">Judgement</th>
          <th scope="col">Evidence and reason</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => {
          const startsGroup = c.alternatives !== undefined && c.alternatives !== lastGroup;
          lastGroup = c.alternatives;
          return (
            <tr key={c.number} className={c.alternatives ? 'is-alternative' : undefined}>
              <td className="num">{c.number}</td>
              <td>
                {startsGroup && <div className="ws-alt-label">One of the following:</div>}
                <span className="ws-criterion-text">{c.text}</span>
                <div className="ws-meta">{c.category}</div>
              </td>
              <td>
                <span className={`ws-judgement ws-tone-${tone(c.status)}`}>
                  <span aria-hidden="true">{STATUS_MARK[c.status]}</span> {STATUS_LABEL[c.status]}
                </span>
                <div className="ws-meta">{BASIS_LABEL[c.basis]}</div>
              </td>
              <td>
                {c.evidence.length > 0 && (
                  <ul className="ws-evidence">
                    {c.evidence.map((e, i) => (
                      <li key={i}>
                        <span className="ws-evidence-kind">{e.kind === 'note' ? 'Note' : 'Record'}</span> <code>{e.source}</code>
                        {e.kind === 'note' ? <blockquote>{e.text}</blockquote> : <div>{e.text}</div>}
                      </li>
                    ))}
                  </ul>
                )}
                <div className="ws-reason">{c.reason}</div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function CriteriaDrilldown({ id, result, patientName }: { id: string; result: PatientResult; patientName: string }) {
  if (result.status === 'failed') {
    return (
      <div id={id} className="ws-drilldown" data-testid="criteria-drilldown">
        <p>
          {patientName} could not be screened after {result.attempts} attempt{result.attempts === 1 ? '' : 's'}: {result.error ?? 'no reason recorded'}.
        </p>
      </div>
    );
  }
  if (result.status !== 'done' || !result.criteria) {
    return (
      <div id={id} className="ws-drilldown" data-testid="criteria-drilldown">
        <EmptyNotice>{patientName} has not been screened yet; the criteria appear here once Cairn has read the record.</EmptyNotice>
      </div>
    );
  }
  const s = summarise(result.criteria);
  const deciding = new Set(s.deciding.map((c) => c.number));
  const inclusion = result.criteria.filter((c) => c.kind === 'inclusion');
  const exclusion = result.criteria.filter((c) => c.kind === 'exclusion');
  return (
    <div id={id} className="ws-drilldown" data-testid="criteria-drilldown">
      <h3>
        {patientName}: {result.category ? CATEGORY_LABEL[result.category] : ''}
      </h3>
      {result.category && <p className="ws-meta">{CATEGORY_HINT[result.category]}.</p>}
      <ul className="ws-facts">
        <li>
          Inclusion: {s.inclusion.met} of {s.inclusion.total} met, {s.inclusion.notMet} not met, {s.inclusion.unknown} unknown
        </li>
        <li>
          Exclusion: {s.exclusion.met} of {s.exclusion.total} met, {s.exclusion.unknown} unknown
        </li>
        {deciding.size > 0 && <li>Decided by criteria {[...deciding].map((n) => `#${n}`).join(', ')}</li>}
        {s.unknown.length > 0 && <li>To check: {s.unknown.map((c) => `#${c.number}`).join(', ')}</li>}
      </ul>
      <p className="ws-meta">{COUNTING_NOTE}</p>
      <CriterionTable title={`Inclusion criteria (${inclusion.length})`} rows={inclusion} kind="inclusion" />
      <CriterionTable title={`Exclusion criteria (${exclusion.length})`} rows={exclusion} kind="exclusion" />
    </div>
  );
}
