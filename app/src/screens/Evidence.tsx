/**
 * The evidence viewer for the launch patient (#/evidence): what Cairn's services compute from the
 * record (GET /api/patients/{id}/evidence), one card per finding (triage, each diagnosis, trial
 * matching) with the patient's values, the trend plots behind them, the decision steps and the
 * guideline passages; beside each, the card Cairn issued for it (GET /api/patients/{id}/cards) and
 * its feedback buttons. A summary strip on top gives the acuity and the counts at a glance.
 *
 * Opened from a card's link, the EHR passes the card's appContext (service, rule, finding): the
 * viewer scrolls to that finding, focuses it and marks it.
 */
import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api';
import { DiagnosisFinding, findingId } from '../components/DiagnosisFinding';
import { TrialMatches } from '../components/TrialMatches';
import { news2Ceiling, notApplicable, TriageFinding } from '../components/TriageFinding';
import { appContextOf, latestCardFor, readCards, readEvidence, type AppContext, type PatientCards, type PatientEvidence } from '../evidence-api';
import { formatWhen, learnUnits } from '../format';
import type { Client } from '../smart';

interface PatientName {
  name?: Array<{ text?: string; given?: string[]; family?: string; use?: string }>;
}

function displayName(p: PatientName | undefined): string | undefined {
  const n = p?.name?.find((x) => x.use === 'official') ?? p?.name?.[0];
  if (!n) return undefined;
  return n.text ?? ([...(n.given ?? []), n.family ?? ''].join(' ').trim() || undefined);
}

/** The element id of the finding an appContext names, if it names one shown here. */
export function targetOf(context: AppContext | undefined, evidence: PatientEvidence): string | undefined {
  if (!context) return undefined;
  const rule = context.rule ?? '';
  if (context.service === 'triage' || rule.startsWith('triage/')) return evidence.triage ? 'finding-triage' : undefined;
  if (context.service === 'trial-match' || rule.startsWith('trial-match/')) return 'finding-trials';
  const finding = evidence.diagnosis.find((f) => (context.condition ? f.condition === context.condition : f.rule.id === rule));
  return finding ? findingId(finding) : undefined;
}

function SummaryStrip({ evidence, cards, name }: { evidence: PatientEvidence; cards: PatientCards | undefined; name: string | undefined }) {
  const t = evidence.triage;
  const met = evidence.diagnosis.filter((f) => f.status === 'met');
  const trials = evidence.trials.status === 'matched' ? evidence.trials.matches.filter((m) => m.fits) : [];
  const withFeedback = cards?.cards.filter((c) => c.feedback).length ?? 0;
  return (
    <section className="summary-strip" aria-label="Summary">
      <div className={`acuity indicator-${t?.indicator ?? 'none'}`} data-testid="acuity">
        {t ? (
          <>
            <span className="acuity-label">ESI</span>
            <span className="acuity-level">{t.esi.level}</span>
          </>
        ) : (
          <span className="acuity-label">No triage</span>
        )}
      </div>
      <div className="strip-body">
        <p className="strip-patient">
          <strong>{name ?? `Patient/${evidence.patient.id}`}</strong>
          {evidence.patient.age?.display && <span>{evidence.patient.age.display}</span>}
          <span>{evidence.patient.sex}</span>
          {evidence.patient.birthDate && <span>born {formatWhen(evidence.patient.birthDate)}</span>}
        </p>
        <dl className="strip-figures">
          {t && (
            <>
              <div>
                <dt>NEWS2</dt>
                {/* Outside its population (a child, pregnancy) the adult total would read as an alarm. */}
                {notApplicable(t.news2.applicability) ? (
                  <NotUsed notes={t.news2.applicability?.notes} />
                ) : (
                  <dd>
                    {t.news2.complete ? '' : '≥'}
                    {t.news2.total} <small>{news2Ceiling(t.news2) ?? t.news2.band}</small>
                  </dd>
                )}
              </div>
              <div>
                <dt>qSOFA</dt>
                {notApplicable(t.qsofa.applicability) ? (
                  <NotUsed notes={t.qsofa.applicability?.notes} />
                ) : (
                  <dd>
                    {t.qsofa.complete ? '' : '≥'}
                    {t.qsofa.total}/3
                  </dd>
                )}
              </div>
            </>
          )}
          <div>
            <dt>Diagnosis findings</dt>
            <dd>
              <a href="#diagnosis">
                {met.length} met <small>of {evidence.diagnosis.length} checked</small>
              </a>
            </dd>
          </div>
          <div>
            <dt>Trials</dt>
            <dd>{evidence.trials.status === 'matched' ? <a href="#finding-trials">{trials.length} may fit</a> : 'off'}</dd>
          </div>
          <div>
            <dt>Cards issued</dt>
            <dd>
              {cards ? cards.cards.length : '—'} <small>{cards ? `${withFeedback} with feedback` : ''}</small>
            </dd>
          </div>
        </dl>
        <p className="strip-time muted">Computed from the record at {formatWhen(evidence.referenceTime)}</p>
      </div>
    </section>
  );
}

