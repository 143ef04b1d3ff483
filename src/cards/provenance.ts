/**
 * What produced a card, so that it can be reproduced and audited (issue #17): the Cairn release,
 * the rule that fired and its version, and each guideline document the card quotes with the
 * document's version and content hash. Carried on the card under one extension key and copied
 * into the issued-card ledger.
 *
 * A rule's version changes whenever its logic or thresholds change, so two cards with the same
 * rule version, guideline hashes and patient data are the same card.
 *
 * A suggestion that creates resources carries the same facts in FHIR's own terms, for the EHR that
 * stores them: each created resource has `meta.source` (Cairn's canonical base, its release and the
 * rule) and the suggestion one more `create` action, a Provenance whose target is the created
 * resources (provenanceActions).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalBase, canonicalUrl } from '../canonical.js';
import { nearestAbove } from '../fhir/shipped-files.js';
import type { Action, Card } from '../hooks/schema.js';
import type { QuotedPassage } from './passages.js';

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

/** A trial record a trial-match card names (trial-match cards only). */
export interface TrialRef {
  /** ClinicalTrials.gov id. */
  nctId: string;
  /**
   * The record as imported (trials.content_hash: SHA-256 of the normalised record and of the
   * criteria parser's fingerprint), so a re-imported or re-parsed trial is told apart.
   */
  contentHash: string;
}

export interface CardProvenance {
  cairnVersion: string;
  rule: RuleRef;
  /**
   * Each guideline document the card quotes, once per edition. On the card (JSON) the field is
   * left out when the card quotes none, since CDS Hooks forbids empty arrays; readProvenance gives
   * it back as [].
   */
  guidelines: GuidelineRef[];
  /** Trial-match cards: the trials the card shows, in its order. Absent on other cards. */
  trials?: TrialRef[];
}

/** The provenance a card carries, or undefined for a card without one. */
export function readProvenance(card: Pick<Card, 'extension'>): CardProvenance | undefined {
  const value = (card.extension as Record<string, unknown> | undefined)?.[PROVENANCE_EXTENSION_KEY];
  if (!value || typeof value !== 'object') return undefined;
  const p = value as Partial<CardProvenance>;
  if (typeof p.cairnVersion !== 'string' || !p.rule || typeof p.rule.id !== 'string') return undefined;
  if (p.guidelines !== undefined && !Array.isArray(p.guidelines)) return undefined;
  return { ...p, guidelines: p.guidelines ?? [] } as CardProvenance;
}

let version: string | undefined;

/**
 * The Cairn release: the `version` of Cairn's package.json, the nearest above this module (the
 * same file from src/ and dist/; the Docker image ships it), read once.
 */
export function cairnVersion(): string {
  if (version !== undefined) return version;
  const found = nearestAbove(import.meta.url, (dir) => {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      return pkg.name === 'cairn' && typeof pkg.version === 'string' ? pkg.version : undefined;
    } catch {
      return undefined; // no package.json here; keep walking up
    }
  });
  if (found !== undefined) return (version = found);
  throw new Error("Cairn's package.json was not found above the provenance module: the release cannot be named");
}

/**
 * A card's provenance: the release, the rule, and each document the quoted passages come from,
 * once per document edition, in the order the card first quotes them.
 */
export function cardProvenance(rule: RuleRef, passages: readonly QuotedPassage[], trials?: readonly TrialRef[]): CardProvenance {
  const guidelines: GuidelineRef[] = [];
  const seen = new Set<string>();
  for (const p of passages) {
    const key = `${p.documentId}\u0000${p.documentHash}`;
    if (seen.has(key)) continue;
    seen.add(key);
    guidelines.push({ documentId: p.documentId, ...(p.documentVersion !== undefined && { version: p.documentVersion }), contentHash: p.documentHash });
  }
  return { cairnVersion: cairnVersion(), rule: { ...rule }, guidelines, ...(trials && trials.length > 0 && { trials: trials.map((t) => ({ ...t })) }) };
}

/** The card's `extension` entry: the provenance as JSON, without an empty `guidelines` (CDS Hooks: no empty arrays). */
export function provenanceExtension(p: CardProvenance): Record<string, Omit<CardProvenance, 'guidelines'> & { guidelines?: GuidelineRef[] }> {
  const { guidelines, ...rest } = p;
  return { [PROVENANCE_EXTENSION_KEY]: { ...rest, ...(guidelines.length > 0 && { guidelines }) } };
}

