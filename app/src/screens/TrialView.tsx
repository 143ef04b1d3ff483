/**
 * One trial's criteria for the launch patient (#/trials/{nctId}): every criterion of the trial,
 * verbatim, with its status (met / not met / unknown), what the judgement rests on and its
 * evidence in its place in the record (components/RecordEvidence.tsx). The criteria that decide
 * come first: an exclusion met or an inclusion not met on documented evidence (they exclude),
 * then inclusions met on documented evidence; then the rest in the trial's order. A filter by
 * status narrows the table.
 *
 * The judgements are those of the patient's evidence (GET /api/patients/{id}/evidence, its trial
 * matches); the trial's own text and registry link come from GET /api/trials/{nctId}.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import { ApiError } from '../api';
import { RecordEvidence } from '../components/RecordEvidence';
import { COUNTING_NOTE, effectOf, orderRows } from '../criteria-order';
import { readEvidence, readTrial, type CriterionRow, type TrialDetail, type TrialMatch } from '../evidence-api';
import type { Client } from '../smart';
import { trialCategoryLabel } from '../format';

type Filter = 'all' | CriterionRow['status'];
const FILTERS: ReadonlyArray<{ value: Filter; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'met', label: 'Met' },
  { value: 'not-met', label: 'Not met' },
  { value: 'unknown', label: 'Unknown' },
];
const STATUS_WORDS: Record<CriterionRow['status'], string> = { met: 'Met', 'not-met': 'Not met', unknown: 'Unknown' };
const BASIS_WORDS: Record<CriterionRow['basis'], string> = {
  record: 'the coded record',
  note: 'a note',
  'assumed-absent': 'not mentioned in the record, taken as absent',
  'not-applicable': 'does not apply to this patient',
  llm: 'a language model citing the record',
  none: 'nothing in the record',
};

function Counts({ match }: { match: TrialMatch }) {
  const c = (x: TrialMatch['inclusion']) => `${x.met} met · ${x.notMet} not met · ${x.unknown} unknown (of ${x.total})`;
  return (
    <>
      <dl className="trial-counts">
        <div>
          <dt>Inclusion</dt>
          <dd>{c(match.inclusion)}</dd>
        </div>
        <div>
          <dt>Exclusion</dt>
          <dd>{c(match.exclusion)}</dd>
        </div>
      </dl>
      <p className="ws-meta">{COUNTING_NOTE}</p>
    </>
  );
}

export function TrialView({ client, nctId }: { client: Client; nctId: string }) {
  const patientId = client.patient.id;
  const [match, setMatch] = useState<TrialMatch | null>();
  const [trial, setTrial] = useState<TrialDetail>();
  const [error, setError] = useState<string>();
  const [filter, setFilter] = useState<Filter>('all');
  const filterName = useId();

  useEffect(() => {
    let live = true;
    setMatch(undefined);
    readTrial(client, nctId).then(
      (t) => live && setTrial(t),
      (e: unknown) => live && setError(e instanceof ApiError ? `${e.message} (${e.status})` : String(e)),
    );
    if (patientId) {
      readEvidence(client, patientId).then(
        (ev) => live && setMatch(ev.trials.status === 'matched' ? (ev.trials.matches.find((m) => m.nctId === nctId) ?? null) : null),
        (e: unknown) => live && setError(e instanceof ApiError ? `${e.message} (${e.status})` : String(e)),
      );
    } else setMatch(null);
    return () => {
      live = false;
    };
  }, [client, patientId, nctId]);

  const rows = useMemo(() => (match ? orderRows(match.criteria) : []), [match]);
  const shown = filter === 'all' ? rows : rows.filter((r) => r.status === filter);
  const count = (f: Filter) => (f === 'all' ? rows.length : rows.filter((r) => r.status === f).length);

  if (error) {
    return (
      <>
        <h1>{nctId}</h1>
        <p role="alert">The trial could not be shown: {error}</p>
        <p>
          <a href="#/evidence">Back to the evidence</a>
        </p>
      </>
    );
  }
  if (!trial || match === undefined) {
    return (
      <div aria-busy="true" className="loading">
        <h1>{nctId}</h1>
        <p>Reading the trial and the patient&rsquo;s criteria…</p>
      </div>
    );
  }

  return (
    <div className="trial-view">
      <p className="back">
        <a href="#/evidence">← Evidence</a>
      </p>
      <header className="trial-head">
        <h1>
          <span className="nct">{trial.nctId}</span> {trial.title}
        </h1>
        <p className="trial-meta">
          <span className={trial.statusMayBeOutOfDate ? 'stale' : undefined}>
            {trial.status} ({trial.statusNote})
          </span>
          {trial.phase && <span>{trial.phase}</span>}
          {trial.conditions.length > 0 && <span>{trial.conditions.join(', ')}</span>}
          {trial.links?.registry && (
            <a href={trial.links.registry} target="_blank" rel="noreferrer noopener">
              ClinicalTrials.gov record<span className="visually-hidden"> (opens in a new tab)</span>
            </a>
          )}
        </p>
      </header>

      {!match ? (
        <p className="notice">This trial is not among the trials matched for this patient, so there is no criterion table for them.</p>
      ) : (
        <>
          <section className="summary-strip trial-strip" aria-label="Summary">
            <div className={`acuity category-${match.category}`}>
              <span className="acuity-label">{trialCategoryLabel(match.category)}</span>
            </div>
            <div className="strip-body">
              <Counts match={match} />
              {/* The summary opens with the category, which the box beside it already names in a coordinator's words. */}
              <p className="muted">{match.summary.startsWith(`${match.category}: `) ? match.summary.slice(match.category.length + 2) : match.summary}</p>
            </div>
          </section>

          <fieldset className="filter" data-testid="criterion-filter">
            <legend>Show criteria</legend>
            {FILTERS.map((f) => (
              <label key={f.value} className={filter === f.value ? 'chosen' : undefined}>
                <input type="radio" name={filterName} value={f.value} checked={filter === f.value} onChange={() => setFilter(f.value)} />
                {f.label} <span className="count">({count(f.value)})</span>
              </label>
            ))}
          </fieldset>

          <table className="data criteria" data-testid="criterion-table">
            <caption className="visually-hidden">
              Criteria of {trial.nctId} for this patient, deciding criteria first{filter === 'all' ? '' : `, ${STATUS_WORDS[filter]} only`}
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Criterion</th>
                <th scope="col">Status</th>
                <th scope="col">Evidence in the record</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => {
                const effect = effectOf(r);
                return (
                  <tr key={r.number} className={effect ? `effect-${effect}` : undefined} data-testid="criterion-row" data-status={r.status}>
                    <td className="num">{r.number}</td>
                    <th scope="row">
                      <span className={`tag kind-${r.kind}`}>{r.kind}</span>
                      {effect && <span className={`tag effect-${effect}`}>{effect}</span>}
                      <span className="criterion-text">{r.text}</span>
                      {r.alternatives && <span className="muted small"> one of a group of alternatives</span>}
                    </th>
                    <td>
                      <span className={`status status-${r.status}`}>{STATUS_WORDS[r.status]}</span>
                      <span className="basis muted">Rests on {BASIS_WORDS[r.basis]}</span>
                    </td>
                    <td>
                      {r.evidence.map((e, i) => (
                        <RecordEvidence key={`${e.source}-${i}`} client={client} item={e} />
                      ))}
                      <p className="reason">{r.reason}</p>
                    </td>
                  </tr>
                );
              })}
              {shown.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    No criterion has this status.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
