/**
 * The triage finding: the ESI level and the decision point that set it, the scores (NEWS2 with
 * each item's points, qSOFA with each criterion, the shock index), the decision steps with the
 * readings each rests on, the trend plots of those readings, the guideline passages and the
 * triage card's feedback. Every sentence is the API's own `detail`/`reason` text or a value with
 * its unit and time.
 */
import { useMemo } from 'react';
import type { Applicability, IssuedCard, MeasuredValue, PatientCards, PatientEvidence, TriageEvidence } from '../evidence-api';
import { asRecorded, formatNumber, formatValue, formatWhen, keyWords, shortReference } from '../format';
import type { Client } from '../smart';
import { FeedbackButtons } from './FeedbackButtons';
import { PassageList } from './PassageList';
import { SeriesPlots } from './SeriesPlots';

function readingText(m: MeasuredValue): string {
  return `${formatValue(m.value, m.unit, m.comparator)}${asRecorded(m.recorded)} at ${formatWhen(m.effective)}`;
}

function Readings({ values }: { values: readonly MeasuredValue[] }) {
  if (values.length === 0) return <span className="muted">none</span>;
  return (
    <>
      {values.map((m, i) => (
        <span key={`${m.source}-${i}`} className="reading" title={m.source}>
          {i > 0 && '; '}
          {readingText(m)}
        </span>
      ))}
    </>
  );
}

/** A score outside the population it was made for (a child, pregnancy): its figure and points are not shown. */
export const notApplicable = (a: Applicability | undefined) => a?.applicable === false;

/**
 * Where a NEWS2 band is only a floor (the items not recorded could raise it), how high the total
 * could go instead ("up to 5"); undefined when the band holds.
 */
export function news2Ceiling(n: TriageEvidence['news2']): string | undefined {
  return n.bandSettled === false ? `up to ${n.maxPossibleTotal ?? '?'}` : undefined;
}

/** The note beside a NEWS2 total: its band, or how high it could go. */
function news2Note(n: TriageEvidence['news2']): string {
  const ceiling = news2Ceiling(n);
  return ceiling ? `${ceiling} with the items not recorded` : `${n.band} risk`;
}

/** The head of a table of criteria: each criterion, whether it is met, and what in the record says so. */
function CriterionHead() {
  return (
    <thead>
      <tr>
        <th scope="col">Criterion</th>
        <th scope="col">Result</th>
        <th scope="col">From the record</th>
      </tr>
    </thead>
  );
}

const metWord = (met: boolean | null) => (met === true ? 'Met' : met === false ? 'Not met' : 'Not assessed');

function triageSources(t: TriageEvidence): Set<string> {
  const values = [
    ...t.news2.parameters.flatMap((p) => p.evidence),
    ...t.qsofa.criteria.flatMap((c) => c.evidence),
    ...t.esi.findings.flatMap((f) => f.evidence),
    ...t.esi.deciding.flatMap((f) => f.evidence),
    ...(t.shockIndex.heartRate ? [t.shockIndex.heartRate] : []),
    ...(t.shockIndex.systolicBP ? [t.shockIndex.systolicBP] : []),
  ];
  return new Set(values.map((v) => v.source));
}

/**
 * `compact`: the triage service would show no card now (nothing urgent): the figures stay in view,
 * the steps and plots go under a disclosure.
 */