/**
 * `meta.source` of what Cairn suggests creating: the URI of this Cairn (its canonical base) with,
 * as fragment, the release and the rule: `<base>#cairn@0.1.0;diagnosis/hypertension@1`.
 */
export function sourceUri(p: Pick<CardProvenance, 'cairnVersion' | 'rule'>): string {
  return `${canonicalBase()}#cairn@${p.cairnVersion};${p.rule.id}@${p.rule.version}`;
}

/** The identifier system of guideline documents by id (the corpus front matter's `id`). */
export function guidelineDocumentSystem(): string {
  return canonicalUrl('guideline-document');
}

type CreatedResource = Record<string, unknown> & { resourceType: string };

/**
 * A suggestion's create actions with their provenance: each created resource gets an id and
 * `meta.source`, and one more create action holds a Provenance (recorded at `recorded`) whose
 * targets are `urn:uuid:<id>` of those resources. A client that executes the actions as one FHIR
 * transaction gives each created resource the fullUrl `urn:uuid:<its id>`, and the server then
 * points the Provenance at the stored resources. The ids are derived from the resources
 * themselves (name-based UUIDs), so the same card is built the same way every time.
 */
export function provenanceActions(actions: ReadonlyArray<Action & { resource: CreatedResource }>, p: CardProvenance, recorded: string): Action[] {
  const source = sourceUri(p);
  const created = actions.map((a) => {
    if (a.type !== 'create') throw new Error('provenanceActions takes create actions only');
    // Not from when it was written (authoredOn, recordedDate): the same suggestion made again
    // from the same data gets the same id, so a card can be regenerated exactly.
    const id = nameBasedUuid(JSON.stringify([p.rule, withoutWrittenAt(a.resource)]));
    const meta = { ...(a.resource.meta as Record<string, unknown> | undefined), source };
    return { ...a, resource: { ...a.resource, id, meta } };
  });
  const provenance = {
    resourceType: 'Provenance',
    meta: { source },
    // Cairn as the agent, named with its release; contained because it is not a record of the EHR's.
    contained: [{ resourceType: 'Device', id: 'cairn', deviceName: [{ name: 'Cairn', type: 'manufacturer-name' }], version: [{ value: p.cairnVersion }] }],
    target: created.map((a) => ({ reference: `urn:uuid:${a.resource.id}`, type: a.resource.resourceType })),
    recorded,
    // The rule is the plan the suggestion follows.
    policy: [`${canonicalBase()}#${p.rule.id}@${p.rule.version}`],
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE', display: 'create' }] },
    agent: [
      {
        // provenance-participant-type `composer`: a device composing a new artefact from source data by an algorithm.
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'composer', display: 'Composer' }] },
        who: { reference: '#cairn', display: `Cairn ${p.cairnVersion}` },
      },
    ],
    ...(p.guidelines.length > 0 && {
      entity: p.guidelines.map((g) => ({
        role: 'source',
        what: {
          identifier: { system: guidelineDocumentSystem(), value: g.documentId },
          display: `${g.documentId}${g.version ? ` (${g.version})` : ''}, sha256 ${g.contentHash}`,
        },
      })),
    }),
  };
  return [...created, { type: 'create', description: 'Provenance of the suggested resources (Cairn release, rule, guidelines)', resource: provenance }];
}

/** Members of a suggested resource that say when it was written, not what it says. */
const WRITTEN_AT = new Set(['authoredOn', 'recordedDate', 'recorded']);

/**
 * The resource without its WRITTEN_AT members. They are top-level members of every resource type
 * Cairn suggests (Condition.recordedDate, ServiceRequest.authoredOn), so a shallow copy is enough,
 * and it serialises to the same text as JSON.stringify with a replacer dropping them at any depth
 * (the ids of cards already issued do not change); the replacer, called for every value, was about
 * a tenth of a diagnosis card's CPU time (CPU profile of bench:hooks, 2026-12-06).
 */
function withoutWrittenAt(resource: CreatedResource): Record<string, unknown> {
  return Object.fromEntries(Object.entries(resource).filter(([key]) => !WRITTEN_AT.has(key)));
}

/** A UUID (RFC 9562 version 8, name-based on SHA-256) for `name`. */
export function nameBasedUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
