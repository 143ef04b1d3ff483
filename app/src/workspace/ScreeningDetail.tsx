/**
 * One screening: its progress, polled about every second while it runs (GET
 * /api/screenings/{id}?limit=1 is cheap: counts and one result), the counts per result, cancel,
 * export, and the results a page at a time, filtered by result. The results page is re-read as
 * patients finish, at most every few seconds, so a large page is not fetched every second.
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { Client } from '../smart';
import { cairn, download, errorText } from './cairn';
import { CATEGORY_HINT, CATEGORY_LABEL } from './criteria';
import { patientLabels, type PatientLabel } from './patients';
import { ProgressBar } from './ProgressBar';
import { ResultsTable } from './ResultsTable';
import type { Category, ExportFormat, Screening, ScreeningPage } from './types';
import { EmptyNotice, ErrorNotice, formatDateTime, plural } from './ui';

const POLL_MS = 1000;
const RESULTS_REFRESH_MS = 2000;
const PAGE = 100;

type Filter = 'all' | Category | 'failed' | 'pending';
const FILTERS: Filter[] = ['all', 'eligible', 'excluded', 'irrelevant', 'unknown', 'pending', 'failed'];
const FILTER_LABEL: Record<Filter, string> = { all: 'All', ...CATEGORY_LABEL, pending: 'Not yet screened', failed: 'Failed' };

const running = (s?: Screening) => s?.status === 'queued' || s?.status === 'running';

function filterQuery(f: Filter): string {
  if (f === 'all') return '';
  if (f === 'failed' || f === 'pending') return `&status=${f}`;
  return `&category=${f}`;
}

function filterCount(f: Filter, p: ScreeningPage): number {
  if (f === 'all') return p.progress.total;
  if (f === 'failed') return p.progress.failed;
  if (f === 'pending') return p.progress.pending;
  return p.categories[f];
}

const STATUS_WORDS: Record<Screening['status'], string> = { queued: 'Queued', running: 'Running', completed: 'Completed', cancelled: 'Cancelled' };

/**
 * `onProgress` hears every poll (to keep a list of screenings current without reading it again);
 * `onChanged` hears a change of status (queued → running → completed, or cancelled).
 */