export function TriageFinding({
  client,
  evidence,
  cards,
  card,
  targeted,
  compact = false,
}: {
  client: Client;
  evidence: PatientEvidence;
  cards: PatientCards | undefined;
  card: IssuedCard | undefined;
  targeted: boolean;
  compact?: boolean;
}) {
  const t = evidence.triage!;
  const sources = useMemo(() => triageSources(t), [t]);
  const deciding = new Set(t.esi.deciding.map((f) => f.criterion));
  const esiSteps = [...t.esi.findings, ...(t.esi.unassessed ?? []).filter((u) => !t.esi.findings.some((f) => f.criterion === u.criterion))];
  const byPoint = (['A', 'B', 'C', 'D'] as const).map((dp) => ({ dp, rows: esiSteps.filter((s) => s.decisionPoint === dp) })).filter((g) => g.rows.length > 0);
  const { mostUrgent, leastUrgent } = t.esi.possibleLevels;

  const detail = (
    <>
      <SeriesPlots evidence={evidence} sources={sources} />

      <section className="steps" aria-labelledby="triage-esi-steps">
        <h4 id="triage-esi-steps">ESI decision points</h4>
        <table className="data">
          <CriterionHead />
          {byPoint.map(({ dp, rows }) => (
            <tbody key={dp}>
              <tr className="group-row">
                <th scope="rowgroup" colSpan={3}>
                  Decision point {dp}
                </th>
              </tr>
              {rows.map((f) => (
                <tr key={f.criterion} className={deciding.has(f.criterion) ? 'deciding' : undefined}>
                  <th scope="row">
                    {f.label}
                    {deciding.has(f.criterion) && <span className="tag">sets the level</span>}
                  </th>
                  <td>
                    <span className={`status status-${f.met === true ? 'met' : f.met === false ? 'not-met' : 'unknown'}`}>{metWord(f.met)}</span>
                  </td>
                  <td>{f.detail}</td>
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      </section>

      {notApplicable(t.news2.applicability) ? (
        <section className="steps" aria-labelledby="triage-news2">
          <h4 id="triage-news2">NEWS2 not used</h4>
          {/* The adult chart's points would read as an alarm here: the readings are in the plots above. */}
          <p>{t.news2.applicability?.notes.join('; ')}.</p>
        </section>
      ) : (
        <section className="steps" aria-labelledby="triage-news2">
          <h4 id="triage-news2">
            NEWS2 items{' '}
            <span className="muted">
              (total {t.news2.complete ? '' : '≥ '}
              {t.news2.total}
              {!t.news2.complete && t.news2.maxPossibleTotal !== undefined ? `, up to ${t.news2.maxPossibleTotal} with the items not recorded` : ''})
            </span>
          </h4>
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Reading</th>
                <th scope="col">Points</th>
              </tr>
            </thead>
            <tbody>
              {t.news2.parameters.map((p) => (
                <tr key={p.parameter} className={p.points && p.points >= 3 ? 'deciding' : undefined}>
                  <th scope="row">{p.label}</th>
                  <td>{p.status === 'missing' ? <span className="muted">{p.detail}</span> : <Readings values={p.evidence} />}</td>
                  <td className="num">{p.points === null ? '—' : `${p.points} / ${p.maxPoints}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section className="steps" aria-labelledby="triage-qsofa">
        {notApplicable(t.qsofa.applicability) ? (
          <>
            <h4 id="triage-qsofa">qSOFA not used</h4>
            <p>{t.qsofa.applicability?.notes.join('; ')}.</p>
          </>
        ) : (
          <>
            <h4 id="triage-qsofa">qSOFA criteria</h4>
            <table className="data">
              <CriterionHead />
              <tbody>
                {t.qsofa.criteria.map((c) => (
                  <tr key={c.criterion} className={c.met ? 'deciding' : undefined}>
                    <th scope="row">{c.label ?? c.criterion}</th>
                    <td>
                      <span className={`status status-${c.met === true ? 'met' : c.met === false ? 'not-met' : 'unknown'}`}>{metWord(c.met)}</span>
                    </td>
                    <td>{c.detail ?? <Readings values={c.evidence} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
        {t.shockIndex.status === 'computed' && t.shockIndex.heartRate && t.shockIndex.systolicBP && (
          <p>
            <strong>Shock index</strong> {formatNumber(t.shockIndex.value ?? 0)} = heart rate {formatValue(t.shockIndex.heartRate.value, t.shockIndex.heartRate.unit)} ÷ systolic BP{' '}
            {formatValue(t.shockIndex.systolicBP.value, t.shockIndex.systolicBP.unit)} <span className="muted">({formatWhen(t.shockIndex.systolicBP.effective)})</span>
            {notApplicable(t.shockIndex.applicability) && <span className="muted"> · {t.shockIndex.applicability?.notes.join('; ')}</span>}
          </p>
        )}
      </section>

      {evidence.series.consciousness.length > 0 && (
        <section className="steps" aria-labelledby="triage-acvpu">
          <h4 id="triage-acvpu">Consciousness (ACVPU)</h4>
          <ul className="timeline">
            {evidence.series.consciousness.map((c) => (
              <li key={c.source} title={c.source}>
                <span className="when">{formatWhen(c.time)}</span> {c.level}
                {c.display ? ` (${c.display})` : ''}
              </li>
            ))}
          </ul>
        </section>
      )}

      {t.missing.length > 0 && (
        <p className="muted">
          Not recorded in the last {t.windowHours} h: {t.missing.map(keyWords).join(', ')}.
        </p>
      )}
    </>
  );

  return (
    <article id="finding-triage" className={`finding indicator-${t.indicator}${targeted ? ' targeted' : ''}${compact ? ' compact' : ''}`} data-testid="finding" data-finding="triage" aria-labelledby="finding-triage-title" tabIndex={-1}>
      <header className="finding-head">
        <h3 id="finding-triage-title">
          Triage: ESI level {t.esi.level}
          <span className="finding-sub">set at decision point {t.esi.setBy}</span>
        </h3>
        <span className={`badge indicator-${t.indicator}`}>{t.indicator}</span>
        {targeted && <span className="badge opened">Opened from the card</span>}
      </header>
      <p className="finding-summary">{t.esi.reason}</p>
      {mostUrgent !== leastUrgent && (
        <p className="muted">
          With the data missing, ESI levels {mostUrgent} to {leastUrgent} remain possible.
        </p>
      )}

      <dl className="figures">
        <div>
          <dt>ESI</dt>
          <dd>Level {t.esi.level}</dd>
        </div>
        <div>
          <dt>NEWS2</dt>
          {notApplicable(t.news2.applicability) ? (
            <dd title={t.news2.applicability?.notes.join('; ')}>
              —<span className="figure-note">not used at this age or in pregnancy</span>
            </dd>
          ) : (
            <dd>
              {t.news2.complete ? '' : '≥'}
              {t.news2.total}
              <span className="figure-note">{news2Note(t.news2)}</span>
            </dd>
          )}
        </div>
        <div>
          <dt>qSOFA</dt>
          {notApplicable(t.qsofa.applicability) ? (
            <dd title={t.qsofa.applicability?.notes.join('; ')}>
              —<span className="figure-note">adults only</span>
            </dd>
          ) : (
            // Shown with a caveat (age unknown, pregnancy: the service's notes) rather than hidden.
            <dd title={t.qsofa.applicability?.applicable === 'unknown' ? t.qsofa.applicability.notes.join('; ') : undefined}>
              {t.qsofa.complete ? '' : '≥'}
              {t.qsofa.total}/3
              <span className="figure-note">
                {t.qsofa.positive === 'yes' ? 'positive' : t.qsofa.positive === 'no' ? 'negative' : 'undetermined'}
                {t.qsofa.applicability?.applicable === 'unknown' && t.qsofa.applicability.notes.length > 0 && ', not validated here'}
              </span>
            </dd>
          )}
        </div>
        <div>
          <dt>Shock index</dt>
          <dd>
            {t.shockIndex.status === 'computed' && t.shockIndex.value !== null ? formatNumber(t.shockIndex.value) : '—'}
            {notApplicable(t.shockIndex.applicability) ? (
              <span className="figure-note">adult threshold not applied</span>
            ) : (
              t.shockIndex.elevated && <span className="figure-note">≥ {t.shockIndex.threshold}</span>
            )}
          </dd>
        </div>
      </dl>
      {t.chiefComplaint?.text && (
        <p>
          <strong>Chief complaint:</strong> <q>{t.chiefComplaint.text}</q>
        </p>
      )}
      {t.chiefComplaintNotRead && (
        <p className="notice" title={t.chiefComplaintNotRead.source}>
          <strong>Chief complaint not read:</strong> {t.chiefComplaintNotRead.detail}
        </p>
      )}

      {compact ? (
        <details>
          <summary>Decision steps, scores and readings</summary>
          {detail}
        </details>
      ) : (
        detail
      )}

      {compact ? (
        <details>
          <summary>Guideline passages</summary>
          <PassageList evidence={evidence} chunkIds={t.passages} matches={t.matches} about="triage" />
        </details>
      ) : (
        <PassageList evidence={evidence} chunkIds={t.passages} matches={t.matches} about="triage" />
      )}
      <FeedbackButtons client={client} card={card} reasons={cards?.overrideReasons ?? []} about="triage" />
      <p className="sources muted">
        Readings: {[...sources].map(shortReference).join(', ')}
      </p>
    </article>
  );
}
