/**
 * Search and list the trials in Cairn's store (GET /api/trials): as-you-type with a short pause,
 * best match first; without words, every trial in NCT id order. Choosing one starts the screening
 * form for it.
 */
import { useEffect, useId, useState } from 'react';
import type { Client } from '../smart';
import { cairn, errorText } from './cairn';
import type { TrialList, TrialSummary } from './types';
import { EmptyNotice, ErrorNotice, plural } from './ui';

const PAGE = 10;

/** An age limit in the words a registry uses: months below two years (0.5 → "6 months"), else whole years. */
export function ageWords(years: number): string {
  if (years < 2) {
    const months = Math.round(years * 12);
    return `${months} month${months === 1 ? '' : 's'}`;
  }
  return `${Math.round(years * 10) / 10} years`;
}

export function ageRange(t: Pick<TrialSummary, 'minAgeYears' | 'maxAgeYears'>): string {
  const { minAgeYears: min, maxAgeYears: max } = t;
  if ((min === null || min === 0) && max === null) return 'any age';
  if (max === null) return `${ageWords(min as number)} and older`;
  if (min === null || min === 0) return `up to ${ageWords(max)}`;
  return `${ageWords(min)} to ${ageWords(max)}`;
}

/** "RECRUITING" → "Recruiting", "NOT_YET_RECRUITING" → "Not yet recruiting". */
export function statusWords(status: string): string {
  const words = status.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function TrialSearch({ client, selected, onSelect }: { client: Client; selected?: string; onSelect: (t: TrialSummary) => void }) {
  const [query, setQuery] = useState('');
  const [list, setList] = useState<TrialList>();
  const [more, setMore] = useState<TrialSummary[]>([]);
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const inputId = useId();
  const hintId = useId();

  useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      setLoading(true);
      const params = new URLSearchParams({ limit: String(PAGE), ...(query.trim() && { q: query.trim() }) });
      cairn<TrialList>(client, `/api/trials?${params.toString()}`)
        .then((l) => {
          if (stale) return;
          setList(l);
          setMore([]);
          setError(undefined);
        })
        .catch((e: unknown) => !stale && setError(errorText(e)))
        .finally(() => !stale && setLoading(false));
    }, query ? 300 : 0);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, query]);

  const trials = [...(list?.trials ?? []), ...more];
  const shown = trials.length;
  const loadMore = async () => {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(shown), ...(query.trim() && { q: query.trim() }) });
    try {
      const next = await cairn<TrialList>(client, `/api/trials?${params.toString()}`);
      setMore((m) => [...m, ...next.trials]);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section className="ws-card" aria-labelledby="ws-trials-heading">
      <h2 id="ws-trials-heading">1. Choose a trial</h2>
      <div className="ws-field">
        <label htmlFor={inputId}>Search trials</label>
        <input
          id={inputId}
          type="search"
          data-testid="trial-search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="e.g. hypertension, HIV, NCT04…"
          aria-describedby={hintId}
          autoComplete="off"
        />
        <p id={hintId} className="ws-hint">
          Words in the title, conditions, summary or inclusion criteria, or an NCT id.
        </p>
      </div>
      {error && <ErrorNotice title="Trials could not be listed." message={error} />}
      <p className="ws-count" aria-live="polite">
        {loading ? 'Searching…' : list ? `${plural(list.total, 'trial')}${query.trim() ? ` match “${query.trim()}”` : ' in Cairn’s store'}` : ''}
      </p>
      {list && trials.length === 0 && !loading && (
        <EmptyNotice>
          {query.trim() ? 'No trial in the store matches these words. Try fewer or other words, or an NCT id.' : 'The trial store is empty: import trials with npm run trials:import.'}
        </EmptyNotice>
      )}
      {trials.length > 0 && (
        <div className="ws-scroll">
          <table className="ws-table ws-trials">
            <caption className="visually-hidden">Trials in Cairn’s store</caption>
            <thead>
              <tr>
                <th scope="col">Trial</th>
                <th scope="col">Who may take part</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {trials.map((t) => (
                <tr key={t.nctId} data-testid="trial-row" data-nct-id={t.nctId} className={t.nctId === selected ? 'is-selected' : undefined}>
                  <td>
                    <div className="ws-trial-title">{t.title}</div>
                    <div className="ws-meta">
                      <a href={t.links.registry} target="_blank" rel="noreferrer">
                        {t.nctId}
                        <span className="visually-hidden"> on ClinicalTrials.gov (opens in a new tab)</span>
                      </a>{' '}
                      · {statusWords(t.status)}
                      {t.phase ? ` · ${t.phase.replace(/-/g, ' ')}` : ''} · {t.criteria} criteria
                    </div>
                    {t.conditions.length > 0 && <div className="ws-conditions">{t.conditions.join(' · ')}</div>}
                  </td>
                  <td className="ws-who">
                    {t.sex === 'all' ? 'All sexes' : t.sex === 'female' ? 'Female' : 'Male'}, {ageRange(t)}
                  </td>
                  <td className="ws-choose">
                    <button type="button" className="ui-button ui-button-small" onClick={() => onSelect(t)} aria-pressed={t.nctId === selected}>
                      {t.nctId === selected ? 'Chosen' : 'Choose'}
                      <span className="visually-hidden"> {t.nctId}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list && shown < list.total && (
        <button type="button" className="ui-button ui-button-quiet" onClick={() => void loadMore()}>
          Show {Math.min(PAGE, list.total - shown)} more of {list.total - shown}
        </button>
      )}
    </section>
  );
}