export function ScreeningDetail({ client, id, onProgress, onChanged }: { client: Client; id: string; onProgress?: (s: Screening) => void; onChanged: (s: Screening) => void }) {
  const [progress, setProgress] = useState<ScreeningPage>();
  const [results, setResults] = useState<ScreeningPage>();
  const [filter, setFilter] = useState<Filter>('all');
  const [offset, setOffset] = useState(0);
  const [labels, setLabels] = useState<Map<string, PatientLabel>>(new Map());
  const [error, setError] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  const [busy, setBusy] = useState<ExportFormat | 'cancel'>();
  const [trialTitle, setTrialTitle] = useState<string>();
  const lastResultsAt = useRef(0);
  const headingId = useId();
  const onChangedRef = useRef(onChanged);
  onChangedRef.current = onChanged;
  const onProgressRef = useRef(onProgress);
  onProgressRef.current = onProgress;

  useEffect(() => {
    setProgress(undefined);
    setResults(undefined);
    setFilter('all');
    setOffset(0);
    setError(undefined);
    setActionError(undefined);
  }, [id]);

  // Progress: every second while queued or running; once otherwise.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let previous: Screening['status'] | undefined;
    const tick = async () => {
      try {
        const p = await cairn<ScreeningPage>(client, `/api/screenings/${id}?limit=1`);
        if (stopped) return;
        setProgress(p);
        setError(undefined);
        onProgressRef.current?.(p);
        if (previous !== undefined && previous !== p.status) {
          onChangedRef.current(p);
          if (p.status === 'completed') {
            setAnnouncement(`Screening completed: ${p.categories.eligible} eligible, ${p.categories.excluded} excluded, ${p.categories.unknown} unknown, ${p.progress.failed} failed.`);
          }
        }
        previous = p.status;
        if (running(p)) timer = setTimeout(() => void tick(), POLL_MS);
      } catch (e) {
        if (stopped) return;
        setError(errorText(e));
        timer = setTimeout(() => void tick(), POLL_MS * 5);
      }
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [client, id]);

  const loadResults = useCallback(async () => {
    lastResultsAt.current = Date.now();
    try {
      const page = await cairn<ScreeningPage>(client, `/api/screenings/${id}?offset=${offset}&limit=${PAGE}${filterQuery(filter)}`);
      setResults(page);
      const missing = page.results.map((r) => r.patient.replace(/^Patient\//, '')).filter((pid) => !labels.has(pid));
      if (missing.length > 0) {
        // Names are a convenience: without them the table shows ids.
        patientLabels(client, missing).then(
          (found) => setLabels((old) => new Map([...old, ...found])),
          () => undefined,
        );
      }
    } catch (e) {
      setError(errorText(e));
    }
    // labels is read for what is missing only; re-reading the page when names arrive is not wanted.
  }, [client, id, offset, filter]);

  // The results page: on a new filter or page at once; while running, when patients finish, at most every few seconds.
  const finished = progress ? progress.progress.done + progress.progress.failed : -1;
  const status = progress?.status;
  useEffect(() => {
    void loadResults();
  }, [loadResults]);
  useEffect(() => {
    if (finished < 0) return;
    const wait = Math.max(0, lastResultsAt.current + RESULTS_REFRESH_MS - Date.now());
    const timer = setTimeout(() => void loadResults(), running(progress) ? wait : 0);
    return () => clearTimeout(timer);
    // Only a change in how many have finished, or in the status, asks for the page again.
  }, [finished, status]);

  const nctId = progress?.nctId;
  useEffect(() => {
    setTrialTitle(undefined);
    if (!nctId) return;
    // The title only helps the reader: without it the NCT id stands alone.
    cairn<{ title: string }>(client, `/api/trials/${nctId}`).then(
      (t) => setTrialTitle(t.title),
      () => undefined,
    );
  }, [client, nctId]);

  const cancel = async () => {
    setBusy('cancel');
    setActionError(undefined);
    try {
      const s = await cairn<Screening>(client, `/api/screenings/${id}`, { method: 'DELETE' });
      setProgress((p) => (p ? { ...p, ...s } : p));
      setAnnouncement('Screening cancelled. Patients already screened keep their results.');
      onChanged(s);
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  };

  const exportAs = async (format: ExportFormat) => {
    setBusy(format);
    setActionError(undefined);
    try {
      const name = await download(client, `/api/screenings/${id}/export?format=${format}`, `screening-${id}.${format === 'csv' ? 'csv' : 'json'}`);
      setAnnouncement(`Downloaded ${name}.`);
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  };

  if (!progress) {
    return (
      <section className="ws-card" aria-busy="true" aria-labelledby={headingId}>
        <h2 id={headingId}>Screening</h2>
        {error ? <ErrorNotice title="The screening could not be read." message={error} /> : <p>Loading…</p>}
      </section>
    );
  }

  const p = progress;
  const source = p.source.kind === 'group' ? p.source.group : plural(p.progress.total, 'listed patient');
  const partial = running(p) ? ' (so far)' : '';
  return (
    <section className="ws-card ws-detail" aria-labelledby={headingId}>
      <div className="ws-detail-head">
        <div>
          <h2 id={headingId}>
            {p.nctId} screening <span className={`ws-status ws-status-${p.status}`}>{STATUS_WORDS[p.status]}</span>
          </h2>
          {trialTitle && <p className="ws-trial-title">{trialTitle}</p>}
          <p className="ws-meta">
            {source} · started {formatDateTime(p.createdAt)}
            {p.completedAt && ` · completed ${formatDateTime(p.completedAt)}`}
            {p.cancelledAt && ` · cancelled ${formatDateTime(p.cancelledAt)}`}
          </p>
        </div>
        <div className="ws-actions" role="group" aria-label="Screening actions">
          {running(p) && (
            <button type="button" className="ui-button ui-button-danger" data-testid="cancel-screening" onClick={() => void cancel()} disabled={busy !== undefined}>
              {busy === 'cancel' ? 'Cancelling…' : 'Cancel screening'}
            </button>
          )}
          <button type="button" className="ui-button" data-testid="export-csv" onClick={() => void exportAs('csv')} disabled={busy !== undefined}>
            {busy === 'csv' ? 'Exporting…' : 'Export CSV'}
          </button>
          <button type="button" className="ui-button" data-testid="export-fhir" onClick={() => void exportAs('research-subjects')} disabled={busy !== undefined} title="A FHIR transaction Bundle: a ResearchSubject (candidate) per eligible patient">
            {busy === 'research-subjects' ? 'Exporting…' : 'Export FHIR Bundle'}
          </button>
          <button type="button" className="ui-button" data-testid="export-fhir-group" onClick={() => void exportAs('group')} disabled={busy !== undefined} title="A FHIR Group of the eligible patients">
            {busy === 'group' ? 'Exporting…' : 'Export FHIR Group'}
          </button>
        </div>
      </div>
      {error && <ErrorNotice title="The screening could not be refreshed." message={error} />}
      {actionError && <ErrorNotice title="That did not work." message={actionError} />}
      {p.error && <ErrorNotice title="Cairn reported a problem with this screening:" message={p.error} />}

      <ProgressBar labelledBy={headingId} screening={p} />

      <ul className="ws-tiles" aria-label={`Results${partial}`}>
        {(['eligible', 'excluded', 'irrelevant', 'unknown'] as const).map((c) => (
          <li key={c} className={`ws-tile ws-tile-${c}`} data-testid={`count-${c}`}>
            <span className="ws-tile-number">{p.categories[c].toLocaleString()}</span>
            <span className="ws-tile-label">{CATEGORY_LABEL[c]}</span>
            <span className="ws-tile-hint">{CATEGORY_HINT[c]}</span>
          </li>
        ))}
        <li className="ws-tile ws-tile-failed" data-testid="count-failed">
          <span className="ws-tile-number">{p.progress.failed.toLocaleString()}</span>
          <span className="ws-tile-label">Failed</span>
          <span className="ws-tile-hint">the record could not be read</span>
        </li>
      </ul>

      <div className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </div>

      <h3 className="ws-results-heading">Results</h3>
      <fieldset className="ws-filter">
        <legend>Show</legend>
        {FILTERS.map((f) => {
          const n = filterCount(f, p);
          if (n === 0 && f !== 'all' && f !== filter) return null;
          return (
            <label key={f} className={filter === f ? 'is-checked' : undefined}>
              <input
                type="radio"
                name={`${headingId}-filter`}
                value={f}
                checked={filter === f}
                onChange={() => {
                  setFilter(f);
                  setOffset(0);
                }}
              />
              {f === 'pending' && p.status === 'cancelled' ? 'Not screened' : FILTER_LABEL[f]} <span className="ws-filter-count">{n.toLocaleString()}</span>
            </label>
          );
        })}
      </fieldset>

      {results && results.results.length === 0 && (
        <EmptyNotice>
          {filter === 'all'
            ? 'No patients in this screening.'
            : running(p)
              ? `No ${FILTER_LABEL[filter].toLowerCase()} patients yet; the list fills as patients are screened.`
              : `No ${FILTER_LABEL[filter].toLowerCase()} patients in this screening.`}
        </EmptyNotice>
      )}
      {results && results.results.length > 0 && (
        <>
          <ResultsTable results={results.results} labels={labels} caption={`Results of the ${p.nctId} screening: ${FILTER_LABEL[filter]}`} cancelled={p.status === 'cancelled'} />
          <nav className="ws-pager" aria-label="Result pages">
            <span>
              {results.page.matching > results.results.length
                ? `Patients ${results.page.offset + 1}–${results.page.offset + results.results.length} of ${results.page.matching.toLocaleString()} (sorting applies to this page)`
                : plural(results.page.matching, 'patient')}
            </span>
            {results.page.offset > 0 && (
              <button type="button" className="ui-button ui-button-quiet" onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                Previous {PAGE}
              </button>
            )}
            {results.page.next && (
              <button type="button" className="ui-button ui-button-quiet" onClick={() => setOffset(offset + PAGE)}>
                Next {PAGE}
              </button>
            )}
          </nav>
        </>
      )}
    </section>
  );
}
