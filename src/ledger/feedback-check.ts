/**
 * Feedback against the issued-card ledger: feedback must name cards the service issued (and the
 * ledger still keeps, within its retention), and an accepted suggestion must be one the card
 * carried. The CDS Hooks feedback endpoint and the API for apps both store feedback only after
 * this check, so a card's outcome means the same whichever way it arrived. Pure.
 */
import type { StoredIssuedCard } from './issued-cards.js';

export interface LedgerProblem {
  /** 404 for a card unknown to the ledger, 400 for a suggestion the card did not carry. */
  status: 400 | 404;
  messages: string[];
}

export function feedbackAgainstLedger(
  items: ReadonlyArray<{ card: string; acceptedSuggestions?: ReadonlyArray<{ id: string }> | undefined }>,
  issued: ReadonlyMap<string, StoredIssuedCard>,
  serviceId: string,
  retentionDays: number,
): LedgerProblem | undefined {
  const unknown = [...new Set(items.map((i) => i.card.toLowerCase()).filter((uuid) => !issued.has(uuid)))];
  if (unknown.length > 0) {
    return {
      status: 404,
      messages: unknown.map((uuid) => `service "${serviceId}" issued no card ${uuid} in the last ${retentionDays} days; feedback is accepted only for cards it issued`),
    };
  }
  const foreign = items.flatMap((i, index) => {
    const card = issued.get(i.card.toLowerCase())!;
    return (i.acceptedSuggestions ?? [])
      .filter((s) => !card.suggestionUuids.includes(s.id.toLowerCase()))
      .map((s) => `feedback[${index}]: card ${card.cardUuid} carried no suggestion ${s.id}`);
  });
  return foreign.length > 0 ? { status: 400, messages: foreign } : undefined;
}
