/**
 * Regenerating an issued card from its ledger entry, to show a reviewer that the card follows from
 * the patient's data, the rule and the guideline text alone (issue #17, "reproducible cards").
 *
 * The reviewer supplies the hook request again with the patient data as it was (the ledger keeps
 * only a digest of it, never the data). When the EHR sent all the data in the request, the digest
 * is of the request body as sent, so the reviewer gives that request byte for byte (the EHR's record
 * of the call); when Cairn fetched some of it, the digest is of the hook, context and data read. The
 * card is regenerated when:
 * - the data hash to the entry's input digest (otherwise it is other data, and the comparison says so);
 * - every guideline document the card quoted still has the content hash the entry recorded
 *   (the same corpus version for what the card used);
 * - the service answers with a card of the same rule and version whose content digest equals
 *   the issued one's (issued-cards.ts cardDigest: uuids and the times suggested resources were
 *   written set aside).
 * Pure apart from running the service: the caller reads the entry and the current document hashes.
 */
import { readProvenance } from '../cards/provenance.js';
import type { Card } from '../hooks/schema.js';
import { cardDigest, inputDigest, REQUEST_BODY_DIGEST_PREFIX, requestBodyDigest, type IssuedCard } from './issued-cards.js';

export interface Regenerated {
  /** The patient data and context, as the service read them this time. */
  request: { hook: string; context: Record<string, unknown> };
  prefetch: Readonly<Record<string, unknown>>;
  /** The request body as the EHR sent it, byte for byte: needed when the entry's digest is of the body. */
  body?: string | Uint8Array;
  /** The cards the service answered with this time. */
  cards: readonly Card[];
}

export interface Reproduction {
  /** True when every check passed: the card is the one issued. */
  reproduced: boolean;
  sameInput: boolean;
  /** Documents the card quoted whose content hash is no longer the one recorded (or which are gone). */
  changedGuidelines: string[];
  /** The regenerated card that corresponds to the entry, if any. */
  card?: Card;
  /** What differs, for people. Empty when reproduced. */
  differences: string[];
}

export function compareWithEntry(
  entry: Pick<IssuedCard, 'inputDigest' | 'ruleId' | 'ruleVersion' | 'guidelines' | 'cardDigest' | 'summary'>,
  regenerated: Regenerated,
  currentDocumentHashes: ReadonlyMap<string, string>,
): Reproduction {
  const differences: string[] = [];
  const ofBody = entry.inputDigest.startsWith(REQUEST_BODY_DIGEST_PREFIX);
  const sameInput = ofBody
    ? regenerated.body !== undefined && requestBodyDigest(regenerated.body) === entry.inputDigest
    : inputDigest(regenerated.request, regenerated.prefetch) === entry.inputDigest;
  if (ofBody && regenerated.body === undefined) {
    differences.push('the card was issued from a request that carried all its data: give that request body as sent, byte for byte');
  } else if (!sameInput) {
    differences.push('the patient data given are not the data the card was issued from (input digest differs)');
  }
  const changedGuidelines = entry.guidelines.filter((g) => currentDocumentHashes.get(g.documentId) !== g.contentHash).map((g) => g.documentId);
  for (const id of changedGuidelines) differences.push(`guideline document ${id} has changed or is gone since the card was issued`);

  // The card of the same rule (and, among several, the same summary) is the one to compare.
  const sameRule = regenerated.cards.filter((c) => readProvenance(c)?.rule.id === entry.ruleId);
  const card = sameRule.find((c) => c.summary === entry.summary) ?? sameRule[0];
  if (!card) {
    differences.push(`the service gave no card of rule ${entry.ruleId ?? '(none)'}`);
    return { reproduced: false, sameInput, changedGuidelines, differences };
  }
  const version = readProvenance(card)?.rule.version ?? null;
  if (version !== entry.ruleVersion) differences.push(`rule ${entry.ruleId ?? ''} is now version ${String(version)}, the card was issued by version ${String(entry.ruleVersion)}`);
  if (cardDigest(card) !== entry.cardDigest) {
    differences.push(card.summary === entry.summary ? 'the card’s content differs' : `the summary differs: "${card.summary}" instead of "${entry.summary}"`);
  }
  return { reproduced: differences.length === 0, sameInput, changedGuidelines, card, differences };
}
