/**
 * One diagnosis finding: its status against the guideline's criterion, the values that decided it
 * (readings with unit, time and FHIR reference; computed values marked so), whether the problem
 * list has it, the trend plots of those readings, the criterion and next-step passages, and the
 * finding's card with its feedback. A finding that is not met is shown compact, its values under a
 * disclosure.
 */
import { useMemo } from 'react';
import type { DiagnosisFinding as Finding, IssuedCard, PatientCards, PatientEvidence } from '../evidence-api';
import { asRecorded, formatValue, formatWhen, shortReference } from '../format';
import type { Client } from '../smart';
import { FeedbackButtons } from './FeedbackButtons';
import { PassageList } from './PassageList';
import { SeriesPlots } from './SeriesPlots';

export const STATUS_WORDS: Record<Finding['status'], string> = { met: 'Criterion met', 'not-met': 'Not met', 'not-enough-data': 'Not enough data' };

export const findingId = (f: Pick<Finding, 'condition'>) => `finding-diagnosis-${f.condition}`;

function ValuesTable({ finding }: { finding: Finding }) {
  if (finding.evidence.length === 0) return <p className="muted">No values in the record for this criterion.</p>;
  return (
    <table className="data values">
      <caption className="visually-hidden">Values behind {finding.title}</caption>
      <thead>
        <tr>
          <th scope="col">Value</th>
          <th scope="col">Result</th>
          <th scope="col">When</th>
          <th scope="col">Source</th>
        </tr>
      </thead>
      <tbody>
        {finding.evidence.map((e, i) => (
          <tr key={`${e.label}-${i}`} className={e.kind === 'computed' ? 'computed' : undefined}>
            <th scope="row">
              {e.label}
              {e.note && <span className="tag">{e.note}</span>}
            </th>
            <td className="num" title={typeof e.value === 'number' ? String(e.value) : undefined}>
              {formatValue(e.value, e.unit)}
              {e.recorded && <span className="muted">{asRecorded(e.recorded)}</span>}
            </td>
            <td>{formatWhen(e.date)}</td>
            <td>{e.source ? <span title={e.source}>{shortReference(e.source)}</span> : <span className="muted">computed by Cairn</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DiagnosisFinding({
  client,
  evidence,
  finding,
  cards,
  card,
  targeted,
}: {
  client: Client;
  evidence: PatientEvidence;
  finding: Finding;
  cards: PatientCards | undefined;
  card: IssuedCard | undefined;
  targeted: boolean;
}) {
  const sources = useMemo(() => new Set(finding.evidence.flatMap((e) => (e.source ? [e.source] : []))), [finding]);
  const id = findingId(finding);
  const title = `${finding.title}${finding.stage ? `, ${finding.stage}` : ''}`;
  const roles: Record<string, string> = {};
  if (finding.passages.criterion) roles[finding.passages.criterion] = 'Criterion';
  if (finding.passages.nextStep) roles[finding.passages.nextStep] = 'Next step';
  const met = finding.status === 'met';

  return (
    <article
      id={id}
      className={`finding diagnosis finding-${finding.status}${targeted ? ' targeted' : ''}${met ? '' : ' compact'}`}
      data-testid="finding"
      data-finding={`diagnosis/${finding.condition}`}
      data-status={finding.status}
      aria-labelledby={`${id}-title`}
      tabIndex={-1}
    >
      <header className="finding-head">
        <h3 id={`${id}-title`}>{title}</h3>
        <span className={`badge status-${finding.status}`}>{STATUS_WORDS[finding.status]}</span>
        {targeted && <span className="badge opened">Opened from the card</span>}
      </header>
      <p className="finding-summary">{finding.summary}</p>
      {met ? (
        <>
          <dl className="facts">
            {finding.criterion && (
              <div>
                <dt>Criterion</dt>
                <dd>{finding.criterion}</dd>
              </div>
            )}
            <div>
              <dt>Problem list</dt>
              <dd>{finding.problemList.reason}</dd>
            </div>
            <div>
              <dt>Guideline</dt>
              <dd>
                {finding.guideline.source}
                <span className="muted"> — {finding.guideline.section}</span>
              </dd>
            </div>
          </dl>
          <SeriesPlots evidence={evidence} sources={sources} />
          <ValuesTable finding={finding} />
          {finding.notes.length > 0 && (
            <ul className="notes">
              {finding.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          <PassageList evidence={evidence} chunkIds={[finding.passages.criterion, finding.passages.nextStep].filter((x): x is string => !!x)} matches={finding.matches} roles={roles} about={title} />
        </>
      ) : (
        <details>
          <summary>Values checked</summary>
          <ValuesTable finding={finding} />
          {finding.notes.length > 0 && (
            <ul className="notes">
              {finding.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
        </details>
      )}
      {(met || card) && <FeedbackButtons client={client} card={card} reasons={cards?.overrideReasons ?? []} about={title} />}
    </article>
  );
}
