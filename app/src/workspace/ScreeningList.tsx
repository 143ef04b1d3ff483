/** The coordinator's own screenings (GET /api/screenings), newest first, each with its progress. */
import type { Screening } from './types';
import { EmptyNotice, formatDateTime } from './ui';

const STATUS_WORDS: Record<Screening['status'], string> = { queued: 'Queued', running: 'Running', completed: 'Completed', cancelled: 'Cancelled' };

export function ScreeningList({ screenings, total, titles, current, onOpen, onMore }: { screenings: Screening[]; total: number; titles: Map<string, string>; current?: string; onOpen: (s: Screening) => void; onMore?: () => void }) {
  return (
    <section className="ws-card" aria-labelledby="ws-list-heading">
      <h2 id="ws-list-heading">Your screenings</h2>
      {screenings.length === 0 ? (
        <EmptyNotice>You have not started a screening yet. Choose a trial and patients above; each screening you start is listed here, with its progress.</EmptyNotice>
      ) : (
        <table className="ws-table ws-list">
          <caption className="visually-hidden">Your screenings, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Trial</th>
              <th scope="col">Patients</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Screened
              </th>
              <th scope="col">Started</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {screenings.map((s) => (
              <tr key={s.id} className={s.id === current ? 'is-selected' : undefined} data-testid="screening-row">
                <td>
                  <strong>{s.nctId}</strong>
                  {titles.get(s.nctId) && <div className="ws-meta ws-clip">{titles.get(s.nctId)}</div>}
                </td>
                <td>{s.source.kind === 'group' ? s.source.group : `${s.progress.total.toLocaleString()} listed`}</td>
                <td>
                  <span className={`ws-status ws-status-${s.status}`}>{STATUS_WORDS[s.status]}</span>
                </td>
                <td className="num">
                  {(s.progress.done + s.progress.failed).toLocaleString()} / {s.progress.total.toLocaleString()}
                </td>
                <td>{formatDateTime(s.createdAt)}</td>
                <td>
                  <button type="button" className="ui-button ui-button-small" onClick={() => onOpen(s)} aria-current={s.id === current ? 'true' : undefined}>
                    {s.id === current ? 'Shown below' : 'Open'}
                    <span className="visually-hidden">
                      {' '}
                      the {s.nctId} screening of {formatDateTime(s.createdAt)}
                    </span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {onMore && screenings.length < total && (
        <button type="button" className="ui-button ui-button-quiet" onClick={onMore}>
          Show older screenings
        </button>
      )}
    </section>
  );
}
