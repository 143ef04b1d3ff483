/** Per service and kind of card (the rule that made it): issued, accepted, overridden, no feedback. Sortable. */
import { SortHeader, useSorted } from '../workspace/ui';
import { kindName, share, type KindAnalytics } from './types';

type Column = 'kind' | 'issued' | 'accepted' | 'overridden' | 'noFeedback' | 'acceptance';

const acceptance = (k: KindAnalytics) => (k.accepted + k.overridden === 0 ? -1 : k.accepted / (k.accepted + k.overridden));
const COMPARE: Record<Column, (a: KindAnalytics, b: KindAnalytics) => number> = {
  kind: (a, b) => a.serviceId.localeCompare(b.serviceId) || kindName(a).localeCompare(kindName(b)),
  issued: (a, b) => a.issued - b.issued,
  accepted: (a, b) => a.accepted - b.accepted,
  overridden: (a, b) => a.overridden - b.overridden,
  noFeedback: (a, b) => a.noFeedback - b.noFeedback,
  acceptance: (a, b) => acceptance(a) - acceptance(b),
};

export function KindsTable({ kinds }: { kinds: KindAnalytics[] }) {
  const { sorted, sort, toggle } = useSorted<KindAnalytics, Column>(kinds, COMPARE, { key: 'issued', direction: 'descending' });
  return (
    <div className="an-scroll">
      <table className="ws-table an-kinds" data-testid="analytics-kinds">
        <caption className="visually-hidden">Cards per service and kind</caption>
        <thead>
          <tr>
            <SortHeader label="Service · kind of card" column="kind" sort={sort} onSort={toggle} />
            <SortHeader label="Issued" column="issued" sort={sort} onSort={toggle} className="num" />
            <SortHeader label="Accepted" column="accepted" sort={sort} onSort={toggle} className="num" />
            <SortHeader label="Overridden" column="overridden" sort={sort} onSort={toggle} className="num" />
            <SortHeader label="No feedback" column="noFeedback" sort={sort} onSort={toggle} className="num" />
            <SortHeader label="Accepted of answered" column="acceptance" sort={sort} onSort={toggle} className="num" />
          </tr>
        </thead>
        <tbody>
          {sorted.map((k) => (
            <tr key={`${k.serviceId}|${k.ruleId ?? ''}`}>
              <th scope="row">
                <span className="an-service">{k.serviceId}</span> <code className="an-rule">{kindName(k)}</code>
              </th>
              <td className="num">{k.issued.toLocaleString()}</td>
              <td className="num">
                {k.accepted.toLocaleString()} <span className="ws-meta">{share(k.accepted, k.issued)}</span>
              </td>
              <td className="num">
                {k.overridden.toLocaleString()} <span className="ws-meta">{share(k.overridden, k.issued)}</span>
              </td>
              <td className="num">
                {k.noFeedback.toLocaleString()} <span className="ws-meta">{share(k.noFeedback, k.issued)}</span>
              </td>
              <td className="num">{share(k.accepted, k.accepted + k.overridden)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