function ReadNotice({ evidence }: { evidence: PatientEvidence }) {
  const missing = evidence.read.filter((r) => r.status !== 'read');
  if (missing.length === 0 && evidence.exclusions.length === 0) return null;
  return (
    <section className="notice" aria-label="What the evidence was computed without">
      {missing.length > 0 && (
        <p>
          Computed without:{' '}
          {missing.map((r, i) => (
            <span key={r.key}>
              {i > 0 && '; '}
              {r.resourceType} ({r.status === 'not-permitted' ? 'not permitted by this sign-in' : 'could not be read'})
            </span>
          ))}
          .
        </p>
      )}
      {evidence.exclusions.length > 0 && (
        <details>
          <summary>{evidence.exclusions.length} entries of the record were set aside</summary>
          <ul>
            {evidence.exclusions.map((x, i) => (
              <li key={`${x.source}-${i}`}>
                <code>{x.source}</code>: {x.reason}
                {x.detail ? ` (${x.detail})` : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

export function Evidence({ client }: { client: Client }) {
  const patientId = client.patient.id;
  const [evidence, setEvidence] = useState<PatientEvidence>();
  const [cards, setCards] = useState<PatientCards>();
  const [cardsError, setCardsError] = useState<string>();
  const [name, setName] = useState<string>();
  const [error, setError] = useState<string>();
  const context = useMemo(() => appContextOf(client), [client]);

  useEffect(() => {
    if (!patientId) return;
    let live = true;
    readEvidence(client, patientId).then(
      (e) => {
        if (!live) return;
        learnUnits([...e.series.vitals, ...e.series.labs]);
        setEvidence(e);
      },
      (e: unknown) => live && setError(e instanceof ApiError ? `${e.message} (${e.status})` : String(e)),
    );
    readCards(client, patientId).then(
      (c) => live && setCards(c),
      (e: unknown) => live && setCardsError(e instanceof Error ? e.message : String(e)),
    );
    client.patient.read().then(
      (p: unknown) => live && setName(displayName(p as PatientName)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, patientId]);

  const target = evidence ? targetOf(context, evidence) : undefined;
  useEffect(() => {
    if (!target) return;
    const el = document.getElementById(target);
    if (!el) return;
    el.scrollIntoView({ block: 'start' });
    el.focus({ preventScroll: true });
  }, [target]);

  if (!patientId) {
    return (
      <p role="alert">
        This sign-in has no patient in context. Open Cairn from a patient&rsquo;s chart, or use <a href="#/workspace">trial screening</a>.
      </p>
    );
  }
  if (error) {
    return (
      <>
        <h1>Evidence</h1>
        <p role="alert">The evidence could not be computed: {error}</p>
      </>
    );
  }
  if (!evidence) {
    return (
      <div aria-busy="true" className="loading">
        <h1>Evidence</h1>
        <p>Computing the evidence from the record…</p>
      </div>
    );
  }

  const metFindings = evidence.diagnosis.filter((f) => f.status === 'met');
  const otherFindings = evidence.diagnosis.filter((f) => f.status !== 'met');
  const diagnosisCard = (f: (typeof evidence.diagnosis)[number]) => (
    <DiagnosisFinding key={f.condition} client={client} evidence={evidence} finding={f} cards={cards} card={latestCardFor(cardList, f.rule.id)} targeted={target === findingId(f)} />
  );
  const cardList = cards?.cards ?? [];
  const trialRule = evidence.trials.status === 'matched' ? evidence.trials.rule.id : 'trial-match/criteria';
  const triage = evidence.triage && (
    <section aria-labelledby="triage-heading" className="group">
      <h2 id="triage-heading">Triage</h2>
      <TriageFinding
        client={client}
        evidence={evidence}
        cards={cards}
        card={latestCardFor(cardList, evidence.triage.rule.id)}
        targeted={target === 'finding-triage'}
        compact={!evidence.triage.card && target !== 'finding-triage'}
      />
    </section>
  );
  // What would have a card comes first (an urgent triage, met diagnoses, trials); what was checked
  // and not met, and a triage with nothing urgent, last.
  const triageFirst = evidence.triage?.card === true;
  return (
    <div className="evidence">
      <h1 className="visually-hidden">Evidence for {name ?? `Patient/${evidence.patient.id}`}</h1>
      <SummaryStrip evidence={evidence} cards={cards} name={name} />
      {cardsError && (
        <p role="alert" className="error">
          The cards issued for this patient could not be read ({cardsError}); feedback buttons are not shown.
        </p>
      )}
      <ReadNotice evidence={evidence} />
      <nav aria-label="Findings" className="jump">
        {triageFirst && <a href="#finding-triage">Triage</a>}
        <a href="#diagnosis">Diagnosis</a>
        <a href="#trials">Trials</a>
        {otherFindings.length > 0 && <a href="#checked">Also checked</a>}
        {evidence.triage && !triageFirst && <a href="#finding-triage">Triage</a>}
      </nav>

      {triageFirst && triage}
      <section id="diagnosis" aria-labelledby="diagnosis-heading" className="group">
        <h2 id="diagnosis-heading">Diagnosis</h2>
        {metFindings.length > 0 ? metFindings.map(diagnosisCard) : <p className="muted">No diagnosis criterion is met on this record ({evidence.diagnosis.length} checked, below).</p>}
      </section>

      <section id="trials" aria-labelledby="trials-heading" className="group">
        <h2 id="trials-heading">Trials</h2>
        <TrialMatches client={client} evidence={evidence} cards={cards} card={latestCardFor(cardList, trialRule)} targeted={target === 'finding-trials'} named={context?.nctIds ?? []} />
      </section>
      {otherFindings.length > 0 && (
        <section id="checked" aria-labelledby="checked-heading" className="group">
          <h2 id="checked-heading">Also checked</h2>
          {otherFindings.map(diagnosisCard)}
        </section>
      )}
      {!triageFirst && triage}
    </div>
  );
}

/** A score's figure outside the population it was made for (a child, pregnancy): a dash, with the reason on hover. */
function NotUsed({ notes }: { notes: string[] | undefined }) {
  return (
    <dd title={notes?.join('; ')}>
      — <small>not used</small>
    </dd>
  );
}
