/**
 * The trial finding: the recruiting trials matched against the record, those the trial-match card
 * would list first, each with its criterion counts and a link to its criterion table (#/trials/…);
 * the other candidates in a table under a disclosure; the trial-match card and its feedback.
 */
import type { IssuedCard, PatientCards, PatientEvidence, TrialMatch } from '../evidence-api';
import type { Client } from '../smart';
import { trialCategoryLabel } from '../format';
import { FeedbackButtons } from './FeedbackButtons';

const counts = (c: TrialMatch['inclusion']) => `${c.met} met, ${c.notMet} not met, ${c.unknown} unknown of ${c.total}`;

function TrialLine({ m, named }: { m: TrialMatch; named: boolean }) {
  return (
    <li className="trial">
      <a href={`#/trials/${encodeURIComponent(m.nctId)}`} className="trial-link">
        <span className="nct">{m.nctId}</span> {m.title}
      </a>
      <div className="trial-meta">
        <span className={`badge category-${m.category}`}>{trialCategoryLabel(m.category)}</span>
        <span>Inclusion: {counts(m.inclusion)}</span>
        <span>Exclusion: {counts(m.exclusion)}</span>
        <span className={m.statusMayBeOutOfDate ? 'stale' : 'muted'}>
          {m.status} ({m.statusNote})
        </span>
        {named && <span className="badge opened">Named on the card</span>}
      </div>
      {m.sharedWords && (
        <p className="trial-why" data-testid="shared-words">
          No condition it studies is documented; words of {m.sharedWords.statement.kind === 'note' ? 'a note sentence' : 'the recorded conditions and medications'} in its text:{' '}
          <strong>{m.sharedWords.words.join(', ')}</strong> — “{m.sharedWords.statement.text}” ({m.sharedWords.statement.source})
        </p>
      )}
    </li>
  );
}

export function TrialMatches({
  client,
  evidence,
  cards,
  card,
  targeted,
  named = [],
}: {
  client: Client;
  evidence: PatientEvidence;
  cards: PatientCards | undefined;
  card: IssuedCard | undefined;
  targeted: boolean;
  /** The trials the card that opened the app listed (its appContext's nctIds). */
  named?: readonly string[];
}) {
  const trials = evidence.trials;
  if (trials.status === 'off') {
    return (
      <article id="finding-trials" className="finding compact" data-testid="finding" data-finding="trials" aria-labelledby="finding-trials-title" tabIndex={-1}>
        <h3 id="finding-trials-title">Trial matching</h3>
        <p className="muted">{trials.reason}</p>
      </article>
    );
  }
  const fitting = trials.matches.filter((m) => m.fits);
  const others = trials.matches.filter((m) => !m.fits);
  return (
    <article
      id="finding-trials"
      className={`finding trials${targeted ? ' targeted' : ''}`}
      data-testid="finding"
      data-finding="trials"
      aria-labelledby="finding-trials-title"
      tabIndex={-1}
    >
      <header className="finding-head">
        <h3 id="finding-trials-title">
          Trial matching
          <span className="finding-sub">
            {fitting.length} may fit, of {trials.candidates} recruiting candidates compared ({trials.comparison === 'words-only' ? 'by words only' : 'by meaning and words'})
          </span>
        </h3>
        {targeted && <span className="badge opened">Opened from the card</span>}
      </header>
      {fitting.length > 0 ? (
        <ul className="trial-list">
          {fitting.map((m) => (
            <TrialLine key={m.nctId} m={m} named={named.includes(m.nctId)} />
          ))}
        </ul>
      ) : (
        <p className="muted">No recruiting trial fits on documented evidence.</p>
      )}
      {others.length > 0 && (
        <details>
          <summary>Other candidates ({others.length})</summary>
          <ul className="trial-list">
            {others.map((m) => (
              <TrialLine key={m.nctId} m={m} named={named.includes(m.nctId)} />
            ))}
          </ul>
        </details>
      )}
      <FeedbackButtons client={client} card={card} reasons={cards?.overrideReasons ?? []} about="trial matching" />
    </article>
  );
}
