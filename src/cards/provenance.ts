/**
 * What produced a card, so that it can be reproduced and audited (issue #17): the Cairn release,
 * the rule that fired and its version, and each guideline document the card quotes with the
 * document's version and content hash. Carried on the card under one extension key and copied
 * into the issued-card ledger.
 *
 * A rule's version changes whenever its logic or thresholds change, so two cards with the same
 * rule version, guideline hashes and patient data are the same card.
 */
import type { Card } from '../hooks/schema.js';

/** The one extension key under which every card carries its provenance. */
export const PROVENANCE_EXTENSION_KEY = 'cairn-provenance';

export interface RuleRef {
  /** Stable id, e.g. `triage/news2-qsofa-esi`, `diagnosis/hypertension`, `trial-match/criteria`. */
  id: string;
  version: string;
}

export interface GuidelineRef {
  documentId: string;
  /** The document's own version or date as its publisher states it, when it states one. */
  version?: string;
  /** SHA-256 of the document's body as ingested (guideline_documents.content_hash). */
  contentHash: string;
}

export interface CardProvenance {
  cairnVersion: string;
  rule: RuleRef;
  guidelines: GuidelineRef[];
}

/** The provenance a card carries, or undefined for a card without one. */
export function readProvenance(card: Pick<Card, 'extension'>): CardProvenance | undefined {
  const value = (card.extension as Record<string, unknown> | undefined)?.[PROVENANCE_EXTENSION_KEY];
  if (!value || typeof value !== 'object') return undefined;
  const p = value as Partial<CardProvenance>;
  if (typeof p.cairnVersion !== 'string' || !p.rule || typeof p.rule.id !== 'string' || !Array.isArray(p.guidelines)) return undefined;
  return p as CardProvenance;
}
