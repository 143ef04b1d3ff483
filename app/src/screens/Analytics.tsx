/**
 * Feedback analytics (#/analytics): what clinicians did with the cards Cairn issued, from the
 * issued-card ledger (GET /api/analytics/feedback): per service and kind of card, how many were
 * issued, accepted, overridden (and why) or got no feedback, per day. Counts only: no patient, no
 * card text, no comment.
 */
import { useEffect, useMemo, useState } from 'react';
import { DailyChart } from '../analytics/DailyChart';
import { KindsTable } from '../analytics/KindsTable';
import { OverrideReasons } from '../analytics/OverrideReasons';
import { daysBefore, rangeProblem, RangeControl, today, type Range } from '../analytics/RangeControl';
import { dailyTotals, OUTCOME_LABEL, share, type FeedbackAnalytics } from '../analytics/types';
import type { Client } from '../smart';
import { cairn, errorText } from '../workspace/cairn';
import { EmptyNotice, ErrorNotice, formatDay } from '../workspace/ui';

function Tile({ label, value, note, tone }: { label: string; value: number; note?: string; tone: string }) {
  return (
    <li className={`an-tile an-tile-${tone}`}>
      <span className="an-tile-value">{value.toLocaleString()}</span>
      <span className="an-tile-label">{label}</span>
      {note && <span className="an-tile-note">{note}</span>}
    </li>
  );
}

export function Analytics({ client }: { client: Client }) {
  const [range, setRange] = useState<Range>(() => ({ from: daysBefore(today(), 29), to: today(), service: '' }));
  const [data, setData] = useState<FeedbackAnalytics>();
  const [services, setServices] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const problem = rangeProblem(range);

  useEffect(() => {
    if (problem) return;
    let stale = false;
    setLoading(true);
    const params = new URLSearchParams({ from: range.from, to: range.to, ...(range.service && { service: range.service }) });
    cairn<FeedbackAnalytics>(client, `/api/analytics/feedback?${params.toString()}`)
      .then((d) => {
        if (stale) return;
        setData(d);
        setError(undefined);
        // The services seen so far stay offered when one is chosen.
        setServices((old) => [...new Set([...old, ...d.kinds.map((k) => k.serviceId)])].sort());
      })
      .catch((e: unknown) => !stale && setError(errorText(e)))
      .finally(() => !stale && setLoading(false));
    return () => {
      stale = true;
    };
  }, [client, range, problem]);

  const days = useMemo(() => (data ? dailyTotals(data.kinds) : []), [data]);
  const t = data?.totals;
  const answered = t ? t.accepted + t.overridden : 0;
  const period = data ? `${formatDay(data.from)} to ${formatDay(data.to)}` : '';
  const description = t
    ? `Line chart of cards per day, ${period}${range.service ? `, service ${range.service}` : ''}: ${t.issued} issued, ${t.accepted} accepted, ${t.overridden} overridden, ${t.noFeedback} without feedback. The numbers per day are in the table below.`
    : '';

  return (
    <div className="an" aria-busy={loading}>
      <header className="ws-intro">
        <h1>Feedback analytics</h1>
        <p>
          What clinicians did with the cards Cairn issued, counted from Cairn’s issued-card ledger by day of issue (UTC). A card’s outcome is its latest feedback. “No feedback” means the EHR reported nothing: the card may have been read and closed,
          ignored or never shown; CDS Hooks feedback has no “dismissed”.
        </p>
      </header>
      <RangeControl range={range} services={services} onChange={setRange} {...(problem && { problem })} />
      {error && <ErrorNotice title="The analytics could not be read." message={error} />}
      {data && t && (
        <>
          <h2 className="visually-hidden">Totals</h2>
          <ul className="an-tiles" aria-label={`Totals, ${period}`}>
            <Tile label={OUTCOME_LABEL.issued} value={t.issued} note={period} tone="issued" />
            <Tile label={OUTCOME_LABEL.accepted} value={t.accepted} note={`${share(t.accepted, t.issued)} of issued · ${share(t.accepted, answered)} of answered`} tone="accepted" />
            <Tile label={OUTCOME_LABEL.overridden} value={t.overridden} note={`${share(t.overridden, t.issued)} of issued · ${share(t.overridden, answered)} of answered`} tone="overridden" />
            <Tile label={OUTCOME_LABEL.noFeedback} value={t.noFeedback} note={`${share(t.noFeedback, t.issued)} of issued`} tone="none" />
          </ul>
          {t.issued === 0 ? (
            <EmptyNotice>
              No cards were issued {range.service ? `by ${range.service} ` : ''}from {period}. Cards are counted when a CDS service answers a hook with them; choose a longer range{range.service ? ' or all services' : ''}.
            </EmptyNotice>
          ) : (
            <>
              <section className="ws-card" aria-labelledby="an-daily">
                <h2 id="an-daily">Cards per day</h2>
                <DailyChart days={days} description={description} />
              </section>
              <section className="ws-card" aria-labelledby="an-kinds">
                <h2 id="an-kinds">By service and kind of card</h2>
                <KindsTable kinds={data.kinds} />
              </section>
              <section className="ws-card" aria-labelledby="an-reasons">
                <h2 id="an-reasons">Override reasons</h2>
                <OverrideReasons kinds={data.kinds} />
              </section>
            </>
          )}
        </>
      )}
    </div>
  );
}
