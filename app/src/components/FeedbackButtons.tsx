/**
 * The card Cairn issued for a finding, and what the clinician did with it: accept (the card's
 * suggestion, as CDS Hooks feedback records an acceptance) or override with a reason from Cairn's
 * override-reason code system, chosen in a modal dialog. Stored through POST
 * /api/cards/{uuid}/feedback, the same store as the EHR's CDS Hooks feedback; the stored result
 * is then shown in place of the question.
 *
 * A finding for which no card was issued gets no buttons: feedback is about a card.
 */
import { useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api';
import { sendFeedback, type CardFeedback, type Coding, type IssuedCard } from '../evidence-api';
import { formatWhen } from '../format';
import type { Client } from '../smart';

interface Props {
  client: Client;
  card: IssuedCard | undefined;
  reasons: ReadonlyArray<Coding & { display: string }>;
  /** What the card is about, for the buttons' accessible names ("Accept the card for Hypertension"). */
  about: string;
  onStored?: (card: IssuedCard, feedback: CardFeedback) => void;
}

function StoredResult({ feedback, reasons }: { feedback: CardFeedback; reasons: Props['reasons'] }) {
  const when = formatWhen(feedback.outcomeTimestamp);
  if (feedback.outcome === 'accepted') {
    return (
      <p className="feedback-result accepted" data-testid="feedback-result" data-outcome="accepted">
        <span aria-hidden="true">✓ </span>Accepted {when}
        {feedback.acceptedSuggestions?.length ? ` (${feedback.acceptedSuggestions.length === 1 ? 'its suggestion' : `${feedback.acceptedSuggestions.length} suggestions`})` : ''}
      </p>
    );
  }
  const reason = feedback.overrideReason?.reason;
  const display = reason?.display ?? reasons.find((r) => r.code === reason?.code && r.system === reason?.system)?.display ?? reason?.code;
  return (
    <p className="feedback-result overridden" data-testid="feedback-result" data-outcome="overridden">
      Overridden {when}
      {display ? `: ${display}` : ''}
    </p>
  );
}

export function FeedbackButtons({ client, card, reasons, about, onStored }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  // What this page stored; before that, what the API listed with the card (the cards may arrive after the page).
  const [stored, setStored] = useState<{ uuid: string; feedback: CardFeedback }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [reasonCode, setReasonCode] = useState<string>('');
  const [comment, setComment] = useState('');
  const dialogTitle = useId();
  const commentId = useId();

  if (!card) {
    return (
      <section className="feedback none" aria-label={`Card for ${about}`}>
        <p className="muted">Cairn issued no card for this finding, so there is no card to accept or override.</p>
      </section>
    );
  }
  const issued = card;
  const feedback = stored?.uuid === card.uuid ? stored.feedback : card.feedback;

  async function send(request: Parameters<typeof sendFeedback>[2]): Promise<boolean> {
    setBusy(true);
    setError(undefined);
    try {
      const result = await sendFeedback(client, issued.uuid, request);
      setStored({ uuid: issued.uuid, feedback: result.feedback });
      onStored?.(issued, result.feedback);
      return true;
    } catch (e) {
      setError(e instanceof ApiError ? `Not stored (${e.status}): ${e.message}` : `Not stored: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function override(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const reason = reasons.find((r) => r.code === reasonCode);
    if (!reason) return;
    const trimmed = comment.trim();
    if (await send({ outcome: 'overridden', overrideReason: { reason: { system: reason.system, code: reason.code, display: reason.display }, ...(trimmed && { userComment: trimmed }) } })) {
      dialog.current?.close();
      setComment('');
    }
  }

  const canAccept = issued.suggestionUuids.length > 0;
  return (
    <section className="feedback" aria-label={`Card for ${about}`} data-card-uuid={issued.uuid}>
      <p className="feedback-card">
        <span className={`badge indicator-${issued.indicator}`}>{issued.indicator}</span> Card issued {formatWhen(issued.issuedAt)}: <q>{issued.summary}</q>
      </p>
      <div role="status" aria-live="polite">
        {feedback && <StoredResult feedback={feedback} reasons={reasons} />}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="feedback-actions">
        {canAccept ? (
          <button
            type="button"
            className="primary"
            data-testid="feedback-accept"
            disabled={busy}
            aria-label={`Accept suggestion for ${about}`}
            onClick={() => void send({ outcome: 'accepted', acceptedSuggestions: issued.suggestionUuids.map((id) => ({ id })) })}
          >
            Accept suggestion
          </button>
        ) : (
          <span className="muted">This card carries no suggestion to accept.</span>
        )}
        <button type="button" data-testid="feedback-override" disabled={busy || reasons.length === 0} aria-label={`Override card for ${about}`} onClick={() => dialog.current?.showModal()}>
          Override…
        </button>
      </div>

      <dialog ref={dialog} aria-labelledby={dialogTitle} className="override-dialog" data-testid="override-dialog" onClose={() => setError(undefined)}>
        <form onSubmit={(e) => void override(e)}>
          <h2 id={dialogTitle}>Override the card for {about}</h2>
          <p className="muted">
            <q>{issued.summary}</q>
          </p>
          <fieldset>
            <legend>Reason</legend>
            {reasons.map((r) => (
              <label key={`${r.system}|${r.code}`} className="radio">
                <input type="radio" name="reason" value={r.code} required checked={reasonCode === r.code} onChange={() => setReasonCode(r.code)} data-testid={`override-reason-${r.code}`} />
                {r.display}
              </label>
            ))}
          </fieldset>
          <label htmlFor={commentId}>Comment (optional)</label>
          <textarea id={commentId} value={comment} maxLength={2000} rows={3} onChange={(e) => setComment(e.target.value)} />
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="submit" className="primary" disabled={busy || !reasonCode} data-testid="feedback-override-submit">
              Record override
            </button>
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </section>
  );
}
