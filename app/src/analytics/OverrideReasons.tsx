/**
 * The reasons clinicians gave when they overrode a card, with how often, per service and kind.
 * Reasons are codings the service offered (its overrideReasons); an override without one is
 * counted as "no reason given". Free-text comments are never shown: they may name the patient.
 */
import { EmptyNotice } from '../workspace/ui';
import { kindName, type KindAnalytics } from './types';

interface Row {
  kind: KindAnalytics;
  reason: string;
  code?: string;
  count: number;
}

export function OverrideReasons({ kinds }: { kinds: KindAnalytics[] }) {
  const rows: Row[] = kinds
    .flatMap((kind) => kind.overrideReasons.map((r) => ({ kind, reason: r.display ?? r.code ?? 'No reason given', ...(r.code && { code: r.code }), count: r.count })))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  if (rows.length === 0) return <EmptyNotice>No card was overridden in this range, so there are no reasons to show.</EmptyNotice>;
  const most = Math.max(...rows.map((r) => r.count));
  return (
    <div className="an-scroll">
      <table className="ws-table an-reasons" data-testid="analytics-reasons">
        <caption className="visually-hidden">Override reasons, most frequent first</caption>
        <thead>
          <tr>
            <th scope="col">Reason</th>
            <th scope="col">Service · kind of card</th>
            <th scope="col" className="num">
              Overrides
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.kind.serviceId}|${r.kind.ruleId ?? ''}|${r.code ?? r.reason}`}>
              <th scope="row">
                {r.reason}
                {r.code && r.code !== r.reason && <span className="ws-meta"> ({r.code})</span>}
              </th>
              <td>
                <span className="an-service">{r.kind.serviceId}</span> <code className="an-rule">{kindName(r.kind)}</code>
              </td>
              <td className="num an-bar-cell">
                <span className="an-bar" style={{ width: `${(100 * r.count) / most}%` }} aria-hidden="true" />
                <span className="an-bar-value">{r.count.toLocaleString()}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
