/**
 * Regenerating an issued card from its ledger entry, to show a reviewer that the card follows from
 * the patient's data, the rule and the guideline text alone (issue #17, "reproducible cards").
 *
 * The reviewer supplies the hook request again with the patient data as it was (the ledger keeps
 * only a digest of it, never the data). The card is regenerated when:
 * - the data hash to the entry's input digest (otherwise it is other data, and the comparison says so);
 * - every guideline document the card quoted still has the content hash the entry recorded
 *   (the same corpus version for what the card used);
 * - the service answers with a card of the same rule and version whose content equals the
 *   issued one, once what is new on every call is set aside: uuids (cards, suggestions, the
 *   urn:uuid references between a suggestion's resources) and the time a Provenance was recorded.
 * Pure apart from running the service: the caller reads the entry and the current document hashes.
 */
import { readProvenance } from '../cards/provenance.js';
import type { Card } from '../hooks/schema.js';
import { canonicalJson, inputDigest, pseudonymiseCard, type IssuedCard } from './issued-cards.js';

export interface Regenerated {
  /** The patient data and context, as the service read them this time. */
  request: { hook: string; context: Record<string, unknown> };
  prefetch: Readonly<Record<string, unknown>>;
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

/** When a suggested resource was written (Provenance.recorded, ServiceRequest.authoredOn, Condition.recordedDate). */
const WRITTEN_AT = new Set(['recorded', 'authoredOn', 'recordedDate']);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * The card with what is new on every call set aside: `uuid` members and the times its suggested
 * resources were written dropped,
 * every other uuid (urn:uuid references) replaced by its order of first appearance, so references
 * between a suggestion's resources still have to agree.
 */
export function comparableCard(card: Card): unknown {
  const seen = new Map<string, string>();
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.replace(UUID, (u) => {
        const key = u.toLowerCase();
        if (!seen.has(key)) seen.set(key, `uuid-${seen.size + 1}`);
        return seen.get(key)!;
      });
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      // Keys in sorted order, so uuids are numbered alike whatever order the store kept them in.
      for (const k of Object.keys(value).sort()) {
        // Cards and suggestions get their uuids as the answer is sent (invoke.ts), so a card run
        // again has none; the times a resource was written are of the writing, not the finding.
        if (k === 'uuid' || WRITTEN_AT.has(k)) continue;
        out[k] = walk((value as Record<string, unknown>)[k]);
      }
      return out;
    }
    return value;
  };
  return walk(card);
}

export function compareWithEntry(
  entry: Pick<IssuedCard, 'inputDigest' | 'ruleId' | 'ruleVersion' | 'guidelines' | 'card' | 'summary' | 'patientKey'>,
  regenerated: Regenerated,
  currentDocumentHashes: ReadonlyMap<string, string>,
): Reproduction {
  const differences: string[] = [];
  const sameInput = inputDigest(regenerated.request, regenerated.prefetch) === entry.inputDigest;
  if (!sameInput) differences.push('the patient data given are not the data the card was issued from (input digest differs)');
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
  // The ledger's copy refers to the patient by key (issued-cards.ts): so must the card run again.
  const patientId = regenerated.request.context.patientId;
  const asStored = pseudonymiseCard(card, typeof patientId === 'string' ? patientId : undefined, entry.patientKey);
  if (canonicalJson(comparableCard(asStored)) !== canonicalJson(comparableCard(entry.card))) {
    differences.push(card.summary === entry.summary ? 'the card’s content differs' : `the summary differs: "${card.summary}" instead of "${entry.summary}"`);
  }
  return { reproduced: differences.length === 0, sameInput, changedGuidelines, card, differences };
}
