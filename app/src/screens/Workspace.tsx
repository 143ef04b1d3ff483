/**
 * The coordinator workspace (#/workspace, #/workspace/<screening id>): find a trial, screen a
 * FHIR Group or a list of patients against it, follow the screening, read each patient's criteria
 * and export the results. Everything is read with the coordinator's own SMART token; the patients
 * are read by Cairn's screening worker (see the API's description of POST …/screenings).
 */
import { useCallback, useEffect, useState } from 'react';
import type { Client } from '../smart';
import { cairn, errorText, fhirServerOf } from '../workspace/cairn';
import { ScreeningDetail } from '../workspace/ScreeningDetail';
import { ScreeningList } from '../workspace/ScreeningList';
import { StartScreening } from '../workspace/StartScreening';
import { TrialSearch } from '../workspace/TrialSearch';
import type { Screening, ScreeningList as ScreeningListAnswer, TrialSummary } from '../workspace/types';
import { ErrorNotice } from '../workspace/ui';

const LIST_PAGE = 10;

function screeningInHash(): string | undefined {
  const [, , id] = window.location.hash.replace(/^#\/?/, '#/').split('/');
  return id ? decodeURIComponent(id) : undefined;
}

function useHashScreening(): [string | undefined, (id: string) => void] {
  const [id, setId] = useState(screeningInHash);
  useEffect(() => {
    const onChange = () => setId(screeningInHash());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return [id, (next: string) => (window.location.hash = `#/workspace/${encodeURIComponent(next)}`)];
}

export function Workspace({ client }: { client: Client }) {
  const [trial, setTrial] = useState<TrialSummary>();
  const [screenings, setScreenings] = useState<Screening[]>([]);
  const [total, setTotal] = useState(0);
  const [listError, setListError] = useState<string>();
  const [titles, setTitles] = useState<Map<string, string>>(new Map());
  const [current, open] = useHashScreening();

  const loadList = useCallback(
    async (limit = LIST_PAGE) => {
      try {
        const list = await cairn<ScreeningListAnswer>(client, `/api/screenings?limit=${limit}`);
        setScreenings(list.screenings);
        setTotal(list.total);
        setListError(undefined);
      } catch (e) {
        setListError(errorText(e));
      }
    },
    [client],
  );
  useEffect(() => {
    void loadList();
  }, [loadList]);

  // Trial titles for the list: the screenings name trials by NCT id only.
  useEffect(() => {
    const missing = [...new Set(screenings.map((s) => s.nctId))].filter((n) => !titles.has(n));
    if (missing.length === 0) return;
    void Promise.all(missing.map((n) => cairn<{ nctId: string; title: string }>(client, `/api/trials/${n}`).then((t) => [n, t.title] as const, () => [n, ''] as const))).then((found) =>
      setTitles((old) => new Map([...old, ...found])),
    );
  }, [client, screenings, titles]);

  const show = (id: string) => {
    open(id);
    // Move to the screening, for keyboard and screen reader users as for everyone else.
    requestAnimationFrame(() => document.getElementById('ws-detail')?.focus());
  };

  const chooseTrial = (t: TrialSummary) => {
    setTrial(t);
    setTitles((old) => new Map(old).set(t.nctId, t.title));
    requestAnimationFrame(() => document.getElementById('ws-start-heading')?.scrollIntoView({ block: 'nearest' }));
  };

  return (
    <div className="ws">
      <header className="ws-intro">
        <h1>Trial screening</h1>
        <p>
          Screen patients of <code>{fhirServerOf(client)}</code> against a trial’s eligibility criteria. Cairn reads each record and judges every criterion as met, not met or unknown, with the evidence; a coordinator confirms
          eligibility.
        </p>
      </header>
      <div className="ws-setup">
        <TrialSearch client={client} {...(trial && { selected: trial.nctId })} onSelect={chooseTrial} />
        <StartScreening
          client={client}
          {...(trial && { trial })}
          onStarted={(s) => {
            void loadList();
            show(s.id);
          }}
        />
      </div>
      {listError && <ErrorNotice title="Your screenings could not be listed." message={listError} />}
      <ScreeningList screenings={screenings} total={total} titles={titles} {...(current && { current })} onOpen={(s) => show(s.id)} onMore={() => void loadList(screenings.length + LIST_PAGE)} />
      {current && (
        <div id="ws-detail" tabIndex={-1} className="ws-detail-wrap">
          <ScreeningDetail
            client={client}
            id={current}
            onProgress={(p) => setScreenings((list) => list.map((s) => (s.id === p.id ? { ...s, status: p.status, progress: p.progress } : s)))}
            onChanged={() => void loadList(Math.max(LIST_PAGE, screenings.length))}
          />
        </div>
      )}
    </div>
  );
}
